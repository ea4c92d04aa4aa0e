"""Real templates as they come (issue 14, item 6): each trait of the county and township
templates departments send, as a small file built by tests/realshapes.py, read with the
header block, layout and column elements a careful person would give it."""
from __future__ import annotations

import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from tests.realshapes import (
    CARD_LAST,
    SHAPES,
    Shape,
    card_checkboxes,
    card_long,
    macro_xls,
    macro_xlsx,
)
from tests.sheetfactory import table, write_xlsx
from yibiao.matching import inspect_files, match_headers
from yibiao.matching.normalise import field_name
from yibiao.sheets import (
    MESSAGES_EN,
    MESSAGES_ZH,
    SheetError,
    fill_template,
    fill_template_streaming,
    read_workbook,
)
from yibiao.sheets.formats import read_formats
from yibiao.sheets.safety import inspect_file

READ = [s for s in SHAPES if not s.refused]


@pytest.fixture
def built(tmp_path: Path, request: pytest.FixtureRequest) -> tuple[Shape, Path]:
    shape: Shape = request.param
    return shape, shape.build(tmp_path)


@pytest.mark.parametrize("built", READ, ids=[s.name for s in READ], indirect=True)
def test_header_block_and_layout(built: tuple[Shape, Path]) -> None:
    shape, path = built
    sheet = read_workbook(path).sheets[0]
    assert (sheet.header_rows, sheet.data_start_row) == (shape.header_rows, shape.data_start_row)
    if shape.layout == "aggregate":  # telling it from a list is sheets/aggregate.py's work
        assert sheet.layout in ("aggregate", "list")
    else:
        assert sheet.layout == shape.layout


@pytest.mark.parametrize("built", READ, ids=[s.name for s in READ], indirect=True)
def test_every_auto_mapping_is_right_and_coded_columns_are_found(built: tuple[Shape, Path]) -> None:
    shape, path = built
    [result] = inspect_files([path])
    found = {c.get("cell") or c["column"]: c for c in result["sheets"][0]["columns"]}
    assert set(shape.gold) <= set(found)
    wrong = {at: found[at]["element"] for at, gold in shape.gold.items()
             if found[at]["status"] == "auto" and found[at]["element"] != gold}
    assert wrong == {}
    unmapped = [at for at, gold in shape.gold.items() if gold and found[at]["element"] != gold]
    assert unmapped == []


@pytest.mark.parametrize("built", [s for s in SHAPES if s.refused], ids=lambda s: s.name, indirect=True)
def test_a_macro_workbook_stays_refused(built: tuple[Shape, Path]) -> None:
    shape, path = built
    with pytest.raises(SheetError) as refused:
        read_workbook(path)
    assert refused.value.code == shape.refused == "macros"
    assert path.name in refused.value.message and ".xlsm" in refused.value.message_en


# --- macros: read, never run, written without them -----------------------------------------

@pytest.mark.parametrize("build", [macro_xlsx, macro_xls], ids=["xlsx", "xls"])
def test_macros_are_read_past_with_a_notice_in_both_languages(tmp_path: Path, build) -> None:
    path = build(tmp_path)
    book = read_workbook(path)
    assert [w.code for w in book.warnings] == ["macros_ignored"]
    assert "宏" in book.warnings[0].message and path.name in book.warnings[0].message
    assert "never run" in book.warnings[0].message_en
    assert [c.header for c in book.sheets[0].columns] == ["序号", "姓名", "身份证号", "联系电话"]
    [inspected] = inspect_files([path])
    assert [w["code"] for w in inspected["warnings"]] == ["macros_ignored"]
    assert inspect_file(path, scan_cells=False).macros
    assert set(MESSAGES_ZH) == set(MESSAGES_EN)


@pytest.mark.parametrize("writer", [fill_template, fill_template_streaming], ids=["in_place", "streaming"])
@pytest.mark.parametrize("build", [macro_xlsx, macro_xls], ids=["xlsx", "xls"])
def test_a_filled_macro_template_is_a_macro_free_xlsx(tmp_path: Path, build, writer) -> None:
    path = build(tmp_path)
    sheet = read_workbook(path).sheets[0]
    result = writer(path, tmp_path / "filled.xlsx", sheet=sheet.name, layout=sheet,
                    rows=[[1, "李四", "430104195001010027", "13800000000"]])
    assert result.path.suffix == ".xlsx"
    with zipfile.ZipFile(result.path) as zf:
        assert not [n for n in zf.namelist() if "vba" in n.lower()]
        for part in ("[Content_Types].xml", "xl/_rels/workbook.xml.rels"):
            assert b"vba" not in zf.read(part).lower() and b"macroEnabled" not in zf.read(part)
    assert openpyxl.load_workbook(result.path).active["B2"].value == "李四"


def test_an_xlsm_is_refused_even_without_a_vba_part(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "m.xlsx", table("| 姓名 |")).rename(tmp_path / "m.xlsm")
    with pytest.raises(SheetError, match="xlsm"):
        inspect_file(path)


# --- what the header cells hold --------------------------------------------------------------

@pytest.mark.parametrize("header, name", [
    ("姓名\n填写说明：与身份证上的姓名一致", "姓名"),
    ("身份证号码\n填写说明：\n1. 18位，末位X大写；\n2. 不要输入空格", "身份证号码"),
    ("联系电话 说明：11位手机号码", "联系电话"),
    ("入伍时间\n例：2001.12", "入伍时间"),
    ("出生日期\n请按1950.01格式填写", "出生日期"),
    ("身份證號碼\n填寫說明：18位", "身份证号码"),
    ("身\n份\n证\n号", "身\n份\n证\n号"),  # vertical text: no instruction, kept whole
    ("家庭住址", "家庭住址"),
])
def test_the_field_name_ahead_of_fill_instructions(header: str, name: str) -> None:
    assert field_name(header) == name


def test_instructions_stay_in_the_header_text(tmp_path: Path) -> None:
    shape = next(s for s in SHAPES if s.name == "instructions_in_header")
    sheet = read_workbook(shape.build(tmp_path)).sheets[0]
    assert sheet.columns[2].header.startswith("身份证号码\n填写说明：")


@pytest.mark.parametrize("header, element", [
    ("镇名称", "org.township"), ("乡镇名称", "org.township"), ("村名称", "org.community"),
    ("所属社区", "org.community"), ("贫困村", "org.community"), ("所属村（社区）", "org.community"),
    ("户码", "household.number"), ("农户编码", "household.number"),
])
def test_org_unit_and_household_code_columns(header: str, element: str) -> None:
    match = match_headers(["序号", header, "户主姓名", "家庭人口数"], "农户信息表")
    assert match.columns[1].element == element


# --- the rows under the header ---------------------------------------------------------------

def test_placeholders_are_not_sample_values(tmp_path: Path) -> None:
    shape = next(s for s in SHAPES if s.name == "placeholder_braces")
    sheet = read_workbook(shape.build(tmp_path)).sheets[0]
    assert [c.samples for c in sheet.columns] == [[]] * 5
    assert sheet.sample_rows == [2]  # the row a filled report overwrites


@pytest.mark.parametrize("name", ["agg_totals_under_header", "agg_totals_merged"])
def test_a_totals_row_under_the_header_is_in_the_data_area(tmp_path: Path, name: str) -> None:
    shape = next(s for s in SHAPES if s.name == name)
    sheet = read_workbook(shape.build(tmp_path)).sheets[0]
    assert sheet.totals_rows == [shape.data_start_row]
    assert sheet.header_rows[1] < sheet.totals_rows[0]


def test_a_totals_row_under_a_wide_header_label_is_not_absorbed(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "wide.xlsx", table("""
    | 项目 |      | 户数 | 人数 |
    | 总合计 |    |      |      |
    | 东塘村 | 1组 |     |      |
    """), merges=["A1:B1", "A2:B2"])
    sheet = read_workbook(path).sheets[0]
    assert (sheet.header_rows, sheet.data_start_row, sheet.totals_rows) == ((1, 1), 2, [2])


@pytest.mark.parametrize("numbers", [
    ["（1）", "（2）", "（3）", "（4）"], ["甲", "乙", "1", "2"], ["1", "2", "3", "4"], [1, 2, 3, 4],
    ["①", "②", "③", "④"], ["栏次", "1", "2", "3"],
])
def test_a_column_number_row_under_the_header(tmp_path: Path, numbers: list) -> None:
    path = write_xlsx(tmp_path / "n.xlsx", [["单位", "户数", "人数", "低保户数"], numbers, ["东塘村", 3, 9, 1]])
    sheet = read_workbook(path).sheets[0]
    assert (sheet.header_rows, sheet.data_start_row) == ((1, 1), 3)


def test_256_formatted_empty_columns_give_only_the_table(tmp_path: Path) -> None:
    shape = next(s for s in SHAPES if s.name == "formatted_256")
    sheet = read_workbook(shape.build(tmp_path)).sheets[0]
    assert [c.letter for c in sheet.columns] == ["A", "B", "C", "D", "E"]


# --- cards -------------------------------------------------------------------------------------

def test_a_questionnaire_card_is_read_to_its_last_label(tmp_path: Path) -> None:
    sheet = read_workbook(card_long(tmp_path)).sheets[0]
    assert sheet.layout == "card" and sheet.header_rows == (2, CARD_LAST)
    cells = [c.cell for c in sheet.columns]
    assert f"B{CARD_LAST}" in cells and len(cells) == len(set(cells)) == 9 + 32 * 3 + 2


def test_every_label_of_a_long_card_is_filled(tmp_path: Path) -> None:
    path = card_long(tmp_path)
    sheet = read_workbook(path).sheets[0]
    card = {c.header: f"答{c.cell}" for c in sheet.columns}
    result = fill_template(path, tmp_path / "card.xlsx", sheet=sheet.name, layout=sheet, rows=[],
                           cards=[card])
    ws = openpyxl.load_workbook(result.path).worksheets[0]
    assert {c.cell: ws[c.cell].value for c in sheet.columns} == {c.cell: f"答{c.cell}" for c in sheet.columns}


def test_labels_merged_over_cells_and_rows_name_their_value_cells(tmp_path: Path) -> None:
    shape = next(s for s in SHAPES if s.name == "card_split_labels")
    sheet = read_workbook(shape.build(tmp_path)).sheets[0]
    assert {c.cell: c.header for c in sheet.columns} == {
        "C2": "姓名", "G2": "性别", "C3": "公民身份号码", "C4": "户籍地址", "C6": "联系电话",
        "G6": "民族", "C7": "现住地址"}


def test_option_cells_are_a_cards_answers(tmp_path: Path) -> None:
    sheet = read_workbook(card_checkboxes(tmp_path)).sheets[0]
    assert sheet.layout == "card"
    assert {c.header: c.cell for c in sheet.columns}["性别"] == "D2"


# --- every file answers within the inspection's time limit ------------------------------------

def test_a_column_merged_to_the_last_row_is_read_with_its_formats_at_once(tmp_path: Path) -> None:
    shape = next(s for s in SHAPES if s.name == "merged_to_bottom")
    path = shape.build(tmp_path)
    started = time.perf_counter()
    sheet = read_workbook(path).sheets[0]
    formats = read_formats(path, sheet.name, sheet)  # what the admission analysis reads (was 28 s)
    assert time.perf_counter() - started < 5
    assert sorted(formats.columns) == [1, 2, 3, 4]
