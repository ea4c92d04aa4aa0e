"""`sheets.fill` is the one way in to filling a template: it streams the layouts it streams
(a list), fills the others in place (an aggregate, a card), and whichever writer runs, the
department gets the same values, formula-like text quoted."""
from __future__ import annotations

import datetime as dt
import re
import string
import zipfile
from pathlib import Path

import openpyxl
import pytest

from tests.sheetfactory import write_xlsx
from tests.test_sheets_writer import AGGREGATE, CARD, SHEET, department_template, person
from yibiao.sheets import NOTES, STREAMED_LAYOUTS, fill, filling, note, note_en, read_workbook


def writer_of(path: Path) -> str:
    """Which writer made the file: the streaming one writes the filled sheet with an XML
    declaration (package.DECLARATION); openpyxl writes every sheet without one."""
    with zipfile.ZipFile(path) as zf:
        sheets = [n for n in zf.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)]
        return "streaming" if any(zf.read(n).startswith(b"<?xml") for n in sheets) else "in_place"


def list_template(tmp_path: Path) -> Path:
    return department_template(tmp_path / "list.xlsx")


def aggregate_template(tmp_path: Path) -> Path:
    return write_xlsx(tmp_path / "agg.xlsx", AGGREGATE, merges=["A1:D1"])


def card_template(tmp_path: Path) -> Path:
    return write_xlsx(tmp_path / "card.xlsx", CARD, merges=["A1:D1", "B4:D4", "B5:D5"])


@pytest.mark.parametrize(("make", "kind", "rows", "writer"), [
    (list_template, "list", [person(1), person(2)], "streaming"),
    (aggregate_template, "aggregate", [["东风社区", 12, 3, 5], ["红旗社区", 8, 1, 2]], "in_place"),
    (card_template, "card", [["王秀英", "女", None, "汉", "11010519491231002X", "红星路1号"]], "in_place"),
], ids=["list", "aggregate", "card"])
def test_fill_streams_the_streamed_layouts_and_fills_the_others_in_place(tmp_path, make, kind, rows, writer):
    template = make(tmp_path)
    layout = read_workbook(template).sheets[0]
    assert layout.layout == kind and (kind in STREAMED_LAYOUTS) == (writer == "streaming")
    result = fill(template, tmp_path / "out.xlsx", layout, iter(rows))  # any iterable, read once
    assert writer_of(result.path) == writer
    assert result.rows_written == len(rows)


def test_both_writers_give_a_small_list_the_same_values(tmp_path, monkeypatch):
    template = list_template(tmp_path)
    layout = read_workbook(template).sheet(SHEET)
    rows = [person(i) for i in range(4)]
    rows[1][1] = "=HYPERLINK(\"http://evil.example\",\"点我\")"  # a name typed as a formula
    rows[2][6] = None  # a phone not known
    blanks = {"填报单位": "=1+1 红星社区", "填报日期": dt.date(2026, 12, 5)}

    streamed = fill(template, tmp_path / "streamed.xlsx", layout, (list(r) for r in rows), blanks=blanks)
    monkeypatch.setattr(filling, "STREAMED_LAYOUTS", frozenset())
    in_place = fill(template, tmp_path / "in_place.xlsx", layout, (list(r) for r in rows), blanks=blanks)
    assert (writer_of(streamed.path), writer_of(in_place.path)) == ("streaming", "in_place")
    assert (streamed.rows_written, streamed.data_rows, streamed.totals_row, streamed.notes) == \
           (in_place.rows_written, in_place.data_rows, in_place.totals_row, in_place.notes)

    got = openpyxl.load_workbook(streamed.path)[SHEET]
    want = openpyxl.load_workbook(in_place.path)[SHEET]
    assert (got.max_row, got.max_column) == (want.max_row, want.max_column)
    for line in want.iter_rows():
        for cell in line:
            assert (got[cell.coordinate].value, got[cell.coordinate].data_type) == (cell.value, cell.data_type), \
                cell.coordinate
    first = layout.data_start_row
    assert got[f"B{first + 1}"].value == "'" + rows[1][1]  # quoted by `fill`, whichever writer ran
    assert got[f"B{first}"].value == "居民0" and got[f"A{first + 3}"].value == 4
    assert got["A2"].value.startswith("填报单位：'=1+1 红星社区")


def test_every_note_reads_in_chinese_and_in_english():
    for code in NOTES:
        fields = {name for zh_en in NOTES[code] for _, name, _, _ in string.Formatter().parse(zh_en) if name}
        params = {name: "X" for name in fields}
        assert note(code, **params) and re.search(r"[\u4e00-\u9fff]", note(code, **params)), code
        assert not re.search(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]", note_en(code, **params)), code
