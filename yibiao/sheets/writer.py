"""Excel out: fill a department's own template from the ledger, keeping its layout.

The department gets back the file it sent, not ours: title, merged header, fonts, widths,
dropdowns, print settings and the rows under the table (合计, 注, 填报人) stay as drawn;
only the data region grows or shrinks. Everything below it moves down together, and
every reference to a moved row (formulas, validations, conditional formats, merges,
print area) is rewritten through one row map, so `=SUM(E5:E5)` becomes `=SUM(E5:E254)`.

openpyxl edits the template in place: cards and aggregate sheets, and any sheet in tests.
List exports go through `fill_template_streaming` (`filling.fill` decides), which copies
the template's package and writes only the data rows, in constant memory. What both
writers share is public here (the row map, `typed`, the template's first data row, its
yes/no words, the blanks, the notes on the rows around the data).
"""
from __future__ import annotations

import datetime as dt
import math
import os
import re
import tempfile
import warnings
import zipfile
from collections.abc import Sequence
from copy import copy
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, MergedCell
from openpyxl.formatting.formatting import ConditionalFormattingList
from openpyxl.formula.tokenizer import Token, Tokenizer
from openpyxl.formula.translate import Translator
from openpyxl.styles.numbers import is_date_format
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange, MultiCellRange
from openpyxl.worksheet.merge import MergedCellRange
from openpyxl.worksheet.worksheet import Worksheet

from .errors import SheetError
from .formats import blank_segments, fill_blank, fill_segments, is_placeholder
from .layout import blank_label, squeeze
from .merges import clipped_copy
from .model import SheetLayout
from .notes import note
from .safety import inspect_file
from .xlsconvert import xls_to_openpyxl

EXCEL_MAX_ROWS = 1_048_576
# Excel keeps 15 significant digits: a longer integer is a code (ID, account) and is
# written as text, or 110105194912310045 would print as 1.10105E+17.
BIG_INT = 10**15
# Text that Excel or LibreOffice would turn into a number when a person edits the cell:
# ID numbers, phones, postcodes, codes with leading zeros. Written as text cells with "@".
CODE_RE = re.compile(r"^\s*[+(]?\d[\d\s()\-]*[Xx]?\s*$")
# Number format by value kind; a date keeps the template's own date format when it has one.
KIND_FORMATS = {"date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm", "time": "hh:mm", "code": "@"}
DATE_KINDS = ("date", "datetime", "time")
# How a yes/no is spelled, found in the column's dropdown; 是/否 when it has none.
BOOL_WORDS = (("是", "否"), ("有", "无"), ("√", "×"), ("Y", "N"), ("y", "n"), ("TRUE", "FALSE"))
DEFAULT_BOOL = BOOL_WORDS[0]
SEQUENCE_HEADERS = frozenset({"序号", "序", "顺序号"})
SHEET_TITLE_BAD = re.compile(r"[\[\]:*?/\\]")
REF_RE = re.compile(r"^(?:(?P<sheet>'(?:[^']|'')+'|[^'!]+)!)?"
                    r"(?P<c1>\$?[A-Za-z]{1,3})(?P<r1>\$?\d+)(?::(?P<c2>\$?[A-Za-z]{1,3})(?P<r2>\$?\d+))?$")

@dataclass
class FillResult:
    """What was written where, and what a person should check."""

    path: Path
    rows_written: int
    data_rows: tuple[int, int]
    totals_row: int | None
    notes: list[str] = field(default_factory=list)
    sheets: list[str] = field(default_factory=list)  # card layouts: one sheet per subject


# --- the row map: one rule for every reference to a moved row ---------------------------

@dataclass(frozen=True)
class RowMap:
    """Template rows [start, old_last] are the data region; afterwards it holds `count` rows.

    Rows above stay, rows below move by `delta`; a range that ends on the region's last row
    ends on the new last row, so a SUM over the sample row covers all the data.
    """

    start: int
    old_last: int
    count: int

    @property
    def new_last(self) -> int:
        return self.start + self.count - 1

    @property
    def delta(self) -> int:
        return self.new_last - self.old_last

    def row(self, r: int) -> int:
        if r < self.start:
            return r
        if r <= self.old_last:
            return min(r, self.new_last)
        return r + self.delta

    def last(self, r: int) -> int:
        if self.start <= r == self.old_last:
            return self.new_last
        return self.row(r)

    def cells(self, rng: CellRange) -> CellRange:
        return CellRange(min_col=rng.min_col, min_row=self.row(rng.min_row),
                         max_col=rng.max_col, max_row=self.last(rng.max_row))

    def ranges(self, multi: MultiCellRange | str) -> MultiCellRange:
        ranges = multi.ranges if isinstance(multi, MultiCellRange) else MultiCellRange(multi).ranges
        return MultiCellRange([self.cells(r) for r in ranges])

    def formula(self, text: str, sheet: str, own: bool = True) -> str:
        """`text` ('=...') with references to `sheet` moved; `own`: the formula sits on it."""
        try:
            tok = Tokenizer(text)
        except Exception:  # not a formula openpyxl can parse: leave it as the template had it
            return text
        changed = False
        for t in tok.items:
            if t.type == Token.OPERAND and t.subtype == Token.RANGE:
                new = self._ref(t.value, sheet, own)
                changed |= new != t.value
                t.value = new
        return tok.render() if changed else text

    def _ref(self, ref: str, sheet: str, own: bool) -> str:
        m = REF_RE.match(ref)
        if not m:
            return ref  # a name, a whole column: nothing row-bound to move
        named = m["sheet"]
        if (named.strip("'").replace("''", "'") != sheet) if named else not own:
            return ref
        prefix = f"{named}!" if named else ""
        r1 = int(m["r1"].lstrip("$"))
        if not m["c2"]:
            return f"{prefix}{m['c1']}{_dollar(m['r1'])}{self.row(r1)}"
        r2 = int(m["r2"].lstrip("$"))
        return (f"{prefix}{m['c1']}{_dollar(m['r1'])}{self.row(r1)}:"
                f"{m['c2']}{_dollar(m['r2'])}{self.last(r2)}")


def _dollar(part: str) -> str:
    return "$" if part.startswith("$") else ""


def region(layout: SheetLayout, max_row: int) -> tuple[int, int]:
    """(start, old_last) of the template's data region: sample rows and empty ruled rows up to
    the first footer row (合计, 注, 填报人); everything below the header when there is none."""
    start = layout.data_start_row
    after = layout.data_end_row if layout.data_end_row >= start else start - 1
    footer = [r for r in _footer_rows(layout) if r > after]
    if footer:
        return start, min(footer) - 1
    return start, max(after, max_row)


def _footer_rows(layout: SheetLayout) -> list[int]:
    blank_rows = [CellRange(b.cell).min_row for b in layout.blanks]
    return [r for r in [*layout.totals_rows, *(n.row for n in layout.notes), *blank_rows]
            if r >= layout.data_start_row]


# --- values ------------------------------------------------------------------------------

def typed(value: object, bool_words: tuple[str, str] = DEFAULT_BOOL) -> tuple[str, Any]:
    """(kind, value to store): kind is blank | text | code | number | date | datetime | time."""
    if value is None:
        return "blank", None
    if isinstance(value, bool):
        return "text", bool_words[0 if value else 1]
    if isinstance(value, int):
        return ("code", str(value)) if abs(value) >= BIG_INT else ("number", value)
    if isinstance(value, float):
        return ("blank", None) if math.isnan(value) or math.isinf(value) else ("number", value)
    if isinstance(value, Decimal):
        return ("number", value) if value.is_finite() else ("blank", None)
    if isinstance(value, dt.datetime):
        value = value.replace(tzinfo=None)  # Excel has no time zones
        return ("date", value) if value.time() == dt.time() else ("datetime", value)
    if isinstance(value, dt.date):
        return "date", value
    if isinstance(value, dt.time):
        return "time", value.replace(tzinfo=None)
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    return ("code" if CODE_RE.match(text) else "text"), text


def put(cell: Cell, kind: str, value: Any, template_format: str = "General") -> None:
    """Store a typed value; text stays text even when it starts with '=' (no formula injection)."""
    cell.value = value
    if kind in ("text", "code"):
        cell.data_type = "s"
    keep = kind in DATE_KINDS and is_date_format(template_format)
    if kind in KIND_FORMATS and not keep:
        cell.number_format = KIND_FORMATS[kind]
    elif keep:
        cell.number_format = template_format


def display(value: object, placeholder: str = "") -> str:
    """A value as text inside a sentence: '填报日期：2024年5月1日' (see formats.fill_blank)."""
    return fill_blank(placeholder, value)


# --- public entry points -------------------------------------------------------------------

def fill_template(template: Path, out: Path, *, sheet: str, layout: SheetLayout,
                  rows: list[list[object]], blanks: dict[str, object] | None = None,
                  cards: list[dict[str, object]] | None = None,
                  name_key: str | None = None) -> FillResult:
    """Write `rows` (list/aggregate) or `cards` (card layouts) into a copy of `template`.

    `rows` follow `layout.columns`; `blanks` maps 填报单位-style labels to values; for cards,
    `name_key` names the card whose value titles each sheet (else 登记表(1), 登记表(2), …).
    An .xls template is written as .xlsx (the returned path says where).
    """
    template, out = Path(template), Path(out)
    wb, ws, out, notes = open_template(template, out, sheet)
    if layout.layout == "card":
        headers = [c.header for c in layout.columns]
        subjects = cards if cards is not None else [dict(zip(headers, r, strict=False)) for r in rows]
        titles = _fill_cards(wb, ws, layout, subjects, blanks or {}, name_key, notes)
        _save(wb, out)
        return FillResult(out, len(subjects), (0, 0), None, notes, titles)
    _check_rows(rows, layout)
    fill_blanks(ws, layout, blanks or {}, notes)
    rmap, totals = _fill_table(wb, ws, layout, rows, notes)
    _save(wb, out)
    return FillResult(out, len(rows), (rmap.start, rmap.new_last), totals, notes)


def _check_rows(rows: Sequence[Sequence[object]], layout: SheetLayout) -> None:
    if layout.data_start_row + len(rows) > EXCEL_MAX_ROWS:
        raise ValueError(f"{len(rows)} rows do not fit in one Excel sheet below row {layout.data_start_row}")


def open_template(template: Path, out: Path, sheet: str) -> tuple[openpyxl.Workbook, Worksheet, Path, list[str]]:
    """The template as an editable workbook (refused first if hostile), its sheet `sheet`,
    where the output goes (.xlsx for a legacy .xls) and notes about the template."""
    inspection = inspect_file(template)
    notes: list[str] = []
    if inspection.kind == "xls":
        notes.append(note("converted_xls", file=template.name))
        wb, out = xls_to_openpyxl(template), out.with_suffix(".xlsx")
    else:
        with warnings.catch_warnings(record=True) as caught, \
                tempfile.TemporaryDirectory(prefix="yibiao-open-") as tmp:
            warnings.simplefilter("always")
            # merges clipped to the cells holding values: openpyxl makes an object per merged
            # cell, and one forged range over A2:XFD1048576 took 4 GB (sheets/merges.py)
            source = clipped_copy(template, Path(tmp) / "clipped.xlsx")
            wb = openpyxl.load_workbook(source, rich_text=True, keep_links=True)
        if any("Data Validation extension" in str(w.message) for w in caught):
            notes.append(note("validation_ext", file=template.name))
        with zipfile.ZipFile(template) as zf:
            if any(n.startswith(("xl/media/", "xl/charts/")) for n in zf.namelist()):
                notes.append(note("pictures", file=template.name))
    if sheet not in wb.sheetnames:
        raise SheetError("sheet_not_found", {"file": template.name, "sheet": sheet})
    return wb, wb[sheet], out, notes


def _save(wb: openpyxl.Workbook, out: Path) -> None:
    """Write beside the target and rename, so a reader never sees half a file."""
    part = out.with_name(out.name + ".part")
    wb.save(part)
    os.replace(part, out)


# --- list and aggregate ------------------------------------------------------------------

@dataclass
class _RowStyle:
    """The template's first data row: what every written row looks like."""

    styles: dict[int, Any]
    formats: dict[int, str]
    formulas: dict[int, tuple[str, str]]  # column -> (formula, its cell) for formula columns
    merges: list[tuple[int, int]]
    height: float | None


def row_style(ws: Worksheet, rmap: RowMap, header_last: int) -> _RowStyle:
    """Styles of the first data row; when the template has none, a plain row ruled like the header."""
    r = rmap.start
    if rmap.old_last >= r:
        cells = {c: cell for (rr, c), cell in ws._cells.items() if rr == r}
        return _RowStyle(
            styles={c: copy(cell._style) for c, cell in cells.items()},
            formats={c: cell.number_format for c, cell in cells.items()},
            formulas={c: (cell.value, cell.coordinate) for c, cell in cells.items()
                      if cell.data_type == "f" and isinstance(cell.value, str)},
            merges=[(m.min_col, m.max_col) for m in ws.merged_cells.ranges if m.min_row == m.max_row == r],
            height=ws.row_dimensions[r].height if r in ws.row_dimensions else None)
    styles = {}
    for (rr, c), cell in ws._cells.items():
        if rr == header_last and cell.has_style:
            plain = Cell(ws, row=r, column=c)
            plain.border, plain.alignment = copy(cell.border), copy(cell.alignment)
            styles[c] = copy(plain._style)
    return _RowStyle(styles, {}, {}, [], None)


def yes_no_words(ws: Worksheet, row: int) -> dict[int, tuple[str, str]]:
    """Per column, the yes/no spelling offered by a dropdown covering `row`."""
    words: dict[int, tuple[str, str]] = {}
    for dv in ws.data_validations.dataValidation:
        if dv.type != "list" or not dv.formula1 or not dv.formula1.startswith('"'):
            continue
        options = set(dv.formula1.strip('"').split(","))
        pair = next((p for p in BOOL_WORDS if set(p) <= options), None)
        if pair is None:
            continue
        for rng in dv.sqref.ranges:
            if rng.min_row <= row <= rng.max_row:
                words.update({c: pair for c in range(rng.min_col, rng.max_col + 1)})
    return words


def _fill_table(wb: openpyxl.Workbook, ws: Worksheet, layout: SheetLayout, rows: list[list[object]],
                notes: list[str]) -> tuple[RowMap, int | None]:
    start, old_last = region(layout, ws.max_row)
    rmap = RowMap(start, old_last, max(len(rows), 1))  # an empty export keeps one blank row
    style = row_style(ws, rmap, layout.header_rows[1])
    bools = yes_no_words(ws, start)
    note_replaced_subtotals(layout, start, old_last, notes)
    _move_rows(ws, rmap)
    _write_rows(ws, layout, rmap, style, bools, rows, notes)
    for other in wb.worksheets:
        _move_references(other, rmap, ws.title, own=other is ws)
    totals = [rmap.row(r) for r in layout.totals_rows if r > old_last]
    if totals and layout.layout == "aggregate":
        _sum_formulas(ws, layout, rmap, totals[0], rows, notes)
    for r in totals:
        note_static_totals(ws, layout, r, r, notes)
    return rmap, (totals[0] if totals else None)


def _move_rows(ws: Worksheet, rmap: RowMap) -> None:
    """Drop the template's data region and move everything below it by `delta`."""
    cells: dict[tuple[int, int], Cell] = {}
    for (r, c), cell in ws._cells.items():
        if r < rmap.start:
            cells[(r, c)] = cell
        elif r > rmap.old_last:
            cell.row = r + rmap.delta
            cells[(cell.row, c)] = cell
    ws._cells = cells
    merges = []
    for m in ws.merged_cells.ranges:
        if rmap.start <= m.min_row and m.max_row <= rmap.old_last:
            continue  # a merge inside a sample row is redrawn on every data row
        merges.append(MergedCellRange(ws, rmap.cells(m).coord))
    ws.merged_cells = MultiCellRange(merges)
    dims = {r: d for r, d in ws.row_dimensions.items() if not rmap.start <= r <= rmap.old_last}
    ws.row_dimensions.clear()
    for r, d in dims.items():
        d.index = rmap.row(r)
        ws.row_dimensions[d.index] = d
    for drawing in [*ws._images, *ws._charts]:
        anchor = drawing.anchor
        for marker in (getattr(anchor, "_from", None), getattr(anchor, "to", None)):
            if marker is not None and marker.row + 1 > rmap.old_last:
                marker.row += rmap.delta


def _write_rows(ws: Worksheet, layout: SheetLayout, rmap: RowMap, style: _RowStyle,
                bools: dict[int, tuple[str, str]], rows: list[list[object]], notes: list[str]) -> None:
    cols = [c.index for c in layout.columns]
    seq = next((c.index for c in layout.columns if squeeze(c.header) in SEQUENCE_HEADERS), None)
    for i in range(rmap.count):
        r = rmap.start + i
        for c, st in style.styles.items():
            ws.cell(row=r, column=c)._style = copy(st)
        if style.height is not None:
            ws.row_dimensions[r].height = style.height
        for c1, c2 in style.merges:
            ws.merge_cells(start_row=r, start_column=c1, end_row=r, end_column=c2)
        values = rows[i] if i < len(rows) else []
        if len(values) > len(cols):
            notes.append(note("too_long_row", row=r, got=len(values), want=len(cols)))
        for j, c in enumerate(cols):
            value = values[j] if j < len(values) else None
            if value is None and i < len(rows):
                if c == seq:
                    value = i + 1
                elif c in style.formulas:
                    formula, origin = style.formulas[c]
                    ws.cell(row=r, column=c).value = Translator(formula, origin).translate_formula(
                        f"{get_column_letter(c)}{r}")
                    continue
            kind, v = typed(value, bools.get(c, DEFAULT_BOOL))
            if kind != "blank":
                put(ws.cell(row=r, column=c), kind, v, style.formats.get(c, "General"))


def _move_references(ws: Worksheet, rmap: RowMap, sheet: str, own: bool) -> None:
    """Formulas (on this sheet outside the data, or on others pointing here), validations,
    conditional formats, print area, filter and local names follow the moved rows."""
    for (r, _), cell in ws._cells.items():
        if cell.data_type == "f" and isinstance(cell.value, str) and not (own and rmap.start <= r <= rmap.new_last):
            cell.value = rmap.formula(cell.value, sheet, own)
    if not own:
        return
    for dv in ws.data_validations.dataValidation:
        dv.sqref = rmap.ranges(dv.sqref)
        for attr in ("formula1", "formula2"):
            text = getattr(dv, attr)
            if text and not text.startswith('"'):
                setattr(dv, attr, rmap.formula(f"={text}", sheet)[1:])
    old = ws.conditional_formatting
    ws.conditional_formatting = ConditionalFormattingList()
    for cf in old:
        sqref = str(rmap.ranges(cf.sqref))
        for rule in cf.rules:
            rule.formula = [rmap.formula(f"={f}", sheet)[1:] for f in rule.formula or []]
            ws.conditional_formatting.add(sqref, rule)
    if ws._print_area:
        ws.print_area = [str(rmap.cells(CellRange(a.split("!")[-1].replace("$", ""))))
                         for a in str(ws.print_area).split(",")]
    if ws.auto_filter.ref:
        ws.auto_filter.ref = rmap.cells(CellRange(ws.auto_filter.ref)).coord
    for name in ws.defined_names.values():
        if name.attr_text:
            name.attr_text = rmap.formula(f"={name.attr_text}", sheet, own=False)[1:]


def _sum_formulas(ws: Worksheet, layout: SheetLayout, rmap: RowMap, total: int,
                  rows: list[list[object]], notes: list[str]) -> None:
    """An aggregate's totals row sums exactly the data rows: under each column that holds
    only numbers, an empty cell, a fixed number (the sample's total) or a SUM over that
    column (which may cover the wrong rows: a header row, a sample row left out) becomes
    `=SUM(X<first>:X<last>)`; any other formula (a ratio, a cross-check) is the template's
    own and stays. The formula is ours, over our own cell range: no text of the template
    or the data goes into it."""
    added = []
    for j, col in enumerate(layout.columns):
        if squeeze(col.header) in SEQUENCE_HEADERS or (layout.rows is not None and col.index == layout.rows.column):
            continue
        kinds = {typed(row[j])[0] for row in rows if j < len(row)} - {"blank"}
        target = ws.cell(row=total, column=col.index)
        if kinds != {"number"} or isinstance(target, MergedCell):
            continue
        ours = f"=SUM({col.letter}{rmap.start}:{col.letter}{rmap.new_last})"
        if target.data_type == "f":
            formula = str(target.value).replace("$", "").replace(" ", "").upper()
            if formula == ours or not re.fullmatch(rf"=SUM\({col.letter}\d+:{col.letter}\d+\)", formula):
                continue
        elif target.value is not None and typed(target.value)[0] != "number":
            continue
        target.value = ours
        added.append(target.coordinate)
    if added:
        notes.append(note("sum_added", row=total, cells="、".join(added)))


def note_replaced_subtotals(layout: SheetLayout, start: int, old_last: int, notes: list[str]) -> None:
    """Totals rows inside the data region [start, old_last] give way to the data."""
    inside = [r for r in layout.totals_rows if start <= r <= old_last]
    if inside:
        notes.append(note("subtotal_replaced", rows="、".join(map(str, inside))))


def note_static_totals(ws: Worksheet, layout: SheetLayout, row: int, to: int, notes: list[str]) -> None:
    """A fixed value in a totals row (like '2人') describes the sample, not our data: noted
    at the row `to` it ends on (the streaming writer reads the template's row, not moved)."""
    for col in layout.columns[1:]:
        cell = ws.cell(row=row, column=col.index)
        if cell.value is not None and cell.data_type != "f" and not isinstance(cell, MergedCell):
            notes.append(note("static_total", row=to, cell=f"{get_column_letter(col.index)}{to}", value=cell.value))


# --- blanks ------------------------------------------------------------------------------

def fill_blanks(ws: Worksheet, layout: SheetLayout, blanks: dict[str, object], notes: list[str]) -> None:
    """Fill each 填报单位-style blank in place, keeping its label and the template's pattern:
    the text after the label ("填报日期：  年  月  日" -> "填报日期：2026 年 12 月 5 日"), the cell
    right of it when that holds the pattern or is marked as the blank (merged or underlined),
    else the label cell rewritten 「填报单位：红星社区」."""
    shared: dict[str, dict[str, object]] = {}  # cells holding several blanks: label -> value
    for key, value in blanks.items():
        label = blank_label(f"{key}：") or squeeze(key)
        found = [b for b in layout.blanks if b.label == label]
        if not found:
            notes.append(note("blank_not_found", label=key))
        for blank in found:
            cell = ws[blank.cell]
            text = str(cell.value or "")
            if len(blank_segments(text)) > 1:
                shared.setdefault(blank.cell, {})[label] = value
                continue
            head, colon, rest = _split_label(text)
            if rest.strip(" \u3000_"):  # the pattern (  年  月  日) or an old value follows the label
                cell.value = f"{head}{colon}{fill_blank(rest if is_placeholder(rest) else '', value)}"
                cell.data_type = "s"
                continue
            right = _right_of(ws, cell)
            if right is not None and isinstance(right.value, str) and is_placeholder(right.value) \
                    and right.value.strip(" \u3000_"):
                right.value = fill_blank(right.value, value)
                right.data_type = "s"
                continue
            target = _value_cell(ws, cell)
            if target is not None:
                put(target, *typed(value), target.number_format)
            else:
                cell.value = f"{head}{colon}{display(value, rest)}"
                cell.data_type = "s"
    for ref, values in shared.items():
        ws[ref].value = fill_segments(str(ws[ref].value), values)
        ws[ref].data_type = "s"


def _right_of(ws: Worksheet, label: Cell) -> Cell | None:
    """The cell right of the label (past its merged span), if it is a real cell."""
    right = label.column + 1
    for m in ws.merged_cells.ranges:
        if m.min_row <= label.row <= m.max_row and m.min_col <= label.column <= m.max_col:
            right = m.max_col + 1
    cell = ws.cell(row=label.row, column=right)
    return None if isinstance(cell, MergedCell) else cell


def _split_label(text: str) -> tuple[str, str, str]:
    m = re.match(r"^(.*?)([:：])(.*)$", text, re.DOTALL)
    return (m.group(1), m.group(2), m.group(3)) if m else (text, "：", "")


def _value_cell(ws: Worksheet, label: Cell) -> Cell | None:
    """The empty cell right of the label when the template marks it as the blank to fill:
    a merged span of its own or an underline (bottom border)."""
    right = label.column + 1
    for m in ws.merged_cells.ranges:
        if m.min_row <= label.row <= m.max_row and m.min_col <= label.column <= m.max_col:
            right = m.max_col + 1
    cell = ws.cell(row=label.row, column=right)
    if isinstance(cell, MergedCell) or cell.value is not None:
        return None
    merged = any(m.min_row == label.row and m.min_col == right for m in ws.merged_cells.ranges)
    return cell if merged or (cell.border.bottom and cell.border.bottom.style) else None


# --- cards -------------------------------------------------------------------------------

def _fill_cards(wb: openpyxl.Workbook, src: Worksheet, layout: SheetLayout, cards: list[dict[str, object]],
                blanks: dict[str, object], name_key: str | None, notes: list[str]) -> list[str]:
    """One sheet per subject, copied from the template sheet, which goes once one is written."""
    fields = {_field(c.header): c for c in layout.columns if c.cell}
    index = wb.worksheets.index(src)
    made: list[Worksheet] = []
    missing: set[str] = set()
    for i, card in enumerate(cards, start=1):
        ws = wb.copy_worksheet(src)
        _copy_settings(src, ws)
        ws.title = _sheet_title(wb, str(card.get(name_key) or "") if name_key else "", src.title, i)
        fill_blanks(ws, layout, blanks, notes if i == 1 else [])
        for key, value in card.items():
            col = fields.get(_field(key))
            if col is None:
                if key != name_key:
                    missing.add(key)
                continue
            cell = ws[col.cell]
            put(cell, *typed(value, yes_no_words(src, cell.row).get(cell.column, DEFAULT_BOOL)),
                cell.number_format)
        made.append(ws)
    notes.extend(note("card_field_missing", field=k) for k in sorted(missing))
    if made:
        others = [w for w in wb._sheets if w is not src and w not in made]
        wb.remove(src)
        wb._sheets = [*others[:index], *made, *others[index:]]
        for w in wb.worksheets:
            w.sheet_view.tabSelected = w is made[0]
        wb.active = index
    return [w.title for w in made]


def _field(text: str) -> str:
    return squeeze(text).rstrip(":：")


def _sheet_title(wb: openpyxl.Workbook, name: str, base: str, i: int) -> str:
    """A legal, unused sheet name: the subject's name, else 登记表(1)."""
    title = SHEET_TITLE_BAD.sub("", name).strip("' ")[:31] or f"{base[:26]}({i})"
    taken = set(wb.sheetnames)
    candidate, n = title, 2
    while candidate in taken:
        suffix = f"({n})"
        candidate, n = f"{title[:31 - len(suffix)]}{suffix}", n + 1
    return candidate


def _copy_settings(src: Worksheet, dst: Worksheet) -> None:
    """What openpyxl's copy_worksheet leaves out or shares with the source."""
    dst.merged_cells = MultiCellRange()
    for m in src.merged_cells.ranges:
        dst.merge_cells(m.coord)
    for key, dim in src.column_dimensions.items():
        dst.column_dimensions[key].width = dim.width
        dst.column_dimensions[key].hidden = dim.hidden
    for key, dim in src.row_dimensions.items():
        dst.row_dimensions[key].height = dim.height
        dst.row_dimensions[key].hidden = dim.hidden
    dst.freeze_panes = src.freeze_panes
    dst.print_title_rows = src.print_title_rows
    dst.print_title_cols = src.print_title_cols
    if src._print_area:
        dst.print_area = [a.split("!")[-1].replace("$", "") for a in str(src.print_area).split(",")]
    for dv in src.data_validations.dataValidation:
        dst.add_data_validation(copy(dv))
    for cf in src.conditional_formatting:
        for rule in cf.rules:
            dst.conditional_formatting.add(str(cf.sqref), copy(rule))
    dst.protection = copy(src.protection)
    dst.sheet_view.showGridLines = src.sheet_view.showGridLines
    dst.sheet_view.zoomScale = src.sheet_view.zoomScale
    dst.HeaderFooter = copy(src.HeaderFooter)
