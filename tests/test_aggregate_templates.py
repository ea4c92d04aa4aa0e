"""Aggregate templates (统计表): recognised, each count column read as an indicator, filled
with one row per unit (or the template's categories) and a 合计 row that sums exactly them.

The world below is written through the ledger's own write path with known people; every
figure the export holds is compared with a count computed here from the same list, never
from the ledger or the roll-up under test.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest

from yibiao.dictionary.models import LearnedIndicator
from yibiao.gate.tables import workflow
from yibiao.ledger.records import PersonInput, write_people
from yibiao.orgunits.divisions import add_unit
from yibiao.orgunits.models import Level
from yibiao.reports.export import export_report
from yibiao.reports.indicators import column_paths, read_indicator
from yibiao.reports.periods import parse_period
from yibiao.sheets import fill_template, read_workbook
from yibiao.values.ids import check_digit

from .sheetfactory import table, write_xlsx

NOV = parse_period("2026-11")

# --- the templates, as a department draws them ----------------------------------------

COMMUNITIES = """
| 各社区人口基本情况统计表 |            |        |        |          |          |            |            |          |        |
| 填报单位：               |            |        |        |          | 统计时间： |          |            |          |        |
| 序号                     | 社区（村） | 总户数 | 总人口 | 其中：男 | 其中：女 | 60周岁以上 | 80周岁以上 | 独居老人 | 残疾人 |
| 1                        | 示例社区   | 120    | 300    | 150      | 150      | 60         | 12         | 8        | 5      |
| 合计                     |            | =SUM(C4:C4) | =SUM(D4:D4) | =SUM(E4:E4) | =SUM(F4:F4) | =SUM(G4:G4) | =SUM(H4:H4) | =SUM(I4:I4) | =SUM(J4:J4) |
| 填表人：                 |            |        |        | 联系电话： |        |            |            |          |        |
"""
COMMUNITIES_MERGES = ["A1:J1"]

# Two header rows: 总人口 and 60周岁以上 are groups whose 其中 columns count inside them.
GROUPED = """
| 各村（社区）人口情况统计表 |            |        |        |          |          |            |          |            |
| 序号 | 社区（村） | 总户数 | 总人口 |          |          | 60周岁以上 |          | 80岁及以上 |
|      |            |        | 小计   | 其中：男 | 其中：女 | 小计       | 其中：女 |            |
| 合计 |            |        |        |          |          |            |          |            |
"""
GROUPED_MERGES = ["A1:I1", "A2:A3", "B2:B3", "C2:C3", "D2:F2", "G2:H2", "I2:I3"]

AGES = """
| 各年龄段人口统计表 |      |    |    |
| 年龄段             | 合计 | 男 | 女 |
| 0-17岁             |      |    |    |
| 18-59岁            |      |    |    |
| 60-79岁            |      |    |    |
| 80岁及以上         |      |    |    |
| 合计               |      |    |    |
"""


def template(tmp_path: Path, text: str, merges: list[str], name: str) -> Path:
    return write_xlsx(tmp_path / name, table(text), merges=merges)


# --- detection, as a table ------------------------------------------------------------

DETECTION = [
    # (template rows, expected layout, row kind, level or labels)
    (COMMUNITIES, "aggregate", "org", "community"),
    (AGES, "aggregate", "category", ["0-17岁", "18-59岁", "60-79岁", "80岁及以上"]),
    ("""| 性别 | 人数 | 其中：60岁以上 |
        | 男   |      |                |
        | 女   |      |                |""", "aggregate", "category", ["男", "女"]),
    ("""| 序号 | 乡镇（街道） | 社区（村） | 户数 | 人口数 |
        | 1    | 示例街道     | 示例社区   |      |        |""", "aggregate", "org", "community"),
    ("""| 乡镇（街道） | 总户数 | 总人口 | 低保户数 |
        | 示例街道     |        |        |          |""", "aggregate", "org", "township"),
    ("""| 网格 | 总人口 | 独居老人 |
        | 第一网格 |  |          |""", "aggregate", "org", "grid"),
    # No header word, but the names are unit names.
    ("""| 名单     | 总人口 | 残疾人 | 低保户数 |
        | 红星社区 | 10     | 1      | 2        |
        | 东塘村   | 12     | 0      | 1        |""", "aggregate", "org", "child"),
    # Rosters: a person per row, whatever a column is called.
    ("""| 序号 | 所属社区 | 姓名 | 性别 | 年龄 | 公民身份号码 |
        | 1    | 红星社区 | 王秀英 | 女 | 76 | 11010519491231002X |""", "list", None, None),
    ("""| 序号 | 姓名 | 是否独居老人 | 残疾人证号 | 联系电话 |
        | 1    | 王秀英 | 是 |  | 13812345678 |""", "list", None, None),
    ("""| 社区 | 姓名 | 身份证号 | 60周岁以上 |
        | 红星社区 | 王秀英 | 11010519491231002X | 是 |""", "list", None, None),
]


@pytest.mark.parametrize(("rows", "layout", "kind", "what"), DETECTION)
def test_a_sheet_is_an_aggregate_by_its_row_column_and_count_columns(tmp_path, rows, layout, kind, what):
    path = write_xlsx(tmp_path / "t.xlsx", table(rows))
    sheet = read_workbook(path).sheets[0]
    assert sheet.layout == layout
    if kind is None:
        return
    assert sheet.rows.kind == kind
    assert (sheet.rows.level if kind == "org" else sheet.rows.labels) == what


def test_the_grouped_template_reads_its_two_header_rows(tmp_path):
    sheet = read_workbook(template(tmp_path, GROUPED, GROUPED_MERGES, "g.xlsx")).sheets[0]
    assert sheet.header_rows == (2, 3) and sheet.totals_rows == [4]
    assert [c.path for c in sheet.columns][3:6] == [["总人口", "小计"], ["总人口", "其中：男"], ["总人口", "其中：女"]]


# --- indicators, as a table -----------------------------------------------------------

AGE, SEX = "person.age", "person.sex"
INDICATORS = [
    # (header path, counted, conditions as (element, op, value), status)
    (["总户数"], "household", [], "auto"),
    (["总人口"], "person", [], "auto"),
    (["总人口", "其中：男"], "person", [(SEX, "=", "1")], "auto"),
    (["总人口", "其中：女"], "person", [(SEX, "=", "2")], "auto"),
    (["60周岁以上", "其中：女"], "person", [(AGE, ">=", "60"), (SEX, "=", "2")], "auto"),
    (["60周岁以上"], "person", [(AGE, ">=", "60")], "auto"),
    (["60周岁以上", "其中：80周岁以上"], "person", [(AGE, ">=", "80")], "auto"),
    (["80岁及以上"], "person", [(AGE, ">=", "80")], "auto"),
    (["0-17岁"], "person", [(AGE, ">=", "0"), (AGE, "<=", "17")], "auto"),
    (["不满18周岁"], "person", [(AGE, "<", "18")], "auto"),
    (["独居老人"], "person", [(AGE, ">=", "60"), ("person.lives_alone", "=", "1")], "auto"),
    (["独居老人数（人）"], "person", [(AGE, ">=", "60"), ("person.lives_alone", "=", "1")], "auto"),
    (["残疾人"], "person", [("person.disability_category", "present", None)], "auto"),
    (["低保户数"], "household", [("person.low_income", "=", "1")], "auto"),
    (["低保户数（户）"], "household", [("person.low_income", "=", "1")], "auto"),
    (["低保人数"], "person", [("person.low_income", "=", "1")], "auto"),
    (["特困人员"], "person", [("person.extreme_poverty", "=", "1")], "auto"),
    (["退役军人"], "person", [("person.veteran", "=", "1")], "auto"),
    (["流动人口"], "person", [("person.residence_status", "=", "2")], "auto"),
    (["合计"], "person", [], "auto"),
    (["老年人"], "person", [(AGE, ">=", "60")], "suggested"),  # 老年人 implies 60: a guess
    (["60岁以上失能老人"], "person", [(AGE, ">=", "60")], "suggested"),  # 失能 not understood
    (["重点人群"], "person", [], "unmapped"),
    (["本月新增流动人口"], "person", [], "unmapped"),  # a change, not a state: typed
]


@pytest.mark.parametrize(("path", "counted", "conditions", "status"), INDICATORS)
def test_a_count_column_is_read_as_an_indicator(path, counted, conditions, status):
    found = read_indicator(path)
    assert found.status == status
    if status == "unmapped":
        assert found.confidence == 0.0
        return
    assert found.count == counted
    assert sorted((c["element"], c["op"], c.get("value")) for c in found.filter) == sorted(conditions)
    assert (found.confidence >= 0.9) == (status == "auto")


def test_a_flat_qizhong_column_counts_inside_the_column_before_it():
    paths = column_paths([["序号"], ["社区（村）"], ["总人口"], ["其中：男"], ["其中：女"],
                          ["60周岁以上"], ["其中：女"]], skip=[0, 1])
    assert paths[3:] == [["总人口", "其中：男"], ["总人口", "其中：女"], ["60周岁以上"],
                         ["60周岁以上", "其中：女"]]


# --- a test world with known people -----------------------------------------------------

@dataclass(frozen=True)
class Resident:
    birth: str  # yyyymmdd
    male: bool
    unit: str  # attribute of the fixture: grid_a, community_a, baihe, yuelu, community_b
    household: str
    lives_alone: bool = False
    disabled: bool = False
    low_income: bool = False
    since: dt.date = dt.date(2026, 1, 1)

    def id_number(self, n: int) -> str:
        sequence = f"{n:02d}{1 if self.male else 2}"
        body = "430104" + self.birth + sequence
        return body + check_digit(body)

    def age(self, on: dt.date) -> int:
        born = dt.date(int(self.birth[:4]), int(self.birth[4:6]), int(self.birth[6:]))
        return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


PEOPLE = [
    Resident("19400315", True, "grid_a", "T1", lives_alone=True),
    Resident("19451130", False, "grid_a", "T2", lives_alone=True, disabled=True),  # 81 on 11-30
    Resident("19461201", False, "grid_a", "T3", low_income=True),  # 79 on 11-30, 80 next day
    Resident("19880808", True, "grid_a", "T3", low_income=True),
    Resident("20150101", False, "grid_a", "T3"),
    Resident("19660606", False, "community_a", "T4"),  # in the community, not in a grid
    Resident("19660607", True, "community_a", "T4", disabled=True),
    Resident("20081130", True, "baihe", "B1"),  # 18 on 2026-11-30
    Resident("20081201", False, "baihe", "B1"),  # 17 on 2026-11-30
    Resident("19500101", True, "baihe", "B2", lives_alone=True),
    Resident("19300101", False, "baihe", "B3", disabled=True, low_income=True),
    Resident("19900101", True, "baihe", "B4", since=dt.date(2026, 12, 10)),  # moved in after November
    Resident("19700101", True, "community_b", "D1"),  # another township
    Resident("19420202", False, "community_b", "D1", lives_alone=True),
]


@pytest.fixture
def county(world):
    baihe = add_unit(world.township_a.code + "002", "白鹤社区", Level.COMMUNITY, world.township_a)
    yuelu = add_unit(world.township_a.code + "003", "岳麓村", Level.COMMUNITY, world.township_a)  # nobody lives here
    units = {"grid_a": world.grid_a, "community_a": world.community_a, "baihe": baihe, "yuelu": yuelu,
             "community_b": world.community_b}
    for n, person in enumerate(PEOPLE, start=1):
        values = {"person.id_number": person.id_number(n), "person.name": f"居民{n}",
                  "person.lives_alone": "是" if person.lives_alone else "否"}
        if person.disabled:
            values["person.disability_category"] = "视力残疾"
        if person.low_income:
            values["person.low_income"] = "是"
        result = write_people(world.admin, units[person.unit], [PersonInput(values, household_number=person.household)],
                              valid_from=person.since)
        assert not result.rejected, result.rejected
    world.baihe, world.yuelu, world.units = baihe, yuelu, units
    return world


def expected(world, unit_code: str, on: dt.date) -> dict[str, int]:
    """The figures a careful clerk writes for a unit, counted from PEOPLE."""
    mine = [p for p in PEOPLE if world.units[p.unit].code.startswith(unit_code) and p.since <= on]
    return {
        "总户数": len({p.household for p in mine}),
        "总人口": len(mine),
        "男": sum(p.male for p in mine),
        "女": sum(not p.male for p in mine),
        "60+": sum(p.age(on) >= 60 for p in mine),
        "60+女": sum(p.age(on) >= 60 and not p.male for p in mine),
        "80+": sum(p.age(on) >= 80 for p in mine),
        "独居老人": sum(p.age(on) >= 60 and p.lives_alone for p in mine),
        "残疾人": sum(p.disabled for p in mine),
    }


def admit(world, path: Path, title: str, scope) -> object:
    request = workflow.submit(world.officer if scope == world.township_a else world.admin, path, workflow.NewRequest(
        title=title, department=world.department.name, basis="《统计报表制度》（岳统〔2026〕3号）",
        frequency="monthly", scope_code=scope.code))
    request = workflow.decide(world.reviewer, request, "admit", mappings_checked=True)
    request.refresh_from_db()
    return request


def data_rows(ws, first: int) -> list[list[object]]:
    rows = []
    r = first
    while ws.cell(row=r, column=1).value not in ("合计", None):
        rows.append([ws.cell(row=r, column=c).value for c in range(1, ws.max_column + 1)])
        r += 1
    return rows


def libreoffice_csv(path: Path, tmp_path: Path) -> list[list[str]]:
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice is a requirement of the suite: make system-deps"
    outdir = tmp_path / f"csv-{uuid.uuid4().hex[:6]}"
    subprocess.run([soffice, f"-env:UserInstallation=file:///tmp/lo-{uuid.uuid4().hex}", "--headless",
                    "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true",
                    "--outdir", str(outdir), str(path)], check=True, timeout=180, capture_output=True)
    return list(csv.reader((outdir / f"{path.stem}.csv").open(encoding="utf-8")))


# --- end to end -------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_communities_table_is_admitted_as_an_aggregate_with_an_indicator_per_column(county, tmp_path):
    request = admit(county, template(tmp_path, COMMUNITIES, COMMUNITIES_MERGES, "人口.xlsx"),
                    "各社区人口基本情况统计表", county.township_a)
    assert request.layout == "aggregate" and request.subject_filter == []
    by_header = {c["header"]: c for c in request.columns}
    assert by_header["社区（村）"]["dimension"]["level"] == "community"
    assert by_header["其中：女"]["indicator"]["filter"] == [{"element": "person.sex", "op": "=", "value": "2"}]
    assert all(by_header[h]["status"] == "auto" for h in ("总户数", "总人口", "60周岁以上", "独居老人", "残疾人"))
    analysis = request.analysis
    assert analysis["burden"]["cells_per_period"] == 0  # every count comes from the ledger
    assert analysis["burden"]["subjects"] == 3  # one row per community of the township


@pytest.mark.django_db
def test_a_township_gets_one_row_per_community_with_counts_equal_to_the_ledger(county, tmp_path):
    request = admit(county, template(tmp_path, COMMUNITIES, COMMUNITIES_MERGES, "人口.xlsx"),
                    "各社区人口基本情况统计表", county.township_a)
    result = export_report(county.officer, request, county.township_a, NOV, tmp_path / "out" / "township.xlsx")
    ws = openpyxl.load_workbook(result.path).active
    rows = data_rows(ws, 4)
    communities = [county.community_a, county.baihe, county.yuelu]
    assert [r[1] for r in rows] == [c.name for c in communities]  # one row per community, in code order
    assert [r[0] for r in rows] == [1, 2, 3]
    for row, community in zip(rows, communities, strict=True):
        want = expected(county, community.code, NOV.end)
        got = dict(zip(["总户数", "总人口", "男", "女", "60+", "80+", "独居老人", "残疾人"], row[2:10], strict=True))
        assert got == {k: want[k] for k in got}, community.name
        assert all(isinstance(v, int) for v in row[2:10])  # numbers, not text
        assert row[4] + row[5] == row[3]  # 男 + 女 = 总人口
    # The 合计 row sums exactly the data rows, in every count column.
    totals = 4 + len(rows)
    assert ws.cell(row=totals, column=1).value == "合计"
    for col in "CDEFGHIJ":
        assert ws[f"{col}{totals}"].value == f"=SUM({col}4:{col}{totals - 1})"
    assert ws.cell(row=totals + 1, column=1).value.startswith("填表人：")  # below the table stays below it
    # LibreOffice recalculates the totals to the township's figures.
    csv_rows = libreoffice_csv(result.path, tmp_path)
    total_row = next(r for r in csv_rows if r and r[0] == "合计")
    township = expected(county, county.township_a.code, NOV.end)
    assert [int(x) for x in total_row[2:10]] == [township[k] for k in
                                                  ("总户数", "总人口", "男", "女", "60+", "80+", "独居老人", "残疾人")]


@pytest.mark.django_db
def test_a_community_filled_alone_is_its_own_one_row(county, tmp_path):
    request = admit(county, template(tmp_path, COMMUNITIES, COMMUNITIES_MERGES, "人口.xlsx"),
                    "各社区人口基本情况统计表", county.township_a)
    result = export_report(county.worker_a, request, county.community_a, NOV, tmp_path / "out" / "a.xlsx")
    ws = openpyxl.load_workbook(result.path).active
    rows = data_rows(ws, 4)
    want = expected(county, county.community_a.code, NOV.end)  # its grid and those living outside one
    assert len(rows) == 1 and rows[0][1] == county.community_a.name
    assert rows[0][2:10] == [want[k] for k in ("总户数", "总人口", "男", "女", "60+", "80+", "独居老人", "残疾人")]
    assert ws["D5"].value == "=SUM(D4:D4)"


@pytest.mark.django_db
def test_qizhong_columns_count_inside_their_group(county, tmp_path):
    request = admit(county, template(tmp_path, GROUPED, GROUPED_MERGES, "grouped.xlsx"),
                    "各村（社区）人口情况统计表", county.township_a)
    result = export_report(county.officer, request, county.township_a, NOV, tmp_path / "out" / "g.xlsx")
    ws = openpyxl.load_workbook(result.path).active
    rows = data_rows(ws, 4)
    assert len(rows) == 3
    for row, community in zip(rows, [county.community_a, county.baihe, county.yuelu], strict=True):
        want = expected(county, community.code, NOV.end)
        assert row[2:9] == [want["总户数"], want["总人口"], want["男"], want["女"], want["60+"], want["60+女"],
                            want["80+"]]
    assert [ws[f"{c}7"].value for c in "CDEFGHI"] == [f"=SUM({c}4:{c}6)" for c in "CDEFGHI"]


@pytest.mark.django_db
def test_a_table_by_age_band_and_sex_keeps_its_rows_and_counts_each_cell(county, tmp_path):
    request = admit(county, template(tmp_path, AGES, ["A1:D1"], "ages.xlsx"), "各年龄段人口统计表",
                    county.township_a)
    assert request.layout == "aggregate"
    result = export_report(county.officer, request, county.township_a, NOV, tmp_path / "out" / "ages.xlsx")
    ws = openpyxl.load_workbook(result.path).active
    rows = data_rows(ws, 3)
    assert [r[0] for r in rows] == ["0-17岁", "18-59岁", "60-79岁", "80岁及以上"]
    mine = [p for p in PEOPLE if county.units[p.unit].code.startswith(county.township_a.code)
            and p.since <= NOV.end]
    bands = [(0, 17), (18, 59), (60, 79), (80, 200)]
    for row, (low, high) in zip(rows, bands, strict=True):
        band = [p for p in mine if low <= p.age(NOV.end) <= high]
        assert row[1:4] == [len(band), sum(p.male for p in band), sum(not p.male for p in band)], row[0]
        assert row[2] + row[3] == row[1]
    assert [ws[f"{c}7"].value for c in "BCD"] == ["=SUM(B3:B6)", "=SUM(C3:C6)", "=SUM(D3:D6)"]
    total_row = next(r for r in libreoffice_csv(result.path, tmp_path) if r and r[0] == "合计")
    assert [int(x) for x in total_row[1:4]] == [len(mine), sum(p.male for p in mine), sum(not p.male for p in mine)]


@pytest.mark.django_db
def test_a_suggested_indicator_is_confirmed_at_admission_and_then_learned(county, tmp_path):
    rows = """
    | 社区（村） | 总人口 | 60岁以上失能老人 |
    | 示例社区   |        |                  |
    """
    first = workflow.submit(county.officer, write_xlsx(tmp_path / "one.xlsx", table(rows)), workflow.NewRequest(
        title="失能老人统计", department=county.department.name, basis="《通知》（岳民〔2026〕9号）",
        frequency="monthly", scope_code=county.township_a.code))
    column = next(c for c in first.columns if c["header"] == "60岁以上失能老人")
    assert column["indicator"]["status"] == "suggested" and column["status"] == "suggested"
    with pytest.raises(workflow.GateRefused, match="60岁以上失能老人"):
        workflow.decide(county.reviewer, first, "admit")  # a person looks first
    workflow.decide(county.reviewer, first, "admit", mappings_checked=True)
    assert LearnedIndicator.objects.filter(text__contains="失能").exists()
    second = workflow.submit(county.officer, write_xlsx(tmp_path / "two.xlsx", table(rows)), workflow.NewRequest(
        title="失能老人统计（二）", department=county.department.name, basis="《通知》（岳民〔2026〕9号）",
        frequency="monthly", scope_code=county.township_a.code))
    column = next(c for c in second.columns if c["header"] == "60岁以上失能老人")
    assert column["indicator"]["status"] == "auto" and column["confidence"] == pytest.approx(0.97)


@pytest.mark.django_db
def test_template_inspect_json_reports_the_rows_and_each_columns_indicator(tmp_path, capsys):
    from yibiao.cli import main

    path = template(tmp_path, COMMUNITIES, COMMUNITIES_MERGES, "人口.xlsx")
    assert main(["template", "inspect", "--json", str(path)]) == 0
    sheet = json.loads(capsys.readouterr().out)[0]["sheets"][0]
    assert sheet["layout"] == "aggregate"
    assert sheet["rows"]["kind"] == "org" and sheet["rows"]["level"] == "community" and sheet["rows"]["column"] == "B"
    by_header = {c["header"]: c for c in sheet["columns"]}
    assert by_header["序号"]["indicator"] is None and by_header["社区（村）"]["indicator"] is None
    assert by_header["总户数"]["indicator"]["count"] == "household"
    assert by_header["其中：男"]["indicator"]["filter"] == [{"element": "person.sex", "op": "=", "value": "1"}]
    assert by_header["独居老人"]["indicator"]["status"] == "auto"


# --- the 合计 row: our SUMs over exactly the data rows, the template's other formulas kept ---

def test_a_totals_sum_over_the_wrong_rows_is_rebuilt_and_a_ratio_kept(tmp_path):
    rows = table("""
    | 社区（村） | 总人口 | 残疾人 | 残疾人占比 |
    | 示例社区   | 10     | 1      | =C2/B2     |
    | 合计       | =SUM(B1:B2) | 1 | =C3/B3  |
    """)
    path = write_xlsx(tmp_path / "t.xlsx", rows)
    layout = read_workbook(path).sheets[0]
    assert layout.layout == "aggregate"
    filled = [["红星社区", 10, 2, None], ["东塘村", 20, 3, None]]
    result = fill_template(path, tmp_path / "o.xlsx", sheet="Sheet1", layout=layout, rows=filled)
    ws = openpyxl.load_workbook(result.path).active
    assert [ws[f"{c}4"].value for c in "ABCD"] == ["合计", "=SUM(B2:B3)", "=SUM(C2:C3)", "=C4/B4"]
    assert re.fullmatch(r"=C3/B3|=C2/B2", str(ws["D3"].value)) or ws["D3"].value is None


@pytest.mark.django_db
def test_a_counted_column_cannot_be_typed_into_a_task(county, tmp_path):
    """总人口 is computed: a crafted save of it stores nothing and counts no typed cell."""
    from yibiao.reports import tasks
    from yibiao.reports.models import Task, TaskValue

    request = admit(county, template(tmp_path, COMMUNITIES, COMMUNITIES_MERGES, "人口.xlsx"),
                    "各社区人口基本情况统计表", county.township_a)
    tasks.create_tasks(request, NOV)
    task = Task.objects.get(request=request, org_unit=county.community_a, period=NOV.key)
    total = next(c["column"] for c in request.columns if c["header"].endswith("总人口"))
    tasks.complete(county.worker_a, task, {(f"o:{county.community_a.code}", total): "99999"})
    task.refresh_from_db()
    assert task.cells_typed == 0 and not TaskValue.objects.filter(task=task).exists()
