#!/usr/bin/env python3
"""Aggregate templates (统计表) filled from the ledger, against what a careful clerk writes (not a test).

A synthetic world (湖南省长沙市岳麓区's real townships; two of them with communities and
grids, a few hundred residents of every age, some living alone, disabled, on 低保, veterans,
流动, arrivals during and after the period) and nine real-style aggregate templates: by
community (flat and with a two-row header), by township, by grid, by age band × sex, by sex,
by unit name without a level word, one with columns no ledger state answers (本月新增, 重点人群)
and one whose 合计 row sums the wrong rows beside a ratio column. Each is submitted, admitted
and exported for the unit a department would ask (a township, the county, a community).

The clerk's answer is computed here from the list of residents written, never from the
ledger: one row per unit of the level the row header names (or per category row), each count
as the header says at the period's end, the 合计 row summing the data rows. Score: the share
of data and totals cells equal to the clerk's (row labels included). Target ≥ 0.95.

    .venv/bin/python bench/bench_aggregates.py            # SQLite in a temporary directory
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_agg .venv/bin/python bench/bench_aggregates.py
"""
from __future__ import annotations

import datetime as dt
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

PERIOD = "2026-11"
END = dt.date(2026, 11, 30)
START = dt.date(2026, 11, 1)


@dataclass
class Resident:
    n: int
    birth: dt.date
    male: bool
    unit: str  # org code
    household: str
    lives_alone: bool
    disabled: bool
    low_income: bool
    veteran: bool
    floating: bool
    local: bool
    since: dt.date

    def age(self, on: dt.date = END) -> int:
        return on.year - self.birth.year - ((on.month, on.day) < (self.birth.month, self.birth.day))

    @property
    def here(self) -> bool:
        return self.since <= END


def residents(units: list[str], seed: int = 7) -> list[Resident]:
    rng = random.Random(seed)
    out: list[Resident] = []
    n = 0
    for code in units:
        for h in range(rng.randint(12, 30)):
            household = f"{code}-{h:03d}"
            size = rng.choice([1, 1, 2, 2, 3, 3, 4, 5])
            since = rng.choice([dt.date(2025, 3, 1)] * 12 + [dt.date(2026, 11, 12), dt.date(2026, 12, 5)])
            floating = rng.random() < 0.12
            poor = rng.random() < 0.08
            for _ in range(size):
                n += 1
                birth = dt.date(rng.randint(1922, 2025), rng.randint(1, 12), rng.randint(1, 28))
                if rng.random() < 0.02:  # birthdays on the period's last days: 60/80 exactly
                    birth = dt.date(rng.choice([1946, 1966, 1966]), 11, rng.choice([30, 29]))
                age = END.year - birth.year
                out.append(Resident(n, birth, rng.random() < 0.5, code, household,
                                    lives_alone=size == 1 and age >= 55 and rng.random() < 0.8,
                                    disabled=rng.random() < 0.06, low_income=poor,
                                    veteran=age > 25 and rng.random() < 0.04, floating=floating,
                                    local=not floating and rng.random() < 0.85, since=since))
    return out


def id_number(person: Resident) -> str:
    from yibiao.values.ids import check_digit

    body = f"430104{person.birth:%Y%m%d}{person.n % 100:02d}{1 if person.male else 2}"
    return body + check_digit(body)


# --- the templates: rows as a department draws them, and the clerk's reading of each column

Count = Callable[[list[Resident]], int | None]  # None: the clerk knows it, the ledger cannot


def n(pred: Callable[[Resident], bool]) -> Count:
    return lambda people: sum(1 for p in people if pred(p))


def households(pred: Callable[[Resident], bool] = lambda p: True) -> Count:
    return lambda people: len({p.household for p in people if pred(p)})


ALL = n(lambda p: True)
MEN = n(lambda p: p.male)
WOMEN = n(lambda p: not p.male)
AGE = lambda lo, hi=999: n(lambda p: lo <= p.age() <= hi)  # noqa: E731
ALONE = n(lambda p: p.age() >= 60 and p.lives_alone)
DISABLED = n(lambda p: p.disabled)
NEW_FLOATING = n(lambda p: p.floating and START <= p.since <= END)  # typed by the worker, if at all


@dataclass
class Template:
    name: str
    rows: list[list[object]]
    merges: list[str]
    first_data: int  # row of the first data row in the template
    fill: str  # township | county | community
    level: str | None  # row level: community | township | grid | None (categories)
    columns: dict[str, Count]  # column letter -> the clerk's count
    label: str  # column letter of the row's name
    categories: list[tuple[str, Callable[[Resident], bool]]] | None = None


def rows(text: str) -> list[list[object]]:
    sys.path.insert(0, str(ROOT / "tests"))
    from sheetfactory import table

    return table(text)


def templates() -> list[Template]:
    return [
        Template("各社区人口基本情况统计表", rows("""
| 各社区人口基本情况统计表 |  |  |  |  |  |  |  |  |  |
| 填报单位： |  |  |  |  | 统计时间： |  |  |  |  |
| 序号 | 社区（村） | 总户数 | 总人口 | 其中：男 | 其中：女 | 60周岁以上 | 80周岁以上 | 独居老人 | 残疾人 |
| 1 | 示例社区 | 120 | 300 | 150 | 150 | 60 | 12 | 8 | 5 |
| 合计 |  | =SUM(C4:C4) | =SUM(D4:D4) | =SUM(E4:E4) | =SUM(F4:F4) | =SUM(G4:G4) | =SUM(H4:H4) | =SUM(I4:I4) | =SUM(J4:J4) |
| 填表人： |  |  |  | 联系电话： |  |  |  |  |  |"""), ["A1:J1"], 4, "township", "community",
            {"C": households(), "D": ALL, "E": MEN, "F": WOMEN, "G": AGE(60), "H": AGE(80), "I": ALONE,
             "J": DISABLED}, "B"),
        Template("各村（社区）人口情况统计表", rows("""
| 各村（社区）人口情况统计表 |  |  |  |  |  |  |  |  |
| 序号 | 社区（村） | 总户数 | 总人口 |  |  | 60周岁以上 |  | 80岁及以上 |
|  |  |  | 小计 | 其中：男 | 其中：女 | 小计 | 其中：女 |  |
| 合计 |  |  |  |  |  |  |  |  |"""), ["A1:I1", "A2:A3", "B2:B3", "C2:C3", "D2:F2", "G2:H2", "I2:I3"], 4,
            "township", "community",
            {"C": households(), "D": ALL, "E": MEN, "F": WOMEN, "G": AGE(60),
             "H": n(lambda p: p.age() >= 60 and not p.male), "I": AGE(80)}, "B"),
        Template("各乡镇（街道）特殊人群统计表", rows("""
| 各乡镇（街道）特殊人群统计表 |  |  |  |  |  |
| 乡镇（街道） | 独居老人数（人） | 残疾人数（人） | 低保户数（户） | 低保人数（人） | 退役军人（人） |
| 示例街道 |  |  |  |  |  |
| 合计 |  |  |  |  |  |"""), ["A1:F1"], 3, "county", "township",
            {"B": ALONE, "C": DISABLED, "D": households(lambda p: p.low_income), "E": n(lambda p: p.low_income),
             "F": n(lambda p: p.veteran)}, "A"),
        Template("网格人口统计表", rows("""
| 网格人口统计表 |  |  |  |  |
| 网格 | 总户数 | 总人口 | 60岁以上老年人数 | 0-17岁 |
| 第一网格 |  |  |  |  |
| 合计 |  |  |  |  |"""), ["A1:E1"], 3, "community", "grid",
            {"B": households(), "C": ALL, "D": AGE(60), "E": AGE(0, 17)}, "A"),
        Template("各年龄段人口统计表", rows("""
| 各年龄段人口统计表 |  |  |  |
| 年龄段 | 合计 | 男 | 女 |
| 0-17岁 |  |  |  |
| 18-59岁 |  |  |  |
| 60-79岁 |  |  |  |
| 80岁及以上 |  |  |  |
| 合计 |  |  |  |"""), ["A1:D1"], 3, "township", None, {"B": ALL, "C": MEN, "D": WOMEN}, "A",
            [("0-17岁", lambda p: p.age() <= 17), ("18-59岁", lambda p: 18 <= p.age() <= 59),
             ("60-79岁", lambda p: 60 <= p.age() <= 79), ("80岁及以上", lambda p: p.age() >= 80)]),
        Template("分性别人口统计表", rows("""
| 分性别人口统计表 |  |  |  |
| 性别 | 人数 | 其中：60岁以上 | 其中：80岁以上 |
| 男 |  |  |  |
| 女 |  |  |  |
| 合计 |  |  |  |"""), ["A1:D1"], 3, "community", None, {"B": ALL, "C": AGE(60), "D": AGE(80)}, "A",
            [("男", lambda p: p.male), ("女", lambda p: not p.male)]),
        Template("辖区人口统计", rows("""
| 辖区人口统计 |  |  |  |
| 单位名称 | 总人口 | 残疾人 | 低保户数 |
| 示例社区 |  |  |  |
| 合计 |  |  |  |"""), ["A1:D1"], 3, "township", "community",
            {"B": ALL, "C": DISABLED, "D": households(lambda p: p.low_income)}, "A"),
        Template("流动人口情况统计表", rows("""
| 流动人口情况统计表 |  |  |  |  |
| 社区（村） | 总人口 | 流动人口 | 户籍人口 | 本月新增流动人口 |
| 示例社区 |  |  |  |  |
| 合计 |  |  |  |  |"""), ["A1:E1"], 3, "township", "community",
            {"B": ALL, "C": n(lambda p: p.floating), "D": n(lambda p: p.local), "E": NEW_FLOATING}, "A"),
        Template("老龄人口统计表", rows("""
| 老龄人口统计表 |  |  |  |
| 社区（村） | 总人口 | 60岁以上 | 80岁以上 |
| 示例社区 | 10 | 2 | 1 |
| 合计 | =SUM(B2:B3) | 2 | =SUM(D3:D3) |"""), ["A1:D1"], 3, "township", "community",
            {"B": ALL, "C": AGE(60), "D": AGE(80)}, "A"),
    ]


# --- the run ----------------------------------------------------------------------------

def build_world() -> dict:
    from yibiao.accounts.models import Role, User
    from yibiao.ledger.records import PersonInput, write_people
    from yibiao.orgunits.divisions import add_unit
    from yibiao.orgunits.models import Level, OrgUnit

    county = OrgUnit.objects.get(code="430104")
    township_a, township_b = county.children.order_by("code")[:2]
    units = {}
    for township, names in ((township_a, ["桃花岭社区", "白鹤社区", "岳麓村"]), (township_b, ["东塘村", "望月湖社区"])):
        for i, name in enumerate(names, start=1):
            units[name] = add_unit(f"{township.code}{i:03d}", name, Level.COMMUNITY, township)
    peach = units["桃花岭社区"]
    grids = [add_unit(f"{peach.code}{i:03d}", f"第{'一二'[i - 1]}网格", Level.GRID, peach) for i in (1, 2)]
    admin = User.objects.create(username="bench-admin", role=Role.ADMIN, is_staff=True, is_superuser=True)
    places = [g.code for g in grids] + [peach.code] + [u.code for name, u in units.items() if name != "桃花岭社区"]
    people = residents(places)
    by_code = {u.code: u for u in [*units.values(), *grids]}
    for person in people:
        values = {"person.id_number": id_number(person), "person.name": f"居民{person.n}",
                  "person.lives_alone": "是" if person.lives_alone else "否",
                  "person.residence_status": "流动" if person.floating else "常住",
                  "person.hukou_type": "本地户籍" if person.local else "外地户籍"}
        if person.disabled:
            values["person.disability_category"] = "肢体残疾"
        if person.low_income:
            values["person.low_income"] = "是"
        if person.veteran:
            values["person.veteran"] = "是"
        result = write_people(admin, by_code[person.unit], [PersonInput(values, household_number=person.household)],
                              valid_from=person.since)
        assert not result.rejected, result.rejected
    return {"county": county, "township": township_a, "community": peach, "admin": admin, "people": people}


def clerk_rows(t: Template, unit, people: list[Resident]) -> list[list[object]]:
    """What a careful clerk writes: (label, counts in column order) per row."""
    from yibiao.orgunits.models import OrgUnit

    mine = [p for p in people if p.unit.startswith(unit.code) and p.here]
    if t.categories is not None:
        groups = [(label, [p for p in mine if pred(p)]) for label, pred in t.categories]
    else:
        length = {"township": 9, "community": 12, "grid": 15}[t.level]
        if len(unit.code) >= length:
            below = [unit]
        else:
            below = list(OrgUnit.objects.filter(code__startswith=unit.code, code__regex=rf"^\d{{{length}}}$")
                         .order_by("code"))
        groups = [(u.name, [p for p in mine if p.unit.startswith(u.code)]) for u in below]
    return [[label, *[t.columns[c](group) for c in sorted(t.columns)]] for label, group in groups]


def score(t: Template, path: Path, want: list[list[object]]) -> tuple[int, int, list[str]]:
    import openpyxl
    from openpyxl.utils import column_index_from_string

    ws = openpyxl.load_workbook(path).active
    letters = [t.label, *sorted(t.columns)]
    right = total = 0
    wrong: list[str] = []
    for i, expected_row in enumerate(want):
        r = t.first_data + i
        got = [ws.cell(row=r, column=column_index_from_string(c)).value for c in letters]
        for c, g, w in zip(letters, got, expected_row, strict=True):
            total += 1
            if g == w and (c == t.label or isinstance(g, int)):
                right += 1
            else:
                wrong.append(f"{c}{r}: {g!r} ≠ {w!r}")
    totals = t.first_data + len(want)
    for c in sorted(t.columns):
        total += 1
        want_formula = f"=SUM({c}{t.first_data}:{c}{totals - 1})"
        if ws[f"{c}{totals}"].value == want_formula:
            right += 1
        else:
            wrong.append(f"{c}{totals}: {ws[f'{c}{totals}'].value!r} ≠ {want_formula}")
    if str(ws.cell(row=totals, column=1).value or "").strip() != "合计":
        wrong.append(f"A{totals}: 合计 row not right after the data")
    return right, total, wrong


def run() -> dict:
    from yibiao.accounts.models import Department
    from yibiao.gate.tables import workflow
    from yibiao.reports.export import export_report
    from yibiao.reports.periods import parse_period

    sys.path.insert(0, str(ROOT / "tests"))
    from sheetfactory import write_xlsx

    started = time.perf_counter()
    world = build_world()
    built = time.perf_counter() - started
    Department.objects.get_or_create(name="区统计局")
    period = parse_period(PERIOD)
    out: dict = {"templates": [], "residents": len(world["people"]), "world_s": round(built, 1)}
    right_all = total_all = 0
    with tempfile.TemporaryDirectory() as tmp:
        for t in templates():
            path = write_xlsx(Path(tmp) / f"{t.name}.xlsx", t.rows, merges=t.merges)
            request = workflow.submit(world["admin"], path, workflow.NewRequest(
                title=t.name, department="区统计局", basis="《统计报表制度》（岳统〔2026〕3号）",
                frequency="monthly", scope_code=world["county"].code))
            request = workflow.decide(world["admin"], request, "admit", mappings_checked=True)
            unit = world[t.fill]
            start = time.perf_counter()
            result = export_report(world["admin"], request, unit, period, Path(tmp) / "out" / f"{t.name}.xlsx")
            seconds = time.perf_counter() - start
            want = clerk_rows(t, unit, world["people"])
            right, total, wrong = score(t, result.path, want)
            right_all += right
            total_all += total
            out["templates"].append({"name": t.name, "layout": request.layout, "fill": unit.name, "rows": len(want),
                                     "right": right, "cells": total, "share": round(right / total, 3),
                                     "export_s": round(seconds, 2), "wrong": wrong[:6]})
    out["right"], out["cells"] = right_all, total_all
    out["share"] = round(right_all / total_all, 4)
    return out


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3")
        os.environ.setdefault("YIBIAO_VAR_DIR", tmp)
        from yibiao.cli import setup_django

        setup_django()
        from django.db import connection

        from yibiao.setup import initialise

        initialise()
        result = run()
        result["vendor"] = connection.vendor
    for t in result["templates"]:
        print(f"{t['name']:<16} {t['layout']:<9} {t['fill']:<8} rows {t['rows']:>3}  "
              f"{t['right']:>4}/{t['cells']:<4} {t['share']:.3f}")
        for w in t["wrong"]:
            print(f"    {w}")
    print(f"\ncells equal to the clerk's: {result['right']}/{result['cells']} = {result['share']:.4f} "
          f"(target ≥ 0.95; {result['residents']} residents, {result['vendor']})")
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "aggregates.json").write_text(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
