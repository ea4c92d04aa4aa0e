"""The template's package (its zip), for the streaming fill: every part copied as it was,
the ones that point at rows of the filled sheet re-pointed through the same RowMap the
in-place writer uses (names, other sheets' formulas, charts, pivot caches, the sheet's
comments, tables and pictures); styles.xml with the number formats the rows need added;
and the small DOM helpers these, the filled sheet (`stream._SheetDoc`) and the header
notes (`header_notes`) share. `__all__` is the interface those modules use.

minidom, not a serialiser of our own choosing: it keeps prefixes and namespace
declarations as the producer wrote them (some write <x:row>), and `serialise` writes them
back the same way.
"""
from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Iterable
from typing import Any
from xml.dom.minidom import Document, Element, Node

from defusedxml.minidom import parseString
from openpyxl.styles.numbers import BUILTIN_FORMATS, BUILTIN_FORMATS_REVERSE
from openpyxl.worksheet.cell_range import MultiCellRange

from .writer import RowMap

__all__ = [
    "DECLARATION", "Package", "Styles", "as_int", "child_elements", "descendants", "escape_attr",
    "escape_xml", "first_child", "inner_text", "move_element", "moved_ranges", "new_element",
    "serialise", "set_text",
]

FORMULA_TAGS = frozenset({"f", "formula", "formula1", "formula2"})


# --- styles -------------------------------------------------------------------------------

class Styles:
    """styles.xml: number format of a style index, and style indices with another format added."""

    def __init__(self, data: bytes) -> None:
        self.doc: Document = parseString(data)
        self.root = self.doc.documentElement
        self.xfs_el = first_child(self.root, "cellXfs")
        self.xfs = child_elements(self.xfs_el, "xf") if self.xfs_el is not None else []
        self.num_fmts = first_child(self.root, "numFmts")
        self.codes: dict[int, str] = dict(BUILTIN_FORMATS)
        for fmt in child_elements(self.num_fmts, "numFmt") if self.num_fmts is not None else []:
            self.codes[as_int(fmt.getAttribute("numFmtId"))] = fmt.getAttribute("formatCode")
        self.cache: dict[tuple[int, str], int] = {}
        self.changed = False

    def number_format(self, xf: int) -> str:
        el = self.xfs[xf] if 0 <= xf < len(self.xfs) else None
        return self.codes.get(as_int(el.getAttribute("numFmtId")), "General") if el is not None else "General"

    def with_format(self, xf: int, code: str) -> int:
        """Style `xf` with number format `code` (a new style index, made once)."""
        key = (xf, code)
        if key in self.cache:
            return self.cache[key]
        if self.number_format(xf) == code or self.xfs_el is None:
            self.cache[key] = xf
            return xf
        fmt_id = self._format_id(code)
        el = self._clone(xf)
        el.setAttribute("numFmtId", str(fmt_id))
        el.setAttribute("applyNumberFormat", "1")
        self.cache[key] = self._add(el)
        return self.cache[key]

    def plain(self, xf: int) -> int:
        """Style `xf` keeping only borders and alignment (a data row drawn under a header)."""
        key = (xf, "\x00plain")
        if key not in self.cache and self.xfs_el is not None:
            el = self._clone(xf)
            for attr in ("numFmtId", "fontId", "fillId", "xfId"):
                el.setAttribute(attr, "0")
            for attr in ("applyNumberFormat", "applyFont", "applyFill", "applyProtection", "quotePrefix"):
                if el.hasAttribute(attr):
                    el.removeAttribute(attr)
            for child in child_elements(el, "protection"):
                el.removeChild(child)
            self.cache[key] = self._add(el)
        return self.cache.get(key, 0)

    def _clone(self, xf: int) -> Element:
        if 0 <= xf < len(self.xfs):
            return self.xfs[xf].cloneNode(True)
        el = new_element(self.doc, self.xfs_el, "xf")
        for attr in ("numFmtId", "fontId", "fillId", "borderId", "xfId"):
            el.setAttribute(attr, "0")
        return el

    def _add(self, el: Element) -> int:
        assert self.xfs_el is not None
        self.xfs_el.appendChild(el)
        self.xfs.append(el)
        self.xfs_el.setAttribute("count", str(len(self.xfs)))
        self.changed = True
        return len(self.xfs) - 1

    def _format_id(self, code: str) -> int:
        found = next((i for i, c in self.codes.items() if c == code and i >= 164), None)
        if found is None and code in BUILTIN_FORMATS_REVERSE:
            return BUILTIN_FORMATS_REVERSE[code]
        if found is not None:
            return found
        if self.num_fmts is None:
            self.num_fmts = new_element(self.doc, self.root, "numFmts")
            self.root.insertBefore(self.num_fmts, self.root.firstChild)
        fmt_id = max([163, *self.codes]) + 1
        fmt = new_element(self.doc, self.num_fmts, "numFmt")
        fmt.setAttribute("numFmtId", str(fmt_id))
        fmt.setAttribute("formatCode", code)
        self.num_fmts.appendChild(fmt)
        self.num_fmts.setAttribute("count", str(len(child_elements(self.num_fmts, "numFmt"))))
        self.codes[fmt_id] = code
        return fmt_id

    def bytes(self) -> bytes:
        return (DECLARATION + serialise(self.root)).encode()


# --- the package ----------------------------------------------------------------------------

class Package:
    """The template's zip: where the sheet, its parts and the styles are; every part copied,
    the ones that point at moved rows re-pointed."""

    def __init__(self, zf: zipfile.ZipFile, sheet: str) -> None:
        self.zf = zf
        self.sheet = sheet
        self.names = set(zf.namelist())
        book_part = self._targets("", "officeDocument")[0]
        self.book_part = book_part
        self.book = parseString(self.read(book_part))
        rels = self._rels(book_part)
        by_id = {rid: target for rid, (_, target) in rels.items()}
        sheet_el = next(s for s in descendants(self.book.documentElement)
                        if s.localName == "sheet" and s.getAttribute("name") == sheet)
        rid = next(v for k, v in sheet_el.attributes.items() if k.endswith(":id"))
        self.sheet_part = by_id[rid]
        self.styles_part = next((t for _, (kind, t) in rels.items() if kind == "styles"), None)
        self.calc_chain = next((t for _, (kind, t) in rels.items() if kind == "calcChain"), None)
        pr = next((e for e in descendants(self.book.documentElement) if e.localName == "workbookPr"), None)
        self.date1904 = pr is not None and pr.getAttribute("date1904") in ("1", "true")
        self.own_parts = {kind_target[1]: kind_target[0] for kind_target in self._rels(self.sheet_part).values()}

    def read(self, name: str) -> bytes:
        return self.zf.read(name)

    def _rels(self, part: str) -> dict[str, tuple[str, str]]:
        """rId -> (relationship kind, target part) for `part` ('' for the package)."""
        folder, base = posixpath.split(part)
        rels = posixpath.join(folder, "_rels", f"{base}.rels")
        if rels not in self.names:
            return {}
        found = {}
        for el in descendants(parseString(self.read(rels)).documentElement):
            if el.localName != "Relationship" or el.getAttribute("TargetMode") == "External":
                continue
            target = el.getAttribute("Target")
            target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            found[el.getAttribute("Id")] = (el.getAttribute("Type").rsplit("/", 1)[-1], target)
        return found

    def _targets(self, part: str, kind: str) -> list[str]:
        return [t for k, t in self._rels(part).values() if k == kind]

    def copy(self, zout: zipfile.ZipFile, rmap: RowMap, styles: Styles | None, write_sheet: Any) -> None:
        """Every part in the template's order; the sheet written by `write_sheet`."""
        for info in self.zf.infolist():
            name = info.filename
            if name == self.calc_chain:
                continue  # cell positions before the move; Excel rebuilds it
            if _is_macro_part(name):
                continue  # a filled report never carries the template's VBA (safety.py)
            if name == self.sheet_part:
                with zout.open(name, "w", force_zip64=True) as f:
                    write_sheet(f)
                continue
            data = self.read(name)
            if name == self.styles_part and styles is not None and styles.changed:
                data = styles.bytes()
            elif name == self.book_part:
                data = self._book(rmap)
            elif name == "[Content_Types].xml" or name.endswith(".rels"):
                data = _without_macros(self._without_calc_chain(data))
            elif name in self.own_parts:
                data = self._own_part(name, self.own_parts[name], data, rmap)
            elif name.endswith(".xml") and _mentions(data, self.sheet):
                data = self._other_part(data, rmap)
            zout.writestr(name, data)

    def _book(self, rmap: RowMap) -> bytes:
        root = self.book.documentElement
        for el in descendants(root):
            if el.localName == "definedName" and inner_text(el):
                set_text(self.book, el, rmap.formula("=" + inner_text(el), self.sheet, own=False)[1:])
        calc = next((e for e in descendants(root) if e.localName == "calcPr"), None)
        if calc is None:
            calc = new_element(self.book, root, "calcPr")
            after = next((e for e in child_elements(root, None) if e.localName in (
                "oleSize", "customWorkbookViews", "pivotCaches", "smartTagPr", "smartTagTypes", "webPublishing",
                "fileRecoveryPr", "webPublishObjects", "extLst")), None)
            root.insertBefore(calc, after)
        calc.setAttribute("fullCalcOnLoad", "1")  # totals over the new rows, formulas elsewhere moved
        return (DECLARATION + serialise(root)).encode()

    def _without_calc_chain(self, data: bytes) -> bytes:
        if self.calc_chain is None or b"calcChain" not in data:
            return data
        doc = parseString(data)
        for el in descendants(doc.documentElement):
            if "calcChain" in el.getAttribute("PartName") + el.getAttribute("Type"):
                el.parentNode.removeChild(el)
        return (DECLARATION + serialise(doc.documentElement)).encode()

    def _own_part(self, name: str, kind: str, data: bytes, rmap: RowMap) -> bytes:
        """Comments, tables, pictures and the comments' drawing of the filled sheet follow the rows."""
        try:
            doc = parseString(data)
        except Exception:  # noqa: BLE001  legacy VML is not always well-formed XML: left as it was
            return data
        root = doc.documentElement
        for el in descendants(root):
            if kind == "drawing" and el.localName in ("from", "to"):
                row = next((c for c in child_elements(el, "row")), None)
                if row is not None and int(inner_text(row)) + 1 > rmap.old_last:
                    set_text(doc, row, str(int(inner_text(row)) + rmap.delta))
            elif kind == "vmlDrawing" and el.localName == "Row" and inner_text(el).strip().isdigit():
                set_text(doc, el, str(rmap.row(int(inner_text(el)) + 1) - 1))
            elif kind == "vmlDrawing" and el.localName == "Anchor":
                nums = [x.strip() for x in inner_text(el).split(",")]
                if len(nums) == 8 and all(x.isdigit() for x in nums):
                    for k in (2, 6):
                        nums[k] = str(rmap.row(int(nums[k]) + 1) - 1)
                    set_text(doc, el, ", ".join(nums))
            elif kind != "vmlDrawing":
                move_element(el, rmap, self.sheet, own=True, positions=True)
        return (DECLARATION + serialise(root)).encode()

    def _other_part(self, data: bytes, rmap: RowMap) -> bytes:
        """Another sheet, a chart or a pivot cache: its formulas and ranges on the filled sheet."""
        doc = parseString(data)
        changed = False
        for el in descendants(doc.documentElement):
            if el.localName == "worksheetSource" and el.getAttribute("sheet") == self.sheet and el.hasAttribute("ref"):
                el.setAttribute("ref", moved_ranges(el.getAttribute("ref"), rmap))
                changed = True
            elif move_element(el, rmap, self.sheet, own=False, positions=False):
                changed = True
        return (DECLARATION + serialise(doc.documentElement)).encode() if changed else data


MACRO_MAIN = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"
SHEET_MAIN = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


def _is_macro_part(name: str) -> bool:
    """xl/vbaProject.bin, its signatures, its .rels and vbaData.xml."""
    base = posixpath.basename(name).lower()
    return base.startswith(("vbaproject", "vbadata"))


def _without_macros(data: bytes) -> bytes:
    """Content types and relationships with the VBA parts gone and the workbook a plain one."""
    if b"vba" not in data.lower() and MACRO_MAIN not in data:
        return data
    doc = parseString(data.replace(MACRO_MAIN, SHEET_MAIN))
    for el in list(descendants(doc.documentElement)):
        about = (el.getAttribute("ContentType") + el.getAttribute("Type") + el.getAttribute("PartName")
                 + el.getAttribute("Target")).lower()
        if "vbaproject" in about or "vbadata" in about:
            el.parentNode.removeChild(el)
    return (DECLARATION + serialise(doc.documentElement)).encode()


def _mentions(data: bytes, sheet: str) -> bool:
    return any(form.encode() in data for form in {sheet, escape_attr(sheet)})


def move_element(el: Element, rmap: RowMap, sheet: str, *, own: bool, positions: bool) -> bool:
    """Re-point one element: a formula's text, and (`positions`) its ref/sqref on this sheet."""
    changed = False
    if positions:
        for attr in ("ref", "sqref"):
            if el.hasAttribute(attr):
                el.setAttribute(attr, moved_ranges(el.getAttribute(attr), rmap))
        if el.localName == "sqref" and inner_text(el):
            set_text(el.ownerDocument, el, moved_ranges(inner_text(el), rmap))
        if el.localName == "brk" and el.parentNode.localName == "rowBreaks" and el.hasAttribute("id"):
            el.setAttribute("id", str(rmap.row(as_int(el.getAttribute("id")))))
    if el.localName in FORMULA_TAGS:
        text = inner_text(el)
        if text and not text.startswith('"'):
            moved = rmap.formula("=" + text, sheet, own)[1:]
            if moved != text:
                set_text(el.ownerDocument, el, moved)
                changed = True
    return changed


def moved_ranges(text: str, rmap: RowMap) -> str:
    try:
        return " ".join(r.coord for r in rmap.ranges(MultiCellRange(text)).ranges)
    except (TypeError, ValueError):  # whole columns, names: nothing row-bound to move
        return text


# --- minimal DOM helpers (minidom keeps prefixes and namespace declarations as written) -----

DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def child_elements(el: Element | None, local: str | None) -> list[Element]:
    if el is None:
        return []
    return [c for c in el.childNodes if c.nodeType == Node.ELEMENT_NODE and (local is None or c.localName == local)]


def first_child(el: Element | None, local: str) -> Element | None:
    found = child_elements(el, local)
    return found[0] if found else None


def descendants(el: Element) -> Iterable[Element]:
    for c in list(el.childNodes):
        if c.nodeType == Node.ELEMENT_NODE:
            yield c
            yield from descendants(c)


def new_element(doc: Document, like: Element, local: str) -> Element:
    """An element in `like`'s namespace, with its prefix (some producers write x:row)."""
    name = f"{like.prefix}:{local}" if like.prefix else local
    return doc.createElementNS(like.namespaceURI, name)


def inner_text(el: Element) -> str:
    return "".join(c.data for c in el.childNodes if c.nodeType in (Node.TEXT_NODE, Node.CDATA_SECTION_NODE))


def set_text(doc: Document, el: Element, text: str) -> None:
    while el.firstChild is not None:
        el.removeChild(el.firstChild)
    el.appendChild(doc.createTextNode(text))


def as_int(text: str) -> int:
    return int(text) if text and text.lstrip("-").isdigit() else 0


def serialise(node: Node) -> str:
    out: list[str] = []
    _write(node, out)
    return "".join(out)


def _write(node: Node, out: list[str]) -> None:
    if node.nodeType == Node.ELEMENT_NODE:
        out.append(f"<{node.tagName}")
        for k, v in node.attributes.items():
            out.append(f' {k}="{escape_attr(v)}"')
        if not node.childNodes:
            out.append("/>")
            return
        out.append(">")
        for child in node.childNodes:
            _write(child, out)
        out.append(f"</{node.tagName}>")
    elif node.nodeType in (Node.TEXT_NODE, Node.CDATA_SECTION_NODE):
        # The filled sheet's markers where the streamed rows and merges go in (`stream._SheetDoc.finish`).
        out.append(node.data if node.data in ("\x00rows\x00", "\x00merges\x00") else escape_xml(node.data))
    elif node.nodeType == Node.COMMENT_NODE:
        out.append(f"<!--{node.data}-->")
    elif node.nodeType == Node.PROCESSING_INSTRUCTION_NODE:
        out.append(f"<?{node.target} {node.data}?>")


def escape_xml(text: str) -> str:
    """Text content as XML, nothing Excel-specific: a CR kept as a character reference."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def escape_attr(text: str) -> str:
    """An attribute value; newlines and tabs as references, or a parser turns them into spaces."""
    return (escape_xml(text).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;"))
