"""Notes (批注) on a template's header cells, added to a copy of the template before it is filled.

Why on the template, not in a writer: both writers already keep a template's own notes —
the in-place writer through openpyxl, the streaming one by copying the package and moving
only the parts below the data — so a note added here reaches the file whichever writer
fills it, and neither writer changes. Why in the zip and not through openpyxl: openpyxl's
round trip drops what the streaming writer exists to keep (dropdowns on other sheets,
pictures). A legacy .xls has no package to keep: it is converted (as the writers convert
it) and the notes set through openpyxl.

Used for what the department must not miss when it opens the file: a column it receives
masked by its own decision at admission ("联系电话列按准入决定遮蔽").
"""

from __future__ import annotations

import contextlib
import posixpath
import zipfile
from pathlib import Path

from defusedxml.ElementTree import fromstring
from defusedxml.minidom import parseString
from openpyxl.comments import Comment
from openpyxl.comments.comment_sheet import CommentRecord, CommentSheet
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.xml.functions import tostring

from .package import DECLARATION, Package, child_elements, serialise

REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
COMMENTS_TYPE = f"{REL_NS}/comments"
VML_TYPE = f"{REL_NS}/vmlDrawing"
VML_CONTENT = "application/vnd.openxmlformats-officedocument.vmlDrawing"
# Children of <worksheet> that come after <legacyDrawing> (ECMA-376 CT_Worksheet order).
AFTER_LEGACY_DRAWING = frozenset({"legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls",
                                  "webPublishItems", "tableParts", "extLst"})
AUTHOR = "一表通"
# A note box wide and tall enough for a sentence of Chinese (openpyxl's default is 144x79 px).
WIDTH, HEIGHT = 240, 90


def annotate(template: Path, out: Path, sheet: str, notes: dict[tuple[int, int], str]) -> Path:
    """A copy of `template` with `notes` ((row, column), 1-based) on `sheet`'s cells; a cell
    inside a merged range gets it on the range's first cell; a cell's own note is kept, ours
    added below it. Returns the copy's path (.xlsx: a legacy .xls is converted)."""
    template, out = Path(template), Path(out)
    if not zipfile.is_zipfile(template):
        return _annotate_converted(template, out.with_suffix(".xlsx"), sheet, notes)
    with zipfile.ZipFile(template) as zf:
        package = Package(zf, sheet)
        changed, added = _comment_parts(zf, package, notes)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zf.infolist():
                zout.writestr(info, changed.pop(info.filename, None) or zf.read(info.filename))
            for name, data in {**changed, **added}.items():
                zout.writestr(name, data)
    return out


def _annotate_converted(template: Path, out: Path, sheet: str, notes: dict[tuple[int, int], str]) -> Path:
    from .xlsconvert import xls_to_openpyxl

    wb = xls_to_openpyxl(template)
    ws = wb[sheet]
    anchors = [str(r) for r in ws.merged_cells.ranges]
    for (row, col), text in notes.items():
        cell = ws[_anchor(row, col, anchors)]
        cell.comment = Comment(_joined(cell.comment.text if cell.comment else "", text), AUTHOR,
                               height=HEIGHT, width=WIDTH)
    wb.save(out)
    return out


def _anchor(row: int, col: int, merges: list[str]) -> str:
    """The cell a note on (row, col) goes to: the first cell of its merged range, if any."""
    for ref in merges:
        c1, r1, c2, r2 = range_boundaries(ref)
        if r1 <= row <= r2 and c1 <= col <= c2:
            return f"{get_column_letter(c1)}{r1}"
    return f"{get_column_letter(col)}{row}"


def _joined(own: str, ours: str) -> str:
    return f"{own.rstrip()}\n{ours}" if own.strip() and ours not in own else (own or ours)


def _comment_parts(zf: zipfile.ZipFile, package: Package, notes: dict[tuple[int, int], str]
                   ) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """(parts changed, parts added): the sheet's comments part with ours in, its note shapes,
    and — for a sheet that had no notes — the relationships, content types and the sheet's
    <legacyDrawing> that make Excel and LibreOffice show them."""
    names = set(zf.namelist())
    sheet_doc = parseString(zf.read(package.sheet_part))
    root = sheet_doc.documentElement
    merges = [m.getAttribute("ref") for mc in child_elements(root, "mergeCells") for m in child_elements(mc, "mergeCell")]
    comments_part = next((t for t, kind in package.own_parts.items() if kind == "comments"), None)
    vml_part = next((t for t, kind in package.own_parts.items() if kind == "vmlDrawing"), None)

    existing: dict[str, Comment] = {}
    if comments_part in names:
        sheet = CommentSheet.from_tree(fromstring(zf.read(comments_part)))
        existing = dict(sheet.comments)
    for (row, col), text in notes.items():
        ref = _anchor(row, col, merges)
        own = existing.get(ref)
        existing[ref] = Comment(_joined(own.text if own else "", text), own.author if own else AUTHOR,
                                height=HEIGHT, width=WIDTH)
    records = []
    for ref, comment in existing.items():
        record = CommentRecord(ref=ref, author=comment.author or AUTHOR, height=comment.height,
                               width=comment.width)
        record.text.t = comment.content
        records.append(record)
    comments = CommentSheet.from_comments(records)

    changed: dict[str, bytes] = {}
    added: dict[str, bytes] = {}
    folder = posixpath.dirname(package.sheet_part)
    stem = posixpath.basename(package.sheet_part).rsplit(".", 1)[0]
    new_rels: list[tuple[str, str]] = []  # (type, target part)
    if comments_part is None:
        comments_part = _unused(names, f"xl/comments/yibiao_{stem}", ".xml")
        new_rels.append((COMMENTS_TYPE, comments_part))
    (changed if comments_part in names else added)[comments_part] = tostring(comments.to_tree())
    if vml_part is None:
        vml_part = _unused(names, f"xl/drawings/yibiao_{stem}", ".vml")
        new_rels.append((VML_TYPE, vml_part))
        added[vml_part] = comments.write_shapes()
    else:
        with contextlib.suppress(Exception):  # legacy VML is not always well-formed XML: its shapes stay
            changed[vml_part] = comments.write_shapes(fromstring(zf.read(vml_part)))
    if new_rels:
        rels_part = posixpath.join(folder, "_rels", posixpath.basename(package.sheet_part) + ".rels")
        rels, ids = _relationships(zf.read(rels_part) if rels_part in names else None, folder, new_rels)
        (changed if rels_part in names else added)[rels_part] = rels
        if vml_part in added:
            _add_legacy_drawing(sheet_doc, root, ids[VML_TYPE])
            changed[package.sheet_part] = (DECLARATION + serialise(root)).encode()
        changed["[Content_Types].xml"] = _content_types(
            zf.read("[Content_Types].xml"), comments_part if comments_part in added else None)
    return changed, added


def _unused(names: set[str], stem: str, suffix: str) -> str:
    n = 1
    while f"{stem}_{n}{suffix}" in names:
        n += 1
    return f"{stem}_{n}{suffix}"


def _relationships(data: bytes | None, folder: str, new: list[tuple[str, str]]) -> tuple[bytes, dict[str, str]]:
    doc = parseString(data or f'<Relationships xmlns="{PKG_REL_NS}"/>'.encode())
    root = doc.documentElement
    taken = {el.getAttribute("Id") for el in child_elements(root, "Relationship")}
    ids = {}
    for kind, target in new:
        n = 1
        while f"rIdYb{n}" in taken:
            n += 1
        rid = f"rIdYb{n}"
        taken.add(rid)
        el = doc.createElementNS(root.namespaceURI, f"{root.prefix}:Relationship" if root.prefix else "Relationship")
        el.setAttribute("Id", rid)
        el.setAttribute("Type", kind)
        el.setAttribute("Target", posixpath.relpath(target, folder))
        root.appendChild(el)
        ids[kind] = rid
    return (DECLARATION + serialise(root)).encode(), ids


def _add_legacy_drawing(doc: object, root: object, rid: str) -> None:
    prefix = next((name.split(":", 1)[1] for name, value in root.attributes.items()
                   if name.startswith("xmlns:") and value == REL_NS), None)
    if prefix is None:
        prefix = "r"
        while root.hasAttribute(f"xmlns:{prefix}"):
            prefix += "r"
        root.setAttribute(f"xmlns:{prefix}", REL_NS)
    tag = f"{root.prefix}:legacyDrawing" if root.prefix else "legacyDrawing"
    el = doc.createElementNS(root.namespaceURI, tag)
    el.setAttribute(f"{prefix}:id", rid)
    after = next((c for c in child_elements(root, None) if c.localName in AFTER_LEGACY_DRAWING), None)
    root.insertBefore(el, after)


def _content_types(data: bytes, comments_part: str | None) -> bytes:
    doc = parseString(data)
    root = doc.documentElement

    def add(local: str, **attrs: str) -> None:
        el = doc.createElementNS(root.namespaceURI, f"{root.prefix}:{local}" if root.prefix else local)
        for k, v in attrs.items():
            el.setAttribute(k, v)
        root.appendChild(el)

    if not any(el.getAttribute("Extension").lower() == "vml" for el in child_elements(root, "Default")):
        add("Default", Extension="vml", ContentType=VML_CONTENT)
    if comments_part is not None:
        add("Override", PartName="/" + comments_part, ContentType=CommentSheet.mime_type)
    return (DECLARATION + serialise(root)).encode()
