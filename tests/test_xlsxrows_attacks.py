"""Hostile and broken .xlsx files through the streaming reader (sheets/xlsxrows.py).

Each file is built by hand (zipfile) and read by the stream; the product rule is the same
value calamine gives or a coded refusal, never a wrong value. Unclosed tags are refused
at once: the patterns never scan past the next start tag of their element (before, each
unclosed tag made a match scan to the end of the block: quadratic time, and a value lost
or taken from the wrong place). BLOCK is made small to put block boundaries everywhere.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from yibiao.sheets import SheetError, reader, xlsxrows
from yibiao.sheets.reader import open_rows

from .test_sheets_xlsxrows import MAIN, _package, calamine_rows, streamed_rows


def _sheet(rows: str, prefix: str = "") -> str:
    p = f"{prefix}:" if prefix else ""
    ns = f'xmlns:{prefix}="{MAIN}"' if prefix else f'xmlns="{MAIN}"'
    return f'<?xml version="1.0" encoding="UTF-8"?><{p}worksheet {ns}><{p}sheetData>{rows}</{p}sheetData></{p}worksheet>'


def _refused(path: Path) -> SheetError:
    with pytest.raises(SheetError) as caught:
        streamed_rows(path)
    return caught.value


FIRST = '<row r="1"><c r="A1"><v>1</v></c></row>'


def test_shared_strings_split_between_blocks_keep_every_character(tmp_path: Path, monkeypatch):
    """A block boundary inside a three-byte character once became U+FFFD; a prefixed
    sst (x:si, as the Open XML SDK writes) was cut inside an <x:si> at a '/>'."""
    monkeypatch.setattr(xlsxrows, "BLOCK", 61)
    names = [f"居民甲乙{i}" for i in range(300)]
    rows = "".join(f'<row r="{i + 1}"><c r="A{i + 1}" t="s"><v>{i}</v></c></row>' for i in range(300))
    plain = "".join(f"<si><t>{n}</t></si>" for n in names)
    path = _package(tmp_path / "plain.xlsx", _sheet(rows), f'<sst xmlns="{MAIN}">{plain}</sst>')
    assert streamed_rows(path) == calamine_rows(path) == [[n] for n in names]
    rich = "".join(f"<x:si><x:r><x:rPr><x:b/></x:rPr><x:t>{n}</x:t></x:r></x:si>" for n in names)
    path = _package(tmp_path / "prefixed.xlsx", _sheet(rows), f'<x:sst xmlns:x="{MAIN}">{rich}</x:sst>')
    assert streamed_rows(path) == calamine_rows(path) == [[n] for n in names]


@pytest.mark.parametrize(("rows", "tag"), [
    (FIRST + '<row r="2">' + '<c r="A2"><v>2</v>' * 50 + "</row>", "<c>"),
    (FIRST + '<row r="2"><c r="A2"><v>2</v></row><row r="3"><c r="A3"><v>3</v></c></row>', "<c>"),
    (FIRST + '<row r="2">' + "<c " * 50 + "</row>", "<c>"),
    (FIRST + '<row r="2"><c r="A2"><v>2</v></c>' + "<row " * 50 + '<row r="9"></row>', "<row>"),
    (FIRST + '<row r="2"><c r="A2" t="inlineStr">' + "<is>" * 50 + "</c></row>", "<is>"),
    (FIRST + '<row r="2"><c r="A2" t="inlineStr"><is>' + "<t>x" * 50 + "</is></c></row>", "<t>"),
    (FIRST + '<row r="2"><c r="A2" t="inlineStr"><is><t>a</t>' + "<rPh>" * 50 + "</is></c></row>", "<rPh>"),
    ('<row r="1"><c r="A1" t="inlineStr"><is><t>a</is></c><c r="B1"><v>2</v></c></row>', "<t>"),
])
def test_an_unclosed_tag_in_the_sheet_is_refused(tmp_path: Path, rows: str, tag: str):
    error = _refused(_package(tmp_path / "unclosed.xlsx", _sheet(rows)))
    assert error.code == "corrupt" and tag in error.message and "sheet1.xml" in error.message


@pytest.mark.parametrize(("strings", "tag"), [
    ("<si><t>a</t>" * 50, "<si>"),
    ("<si>" + "<t>a" * 50 + "</si>", "<t>"),
    ("<si><t>a</t>" + "<rPh><t>x</t>" * 50 + "</si>", "<rPh>"),
    ("<si><t>a</si><si><t>b</t></si>", "<t>"),
])
def test_an_unclosed_tag_in_the_shared_strings_is_refused(tmp_path: Path, strings: str, tag: str):
    shared = f'<sst xmlns="{MAIN}"><si><t>0</t></si>{strings}</sst>'
    error = _refused(_package(tmp_path / "unclosed.xlsx", _sheet(FIRST), shared))
    assert error.code == "corrupt" and tag in error.message and "sharedStrings.xml" in error.message


@pytest.mark.parametrize(("rows", "shared"), [
    ('<row r="1"><!-- <c r="A1"><v>9</v></c> --><c r="B1"><v>1</v></c></row>', None),
    ('<row r="1"><c r="A1" t="inlineStr"><is><t><![CDATA[a<c r="B1">b]]></t></is></c></row>', None),
    ('<row r="1"><c r="A1"><v>1</v><!-- </c> --></c></row>', None),
    ('<row r="1"><?pi <c r="A1"><v>9</v></c>?></row>', None),
    ('<row r="1"><c r="A1" t="s"><v>0</v></c></row>',
     f'<sst xmlns="{MAIN}"><!-- <si><t>x</t></si> --><si><t>王</t></si></sst>'),
])
def test_comments_cdata_and_processing_instructions_are_refused(tmp_path: Path, rows: str, shared: str | None):
    """A tag inside one would be read as a cell or a string (calamine skips it)."""
    error = _refused(_package(tmp_path / "comment.xlsx", _sheet(rows), shared))
    assert error.code == "unsupported_format"


@pytest.mark.parametrize("text", ["a&#0;b", "a&#x110000;b", "a&#xD800;b", "a&foo;b", "a & b", "&#X41;"])
def test_entities_calamine_refuses_are_refused(tmp_path: Path, text: str):
    rows = f'<row r="1"><c r="A1" t="inlineStr"><is><t>{text}</t></is></c></row>'
    assert _refused(_package(tmp_path / "entity.xlsx", _sheet(rows))).code == "corrupt"


def test_escapes_and_numbers_read_as_calamine_reads_them(tmp_path: Path):
    """_xD800_ (a surrogate) stays as written; float() would take 1_000 and ' 12 '."""
    rows = ('<row r="1"><c r="A1" t="inlineStr"><is><t>a_xD800_b</t></is></c><c r="B1"><v>1_000</v></c>'
            '<c r="C1"><v> 12 </v></c><c r="D1" t="inlineStr"><is><t>a_x005F_x000D_b</t></is></c>'
            '<c r="E1" t="b"><v>true</v></c></row>')
    path = _package(tmp_path / "escapes.xlsx", _sheet(rows))
    assert streamed_rows(path) == calamine_rows(path) == [["a_xD800_b", "1_000", " 12 ", "a_x000D_b", True]]


@pytest.mark.parametrize("rows", [
    '<row r="3"><c r="A3"><v>3</v></c></row><row r="2"><c r="A2"><v>2</v></c></row>',  # out of order
    '<row r="2"><c r="A2"><v>2</v></c></row><row r="2"><c r="B2"><v>22</v></c></row>',  # repeated
    '<row r="1"><c r="A5"><v>5</v></c></row>',  # a cell naming another row
    "<row r='99999999999'><c><v>1</v></c></row>",  # past Excel's last row (the scan reads r=\"…\" only)
    '<row r="1"><c r="A1" t="b"><v>2</v></c></row>',  # calamine: Unrecognized boolean
    '<row r="1"><c r="A1" t="s"><v>-1</v></c></row>',  # Python would index from the end
])
def test_rows_and_cells_the_stream_cannot_place_are_refused(tmp_path: Path, rows: str):
    shared = f'<sst xmlns="{MAIN}"><si><t>S0</t></si><si><t>S1</t></si></sst>'
    assert _refused(_package(tmp_path / "rows.xlsx", _sheet(rows), shared)).code == "corrupt"


def test_a_date_or_duration_too_big_for_python_stays_a_number(tmp_path: Path):
    wb = Workbook()
    for col, fmt in enumerate(["[h]:mm", "yyyy-mm-dd"], start=1):
        wb.active.cell(row=1, column=col, value=1e20).number_format = fmt
    path = tmp_path / "huge.xlsx"
    wb.save(path)
    assert streamed_rows(path) == [[1e20, 1e20]]


def _damaged(tmp_path: Path) -> Path:
    rows = "".join(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c><c r="B{i}" t="inlineStr"><is><t>名字{i}</t></is></c></row>'
                   for i in range(1, 5001))
    path = _package(tmp_path / "damaged.xlsx", _sheet(rows))
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + info.compress_size // 2
    data[start:start + 8] = bytes(8)
    path.write_bytes(bytes(data))
    return path


def test_a_damaged_sheet_member_is_a_coded_refusal(tmp_path: Path, monkeypatch):
    path = _damaged(tmp_path)
    assert _refused(path).code == "corrupt"  # the stream itself (zlib error or bad CRC)
    monkeypatch.setattr(reader, "STREAM_AREA", 1)
    with pytest.raises(SheetError) as caught:
        open_rows(path)  # the safety scan reads it first
    assert caught.value.code == "corrupt"


def test_a_sheet_without_sheet_data_in_its_head_is_refused(tmp_path: Path, monkeypatch):
    """Not an empty sheet: its rows could follow."""
    monkeypatch.setattr(xlsxrows, "BLOCK", 100)
    monkeypatch.setattr(xlsxrows, "_OVERSIZE", 1000)
    sheet = _sheet(FIRST).replace("<sheetData>", "<cols>" + '<col min="1" max="1" width="9"/>' * 100 + "</cols><sheetData>")
    assert _refused(_package(tmp_path / "head.xlsx", sheet)).code == "corrupt"


def test_open_rows_refuses_a_broken_big_sheet(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(reader, "STREAM_AREA", 1)
    path = _package(tmp_path / "broken.xlsx", _sheet(FIRST + '<row r="2">' + '<c r="A2"><v>2</v>' * 50 + "</row>"))
    with pytest.raises(SheetError) as caught:
        list(open_rows(path).rows)
    assert caught.value.code == "corrupt"


# --- the safety scan: cells calamine places that the fast search did not read ---------------
# Each of these 2 KB files made calamine allocate a 1,048,576 x 16,384 grid (550 GB) and abort
# the whole process (exit 134, nothing to catch): the scan measured a small used area because
# the references were spelled r='…' or r = "…", or not written at all.

def _far_sheet(rows: str) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>{rows}'
            "</sheetData></worksheet>")


@pytest.mark.parametrize("rows", [
    "<row r='1'><c r='A1'><v>1</v></c></row><row r='1048576'><c r='XFD1048576'><v>2</v></c></row>",
    '<row r = "1"><c r = "A1"><v>1</v></c></row><row r = "1048576"><c r = "XFD1048576"><v>2</v></c></row>',
    '<row r="1">' + "<c><v>1</v></c>" * 16384 + '</row><row r="1048576"><c><v>2</v></c></row>',
], ids=["single-quoted", "spaced", "no-references"])
def test_a_tiny_file_claiming_the_whole_sheet_is_refused_before_any_parser_runs(tmp_path: Path, rows: str):
    from yibiao.sheets.safety import inspect_file

    path = _package(tmp_path / "far.xlsx", _far_sheet(rows))
    assert path.stat().st_size < 3000
    with pytest.raises(SheetError) as refused:
        inspect_file(path)
    assert refused.value.code in ("too_many_cells", "too_many_rows", "too_many_columns")


def test_cells_without_references_are_placed_as_calamine_places_them(tmp_path: Path):
    """The exact path counts a cell with no reference after the one before it, and a row
    with no number after the row before it: the area it measures is calamine's."""
    from yibiao.sheets.safety import inspect_file

    rows = ('<row r="2"><c><v>1</v></c><c><v>2</v></c><c r="E2"><v>3</v></c><c><v>4</v></c></row>'
            "<row><c><v>5</v></c></row><row r='7'><c r = 'C7'><v>6</v></c></row>")
    path = _package(tmp_path / "norefs.xlsx", _far_sheet(rows))
    scan = inspect_file(path).sheets[0]
    assert (scan.max_row, scan.max_col) == (7, 6)  # F2 is the cell after E2; row 3 after row 2
    found = calamine_rows(path)
    assert len(found) == 7 and max(len(r) for r in found) == 6


@pytest.mark.parametrize(("rows", "row_no"), [
    # calamine reads this as one cell '名2备注2' and a blank beside it, without a word
    (FIRST + '<row r="2"><c r="A2" t="inlineStr"><is><t>名2</is></c>'
     '<c r="B2" t="inlineStr"><is><t>备注2</t></is></c></row>', 2),
    (FIRST + '<row r="2"><c r="A2"><v>2</v></c></row><row r="3"><c r="A3"><v>3</c></row>', 3),
    (FIRST + '<row r="2"><c r="A2"><v>2</v></c>', 2),  # cut short
])
def test_broken_markup_calamine_would_read_is_refused_with_its_row(tmp_path: Path, rows: str, row_no: int):
    """Below STREAM_AREA the rows come from calamine, which reads mismatched tags as it
    can: the safety scan runs expat over the sheet and refuses it first, naming the row."""
    path = _package(tmp_path / "broken.xlsx", _sheet(rows))
    for read in (lambda: list(open_rows(path).rows), lambda: reader.read_workbook(path)):
        with pytest.raises(SheetError) as caught:
            read()
        assert caught.value.code == "corrupt" and f"第 {row_no} 行附近" in caught.value.message
        assert "broken.xlsx" in caught.value.message and "花名册" in caught.value.message


def test_broken_shared_strings_are_damage_not_a_missing_sheet(tmp_path: Path):
    """calamine failed on them inside get_sheet_by_name, which was reported as '没有名为
    「花名册」的工作表' about a sheet that is there."""
    shared = f'<sst xmlns="{MAIN}"><si><t>王</t></si><si><t>李</is></si></sst>'
    rows = '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
    with pytest.raises(SheetError) as caught:
        list(open_rows(_package(tmp_path / "strings.xlsx", _sheet(rows), shared)).rows)
    assert caught.value.code == "corrupt" and "共享字符串表" in caught.value.message
    assert "not found" not in caught.value.message


def test_well_formed_markup_reads_as_before(tmp_path: Path):
    rows = FIRST + '<row r="2"><c r="A2" t="inlineStr"><is><t>名2</t></is></c></row>'
    assert [r[:1] for r in open_rows(_package(tmp_path / "fine.xlsx", _sheet(rows))).rows] == [[1], ["名2"]]


def _recased(path: Path, old: bytes, new: bytes) -> Path:
    """The workbook's relations name the sheet with other letters' case, which calamine
    matches to the member all the same."""
    with zipfile.ZipFile(path) as zf:
        parts = {i.filename: zf.read(i) for i in zf.infolist()}
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(old, new)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return path


def test_a_sheet_named_in_another_case_is_scanned_as_calamine_finds_it(tmp_path: Path):
    """The scan looked for SHEET1.XML, found no such member and skipped the sheet, which
    calamine then read: broken markup silently, and a 2 KB file with cells A1 and
    XFD1048576 made it allocate 550 GB and abort the process."""
    far = FIRST + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    path = _recased(_package(tmp_path / "far.xlsx", _sheet(far)), b"worksheets/sheet1.xml", b"worksheets/SHEET1.XML")
    with pytest.raises(SheetError) as caught:
        open_rows(path)
    assert caught.value.code == "too_many_cells"
    broken = FIRST + '<row r="2"><c r="A2" t="inlineStr"><is><t>名2</is></c></row>'
    path = _recased(_package(tmp_path / "broken.xlsx", _sheet(broken)), b"worksheets/sheet1.xml",
                    b"Worksheets/Sheet1.xml")
    with pytest.raises(SheetError) as caught:
        list(open_rows(path).rows)
    assert caught.value.code == "corrupt" and "第 2 行附近" in caught.value.message


def test_parts_whose_names_differ_only_in_case_are_refused(tmp_path: Path):
    path = _package(tmp_path / "twins.xlsx", _sheet(FIRST))
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("xl/worksheets/SHEET1.xml", _sheet('<row r="1"><c r="A1"><v>666</v></c></row>'))
    with pytest.raises(SheetError) as caught:
        open_rows(path)
    assert caught.value.code == "corrupt" and "大小写" in caught.value.message


@pytest.mark.parametrize("padding", [" " * 5000, "<!--" + "x" * 5000 + "-->", "<?pi x?>\n" * 600])
def test_a_doctype_after_a_long_prolog_is_an_attack(tmp_path: Path, padding: str):
    """The prolog check read the first 4 KB: a DOCTYPE after 5 KB of space or comment
    reached expat and calamine, which expanded or choked on its entities."""
    sheet = (f'<?xml version="1.0" encoding="UTF-8"?>{padding}<!DOCTYPE worksheet [<!ENTITY e "x">]>'
             f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&e;</t></is>'
             '</c></row></sheetData></worksheet>')
    with pytest.raises(SheetError) as caught:
        open_rows(_package(tmp_path / "dtd.xlsx", sheet))
    assert caught.value.code == "xml_attack"


def test_a_utf16_part_is_refused_as_a_format_not_read(tmp_path: Path):
    sheet = _sheet(FIRST).replace('encoding="UTF-8"', 'encoding="UTF-16"')
    path = _package(tmp_path / "utf16.xlsx", "")
    with zipfile.ZipFile(path) as zf:
        parts = {i.filename: zf.read(i) for i in zf.infolist()}
    parts["xl/worksheets/sheet1.xml"] = sheet.encode("utf-16")
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    with pytest.raises(SheetError) as caught:
        open_rows(path)
    assert caught.value.code == "unsupported_format" and "UTF-16" in caught.value.message


def test_the_stream_finds_a_sheet_named_in_another_case_too(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(reader, "STREAM_AREA", 1)
    rows = FIRST + '<row r="2"><c r="A2" t="inlineStr"><is><t>名2</t></is></c></row>'
    path = _recased(_package(tmp_path / "upper.xlsx", _sheet(rows)), b"worksheets/sheet1.xml", b"worksheets/SHEET1.XML")
    stream = open_rows(path)
    assert stream.rows.gi_code.co_name == "_streamed"  # not calamine's, which found it already
    assert stream.last_row == 2 and [r[:1] for r in stream.rows] == [[1], ["名2"]]


def test_the_workbook_relations_named_in_another_case_are_read_as_calamine_reads_them(tmp_path: Path):
    """xl/_rels/workbook.xml.RELS: the scan found no sheet part and skipped the sheet, which
    calamine (case-blind) read — a 4.8 KB file of A1 and XFD1048576 aborted the process."""
    far = FIRST + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    path = _package(tmp_path / "rels.xlsx", _sheet(far))
    with zipfile.ZipFile(path) as zf:
        parts = {i.filename: zf.read(i) for i in zf.infolist()}
    parts["xl/_rels/workbook.xml.RELS"] = parts.pop("xl/_rels/workbook.xml.rels")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    with pytest.raises(SheetError) as caught:
        open_rows(path)
    assert caught.value.code == "too_many_cells"


def test_a_sheet_whose_part_is_missing_is_refused_before_any_parser(tmp_path: Path):
    path = _recased(_package(tmp_path / "gone.xlsx", _sheet(FIRST)), b"worksheets/sheet1.xml", b"worksheets/nowhere.xml")
    with pytest.raises(SheetError) as caught:
        open_rows(path)
    assert caught.value.code == "corrupt" and "花名册" in caught.value.message


def test_parts_no_reader_reads_may_be_utf16_or_share_a_name_in_another_case(tmp_path: Path):
    """customXml in UTF-16 (document-management systems write it) and docProps twins
    refused whole workbooks; only the parts under xl/ matter to calamine."""
    path = _package(tmp_path / "custom.xlsx", _sheet(FIRST))
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("customXml/item1.xml", '<?xml version="1.0" encoding="UTF-16"?><root/>'.encode("utf-16"))
        zf.writestr("docProps/Custom.xml", "<a/>")
        zf.writestr("docProps/custom.XML", "<b/>")
    assert [r[:1] for r in open_rows(path).rows] == [[1]]
