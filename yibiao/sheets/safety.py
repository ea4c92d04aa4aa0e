"""Look inside a file before any parser touches it.

A department's template is untrusted input. We refuse, with a coded SheetError, what a
parser would choke on or be attacked by: zip bombs, sheets claiming more rows or columns
than Excel allows, encrypted packages, macro workbooks (.xlsm), XML entity declarations
(billion laughs), and files that are not spreadsheets at all. A legacy .xls or an .xlsx
that merely carries a VBA project (real department templates often do) is read with a
notice: no parser here runs VBA, and everything written from it is macro-free .xlsx. The checks read the zip directory and stream
the sheet XML once with byte regexes: cheap enough to run before every read, including
the fast calamine path, whose dense ranges would otherwise allocate a claimed
1,048,576 x 16,384 area.
"""
from __future__ import annotations

import pyexpat
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import openpyxl
from defusedxml.ElementTree import fromstring as safe_fromstring

from .budget import MIB, Budget
from .errors import SheetError, SheetWarning

# openpyxl parses with defusedxml whenever it is importable (and not with lxml unless
# OPENPYXL_LXML is set). We rely on that as the second line behind the DOCTYPE check
# below, so refuse to run without it rather than monkeypatching the stdlib for everyone.
if not openpyxl.DEFUSEDXML:  # pragma: no cover - an install problem, not a code path
    raise ImportError("yibiao.sheets needs defusedxml installed so openpyxl parses XML safely")

OLE_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
ZIP_SIGNATURE = b"PK\x03\x04"
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLS = 16_384


@dataclass(frozen=True)
class Limits:
    """Refusal thresholds; generous for real templates, far below what hurts a server."""

    max_file_bytes: int = 100 * 1024 * 1024
    max_uncompressed_bytes: int = 1024 * 1024 * 1024  # a 1,000,000-row roster's sheet is ~700 MB of XML
    max_ratio: float = 100.0
    ratio_min_member_bytes: int = 5 * 1024 * 1024  # small members compress absurdly well legitimately
    max_members: int = 5_000
    max_rows: int = EXCEL_MAX_ROWS
    max_cols: int = EXCEL_MAX_COLS
    max_cells: int = 40_000_000  # a county's 1,000,000-resident roster × 40 columns
    max_area: int = 200_000_000  # bounding box of used cells: what a dense reader allocates
    # What one read may cost the server (settings YIBIAO_MAX_ROWS, YIBIAO_PARSE_MEMORY_MB,
    # YIBIAO_INSPECT_SECONDS, YIBIAO_READ_SECONDS); None: no limit.
    max_data_rows: int = 1_000_000
    max_parse_bytes: int | None = 300 * MIB
    inspect_seconds: float | None = 10.0  # reading a template's layout
    read_seconds: float | None = 600.0  # reading a roster's rows for an import

    def budget(self, file: str, seconds: float | None) -> Budget:
        return Budget(file, seconds=seconds, memory_bytes=self.max_parse_bytes)


DEFAULT_LIMITS = Limits()
_configured = DEFAULT_LIMITS


def configure(limits: Limits) -> None:
    """Set the limits every read uses unless given others (the Django app does, from settings)."""
    global _configured
    _configured = limits


def current_limits() -> Limits:
    return _configured


@dataclass
class SheetScan:
    """What the byte scan of one worksheet part found."""

    name: str
    part: str
    cells: int = 0
    max_row: int = 0
    max_col: int = 0
    uncached_formulas: list[str] = field(default_factory=list)
    hidden_rows: set[int] = field(default_factory=set)
    hidden_cols: set[int] = field(default_factory=set)
    # <mergeCell> ranges as written (1-based r1, c1, r2, c2), the first MAX_SCANNED_MERGES:
    # what the streaming reader (sheets/xlsxrows.py) gives, since they follow the rows.
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    # Where the exact path (_scan_chunk_exact) stands, carried across chunks: the row and the
    # column of the last cell, for cells that name no reference and count from the one before.
    at_row: int = 0
    at_col: int = 0


@dataclass
class Inspection:
    """Result of `inspect_file`: the container kind and, for .xlsx, each sheet's scan."""

    path: Path
    kind: str  # "xlsx" | "xls"
    sheets: list[SheetScan] = field(default_factory=list)
    macros: bool = False  # a VBA project inside: never run, left out of every file we write
    shared_strings: tuple[str, ...] = ()  # the parts: the relations' and calamine's (one, usually)

    @property
    def warnings(self) -> list[SheetWarning]:
        """What a person should know about the file as a whole."""
        return [SheetWarning("macros_ignored", {"file": self.path.name})] if self.macros else []


_ENTITY_RE = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
# What may come before an XML part's root element: a BOM, space, declarations, comments.
_PROLOG_RE = re.compile(rb"(?:\xef\xbb\xbf)?(?:\s+|<\?.*?\?>|<!--.*?-->)*", re.DOTALL)
_PROLOG_LIMIT = 1024 * 1024  # a prolog longer than this is no spreadsheet's
_DIMENSION_RE = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([A-Za-z]*)(\d*)(?::([A-Za-z]*)(\d*))?\"")
_CELL_REF_RE = re.compile(rb"<(?:\w+:)?c\s[^>]*?\br=\"([A-Za-z]+)(\d+)\"")
_ANY_ROW_REF_RE = re.compile(rb'r="[A-Za-z]*(\d+)"')
_ANY_COL_REF_RE = re.compile(rb'r="([A-Za-z]+)\d')
_ROW_REF_RE = re.compile(rb"<(?:\w+:)?row\s[^>]*?\br=\"(\d+)\"")
_FORMULA_CELL_RE = re.compile(
    rb"<(?:\w+:)?c\s([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.DOTALL
)
_HAS_FORMULA_RE = re.compile(rb"<(?:\w+:)?f[\s>/]")
_VALUE_RE = re.compile(rb"<(?:\w+:)?v>([^<]+)<")
_R_ATTR_RE = re.compile(rb"\br=\"([A-Za-z]+\d+)\"")
_HIDDEN_ROW_RE = re.compile(rb"<(?:\w+:)?row\s([^>]*?\bhidden=\"(?:1|true)\"[^>]*)>")
_HIDDEN_COL_RE = re.compile(rb"<(?:\w+:)?col\s([^>]*?\bhidden=\"(?:1|true)\"[^>]*)>")
_ROW_NUMBER_RE = re.compile(rb"\br=\"(\d+)\"")
_MIN_MAX_RE = re.compile(rb"\b(min|max)=\"(\d+)\"")
_ENCRYPTED_MARK = "EncryptedPackage".encode("utf-16-le")
_VBA_MARK = "_VBA_PROJECT".encode("utf-16-le")
# Macro workbooks by name: the user chose a format whose point is to run code. An .xlsx or
# .xls that happens to carry a VBA project is read instead (see the module docstring).
MACRO_SUFFIXES = frozenset({".xlsm", ".xltm", ".xlam"})
_CHUNK = 4 * 1024 * 1024
MAX_SCANNED_MERGES = 100_000
# A reference spelled as the fast search does not read it (r='A1', r = "A1"), and the tags of
# rows and cells with their attributes, for the exact path.
# No \b before the r: with it the engine tries every position (0.44 s on a 70 MB sheet, as
# long as calamine's whole read); without it, only after each "r" (0.08 s). An attribute
# ending in r spelled so only sends its chunk to the exact path.
_ODD_REF_RE = re.compile(rb"r(?:[ \t\r\n]+=|=[ \t\r\n'])")
_TAG_RE = re.compile(rb"<(?:\w+:)?(row|c)\b([^>]*)>")
_ANY_R_RE = re.compile(rb"\br\s*=\s*([\"'])\s*([A-Za-z]*)(\d*)\s*\1")
_MERGE_RE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="\$?([A-Za-z]{1,3})\$?(\d+)(?::\$?([A-Za-z]{1,3})\$?(\d+))?"')


def column_index(letters: str) -> int:
    """'A' -> 1, 'XFD' -> 16384; no upper bound, so absurd claims can be measured."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n


def _fail(code: str, path: Path, **params: object) -> SheetError:
    return SheetError(code, {"file": path.name or str(path)} | {k: str(v) for k, v in params.items()})


def inspect_file(path: str | Path, limits: Limits | None = None, *, scan_cells: bool = True,
                 budget: Budget | None = None, markup: bool = True) -> Inspection:
    """Decide whether `path` may be opened, and how; raise SheetError if it may not.

    The scan of each sheet also notes its hidden rows and columns (what openpyxl's full
    load used to give) and checks `budget`, if given, after every chunk. With `markup`
    (and `scan_cells`) expat checks every sheet's XML and the shared strings as well
    (check_markup); reader.open_rows checks the one sheet it reads beside calamine instead."""
    path = Path(path)
    limits = limits or current_limits()
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(8)
    except FileNotFoundError as exc:
        raise _fail("file_not_found", path) from exc
    except IsADirectoryError as exc:
        raise _fail("cannot_open", path, detail="这是一个文件夹", detail_en="it is a folder") from exc
    except PermissionError as exc:
        raise _fail("cannot_open", path, detail="没有读取权限", detail_en="no permission to read it") from exc
    except OSError as exc:  # not a question of the file's format
        raise _fail("cannot_open", path, detail=exc.strerror or "无法打开", detail_en=exc.strerror or "cannot open") from exc
    if size > limits.max_file_bytes:
        raise _fail("too_large", path, detail=f"{size // 1048576} MB > {limits.max_file_bytes // 1048576} MB")
    if head.startswith(OLE_SIGNATURE):
        return _inspect_ole(path)
    if head.startswith(ZIP_SIGNATURE):
        return _inspect_zip(path, limits, scan_cells, budget, markup)
    raise _fail("not_a_spreadsheet", path, detail="既不是 .xlsx（zip）也不是 .xls（OLE）",
                detail_en="neither .xlsx (zip) nor .xls (OLE)")


def _inspect_ole(path: Path) -> Inspection:
    """An OLE compound file is a legacy .xls, or an encrypted .xlsx wrapped in OLE.

    The directory entries are UTF-16 names; searching the bytes for them is enough to tell
    an EncryptedPackage or a VBA project apart without a CFB parser of our own.
    """
    data = path.read_bytes()
    if _ENCRYPTED_MARK in data:
        raise _fail("encrypted", path)
    if path.suffix.lower() in MACRO_SUFFIXES:
        raise _fail("macros", path)
    if "Workbook".encode("utf-16-le") not in data and "Book".encode("utf-16-le") not in data:
        raise _fail("not_a_spreadsheet", path, detail="OLE 文件中没有工作簿（可能是 Word 等其他文档）",
                    detail_en="an OLE file without a workbook (a Word document?)")
    return Inspection(path=path, kind="xls", macros=_VBA_MARK in data)


def _inspect_zip(path: Path, limits: Limits, scan_cells: bool, budget: Budget | None,
                 markup: bool) -> Inspection:
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise _fail("corrupt", path, detail=f"zip 结构损坏：{exc}",
                    detail_en=f"broken zip: {exc}") from exc
    with zf:
        infos = zf.infolist()
        names = {i.filename for i in infos}
        if len(infos) > limits.max_members:
            raise _fail("zip_bomb", path, detail=f"{len(infos)} 个内部文件",
                        detail_en=f"{len(infos)} parts")
        if "xl/workbook.bin" in names:
            raise _fail("unsupported_format", path, detail=".xlsb 二进制工作簿", detail_en=".xlsb binary workbook")
        if "xl/workbook.xml" not in names:
            word = "word/document.xml" in names
            raise _fail("not_a_spreadsheet", path,
                        detail="Word 文档" if word else "zip 压缩包中没有 xl/workbook.xml",
                        detail_en="a Word document" if word else "a zip without xl/workbook.xml")
        if path.suffix.lower() in MACRO_SUFFIXES:
            raise _fail("macros", path)
        macros = any(n.lower().endswith("vbaproject.bin") for n in names)
        _check_sizes(path, infos, limits)
        # calamine finds a part whatever its letters' case: two that differ by case alone
        # would let it read one while the scan looked at the other.
        workbook_parts = [n for n in names if n.lower().startswith("xl/")]
        if len({n.lower() for n in workbook_parts}) < len(workbook_parts):
            raise _fail("corrupt", path, detail="zip 中有只差大小写的同名文件",
                        detail_en="two parts whose names differ only in case")
        try:
            for info in infos:
                if info.filename.lower().endswith((".xml", ".rels", ".vml")):
                    _check_prolog(zf, info, path)
            content_types = zf.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
            macros = macros or b"macroEnabled" in content_types
            sheets, shared_strings = _sheet_parts(zf, path)
            if scan_cells:
                for scan in sheets:
                    if scan.part in names:
                        _scan_sheet(zf, scan, path, limits, budget, markup)
                for part in shared_strings if markup else ():
                    _check_strings(zf, part, path)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:  # a damaged or odd member
            raise _fail("corrupt", path, detail=f"zip 内部文件损坏：{exc}", detail_en=f"a damaged zip member: {exc}") from exc
    return Inspection(path=path, kind="xlsx", sheets=sheets, macros=macros, shared_strings=shared_strings)


def _check_prolog(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> None:
    """No DOCTYPE or ENTITY before the root element, however much space or comment comes
    first (a DOCTYPE 5 KB in passed a check of the first 4 KB), and no UTF-16 part, which
    calamine cannot read."""
    with zf.open(info) as fh:
        head = fh.read(_PROLOG_LIMIT)
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or head[:2] in (b"<\x00", b"\x00<"):
        if not info.filename.lower().startswith("xl/"):  # customXml and the like: no reader here reads them
            return
        raise _fail("unsupported_format", path, detail=f"{info.filename} 是 UTF-16 编码",
                    detail_en=f"{info.filename} is encoded in UTF-16")
    rest = head[_PROLOG_RE.match(head).end():]  # type: ignore[union-attr] - the pattern matches ""
    if _ENTITY_RE.match(rest) or _ENTITY_RE.search(head[:4096]):
        raise _fail("xml_attack", path, detail=f"{info.filename} 含 DOCTYPE/ENTITY",
                    detail_en=f"{info.filename} holds DOCTYPE/ENTITY")
    if not rest and len(head) == _PROLOG_LIMIT:
        raise _fail("corrupt", path, detail=f"{info.filename} 的开头超过 1 MB 仍无内容",
                    detail_en=f"{info.filename} holds over 1 MB before its first element")


def _check_sizes(path: Path, infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    total = 0
    for info in infos:
        total += info.file_size
        if total > limits.max_uncompressed_bytes:
            raise _fail("zip_bomb", path, detail=f"解压后超过 {limits.max_uncompressed_bytes // 1048576} MB",
                        detail_en=f"over {limits.max_uncompressed_bytes // 1048576} MB uncompressed")
        if info.file_size >= limits.ratio_min_member_bytes:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_ratio:
                raise _fail("zip_bomb", path, detail=f"{info.filename} 压缩比 {ratio:.0f}:1",
                            detail_en=f"{info.filename} compressed {ratio:.0f}:1")


def _sheet_parts(zf: zipfile.ZipFile, path: Path) -> tuple[list[SheetScan], tuple[str, ...]]:
    """Sheet names in workbook order, each with its worksheet part inside the zip; and the
    shared strings' parts. A part is the member whose name matches whatever the case, as
    calamine finds it (a target of SHEET1.XML is xl/worksheets/sheet1.xml)."""
    try:
        book = safe_fromstring(zf.read("xl/workbook.xml"))
        members = {name.lower(): name for name in zf.namelist()}
        rels_part = members.get("xl/_rels/workbook.xml.rels")  # calamine finds it whatever the case
        rels_xml = zf.read(rels_part) if rels_part else b"<r/>"
        rels = safe_fromstring(rels_xml)
    except Exception as exc:  # defusedxml raises its own classes for entity tricks
        if type(exc).__module__.startswith("defusedxml"):
            raise _fail("xml_attack", path, detail=type(exc).__name__) from exc
        raise _fail("corrupt", path, detail=f"workbook.xml：{exc}", detail_en=f"workbook.xml: {exc}") from exc
    targets = {}
    shared_strings = {members.get("xl/sharedstrings.xml")}  # calamine reads this one, named or not
    for rel in rels:
        target = rel.get("Target", "")
        part = _normalise_part(target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target))
        targets[rel.get("Id")] = members.get(part.lower(), part)
        if rel.get("Type", "").endswith("/sharedStrings"):
            shared_strings.add(members.get(part.lower()))
    scans = []
    for el in book.iter():
        if el.tag.endswith("}sheet") or el.tag == "sheet":
            rid = next((v for k, v in el.attrib.items() if k.endswith("}id")), None)
            scans.append(SheetScan(name=el.get("name", ""), part=targets.get(rid, "")))
    for scan in scans:  # none skips the scan: calamine may find what this did not
        if scan.part.lower() not in members:
            raise _fail("corrupt", path, detail=f"工作表「{scan.name}」的内容不在文件中",
                        detail_en=f"the content of sheet {scan.name} is missing")
    return scans, tuple(sorted(p for p in shared_strings if p))


def _normalise_part(part: str) -> str:
    out: list[str] = []
    for piece in part.split("/"):
        if piece == "..":
            if out:
                out.pop()
        elif piece and piece != ".":
            out.append(piece)
    return "/".join(out)


def _scan_sheet(zf: zipfile.ZipFile, scan: SheetScan, path: Path, limits: Limits,
                budget: Budget | None = None, markup_too: bool = True) -> None:
    """Stream one worksheet part: claimed dimension, cell count, used area, formulas; and
    its markup (`markup_too`)."""
    first = True
    carry = b""
    markup = _Markup(scan, path) if markup_too else None
    with zf.open(scan.part) as fh:
        while True:
            chunk = fh.read(_CHUNK)
            if markup is not None:
                markup.feed(chunk)
            buf = carry + chunk
            if chunk:
                cut = buf.rfind(b"</row>")
                cut = cut + 6 if cut >= 0 and len(buf) < 64 * _CHUNK else len(buf)
                buf, carry = buf[:cut], buf[cut:]
            else:
                carry = b""
            if first:
                first = False
                dim = _DIMENSION_RE.search(buf[:65536])
                if dim:
                    for letters, digits in ((dim.group(1), dim.group(2)), (dim.group(3), dim.group(4))):
                        _check_extent(path, scan, limits, column_index(letters.decode()) if letters else 0,
                                      int(digits) if digits else 0)
            _scan_chunk(buf, scan, path, limits)
            if b'hidden="' in buf:
                _scan_hidden(buf, scan)
            if b"mergeCell" in buf:
                _scan_merges(buf, scan)
            if budget is not None:
                budget.check(scan.name)
            if not chunk:
                break
    area = scan.max_row * scan.max_col
    if area > limits.max_area:
        raise _fail("too_many_cells", path, sheet=scan.name,
                    detail=f"已用区域 {scan.max_row} 行 × {scan.max_col} 列",
                    detail_en=f"a used area of {scan.max_row} rows × {scan.max_col} columns")


class _Markup:
    """expat over a sheet's XML as the scan streams it. calamine reads mismatched tags
    without a word: `<t>名2</is>` in one cell joined it with the next and left that blank.
    A DTD is refused before it (_check_prolog) and by it (_expat)."""

    def __init__(self, scan: SheetScan, path: Path) -> None:
        self.scan, self.path = scan, path
        self.parser = _expat(path)
        self.chunk, self.offset = b"", 0

    def feed(self, chunk: bytes) -> None:
        self.offset += len(self.chunk)
        self.chunk = chunk
        try:
            self.parser.Parse(chunk, not chunk)
        except pyexpat.ExpatError as exc:
            raise self._refusal(exc) from exc

    def _refusal(self, exc: pyexpat.ExpatError) -> SheetError:
        at = self.parser.ErrorByteIndex - self.offset
        rows = _ROW_REF_RE.findall(self.chunk[:at]) if 0 <= at <= len(self.chunk) else []
        where, where_en = (f"第 {int(rows[-1])} 行附近", f" near row {int(rows[-1])}") if rows else ("", "")
        return _markup_refusal(self.path, exc, f"工作表「{self.scan.name}」{where}", f"sheet {self.scan.name}{where_en}")


_EXPAT_ZH = {
    pyexpat.errors.XML_ERROR_TAG_MISMATCH: "标记不配对",
    pyexpat.errors.XML_ERROR_SYNTAX: "格式不正确",
    pyexpat.errors.XML_ERROR_INVALID_TOKEN: "格式不正确",
    pyexpat.errors.XML_ERROR_UNCLOSED_TOKEN: "标记未闭合",
    pyexpat.errors.XML_ERROR_NO_ELEMENTS: "内容不完整",
    pyexpat.errors.XML_ERROR_UNDEFINED_ENTITY: "有未定义的实体",
    pyexpat.errors.XML_ERROR_JUNK_AFTER_DOC_ELEMENT: "末尾有多余内容",
}


def _expat(path: Path) -> pyexpat.XMLParserType:
    """A parser that refuses any document type declaration it meets (_check_prolog should
    have already)."""
    parser = pyexpat.ParserCreate()
    parser.SetParamEntityParsing(pyexpat.XML_PARAM_ENTITY_PARSING_NEVER)

    def refuse(*_args: object) -> None:
        raise _fail("xml_attack", path, detail="DOCTYPE", detail_en="DOCTYPE")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    return parser


def _markup_refusal(path: Path, exc: pyexpat.ExpatError, where: str, where_en: str) -> SheetError:
    reason = _EXPAT_ZH.get(pyexpat.ErrorString(exc.code), "XML 格式错误")
    return _fail("corrupt", path, detail=f"{where}的 XML {reason}",
                 detail_en=f"broken XML in {where_en}: {pyexpat.ErrorString(exc.code)}")


def _check_strings(zf: zipfile.ZipFile, part: str, path: Path) -> None:
    """expat over the shared strings, which calamine reads too."""
    parser = _expat(path)
    try:
        with zf.open(part) as fh:
            while chunk := fh.read(_CHUNK):
                parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except pyexpat.ExpatError as exc:
        raise _markup_refusal(path, exc, "共享字符串表", "the shared strings") from exc


def check_markup(inspection: Inspection, sheet: str | None) -> None:
    """expat over one sheet's XML (None: none) and the shared strings of an inspected .xlsx: a coded
    SheetError (corrupt) naming the row near a broken tag. ~0.6 s per 100,000-row roster,
    run beside calamine's parse, which gives the GIL up (reader.open_rows)."""
    path = inspection.path
    scan = next((s for s in inspection.sheets if s.name == sheet), None)
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if scan is not None and scan.part in names:
                markup = _Markup(scan, path)
                with zf.open(scan.part) as fh:
                    while chunk := fh.read(_CHUNK):
                        markup.feed(chunk)
                markup.feed(b"")
            for part in inspection.shared_strings:
                _check_strings(zf, part, path)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        raise _fail("corrupt", path, detail=f"zip 内部文件损坏：{exc}", detail_en=f"a damaged zip member: {exc}") from exc


def _scan_chunk(buf: bytes, scan: SheetScan, path: Path, limits: Limits) -> None:
    """Cell count, used extent and uncached formulas of one chunk, at C speed.

    A 100,000-row roster holds 1.2 million cell references; a Python step per reference
    cost twice calamine's whole read. Instead the extent is found by search: take the last
    reference of the chunk as the candidate and ask one regex for any reference beyond it,
    repeating from what it finds. In an ordinary sheet that is one or two scans.
    """
    # Over-counts (<col>, <color>, a ':c' in text) are harmless; under-counting is not.
    tags, prefixed = buf.count(b"<c"), buf.count(b":c")
    scan.cells += tags + prefixed
    if scan.cells > limits.max_cells:
        raise _fail("too_many_cells", path, sheet=scan.name, detail=f"超过 {limits.max_cells} 个单元格",
                    detail_en=f"over {limits.max_cells} cells")
    # Cells that name no reference, or name it in another spelling, are placed by calamine
    # all the same (a cell after the one before): a 2 KB file of 16,384 such cells in row 1
    # and a row 1,048,576 made it allocate a 550 GB grid and abort the process. Those chunks
    # take the exact path, which places every cell as calamine does.
    if _odd_cells(buf, tags, prefixed) or _ODD_REF_RE.search(buf):
        _scan_chunk_exact(buf, scan, path, limits)
        return _scan_formulas(buf, scan)
    tail = buf[-4096:]
    rows, cols = _ANY_ROW_REF_RE.findall(tail), _ANY_COL_REF_RE.findall(tail)
    row = _largest(buf, rows[-1] if rows else b"0", _beyond_number)
    col = _largest(buf, cols[-1].upper() if cols else b"A", _beyond_letters)
    # The searches start at the literal 'r="', which the regex engine scans for fast; it
    # also meets header="0" or a quote in text, which can only raise the extent found.
    if row is None or col is None:  # leading zeros or an overlong claim: the exact path
        _scan_chunk_by_cell(buf, scan, path, limits)
    else:
        _check_extent(path, scan, limits, column_index(col.decode()), int(row))
        scan.max_col = max(scan.max_col, column_index(col.decode()))
        scan.max_row = max(scan.max_row, int(row))
    _scan_formulas(buf, scan)


def _odd_cells(buf: bytes, tags: int, prefixed: int) -> bool:
    """Any cell tag without a plain r="…" right after its name. When every "<c" is a
    referenced cell and nothing is prefixed (the common case) one more count settles it;
    otherwise the tags are counted one by one."""
    plain = buf.count(b'<c r="')
    if tags == plain and not prefixed:
        return False
    opened = buf.count(b"<c ") + buf.count(b"<c>") + buf.count(b":c ") + buf.count(b":c>")
    return opened != plain + buf.count(b':c r="')


def _scan_formulas(buf: bytes, scan: SheetScan) -> None:
    if (b"<f" in buf or b":f" in buf) and _HAS_FORMULA_RE.search(buf):  # literals first: fast
        for m in _FORMULA_CELL_RE.finditer(buf):
            body = m.group(2) or b""
            if _HAS_FORMULA_RE.search(body) and not _VALUE_RE.search(body):
                ref = _R_ATTR_RE.search(m.group(1))
                scan.uncached_formulas.append(ref.group(1).decode() if ref else "?")


def _scan_hidden(buf: bytes, scan: SheetScan) -> None:
    """Hidden rows (`<row r=.. hidden="1">`) and columns (`<col min max hidden="1">`)."""
    for m in _HIDDEN_ROW_RE.finditer(buf):
        if found := _ROW_NUMBER_RE.search(m.group(1)):
            scan.hidden_rows.add(int(found.group(1)))
    for m in _HIDDEN_COL_RE.finditer(buf):
        bounds = {k: int(v) for k, v in _MIN_MAX_RE.findall(m.group(1))}
        if b"min" in bounds:
            scan.hidden_cols.update(range(bounds[b"min"], min(bounds.get(b"max", bounds[b"min"]), EXCEL_MAX_COLS) + 1))


def _scan_merges(buf: bytes, scan: SheetScan) -> None:
    for m in _MERGE_RE.finditer(buf):
        if len(scan.merges) >= MAX_SCANNED_MERGES:
            return
        r1, c1 = int(m.group(2)), column_index(m.group(1).decode())
        r2, c2 = (int(m.group(4)), column_index(m.group(3).decode())) if m.group(3) else (r1, c1)
        scan.merges.append((r1, c1, r2, c2))


def _largest(buf: bytes, start: bytes, beyond: object) -> bytes | None:
    """The largest reference part in `buf`, climbing from `start`; None if it cannot tell."""
    best = start
    for _ in range(64):
        if best.startswith(b"0") and best != b"0" or len(best) > 8:
            return None
        found = beyond(best).search(buf)
        if not found:
            return best
        best = found.group(1).upper()
    return None


def _beyond_number(digits: bytes) -> re.Pattern[bytes]:
    """Any row reference (of a row or a cell) greater than `digits`."""
    n = len(digits)
    options = [rb"\d{%d,}" % (n + 1)]
    for i in range(n):
        d = digits[i] - 48
        if d < 9:
            options.append(digits[:i] + b"[%d-9]" % (d + 1) + rb"\d" * (n - i - 1))
    return re.compile(rb'r="[A-Za-z]*(' + b"|".join(options) + rb')"')


def _beyond_letters(letters: bytes) -> re.Pattern[bytes]:
    """Any cell reference whose column is right of `letters` (upper case)."""
    n = len(letters)
    options = [rb"[A-Z]{%d,}" % (n + 1)]
    for i in range(n):
        if letters[i] < ord("Z"):
            options.append(letters[:i] + b"[%c-Z]" % (letters[i] + 1) + b"[A-Z]" * (n - i - 1))
    # Case-blind inside the group only: a case-blind 'r="' would lose the fast literal scan.
    return re.compile(rb'r="((?i:' + b"|".join(options) + rb'))\d')


def _scan_chunk_by_cell(buf: bytes, scan: SheetScan, path: Path, limits: Limits) -> None:
    """The exact extent, one reference at a time: only for files the search cannot settle."""
    for m in _CELL_REF_RE.finditer(buf):
        col = column_index(m.group(1).decode())
        row = int(m.group(2))
        if col > scan.max_col or row > scan.max_row:
            _check_extent(path, scan, limits, col, row)
            scan.max_col = max(scan.max_col, col)
            scan.max_row = max(scan.max_row, row)
    for m in _ROW_REF_RE.finditer(buf):
        row = int(m.group(1))
        if row > scan.max_row:
            _check_extent(path, scan, limits, 0, row)
            scan.max_row = row


def _scan_chunk_exact(buf: bytes, scan: SheetScan, path: Path, limits: Limits) -> None:
    """Every row and cell tag in order, placed as calamine places them: by its reference in
    any spelling, else after the row or cell before it."""
    for m in _TAG_RE.finditer(buf):
        ref = _ANY_R_RE.search(m.group(2))
        letters, digits = (ref.group(2), ref.group(3)) if ref else (b"", b"")
        # An overlong claim is beyond any sheet (refused below), never parsed as a number.
        row = (int(digits) if len(digits) <= 9 else limits.max_rows + 1) if digits else None
        if m.group(1) == b"row":
            scan.at_row = row if row is not None else scan.at_row + 1
            col = scan.at_col = 0
        else:
            if row is not None:
                scan.at_row = row
            if letters:
                col = column_index(letters.decode()) if len(letters) <= 3 else limits.max_cols + 1
            else:
                col = scan.at_col + 1
            scan.at_col = col
        if col > scan.max_col or scan.at_row > scan.max_row:
            _check_extent(path, scan, limits, col, scan.at_row)
            scan.max_col = max(scan.max_col, col)
            scan.max_row = max(scan.max_row, scan.at_row)


def _check_extent(path: Path, scan: SheetScan, limits: Limits, col: int, row: int) -> None:
    if col > limits.max_cols:
        raise _fail("too_many_columns", path, sheet=scan.name, detail=f"{col} 列 > {limits.max_cols}",
                    detail_en=f"{col} columns > {limits.max_cols}")
    if row > limits.max_rows:
        raise _fail("too_many_rows", path, sheet=scan.name, detail=f"{row} 行 > {limits.max_rows}",
                    detail_en=f"{row} rows > {limits.max_rows}")


def safe_file_name(name: str, fallback: str = "upload.xlsx") -> str:
    """The user's own file name, safe to use as the last part of a server path.

    Uploads are kept under the name they came with (in a directory of their own), so every
    message about the file names what the user uploaded, not a temporary name. Directory
    parts, control characters and leading dots go; the name is cut to 180 bytes (file
    systems allow 255, a Chinese character takes three) keeping its suffix.
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip().lstrip(".")
    if not base:
        return fallback
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    suffix = f".{suffix}" if suffix else ""
    while len((stem + suffix).encode()) > 180 and stem:
        stem = stem[:-1]
    return (stem + suffix) if stem else fallback
