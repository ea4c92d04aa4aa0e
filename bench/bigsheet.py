"""Write very large plain .xlsx files fast and in constant memory (not a benchmark).

openpyxl's write-only mode needs ~100 s for 1,000,000 rows; this writes the sheet XML
straight into the zip (inline strings, one pass), which is all a read-side benchmark
needs: a file of the shape and size an upload would have. The ID numbers carry valid
GB 11643 check digits so an import's dry run validates rows rather than rejecting them.
"""
from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    '</Types>'
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"


def _check_digit(body: str) -> str:
    total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(body))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


NAMES = [s + g1 + g2 for s in SURNAMES for g1 in GIVEN for g2 in GIVEN]


def roster_row(i: int) -> list[str]:
    """Row i of a synthetic 花名册: name, a valid ID number (never a real person's), a mobile."""
    name = NAMES[i % len(NAMES)]
    born = dt.date(1940, 1, 1) + dt.timedelta(days=i // 1000 * 7)  # 1,000 people a week: unique IDs
    body = f"430104{born:%Y%m%d}{i % 1000:03d}"
    return [name, body + _check_digit(body), f"139{i % 100_000_000:08d}"]


def write_roster(path: Path, rows: int, headers: tuple[str, ...] = ("姓名", "公民身份号码", "联系电话"),
                 sheet: str = "花名册") -> Path:
    """A header row, then `rows` roster rows: 1,000,000 rows is 15.6 MB (under the web upload's
    20 MB) and 10 s. Names are shared strings, as Excel writes them; cells carry no `r`
    (optional in SpreadsheetML: Excel and calamine count columns), rows do."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _ROOT_RELS)
        zf.writestr("xl/workbook.xml", _WORKBOOK.format(name=escape(sheet)))
        zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        zf.writestr("xl/sharedStrings.xml", _shared_strings(list(headers) + NAMES))
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as out:
            out.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                      b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                      b"<sheetData>")
            batch: list[str] = ["<row r=\"1\">" + "".join(f'<c t="s"><v>{i}</v></c>' for i in range(len(headers)))
                                + "</row>"]
            first_name = len(headers)
            for i in range(rows):
                batch.append(_row(i + 2, roster_row(i), first_name + i % len(NAMES)))
                if len(batch) >= 10_000:
                    out.write("".join(batch).encode())
                    batch = []
            out.write("".join(batch).encode())
            out.write(b"</sheetData></worksheet>")
    return path


def _row(r: int, values: list[str], name_index: int) -> str:
    # The phone as a number, as Excel stores a typed one; the ID number as text.
    name, id_number, phone = values
    return (f'<row r="{r}"><c t="s"><v>{name_index}</v></c>'
            f'<c t="inlineStr"><is><t>{id_number}</t></is></c><c><v>{phone}</v></c></row>')


def _shared_strings(strings: list[str]) -> str:
    items = "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            f'count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>')


if __name__ == "__main__":
    import sys

    target = Path(sys.argv[1])
    write_roster(target, int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000)
    print(f"{target}: {target.stat().st_size / 1e6:.1f} MB")
