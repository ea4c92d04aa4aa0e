"""Merged ranges cut to the cells that hold values, wherever a sheet is read or opened.

A merged range costs what it covers: openpyxl builds an object per covered cell, and a
loop over a range's cells visits each one; its value lives in its first cell only. A
100-byte `<mergeCell ref="A2:XFD1048576"/>` covers 17 billion cells (a web worker died at
4 GB), 20,000 full-width row merges kept a worker busy until it was killed. So every
reader clips a sheet's merged ranges to the extent of the cells that hold a value plus a
margin, in rows and in columns: the layout analysis (from calamine's used area, values
only), the formats reader and the writers' openpyxl open (from the sheet XML). What lies
beyond is empty in every cell a merge would show, so no value is lost; a template's own
ruling a little past its table (a title box, empty pre-drawn rows) stays inside the
margin. A sheet whose merges still cover more than MAX_MERGED_CELLS keeps the first ones
up to that count: Excel refuses overlapping merges, so only a forged file gets there.
"""
from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from pathlib import Path

from openpyxl.utils import column_index_from_string, get_column_letter

Merge = tuple[int, int, int, int]  # 1-based first row, first column, last row, last column

ROW_MARGIN = 1000  # empty pre-drawn rows under a template's table keep their merges
COL_MARGIN = 16  # a title or an answer box merged a little right of the last filled column
MAX_MERGED_CELLS = 1_000_000  # all clipped merges of one sheet together
# A sheet part whose merges cover fewer cells than this is left as it is (no copy made):
# openpyxl opens it in well under a second. Real templates stay far below.
CHEAP_MERGED_CELLS = 200_000
_CLIP_PART_BYTES = 64 * 1024 * 1024  # parts larger than this are rosters, never clipped here

_MERGE_REF = re.compile(rb'(<(?:\w+:)?mergeCell\s+ref=")\$?([A-Za-z]{1,3})\$?(\d+):\$?([A-Za-z]{1,3})\$?(\d+)"(\s*/>)?')
_MERGE_COUNT = re.compile(rb'(<(?:\w+:)?mergeCells\b[^>]*?\bcount=")\d+"')
# A cell holding a value: <c r="B7" ...> then an optional formula, then <v> or <is>.
# Styled empty cells (<c r="XFD1048576" s="3"/>) do not count.
_VALUED_CELL = re.compile(
    rb'<(?:\w+:)?c\s[^>]*?\br="([A-Za-z]{1,3})(\d+)"[^>/]*>'
    rb'(?:<(?:\w+:)?f\b[^>]*?(?:/>|>[^<]*</(?:\w+:)?f>))?<(?:\w+:)?(?:v|is)[\s>]')


class _Clipper:
    """Decides merge by merge, in the file's order (see `clip`)."""

    def __init__(self, last_row: int, last_col: int) -> None:
        self.row_end, self.col_end = last_row + ROW_MARGIN, last_col + COL_MARGIN
        self.seen: set[Merge] = set()
        self.covered = 0

    def take(self, r1: int, c1: int, r2: int, c2: int) -> Merge | None:
        if r1 > self.row_end or c1 > self.col_end:
            return None
        m = (r1, c1, min(r2, self.row_end), min(c2, self.col_end))
        area = (m[2] - r1 + 1) * (m[3] - c1 + 1)
        if m in self.seen or self.covered + area > MAX_MERGED_CELLS:
            return None
        self.seen.add(m)
        self.covered += area
        return m


def clip(merges: Iterable[Merge], last_row: int, last_col: int) -> list[Merge]:
    """`merges` cut to `last_row` + ROW_MARGIN and `last_col` + COL_MARGIN (the extent of the
    cells holding values); ranges starting beyond are dropped, repeats dropped, and the
    total kept under MAX_MERGED_CELLS covered cells."""
    clipper = _Clipper(last_row, last_col)
    return [m for m in (clipper.take(*merge) for merge in merges) if m is not None]


def covered_cells(merges: Iterable[Merge]) -> int:
    return sum((r2 - r1 + 1) * (c2 - c1 + 1) for r1, c1, r2, c2 in merges)


def valued_extent(sheet_xml: bytes) -> tuple[int, int]:
    """(last row, last column) of the cells of a worksheet part that hold a value."""
    last_row = last_col = 0
    for m in _VALUED_CELL.finditer(sheet_xml):
        last_row = max(last_row, int(m.group(2)))
        last_col = max(last_col, column_index_from_string(m.group(1).decode().upper()))
    return last_row, last_col


def _merges_of(sheet_xml: bytes) -> list[Merge]:
    return [(int(m.group(3)), column_index_from_string(m.group(2).decode().upper()),
             int(m.group(5)), column_index_from_string(m.group(4).decode().upper()))
            for m in _MERGE_REF.finditer(sheet_xml)]


def clip_sheet_xml(sheet_xml: bytes) -> bytes | None:
    """The worksheet part with its merges clipped (see `clip`), or None when they are cheap
    enough to open as they are."""
    merges = _merges_of(sheet_xml)
    if covered_cells(merges) <= CHEAP_MERGED_CELLS:
        return None
    clipper = _Clipper(*valued_extent(sheet_xml))

    count = 0

    def one(m: re.Match[bytes]) -> bytes:
        # Each <mergeCell> rewritten in place with its clipped end, or gone; one that is not
        # a plain empty element (never written so) becomes a single cell: no merge.
        nonlocal count
        kept = clipper.take(int(m.group(3)), column_index_from_string(m.group(2).decode().upper()),
                            int(m.group(5)), column_index_from_string(m.group(4).decode().upper()))
        if kept is None:
            return b"" if m.group(6) else m.group(1) + m.group(2) + m.group(3) + b'"'
        count += 1
        return m.group(1) + _ref(kept).encode() + b'"' + (m.group(6) or b"")

    clipped = _MERGE_REF.sub(one, sheet_xml)
    return _MERGE_COUNT.sub(lambda m: m.group(1) + str(count).encode() + b'"', clipped, count=1)


def _ref(m: Merge) -> str:
    return f"{get_column_letter(m[1])}{m[0]}:{get_column_letter(m[3])}{m[2]}"


def clipped_copy(path: Path, out: Path) -> Path:
    """`path` itself when no sheet's merges are costly, else a copy at `out` whose costly
    sheets have their merges clipped to their values (see the module docstring)."""
    with zipfile.ZipFile(path) as zf:
        changed: dict[str, bytes] = {}
        for info in zf.infolist():
            if not info.filename.startswith("xl/worksheets/") or info.file_size >= _CLIP_PART_BYTES:
                continue
            data = zf.read(info)
            if b"mergeCell" not in data:
                continue
            clipped = clip_sheet_xml(data)
            if clipped is not None:
                changed[info.filename] = clipped
        if not changed:
            return path
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zf.infolist():
                zout.writestr(info, changed.get(info.filename) or zf.read(info))
    return out
