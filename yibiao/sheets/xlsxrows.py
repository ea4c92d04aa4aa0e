"""The rows of one .xlsx worksheet streamed from its XML, in memory that stays flat.

python-calamine (0.9.1, the latest) parses a whole sheet into a dense grid before the first
row comes out: 32 bytes a cell of the used area plus every string, 1.15 GB for a
1,000,000 × 12 roster. Rust calamine has a cell-by-cell reader, but python-calamine does
not expose it (its `iter_rows` walks the grid already built; pyo3 cannot hand Python a
borrowing iterator). So a big sheet is read here instead: the worksheet part is inflated
a block at a time, cut after a `</row>`, and each block's rows and cells are taken out by
regular expressions over the decoded text, giving the values calamine gives (shared and
inline strings, numbers as floats, booleans, dates and durations by the cell's number
format, `_xHHHH_` escapes) before `reader._clean_row`'s rules.

No XML parser runs, so there is nothing to expand (the safety inspection has already
refused any DOCTYPE or ENTITY declaration). Memory is one block (BLOCK bytes of XML), its
rows, the shared strings and the number formats.

What the expressions cannot read right is refused, never guessed (calamine refuses it too,
or reads it otherwise): a cell, row, <si>, <is>, <t> or <rPh> start tag without its end
(no pattern scans past the next one, so a hostile file cannot make matching quadratic),
rows out of order or repeated, a cell whose reference names another row, an undefined
entity or a character reference XML forbids, bytes that are not UTF-8, and comments, CDATA
and processing instructions among the rows and strings (a tag inside one would be read).
"""
from __future__ import annotations

import datetime as dt
import re
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import PurePosixPath

from defusedxml.ElementTree import fromstring as safe_fromstring

from .budget import Budget
from .errors import SheetError

BLOCK = 1 << 20  # bytes of sheet XML parsed at a time
CHECK_EVERY = 4096  # rows between budget checks

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_ENTITY = re.compile(r"&(?:(#[0-9]+|#x[0-9A-Fa-f]+|lt|gt|amp|quot|apos);)?")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")
_ATTR = re.compile(r'([\w:]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')
_EPOCH = dt.datetime(1899, 12, 30)
_EPOCH_1904 = dt.datetime(1904, 1, 1)
MAX_ROW = 1_048_576  # Excel's last row
_OVERSIZE = 64 * BLOCK  # one row, one shared string or the head of a sheet: beyond it, refused


class _Malformed(Exception):
    """What the expressions cannot read: becomes a SheetError naming the file and part."""

    def __init__(self, zh: str, en: str, code: str = "corrupt") -> None:
        super().__init__(en)
        self.zh, self.en, self.code = zh, en, code


def _refusal(exc: Exception, file: str, part: str) -> SheetError:
    if isinstance(exc, _Malformed):
        return SheetError(exc.code, {"file": file, "detail": f"{part}：{exc.zh}", "detail_en": f"{part}: {exc.en}"})
    return SheetError("corrupt", {"file": file, "detail": f"{part}：{type(exc).__name__}",
                                  "detail_en": f"{part}: {type(exc).__name__} {exc}"})


_UNREADABLE = (_Malformed, zipfile.BadZipFile, zlib.error, EOFError, UnicodeDecodeError)


def _unclosed(tag: str) -> _Malformed:
    return _Malformed(f"<{tag}> 标记未闭合", f"a <{tag}> start tag without its end")


def _broken(stray: str, text: str) -> _Malformed:
    """Why a start tag (or '!', '?' after a '<') was left over by the expressions."""
    if stray in "!?" or "<!" in text or "<?" in text:
        return _Malformed("含 XML 注释、CDATA 或处理指令", "a comment, CDATA or a processing instruction",
                          "unsupported_format")
    return _unclosed(stray)


class Book:
    """What a worksheet's cells refer to: shared strings, number formats, the date system."""

    def __init__(self, zf: zipfile.ZipFile, file: str, budget: Budget | None = None) -> None:
        self.file = file
        names = set(zf.namelist())
        self.date1904 = False
        self.sheets: list[tuple[str, str, bool]] = []  # (name, part, visible), worksheets only
        workbook = _xml(zf, "xl/workbook.xml", file)
        rels_part = next((n for n in names if n.lower() == "xl/_rels/workbook.xml.rels"), None)
        rels = _relations(zf, rels_part, file) if rels_part else {}
        for el in workbook.iter():
            tag = el.tag.rsplit("}", 1)[-1]
            if tag == "workbookPr":
                self.date1904 = el.get("date1904", "").lower() in ("1", "true")
            elif tag == "sheet":
                rid = next((v for k, v in el.attrib.items() if k.endswith("}id")), None)
                kind, part = rels.get(rid or "", ("", ""))
                if kind.endswith("/worksheet"):
                    self.sheets.append((el.get("name", ""), part, el.get("state", "visible") == "visible"))
        shared = next((part for kind, part in rels.values() if kind.endswith("/sharedStrings")), None)
        styles = next((part for kind, part in rels.values() if kind.endswith("/styles")), None)
        try:
            self.strings = _shared_strings(zf, shared, budget) if shared in names else []
        except _UNREADABLE as exc:
            raise _refusal(exc, file, str(shared)) from exc
        self.formats = _cell_formats(zf, styles, file) if styles in names else []

    def kind(self, style: str | None) -> int:
        """0: a number; 1: a date or time; 2: a duration (by the cell's number format)."""
        if not style:
            return 0
        try:
            return self.formats[int(style)]
        except (ValueError, IndexError):
            return 0


def _xml(zf: zipfile.ZipFile, part: str, file: str):  # noqa: ANN202
    try:
        return safe_fromstring(zf.read(part))
    except Exception as exc:  # defusedxml raises its own classes for entity tricks
        code = "xml_attack" if type(exc).__module__.startswith("defusedxml") else "corrupt"
        raise SheetError(code, {"file": file, "detail": f"{part}: {type(exc).__name__}"}) from exc


def _relations(zf: zipfile.ZipFile, part: str, file: str) -> dict[str, tuple[str, str]]:
    """Id -> (type, the member it names, found whatever the case as calamine and the
    safety scan find it)."""
    members = {name.lower(): name for name in zf.namelist()}
    out = {}
    for rel in _xml(zf, part, file):
        target = rel.get("Target", "")
        path = _normalise(target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target))
        out[rel.get("Id", "")] = (rel.get("Type", ""), members.get(path.lower(), path))
    return out


def _normalise(part: str) -> str:
    out: list[str] = []
    for piece in part.split("/"):
        if piece == "..":
            if out:
                out.pop()
        elif piece and piece != ".":
            out.append(piece)
    return "/".join(out)


# No body or attribute list runs past the next start tag of its own element ([^<]* runs and
# tags that are not its own, taken possessively), so a start tag without its end fails at
# once and the last alternative catches it: matching stays linear in the text.
_SST = re.compile(rb"<(?:(\w+):)?sst\b[^<>]*>")
_SI = re.compile(r"<(?:\w+:)?si\b[^<>]*?(?:/>|>([^<]*+(?:<(?!/?(?:\w+:)?si\b|[!?])[^<]*+)*+)</(?:\w+:)?si>)"
                 r"|<((?:\w+:)?si\b|[!?])")
_T = re.compile(r"<(?:\w+:)?t\b([^<>]*?)(?:/>|>([^<]*)</(?:\w+:)?t>)|(<)(?:\w+:)?t\b")
_XML_SPACE = " \t\r\n"
_PHONETIC = re.compile(r"<(?:\w+:)?rPh\b[^<]*+(?:<(?!/?(?:\w+:)?rPh\b)[^<]*+)*+</(?:\w+:)?rPh>")
_RPH_START = re.compile(r"<(?:\w+:)?rPh\b")


def _shared_strings(zf: zipfile.ZipFile, part: str, budget: Budget | None = None) -> list[str]:
    """Each <si>'s text: its <t>, or its runs' <t>s joined; phonetic guides (<rPh>) left out.
    Read a block at a time, cut after an </si> (never inside a UTF-8 character)."""
    out: list[str] = []
    with zf.open(part) as fh:
        rest = b""
        while (m := _SST.search(rest)) is None:
            chunk = fh.read(BLOCK)
            if not chunk or len(rest) > _OVERSIZE:
                raise _Malformed("没有 <sst> 元素", "no <sst> element")
            rest += chunk
        close = b"</" + (m.group(1) + b":" if m.group(1) else b"") + b"si>"
        rest = rest[m.end():]
        done = False
        while not done:
            chunk = fh.read(BLOCK)
            rest += chunk
            if chunk:
                cut = rest.rfind(close)
                if cut < 0:
                    if len(rest) > _OVERSIZE:
                        raise _Malformed("一个共享字符串超过 64 MB", "a shared string over 64 MB")
                    continue
                cut += len(close)
            else:
                cut, done = len(rest), True
            block, rest = rest[:cut].decode(), rest[cut:]
            for body, stray in _SI.findall(block):
                if stray:
                    raise _broken(stray, block)
                out.append(_runs(body))
            if budget is not None:
                budget.check()
    return out


def _runs(body: str) -> str:
    """The text of an <si> or <is>: its <t>s joined, each trimmed unless xml:space="preserve"
    (as calamine reads them)."""
    if "rPh" in body:
        body = _PHONETIC.sub("", body)
        if _RPH_START.search(body):
            raise _unclosed("rPh")
    parts = []
    for attrs, text, stray in _T.findall(body):
        if stray:
            raise _unclosed("t")
        parts.append(text if "preserve" in attrs else text.strip(_XML_SPACE))
    return _text("".join(parts))


def _text(raw: str) -> str:
    """An XML text node's value: the five entities and character references, then Excel's _xHHHH_."""
    if "&" in raw:
        raw = _ENTITY.sub(_entity, raw)
    if "_x" in raw:
        raw = _ESCAPED.sub(_unescape, raw)
    return raw


def _entity(m: re.Match[str]) -> str:
    name = m.group(1)
    if name is None:
        raise _Malformed("含未定义的实体或未转义的 &", "an undefined entity or a bare &")
    if name[0] != "#":
        return _NAMED[name]
    code = int(name[2:], 16) if name[1] == "x" else int(name[1:])
    if code == 0 or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
        raise _Malformed(f"字符引用 {m.group(0)} 不是 XML 允许的字符", f"the character reference {m.group(0)} is not an XML character")
    return chr(code)


def _unescape(m: re.Match[str]) -> str:
    code = int(m.group(1), 16)
    return m.group(0) if 0xD800 <= code <= 0xDFFF else chr(code)  # a surrogate stays as written, as calamine keeps it


def _cell_formats(zf: zipfile.ZipFile, part: str, file: str) -> list[int]:
    """Per cell style (<cellXfs> order), what its number format makes of a number (Book.kind)."""
    root = _xml(zf, part, file)
    custom = {}
    xfs: list[int] = []
    for el in root.iter():
        if el.tag == f"{_MAIN}numFmt":
            custom[el.get("numFmtId", "")] = format_kind(el.get("formatCode", ""))
    for el in root.iter(f"{_MAIN}cellXfs"):
        for xf in el:
            fid = xf.get("numFmtId", "0")
            xfs.append(custom[fid] if fid in custom else _builtin_kind(fid))
    return xfs


def _builtin_kind(fid: str) -> int:
    """Excel's built-in formats 14-22, 45 and 47 show dates and times, 46 ([h]:mm:ss) a duration."""
    try:
        n = int(fid)
    except ValueError:
        return 0
    return 2 if n == 46 else 1 if 14 <= n <= 22 or n in (45, 47) else 0


_QUOTED = re.compile(r'"[^"]*"?|\\.|[_*].')
_ELAPSED = re.compile(r"\[(h+|m+|s+)\]", re.I)


def format_kind(code: str) -> int:
    """A number format's first section read as calamine reads it: an elapsed-time bracket
    ([h], [mm], [s]) is a duration; a d, m, h, y or s token, or an AM/PM, outside quotes,
    escapes and brackets is a date or time; anything else is a number."""
    section = code.split(";", 1)[0] if '"' not in code else _first_section(code)
    plain = _QUOTED.sub("", section)
    bare = []
    depth = 0
    for i, ch in enumerate(plain):
        if ch == "[":
            if depth == 0 and _ELAPSED.match(plain, i):
                return 2
            depth += 1
        elif ch == "]":
            depth = max(depth - 1, 0)
        elif depth == 0:
            bare.append(ch)
    text = "".join(bare)
    if re.search(r"[dmhysDMHYS]", text) or re.search(r"a/p|am/pm", text, re.I):
        return 1
    return 0


def _first_section(code: str) -> str:
    quoted = False
    for i, ch in enumerate(code):
        if ch == '"':
            quoted = not quoted
        elif ch == ";" and not quoted:
            return code[:i]
    return code


def excel_date(value: float, kind: int, date1904: bool) -> object:
    """A serial number shown with a date or duration format, as python-calamine returns it."""
    if not -1e12 < value < 1e12:  # also NaN: no date or duration, the number as it is
        return value
    if kind == 2:
        return dt.timedelta(milliseconds=round(value * 86_400_000))
    if date1904:
        base = _EPOCH_1904
    elif value < 60:
        base = _EPOCH + dt.timedelta(days=1)  # Excel's 1900-02-29 that never was
    else:
        base = _EPOCH
    try:
        when = base + dt.timedelta(milliseconds=round(value * 86_400_000))
    except OverflowError:
        return value
    if value < 1:
        return when.time()
    if when.hour == when.minute == when.second == when.microsecond == 0:
        return when.date()
    return when


def _column(ref: str) -> int:
    n = 0
    for ch in ref:
        o = ord(ch)
        if o < 65:
            break
        n = n * 26 + (o & 0x1F)
    return n


def _row_number(ref: str) -> int:
    i = 0
    while i < len(ref) and ref[i].isalpha():
        i += 1
    return int(ref[i:]) if ref[i:].isdigit() else 0


def stream_rows(path: str, part: str, book: Book, budget: Budget | None = None,
                sheet: str = "", max_rows: int | None = None) -> Iterator[list]:
    """Each row of the worksheet part from row 1, as calamine's iter_rows gives it (values
    by their type, '' for an empty cell) but ending at the row's last value; rows without
    one come as []. Stops with over_row_limit at the first row holding a value past
    `max_rows`, and checks `budget` every CHECK_EVERY rows. What it cannot read right
    (see the module's docstring), a broken zip member included, is a coded SheetError."""
    try:
        yield from _stream_rows(path, part, book, budget, sheet, max_rows)
    except _UNREADABLE as exc:
        raise _refusal(exc, book.file, part) from exc


def _stream_rows(path: str, part: str, book: Book, budget: Budget | None,
                 sheet: str, max_rows: int | None) -> Iterator[list]:
    with zipfile.ZipFile(path) as zf, zf.open(part) as fh:
        rest, prefix = _start(fh)
        if rest is None:
            return
        pattern = _pattern(prefix)
        row_start = f"<{prefix}:row".encode() if prefix else b"<row"
        data_end = f"</{prefix}:sheetData>".encode() if prefix else b"</sheetData>"
        strings, kind, date1904 = book.strings, book.kind, book.date1904
        row_no = col = seen = 0
        row_s = ""
        row: list = []
        columns: dict[str, int] = {}
        done = False
        while not done:
            chunk = fh.read(BLOCK)
            rest += chunk
            end = rest.find(data_end)
            if end >= 0 or not chunk:
                block, rest, done = rest[:end] if end >= 0 else rest, b"", True
            else:
                # Cut before the last row's start tag: '<' never stands in text, so no token
                # (nor UTF-8 character) is split; cells of a row cut off here come in the next block.
                cut = rest.rfind(row_start)
                if cut <= 0:
                    if len(rest) > _OVERSIZE:
                        raise _Malformed("一行超过 64 MB", "a row over 64 MB")
                    continue
                block, rest = rest[:cut], rest[cut:]
            text = block.decode()
            for (row_tag, row_attrs, letters, digits, style, t, extra, v, inline, other,
                 stray) in pattern.findall(text):
                if row_tag:
                    if row_no:
                        yield row
                    number = _attr(row_attrs, "r") if "r" in row_attrs else None
                    if number:
                        if not number.isdigit() or not row_no < int(number) <= MAX_ROW:
                            raise _Malformed(f"行号 {number[:20]} 乱序、重复或无效（前一行 {row_no}）",
                                             f"row number {number[:20]} out of order, repeated or invalid (after {row_no})")
                        next_no = int(number)
                    else:
                        next_no = row_no + 1
                    while row_no + 1 < next_no:
                        row_no += 1
                        yield []
                    row_no, row, col = next_no, [], 0
                    row_s = str(row_no)
                    seen += 1
                    if budget is not None and seen % CHECK_EVERY == 0:
                        budget.check(sheet)
                    continue
                if stray:
                    raise _broken(stray, text)
                if "=" in extra:  # attributes in another order or spelling
                    letters, digits, style, t = _cell_attrs(extra, letters, digits, style, t)
                if digits and digits != row_s and int(digits) != row_no:
                    raise _Malformed(f"单元格 {letters}{digits} 不在它所在的第 {row_no} 行",
                                     f"cell {letters}{digits} inside row {row_no}")
                if letters:
                    col = columns.get(letters) or columns.setdefault(letters, _column(letters.upper()))
                else:
                    col += 1
                if other:
                    v, inline = _body(other, t)
                if not t or t == "n":
                    if not v:
                        continue
                    try:
                        value = float(v)
                    except ValueError:
                        value = _text(v)
                    else:
                        if "_" in v or v.strip(_XML_SPACE) != v:  # float() takes 1_000 and ' 1 '; calamine does not
                            value = _text(v)
                        elif style and (shown := kind(style)):
                            value = excel_date(value, shown, date1904)
                elif t == "s":
                    try:
                        value = strings[int(v)] if v[0] != "-" else None
                    except (ValueError, IndexError):
                        continue
                    if value is None:
                        raise _Malformed(f"共享字符串序号 {v[:20]} 无效", f"a shared string index of {v[:20]}")
                elif t == "inlineStr":
                    if other:
                        value = inline  # _body has read it
                    elif inline:
                        value = inline.strip(_XML_SPACE)
                        if "&" in value or "_x" in value:
                            value = _text(value)
                    else:
                        continue
                elif t == "b":
                    value = _BOOLEANS.get(v)
                    if value is None and (value := _BOOLEANS.get(v.lower())) is None:
                        raise _Malformed(f"逻辑值单元格的值 {v[:20]!r} 无效", f"a boolean cell holding {v[:20]!r}")
                elif t == "d":
                    value = _iso(v) if v else ""
                elif t == "e":  # an error (#N/A, #DIV/0!): calamine gives nothing
                    continue
                else:  # str: a formula's text
                    value = _text(v) if v else ""
                if value == "" or col < 1:
                    continue
                if not row_no:
                    raise _Malformed("单元格不在任何一行内", "a cell outside any row")
                if max_rows is not None and row_no > max_rows:
                    _too_many(book.file, sheet, row_no, max_rows)
                have = len(row)
                if have == col - 1:
                    row.append(value)
                elif have < col:
                    row.extend([""] * (col - 1 - have))
                    row.append(value)
                else:
                    row[col - 1] = value
        if row_no:
            yield row


_BOOLEANS = {"1": True, "0": False, "true": True, "false": False, "": ""}


def _too_many(file: str, sheet: str, row_no: int, limit: int) -> None:
    raise SheetError("over_row_limit", {"file": file, "sheet": sheet, "limit": str(limit),
                                        "detail": f"至少 {row_no}", "detail_en": f"at least {row_no}"})


def _start(fh) -> tuple[bytes | None, str]:  # noqa: ANN001
    """Read up to the <sheetData> start tag: (the bytes after it, the element prefix);
    None when the sheet has no rows."""
    head = b""
    while True:
        chunk = fh.read(BLOCK)
        head += chunk
        m = _SHEET_DATA.search(head)
        if m:
            return (None if m.group(2) else head[m.end():]), (m.group(1) or b"").decode()
        if not chunk:
            return None, ""
        if len(head) > _OVERSIZE:
            raise _Malformed("前 64 MB 中没有 <sheetData>", "no <sheetData> in the first 64 MB")


_SHEET_DATA = re.compile(rb"<(?:(\w+):)?sheetData\b[^<>]*?(/?)>")


def _pattern(prefix: str) -> re.Pattern[str]:
    """A row start tag, or a cell: (row tag, its attributes; the cell's column letters,
    style and type when written in the usual order, its other attributes, <v> text, inline
    <t> text, any other body).

    The common cell shapes (<v>…</v> or <is><t>…</t></is> alone) are taken whole; any other
    body (a formula, rich text, attributes on <t>) is passed on for `_body`."""
    p = re.escape(f"{prefix}:") if prefix else ""
    return re.compile(
        rf"(<{p}row)\b([^<>]*)>"
        rf'|<{p}c(?:\s+r="([A-Za-z]{{1,3}})(\d*)")?(?:\s+s="(\d+)")?(?:\s+t="(\w+)")?(?=[\s/>])([^<>]*?)'
        rf"(?:/>|>(?:<{p}v>([^<]*)</{p}v>|<{p}is><{p}t>([^<]*)</{p}t></{p}is>"
        rf"|([^<]*+(?:<(?!/?{p}c[\s/>]|{p}row\b|[!?])[^<]*+)*+))</{p}c>)"
        rf"|<({p}c(?=[\s/>])|{p}row\b|[!?])")


def _cell_attrs(extra: str, letters: str, digits: str, style: str, t: str) -> tuple[str, str, str, str]:
    found = {key: double or single for key, double, single in _ATTR.findall(extra)}
    ref = found.get("r", "")
    if ref and not letters:
        name = ref.rstrip("0123456789")
        letters, digits = name.rstrip("$").lstrip("$"), ref[len(name):]
    return letters, digits, style or found.get("s", ""), t or found.get("t", "")


_V = re.compile(r"<(?:\w+:)?v\b[^<>]*?(?:/>|>([^<]*)</(?:\w+:)?v>)")
_IS = re.compile(r"<(?:\w+:)?is\b[^<>]*?(?:/>|>([^<]*+(?:<(?!/?(?:\w+:)?is\b)[^<]*+)*+)</(?:\w+:)?is>)"
                 r"|(<)(?:\w+:)?is\b")


def _body(body: str, t: str | None) -> tuple[str, str]:
    """(<v> text, inline string text) of a cell body in any other shape."""
    if t == "inlineStr":
        m = _IS.search(body)
        if m and m.group(2):
            raise _unclosed("is")
        return "", _runs((m.group(1) or "") if m else "")
    m = _V.search(body)
    return ((m.group(1) or "") if m else ""), ""


def _attr(attrs: str, name: str) -> str | None:
    """One attribute's value; the usual ` name="value"` by two finds, any other spelling by regex."""
    i = attrs.find(f" {name}=\"")
    if i >= 0 and "'" not in attrs:
        i += len(name) + 3
        return attrs[i:attrs.find('"', i)]
    for key, double, single in _ATTR.findall(attrs):
        if key == name:
            return double if double or not single else single
    return None


def _number(v: str, kind: int, date1904: bool) -> object:
    try:
        value = float(v)
    except ValueError:
        return _text(v)
    return excel_date(value, kind, date1904) if kind else value


def _iso(v: str) -> object:
    """A t="d" cell (ISO 8601): a date, a time or a date and time."""
    try:
        if "T" in v or " " in v:
            when = dt.datetime.fromisoformat(v.rstrip("Z"))
            return when.date() if when.time() == dt.time() and len(v) <= 10 else when
        if ":" in v:
            return dt.time.fromisoformat(v)
        return dt.date.fromisoformat(v)
    except ValueError:
        return v
