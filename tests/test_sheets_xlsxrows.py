"""The streaming .xlsx reader (sheets/xlsxrows.py) gives the values calamine gives.

Each file is read both ways, calamine (reader.open_rows below STREAM_AREA) and the stream,
and the rows compared after the same cleaning; the stream's rows end at their last value.
Files are built here: openpyxl for typed values and number formats, a hand-written
package for what openpyxl never writes (shared rich text with phonetic guides, a prefixed
namespace, attributes in another order, cells and rows without `r`, errors, ISO dates).
"""
from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest
from django.test import override_settings
from openpyxl import Workbook

from yibiao.sheets import SheetError
from yibiao.sheets.reader import STREAM_AREA, _clean_row, open_rows
from yibiao.sheets.xlsxrows import Book, format_kind, stream_rows


def calamine_rows(path: Path) -> list[list]:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    ws = wb.get_sheet_by_index(0)
    pad = [None] * (ws.start or (0, 0))[1]
    rows = [_trim(_clean_row(pad + raw)) for raw in ws.iter_rows()]
    wb.close()
    return _drop_empty_tail(rows)


def streamed_rows(path: Path) -> list[list]:
    with zipfile.ZipFile(path) as zf:
        book = Book(zf, path.name)
    return _drop_empty_tail([_trim(_clean_row(r)) for r in stream_rows(str(path), book.sheets[0][1], book)])


def _trim(row: list) -> list:
    while row and row[-1] is None:
        row.pop()
    return row


def _drop_empty_tail(rows: list[list]) -> list[list]:
    while rows and not rows[-1]:
        rows.pop()
    return rows


def test_typed_values_and_number_formats_read_as_calamine_reads_them(tmp_path: Path):
    wb = Workbook()
    ws = wb.active
    ws.append(["文本", 1, 1.5, True, False, dt.date(2020, 1, 2), dt.datetime(2020, 1, 2, 3, 4, 5),
               dt.time(3, 4, 5), dt.timedelta(hours=30, minutes=5), "=1+1", " ", "x_x000D_y",
               "a&b<c>\"d'", 1e20, -0.0, 12345678901234567890, "430104198001010011"])
    ws.append([None, None, "隔一列"])
    formats = ["yyyy/mm/dd hh:mm", '[$-804]yyyy"年"m"月"d"日"', "h:mm AM/PM", "[h]:mm", "0.00%", "mm:ss",
               "General", "yyyy-mm-dd", "yyyy-mm-dd", "yyyy-mm-dd", "yyyy-mm-dd", '"d"0', "0_m", r"\d0",
               "[Red]0", "[>=100]0;0"]
    values = [45000.25, 45000, 0.5, 1.5, 12.5, 60, 1, -1, 0, 59.9, 2958466, 5, 6, 7, 8, 9]
    for col, (fmt, value) in enumerate(zip(formats, values, strict=True), start=2):
        cell = ws.cell(row=3, column=col, value=value)
        cell.number_format = fmt
    ws.cell(row=6, column=2, value="空两行之后")
    path = tmp_path / "typed.xlsx"
    wb.save(path)
    assert streamed_rows(path) == calamine_rows(path)


def _package(path: Path, sheet_xml: str, shared: str | None = None, date1904: bool = False) -> Path:
    ct = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
          'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
          'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
          '"/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.'
          'main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
          'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.'
          'xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
          '</Types>')
    rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    epoch = ' date1904="1"' if date1904 else ""
    book = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
            'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
            f'relationships"><workbookPr{epoch}/><sheets>'
            '<sheet name="花名册" sheetId="1" r:id="rId1"/></sheets></workbook>')
    book_rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                 'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                 'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
                 '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                 'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", ct)
        zf.writestr("_rels/.rels", rels)
        zf.writestr("xl/workbook.xml", book)
        zf.writestr("xl/_rels/workbook.xml.rels", book_rels)
        zf.writestr("xl/worksheets/sheet1.xml", sheet_xml)
        zf.writestr("xl/sharedStrings.xml", shared or
                    '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>')
    return path


MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHARED = (f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}" count="5" uniqueCount="5">'
          "<si><t>王秀英</t></si>"
          '<si><r><rPr><b/></rPr><t xml:space="preserve">张 </t></r><r><t>建国</t></r>'
          "<rPh sb=\"0\" eb=\"1\"><t>ZHANG</t></rPh></si>"
          "<si><t/></si>"
          "<si><t>&lt;tag&gt; &amp; &#20013;&#x6587; _x0009_tab</t></si>"
          "<si><t>  两端空格  </t></si></sst>")


def test_shared_strings_rich_text_and_odd_cells_read_as_calamine_reads_them(tmp_path: Path):
    rows = ('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c>'
            '<c r="D1" t="s"><v>3</v></c><c r="E1" t="s"><v>4</v></c></row>'
            '<row r="2"><c t="n" r="A2"><v>7</v></c><c><v>8</v></c><c r="D2" t="str"><f>A1</f><v>公式</v></c>'
            '<c r="E2" t="e"><f>1/0</f><v>#DIV/0!</v></c><c r="F2" t="b"><v>1</v></c>'
            '<c r="G2" t="inlineStr"><is><r><t>富</t></r><r><t xml:space="preserve">文本 </t></r></is></c>'
            "<c r='H2' t='inlineStr'><is><t>单引号</t></is></c><c r=\"I2\" s=\"0\"/>"
            '<c r="J2" t="str"><v> 前后空格 </v></c><c r="K2" t="inlineStr"><is><t> 行内 </t></is></c>'
            '<c r="L2" t="inlineStr"><is><t xml:space="preserve"> 保留 </t></is></c></row>'
            '<row r="4" spans="1:3" ht="20" customHeight="1"><c r="C4"><v>3.25</v></c></row>'
            '<row r="5"/>'
            '<row><c r="B6" t="inlineStr"><is><t>无行号</t></is></c></row>'
            '<row r="7"><c r="A7" t="inlineStr"><is><t>x&amp;y</t></is></c></row>')
    sheet = f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>{rows}</sheetData>' \
            '<mergeCells count="1"><mergeCell ref="A1:B1"/></mergeCells></worksheet>'
    path = _package(tmp_path / "odd.xlsx", sheet, SHARED)
    got = streamed_rows(path)
    assert got == calamine_rows(path)
    assert got[0][:2] == ["王秀英", "张 建国"]


def test_a_prefixed_namespace_reads_the_same(tmp_path: Path):
    rows = ('<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>姓名</x:t></x:is></x:c>'
            '<x:c r="B1"><x:v>42</x:v></x:c></x:row><x:row r="3"><x:c r="C3" t="s"><x:v>0</x:v></x:c></x:row>')
    sheet = f'<?xml version="1.0"?><x:worksheet xmlns:x="{MAIN}"><x:sheetData>{rows}</x:sheetData></x:worksheet>'
    path = _package(tmp_path / "prefixed.xlsx", sheet, SHARED)
    assert streamed_rows(path) == calamine_rows(path) == [["姓名", 42], [], [None, None, "王秀英"]]


def test_the_1904_date_system(tmp_path: Path):
    wb = Workbook()
    wb.epoch = dt.datetime(1904, 1, 1)
    wb.active.append([dt.date(2020, 5, 6), dt.datetime(2021, 1, 1, 12, 0)])
    path = tmp_path / "mac.xlsx"
    wb.save(path)
    assert streamed_rows(path) == calamine_rows(path)


@pytest.mark.parametrize(("code", "kind"), [
    ("yyyy-mm-dd", 1), ("DD/MM/YY", 1), ("H:MM:SS;@", 1), ('m"M"d"D";@', 1), ("ha/p\\\\m", 1),
    ("[h]:mm:ss", 2), ("[ss]", 2), ("[Blue]\\+[h]:mm;[Red]\\-[h]:mm", 2), ("[>=100][Magenta][s].00", 2),
    ("0.00", 0), ("#,##0\\ [$\\u20bd-46D]", 0), ('"Y: "0.00"m";"Y: "-0.00"m"', 0), ("\\Y000000", 0),
    ('#,##0.0####" YMD"', 0), ("[>=100][Magenta].00", 0), ("[>=100][Magenta]General", 0),
    ("#,##0*y", 0), ("_M0", 0), ("General", 0),
])
def test_number_formats_are_dates_durations_or_numbers(code, kind):
    assert format_kind(code) == kind


def _roster_area(path: Path, rows: int) -> Path:
    """A roster whose used area passes STREAM_AREA: a far cell widens it cheaply."""
    wb = Workbook()
    ws = wb.active
    ws.append(["序号", "姓名", "公民身份号码"])
    for i in range(rows):
        ws.append([i + 1, f"居民{i}", f"43010419800101{i:04d}"])
    ws.cell(row=2, column=STREAM_AREA // (rows + 1) + 2, value=None).number_format = "0.00"
    ws.merge_cells("D1:E1")
    wb.save(path)
    return path


def test_open_rows_streams_a_big_sheet_and_keeps_its_limits(tmp_path: Path):
    path = _roster_area(tmp_path / "花名册.xlsx", 200)
    stream = open_rows(path)
    rows = list(stream.rows)
    assert rows[0] == ["序号", "姓名", "公民身份号码"]
    assert rows[1:] == [[i + 1, f"居民{i}", f"43010419800101{i:04d}"] for i in range(200)]
    assert stream.sheet_names == ["Sheet"] and not stream.hidden and stream.last_row == 201
    assert stream.merges == [(1, 4, 1, 5)]  # from the safety scan: the XML has them after the rows
    assert list(open_rows(path, "Sheet", start_row=200).rows) == [
        [199, "居民198", "430104198001010198"], [200, "居民199", "430104198001010199"]]
    with override_settings(YIBIAO_MAX_ROWS=20), pytest.raises(SheetError) as caught:
        list(open_rows(path).rows)
    assert caught.value.code == "over_row_limit"
    with pytest.raises(SheetError) as missing:
        open_rows(path, "没有这张表")
    assert missing.value.code == "sheet_not_found"


@pytest.mark.django_db
def test_an_import_read_streamed_gives_what_calamine_gives(world, tmp_path: Path):
    """The same roster with and without a far styled cell: the first streams, the second is
    read by calamine and every row is recognised unchanged (same values, same digests)."""
    from stdnum.cn import ric

    from yibiao.intake.importer import import_ledger

    def valid_id(n: int) -> str:
        body = f"11010519{60 + n // 300:02d}{1 + n // 28 % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"[:17]
        return body + ric.calc_check_digit(body + "0")

    people = 130

    def roster(path: Path, far: bool) -> Path:
        wb = Workbook()
        ws = wb.active
        ws.append(["户号", "姓名", "公民身份号码", "民族", "联系电话", "出生日期"])
        for i in range(people):
            ws.append([f"HH-{i // 3:03d}", f"居民{i}", valid_id(i), "汉族", 13812340000 + i,
                       dt.date(1960 + i // 300, 1 + i // 28 % 12, 1 + i % 28)])
        if far:
            ws.cell(row=2, column=STREAM_AREA // (people + 1) + 2).number_format = "0.00"
        wb.save(path)
        return path

    streamed = roster(tmp_path / "花名册.xlsx", far=True)
    with zipfile.ZipFile(streamed) as zf:
        assert b's="' in zf.read("xl/worksheets/sheet1.xml")  # the far styled cell is there
    header = next(open_rows(streamed).rows)
    assert len(header) == 6  # streamed: calamine's row would run to the far cell
    first = import_ledger(world.worker_a, streamed, world.community_a)
    assert first.ok and (first.created, first.rejected) == (people, 0), first.as_dict()["rejections"][:2]
    again = import_ledger(world.worker_a, roster(tmp_path / "小花名册.xlsx", far=False), world.community_a)
    assert again.ok and (again.unchanged, again.created, again.updated) == (people, 0, 0)
