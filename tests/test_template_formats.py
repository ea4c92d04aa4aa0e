"""Values in the template's own format (issue 14, items 3 and 4): each column's dropdown,
number format, header wording, notes and samples decide how a value is written; yes/no
questions are answered from the element they ask about; blanks keep their labels and the
template's pattern. Both writers get the same values."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.datavalidation import DataValidation

from yibiao.gate.tables import workflow
from yibiao.ledger.records import PersonInput, write_people
from yibiao.matching import match_headers
from yibiao.refusals import said
from yibiao.reports.export import blank_values, export_report
from yibiao.reports.periods import parse_period
from yibiao.sheets import read_workbook
from yibiao.sheets.formats import (
    ElementKind,
    asks_yes_no,
    blank_kind,
    column_format,
    date_pattern,
    expected_problems,
    fill_blank,
    read_formats,
    render,
)
from yibiao.sheets.model import Blank
from yibiao.values import DateValue

from .sheetfactory import rewrite_member, table, write_xlsx
from .test_report_export import as_csv

SEX = ElementKind("person.sex", "code", "sex")
ETHNIC = ElementKind("person.ethnicity", "code", "ethnic_group")
LIVES_ALONE = ElementKind("person.lives_alone", "boolean")
CHRONIC = ElementKind("person.chronic_disease", "text")
BIRTH = ElementKind("person.birth_date", "date")
ID = ElementKind("person.id_number", "id_number")
VACCINE = ElementKind("person.vaccine_doses", "integer")


def fmt(header: str = "列", **kwargs: object):
    return column_format(3, header, [header], **kwargs)


# --- render: one value the way its column asks --------------------------------------------

RENDER = [
    # the dropdown's own entry for the code
    ("男性", SEX, fmt("性别", choices=["男", "女"]), "男"),
    ("女性", SEX, fmt("性别", choices=["男", "女"]), "女"),
    ("女性", SEX, fmt("性别", choices=["1-男", "2-女"]), "2-女"),
    ("2", SEX, fmt("性别", choices=["男性", "女性"]), "女性"),
    ("汉族", ETHNIC, fmt("民族", choices=["汉", "回", "满"]), "汉"),
    ("回族", ETHNIC, fmt("民族", choices=["汉族", "回族"]), "回族"),
    # no dropdown: the spelling the sample rows show (汉 for 汉族), else the standard name
    ("回族", ETHNIC, fmt("民族", samples=["汉"]), "回"),
    ("回族", ETHNIC, fmt("民族"), "回族"),
    # yes/no in the dropdown's words, the header's, or 是/否
    ("是", LIVES_ALONE, fmt("是否独居", choices=["√", "×"]), "√"),
    ("否", LIVES_ALONE, fmt("是否独居", choices=["有", "无"]), "无"),
    ("否", LIVES_ALONE, fmt("独居（Y/N）"), "N"),
    (True, LIVES_ALONE, fmt("独居"), "是"),
    # a yes/no question answered from an element that is not yes/no: present and not none
    ("高血压", CHRONIC, fmt("是否患慢性病"), "是"),
    ("高血压、糖尿病", CHRONIC, fmt("是否患慢性病", choices=["是", "否"]), "是"),
    ("无", CHRONIC, fmt("是否患慢性病"), "否"),
    ("无慢性病", CHRONIC, fmt("是否患慢性病"), "否"),
    ("否", CHRONIC, fmt("是否患慢性病"), "否"),
    (2, VACCINE, fmt("是否接种疫苗"), "是"),
    (0, VACCINE, fmt("有无接种", choices=["有", "无"]), "无"),
    # dates: a real date in a date-formatted column, else text in the asked pattern
    (dt.date(1950, 1, 5), BIRTH, fmt("出生日期", number_format="yyyy.mm"), dt.date(1950, 1, 5)),
    ("1949-12", BIRTH, fmt("出生年月", number_format="yyyy.mm"), dt.date(1949, 12, 1)),
    (dt.date(1950, 1, 5), BIRTH, fmt("出生日期", note_pattern=date_pattern("格式：1950.01")), "1950.01"),
    (dt.date(1950, 1, 5), BIRTH, fmt("出生日期", note_pattern=date_pattern("如1950年1月")), "1950年1月"),
    (dt.date(1950, 1, 5), BIRTH, fmt("出生日期（19500101）"), "19500105"),
    (dt.date(1950, 1, 5), BIRTH, fmt("出生日期", samples=["1962/3/8"]), "1950/1/5"),
    (dt.date(1950, 1, 5), BIRTH, fmt("出生年月"), "1950.01"),  # 出生年月 with no example
    (dt.date(1950, 1, 5), BIRTH, fmt("出生日期"), dt.date(1950, 1, 5)),  # nothing asked: as it was
    (dt.date(1950, 1, 5), BIRTH, fmt("出生日期", number_format="@"), "1950-01-05"),  # a text column
    # counts and amounts are numbers (a typed count arrives as text), except in a text column
    ("119", VACCINE, fmt("本月新增流动人口"), 119),
    ("2.5", ElementKind("household.area", "decimal"), fmt("面积"), 2.5),
    ("119", VACCINE, fmt("本月新增", number_format="@"), "119"),
    ("两次", VACCINE, fmt("次数"), "两次"),  # not a number: as typed, never lost
    # ID numbers always text
    ("11010519491231002X", ID, fmt("身份证号"), "11010519491231002X"),
    (110105194912310045, ID, fmt("身份证号"), "110105194912310045"),
]


@pytest.mark.parametrize(("value", "element", "column", "written"), RENDER)
def test_render_writes_the_value_as_the_column_asks(value, element, column, written):
    got = render(value, element, column)
    assert got.problem is None
    assert got.value == written and type(got.value) is type(written)


CANNOT = [
    ("未说明的性别", SEX, fmt("性别", choices=["男", "女"]), "不在下拉列表中"),
    ("穿青人", ETHNIC, fmt("民族", choices=["汉", "回"]), "不是民族代码"),
    ("不详", CHRONIC, fmt("是否患慢性病"), "不是是/否"),
    ("是", LIVES_ALONE, fmt("是否独居", choices=["已独居", "同住"]), "没有是/否"),
    ("1949-12", BIRTH, fmt("出生日期", number_format="yyyy-mm-dd"), "要求到日"),
    ("1949-12", BIRTH, fmt("出生日期", note_pattern=date_pattern("格式：19500101")), "到日"),
    ("其他", ElementKind("person.remarks", "text"), fmt("备注", choices=["无", "已核实", "待核实"]), "不在下拉列表中"),
]


@pytest.mark.parametrize(("value", "element", "column", "why"), CANNOT)
def test_what_the_column_cannot_hold_is_left_for_the_worker_with_a_reason(value, element, column, why):
    got = render(value, element, column)
    assert got.value is None and why in got.problem


@pytest.mark.parametrize(("example", "asked"), [
    ("格式：1950.01", "1949.12"), ("1950年1月", "1949年12月"), ("19500101", "19491203"),
    ("1950-01-01", "1949-12-03"), ("YYYY.MM", "1949.12"), ("XXXX年XX月", "1949年12月"),
    ("yyyymmdd", "19491203"), ("如：1950.1", "1949.12"), ("日期格式为1950.01.01", "1949.12.03"),
])
def test_a_date_example_becomes_the_pattern_it_shows(example, asked):
    assert date_pattern(example).render(DateValue(1949, 12, 3)) == asked


@pytest.mark.parametrize(("rest", "value", "filled"), [
    ("  年  月  日", dt.date(2026, 12, 5), "2026 年 12 月 5 日"),
    ("____年__月__日", dt.date(2026, 12, 5), "2026年12月5日"),
    ("    年  月", DateValue(2026, 11), "2026 年 11 月"),
    ("", DateValue(2026, 11), "2026年11月"),
    ("", dt.date(2026, 12, 5), "2026年12月5日"),
    ("      ", "红星社区", "红星社区"),
])
def test_a_blank_is_filled_in_the_templates_pattern(rest, value, filled):
    assert fill_blank(rest, value) == filled


def test_blank_labels_that_mean_the_same_blank_get_the_same_value():
    assert blank_kind("填表人") == blank_kind("填报人") == "填报人"
    assert blank_kind("填表日期") == "填报日期" and blank_kind("审核人") is None
    blanks = [Blank("填表人", "A9", "填表人："), Blank("统计时间", "A2", "统计时间："),
              Blank("审核人", "D9", "审核人：")]
    known = {"填报人": "张三", "统计时间": DateValue(2026, 11)}
    assert blank_values(blanks, known) == {"填表人": "张三", "统计时间": DateValue(2026, 11)}


def test_yes_no_questions_are_found_by_their_wording():
    assert asks_yes_no("是否患慢性病") and asks_yes_no("有无残疾") and asks_yes_no("独居（是/否）")
    assert not asks_yes_no("慢性病情况") and not asks_yes_no("性别")


def test_the_matcher_answers_a_yes_no_question_from_the_element_it_asks_about():
    columns = match_headers(["姓名", "是否患慢性病", "慢性病情况", "是否独居"], title="老年人花名册").columns
    assert (columns[1].element, columns[1].derive) == ("person.chronic_disease", "present")
    assert columns[2].derive is None  # the element's own text
    assert (columns[3].element, columns[3].derive) == ("person.lives_alone", None)  # a yes/no element


def test_the_analysis_lists_what_a_dropdown_cannot_express():
    column = fmt("民族", choices=["汉", "回", "其他"])
    problems = expected_problems(column, ETHNIC)
    assert any("缺少民族代码中的 54 项" in p for p in problems)
    assert any("“其他”不是民族代码" in p for p in problems)
    assert expected_problems(fmt("性别", choices=["男", "女"]), SEX) == []  # 未知/未说明 never occur


# --- reading a template -------------------------------------------------------------------

HOLDERS = """
| 老年人健康状况登记表 |      |      |      |              |          |
| 填报单位：           |      |      |      | 填报日期：  年  月  日 |  |
| 序号 | 姓名 | 性别 | 民族 | 公民身份号码 | 出生年月 | 是否患慢性病 |
|      |      |      |      |              |          |              |
| 注：出生年月格式：1950.01；性别、民族按下拉列表填写。 |  |  |  |  |  |  |
| 填表人：             |      |      |      | 联系电话：   |          |              |
"""
CODES = """
| 汉 |
| 回 |
| 满 |
| 蒙古 |
"""


def holders_template(path: Path, *, x14: bool = False) -> Path:
    """性别 dropdown 男,女; 民族 from a code sheet (a range, or Excel 2010's x14 form); the
    ID column formatted as text; a 格式 note; a 年月日 blank; 填表人 and 联系电话 below."""
    write_xlsx(path, table(HOLDERS), merges=["A1:G1", "A5:G5"], sheet="登记表", more=[("代码", table(CODES))])
    book = load_workbook(path)
    ws = book["登记表"]
    sex = DataValidation(type="list", formula1='"男,女"', allow_blank=True)
    ws.add_data_validation(sex)
    sex.add("C4:C200")
    if not x14:
        ethnic = DataValidation(type="list", formula1="代码!$A:$A", allow_blank=True)
        ws.add_data_validation(ethnic)
        ethnic.add("D4:D200")
    ws["E4"].number_format = "@"
    book.save(path)
    if x14:
        ext = ('<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
               'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
               '<x14:dataValidations count="1" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
               '<x14:dataValidation type="list" allowBlank="1"><x14:formula1><xm:f>代码!$A$1:$A$4</xm:f>'
               '</x14:formula1><xm:sqref>D4:D200</xm:sqref></x14:dataValidation></x14:dataValidations>'
               '</ext></extLst></worksheet>')
        rewrite_member(path, "xl/worksheets/sheet1.xml",
                       lambda data: data.replace(b"</worksheet>", ext.encode()))
    return path


@pytest.mark.parametrize("x14", [False, True], ids=["range", "x14"])
def test_each_column_reads_its_dropdown_number_format_wording_and_notes(tmp_path, x14):
    path = holders_template(tmp_path / "t.xlsx", x14=x14)
    layout = read_workbook(path).sheet("登记表")
    formats = read_formats(path, "登记表", layout)
    by_header = {f.header: f for f in formats.columns.values()}
    assert by_header["性别"].choices == ("男", "女") and "validation" in by_header["性别"].sources
    assert by_header["民族"].choices == ("汉", "回", "满", "蒙古")
    assert by_header["公民身份号码"].text_format
    assert by_header["出生年月"].year_month and by_header["出生年月"].pattern.example == "1950.01"
    assert "note" in by_header["出生年月"].sources
    assert by_header["是否患慢性病"].yes_no and "header" in by_header["是否患慢性病"].sources
    assert not by_header["姓名"].inferred


# --- end to end: submitted, admitted, exported for a community ------------------------------

@pytest.fixture
def holders(world, tmp_path):
    write_people(world.worker_a, world.community_a, [
        PersonInput({"person.id_number": "11010519491231002X", "person.name": "王秀英",
                     "person.ethnicity": "汉族", "person.chronic_disease": "高血压"}),
        PersonInput({"person.id_number": "110105195001050014", "person.name": "李明",
                     "person.ethnicity": "回族", "person.chronic_disease": "无"}),
        PersonInput({"person.id_number": "11010519520307003X", "person.name": "张伟",
                     "person.ethnicity": "满族"}),
    ], valid_from=dt.date(2026, 1, 1))
    template = holders_template(tmp_path / "登记表.xlsx")
    request = workflow.submit(world.officer, template, workflow.NewRequest(
        title="老年人健康状况登记表", department=world.department.name, basis="《通知》（岳卫〔2026〕9号）",
        frequency="monthly", scope_code=world.community_a.code,
        justifications={"person.id_number": "核对身份", "person.ethnicity": "民族政策落实",
                        "person.chronic_disease": "慢病随访"}))
    workflow.decide(world.reviewer, request, "admit", mappings_checked=True)
    request.refresh_from_db()
    return world, request


def test_the_request_records_the_derived_yes_no_and_each_columns_format(holders):
    _, request = holders
    columns = {c["header"]: c for c in request.columns}
    assert columns["是否患慢性病"]["element"] == "person.chronic_disease"
    assert columns["是否患慢性病"]["derive"] == "present"
    assert columns["性别"]["format"]["choices"] == ["男", "女"]
    problems = [said(p, "zh-hans") for p in request.analysis["format_problems"]]
    assert any("民族" in p and "缺少民族代码" in p for p in problems)  # 4 of 56: the rest left to the worker
    assert not any("性别" in p for p in problems)
    english = [said(p, "en") for p in request.analysis["format_problems"]]
    assert any(p.startswith("Column") and "lacks 52 of the Ethnic group codes (Tibetan, " in p for p in english), english


@pytest.mark.parametrize("streamed", [True, False], ids=["streamed", "in_place"])
def test_every_value_is_written_the_way_the_template_asks(holders, tmp_path, monkeypatch, streamed):
    from yibiao.sheets import filling

    world, request = holders
    if not streamed:
        monkeypatch.setattr(filling, "STREAMED_LAYOUTS", frozenset())
    result = export_report(world.officer, request, world.community_a, parse_period("2026-11"),
                           tmp_path / "out.xlsx")
    ws = load_workbook(result.path)["登记表"]
    rows = {ws[f"B{r}"].value: r for r in range(4, 7)}
    assert sorted(rows) == ["张伟", "李明", "王秀英"]

    def line(name: str) -> list[object]:
        return [ws[f"{c}{rows[name]}"].value for c in "CDEFG"]

    assert line("王秀英") == ["女", "汉", "11010519491231002X", "1949.12", "是"]
    assert line("李明") == ["男", "回", "110105195001050014", "1950.01", "否"]
    assert line("张伟") == ["男", "满", "11010519520307003X", "1952.03", None]  # no chronic fact: left to fill
    for r in rows.values():
        assert ws[f"C{r}"].value in ("男", "女") and ws[f"D{r}"].value in ("汉", "回", "满", "蒙古")
        assert ws[f"E{r}"].data_type == "s" and ws[f"F{r}"].data_type == "s"
    # the blanks keep their labels and the template's pattern
    today = dt.date.today()
    assert ws["E2"].value == f"填报日期：{today.year} 年 {today.month} 月 {today.day} 日"
    assert ws["A2"].value == f"填报单位：{world.community_a.name}"
    assert ws["A8"].value == "填表人：officer"  # 填表人 is the 填报人
    assert ws["E8"].value == "联系电话："  # nobody's phone is known: left for the worker
    assert ws["A7"].value.startswith("注：出生年月格式")
    sex = ws.data_validations.dataValidation[0]
    assert sex.formula1 == '"男,女"' and all(f"C{r}" in sex.sqref for r in rows.values())  # dropdown kept
    assert result.notes == []


def test_libreoffice_opens_the_formatted_export(holders, tmp_path):
    world, request = holders
    result = export_report(world.officer, request, world.community_a, parse_period("2026-11"),
                           tmp_path / "formats.xlsx")
    lines = as_csv(tmp_path, result.path)["formats"]
    by_name = {line[1]: line for line in lines if len(line) > 6 and line[1]}
    assert by_name["王秀英"][2:7] == ["女", "汉", "11010519491231002X", "1949.12", "是"]
    assert by_name["李明"][5] == "1950.01"  # text, not the number 1950.01 shown as 1950.1
    assert any(cell.startswith("填报日期：") and "年" in cell for line in lines for cell in line)


def test_a_value_the_dropdown_lacks_is_left_blank_and_noted(holders, tmp_path):
    world, request = holders
    write_people(world.worker_a, world.community_a, [
        PersonInput({"person.id_number": "110105195506060015", "person.name": "赵强",
                     "person.ethnicity": "藏族"})], valid_from=dt.date(2026, 1, 1))
    result = export_report(world.officer, request, world.community_a, parse_period("2026-11"),
                           tmp_path / "tibet.xlsx")
    ws = load_workbook(result.path)["登记表"]
    zhao = next(r for r in range(4, 8) if ws[f"B{r}"].value == "赵强")
    assert ws[f"D{zhao}"].value is None
    assert any("第 D 列“民族”" in n and "“藏族”不在下拉列表中" in n for n in result.notes)


SHARED_LINE = """
| 独居老人名册 |      |      |
| 序号 | 姓名 | 年龄 |
| 1    | 张三 | 80   |
| 填表人：          联系电话：            填报日期：    年  月  日 |  |  |
"""


@pytest.mark.parametrize("streamed", [True, False], ids=["streamed", "in_place"])
def test_several_blanks_in_one_cell_are_each_filled_in_place(tmp_path, streamed):
    from yibiao.sheets import fill_template, fill_template_streaming

    path = write_xlsx(tmp_path / "t.xlsx", table(SHARED_LINE), merges=["A1:C1", "A4:C4"])
    layout = read_workbook(path).sheets[0]
    assert [b.label for b in layout.blanks] == ["填表人", "联系电话", "填报日期"]
    blanks = blank_values(layout.blanks, {"填报人": "李四", "填报日期": dt.date(2026, 12, 5)})
    fill = fill_template_streaming if streamed else fill_template
    result = fill(path, tmp_path / "out.xlsx", sheet=layout.name, layout=layout,
                  rows=[[1, "王五", 81], [2, "赵六", 90]], blanks=blanks)
    line = load_workbook(result.path).active["A5"].value
    assert line == "填表人：李四        联系电话：            填报日期：2026 年 12 月 5 日"


def test_a_cards_fields_sharing_a_column_keep_their_own_formats(tmp_path):
    """性别 at D2 and 残疾等级 at D4 share column D: each keeps its own dropdown."""
    from tests import department_templates as department
    from yibiao.sheets import read_workbook
    from yibiao.sheets.formats import read_formats

    path = department.build_card(tmp_path / "card.xlsx")
    layout = read_workbook(path).sheets[0]
    assert layout.layout == "card"
    formats = read_formats(path, layout.name, layout)
    by_header = {c.header: formats.of(c.index, c.cell) for c in layout.columns}
    assert by_header["性别"].choices == ("男", "女")
    assert by_header["残疾等级"].choices == ("一级", "二级", "三级", "四级")
    assert by_header["出生日期"].choices != ("是", "否")
