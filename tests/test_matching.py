"""Header text -> data element: normalisation, context (whose field is it), value votes,
learned aliases, and the JSON contract of inspect_files."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from stdnum.cn import ric

from tests.sheetfactory import table, write_xlsx
from yibiao.matching import (
    Dictionary,
    ElementSpec,
    inspect_files,
    learn_alias,
    load_builtin_dictionary,
    match_headers,
    normalise,
)
from yibiao.matching.dictionary import DATA, read_alias_file


def valid_id(first17: str) -> str:
    return first17 + ric.calc_check_digit(first17 + "0")  # it ignores the last character


IDS = [valid_id("11010519491231002"), valid_id("43010219800101123"), valid_id("31011519950505301")]
MOBILES = ["13912345678", "18687654321", "15011112222"]


@pytest.mark.parametrize(("raw", "key"), [
    ("身份證號碼", "身份证号码"),
    ("联系电话（手机）", "联系电话"),
    ("ＩＤ　号", "id号"),
    ("户籍地 (必填)：", "户籍地"),
    ("现住地址:", "现住地址"),
    ("乡镇/街道", "乡镇街道"),
    ("* 姓 名", "姓名"),
    ("（备注）", "备注"),
])
def test_normalise(raw: str, key: str) -> None:
    assert normalise(raw) == key


PERSON_LIST = ["序号", "姓名", "身份证号", "性别", "联系电话"]
RENTAL_LIST = ["序号", "房屋地址", "房主姓名", "房主联系电话", "房主身份证号", "承租人数"]
COMPANY_LIST = ["序号", "单位名称", "法人代表", "营业执照号", "联系人", "联系电话", "备注"]


@pytest.mark.parametrize(("headers", "title", "column", "element", "status"), [
    # the row's subject decides; qualifiers say whose field it is
    (PERSON_LIST + ["户主身份证号"], "", "户主身份证号", "household.head_id_number", "auto"),
    (PERSON_LIST + ["户主姓名"], "", "户主姓名", "household.head_name", "auto"),
    (RENTAL_LIST, "出租房屋登记台账", "房主姓名", "place.owner_name", "auto"),
    (RENTAL_LIST, "出租房屋登记台账", "房主联系电话", "place.owner_phone", "auto"),
    (RENTAL_LIST, "出租房屋登记台账", "房主身份证号", None, "unmapped"),
    (RENTAL_LIST, "出租房屋登记台账", "房屋地址", "place.address", "auto"),
    (["序号", "被盘查人", "被盘查人身份证号", "盘查地点"], "", "被盘查人", "person.name", "auto"),
    (["序号", "被盘查人", "被盘查人身份证号", "盘查地点"], "", "被盘查人身份证号", "person.id_number", "auto"),
    (PERSON_LIST + ["登记人"], "", "登记人", "meta.filled_by", "auto"),
    (PERSON_LIST + ["填报人"], "", "填报人", "meta.filled_by", "auto"),
    (PERSON_LIST + ["登记民警姓名"], "", "登记民警姓名", "meta.filled_by", "auto"),
    (PERSON_LIST + ["责任民警姓名"], "", "责任民警姓名", None, "unmapped"),
    (PERSON_LIST + ["监护人姓名"], "", "监护人姓名", None, "unmapped"),
    (PERSON_LIST + ["监护人电话"], "", "监护人电话", None, "unmapped"),
    (PERSON_LIST + ["志愿者身份证号"], "", "志愿者身份证号", None, "unmapped"),
    (PERSON_LIST + ["紧急联系人电话"], "", "紧急联系人电话", "person.emergency_phone", "auto"),
    (PERSON_LIST + ["紧急联系人"], "", "紧急联系人", "person.emergency_contact", "auto"),
    (PERSON_LIST + ["社区电话"], "", "社区电话", None, "unmapped"),
    # a qualifier that the title names is the row's subject; otherwise another person
    (["序号", "老人姓名", "老人身份证号", "子女姓名", "子女电话"], "空巢老人登记表", "老人身份证号", "person.id_number", "auto"),
    (["序号", "老人姓名", "老人身份证号", "子女姓名", "子女电话"], "空巢老人登记表", "子女电话", None, "unmapped"),
    # a row that is not a person: person fields map to nothing
    (COMPANY_LIST, "辖区企业登记表", "联系电话", None, "unmapped"),
    (COMPANY_LIST, "辖区企业登记表", "备注", None, "unmapped"),
    (COMPANY_LIST, "辖区企业登记表", "序号", "meta.seq", "auto"),
    # spelling variants
    (["序號", "姓名", "身份證號", "聯繫電話"], "", "身份證號", "person.id_number", "auto"),
    (["序号", "姓名", "公民身份号码："], "", "公民身份号码：", "person.id_number", "auto"),
    (["姓名", "身份证号", "出生年月"], "", "出生年月", "person.birth_date", "auto"),
    (["姓名", "身份证号", "文化程度"], "", "文化程度", "person.education", "auto"),
    (["姓名", "身份证号", "学历"], "", "学历", "person.education", "auto"),
    (["姓名", "身份证号", "社区标识"], "", "社区标识", "org.community", "auto"),
    (["姓名", "身份证号", "乡镇（街道）"], "", "乡镇（街道）", "org.township", "auto"),
    # typos and loose words are suggested, never auto
    (["姓名", "身份证号", "家庭祥址"], "", "家庭祥址", "person.residence_address", "suggested"),
    (["姓名", "身份证号", "职务"], "", "职务", "person.occupation", "suggested"),
    (["姓名", "身份证号", "地址"], "", "地址", "person.residence_address", "suggested"),
    # a sheet whose subject is unclear: nothing personal is auto
    (["电话", "备注"], "", "电话", "person.phone", "suggested"),
    # a roster's bare 关系 is the relation to the household's head (it was dropped unmatched)
    (PERSON_LIST + ["关系"], "", "关系", "person.relation_to_head", "auto"),
    (PERSON_LIST + ["户主关系"], "", "户主关系", "person.relation_to_head", "auto"),
    # columns new to the dictionary
    (PERSON_LIST + ["盘查原因"], "", "盘查原因", None, "unmapped"),
    (PERSON_LIST + ["现住地区划"], "", "现住地区划", None, "unmapped"),
])
def test_context_decides(headers: list[str], title: str, column: str, element: str | None,
                         status: str) -> None:
    match = match_headers(headers, title)
    got = match.columns[headers.index(column)]
    assert (got.element, got.status) == (element, status), got.reason


@pytest.mark.parametrize(("path", "element", "status"), [
    (["户主信息", "姓名"], "household.head_name", "auto"),
    (["户主情况", "身份证号"], "household.head_id_number", "auto"),
    (["监护人信息", "姓名"], None, "unmapped"),
    (["紧急联系人", "关系"], None, "unmapped"),  # the contact's relation, not the resident's to the head
    (["紧急联系人", "电话"], "person.emergency_phone", "auto"),
    (["基本情况", "身份证号"], "person.id_number", "auto"),
    (["其他情况", "联系电话"], "person.phone", "auto"),
])
def test_group_header_names_the_party(path: list[str], element: str | None, status: str) -> None:
    match = match_headers([["序号"], ["姓名"], ["身份证号"], path])
    assert (match.columns[3].element, match.columns[3].status) == (element, status)


def test_aggregate_sheet_counts_are_not_person_fields() -> None:
    headers = ["社区", "独居老人（人）", "低保对象（人）", "残疾人数"]
    match = match_headers(headers, "各社区特殊人群统计表", layout="aggregate")
    assert [(c.element, c.status) for c in match.columns] == [
        ("org.community", "auto"), (None, "unmapped"), (None, "unmapped"), (None, "unmapped")]


def test_a_unit_in_brackets_makes_a_column_a_count() -> None:
    got = match_headers(["姓名", "身份证号", "独居老人（人）"]).columns[2]
    assert got.status != "auto"


def test_a_per_row_reporting_date_is_only_suggested() -> None:
    got = match_headers(["姓名", "身份证号", "填报日期"]).columns[2]
    assert (got.element, got.status) == ("meta.reporting_date", "suggested")


def test_subject_from_title_and_headers() -> None:
    assert match_headers(RENTAL_LIST, "出租房屋台账").subject == "place"
    assert match_headers(COMPANY_LIST, "企业名录").subject == "org"
    assert match_headers(PERSON_LIST, "实有人口管理系统 流动人口").subject == "person"
    assert match_headers(["户号", "户主姓名", "家庭人口数", "家庭住址"], "家庭户信息表").subject == "household"


def test_household_sheet_address_is_the_household_address() -> None:
    match = match_headers(["户号", "户主姓名", "家庭人口数", "住址"], "家庭户信息表")
    assert (match.columns[3].element, match.columns[3].status) == ("household.address", "auto")


@pytest.mark.parametrize(("header", "samples", "element", "status"), [
    ("身份证号", IDS, "person.id_number", "auto"),
    ("联系电话", IDS, "person.phone", "suggested"),  # values veto the header
    ("证件", IDS, "person.id_number", "suggested"),  # values propose an element
    ("号码", MOBILES, "person.phone", "suggested"),
    ("出生日期", ["1949-12-31", "1980-01-01", "2001年5月5日"], "person.birth_date", "auto"),
    ("出生日期", ["张三", "李四", "王五"], "person.birth_date", "suggested"),
    ("身份证号", [i[:17] + "0" if i[-1] != "0" else i[:17] + "1" for i in IDS], "person.id_number", "suggested"),
])
def test_sample_values_vote(header: str, samples: list[str], element: str, status: str) -> None:
    match = match_headers(["姓名", "性别", header], samples=[["张三"] * 3, ["男"] * 3, samples])
    got = match.columns[2]
    assert (got.element, got.status) == (element, status), got.reason


def test_values_confirming_a_match_raise_confidence() -> None:
    plain = match_headers(["姓名", "身份证号"]).columns[1].confidence
    voted = match_headers(["姓名", "身份证号"], samples=[["张三", "李四"], IDS]).columns[1].confidence
    assert voted > plain


def test_a_confirmed_mapping_makes_the_next_template_auto() -> None:
    headers = ["姓名", "性别", "居民卡号"]
    assert match_headers(headers).columns[2].status == "unmapped"
    alias = learn_alias("居民卡号：", "person.id_number", "person")
    assert alias.text == "居民卡号"
    again = match_headers(["姓名", "性别", "居民卡號"], learned=[alias]).columns[2]
    assert (again.element, again.status) == ("person.id_number", "auto")
    # learned for person sheets only: a company sheet is not affected
    company = match_headers(COMPANY_LIST + ["居民卡号"], "企业名录", learned=[alias]).columns[-1]
    assert company.status != "auto"


def test_a_confirmed_nothing_is_remembered_too() -> None:
    alias = learn_alias("联系电话", None, "person")
    got = match_headers(["姓名", "身份证号", "联系电话"], learned=[alias]).columns[2]
    assert (got.element, got.status) == (None, "unmapped")


def test_builtin_dictionary_has_every_contract_code_and_valid_aliases() -> None:
    d = load_builtin_dictionary()
    contract = [line.split("\t")[0] for line in (DATA / "core-elements.tsv").read_text("utf-8").splitlines()[1:]
                if line.strip()]
    assert set(contract) <= set(d.elements)
    for code, _ in read_alias_file(DATA / "aliases.tsv"):
        assert code in d.elements, code


def test_a_dictionary_given_as_data() -> None:
    d = Dictionary.build([ElementSpec("person.name", "姓名", "person", "text"),
                          ElementSpec("person.pet", "宠物名", "person", "text", aliases=("宠物",))])
    match = match_headers(["姓名", "宠物"], dictionary=d)
    assert [c.element for c in match.columns] == ["person.name", "person.pet"]


def test_inspect_files_json_contract(tmp_path: Path) -> None:
    a = write_xlsx(tmp_path / "a.xlsx", table("""
    | 流动人口登记表 |          |          |
    | 序号           | 基本情况 |          |
    |                | 姓名     | 身份证号 |
    """), merges=["A1:C1", "A2:A3", "B2:C2"])
    b = write_xlsx(tmp_path / "b.xlsx", table("""
    | 房屋地址 | 房主姓名 | 房主身份证号 |
    """), sheet="出租房屋")
    result = inspect_files([a, b])
    json.dumps(result, ensure_ascii=False)
    assert [r["file"] for r in result] == [str(a), str(b)]
    sheet = result[0]["sheets"][0]
    assert set(sheet) == {"name", "layout", "header_rows", "data_start_row", "columns"}
    assert (sheet["layout"], sheet["header_rows"], sheet["data_start_row"]) == ("list", [2, 3], 4)
    assert sheet["columns"][2] == {"column": "C", "index": 3, "header": "身份证号", "path": ["基本情况", "身份证号"],
                                   "element": "person.id_number", "confidence": sheet["columns"][2]["confidence"],
                                   "status": "auto"}
    assert 0.9 <= sheet["columns"][2]["confidence"] <= 1
    owner = result[1]["sheets"][0]["columns"]
    assert [(c["element"], c["status"]) for c in owner] == [
        ("place.address", "auto"), ("place.owner_name", "auto"), (None, "unmapped")]
