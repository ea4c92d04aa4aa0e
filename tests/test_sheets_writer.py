"""Filling a department's own template: the header block, styles, dropdowns and print
settings come back as drawn; the data region grows; 合计, 注 and 填报人 follow it down."""
from __future__ import annotations

import csv
import datetime as dt
import shutil
import subprocess
import uuid
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from openpyxl.comments import Comment
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.datavalidation import DataValidation

from tests.sheetfactory import table, write_xls, write_xlsx
from yibiao.sheets import fill_template, fill_template_streaming, read_workbook

SHEET = "花名册"
HEADER_MERGES = {"A1:G1", "A2:C2", "E2:G2", "A3:A4", "B3:D3", "E3:E4", "F3:F4", "G3:G4"}
WIDTHS = dict(zip("ABCDEFG", [6, 10, 22, 16, 12, 10, 14], strict=True))
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


def department_template(path: Path) -> Path:
    """A realistic roster a 民政 office sends out, drawn the way such offices draw them."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = SHEET
    ws["A1"] = "2024年独居老人花名册"
    ws["A1"].font = Font(name="黑体", size=16, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws["A2"], ws["E2"] = "填报单位：      ", "填报日期：  年 月 日"
    cells = {"A3": "序号", "B3": "基本情况", "B4": "姓名", "C4": "公民身份号码", "D4": "出生日期",
             "E3": "补贴金额（元）", "F3": "是否低保", "G3": "联系电话"}
    for ref, text in cells.items():
        ws[ref] = text
    for row in ws["A3:G4"]:
        for cell in row:
            cell.font, cell.border = Font(name="宋体", size=11, bold=True), BOX
            cell.fill = PatternFill("solid", fgColor="FFDDEBF7")
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sample = [1, "张三", "11010519491231002X", dt.date(1949, 12, 31), 300, "是", "13912345678"]
    for col, value in enumerate(sample, start=1):
        cell = ws.cell(row=5, column=col, value=value)
        cell.font, cell.border = Font(name="宋体", size=11), BOX
        cell.alignment = Alignment(vertical="center")
    ws["C5"].number_format = "@"
    ws["D5"].number_format = 'yyyy"年"m"月"d"日"'
    ws["E5"].number_format = "#,##0.00"
    ws["A6"], ws["B6"], ws["E6"] = "合计", "=COUNTA(B5:B5)", "=SUM(E5:E5)"
    for col in range(1, 8):
        ws.cell(row=6, column=col).font = Font(name="宋体", size=11, bold=True)
        ws.cell(row=6, column=col).border = BOX
    ws["A7"] = "注：1. 请如实填写；2. 身份证号填18位。"
    ws["A8"], ws["E8"] = "填报人：", "审核人："
    for ref in HEADER_MERGES | {"A7:G7"}:
        ws.merge_cells(ref)
    for letter, width in WIDTHS.items():
        ws.column_dimensions[letter].width = width
    for row, height in {1: 32, 3: 20, 4: 20, 5: 18, 6: 22}.items():
        ws.row_dimensions[row].height = height
    dropdown = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
    ws.add_data_validation(dropdown)
    dropdown.add("F5:F5")
    ws.conditional_formatting.add("E5:E5", FormulaRule(formula=["$E5>500"],
                                                       fill=PatternFill("solid", bgColor="FFFFC7CE")))
    ws.freeze_panes = "A5"
    ws.print_title_rows = "3:4"
    ws.print_area = "A1:G8"
    ws["C4"].comment = Comment("填18位居民身份证号", "民政科")
    wb.create_sheet("填表说明")["A1"] = "本表每季度报送一次。"
    wb.save(path)
    return path


def person(i: int) -> list[object]:
    """One ledger row in column order; 序号 left to the writer."""
    return [None, f"居民{i}", f"1101051949{i:08d}", dt.date(1950, 1, 1) + dt.timedelta(days=i),
            Decimal("100.50") + i, i % 2 == 0, f"139{i:08d}"]


def fill(tmp_path: Path, n: int, **kwargs: object):
    template = department_template(tmp_path / "template.xlsx")
    layout = read_workbook(template).sheet(SHEET)
    out = tmp_path / "out.xlsx"
    result = fill_template(template, out, sheet=SHEET, layout=layout, rows=[person(i) for i in range(n)],
                           **kwargs)
    return template, result


def style_of(cell) -> tuple:
    """Font, fill, border and alignment as comparable values (openpyxl hands out proxies)."""
    return tuple(repr(part) for part in (cell.font, cell.fill, cell.border, cell.alignment))


@pytest.mark.parametrize("n", [3, 250])
def test_header_block_comes_back_cell_for_cell(tmp_path: Path, n: int) -> None:
    template, result = fill(tmp_path, n)
    src, got = openpyxl.load_workbook(template)[SHEET], openpyxl.load_workbook(result.path)[SHEET]
    for row in range(1, 5):
        for col in range(1, 8):
            a, b = src.cell(row=row, column=col), got.cell(row=row, column=col)
            if (row, col) != (2, 1):  # the 填报单位 blank is ours to fill
                assert a.value == b.value, a.coordinate
            assert style_of(a) == style_of(b), a.coordinate
        assert got.row_dimensions[row].height == src.row_dimensions[row].height
    assert HEADER_MERGES <= {str(m) for m in got.merged_cells.ranges}
    assert {k: got.column_dimensions[k].width for k in WIDTHS} == WIDTHS
    assert got["C4"].comment.text == "填18位居民身份证号"


@pytest.mark.parametrize("n", [3, 250])
def test_data_rows_look_like_the_sample_row_and_replace_it(tmp_path: Path, n: int) -> None:
    template, result = fill(tmp_path, n)
    src, got = openpyxl.load_workbook(template)[SHEET], openpyxl.load_workbook(result.path)[SHEET]
    last = 4 + n
    assert result.data_rows == (5, last) and result.rows_written == n
    assert got["B5"].value == "居民0"  # the sample 张三 is replaced, not kept above our rows
    for row in (5, last):
        for col in range(1, 8):
            assert style_of(got.cell(row=row, column=col)) == style_of(src.cell(row=5, column=col))
        assert got.row_dimensions[row].height == 18
    assert [got.cell(row=r, column=1).value for r in (5, last)] == [1, n]


@pytest.mark.parametrize("n", [3, 250])
def test_totals_note_and_signature_follow_the_data_down(tmp_path: Path, n: int) -> None:
    _, result = fill(tmp_path, n)
    got = openpyxl.load_workbook(result.path)[SHEET]
    last = 4 + n
    assert result.totals_row == last + 1
    assert got.cell(row=last + 1, column=1).value == "合计"
    assert got.cell(row=last + 1, column=5).value == f"=SUM(E5:E{last})"
    assert got.cell(row=last + 1, column=2).value == f"=COUNTA(B5:B{last})"
    assert got.cell(row=last + 1, column=1).font.b and got.row_dimensions[last + 1].height == 22
    assert got.cell(row=last + 2, column=1).value.startswith("注：1.")
    assert f"A{last + 2}:G{last + 2}" in {str(m) for m in got.merged_cells.ranges}
    assert got.cell(row=last + 3, column=1).value == "填报人："


@pytest.mark.parametrize("n", [3, 250])
def test_dropdown_formats_and_print_settings_cover_the_new_rows(tmp_path: Path, n: int) -> None:
    _, result = fill(tmp_path, n)
    got = openpyxl.load_workbook(result.path)[SHEET]
    last = 4 + n
    (dropdown,) = got.data_validations.dataValidation
    assert (str(dropdown.sqref), dropdown.formula1) == (f"F5:F{last}", '"是,否"')
    assert [str(cf.sqref) for cf in got.conditional_formatting] == [f"E5:E{last}"]
    assert got.freeze_panes == "A5"
    assert got.print_title_rows == "$3:$4"
    assert got.print_area == f"'{SHEET}'!$A$1:$G${last + 3}"
    assert [got.cell(row=r, column=6).value for r in (5, 6)] == ["是", "否"]  # the dropdown's words


def test_ids_and_phones_are_text_and_dates_are_dates(tmp_path: Path) -> None:
    _, result = fill(tmp_path, 3)
    got = openpyxl.load_workbook(result.path)[SHEET]
    ids = [got.cell(row=r, column=3) for r in range(5, 8)]
    assert [c.value for c in ids] == [f"1101051949{i:08d}" for i in range(3)]
    assert all(c.data_type == "s" and c.number_format == "@" and len(c.value) == 18 for c in ids)
    assert got["G5"].data_type == "s" and got["G5"].value == "13900000000"
    assert got["D6"].is_date and got["D6"].value.date() == dt.date(1950, 1, 2)
    assert got["D6"].number_format == 'yyyy"年"m"月"d"日"'  # the department's own date format
    assert got["E6"].data_type == "n" and got["E6"].value == 101.5


def test_other_sheets_are_left_alone(tmp_path: Path) -> None:
    template, result = fill(tmp_path, 3)
    assert openpyxl.load_workbook(result.path).sheetnames == [SHEET, "填表说明"]
    assert openpyxl.load_workbook(result.path)["填表说明"]["A1"].value == "本表每季度报送一次。"


def test_blanks_in_the_label_cell_are_rewritten(tmp_path: Path) -> None:
    _, result = fill(tmp_path, 3, blanks={"填报单位": "红星社区", "填报日期": dt.date(2024, 5, 1),
                                          "填报人": "李四", "盖章": "x"})
    got = openpyxl.load_workbook(result.path)[SHEET]
    assert got["A2"].value == "填报单位：红星社区"
    assert got["E2"].value == "填报日期：2024 年 5 月 1 日"  # the template's spacing kept
    assert got["A10"].value == "填报人：李四"  # moved down with the footer, then filled
    assert result.notes == ["模板中没有找到填报项「盖章」，未填写。"]


def test_a_blank_with_its_own_underlined_cell_gets_the_value_there(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "t.xlsx", table("""
    | 填报单位：   |          |      |
    | 姓名         | 身份证号 | 电话 |
    """))
    wb = openpyxl.load_workbook(path)
    wb.active["B1"].border = Border(bottom=THIN)
    wb.save(path)
    layout = read_workbook(path).sheets[0]
    out = fill_template(path, tmp_path / "o.xlsx", sheet="Sheet1", layout=layout,
                        rows=[["王五", "110105194912310045", "13812345678"]], blanks={"填报单位": "红星社区"})
    got = openpyxl.load_workbook(out.path).active
    assert (got["A1"].value, got["B1"].value) == ("填报单位：", "红星社区")
    assert got["B3"].value == "110105194912310045"


def test_text_that_looks_like_a_formula_stays_text(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "t.xlsx", table("""
    | 姓名 | 备注 |
    """))
    layout = read_workbook(path).sheets[0]
    out = fill_template(path, tmp_path / "o.xlsx", sheet="Sheet1", layout=layout,
                        rows=[["=HYPERLINK(\"http://x\")", 110105194912310045]])
    got = openpyxl.load_workbook(out.path).active
    assert got["A2"].data_type == "s" and got["A2"].value.startswith("=HYPERLINK")
    assert got["B2"].value == "110105194912310045"  # a too-long integer is a code, not 1.1E+17


AGGREGATE = table("""
| 各社区特殊人群统计表 |              |              |            |
| 社区                 | 独居老人数（人） | 低保户数（户） | 残疾人数（人） |
| 东风社区             | 12           | 3            | 5          |
| 合计                 | 12           | 3            | 5          |
""")


def test_aggregate_totals_without_formulas_get_sums(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "agg.xlsx", AGGREGATE, merges=["A1:D1"])
    layout = read_workbook(path).sheets[0]
    assert layout.layout == "aggregate"
    rows = [["东风社区", 12, 3, 5], ["红旗社区", 8, 1, 2], ["向阳社区", 4, 0, 1]]
    result = fill_template(path, tmp_path / "o.xlsx", sheet="Sheet1", layout=layout, rows=rows)
    got = openpyxl.load_workbook(result.path).active
    assert result.totals_row == 6
    assert [got.cell(row=6, column=c).value for c in range(1, 5)] == [
        "合计", "=SUM(B3:B5)", "=SUM(C3:C5)", "=SUM(D3:D5)"]
    assert any("求和公式" in n for n in result.notes)


def test_xls_template_comes_back_as_xlsx_with_a_note(tmp_path: Path) -> None:
    template = write_xls(tmp_path / "old.xls", table("""
    | 低保户花名册 |          |                    |
    | 填报单位：   |          |                    |
    | 序号         | 户主姓名 | 身份证号           |
    | 1            | 张三     | 11010519491231002X |
    | 注：请如实填写 |        |                    |
    """), merges=["A1:C1"])
    layout = read_workbook(template).sheets[0]
    rows = [[None, "李四", "110105194912310045"], [None, "王五", "110105195001010012"]]
    result = fill_template(template, tmp_path / "out.xls", sheet=layout.name, layout=layout, rows=rows,
                           blanks={"填报单位": "红星社区"})
    assert result.path.suffix == ".xlsx"
    assert any(".xls 格式" in n for n in result.notes)
    got = openpyxl.load_workbook(result.path).active
    assert [[c.value for c in row] for row in got.iter_rows(min_row=1, max_row=6)] == [
        ["低保户花名册", None, None], ["填报单位：红星社区", None, None], ["序号", "户主姓名", "身份证号"],
        [1, "李四", "110105194912310045"], [2, "王五", "110105195001010012"], ["注：请如实填写", None, None]]
    assert "A1:C1" in {str(m) for m in got.merged_cells.ranges}


CARD = table("""
| 居民基本信息登记表 |      |          |      |
| 姓名               |      | 性别     |      |
| 出生日期           |      | 民族     |      |
| 身份证号           |      |          |      |
| 现住址             |      |          |      |
| 填表人：           |      | 日期：   |      |
""")


def test_card_layout_gives_one_sheet_per_subject(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "card.xlsx", CARD, merges=["A1:D1", "B4:D4", "B5:D5"])
    wb = openpyxl.load_workbook(path)
    wb.active.column_dimensions["B"].width = 24
    wb.active.print_area = "A1:D6"
    wb.save(path)
    layout = read_workbook(path).sheets[0]
    cards = [{"姓名": "张三", "性别": "男", "身份证号": "11010519491231002X", "出生日期": dt.date(1949, 12, 31)},
             {"姓名": "李四", "性别": "女", "身份证号": "110105194912310045", "民族": "汉"}]
    result = fill_template(path, tmp_path / "cards.xlsx", sheet="Sheet1", layout=layout, rows=[], cards=cards,
                           blanks={"填表人": "王五"})
    got = openpyxl.load_workbook(result.path)
    assert got.sheetnames == result.sheets == ["Sheet1(1)", "Sheet1(2)"]
    first, second = got["Sheet1(1)"], got["Sheet1(2)"]
    assert (first["B2"].value, first["B4"].value, first["B3"].is_date) == ("张三", "11010519491231002X", True)
    assert (second["B2"].value, second["D3"].value, second["B4"].data_type) == ("李四", "汉", "s")
    assert first["A6"].value == "填表人：王五"
    for ws in (first, second):
        assert {"A1:D1", "B4:D4", "B5:D5"} <= {str(m) for m in ws.merged_cells.ranges}
        assert ws.column_dimensions["B"].width == 24 and ws.print_area == f"'{ws.title}'!$A$1:$D$6"
    named = fill_template(path, tmp_path / "named.xlsx", sheet="Sheet1", layout=layout, rows=[], cards=cards,
                          name_key="姓名")
    assert named.sheets == ["张三", "李四"]


# --- a real spreadsheet program opens what we write -------------------------------------

def libreoffice(src: Path, fmt: str, tmp_path: Path) -> Path:
    """Convert with LibreOffice in its own profile, so parallel runs do not share a lock."""
    soffice = shutil.which("soffice")
    # A requirement of the suite (`make test` installs it), not an optional extra.
    assert soffice is not None, "LibreOffice (soffice) is not installed: run `make system-deps`"
    outdir = tmp_path / f"lo-{fmt.split(':')[0]}"
    profile = f"file:///tmp/lo-profile-{uuid.uuid4().hex}"
    subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", fmt,
                    "--outdir", str(outdir), str(src)], check=True, capture_output=True, timeout=120)
    converted = outdir / f"{src.stem}.{fmt.split(':')[0]}"
    assert converted.exists(), f"LibreOffice wrote nothing for {src.name}"
    return converted


# UTF-8 (76), first sheet, cells as shown: what a person sees in Calc.
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true"


def check_in_libreoffice(path: Path, n: int, tmp_path: Path) -> None:
    with libreoffice(path, CSV_FILTER, tmp_path).open(encoding="utf-8") as fh:
        lines = list(csv.reader(fh))
    data = lines[4:4 + n]
    assert [r[2] for r in data] == [f"1101051949{i:08d}" for i in range(n)]  # never 1.1E+17
    assert data[1][3] == "1950年1月2日"
    totals = lines[4 + n]
    assert totals[0] == "合计" and totals[1] == str(n)
    assert float(totals[4].replace(",", "")) == float(sum(Decimal("100.50") + i for i in range(n)))
    assert lines[5 + n][0].startswith("注：1.")


def test_libreoffice_reads_the_values_and_computes_the_totals(tmp_path: Path) -> None:
    _, result = fill(tmp_path, 250)
    check_in_libreoffice(result.path, 250, tmp_path)
    pdf = libreoffice(result.path, "pdf", tmp_path)
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 1000


# --- streaming, for very large exports ---------------------------------------------------

def test_streaming_rebuilds_the_sheet_around_the_rows(tmp_path: Path) -> None:
    template = department_template(tmp_path / "template.xlsx")
    layout = read_workbook(template).sheet(SHEET)
    n = 300
    result = fill_template_streaming(template, tmp_path / "big.xlsx", sheet=SHEET, layout=layout,
                                     rows=(person(i) for i in range(n)), blanks={"填报单位": "红星社区"})
    assert (result.rows_written, result.data_rows, result.totals_row) == (n, (5, 4 + n), 5 + n)
    src, got = openpyxl.load_workbook(template)[SHEET], openpyxl.load_workbook(result.path)[SHEET]
    for row in range(1, 5):
        for col in range(1, 8):
            a, b = src.cell(row=row, column=col), got.cell(row=row, column=col)
            if (row, col) != (2, 1):
                assert a.value == b.value, a.coordinate
            assert style_of(a) == style_of(b), a.coordinate
    for row in (5, 4 + n):
        for col in range(1, 8):
            assert style_of(got.cell(row=row, column=col)) == style_of(src.cell(row=5, column=col))
    assert got["A2"].value == "填报单位：红星社区"
    assert HEADER_MERGES | {f"A{n + 6}:G{n + 6}"} <= {str(m) for m in got.merged_cells.ranges}
    assert {k: got.column_dimensions[k].width for k in WIDTHS} == WIDTHS
    assert got.row_dimensions[1].height == 32 and got.row_dimensions[4 + n].height == 18
    assert got.freeze_panes == "A5" and got.print_title_rows == "$3:$4"
    assert str(got.data_validations.dataValidation[0].sqref) == f"F5:F{4 + n}"
    assert [str(cf.sqref) for cf in got.conditional_formatting] == [f"E5:E{4 + n}"]
    assert got[f"E{5 + n}"].value == f"=SUM(E5:E{4 + n})"
    assert got["C5"].data_type == "s" and got["C5"].number_format == "@"
    assert got.print_area == f"'{SHEET}'!$A$1:$G${n + 7}"
    assert got["C4"].comment.text == "填18位居民身份证号"
    book = openpyxl.load_workbook(result.path)
    assert book.sheetnames == [SHEET, "填表说明"] and book["填表说明"]["A1"].value == "本表每季度报送一次。"
    assert result.notes == []
    check_in_libreoffice(result.path, n, tmp_path)
