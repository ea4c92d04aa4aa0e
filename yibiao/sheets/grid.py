"""Load a sheet into a sparse grid: the one shape the layout analysis reads.

.xlsx goes through openpyxl in normal mode (read-only mode exposes no merged ranges and no
row/column dimensions, both needed for headers); .xls through xlrd with formatting_info
for its merged cells. Only non-empty cells are stored, so a stray cell far away costs
nothing here.
"""
from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .errors import SheetError

Value = str | int | float | bool | dt.datetime | dt.date | dt.time


@dataclass
class Grid:
    name: str
    cells: dict[tuple[int, int], Value] = field(default_factory=dict)  # 1-based (row, col)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # r1, c1, r2, c2
    hidden_rows: set[int] = field(default_factory=set)
    hidden_cols: set[int] = field(default_factory=set)
    hidden: bool = False

    @property
    def max_row(self) -> int:
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
    return value  # type: ignore[return-value]


def load_xlsx(path: Path) -> Iterator[Grid]:
    """Yield one Grid per sheet of an .xlsx, reading cached values, never formulas."""
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about unsupported extensions
            wb = openpyxl.load_workbook(path, data_only=True, keep_links=False, rich_text=False)
    except Exception as exc:
        raise _parse_error(path, exc) from exc
    try:
        for ws in wb.worksheets:
            grid = Grid(name=ws.title, hidden=ws.sheet_state != "visible")
            # ws._cells is openpyxl's sparse store; iterating ws.iter_rows would walk every
            # empty cell of the bounding box.
            for (r, c), cell in ws._cells.items():
                v = clean_value(cell.value)
                if v is not None:
                    grid.cells[(r, c)] = v
            for rng in ws.merged_cells.ranges:
                grid.merges.append((rng.min_row, rng.min_col, rng.max_row, rng.max_col))
            grid.hidden_rows = {r for r, d in ws.row_dimensions.items() if d.hidden}
            for dim in ws.column_dimensions.values():
                if dim.hidden and dim.min:
                    grid.hidden_cols.update(range(dim.min, min(dim.max or dim.min, 16384) + 1))
            yield grid
    finally:
        wb.close()


def load_xls(path: Path) -> Iterator[Grid]:
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
            for r in range(sh.nrows):
                for c, (ctype, raw) in enumerate(zip(sh.row_types(r), sh.row_values(r), strict=False)):
                    v = _xls_value(ctype, raw, book.datemode)
                    if v is not None:
                        grid.cells[(r + 1, c + 1)] = v
            for rlo, rhi, clo, chi in getattr(sh, "merged_cells", []):
                grid.merges.append((rlo + 1, clo + 1, rhi, chi))
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
