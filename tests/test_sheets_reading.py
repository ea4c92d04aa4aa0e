"""Reading department templates the way a careful person would: header block, blanks,
notes, totals, hidden columns, layout kinds, traditional characters, legacy .xls."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.sheetfactory import table, write_xls, write_xlsx
from yibiao.sheets import iter_rows, read_workbook

ROSTER = table("""
| 2024年独居老人花名册 |          |          |                    |          |
| 填报单位（盖章）：   |          |          | 填报日期：  年 月 日 |          |
| 序号                 | 基本情况 |          |                    | 联系方式 |
|                      | 姓名     | 性别     | 公民身份号码       | 联系电话 |
| 1                    | 张三     | 男       | 11010519491231002X | 13912345678 |
| 2                    | 李四     | 女       | 110105194912310045 | 13812345678 |
| 合  计               | 2人      |          |                    |          |
| 注：1. 请如实填写。  |          |          |                    |          |
| 填报人：             |          | 审核人： |                    |          |
""")
ROSTER_MERGES = ["A1:E1", "A3:A4", "B3:D3"]


@pytest.fixture
def roster(tmp_path: Path):
    path = write_xlsx(tmp_path / "roster.xlsx", ROSTER, merges=ROSTER_MERGES, hidden_cols=["C"])
    return read_workbook(path).sheets[0]


def test_merged_title_is_not_part_of_the_header(roster) -> None:
    assert roster.title == "2024年独居老人花名册"
    assert roster.header_rows == (3, 4)
    assert roster.data_start_row == 5


def test_two_level_merged_header_gives_each_column_its_path(roster) -> None:
    paths = {c.letter: c.path for c in roster.columns}
    assert paths == {"A": ["序号"], "B": ["基本情况", "姓名"], "C": ["基本情况", "性别"],
                     "D": ["基本情况", "公民身份号码"], "E": ["联系方式", "联系电话"]}
    assert [c.header for c in roster.columns] == ["序号", "姓名", "性别", "公民身份号码", "联系电话"]


def test_blanks_above_and_below_the_table_with_their_cells(roster) -> None:
    assert [(b.label, b.cell) for b in roster.blanks] == [
        ("填报单位", "A2"), ("填报日期", "D2"), ("填报人", "A9"), ("审核人", "C9")]


def test_notes_totals_and_samples(roster) -> None:
    assert [n.text for n in roster.notes] == ["注：1. 请如实填写。"]
    assert roster.totals_rows == [7]
    assert roster.sample_rows == [5, 6]
    id_column = next(c for c in roster.columns if c.letter == "D")
    assert id_column.samples == ["11010519491231002X", "110105194912310045"]


def test_hidden_column_is_reported(roster) -> None:
    assert roster.hidden_columns == [3]
    assert [c.letter for c in roster.columns if c.hidden] == ["C"]
    assert roster.layout == "list"


def test_header_on_the_first_row(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "plain.xlsx", table("""
    | 姓名 | 身份证号 | 电话 |
    """))
    sheet = read_workbook(path).sheets[0]
    assert (sheet.header_rows, sheet.data_start_row) == ((1, 1), 2)
    assert [c.letter for c in sheet.columns] == ["A", "B", "C"]


def test_traditional_characters_are_kept_as_written_and_blanks_recognised(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "trad.xlsx", table("""
    | 流動人口登記表 |          |          |
    | 填報單位：     |          | 填報日期： |
    | 序號           | 姓名     | 身份證號 |
    | 合計           |          |          |
    | 註：請如實填寫 |          |          |
    """), merges=["A1:C1"])
    sheet = read_workbook(path).sheets[0]
    assert [c.header for c in sheet.columns] == ["序號", "姓名", "身份證號"]
    assert [b.label for b in sheet.blanks] == ["填报单位", "填报日期"]
    assert sheet.totals_rows == [4]
    assert [n.row for n in sheet.notes] == [5]


def test_legacy_xls_with_merged_header_and_hidden_parts(tmp_path: Path) -> None:
    path = write_xls(tmp_path / "old.xls", table("""
    | 人员花名册 |          |          |
    | 序号       | 基本情况 |          |
    |            | 姓名     | 身份证号 |
    | 1          | 张三     | 11010519491231002X |
    """), merges=["A1:C1", "A2:A3", "B2:C2"], hidden_cols=["C"], hidden_rows=[4])
    book = read_workbook(path)
    sheet = book.sheets[0]
    assert book.format == "xls"
    assert sheet.header_rows == (2, 3)
    assert [c.path for c in sheet.columns] == [["序号"], ["基本情况", "姓名"], ["基本情况", "身份证号"]]
    assert sheet.hidden_columns == [3] and sheet.hidden_rows == [4]


CARD = table("""
| 居民基本信息登记表 |      |          |      |
| 姓名               |      | 性别     |      |
| 出生日期           |      | 民族     |      |
| 身份证号           |      |          |      |
| 现住址             |      |          |      |
| 填表人：           |      | 日期：   |      |
""")


def test_card_layout_labels_name_the_cell_beside_them(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "card.xlsx", CARD, merges=["A1:D1", "B4:D4", "B5:D5"])
    sheet = read_workbook(path).sheets[0]
    assert sheet.layout == "card"
    assert [(c.header, c.cell) for c in sheet.columns] == [
        ("姓名", "B2"), ("性别", "D2"), ("出生日期", "B3"), ("民族", "D3"), ("身份证号", "B4"), ("现住址", "B5")]
    assert [b.label for b in sheet.blanks] == ["填表人", "日期"]


AGGREGATE = table("""
| 各社区特殊人群统计表 |              |              |            |
| 社区                 | 独居老人数（人） | 低保户数（户） | 残疾人数（人） |
| 甲                   | 1            | 2            | 3          |
| 东风社区             | 12           | 3            | 5          |
| 红旗社区             | 8            | 1            | 2          |
| 合计                 | 20           | 4            | 7          |
""")


def test_aggregate_layout_skips_the_column_number_row(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "agg.xlsx", AGGREGATE, merges=["A1:D1"])
    sheet = read_workbook(path).sheets[0]
    assert sheet.layout == "aggregate"
    assert sheet.header_rows == (2, 2)
    assert sheet.data_start_row == 4
    assert sheet.totals_rows == [6]


def test_iter_rows_casts_integral_floats_and_keeps_ids_as_text(tmp_path: Path) -> None:
    rows = [["序号", "身份证号", "手机", "日期"],
            [1, "11010519491231002X", 13912345678, dt.datetime(2024, 5, 1)],
            [2, "110105194912310045", 13812345678, None]]
    path = write_xlsx(tmp_path / "data.xlsx", rows)
    got = list(iter_rows(path, "Sheet1", start_row=2))
    assert got[0][:3] == [1, "11010519491231002X", 13912345678]
    assert isinstance(got[0][0], int) and isinstance(got[0][2], int)
    assert got[0][3] in (dt.date(2024, 5, 1), dt.datetime(2024, 5, 1))
    assert got[1][3] is None
    assert len(got) == 2


def test_iter_rows_row_numbers_are_as_excel_shows(tmp_path: Path) -> None:
    rows = [[None, None], [None, None], [None, "标题"], [None, "姓名"], [None, "张三"]]
    path = write_xlsx(tmp_path / "offset.xlsx", rows)
    assert list(iter_rows(path, 0, start_row=5)) == [[None, "张三"]]
