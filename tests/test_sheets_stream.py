"""The streaming fill writes into the template's own package: values keep their types and
survive any text, the rest of the workbook comes back as it was, and what sits below the
data (pictures, comments, names, other sheets' formulas) follows the rows down."""
from __future__ import annotations

import csv
import datetime as dt
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Border, Font, PatternFill, Side
from openpyxl.styles.colors import Color

from tests.sheetfactory import table, write_xls, write_xlsx
from tests.test_sheets_writer import (
    AGGREGATE,
    CARD,
    CSV_FILTER,
    SHEET,
    department_template,
    libreoffice,
    person,
    style_of,
)
from yibiao.sheets import fill_template, fill_template_streaming, read_workbook
from yibiao.sheets.stream import EXCEL_MAX_CHARS

EMOJI_AND_RARE = "👵🏻独居 𠀀𪚥 家"  # 4-byte characters: an emoji with a skin tone, CJK extension B
NASTY = ["<b>张&李</b> > 3", "tab\there\nline two", "a\rb", "_x0041_ stays literal", "\x01bell\x07gone\x1f",
         "  leading and trailing  ", "=1+1", EMOJI_AND_RARE]


def stream(tmp_path: Path, rows: list[list[object]], template: Path | None = None, **kwargs: object):
    template = template or department_template(tmp_path / "template.xlsx")
    layout = read_workbook(template).sheet(SHEET)
    result = fill_template_streaming(template, tmp_path / "out.xlsx", sheet=SHEET, layout=layout, rows=iter(rows),
                                     **kwargs)
    return template, result


def test_numbers_dates_and_codes_keep_their_types(tmp_path: Path) -> None:
    rows = [
        [None, "甲", "11010519491231002X", dt.date(1900, 1, 1), 7, True, "13912345678"],
        [None, "乙", 110105194912310045, dt.datetime(2024, 5, 1, 8, 30), 1.25, False, "0731-88886666"],
        [None, "丙", "00123", dt.datetime(2024, 5, 2), Decimal("100.50"), None, float("nan")],
        [None, "丁", None, None, -3, "是", dt.time(14, 5)],
    ]
    _, result = stream(tmp_path, rows)
    got = openpyxl.load_workbook(result.path)[SHEET]
    assert [got.cell(row=r, column=1).value for r in range(5, 9)] == [1, 2, 3, 4]  # 序号 written by the writer
    assert [got.cell(row=r, column=5).value for r in range(5, 9)] == [7, 1.25, 100.5, -3]
    assert all(got.cell(row=r, column=5).data_type == "n" for r in range(5, 9))
    assert got["E5"].number_format == "#,##0.00"  # the template's own number format
    ids = [got.cell(row=r, column=3) for r in (5, 6, 7)]
    assert [c.value for c in ids] == ["11010519491231002X", "110105194912310045", "00123"]
    assert all(c.data_type == "s" and c.number_format == "@" for c in ids)
    assert got["G6"].value == "0731-88886666" and got["G6"].data_type == "s"
    assert got["D5"].value == dt.datetime(1900, 1, 1) and got["D5"].number_format == 'yyyy"年"m"月"d"日"'
    assert got["D6"].value == dt.datetime(2024, 5, 1, 8, 30)
    assert got["D7"].value == dt.datetime(2024, 5, 2)
    assert [got.cell(row=r, column=6).value for r in (5, 6, 8)] == ["是", "否", "是"]  # the dropdown's words
    assert got["G7"].value is None  # NaN is no number
    assert got["G8"].is_date and got["G8"].value == dt.time(14, 5)
    assert got["C8"].value is None and got["C8"].border.left.style == "thin"  # a blank keeps its ruling


def test_any_text_survives(tmp_path: Path) -> None:
    rows = [[None, text, None, None, None, None, None] for text in NASTY]
    _, result = stream(tmp_path, rows)
    got = openpyxl.load_workbook(result.path)[SHEET]
    back = [got.cell(row=5 + i, column=2).value for i in range(len(NASTY))]
    assert back[:3] == ["<b>张&李</b> > 3", "tab\there\nline two", "a\rb"]
    assert back[3] == "_x005F_x0041_ stays literal"  # Excel's spelling; Excel and LibreOffice show _x0041_
    assert back[4] == "bellgone"  # control characters XML cannot hold are dropped, as openpyxl does
    assert back[5:] == ["  leading and trailing  ", "=1+1", EMOJI_AND_RARE]
    assert got["B11"].data_type == "s"  # '=1+1' is text, never a formula


def test_long_text_is_kept_up_to_excels_limit(tmp_path: Path) -> None:
    long, too_long = "长" * 20_000, "𠀀" + "x" * EXCEL_MAX_CHARS  # the CJK-B char counts twice in UTF-16
    _, result = stream(tmp_path, [[None, long], [None, too_long]])
    got = openpyxl.load_workbook(result.path)[SHEET]
    assert got["B5"].value == long
    assert got["B6"].value == too_long[:EXCEL_MAX_CHARS - 1]
    assert result.notes == ["第 B6 格的文字超过 Excel 单元格上限 32767 字，已截断，请核对。"]


def test_libreoffice_reads_the_text_and_totals(tmp_path: Path) -> None:
    texts = [NASTY[0], NASTY[1], NASTY[3], EMOJI_AND_RARE]
    rows = [person(i) for i in range(3)] + [[None, text, "1101051949" + f"{i:08d}", None, 1, None, None]
                                            for i, text in enumerate(texts, start=3)]
    _, result = stream(tmp_path, rows)
    with libreoffice(result.path, CSV_FILTER, tmp_path).open(encoding="utf-8") as fh:
        lines = list(csv.reader(fh))
    assert [line[1] for line in lines[7:11]] == texts
    totals = lines[11]
    assert totals[0] == "合计" and totals[1] == "7"
    assert float(totals[4].replace(",", "")) == float(sum(Decimal("100.50") + i for i in range(3)) + 4)


def test_the_rest_of_the_workbook_comes_back_as_it_was(tmp_path: Path) -> None:
    template = department_template(tmp_path / "template.xlsx")
    wb = openpyxl.load_workbook(template)
    ws = wb[SHEET]
    ws["A1"].font = Font(name="黑体", size=16, bold=True, color=Color(theme=4, tint=-0.25))  # theme colours
    ws["B5"].fill = PatternFill("solid", fgColor=Color(theme=7, tint=0.8))
    other = wb["填表说明"]
    other["A2"] = f"=COUNTA('{SHEET}'!B5:B5)"
    other["A3"] = f"=SUM('{SHEET}'!E5:E5)"
    other.column_dimensions["A"].width = 50
    wb.create_sheet("代码表").append(["1", "男"])
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=5, min_row=3, max_row=5), titles_from_data=True)
    ws.add_chart(chart, "B10")  # under the 填报人 line, over the data
    ws["A8"].comment = openpyxl.comments.Comment("签字", "民政科")
    wb.save(template)
    n = 40
    _, result = stream(tmp_path, [person(i) for i in range(n)], template=template)
    book = openpyxl.load_workbook(result.path)
    got, src = book[SHEET], openpyxl.load_workbook(template)[SHEET]
    assert style_of(got["A1"]) == style_of(src["A1"]) and got["A1"].font.color.theme == 4
    assert got[f"B{4 + n}"].fill.fgColor.theme == 7
    assert book["填表说明"]["A2"].value == f"=COUNTA('{SHEET}'!B5:B{4 + n})"
    assert book["填表说明"]["A3"].value == f"=SUM('{SHEET}'!E5:E{4 + n})"
    assert book["填表说明"].column_dimensions["A"].width == 50
    (drawn,) = got._charts
    assert drawn.anchor._from.row == 10 - 1 + n - 1  # row 10 moved down by the rows added
    assert drawn.series[0].val.numRef.f == f"'{SHEET}'!$E$4:$E${4 + n}"  # and covers them
    assert got[f"A{8 + n - 1}"].comment.text == "签字"
    with zipfile.ZipFile(template) as a, zipfile.ZipFile(result.path) as b:
        for name in ("xl/theme/theme1.xml", "docProps/app.xml", "xl/worksheets/sheet3.xml"):
            assert a.read(name) == b.read(name), name
        assert "fullCalcOnLoad" in b.read("xl/workbook.xml").decode()


def test_a_formula_column_of_the_sample_row_is_written_on_every_row(tmp_path: Path) -> None:
    template = department_template(tmp_path / "template.xlsx")
    wb = openpyxl.load_workbook(template)
    wb[SHEET]["H4"], wb[SHEET]["H5"] = "补贴（双倍）", "=E5*2+$E$5-SUM(E$5:E5)"
    wb.save(template)
    layout = read_workbook(template).sheet(SHEET)
    rows = [person(i)[:7] for i in range(3)]
    result = fill_template_streaming(template, tmp_path / "o.xlsx", sheet=SHEET, layout=layout, rows=rows)
    got = openpyxl.load_workbook(result.path)[SHEET]
    assert [got.cell(row=r, column=8).value for r in (5, 7)] == ["=E5*2+$E$5-SUM(E$5:E5)", "=E7*2+$E$5-SUM(E$5:E7)"]


def test_an_empty_export_keeps_one_ruled_row_and_the_footer(tmp_path: Path) -> None:
    _, result = stream(tmp_path, [], blanks={"填报人": "李四"})
    got = openpyxl.load_workbook(result.path)[SHEET]
    assert (result.rows_written, result.data_rows, result.totals_row) == (0, (5, 5), 6)
    assert got["B5"].value is None and got["B5"].border.left.style == "thin"
    assert got["A6"].value == "合计" and got["A8"].value == "填报人：李四"


def test_a_template_without_a_sample_row_gets_rows_ruled_like_the_header(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "t.xlsx", table("""
    | 低保户花名册 |          |                    |
    | 序号         | 户主姓名 | 身份证号           |
    | 合计         |          |                    |
    """), merges=["A1:C1"])
    wb = openpyxl.load_workbook(path)
    for cell in wb.active[2]:
        cell.border = Border(left=Side(style="thin"), bottom=Side(style="medium"))
        cell.fill = PatternFill("solid", fgColor="FFDDEBF7")
        cell.font = Font(bold=True)
    wb.save(path)
    layout = read_workbook(path).sheets[0]
    result = fill_template_streaming(path, tmp_path / "o.xlsx", sheet="Sheet1", layout=layout,
                                     rows=[[None, "李四", "110105194912310045"], [None, "王五", "11010519500101001X"]])
    got = openpyxl.load_workbook(result.path).active
    assert [[c.value for c in row] for row in got.iter_rows(min_row=3, max_row=5)] == [
        [1, "李四", "110105194912310045"], [2, "王五", "11010519500101001X"], ["合计", None, None]]
    data = got["B4"]
    assert (data.border.left.style, data.border.bottom.style) == ("thin", "medium")
    assert data.fill.fill_type is None and not data.font.b


def test_a_1904_workbook_gets_1904_dates(tmp_path: Path) -> None:
    template = department_template(tmp_path / "template.xlsx")
    wb = openpyxl.load_workbook(template)
    wb.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    wb.save(template)
    _, result = stream(tmp_path, [person(0)], template=template)
    book = openpyxl.load_workbook(result.path)
    assert book.epoch == openpyxl.utils.datetime.CALENDAR_MAC_1904
    assert book[SHEET]["D5"].value == dt.datetime(1950, 1, 1)


def test_a_template_written_with_a_prefix_on_every_tag(tmp_path: Path) -> None:
    """Some producers (the .NET Open XML SDK) write <x:row>; rows we add must use it too."""
    template = department_template(tmp_path / "template.xlsx")
    prefixed = tmp_path / "prefixed.xlsx"
    with zipfile.ZipFile(template) as src, zipfile.ZipFile(prefixed, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "xl/worksheets/sheet1.xml":
                text = re.sub(r"<(/?)([A-Za-z][\w]*)([ />])", r"<\1x:\2\3", data.decode())
                data = text.replace("<x:worksheet xmlns=", "<x:worksheet xmlns:x=").encode()
            dst.writestr(name, data)
    _, result = stream(tmp_path, [person(i) for i in range(3)], template=prefixed)
    with zipfile.ZipFile(result.path) as zf:
        assert "<x:row " in zf.read("xl/worksheets/sheet1.xml").decode()
    got = openpyxl.load_workbook(result.path)[SHEET]
    assert [got.cell(row=r, column=2).value for r in (5, 7)] == ["居民0", "居民2"]
    assert got["A8"].value == "合计" and got["E8"].value == "=SUM(E5:E7)"


def test_a_template_saved_by_a_spreadsheet_program(tmp_path: Path) -> None:
    """Shared strings and the program's own package layout, as departments' files come."""
    template = libreoffice(department_template(tmp_path / "template.xlsx"), "xlsx", tmp_path)
    _, result = stream(tmp_path, [person(i) for i in range(5)], template=template, blanks={"填报单位": "红星社区"})
    got = openpyxl.load_workbook(result.path)[SHEET]
    assert got["A1"].value == "2024年独居老人花名册" and got["A2"].value == "填报单位：红星社区"
    assert got["C4"].value == "公民身份号码" and got["B9"].value == "居民4"
    assert got["B10"].value == "=COUNTA(B5:B9)" and got["A11"].value.startswith("注：1.")


def test_an_xls_template_is_streamed_as_xlsx(tmp_path: Path) -> None:
    template = write_xls(tmp_path / "old.xls", table("""
    | 低保户花名册 |          |                    |
    | 序号         | 户主姓名 | 身份证号           |
    | 1            | 张三     | 11010519491231002X |
    | 注：请如实填写 |        |                    |
    """), merges=["A1:C1"])
    layout = read_workbook(template).sheets[0]
    result = fill_template_streaming(template, tmp_path / "out.xls", sheet=layout.name, layout=layout,
                                     rows=iter([[None, "李四", "110105194912310045"]]))
    assert result.path.suffix == ".xlsx" and any(".xls 格式" in n for n in result.notes)
    got = openpyxl.load_workbook(result.path).active
    assert [[c.value for c in row] for row in got.iter_rows(min_row=1, max_row=4)] == [
        ["低保户花名册", None, None], ["序号", "户主姓名", "身份证号"], [1, "李四", "110105194912310045"],
        ["注：请如实填写", None, None]]


def test_too_many_rows_for_one_sheet_is_refused_and_nothing_is_left(tmp_path: Path) -> None:
    def endless():
        while True:
            yield [None, "x"]

    with pytest.raises(ValueError, match="more rows than fit"):
        stream(tmp_path, endless())  # type: ignore[arg-type]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["template.xlsx"]


X14_LIST = ('<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
            'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
            '<x14:dataValidations count="1" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
            '<x14:dataValidation type="list" allowBlank="1"><x14:formula1><xm:f>代码表!$A$1:$A$2</xm:f>'
            '</x14:formula1><xm:sqref>G5:G5</xm:sqref></x14:dataValidation></x14:dataValidations></ext></extLst>')


def test_a_dropdown_from_another_sheet_covers_the_new_rows(tmp_path: Path) -> None:
    """Excel keeps a list drawn from another sheet in an x14 extension, which openpyxl drops."""
    template = department_template(tmp_path / "template.xlsx")
    wb = openpyxl.load_workbook(template)
    wb.create_sheet("代码表").append(["男"])
    wb.save(template)
    with_list = tmp_path / "with-list.xlsx"
    with zipfile.ZipFile(template) as src, zipfile.ZipFile(with_list, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</worksheet>", X14_LIST.encode() + b"</worksheet>")
            dst.writestr(name, data)
    _, result = stream(tmp_path, [person(i) for i in range(30)], template=with_list)
    with zipfile.ZipFile(result.path) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml").decode()
    assert "<xm:f>代码表!$A$1:$A$2</xm:f>" in sheet and "<xm:sqref>G5:G34</xm:sqref>" in sheet
    assert result.notes == []  # openpyxl's warning about the extension does not apply here


SUBTOTALS = table("""
| 花名册 |      |      |
| 序号   | 姓名 | 人数 |
| 1      | 张三 | 1    |
| 小计   | 1人  |      |
| 2      | 李四 | 1    |
| 合计   | 2人  |      |
""")


def test_the_notes_are_the_in_place_writers(tmp_path: Path) -> None:
    """A subtotal inside the data, a row with more values than columns, a fixed total: a person
    is told the same whichever writer the export took."""
    path = write_xlsx(tmp_path / "t.xlsx", SUBTOTALS, merges=["A1:C1"])
    layout = read_workbook(path).sheets[0]
    rows = [[None, "甲", 1], [None, "乙", 2, "多出的值"]]
    streamed = fill_template_streaming(path, tmp_path / "s.xlsx", sheet="Sheet1", layout=layout, rows=iter(rows))
    in_place = fill_template(path, tmp_path / "p.xlsx", sheet="Sheet1", layout=layout, rows=rows)
    assert streamed.notes == in_place.notes == [
        "模板数据区内第 4 行的小计/合计行已被数据替换。",
        "第 4 行有 4 个值，但表头只有 3 列，多出的值未写入。",
        "合计行（第 5 行）B5 是模板中的固定内容「2人」，未重新计算，请核对。"]
    got = openpyxl.load_workbook(streamed.path).active
    assert [[c.value for c in row] for row in got.iter_rows(min_row=3, max_row=5)] == [
        [1, "甲", 1], [2, "乙", 2], ["合计", "2人", None]]


def test_a_card_layout_is_refused(tmp_path: Path) -> None:
    """One sheet per subject is `fill_template`'s; written as a list it would be garbage."""
    path = write_xlsx(tmp_path / "card.xlsx", CARD, merges=["A1:D1", "B4:D4", "B5:D5"])
    layout = read_workbook(path).sheets[0]
    assert layout.layout == "card"
    with pytest.raises(ValueError, match="fill_template"):
        fill_template_streaming(path, tmp_path / "o.xlsx", sheet="Sheet1", layout=layout, rows=[["张三"]])
    assert not (tmp_path / "o.xlsx").exists()


def test_an_aggregates_fixed_totals_are_noted_not_summed(tmp_path: Path) -> None:
    """What the export keeps on `fill_template` for aggregates: that writer adds SUMs here."""
    path = write_xlsx(tmp_path / "agg.xlsx", AGGREGATE, merges=["A1:D1"])
    layout = read_workbook(path).sheets[0]
    result = fill_template_streaming(path, tmp_path / "o.xlsx", sheet="Sheet1", layout=layout,
                                     rows=[["东风社区", 12, 3, 5], ["红旗社区", 8, 1, 2]])
    got = openpyxl.load_workbook(result.path).active
    assert [c.value for c in got[5]] == ["合计", 12, 3, 5]
    assert result.notes == [f"合计行（第 5 行）{c}5 是模板中的固定内容「{v}」，未重新计算，请核对。"
                            for c, v in zip("BCD", (12, 3, 5), strict=True)]
