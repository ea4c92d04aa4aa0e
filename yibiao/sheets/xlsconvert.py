"""A legacy .xls template as an openpyxl workbook, so the writer fills one kind of book.

openpyxl cannot write BIFF and nothing well kept can, so an .xls template comes back as
.xlsx. xlrd's formatting records (`formatting_info=True`) give values, merges, column
widths, row heights, fonts, fills, borders, alignment and number formats; what BIFF holds
beyond that (validations, conditional formats, print titles, pictures) is not rebuilt.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from .grid import _parse_error, _xls_value

# BIFF line style index -> OOXML border style
BORDER_STYLES = {
    1: "thin", 2: "medium", 3: "dashed", 4: "dotted", 5: "thick", 6: "double", 7: "hair",
    8: "mediumDashed", 9: "dashDot", 10: "mediumDashDot", 11: "dashDotDot",
    12: "mediumDashDotDot", 13: "slantDashDot",
}
HORIZONTAL = {1: "left", 2: "center", 3: "right", 4: "fill", 5: "justify", 6: "centerContinuous",
              7: "distributed"}
VERTICAL = {0: "top", 1: "center", 2: "bottom", 3: "justify", 4: "distributed"}
TWIPS_PER_POINT = 20
WIDTH_UNITS_PER_CHAR = 256


def xls_to_openpyxl(path: Path) -> Workbook:
    """Every sheet of the .xls, values and formatting, as an in-memory openpyxl workbook."""
    import xlrd

    try:
        try:
            book = xlrd.open_workbook(str(path), formatting_info=True)
        except NotImplementedError:  # BIFF versions without formatting records
            book = xlrd.open_workbook(str(path))
    except Exception as exc:
        raise _parse_error(path, exc) from exc
    wb = Workbook()
    wb.remove(wb.active)
    styles: dict[int, dict[str, Any]] = {}
    for sh in book.sheets():
        ws = wb.create_sheet(sh.name)
        for r in range(sh.nrows):
            for c in range(sh.ncols):
                cell = sh.cell(r, c)
                value = _xls_value(cell.ctype, cell.value, book.datemode)
                style = _style(book, cell.xf_index, styles)
                if value is None and not ("border" in style or "fill" in style):
                    continue  # only blanks a reader would see: ruled or shaded
                target = ws.cell(row=r + 1, column=c + 1)
                if isinstance(value, str) and value.startswith("="):
                    target.value, target.data_type = value, "s"  # text, never a formula
                else:
                    target.value = value
                for attr, v in style.items():
                    setattr(target, attr, v)
        for rlo, rhi, clo, chi in getattr(sh, "merged_cells", []):
            if rhi - rlo > 1 or chi - clo > 1:
                ws.merge_cells(start_row=rlo + 1, start_column=clo + 1, end_row=rhi, end_column=chi)
        for c, info in getattr(sh, "colinfo_map", {}).items():
            dim = ws.column_dimensions[get_column_letter(c + 1)]
            dim.width = round(info.width / WIDTH_UNITS_PER_CHAR, 2)
            dim.hidden = bool(info.hidden)
        for r, info in getattr(sh, "rowinfo_map", {}).items():
            dim = ws.row_dimensions[r + 1]
            if not info.height_mismatch and info.height:
                dim.height = info.height / TWIPS_PER_POINT
            dim.hidden = bool(info.hidden)
        if getattr(sh, "panes_are_frozen", 0) and (sh.horz_split_pos or sh.vert_split_pos):
            ws.freeze_panes = f"{get_column_letter(sh.vert_split_pos + 1)}{sh.horz_split_pos + 1}"
    book.release_resources()
    return wb


def _style(book: Any, xf_index: int | None, cache: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """openpyxl style attributes for one XF record; {} when the file has no formatting."""
    xf_list = getattr(book, "xf_list", None) or []
    if xf_index is None or xf_index >= len(xf_list):
        return {}
    if xf_index in cache:
        return cache[xf_index]
    xf = xf_list[xf_index]
    style: dict[str, Any] = {}
    if xf.font_index < len(book.font_list):
        f = book.font_list[xf.font_index]
        style["font"] = Font(name=f.name or None, size=f.height / TWIPS_PER_POINT or None,
                             bold=bool(f.bold), italic=bool(f.italic),
                             underline="single" if f.underline_type else None,
                             color=_colour(book, f.colour_index))
    b = xf.border
    sides = {name: Side(style=BORDER_STYLES.get(getattr(b, f"{name}_line_style"), None),
                        color=_colour(book, getattr(b, f"{name}_colour_index")))
             for name in ("left", "right", "top", "bottom")}
    if any(s.style for s in sides.values()):
        style["border"] = Border(**sides)
    colour = _colour(book, xf.background.pattern_colour_index)
    if xf.background.fill_pattern == 1 and colour:
        style["fill"] = PatternFill("solid", fgColor=colour)
    a = xf.alignment
    style["alignment"] = Alignment(horizontal=HORIZONTAL.get(a.hor_align), vertical=VERTICAL.get(a.vert_align),
                                   wrap_text=bool(a.text_wrapped) or None)
    fmt = book.format_map.get(xf.format_key)
    if fmt is not None and fmt.format_str and fmt.format_str != "General":
        style["number_format"] = fmt.format_str
    cache[xf_index] = style
    return style


def _colour(book: Any, index: int) -> str | None:
    rgb = getattr(book, "colour_map", {}).get(index)
    return "FF" + "".join(f"{v:02X}" for v in rgb) if rgb else None
