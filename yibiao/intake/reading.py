"""A sheet's layout and its data rows in one streaming pass (pure Python, no Django).

`read_workbook` loads the whole file with openpyxl (styles, merges, hidden rows): right for
a template, 30x slower than calamine on a 100,000-row roster. An import needs only the
header block, which the layout analysis finds in the first SCAN_ROWS rows, and then the
values. So the head of the `open_rows` stream (which has already passed the safety
inspection) is analysed with the same `analyse` the template reader uses, and the rest of
the stream is classified row by row with the template reader's own rules for totals,
notes and footers.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

from yibiao.sheets import SheetLayout
from yibiao.sheets.grid import Grid, Value
from yibiao.sheets.layout import (
    MAX_HEADER_DEPTH,
    NOTE_RE,
    SCAN_ROWS,
    TOTAL_WORDS,
    analyse,
    blank_label,
    simplified,
    squeeze,
    text_of,
)
from yibiao.sheets.reader import open_rows

HEAD_ROWS = SCAN_ROWS + MAX_HEADER_DEPTH + 10  # the header search plus a few sample rows
Row = list[Value | None]


@dataclass
class SheetStream:
    """One sheet: its layout, the workbook's sheet names, and its data rows still to read."""

    layout: SheetLayout
    sheet_names: list[str]
    rows: Iterator[tuple[int, Row]]  # (1-based row number, values), data rows only
    skipped: dict[str, int] = field(default_factory=dict)  # totals / footer / empty rows
    last_row: int = 0  # the sheet's last used row: how far along a read is

    def close(self) -> None:
        close = getattr(self.rows, "close", None)
        if close:
            close()


def open_sheet(path: str | Path, sheet: str | None = None) -> SheetStream:
    """Layout and data rows of `sheet` (default: the first visible sheet).

    Raises SheetError for refused files (the inspection runs before any parser).
    """
    opened = open_rows(path, sheet)
    head = _take(opened.rows, HEAD_ROWS)
    grid = Grid(name=opened.name, hidden=opened.hidden)
    for r, row in enumerate(head, start=1):
        for c, value in enumerate(row, start=1):
            if value is not None:
                grid.cells[(r, c)] = value
    grid.merges = opened.merges
    layout = analyse(grid)
    result = SheetStream(layout=layout, sheet_names=opened.sheet_names, rows=iter(()),
                         last_row=opened.last_row)
    result.rows = _data_rows(layout, head, opened.rows, result.skipped)
    return result


def _take(stream: Iterator[Row], n: int) -> list[Row]:
    head = []
    for row in stream:
        head.append(row)
        if len(head) >= n:
            break
    return head


def _data_rows(layout: SheetLayout, head: list[Row], stream: Iterator[Row],
               skipped: dict[str, int]) -> Iterator[tuple[int, Row]]:
    """Rows from data_start_row on: data only; totals and empty rows skipped, a footer ends it."""
    width = max((c.index for c in layout.columns), default=0)
    start = layout.data_start_row
    if not layout.columns or start < 1:
        return

    try:
        for row_no, row in chain(enumerate(head, start=1), enumerate(stream, start=len(head) + 1)):
            if row_no < start:
                continue
            kind = row_kind(row, width)
            if kind == "data":
                yield row_no, row
                continue
            skipped[kind] = skipped.get(kind, 0) + 1
            if kind == "footer":
                return
    finally:
        close = getattr(stream, "close", None)
        if close:
            close()


# Characters every note and total word holds, in either script: rows without them skip
# the OpenCC conversion those rules need.
_NOTE_START = re.compile(r"\s*[注註说說説备備附填]")
_TOTAL_HINT = re.compile(r"[计計数數]")


def row_kind(row: Row, width: int) -> str:
    """data | total | footer | empty, by the rules `yibiao.sheets.layout` applies to templates."""
    own = [v for v in row if v is not None]
    if not own:
        return "empty"
    first = own[0]
    if isinstance(first, str) and _NOTE_START.match(first) and NOTE_RE.match(simplified(first.strip())):
        return "footer"
    if len(own) <= 6 and any(isinstance(v, str) and (":" in v or "：" in v) and blank_label(v)
                             for v in own):
        return "footer"
    for v in own[:3]:
        if isinstance(v, str) and len(v) <= 12 and _TOTAL_HINT.search(v):
            t = squeeze(v)
            if t.replace("：", "").replace(":", "") in TOTAL_WORDS:
                return "total"
    if len(own) == 1 and width > 2:
        text = squeeze(text_of(first))
        if len(text) > 20:
            return "footer"  # a long sentence under a table is a note without a 注 prefix
    return "data"
