"""Load a sheet into a sparse grid: the one shape the layout analysis reads.

.xlsx goes through python-calamine: values only, merged ranges kept as ranges. openpyxl's
full load (used here before) creates a Python object for every cell of every merged range
and every formatted empty cell: a real template with one column merged down to row
1,048,576 took 19 s and 450 MB, one with a block of columns merged that way ran for
minutes. Hidden rows and columns, which calamine does not report, come from the safety
scan's pass over the sheet XML. .xls goes through xlrd with formatting_info for its
merged cells.

The first HEAD_ROWS rows are stored as cells (the layout analysis looks at them from every
side); the rows below stream past once through `Grid.tail`, so a sheet of a million rows
is never held as a million dicts.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from . import merges
from .budget import Budget
from .errors import SheetError

Value = str | int | float | bool | dt.datetime | dt.date | dt.time
HEAD_ROWS = 100  # at least the layout's SCAN_ROWS plus MAX_HEADER_DEPTH
CELL_BYTES = 32  # calamine's dense grid: one enum of 32 bytes per cell of the used area
CHECK_EVERY = 4096  # rows between budget checks


@dataclass
class Grid:
    name: str
    cells: dict[tuple[int, int], Value] = field(default_factory=dict)  # 1-based (row, col)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # r1, c1, r2, c2
    hidden_rows: set[int] = field(default_factory=set)
    hidden_cols: set[int] = field(default_factory=set)
    hidden: bool = False
    # Rows after the stored ones, (row number, {column: value}) in order, read once.
    tail: Iterable[tuple[int, dict[int, Value]]] = ()

    @property
    def max_row(self) -> int:
        """Of the stored cells (the head when a tail streams)."""
        return max((r for r, _ in self.cells), default=0)

    @property
    def max_col(self) -> int:
        return max((c for _, c in self.cells), default=0)


def clean_value(value: object) -> Value | None:
    """Empty strings are empty; integral floats are ints (IDs must never become 1.0)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dt.timedelta):  # a duration cell: shown as Excel would, h:mm:ss
        return str(value)
    return value  # type: ignore[return-value]


def load_xlsx(path: Path, scans: Iterable[object] | None = None, budget: Budget | None = None,
              max_rows: int | None = None) -> Iterator[Grid]:
    """Yield one Grid per worksheet of an .xlsx, reading cached values, never formulas.

    `scans` are the safety inspection's SheetScans (inspected here when not given); each
    grid's tail must be consumed before the next grid is asked for.
    """
    from python_calamine import CalamineWorkbook

    from .safety import inspect_file

    if scans is None:
        scans = inspect_file(path).sheets
    by_name = {scan.name: scan for scan in scans}  # type: ignore[attr-defined]
    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:
        raise _parse_error(path, exc) from exc
    try:
        for meta in wb.sheets_metadata:
            if "WorkSheet" not in str(meta.typ):
                continue
            scan = by_name.get(meta.name)
            if budget is not None and scan is not None:
                budget.fits(scan.max_row * scan.max_col * CELL_BYTES, meta.name)
            try:
                ws = wb.get_sheet_by_name(meta.name)
            except Exception as exc:
                raise _parse_error(path, exc) from exc
            if budget is not None:
                budget.check(meta.name)
                if max_rows is not None and ws.end:
                    budget.rows(ws.end[0] + 1, max_rows, meta.name)
            grid = Grid(name=meta.name, hidden="Visible" not in str(meta.visible) or "Hidden" in str(meta.visible))
            grid.merges = used_merges(ws)
            if scan is not None:
                grid.hidden_rows, grid.hidden_cols = set(scan.hidden_rows), set(scan.hidden_cols)
            rows = _sparse_rows(ws, budget)
            for row_no, own in rows:
                for c, v in own.items():
                    grid.cells[(row_no, c)] = v
                if row_no >= HEAD_ROWS:
                    break
            grid.tail = rows
            yield grid
            del ws, grid
    finally:
        wb.close()


def used_merges(ws: object) -> list[tuple[int, int, int, int]]:
    """A calamine sheet's merged ranges (1-based), clipped to the cells holding values
    (calamine's used area: values only) plus a margin, as sheets/merges.py explains."""
    end = ws.end or (-1, -1)  # type: ignore[attr-defined]
    return merges.clip(((r1 + 1, c1 + 1, r2 + 1, c2 + 1)
                        for (r1, c1), (r2, c2) in ws.merged_cell_ranges or []),  # type: ignore[attr-defined]
                       end[0] + 1, end[1] + 1)


def _sparse_rows(ws: object, budget: Budget | None) -> Iterator[tuple[int, dict[int, Value]]]:
    """(row number, {column: value}) of calamine's dense rows, empty cells and rows left out.

    clean_value's rules inlined: a call per cell cost more than calamine's whole parse."""
    first_row, first_col = ws.start or (0, 0)  # type: ignore[attr-defined]
    first_col += 1
    for i, raw in enumerate(ws.iter_rows()):  # type: ignore[attr-defined]
        if budget is not None and i % CHECK_EVERY == CHECK_EVERY - 1:
            budget.check(ws.name)  # type: ignore[attr-defined]
        own: dict[int, Value] = {}
        for j, value in enumerate(raw, start=first_col):
            kind = value.__class__
            if kind is str:
                if value and not value.isspace():
                    own[j] = value
            elif kind is float:
                own[j] = int(value) if value.is_integer() and -_EXACT_INT < value < _EXACT_INT else value
            elif kind is dt.timedelta:
                own[j] = str(value)
            elif value is not None:
                own[j] = value
        if own:
            yield first_row + i + 1, own


_EXACT_INT = float(2**53)


def load_xls(path: Path, scans: object = None, budget: Budget | None = None,
             max_rows: int | None = None) -> Iterator[Grid]:
    """Yield one Grid per sheet of a legacy .xls (BIFF), dates converted to datetime."""
    import xlrd

    try:
        try:
            book = xlrd.open_workbook(str(path), formatting_info=True, on_demand=True)
        except NotImplementedError:  # BIFF versions without formatting support
            book = xlrd.open_workbook(str(path), on_demand=True)
    except Exception as exc:
        if "encrypt" in str(exc).lower():
            raise SheetError("encrypted", {"file": path.name}) from exc
        raise _parse_error(path, exc) from exc
    try:
        for index in range(book.nsheets):
            sh = book.sheet_by_index(index)
            grid = Grid(name=sh.name, hidden=bool(getattr(sh, "visibility", 0)))
            if budget is not None and max_rows is not None:
                budget.rows(sh.nrows, max_rows, sh.name)
            for r in range(sh.nrows):
                if budget is not None and r % 1024 == 1023:
                    budget.check(sh.name)
                for c, (ctype, raw) in enumerate(zip(sh.row_types(r), sh.row_values(r), strict=False)):
                    v = _xls_value(ctype, raw, book.datemode)
                    if v is not None:
                        grid.cells[(r + 1, c + 1)] = v
            grid.merges = merges.clip(((rlo + 1, clo + 1, rhi, chi)
                                       for rlo, rhi, clo, chi in getattr(sh, "merged_cells", [])),
                                      sh.nrows, sh.ncols)
            grid.hidden_rows = {r + 1 for r, info in sh.rowinfo_map.items() if info.hidden}
            grid.hidden_cols = {c + 1 for c, info in sh.colinfo_map.items() if info.hidden}
            yield grid
            book.unload_sheet(index)
    finally:
        book.release_resources()


def _xls_value(ctype: int, raw: object, datemode: int) -> Value | None:
    import xlrd

    if ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
        return None
    if ctype == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate_as_datetime(float(raw), datemode)  # type: ignore[arg-type]
        except (ValueError, OverflowError):
            return clean_value(raw)
    if ctype == xlrd.XL_CELL_BOOLEAN:
        return bool(raw)
    return clean_value(raw)


def _parse_error(path: Path, exc: Exception) -> SheetError:
    """A parser's failure, translated: entity tricks are attacks, the rest is damage."""
    cause: BaseException | None = exc
    while cause is not None:  # openpyxl wraps the parser's exception in a ValueError
        if type(cause).__module__.startswith("defusedxml"):
            return SheetError("xml_attack", {"file": path.name, "detail": type(cause).__name__})
        cause = cause.__cause__ or cause.__context__
    return SheetError("corrupt", {"file": path.name, "detail": f"{type(exc).__name__}: {exc}"[:200]})
