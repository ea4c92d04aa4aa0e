"""Hostile and broken files are refused before any parser is at risk, each with a stable
code and a Chinese message naming the file; formulas are never evaluated."""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from defusedxml import DefusedXmlException

from tests.sheetfactory import rewrite_member, table, write_xls, write_xlsx
from yibiao.sheets import (
    MESSAGES_EN,
    MESSAGES_ZH,
    Limits,
    SheetError,
    inspect_file,
    iter_rows,
    read_workbook,
)
from yibiao.sheets.grid import load_xlsx

HEADER = table("""
| 姓名 | 身份证号 |
| 张三 | 11010519491231002X |
""")
LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                     for i in range(1, 10))
          + b"]>\n")


@pytest.fixture
def good(tmp_path: Path) -> Path:
    return write_xlsx(tmp_path / "good.xlsx", HEADER)


def refused(path: Path, limits: Limits | None = None) -> SheetError:
    with pytest.raises(SheetError) as caught:
        read_workbook(path, limits) if limits else read_workbook(path)
    assert path.name in caught.value.message, "the message names the file"
    return caught.value


def test_a_good_file_passes(good: Path) -> None:
    assert read_workbook(good).sheets[0].columns[1].header == "身份证号"


def test_zip_bomb_by_compression_ratio(good: Path) -> None:
    rewrite_member(good, "xl/media/image1.bin", b"\0" * (6 * 1024 * 1024))
    err = refused(good)
    assert err.code == "zip_bomb" and "压缩比" in err.message


def test_zip_bomb_by_total_size(good: Path) -> None:
    rewrite_member(good, "xl/media/big.bin", bytes(range(256)) * 8192, compress=zipfile.ZIP_STORED)
    assert refused(good, Limits(max_uncompressed_bytes=1024 * 1024)).code == "zip_bomb"


def test_dimension_claiming_a_million_columns(good: Path) -> None:
    rewrite_member(good, "xl/worksheets/sheet1.xml",
                   lambda xml: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:AAAAA1"', xml))
    err = refused(good)
    assert err.code == "too_many_columns" and "Sheet1" in err.message


def test_cell_beyond_the_last_excel_row(good: Path) -> None:
    rewrite_member(good, "xl/worksheets/sheet1.xml",
                   lambda xml: xml.replace(b"</sheetData>",
                                           b'<row r="2000000"><c r="A2000000" t="n"><v>1</v></c></row></sheetData>'))
    assert refused(good).code == "too_many_rows"


def test_used_area_too_big_for_a_dense_reader(good: Path) -> None:
    rewrite_member(good, "xl/worksheets/sheet1.xml",
                   lambda xml: xml.replace(b"</sheetData>",
                                           b'<row r="1000000"><c r="XFD1000000" t="n"><v>1</v></c></row></sheetData>'))
    with pytest.raises(SheetError) as caught:
        list(iter_rows(good))  # calamine would allocate 16 billion cells
    assert caught.value.code == "too_many_cells"


@pytest.mark.parametrize("far_cell", [
    b'<row r="1"><c r="XFD1000000" t="n"><v>1</v></c></row>',  # before the honest rows
    b'<row r="1"><c r="xfd1000000" t="n"><v>1</v></c></row>',  # lower-case letters
    b'<row r="1"><c r="A01000000" t="n"><v>1</v></c><c r="XFD1" t="n"><v>1</v></c></row>',  # leading zero
])
def test_a_far_cell_anywhere_in_the_sheet_is_found(good: Path, far_cell: bytes) -> None:
    # The scan finds the extent by searching beyond the last reference; a hostile cell
    # out of order must not hide from it.
    rewrite_member(good, "xl/worksheets/sheet1.xml",
                   lambda xml: re.sub(rb"<sheetData>", b"<sheetData>" + far_cell, xml))
    with pytest.raises(SheetError) as caught:
        list(iter_rows(good))
    assert caught.value.code == "too_many_cells"


def test_the_scan_measures_the_used_area_exactly(tmp_path: Path) -> None:
    rows = [["序号", "姓名", *(f"列{i}" for i in range(30))]] + [[i, "张三", *range(30)] for i in range(1, 1201)]
    rows.append(["注：以上数据截至 2026 年 6 月"])
    [scan] = inspect_file(write_xlsx(tmp_path / "wide.xlsx", rows)).sheets
    assert (scan.max_row, scan.max_col) == (1202, 32)


def test_encrypted_xlsx_is_an_ole_container(tmp_path: Path) -> None:
    # What Excel writes for a password-protected .xlsx: an OLE compound file whose
    # directory holds EncryptionInfo and EncryptedPackage streams.
    fake = tmp_path / "secret.xlsx"
    fake.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 504
                     + "EncryptionInfo".encode("utf-16-le") + b"\0" * 100
                     + "EncryptedPackage".encode("utf-16-le") + b"\0" * 400)
    err = refused(fake)
    assert err.code == "encrypted" and "密码" in err.message


def test_encrypted_legacy_xls(tmp_path: Path) -> None:
    assert refused(write_xls(tmp_path / "secret.xls", HEADER, encrypted=True)).code == "encrypted"


def test_macros_in_an_xlsm(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "m.xlsx", HEADER).rename(tmp_path / "m.xlsm")
    assert refused(path).code == "macros"


def test_macros_inside_an_xlsx_are_read_past_with_a_notice(good: Path) -> None:
    # Real templates carry VBA projects; no parser here runs them (tests/test_real_templates.py)
    rewrite_member(good, "xl/vbaProject.bin", b"VBA")
    book = read_workbook(good)
    assert [w.code for w in book.warnings] == ["macros_ignored"]
    assert book.sheets[0].columns[1].header == "身份证号"


def test_billion_laughs_is_refused_before_parsing(good: Path) -> None:
    rewrite_member(good, "xl/sharedStrings.xml", lambda xml: LAUGHS + xml.split(b"?>", 1)[-1])
    assert refused(good).code == "xml_attack"


def test_openpyxl_itself_parses_with_defusedxml(good: Path) -> None:
    # Second line of defence: even without our pre-check, openpyxl refuses entities.
    rewrite_member(good, "xl/workbook.xml", lambda xml: LAUGHS + xml.split(b"?>", 1)[-1])
    assert openpyxl.DEFUSEDXML is True
    with pytest.raises(ValueError) as caught:
        openpyxl.load_workbook(good)
    assert isinstance(caught.value.__cause__, DefusedXmlException)
    with pytest.raises(SheetError) as ours:
        list(load_xlsx(good))  # our loader, called without the pre-check, says what it was
    assert ours.value.code == "xml_attack"


def test_formula_without_cached_value_is_read_as_empty_with_a_warning(tmp_path: Path) -> None:
    rows = table("""
    | 社区 | 人数 |
    | 东风 | 3    |
    | 红旗 | 4    |
    """) + [["合计", "=SUM(B2:B3)"]]
    book = read_workbook(write_xlsx(tmp_path / "f.xlsx", rows))  # openpyxl saves no cached value
    assert [(w.code, w.params["cell"]) for w in book.warnings] == [("formula_no_cache", "B4")]
    assert "B4" in book.warnings[0].message
    assert book.sheets[0].totals_rows == [4]


@pytest.mark.parametrize(("name", "content", "code"), [
    ("notes.xlsx", b"just some text, not a workbook", "not_a_spreadsheet"),
    ("truncated.xlsx", b"PK\x03\x04" + b"\0" * 40, "corrupt"),
])
def test_not_a_spreadsheet(tmp_path: Path, name: str, content: bytes, code: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert refused(path).code == code


def test_a_missing_file_is_said_to_be_missing_not_to_be_no_workbook(tmp_path: Path) -> None:
    err = refused(tmp_path / "花名册.xlsx")
    assert err.code == "file_not_found" and "找不到文件「花名册.xlsx」" in err.message
    assert "was not found" in err.message_en


def test_a_folder_named_like_a_workbook_cannot_be_opened(tmp_path: Path) -> None:
    folder = tmp_path / "roster.xlsx"
    folder.mkdir()
    err = refused(folder)
    assert err.code == "cannot_open" and "文件夹" in err.message and "folder" in err.message_en


def test_a_word_document_is_not_a_spreadsheet(tmp_path: Path) -> None:
    path = tmp_path / "report.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("word/document.xml", "<w:document/>")
    err = refused(path)
    assert err.code == "not_a_spreadsheet" and "Word" in err.message


def test_inspect_reports_the_container_kind(good: Path, tmp_path: Path) -> None:
    assert inspect_file(good).kind == "xlsx"
    assert inspect_file(write_xls(tmp_path / "a.xls", HEADER)).kind == "xls"


def test_every_code_has_a_chinese_and_an_english_message() -> None:
    assert MESSAGES_ZH.keys() == MESSAGES_EN.keys()
    for code in MESSAGES_ZH:
        err = SheetError(code, {"file": "模板.xlsx", "sheet": "Sheet1", "detail": "x"})
        assert "模板.xlsx" in err.message and "模板.xlsx" in err.message_en


@pytest.mark.parametrize("spoil", ["bomb", "word", "far_cell", "too_many_members"])
def test_english_refusals_say_what_was_wrong_in_english(good: Path, tmp_path: Path, spoil: str) -> None:
    path, limits = good, Limits()
    if spoil == "bomb":
        rewrite_member(good, "xl/media/big.bin", bytes(range(256)) * 8192, compress=zipfile.ZIP_STORED)
        limits = Limits(max_uncompressed_bytes=1024 * 1024)
    elif spoil == "word":
        path = tmp_path / "report.xlsx"
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("word/document.xml", "<w:document/>")
    elif spoil == "far_cell":
        rewrite_member(good, "xl/worksheets/sheet1.xml",
                       lambda xml: xml.replace(b"</sheetData>",
                                               b'<row r="2000000"><c r="A2000000"><v>1</v></c></row></sheetData>'))
    else:
        limits = Limits(max_members=3)
    err = refused(path, limits)
    assert not re.search(r"[\u4e00-\u9fff]", err.message_en), err.message_en
    assert re.search(r"[\u4e00-\u9fff]", err.message), "the Chinese message keeps its Chinese detail"
