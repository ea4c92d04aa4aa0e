"""Public entry points: read a template's layout; stream a sheet's data rows fast."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from . import merges
from .budget import Budget
from .errors import SheetError, SheetWarning
from .grid import CELL_BYTES, Value, _parse_error, load_xls, load_xlsx, used_merges
from .layout import analyse
from .model import Workbook
from .safety import Inspection, Limits, check_markup, current_limits, inspect_file


def read_workbook(path: str | Path, limits: Limits | None = None) -> Workbook:
    """Check `path` for hostile content, then read every sheet's layout.

    Raises SheetError (coded, with a Chinese message) when the file is refused, and when
    reading it would pass the limits of one inspection (rows, memory, `inspect_seconds`):
    the whole inspection, safety scan included, finishes or refuses within its deadline.
    """
    path = Path(path)
    limits = limits or current_limits()
    budget = limits.budget(path.name, limits.inspect_seconds)
    inspection = inspect_file(path, limits, budget=budget)
    book = Workbook(path=path, format=inspection.kind, warnings=inspection.warnings)
    for scan in inspection.sheets:
        for ref in scan.uncached_formulas[:20]:
            book.warnings.append(SheetWarning("formula_no_cache", {"file": path.name, "sheet": scan.name, "cell": ref}))
    loader = load_xlsx if inspection.kind == "xlsx" else load_xls
    for grid in loader(path, inspection.sheets, budget, limits.max_data_rows):
        layout = analyse(grid, budget)
        if not layout.columns and grid.cells:
            book.warnings.append(SheetWarning("no_header", {"file": path.name, "sheet": grid.name}))
        book.sheets.append(layout)
    return book


@dataclass
class RowStream:
    """One sheet opened for reading values: what an import needs besides the rows."""

    name: str
    sheet_names: list[str]  # worksheets, in workbook order
    hidden: bool
    merges: list[tuple[int, int, int, int]]  # 1-based (first row, first col, last row, last col)
    rows: Iterator[list[Value | None]]
    last_row: int = 0  # the sheet's last used row, known once calamine has parsed it (progress)

    def close(self) -> None:
        close = getattr(self.rows, "close", None)
        if close:
            close()


def open_rows(path: str | Path, sheet: str | int | None = None, start_row: int = 1,
              limits: Limits | None = None) -> RowStream:
    """Open one sheet through calamine: no styles, 5-10x faster than openpyxl.

    `sheet` None is the first visible worksheet. The file is inspected once and calamine
    parses the sheet once; names, visibility and merged ranges come from that same pass.
    Integral floats become ints, so an ID typed as a number never turns into 4.3e+17;
    empty cells are None. Rows are numbered from 1 as Excel shows them.

    calamine reads broken markup as it can (`<t>名2</is>` joined two cells): the sheet's XML
    is checked by expat on a thread while calamine, which gives the GIL up, parses it.

    The read stops with a coded SheetError at the limits (`max_data_rows`, memory growth
    `max_parse_bytes` checked every few thousand rows while the caller consumes them, and
    `read_seconds`). calamine parses a sheet in one call into a dense grid of 32 bytes a
    cell, so that grid is estimated from the safety scan and refused before it is built.
    An .xlsx sheet whose used area passes STREAM_AREA cells is not given to calamine: its
    XML streams through `xlsxrows` in flat memory (rows then end at their last value).
    """
    from python_calamine import CalamineWorkbook

    path = Path(path)
    limits = limits or current_limits()
    budget = limits.budget(path.name, limits.read_seconds)
    inspection = inspect_file(path, limits, budget=budget, markup=False)
    if inspection.kind == "xlsx" and any(s.max_row * s.max_col > STREAM_AREA for s in inspection.sheets):
        streamed = _open_streamed(path, inspection, sheet, start_row, limits, budget)
        if streamed is not None:
            return streamed
    try:
        wb = CalamineWorkbook.from_path(str(path))  # reads the shared strings
    except Exception as exc:
        if inspection.kind == "xlsx":
            check_markup(inspection, None)  # the precise reason, if it is their markup
        raise _parse_error(path, exc) from exc
    try:
        meta = wb.sheets_metadata
        names = [m.name for m in meta if "WorkSheet" in str(m.typ)]
        visible = {m.name: "Visible" in str(m.visible) and "Hidden" not in str(m.visible) for m in meta}
        if sheet is None:
            sheet = next((n for n in names if visible.get(n, True)), names[0] if names else 0)
        name = names[sheet] if isinstance(sheet, int) and 0 <= sheet < len(names) else sheet
        scan = next((s for s in inspection.sheets if s.name == name), None)
        if scan is not None:
            budget.fits(scan.max_row * scan.max_col * CELL_BYTES, scan.name)
        checked = _Checked(inspection, name) if inspection.kind == "xlsx" and name in names else None
        try:
            ws = wb.get_sheet_by_index(sheet) if isinstance(sheet, int) else wb.get_sheet_by_name(sheet)
        except Exception as exc:
            if checked is not None:
                checked.wait()  # broken markup is the better reason
            if name in names:  # there, but calamine could not parse it
                raise _parse_error(path, exc) from exc
            raise SheetError("sheet_not_found", {"file": path.name, "sheet": str(sheet)}) from exc
        if checked is not None:
            checked.wait()
        budget.check(ws.name)
        if ws.end:
            budget.rows(ws.end[0] + 1, limits.max_data_rows, ws.name)
    except BaseException:
        wb.close()
        raise
    return RowStream(name=ws.name, sheet_names=names, hidden=not visible.get(ws.name, True),
                     merges=used_merges(ws), rows=_rows(wb, ws, start_row, budget),
                     last_row=ws.end[0] + 1 if ws.end else 0)


class _Checked:
    """check_markup on a thread of its own; `wait` raises what it found."""

    def __init__(self, inspection: Inspection, sheet: str) -> None:
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(inspection, sheet), daemon=True,
                                       name="yibiao-markup")
        self.thread.start()

    def _run(self, inspection: Inspection, sheet: str) -> None:
        try:
            check_markup(inspection, sheet)
        except BaseException as error:  # noqa: BLE001 - raised on the reading thread by wait()
            self.error = error

    def wait(self) -> None:
        self.thread.join()
        if self.error is not None:
            raise self.error


CHECK_EVERY = 4096  # rows between budget checks: a /proc read each, ~1 µs a row
# Used area (rows × columns of the safety scan) above which an .xlsx sheet streams from its
# XML (sheets/xlsxrows.py) instead of calamine's whole-sheet grid: 2,000,000 cells are a
# 64 MB grid, ~190 MB with its strings (1,153 MB at 12,000,000). The streamed read costs
# 1.4-1.5x calamine's CPU (100,000 × 12: 3.1 s / 2.3 s) in 55 MB whatever the size.
STREAM_AREA = 2_000_000


def _open_streamed(path: Path, inspection: object, sheet: str | int | None, start_row: int,
                   limits: Limits, budget: Budget) -> RowStream | None:
    """open_rows through `xlsxrows`, or None when the sheet asked for is small (calamine's)."""
    import zipfile

    from .xlsxrows import Book, stream_rows

    with zipfile.ZipFile(path) as zf:
        book = Book(zf, path.name, budget)  # the shared strings count against the read's budget
    names = [name for name, _part, _visible in book.sheets]
    visible = {name: shown for name, _part, shown in book.sheets}
    if sheet is None:
        sheet = next((n for n in names if visible[n]), names[0] if names else 0)
    if isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise SheetError("sheet_not_found", {"file": path.name, "sheet": str(sheet)})
        sheet = names[sheet]
    if sheet not in visible:
        raise SheetError("sheet_not_found", {"file": path.name, "sheet": str(sheet)})
    part = next(p for n, p, _v in book.sheets if n == sheet)
    scan = next((s for s in inspection.sheets if s.part == part), None)  # type: ignore[attr-defined]
    if scan is None or scan.max_row * scan.max_col <= STREAM_AREA:
        return None
    budget.check(sheet)
    rows = stream_rows(str(path), part, book, budget, sheet, limits.max_data_rows)
    return RowStream(name=sheet, sheet_names=names, hidden=not visible[sheet],
                     merges=merges.clip(scan.merges, scan.max_row, scan.max_col),
                     rows=_streamed(rows, start_row), last_row=scan.max_row)


def _streamed(rows: Iterator[list], start_row: int) -> Iterator[list[Value | None]]:
    try:
        for row_no, raw in enumerate(rows, start=1):
            if row_no >= start_row:
                yield _clean_row(raw)
    finally:
        rows.close()  # type: ignore[attr-defined]


def _rows(wb: object, ws: object, start_row: int, budget: Budget) -> Iterator[list[Value | None]]:
    # calamine 0.9 yields rows from row 1 but columns only from the first used one
    pad = [None] * (ws.start or (0, 0))[1]
    try:
        for row_no, raw in enumerate(ws.iter_rows(), start=1):
            if row_no % CHECK_EVERY == 0:
                budget.check(ws.name)  # the caller's work on the rows so far counts too
            if row_no >= start_row:
                yield _clean_row(pad + raw if pad else raw)
    finally:
        wb.close()


_EXACT_INT = float(2**53)


def _clean_row(row: list) -> list[Value | None]:
    """In place: the same rules as grid.clean_value, without a call per cell (100,000-row
    rosters spend more time here than calamine spends parsing)."""
    for i, v in enumerate(row):
        kind = v.__class__
        if kind is str:
            if not v or v.isspace():
                row[i] = None
            elif "\x00" in v:  # _x0000_ in the XML: PostgreSQL refuses NUL in text
                row[i] = v.replace("\x00", "") or None
        elif kind is float and v.is_integer() and -_EXACT_INT < v < _EXACT_INT:
            row[i] = int(v)
    return row


def iter_rows(path: str | Path, sheet: str | int = 0, start_row: int = 1,
              limits: Limits | None = None) -> Iterator[list[Value | None]]:
    """Yield the rows of one sheet from `start_row` (1-based, as Excel shows); see open_rows."""
    yield from open_rows(path, sheet, start_row, limits).rows
