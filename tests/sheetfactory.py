"""Build small spreadsheets inside tests: no committed binaries.

`table()` turns a markdown-like block into rows, so a test shows its sheet:

    | 序号 | 姓名 | 身份证号           |
    | 1    | 张三 | 11010519491231002X |

Empty cells are None; whole numbers up to 9 digits become ints (longer digit strings,
such as ID numbers, stay text). `write_xlsx` saves rows with openpyxl; `write_xls` writes a
legacy BIFF8 .xls of text cells by hand (no xlwt here), enough for xlrd to read with
formatting_info: merged cells, hidden rows and columns.
"""
from __future__ import annotations

import re
import struct
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.utils import get_column_letter, range_boundaries

Rows = list[list[object]]


def table(text: str) -> Rows:
    rows = []
    for line in text.strip().splitlines():
        line = line.strip()
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows.append([_cell(c) for c in cells])
    return rows


def _cell(text: str) -> object:
    if not text:
        return None
    if re.fullmatch(r"-?\d{1,9}", text):
        return int(text)
    return text


def write_xlsx(path: Path, rows: Rows, *, merges: Sequence[str] = (), hidden_cols: Sequence[str] = (),
               hidden_rows: Sequence[int] = (), sheet: str = "Sheet1",
               more: Sequence[tuple[str, Rows]] = ()) -> Path:
    """Save `rows` (row 1 first) as an .xlsx; merges like "A1:F1"; extra sheets in `more`."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    _fill(ws, rows)
    for rng in merges:
        ws.merge_cells(rng)
    for letter in hidden_cols:
        ws.column_dimensions[letter].hidden = True
    for r in hidden_rows:
        ws.row_dimensions[r].hidden = True
    for name, extra in more:
        _fill(wb.create_sheet(name), extra)
    wb.save(path)
    return path


def _fill(ws, rows: Rows) -> None:
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value is not None:
                ws.cell(row=r, column=c, value=value)


def rewrite_member(path: Path, member: str, change: Callable[[bytes], bytes] | bytes,
                   compress: int = zipfile.ZIP_DEFLATED) -> Path:
    """Replace (or add) one part of a zip package, keeping the others."""
    with zipfile.ZipFile(path) as zf:
        parts = {i.filename: zf.read(i) for i in zf.infolist()}
    old = parts.get(member, b"")
    parts[member] = change(old) if callable(change) else change
    with zipfile.ZipFile(path, "w", compress) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return path


# --- legacy .xls (BIFF8 in an OLE compound file) ----------------------------------------

def _record(rtype: int, data: bytes) -> bytes:
    return struct.pack("<HH", rtype, len(data)) + data


def _bof(kind: int) -> bytes:
    return _record(0x0809, struct.pack("<HHHHII", 0x0600, kind, 0x0DBB, 0x07CC, 0, 6))


def _label(row: int, col: int, text: str) -> bytes:
    body = text.encode("utf-16-le")
    return _record(0x0204, struct.pack("<HHHHB", row, col, 0, len(text), 1) + body)


def write_xls(path: Path, rows: Rows, *, merges: Sequence[str] = (), hidden_cols: Sequence[str] = (),
              hidden_rows: Sequence[int] = (), sheet: str = "Sheet1", encrypted: bool = False,
              macros: bool = False) -> Path:
    """A minimal real .xls: one sheet of text cells (numbers are written as text).

    `encrypted` adds the FILEPASS record a password-protected workbook starts with;
    `macros` the _VBA_PROJECT_CUR storage Excel keeps a workbook's VBA project in.
    """
    cells = b"".join(_label(r, c, str(v)) for r, row in enumerate(rows) for c, v in enumerate(row)
                     if v is not None)
    ncols = max((len(r) for r in rows), default=0)
    sheet_body = _bof(0x0010) + _record(0x0200, struct.pack("<IIHHH", 0, len(rows), 0, ncols, 0))
    for letter in hidden_cols:
        col = range_boundaries(f"{letter}1")[0] - 1
        sheet_body += _record(0x007D, struct.pack("<HHHHHH", col, col, 2560, 0, 0x0001, 0))
    for r in hidden_rows:
        sheet_body += _record(0x0208, struct.pack("<HHHHHHI", r - 1, 0, ncols, 255, 0, 0, 0x20 | 0x100))
    sheet_body += cells
    if merges:
        spans = [range_boundaries(m) for m in merges]  # min_col, min_row, max_col, max_row
        data = struct.pack("<H", len(spans)) + b"".join(
            struct.pack("<HHHH", r1 - 1, r2 - 1, c1 - 1, c2 - 1) for c1, r1, c2, r2 in spans)
        sheet_body += _record(0x00E5, data)
    sheet_body += _record(0x000A, b"")
    name = sheet.encode("utf-16-le")

    def globals_(offset: int) -> bytes:
        boundsheet = _record(0x0085, struct.pack("<IBBBB", offset, 0, 0, len(sheet), 1) + name)
        filepass = _record(0x002F, b"\x01\x00" + b"\x00" * 52) if encrypted else b""
        return (_bof(0x0005) + filepass + _record(0x0042, struct.pack("<H", 1200)) + boundsheet
                + _record(0x000A, b""))

    offset = len(globals_(0))
    stream = globals_(offset) + sheet_body
    stream += b"\x00" * max(0, 4096 - len(stream))  # at least the mini-stream cutoff: plain sectors
    path.write_bytes(_compound_file(stream, macros))
    return path


def _compound_file(stream: bytes, macros: bool = False) -> bytes:
    """An OLE compound file (v3, 512-byte sectors) holding one stream named Workbook."""
    sector = 512
    stream += b"\x00" * (-len(stream) % sector)
    n_stream = len(stream) // sector
    fat = [0xFFFFFFFD]  # sector 0: the FAT itself
    fat += [i + 2 for i in range(n_stream - 1)] + [0xFFFFFFFE]  # sectors 1..n: the stream
    dir_sector = n_stream + 1
    fat.append(0xFFFFFFFE)  # the directory: one sector
    fat += [0xFFFFFFFF] * (sector // 4 - len(fat))
    assert len(fat) == sector // 4, "one FAT sector is enough for test files"
    header = struct.pack("<8s16sHHHHH6sIIIIIIIII", bytes.fromhex("D0CF11E0A1B11AE1"), b"\x00" * 16,
                         0x003E, 0x0003, 0xFFFE, 9, 6, b"\x00" * 6, 0, 1, dir_sector, 0, 4096,
                         0xFFFFFFFE, 0, 0xFFFFFFFE, 0)
    header += struct.pack("<I", 0) + struct.pack("<I", 0xFFFFFFFF) * 108
    directory = (_dir_entry("Root Entry", 5, child=1, start=0xFFFFFFFE, size=0)
                 + _dir_entry("Workbook", 2, child=0xFFFFFFFF, start=1, size=len(stream),
                              right=2 if macros else 0xFFFFFFFF)
                 + (_dir_entry("_VBA_PROJECT_CUR", 1, child=0xFFFFFFFF, start=0, size=0) if macros
                    else _dir_entry("", 0, child=0xFFFFFFFF, start=0, size=0))
                 + _dir_entry("", 0, child=0xFFFFFFFF, start=0, size=0))
    return header + struct.pack("<128I", *fat) + stream + directory


def _dir_entry(name: str, kind: int, *, child: int, start: int, size: int, right: int = 0xFFFFFFFF) -> bytes:
    raw = (name + "\x00").encode("utf-16-le") if name else b""
    return struct.pack("<64sHBBIII16sIQQIQ", raw, len(raw), kind, 1, 0xFFFFFFFF, right, child,
                       b"\x00" * 16, 0, 0, 0, start, size)


def letter(i: int) -> str:
    return get_column_letter(i)
