"""The department gets what it asked, checked from outside as issue 14's checks do.

On a small demo county (plus a few residents worker1 registers: elderly living alone, a
disabled resident), real-style templates (tests/department_templates.py) are submitted —
the 独居老人 list with `yibiao request create`, the 65岁以上 health list through the web form
/gate/new/table/ as the officer, the disabled persons' card and an aggregate by community with
a 合计 row through the domain function — admitted by the reviewer on the web, exported for a
community and its township, and opened in LibreOffice (converted to CSV). What is checked,
against `yibiao ledger export` of the same units read independently (never the filling code):
the rows are exactly the residents the title implies; each value equals what a clerk writes
from that export; each value lies in its column's own dropdown and format; in the aggregate
男+女 = 总人口 per row, each count equals the export's, and the 合计 row sums exactly the
data rows.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import openpyxl
import pytest

from yibiao.accounts.models import User
from yibiao.cli import main
from yibiao.demo.load import load_demo
from yibiao.gate.models import FormRequest
from yibiao.gate.tables import workflow
from yibiao.ledger.records import PersonInput, write_people
from yibiao.orgunits.models import OrgUnit
from yibiao.reports.export import export_report
from yibiao.reports.periods import parse_period
from yibiao.values.ids import check_digit

from . import department_templates as dept
from .sheetfactory import table, write_xlsx

pytestmark = pytest.mark.django_db

NOV = parse_period("2026-11")
END = dt.date(2026, 11, 30)
BASIS = "《国家基本公共卫生服务规范（第三版）》（国卫基层发〔2017〕13号）"
DEPARTMENT = "区卫生健康局"

COMMUNITIES = """
| 各社区人口基本情况统计表 |            |        |        |          |          |            |          |
| 填报单位：               |            |        |        |          | 统计时间： |          |          |
| 序号                     | 社区（村） | 总户数 | 总人口 | 其中：男 | 其中：女 | 60周岁以上 | 独居老人 |
| 1                        | 示例社区   | 120    | 300    | 150      | 150      | 60         | 8        |
| 合计                     |            |        |        |          |          |            |          |
| 填表人：                 |            |        |        | 联系电话： |        |            |          |
"""

# Residents worker1 registers: the small demo has few elderly living alone and no disabled.
EXTRA = [  # birth, sex digit, lives alone, disability, grade, chronic
    (dt.date(1941, 3, 9), 1, "是", "", "", "高血压"),
    (dt.date(1950, 1, 20), 2, "是", "肢体残疾", "二级", "无"),
    (dt.date(1966, 11, 30), 1, "是", "", "", "糖尿病"),  # 60 on the period's last day
    (dt.date(1966, 12, 1), 2, "是", "", "", ""),  # 60 a day too late
    (dt.date(1958, 6, 15), 2, "否", "视力残疾", "一级", "冠心病"),
]
ETHNIC = ["土家族", "汉族", "苗族", "回族", "汉族"]


@pytest.fixture
def county(tmp_path):
    load_demo(seed=7, households=120)
    worker1 = User.objects.get(username="worker1")
    community = worker1.org_unit
    items = []
    for i, ((birth, sex, alone, disability, grade, chronic), ethnic) in enumerate(zip(EXTRA, ETHNIC, strict=True)):
        body = f"430104{birth:%Y%m%d}{50 + i:02d}{sex}"
        values = {"person.id_number": body + check_digit(body), "person.name": f"关爱对象{'甲乙丙丁戊'[i]}",
                  "person.lives_alone": alone, "person.ethnicity": ethnic, "person.phone": f"1390731{i:04d}",
                  "person.residence_address": f"岳麓区{community.name}枫林路{i + 1}号"}
        if disability:
            values |= {"person.disability_category": disability, "person.disability_grade": grade}
        if chronic:
            values["person.chronic_disease"] = chronic
        items.append(PersonInput(values, household_number=f"{community.code}9{i:03d}"))
    result = write_people(worker1, community, items, valid_from=dt.date(2025, 1, 1))
    assert not result.rejected
    return community, community.parent


# --- what a clerk reads off the ledger: `yibiao ledger export`, unmasked with a reason ----

def ledger_people(unit: OrgUnit, tmp_path: Path, *, empty_ok: bool = False) -> list[dept.Person]:
    out = tmp_path / f"ledger-{unit.code}.csv"
    assert main(["ledger", "export", "--org", unit.code, "--as-of", END.isoformat(), "-o", str(out),
                 "--unmask", "--reason", "核对部门报表", "--user", "admin"]) == 0
    names = dict(OrgUnit.objects.values_list("code", "name"))
    people = []
    for row in csv.DictReader(out.open(encoding="utf-8-sig")):
        # A long number is written after a tab so a spreadsheet keeps it as text (ledger/exports.py);
        # the clerk's spreadsheet shows it without: so does this reading.
        row = {key: value.removeprefix("\t") for key, value in row.items()}
        code = row.get("所属") or ""
        community = next((names[code[:n]] for n in (12,) if code[:n] in names), "")
        people.append(dept.Person(
            name=row["姓名"], id_number=row["公民身份号码"], community=community, phone=row.get("联系电话", ""),
            ethnicity=row.get("民族", ""), chronic=row.get("慢性病情况") or None,
            lives_alone=row.get("是否独居") == "是", disability=row.get("残疾类别", ""),
            grade=row.get("残疾等级", ""), address=row.get("现居住地址", "")))
    assert people or empty_ok, f"{unit.name} has no residents"
    return people


def libreoffice_csv(path: Path, tmp_path: Path) -> list[list[str]]:
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice is a requirement of the suite: make system-deps"
    outdir = tmp_path / f"csv-{uuid.uuid4().hex[:6]}"
    subprocess.run([soffice, f"-env:UserInstallation=file:///tmp/lo-{uuid.uuid4().hex}", "--headless",
                    "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true",
                    "--outdir", str(outdir), str(path)], check=True, timeout=180, capture_output=True)
    return list(csv.reader((outdir / f"{path.stem}.csv").open(encoding="utf-8")))


def column_index(letter: str) -> int:
    return openpyxl.utils.column_index_from_string(letter) - 1


def as_text(value: object) -> str:
    """The clerk's value as LibreOffice shows it in CSV."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# --- submission: the CLI, the web form, the domain function; admission on the web ----------

def submit_cli(t: dept.Template, path: Path, capsys) -> FormRequest:
    args = ["request", "create", "--template", str(path), "--department", DEPARTMENT, "--title", t.title,
            "--basis", BASIS, "--frequency", "monthly", "--scope", "430104", "--user", "officer", "--json"]
    for header, reason in t.justify.items():
        args += ["--justify", f"{header}={reason}"]
    for header in t.mask:
        args += ["--mask", header]
    assert main(args) == 0, capsys.readouterr().err
    return FormRequest.objects.get(pk=json.loads(capsys.readouterr().out)["id"])


def submit_web(client, t: dept.Template, path: Path) -> FormRequest:
    officer = User.objects.get(username="officer")
    columns = {c["header"]: c["element"] for c in workflow.read_template(path, None)[3]}
    form = {"title": t.title, "department": DEPARTMENT, "basis": BASIS, "frequency": "monthly", "scope": "430104",
            "deadline_days": "7"}
    for header, reason in t.justify.items():
        form |= {f"decision:{columns[header]}": "full", f"justify:{columns[header]}": reason}
    for header in t.mask:
        form[f"decision:{columns[header]}"] = "masked"
    client.force_login(officer)
    with open(path, "rb") as handle:
        response = client.post("/gate/new/table/", {**form, "template": handle})
    assert response.status_code == 302, response.content.decode()[:3000]
    return FormRequest.objects.filter(title=t.title).latest("pk")


def admit_web(client, request: FormRequest) -> FormRequest:
    client.force_login(User.objects.get(username="reviewer"))
    response = client.post(f"/gate/{request.pk}/decide/", {"action": "admit", "reason": "依据充分，未重复",
                                                               "mappings_checked": "1"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == "admitted", request.status
    return request


def exported(request: FormRequest, unit: OrgUnit, tmp_path: Path) -> Path:
    officer = User.objects.get(username="officer")
    return export_report(officer, request, unit, NOV, tmp_path / "out" / unit.code / f"{request.pk}.xlsx").path


# --- the checks ---------------------------------------------------------------------------

def check_list(t: dept.Template, path: Path, people: list[dept.Person], tmp_path: Path) -> int:
    rows = libreoffice_csv(path, tmp_path)
    name_at = column_index(t.name_column)
    data = []
    for row in rows[t.first_data - 1:]:
        if len(row) <= name_at or not row[name_at].strip():
            break
        data.append(row)
    want = {p.name: p for p in people if t.wants(p, END)}
    assert sorted(r[name_at] for r in data) == sorted(want), f"{t.title}: rows are not the residents the title implies"
    assert [r[0] for r in data] == [str(i) for i in range(1, len(data) + 1)]  # 序号
    for row in data:
        person = want[row[name_at]]
        for header, col in t.columns.items():
            got = row[column_index(col.letter)]
            assert got == as_text(col.clerk(person, END)), (t.title, header, person.name, got)
            if got and col.choices:
                assert got in col.choices, (t.title, header, got)
            if got and col.shape:
                assert re.fullmatch(col.shape, got), (t.title, header, got)
    return len(data)


def test_the_lists_reach_the_department_as_asked(county, client, tmp_path, capsys):
    community, township = county
    alone_path = dept.ALONE.build(tmp_path / dept.ALONE.file)
    health_path = dept.HEALTH.build(tmp_path / dept.HEALTH.file)
    alone = admit_web(client, submit_cli(dept.ALONE, alone_path, capsys))
    health = admit_web(client, submit_web(client, dept.HEALTH, health_path))
    assert alone.filter_status == health.filter_status == "auto"
    today = dt.date.today()
    for unit in (community, township):
        people = ledger_people(unit, tmp_path)
        assert check_list(dept.ALONE, exported(alone, unit, tmp_path), people, tmp_path) >= 3
        assert check_list(dept.HEALTH, exported(health, unit, tmp_path), people, tmp_path) >= 3
        # the blanks keep their labels and the template's pattern
        sheet = openpyxl.load_workbook(exported(alone, unit, tmp_path)).active
        assert sheet["A2"].value.startswith("填报单位（盖章）：") and unit.name in sheet["A2"].value
        assert re.fullmatch(dept.blank_pattern(dept.ALONE.blanks["H2"], today), sheet["H2"].value)


def test_the_card_reaches_the_department_as_asked(county, client, tmp_path):
    community, township = county
    card = admit_web(client, workflow.submit(
        User.objects.get(username="officer"), dept.CARD.build(tmp_path / dept.CARD.file), workflow.NewRequest(
            title=dept.CARD.title, department=DEPARTMENT, basis=BASIS, frequency="monthly", scope_code="430104",
            justifications=dict(dept.CARD.justify))))
    assert card.filter_status == "auto"
    for unit in (community, township):
        people = ledger_people(unit, tmp_path)
        # one sheet per disabled resident, each field in its own cell, format and dropdown
        path = exported(card, unit, tmp_path)
        want = {p.name: p for p in people if dept.CARD.wants(p, END)}
        book = openpyxl.load_workbook(path)
        assert sorted(ws["B2"].value for ws in book.worksheets) == sorted(want)
        first = libreoffice_csv(path, tmp_path)  # LibreOffice converts the first sheet
        person = want[book.worksheets[0]["B2"].value]
        for header, col in dept.CARD.columns.items():
            r, c = openpyxl.utils.cell.coordinate_to_tuple(col.letter)
            got = first[r - 1][c - 1] if r <= len(first) and c <= len(first[r - 1]) else ""
            if got and col.choices:
                assert got in col.choices, (header, got)
            if got and col.shape:
                assert re.fullmatch(col.shape, got), (header, got)
            assert got == as_text(col.clerk(person, END)), (header, person.name, got)


def test_an_aggregate_by_community_counts_what_the_ledger_holds_and_sums_its_rows(county, client, tmp_path):
    community, township = county
    path = write_xlsx(tmp_path / "各社区人口基本情况统计表.xlsx", table(COMMUNITIES), merges=["A1:H1"])
    request = admit_web(client, workflow.submit(User.objects.get(username="officer"), path, workflow.NewRequest(
        title="各社区人口基本情况统计表", department=DEPARTMENT, basis=BASIS, frequency="monthly",
        scope_code="430104")))
    assert request.layout == "aggregate"
    out = exported(request, township, tmp_path)
    rows = libreoffice_csv(out, tmp_path)
    units = OrgUnit.objects.filter(parent=township).order_by("code")
    data = rows[3:3 + units.count()]
    assert [r[1] for r in data] == [u.name for u in units]
    totals = rows[3 + units.count()]
    assert totals[0] == "合计"
    for unit, row in zip(units, data, strict=True):
        people = ledger_people(unit, tmp_path, empty_ok=True)
        counts = [int(x or 0) for x in row[2:8]]
        households, total, men, women, sixty, alone = counts
        assert men + women == total, row
        assert total == len(people)
        assert men == sum(p.sex == "男" for p in people) and women == sum(p.sex == "女" for p in people)
        assert sixty == sum(p.age(END) >= 60 for p in people)
        assert alone == sum(p.age(END) >= 60 and p.lives_alone for p in people)
    for i in range(2, 8):
        assert float(totals[i] or 0) == sum(int(r[i] or 0) for r in data)
    sheet = openpyxl.load_workbook(out).active
    last = 3 + units.count()
    for letter in "CDEFGH":
        assert sheet[f"{letter}{last + 1}"].value == f"=SUM({letter}4:{letter}{last})"
