"""Very large list exports (100k rows and up): the template's own package, only its rows rewritten.

openpyxl holds every cell in memory; this writes rows straight into a copy of the template.
Every part of the template (other sheets, styles and theme colours, names, pictures,
comments, validations including the x14 ones, conditional formats, protection) is copied
as it was (package.py); the filled sheet's XML (small: it is the template's) is parsed, its
data region replaced by rows written as XML text, and every reference to a row below the
data (cells, formulas, merges, validations, print area, tables, pictures, comments, charts)
moved by the same RowMap the in-place writer uses.

Each column is decided once: its style index per kind of value (the template's first data
row, with the date or text format the kind needs), so a cell costs one type test, one
regex search for characters XML needs escaped, and one string. Rows are spooled to a
temporary file beside the output first, because the sheet's <dimension> comes before the
rows and needs their count (xlsxwriter's constant_memory mode spools the same way).
"""
from __future__ import annotations

import datetime as dt
import math
import os
import re
import shutil
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from xml.dom.minidom import Document, Element

from defusedxml.minidom import parseString
from openpyxl.cell.cell import Cell
from openpyxl.formula.tokenizer import Token, Tokenizer
from openpyxl.styles.numbers import is_date_format
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.worksheet import Worksheet

from .layout import squeeze
from .merges import clip_sheet_xml
from .model import SheetLayout
from .notes import note
from .package import (
    DECLARATION,
    Package,
    Styles,
    as_int,
    child_elements,
    descendants,
    escape_attr,
    escape_xml,
    first_child,
    inner_text,
    move_element,
    moved_ranges,
    new_element,
    serialise,
    set_text,
)
from .writer import (
    BIG_INT,
    CODE_RE,
    DATE_KINDS,
    DEFAULT_BOOL,
    EXCEL_MAX_ROWS,
    KIND_FORMATS,
    SEQUENCE_HEADERS,
    FillResult,
    RowMap,
    fill_blanks,
    note_replaced_subtotals,
    note_static_totals,
    open_template,
    region,
    row_style,
    typed,
    yes_no_words,
)

# zlib level of the written package. 100,000 rows × 10 (bench/bench_fill.py, BENCH_FILL_LEVEL):
# level 1 1.05 s CPU, 10.3 MB; level 3 1.2 s, 8.6 MB; level 6 (xlsxwriter's) 1.6 s, 7.5 MB.
COMPRESSLEVEL = 3
CHUNK_ROWS = 2000  # rows joined into one write: fewer, larger writes to the spool
# Footer formulas whose result we can give as the cached value: Excel recalculates on
# open (fullCalcOnLoad), but LibreOffice and previewers show the cached value.
CACHED_RE = re.compile(r"^=(SUM|COUNTA|COUNT|AVERAGE)\(\$?([A-Z]{1,3})\$?(\d+):\$?\2\$?(\d+)\)$", re.IGNORECASE)
# Anything in a text that must not go into XML as it is: &, <, >, a CR (XML parsers turn it
# into LF unless written &#13;), characters XML 1.0 forbids, and a literal _xHHHH_ (Excel and
# LibreOffice would decode it: written _x005F_xHHHH_, as Excel itself does).
NEEDS_ESCAPE = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]|_x[0-9A-Fa-f]{4}_")
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
EXCAPED = re.compile("_x[0-9A-Fa-f]{4}_")
WHITESPACE = frozenset(" \t\n\r\u3000")  # leading or trailing: needs xml:space="preserve"
EXCEL_MAX_CHARS = 32_767  # per cell, counted in UTF-16 units; Excel repairs a file with more
CELL_RE = re.compile(r"^([A-Za-z]{1,3})(\d+)$")
ROW_PART_RE = re.compile(r"^(\$?[A-Za-z]{1,3})?(\$?)(\d+)$")


def fill_template_streaming(template: Path, out: Path, *, sheet: str, layout: SheetLayout,
                            rows: Iterable[Sequence[object]],
                            blanks: dict[str, object] | None = None) -> FillResult:
    """Like `fill_template` for list/aggregate sheets, but streams `rows` (any iterable) to disk.

    The whole template comes back: other sheets as they were, this sheet's data region
    holding `rows` in the first data row's styles, everything below it moved down; the notes
    are `fill_template`'s. Not done here: cards (one sheet per subject), and the SUMs
    `fill_template` adds to an aggregate's 合计 row that has no formulas.
    """
    if layout.layout == "card":
        raise ValueError("a card layout is one sheet per subject: fill it with fill_template")
    template, out = Path(template), Path(out)
    wb, ws, out, notes = open_template(template, out, sheet)
    converted = not zipfile.is_zipfile(template)  # open_template let only .xlsx (zip) and legacy .xls through
    # What openpyxl could not keep, this writer does (pictures, x14 validations).
    notes[:] = [n for n in notes if n not in (note("pictures", file=template.name),
                                                note("validation_ext", file=template.name))]
    before = {key: (cell.value, cell.number_format) for key, cell in ws._cells.items()}
    fill_blanks(ws, layout, blanks or {}, notes)
    changed = {key: cell for key, cell in ws._cells.items()
               if before.get(key, (None, "General")) != (cell.value, cell.number_format)}
    start, old_last = region(layout, ws.max_row)
    style = row_style(ws, RowMap(start, old_last, 1), layout.header_rows[1])
    note_replaced_subtotals(layout, start, old_last, notes)
    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(out.name + ".part")
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".fill-") as tmp:
        source = template
        if converted:  # a legacy .xls, already rebuilt by openpyxl: its saved copy is the package
            source = Path(tmp) / "converted.xlsx"
            wb.save(source)
        with zipfile.ZipFile(source) as package:
            pkg = Package(package, sheet)
            sheet_xml = pkg.read(pkg.sheet_part)
            # the merges openpyxl saw (open_template): clipped to the values, not 20,000 forged ones
            sheet_doc = _SheetDoc(clip_sheet_xml(sheet_xml) or sheet_xml, start, old_last, pkg.date1904)
            styles = Styles(pkg.read(pkg.styles_part)) if pkg.styles_part else None
            for (r, c), cell in changed.items():
                sheet_doc.set_value(r, c, cell, styles)
            writer = _RowWriter(ws, layout, style, sheet_doc, styles, pkg.date1904, start, old_last)
            with open(Path(tmp) / "rows.xml", "w+b") as spool:
                count = writer.write(rows, spool)
                rmap = RowMap(start, old_last, max(count, 1))
                notes.extend(note("too_long_row", row=r, got=got, want=len(layout.columns))
                             for r, got in writer.too_wide)
                for r in layout.totals_rows:
                    if r > old_last:
                        note_static_totals(ws, layout, r, rmap.row(r), notes)
                writer.stats.rows = (start, rmap.new_last)
                head, merges_at, tail = sheet_doc.finish(rmap, sheet, writer.stats, len(style.merges))
                try:
                    with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESSLEVEL) as zout:
                        pkg.copy(zout, rmap, styles, lambda f: _write_sheet(
                            f, head, spool, merges_at, tail, style.merges, rmap, writer.too_long, notes))
                except BaseException:
                    part.unlink(missing_ok=True)
                    raise
    os.replace(part, out)
    totals = [rmap.row(r) for r in layout.totals_rows if r > old_last]
    return FillResult(out, count, (start, rmap.new_last), totals[0] if totals else None, notes)


def _write_sheet(f: IO[bytes], head: str, spool: IO[bytes], merges_at: str, tail: str,
                 row_merges: list[tuple[int, int]], rmap: RowMap, too_long: list[str], notes: list[str]) -> None:
    """The sheet part: head, the spooled rows, merges (the sample row's on every data row), tail."""
    f.write(head.encode())
    spool.seek(0)
    shutil.copyfileobj(spool, f, 1 << 20)
    f.write(merges_at.encode())
    if row_merges:
        for first in range(rmap.start, rmap.new_last + 1, CHUNK_ROWS):
            f.write("".join(
                f'<mergeCell ref="{get_column_letter(c1)}{r}:{get_column_letter(c2)}{r}"/>'
                for r in range(first, min(first + CHUNK_ROWS, rmap.new_last + 1)) for c1, c2 in row_merges
            ).encode())
    f.write(tail.encode())
    if too_long:
        shown = "、".join(too_long[:10]) + ("等" if len(too_long) > 10 else "")
        notes.append(note("too_long_text", cells=shown))


# --- the rows -----------------------------------------------------------------------------

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


@dataclass
class _Column:
    """One column of the data rows, decided once: where its value is and how each kind is written."""

    c: int
    pre: str  # '<c r="C', the row number follows
    index: int  # position in a row's values; -1 for a styled template column with no data
    opens: dict[str, str]  # kind -> '" s="4" t="inlineStr"><is><t>' etc., after the row number
    blank: str | None  # '" s="3"/>': a blank cell keeps its style; None when it has none
    bools: tuple[str, str]
    seq: bool
    formula: list[str | int] | None  # literal pieces and row offsets; None: no formula column


class _RowWriter:
    """The data rows as XML text, columns decided once (`_Column`), cells written by type."""

    def __init__(self, ws: Worksheet, layout: SheetLayout, style: Any, sheet_doc: _SheetDoc,
                 styles: Styles | None, date1904: bool, start: int, old_last: int) -> None:
        p = sheet_doc.prefix
        self.p = p
        self.date1904 = date1904
        self.start = start
        self.stats = _Stats()
        self.too_long: list[str] = []
        self.too_wide: list[tuple[int, int]] = []  # (row, values given) with more values than columns
        sample = sheet_doc.rows.get(start) if old_last >= start else None
        attrs = "".join(f' {k}="{escape_attr(v)}"' for k, v in sample.attributes.items() if k != "r") if sample else ""
        self.row_open, self.row_attrs, self.row_close = f"<{p}row r=\"", f'"{attrs}>', f"</{p}row>"
        bools = yes_no_words(ws, start)
        cols = [c.index for c in layout.columns]
        self.width = len(cols)
        seq = next((c.index for c in layout.columns if squeeze(c.header) in SEQUENCE_HEADERS), None)
        base = sheet_doc.sample_styles(start, old_last, layout.header_rows[1], styles)
        self.close_t, self.close_v = f"</{p}t></{p}is></{p}c>", f"</{p}v></{p}c>"
        self.columns: list[_Column] = []
        for c in sorted(set(style.styles) | set(cols)):
            xf = base.get(c, 0)
            own = style.formats.get(c, "General")
            opens = {}
            for kind in ("text", "code", "number", *DATE_KINDS):
                wanted = KIND_FORMATS.get(kind) if not (kind in DATE_KINDS and is_date_format(own)) else None
                k_xf = styles.with_format(xf, wanted) if (wanted and styles is not None) else xf
                s = f' s="{k_xf}"' if k_xf else ""
                if kind in ("text", "code"):
                    opens[kind] = f'"{s} t="inlineStr"><{p}is><{p}t>'
                    opens[kind + " "] = f'"{s} t="inlineStr"><{p}is><{p}t xml:space="preserve">'
                else:
                    opens[kind] = f'"{s}><{p}v>'
            formula = style.formulas.get(c)
            self.columns.append(_Column(
                c=c, pre=f'<{p}c r="{get_column_letter(c)}', index=cols.index(c) if c in cols else -1, opens=opens,
                blank=f'" s="{xf}"/>' if xf else None, bools=bools.get(c, DEFAULT_BOOL), seq=c == seq,
                formula=_relative(formula[0], formula[1]) if formula else None))
        self.stat_columns = [col for col in self.columns if col.c in sheet_doc.stat_columns(start, old_last)]

    def write(self, rows: Iterable[Sequence[object]], spool: IO[bytes]) -> int:
        """Write every row to `spool`; return how many there were (an empty export keeps one blank row)."""
        chunk: list[str] = []
        count = 0
        first = self.start
        for i, values in enumerate(rows):
            r = first + i
            if r > EXCEL_MAX_ROWS:
                raise ValueError(f"more rows than fit in one Excel sheet below row {first}")
            chunk.append(self.row(r, i, values))
            if len(values) > self.width:
                self.too_wide.append((r, len(values)))
            if self.stat_columns:
                self._count(i, values)
            count += 1
            if len(chunk) >= CHUNK_ROWS:
                spool.write("".join(chunk).encode())
                chunk.clear()
        if count == 0:
            chunk.append(self.row(first, 0, ()))
        spool.write("".join(chunk).encode())
        return count

    def row(self, r: int, i: int, values: Sequence[object]) -> str:
        """One data row: per column a type test, at most one regex search, one string."""
        rs = str(r)
        out = [self.row_open, rs, self.row_attrs]
        append = out.append
        close_t, close_v = self.close_t, self.close_v
        n = len(values)
        for col in self.columns:
            j = col.index
            v = values[j] if 0 <= j < n else None
            t = type(v)
            if t is str:
                if NEEDS_ESCAPE.search(v) or len(v) > EXCEL_MAX_CHARS // 2:
                    append(self._text(col, rs, v))
                    continue
                kind = "code" if CODE_RE.match(v) else "text"
                if v and (v[0] in WHITESPACE or v[-1] in WHITESPACE):
                    kind += " "
                append(f"{col.pre}{rs}{col.opens[kind]}{v}{close_t}")
            elif t is int and -BIG_INT < v < BIG_INT:
                append(f"{col.pre}{rs}{col.opens['number']}{v}{close_v}")
            elif t is float and math.isfinite(v):
                append(f"{col.pre}{rs}{col.opens['number']}{v!r}{close_v}")
            elif v is None:
                if n and col.seq:
                    append(f"{col.pre}{rs}{col.opens['number']}{i + 1}{close_v}")
                elif n and col.formula is not None:
                    append(self._formula(col, r, rs))
                elif col.blank is not None:
                    append(f"{col.pre}{rs}{col.blank}")
            else:
                append(self._typed(col, rs, v))
        append(self.row_close)
        return "".join(out)

    def _typed(self, col: _Column, rs: str, value: object) -> str:
        """Anything but a plain str, int or float: through `typed`, as the in-place writer does."""
        kind, v = typed(value, col.bools)
        if kind == "blank":
            return f"{col.pre}{rs}{col.blank}" if col.blank else ""
        if kind in ("text", "code"):
            return self._text(col, rs, v)
        if kind == "number":
            text = str(v) if isinstance(v, int) else repr(float(v))
        else:
            text = _serial(kind, v, self.date1904)
        return f"{col.pre}{rs}{col.opens[kind]}{text}{self.close_v}"

    def _text(self, col: _Column, rs: str, v: str) -> str:
        """Text needing care: escaped, CR and literal _xHHHH_ as Excel spells them, cut at Excel's limit."""
        v = XML_ILLEGAL.sub("", v)
        if len(v) > EXCEL_MAX_CHARS // 2 and len(v.encode("utf-16-le")) // 2 > EXCEL_MAX_CHARS:
            v = v.encode("utf-16-le")[:EXCEL_MAX_CHARS * 2].decode("utf-16-le", "ignore")
            self.too_long.append(f"{get_column_letter(col.c)}{rs}")
        kind = "code" if CODE_RE.match(v) else "text"
        if v and (v[0] in WHITESPACE or v[-1] in WHITESPACE):
            kind += " "
        return f"{col.pre}{rs}{col.opens[kind]}{_escape(v)}{self.close_t}"

    def _formula(self, col: _Column, r: int, rs: str) -> str:
        assert col.formula is not None
        text = "".join(str(r + part) if isinstance(part, int) else part for part in col.formula)
        s = col.blank[:-2] if col.blank else '"'
        return f"{col.pre}{rs}{s}><{self.p}f>{escape_xml(text)}</{self.p}f></{self.p}c>"

    def _count(self, i: int, values: Sequence[object]) -> None:
        for col in self.stat_columns:
            v = values[col.index] if 0 <= col.index < len(values) else None
            if v is None and col.seq:
                v = i + 1
            self.stats.add(col.c, *typed(v, col.bools))


def _escape(text: str) -> str:
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "_x" in text:
        text = EXCAPED.sub(lambda m: "_x005F" + m[0], text)
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    return text


def _serial(kind: str, value: dt.date | dt.time, date1904: bool) -> str:
    """Excel's serial number for a date, date-time or time (1900 or 1904 system, as the book says)."""
    if isinstance(value, dt.time):
        return repr((value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6) / 86400)
    epoch = dt.date(1904, 1, 1) if date1904 else dt.date(1899, 12, 31)
    days: float = value.toordinal() - epoch.toordinal()
    if isinstance(value, dt.datetime):
        days += (value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6) / 86400
    if not date1904 and days > 59:
        days += 1  # Excel's 29 February 1900, which never was
    return str(int(days)) if kind == "date" else repr(days)


def _relative(formula: str, origin: str) -> list[str | int]:
    """A data row's formula as literal pieces and row offsets from the template's row, so each
    row is a join, not a parse (=D5*2 on row 5 -> ['D', 0, '*2'], written D{r}*2)."""
    origin_row = int(CELL_RE.match(origin.replace("$", ""))[2])  # type: ignore[index]
    try:
        tok = Tokenizer(formula)
    except Exception:
        return [formula.lstrip("=")]
    for t in tok.items:
        if t.type == Token.OPERAND and t.subtype == Token.RANGE:
            sheet, bang, ref = t.value.rpartition("!")
            parts = []
            for part in ref.split(":"):
                m = ROW_PART_RE.match(part)
                if m and not m[2]:
                    part = f"{m[1] or ''}\x00{int(m[3]) - origin_row}\x00"
                parts.append(part)
            t.value = f"{sheet}{bang}{':'.join(parts)}"
    pieces = tok.render().lstrip("=").split("\x00")
    return [int(p) if k % 2 else p for k, p in enumerate(pieces)]


# --- the template's sheet -------------------------------------------------------------------

class _SheetDoc:
    """The filled sheet's XML, rows indexed; what stays is serialised around the streamed rows."""

    def __init__(self, data: bytes, start: int, old_last: int, date1904: bool) -> None:
        self.doc: Document = parseString(data)
        self.root: Element = self.doc.documentElement
        self.prefix = f"{self.root.prefix}:" if self.root.prefix else ""
        self.data = first_child(self.root, "sheetData")
        if self.data is None:
            self.data = new_element(self.doc, self.root, "sheetData")
            self.root.appendChild(self.data)
        self.rows: dict[int, Element] = {}
        r = 0
        for row in child_elements(self.data, "row"):
            r = int(row.getAttribute("r")) if row.hasAttribute("r") else r + 1
            row.setAttribute("r", str(r))
            c = 0
            for cell in child_elements(row, "c"):
                m = CELL_RE.match(cell.getAttribute("r")) if cell.hasAttribute("r") else None
                c = column_index_from_string(m[1].upper()) if m else c + 1
                cell.setAttribute("r", f"{get_column_letter(c)}{r}")
            self.rows[r] = row
        self.start, self.old_last, self.date1904 = start, old_last, date1904

    def cells(self, r: int) -> dict[int, Element]:
        row = self.rows.get(r)
        return {_col(cell): cell for cell in child_elements(row, "c")} if row is not None else {}

    def sample_styles(self, start: int, old_last: int, header_last: int, styles: Styles | None) -> dict[int, int]:
        """Per column, the style index of the template's first data row; without one, the last
        header row's borders and alignment (as the in-place writer draws a plain row)."""
        if old_last >= start:
            return {c: as_int(cell.getAttribute("s")) for c, cell in self.cells(start).items()}
        if styles is None:
            return {}
        return {c: styles.plain(as_int(cell.getAttribute("s")))
                for c, cell in self.cells(header_last).items() if as_int(cell.getAttribute("s"))}

    def stat_columns(self, start: int, old_last: int) -> set[int]:
        """Columns that a SUM/COUNT/COUNTA/AVERAGE over the data region outside it totals."""
        found = set()
        for r, row in self.rows.items():
            if start <= r <= old_last:
                continue
            for cell in child_elements(row, "c"):
                f = first_child(cell, "f")
                m = CACHED_RE.match("=" + inner_text(f)) if f is not None else None
                if m and (int(m[3]), int(m[4])) == (start, old_last):
                    found.add(column_index_from_string(m[2].upper()))
        return found

    def set_value(self, r: int, c: int, cell: Cell, styles: Styles | None) -> None:
        """A cell `fill_blanks` wrote (填报单位：…): its value, and its number format if `put` set one."""
        if self.start <= r <= self.old_last:
            return
        row = self.rows.get(r)
        if row is None:
            row = new_element(self.doc, self.root, "row")
            row.setAttribute("r", str(r))
            later = [k for k in self.rows if k > r]
            self.data.insertBefore(row, self.rows[min(later)] if later else None)
            self.rows[r] = row
        existing = self.cells(r)
        el = existing.get(c)
        if el is None:
            el = new_element(self.doc, self.root, "c")
            el.setAttribute("r", f"{get_column_letter(c)}{r}")
            later = [k for k in existing if k > c]
            row.insertBefore(el, existing[min(later)] if later else None)
        while el.firstChild is not None:
            el.removeChild(el.firstChild)
        if el.hasAttribute("t"):
            el.removeAttribute("t")
        kind, value = ("text", cell.value) if cell.data_type == "s" else typed(cell.value)
        if styles is not None and cell.number_format != styles.number_format(as_int(el.getAttribute("s"))):
            xf = styles.with_format(as_int(el.getAttribute("s")), cell.number_format)
            el.setAttribute("s", str(xf))
        if kind in ("text", "code"):
            el.setAttribute("t", "inlineStr")
            t = new_element(self.doc, self.root, "t")
            t.setAttribute("xml:space", "preserve")
            t.appendChild(self.doc.createTextNode(XML_ILLEGAL.sub("", str(value))))
            inline = new_element(self.doc, self.root, "is")
            inline.appendChild(t)
            el.appendChild(inline)
        elif kind != "blank":
            v = new_element(self.doc, self.root, "v")
            text = (str(value) if isinstance(value, int) else repr(float(value))) if kind == "number" else (
                _serial(kind, value, self.date1904))
            v.appendChild(self.doc.createTextNode(text))
            el.appendChild(v)

    def finish(self, rmap: RowMap, sheet: str, stats: _Stats, per_row: int) -> tuple[str, str, str]:
        """(head up to the data rows, from after them to the merges' end, tail): the kept rows
        moved, formulas and their cached totals, merges, validations and the rest re-pointed."""
        for r, row in list(self.rows.items()):
            if rmap.start <= r <= rmap.old_last:
                self.data.removeChild(row)
                continue
            to = rmap.row(r)
            row.setAttribute("r", str(to))
            for cell in child_elements(row, "c"):
                c = _col(cell)
                cell.setAttribute("r", f"{get_column_letter(c)}{to}")
                f = first_child(cell, "f")
                if f is not None:
                    self._formula(cell, f, rmap, sheet, stats)
        below = next((row for r, row in sorted(self.rows.items()) if r > rmap.old_last), None)
        self.data.insertBefore(self.doc.createTextNode("\x00rows\x00"), below)
        merges = first_child(self.root, "mergeCells")
        if merges is not None:
            kept = 0
            for m in child_elements(merges, "mergeCell"):
                rng = CellRange(m.getAttribute("ref"))
                if rmap.start <= rng.min_row <= rmap.old_last:
                    merges.removeChild(m)
                    continue
                m.setAttribute("ref", rmap.cells(rng).coord)
                kept += 1
            if kept + per_row:
                merges.setAttribute("count", str(kept + per_row * rmap.count))
                merges.appendChild(self.doc.createTextNode("\x00merges\x00"))
            else:  # every merge was in the sample rows: an empty <mergeCells> is not allowed
                self.root.removeChild(merges)
        for top in child_elements(self.root, None):
            if top is self.data or top.localName == "mergeCells":
                continue
            for el in [top, *descendants(top)]:
                move_element(el, rmap, sheet, own=True, positions=True)
        text = serialise(self.root)
        head, rest = text.split("\x00rows\x00")
        if "\x00merges\x00" in rest:
            middle, tail = rest.split("\x00merges\x00")
        else:
            middle, tail = rest, ""
        return DECLARATION + head, middle, tail

    def _formula(self, cell: Element, f: Element, rmap: RowMap, sheet: str, stats: _Stats) -> None:
        text = inner_text(f)
        if f.hasAttribute("ref"):
            f.setAttribute("ref", moved_ranges(f.getAttribute("ref"), rmap))
        if not text:
            return
        moved = rmap.formula("=" + text, sheet)
        if moved == "=" + text:
            return
        set_text(self.doc, f, moved[1:])
        for v in child_elements(cell, "v"):
            cell.removeChild(v)
        if cell.hasAttribute("t"):
            cell.removeAttribute("t")
        cached = stats.value(moved)
        if cached is not None:
            v = new_element(self.doc, self.root, "v")
            v.appendChild(self.doc.createTextNode(repr(float(cached)) if isinstance(cached, float) else str(cached)))
            cell.appendChild(v)


def _col(cell: Element) -> int:
    m = CELL_RE.match(cell.getAttribute("r"))
    return column_index_from_string(m[1].upper()) if m else 0
