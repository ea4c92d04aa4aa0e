"""Very large list exports (100k rows and up) written with xlsxwriter's constant-memory mode.

openpyxl holds every cell in memory; xlsxwriter streams one row at a time. The template
sheet is rebuilt row by row: the header block and the rows below the data are copied
from openpyxl's view of the template (values, merges, fonts, fills, borders, alignment,
number formats, heights), the data rows take the first data row's formats, and sheet
settings (widths, freeze panes, print titles and area, validations, conditional formats)
are re-declared with their ranges moved by the same RowMap the in-place writer uses.
"""
from __future__ import annotations

import datetime as dt
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.formula.translate import Translator
from openpyxl.styles.colors import COLOR_INDEX, Color
from openpyxl.styles.numbers import is_date_format
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.worksheet import Worksheet

from .errors import SheetError
from .layout import squeeze
from .model import SheetLayout
from .writer import (
    DATE_KINDS,
    DEFAULT_BOOL,
    EXCEL_MAX_ROWS,
    KIND_FORMATS,
    SEQUENCE_HEADERS,
    FillResult,
    RowMap,
    _bool_words,
    _fill_blanks,
    _open,
    _row_style,
    note,
    region,
    typed,
)

BORDER_INDEX = {"thin": 1, "medium": 2, "dashed": 3, "dotted": 4, "thick": 5, "double": 6, "hair": 7,
                "mediumDashed": 8, "dashDot": 9, "mediumDashDot": 10, "dashDotDot": 11,
                "mediumDashDotDot": 12, "slantDashDot": 13}
HORIZONTAL = {"left": "left", "center": "center", "right": "right", "fill": "fill", "justify": "justify",
              "centerContinuous": "center_across", "distributed": "distributed"}
VERTICAL = {"top": "top", "center": "vcenter", "bottom": "bottom", "justify": "vjustify",
            "distributed": "vdistributed"}
VALIDATION_TYPES = {"list": "list", "whole": "integer", "decimal": "decimal", "date": "date",
                    "time": "time", "textLength": "length", "custom": "custom"}
CRITERIA = {None: "between", "between": "between", "notBetween": "not between", "equal": "==",
            "notEqual": "!=", "greaterThan": ">", "lessThan": "<", "greaterThanOrEqual": ">=",
            "lessThanOrEqual": "<="}
ERROR_STYLES = {None: "stop", "stop": "stop", "warning": "warning", "information": "information"}
# Footer formulas whose result we can give as the cached value: Excel recalculates on
# open, but LibreOffice and previewers show the cached value, which xlsxwriter sets to 0.
CACHED_RE = re.compile(r"^=(SUM|COUNTA|COUNT|AVERAGE)\(\$?([A-Z]{1,3})\$?(\d+):\$?\2\$?(\d+)\)$", re.IGNORECASE)
WORKBOOK_OPTIONS = {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                    "strings_to_urls": False}


def fill_template_streaming(template: Path, out: Path, *, sheet: str, layout: SheetLayout,
                            rows: Iterable[Sequence[object]],
                            blanks: dict[str, object] | None = None) -> FillResult:
    """Like `fill_template` for list/aggregate sheets, but streams `rows` (any iterable) to disk.

    Only the template's `sheet` is written; the notes say what was not carried over.
    """
    import xlsxwriter

    template, out = Path(template), Path(out)
    wb, out, notes = _open(template, out)
    if sheet not in wb.sheetnames:
        raise SheetError("sheet_not_found", {"file": template.name, "sheet": sheet})
    ws = wb[sheet]
    if len(wb.sheetnames) > 1:
        notes.append(note("streaming_only_sheet", sheet=sheet))
    _fill_blanks(ws, layout, blanks or {}, notes)
    start, old_last = region(layout, ws.max_row)
    style = _row_style(ws, RowMap(start, old_last, 1), layout.header_rows[1])
    bools = _bool_words(ws, start)
    part = out.with_name(out.name + ".part")
    book = xlsxwriter.Workbook(str(part), WORKBOOK_OPTIONS)
    xs = book.add_worksheet(ws.title)
    fmt = _Formats(book)
    _columns(ws, xs)
    stats = _Stats()
    merges = [m for m in ws.merged_cells.ranges if not start <= m.min_row <= old_last]
    for r in range(1, start):
        _copy_row(ws, xs, fmt, r, r, RowMap(start, old_last, 1), merges, stats)

    cols = [c.index for c in layout.columns]
    cells = {c: _detached(ws, start, c, st) for c, st in style.styles.items()}
    seq = next((c.index for c in layout.columns if squeeze(c.header) in SEQUENCE_HEADERS), None)
    count = 0
    for i, values in enumerate(rows):
        r = start + i
        if r > EXCEL_MAX_ROWS:
            raise ValueError(f"more rows than fit in one Excel sheet below row {start}")
        _data_row(xs, fmt, style, cells, r, cols, values, seq, i, bools, stats)
        count += 1
    if count == 0:
        _data_row(xs, fmt, style, cells, start, cols, [], None, 0, bools, stats)
    rmap = RowMap(start, old_last, max(count, 1))
    stats.rows = (start, rmap.new_last)
    for r in range(old_last + 1, ws.max_row + 1):
        _copy_row(ws, xs, fmt, r, rmap.row(r), rmap, merges, stats)
    _settings(ws, xs, fmt, rmap, notes)
    book.close()
    os.replace(part, out)
    totals = [rmap.row(r) for r in layout.totals_rows if r > old_last]
    return FillResult(out, count, (start, rmap.new_last), totals[0] if totals else None, notes)


@dataclass
class _Stats:
    """Per data column: what SUM, COUNT and COUNTA of the written rows come to."""

    total: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    numbers: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    filled: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    rows: tuple[int, int] = (0, 0)

    def add(self, c: int, kind: str, value: Any) -> None:
        if kind == "blank":
            return
        self.filled[c] += 1
        if kind == "number":
            self.total[c] += float(value)
            self.numbers[c] += 1

    def value(self, formula: str) -> float | None:
        m = CACHED_RE.match(formula)
        if not m or (int(m[3]), int(m[4])) != self.rows:
            return None
        c = column_index_from_string(m[2].upper())
        func = m[1].upper()
        if func == "AVERAGE":
            return self.total[c] / self.numbers[c] if self.numbers[c] else None
        return {"SUM": self.total[c], "COUNT": self.numbers[c], "COUNTA": self.filled[c]}[func]


def _detached(ws: Worksheet, r: int, c: int, style: Any) -> Cell:
    """A cell of the template's workbook (so style ids resolve) that is not on the sheet."""
    cell = Cell(ws, row=r, column=c)
    cell._style = style
    return cell


class _Formats:
    """openpyxl cell styles as xlsxwriter formats, made once per distinct style."""

    def __init__(self, book: Any) -> None:
        self.book = book
        self.cache: dict[tuple[Any, ...], Any] = {}

    def of(self, cell: Cell | None, num_format: str | None = None) -> Any:
        key = (tuple(cell._style) if cell is not None else None, num_format)
        if key not in self.cache:
            props = _props(cell) if cell is not None else {}
            if num_format:
                props["num_format"] = num_format
            self.cache[key] = self.book.add_format(props) if props else None
        return self.cache[key]

    def dxf(self, style: Any) -> Any:
        props: dict[str, Any] = {}
        if style is not None:
            props.update(_font(style.font))
            if style.fill is not None:
                colour = _colour(style.fill.bgColor) or _colour(style.fill.fgColor)
                if colour:
                    props["bg_color"] = colour
            if style.numFmt is not None:
                props["num_format"] = style.numFmt.formatCode
        return self.book.add_format(props)


def _props(cell: Cell) -> dict[str, Any]:
    props: dict[str, Any] = _font(cell.font) if cell.has_style else {}
    if not cell.has_style:
        return props
    fill = cell.fill
    if fill is not None and fill.fill_type == "solid" and _colour(fill.fgColor):
        props["bg_color"] = _colour(fill.fgColor)
    for side in ("left", "right", "top", "bottom"):
        s = getattr(cell.border, side)
        if s is not None and s.style in BORDER_INDEX:
            props[side] = BORDER_INDEX[s.style]
            if _colour(s.color):
                props[f"{side}_color"] = _colour(s.color)
    a = cell.alignment
    if a.horizontal in HORIZONTAL:
        props["align"] = HORIZONTAL[a.horizontal]
    if a.vertical in VERTICAL:
        props["valign"] = VERTICAL[a.vertical]
    if a.wrap_text:
        props["text_wrap"] = True
    if a.textRotation:
        props["rotation"] = a.textRotation if a.textRotation <= 90 else 90 - a.textRotation
    if a.indent:
        props["indent"] = int(a.indent)
    if a.shrink_to_fit:
        props["shrink"] = True
    if cell.number_format and cell.number_format != "General":
        props["num_format"] = cell.number_format
    if cell.protection.locked is False:
        props["locked"] = False
    if cell.protection.hidden:
        props["hidden"] = True
    return props


def _font(font: Any) -> dict[str, Any]:
    if font is None:
        return {}
    props: dict[str, Any] = {}
    for attr, key in (("name", "font_name"), ("sz", "font_size"), ("b", "bold"), ("i", "italic"),
                      ("strike", "font_strikeout")):
        value = getattr(font, attr, None)
        if value:
            props[key] = value
    if font.u:
        props["underline"] = 2 if font.u == "double" else 1
    if _colour(font.color):
        props["font_color"] = _colour(font.color)
    return props


def _colour(colour: Color | None) -> str | None:
    """'#RRGGBB' for rgb and indexed colours; theme colours have no fixed value here."""
    if colour is None:
        return None
    if colour.type == "rgb" and isinstance(colour.rgb, str) and len(colour.rgb) == 8:
        return "#" + colour.rgb[2:]
    if colour.type == "indexed" and isinstance(colour.indexed, int) and colour.indexed < len(COLOR_INDEX):
        return "#" + COLOR_INDEX[colour.indexed][2:]
    return None


def _columns(ws: Worksheet, xs: Any) -> None:
    for letter, dim in ws.column_dimensions.items():
        first = (dim.min or column_index_from_string(letter)) - 1
        last = (dim.max or first + 1) - 1
        if dim.width or dim.hidden:
            # pixels, as Excel stores them: set_column() would add the 5-pixel cell padding again
            pixels = round(dim.width * 7) if dim.width else None
            xs.set_column_pixels(first, min(last, 16383), pixels, None, {"hidden": bool(dim.hidden)})


def _copy_row(ws: Worksheet, xs: Any, fmt: _Formats, r: int, to: int, rmap: RowMap,
              merges: list[CellRange], stats: _Stats) -> None:
    """Template row `r` written as row `to`: cells in column order, then merges anchored here."""
    dim = ws.row_dimensions.get(r)
    if dim is not None and (dim.height or dim.hidden):
        xs.set_row(to - 1, dim.height, None, {"hidden": bool(dim.hidden)})
    cells = sorted((c, cell) for (rr, c), cell in ws._cells.items() if rr == r)
    for c, cell in cells:
        _write_template_cell(xs, fmt, to - 1, c - 1, cell, rmap, ws.title, stats)
        if cell.comment is not None:
            xs.write_comment(to - 1, c - 1, cell.comment.text, {"author": cell.comment.author or ""})
    for m in merges:
        if m.min_row == r and (m.max_row > m.min_row or m.max_col > m.min_col):
            moved = rmap.cells(m)
            _merge(xs, moved.min_row, moved.min_col, moved.max_row, moved.max_col)


def _merge(xs: Any, r1: int, c1: int, r2: int, c2: int) -> None:
    """Declare a merge whose cells we write ourselves, each in its own format.

    merge_range() writes blanks into every row of the range at once; in constant-memory
    mode that flushes the anchor row, so a second merge anchored on the same header row is
    refused (-2) and silently lost. The merge list is what <mergeCells> is written from.
    """
    xs.merge.append([r1 - 1, c1 - 1, r2 - 1, c2 - 1])


def _write_template_cell(xs: Any, fmt: _Formats, row: int, col: int, cell: Cell, rmap: RowMap,
                         sheet: str, stats: _Stats) -> None:
    f = fmt.of(cell)
    value = None if isinstance(cell, MergedCell) else cell.value
    if value is None:
        if cell.has_style:
            xs.write_blank(row, col, None, f)
    elif cell.data_type == "f" and isinstance(value, str):
        formula = rmap.formula(value, sheet)
        xs.write_formula(row, col, formula, f, stats.value(formula))
    elif isinstance(value, bool):
        xs.write_boolean(row, col, value, f)
    elif isinstance(value, int | float | Decimal):
        xs.write_number(row, col, float(value), f)
    elif isinstance(value, dt.date | dt.time):
        xs.write_datetime(row, col, value, f)
    else:
        xs.write_string(row, col, str(value), f)


def _data_row(xs: Any, fmt: _Formats, style: Any, cells: dict[int, Cell], r: int, cols: list[int],
              values: Sequence[object], seq: int | None, i: int, bools: dict[int, tuple[str, str]],
              stats: _Stats) -> None:
    """One data row in the first data row's formats; merges of that row redrawn."""
    if style.height is not None:
        xs.set_row(r - 1, style.height)
    by_col = dict(zip(cols, values, strict=False))
    for c in sorted(set(cells) | set(cols)):
        cell = cells.get(c)
        value = by_col.get(c)
        if value is None and values and c == seq:
            value = i + 1
        elif value is None and values and c in style.formulas:
            formula, origin = style.formulas[c]
            xs.write_formula(r - 1, c - 1, Translator(formula, origin).translate_formula(
                f"{get_column_letter(c)}{r}"), fmt.of(cell))
            continue
        kind, v = typed(value, bools.get(c, DEFAULT_BOOL))
        keep = kind in DATE_KINDS and is_date_format(style.formats.get(c, "General"))
        _write_value(xs, r - 1, c - 1, kind, v, fmt.of(cell, KIND_FORMATS.get(kind) if not keep else None))
        stats.add(c, kind, v)
    for c1, c2 in style.merges:
        _merge(xs, r, c1, r, c2)


def _write_value(xs: Any, row: int, col: int, kind: str, value: Any, f: Any) -> None:
    if kind == "blank":
        if f is not None:
            xs.write_blank(row, col, None, f)
    elif kind in ("text", "code"):
        xs.write_string(row, col, value, f)
    elif kind == "number":
        xs.write_number(row, col, float(value), f)
    else:
        xs.write_datetime(row, col, value, f)


def _settings(ws: Worksheet, xs: Any, fmt: _Formats, rmap: RowMap, notes: list[str]) -> None:
    """Sheet-level settings, with ranges moved like the rows."""
    dropped: list[str] = []
    if ws.freeze_panes:
        r, c = _cell_index(ws.freeze_panes)
        xs.freeze_panes(r, c)
    if ws.print_title_rows:
        first, last = (int(x.strip("$")) for x in ws.print_title_rows.split(":"))
        xs.repeat_rows(first - 1, last - 1)
    if ws.print_title_cols:
        first_c, last_c = (column_index_from_string(x.strip("$")) for x in ws.print_title_cols.split(":"))
        xs.repeat_columns(first_c - 1, last_c - 1)
    if ws._print_area:
        area = rmap.cells(CellRange(str(ws.print_area).split(",")[0].split("!")[-1].replace("$", "")))
        xs.print_area(area.min_row - 1, area.min_col - 1, area.max_row - 1, area.max_col - 1)
    setup = ws.page_setup
    if setup.orientation == "landscape":
        xs.set_landscape()
    if setup.paperSize:
        xs.set_paper(int(setup.paperSize))
    if ws.sheet_properties.pageSetUpPr is not None and ws.sheet_properties.pageSetUpPr.fitToPage:
        xs.fit_to_pages(int(setup.fitToWidth or 1), int(setup.fitToHeight or 0))
    m = ws.page_margins
    xs.set_margins(left=m.left, right=m.right, top=m.top, bottom=m.bottom)
    if not ws.sheet_view.showGridLines:
        xs.hide_gridlines(2)
    for dv in ws.data_validations.dataValidation:
        options = _validation(dv)
        if options is None:
            dropped.append(f"数据有效性（{dv.type}）")
            continue
        for rng in rmap.ranges(dv.sqref).ranges:
            xs.data_validation(rng.min_row - 1, rng.min_col - 1, rng.max_row - 1, rng.max_col - 1, dict(options))
    for cf in ws.conditional_formatting:
        for rng in rmap.ranges(cf.sqref).ranges:
            for rule in cf.rules:
                options = _conditional(rule, fmt, rmap, ws.title)
                if options is None:
                    dropped.append(f"条件格式（{rule.type}）")
                    continue
                xs.conditional_format(rng.min_row - 1, rng.min_col - 1, rng.max_row - 1, rng.max_col - 1, options)
    if ws.protection.sheet:
        xs.protect()
        dropped.append("工作表保护的密码（保护仍开启，但不带密码）")
    if dropped:
        notes.append(note("streaming_dropped", what="、".join(dict.fromkeys(dropped))))


def _cell_index(ref: str) -> tuple[int, int]:
    rng = CellRange(ref)
    return rng.min_row - 1, rng.min_col - 1


def _validation(dv: Any) -> dict[str, Any] | None:
    validate = VALIDATION_TYPES.get(dv.type)
    if validate is None or not dv.formula1:
        return None
    options: dict[str, Any] = {"validate": validate, "ignore_blank": bool(dv.allow_blank),
                               "show_input": bool(dv.showInputMessage), "show_error": bool(dv.showErrorMessage),
                               "error_type": ERROR_STYLES.get(dv.errorStyle, "stop")}
    if validate == "list":
        text = dv.formula1
        options["source"] = text.strip('"').split(",") if text.startswith('"') else f"={text}"
    elif validate == "custom":
        options["value"] = f"={dv.formula1}"
    else:
        options["criteria"] = CRITERIA.get(dv.operator, "between")
        options["value"] = f"={dv.formula1}"
        if options["criteria"] in ("between", "not between"):
            options["maximum"] = f"={dv.formula2 or dv.formula1}"
    for attr, key, limit in (("promptTitle", "input_title", 32), ("prompt", "input_message", 255),
                             ("errorTitle", "error_title", 32), ("error", "error_message", 255)):
        text = getattr(dv, attr)
        if text:
            options[key] = text[:limit]
    return options


def _conditional(rule: Any, fmt: _Formats, rmap: RowMap, sheet: str) -> dict[str, Any] | None:
    formulas = [rmap.formula(f"={f}", sheet) for f in rule.formula or []]
    if rule.type == "expression" and formulas:
        return {"type": "formula", "criteria": formulas[0], "format": fmt.dxf(rule.dxf)}
    if rule.type == "cellIs" and formulas:
        options = {"type": "cell", "criteria": CRITERIA.get(rule.operator, "=="), "format": fmt.dxf(rule.dxf)}
        if len(formulas) > 1:
            options.update(minimum=formulas[0], maximum=formulas[1])
        else:
            options["value"] = formulas[0]
        return options
    return None
