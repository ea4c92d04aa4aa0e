#!/usr/bin/env python3
"""Does the department get what it asked? Cells right per template kind (not a test).

Three real-style templates built with openpyxl (tests/department_templates.py): a 独居老人
list with a two-level merged header, 性别/民族 (short names)/是否患慢性病 dropdowns, 出生年月
with a "格式：1950.01" note, 联系电话 and a 填报单位/填报日期 blank row; a 65岁以上老年人健康管理
list (a date-formatted column, 有/无, a masked phone); a 残疾人基本情况登记表 card. A synthetic
ledger of known people is written through `write_people`; each template is submitted,
admitted and exported for a community and for a township, read back with openpyxl and each
cell compared with what a careful clerk writes from the same people — computed here from
the list of people written, never from the ledger: the rows the title implies, the value,
its format (dropdown entry, 1950.01, real date, masked phone).

Score per kind: cells equal to the clerk's / cells the clerk or the export filled (a row
missing or extra counts each of its cells wrong; 序号 and the blanks count too). Also: values
outside their column's own dropdown (target 0), and the share of template columns whose
format was inferred from the template (bench_formats.measure, on these templates and on the
dev forms). Aggregates: bench_aggregates.py is run in a subprocess and its figure reused.

    .venv/bin/python bench/bench_report_accuracy.py            # SQLite in a temporary directory
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_acc .venv/bin/python bench/bench_report_accuracy.py
    ... --no-aggregates                                         # skip the aggregate bench

The aggregate bench runs on SQLite unless BENCH_AGG_DATABASE_URL names a fresh database.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import department_templates as dt_  # noqa: E402

PERIOD = "2026-11"
END = dt.date(2026, 11, 30)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
GIVEN = "秀英桂兰玉兰淑珍建华志强国平德明美玲丽华金凤永福春梅海燕伟杰子轩雨涵浩然"
ETHNIC = ["汉族"] * 14 + ["土家族", "苗族", "回族", "侗族", "瑶族", "蒙古族"]
CHRONIC = ["高血压", "糖尿病", "冠心病", "无", "无", "无", None]


def synthetic_people(units: list[tuple[str, str]], seed: int = 11) -> list[tuple[str, str, dt_.Person]]:
    """(community code, household number, person) for a few hundred residents of every age."""
    from yibiao.values.ids import check_digit

    rng = random.Random(seed)
    out = []
    n = 0
    names: set[str] = set()
    for code, community in units:
        for h in range(rng.randint(25, 40)):
            household = f"{code}{h:04d}"
            size = rng.choice([1, 1, 1, 2, 2, 3, 4])
            address = f"岳麓区{community}{rng.choice(['枫林路', '麓山路', '桃子湖路'])}{rng.randint(1, 200)}号"
            for _ in range(size):
                n += 1
                old = size == 1 and rng.random() < 0.7
                birth = dt.date(rng.randint(1925, 1966) if old else rng.randint(1925, 2024), rng.randint(1, 12),
                                rng.randint(1, 28))
                if rng.random() < 0.03:  # a birthday on the period's last day: 60 or 65 exactly then
                    birth = dt.date(rng.choice([1961, 1966]), 11, 30)
                body = f"430104{birth:%Y%m%d}{n % 100:02d}{rng.randint(0, 9)}"
                id_number = body + check_digit(body)
                while True:
                    name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice([1, 2])))
                    if name not in names:
                        names.add(name)
                        break
                disabled = rng.random() < 0.08
                person = dt_.Person(
                    name=name, id_number=id_number, community=community,
                    phone=f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}" if rng.random() < 0.85 else "",
                    ethnicity=rng.choice(ETHNIC), chronic=rng.choice(CHRONIC),
                    lives_alone=size == 1 and rng.random() < 0.85,
                    disability=rng.choice(dt_.DISABILITY) if disabled else "",
                    grade=rng.choice(dt_.GRADES) if disabled else "", address=address)
                out.append((code, household, person))
    return out


def ledger_values(p: dt_.Person) -> dict[str, object]:
    values: dict[str, object] = {"person.id_number": p.id_number, "person.name": p.name,
                                 "person.ethnicity": p.ethnicity, "person.lives_alone": "是" if p.lives_alone else "否",
                                 "person.residence_address": p.address}
    if p.phone:
        values["person.phone"] = p.phone
    if p.chronic is not None:
        values["person.chronic_disease"] = p.chronic
    if p.disability:
        values["person.disability_category"] = p.disability
        values["person.disability_grade"] = p.grade
    return values


def build_world() -> dict:
    from yibiao.accounts.models import Role, User
    from yibiao.ledger.records import PersonInput, write_people
    from yibiao.orgunits.divisions import add_unit
    from yibiao.orgunits.models import Level, OrgUnit

    county = OrgUnit.objects.get(code="430104")
    township = county.children.order_by("code").first()
    communities = [add_unit(f"{township.code}{i:03d}", name, Level.COMMUNITY, township)
                   for i, name in enumerate(["桃花岭社区", "白鹤社区", "岳麓村"], start=1)]
    admin = User.objects.create(username="bench-admin", role=Role.ADMIN, is_staff=True, is_superuser=True)
    people = synthetic_people([(u.code, u.name) for u in communities])
    by_code = {u.code: u for u in communities}
    for code in by_code:
        items = [PersonInput(ledger_values(p), household_number=h) for c, h, p in people if c == code]
        result = write_people(admin, by_code[code], items, valid_from=dt.date(2025, 3, 1))
        assert not result.rejected, result.rejected[:3]
    return {"county": county, "township": township, "community": communities[0], "admin": admin,
            "people": [(c, p) for c, _, p in people]}


# --- reading back and scoring ------------------------------------------------------------

class Score:
    def __init__(self) -> None:
        self.right = self.cells = self.outside = self.dropdown_cells = 0
        self.wrong: list[str] = []

    def cell(self, where: str, got: object, want: object, column: dt_.Column | None) -> None:
        if want is None and got in (None, ""):
            return  # neither the clerk nor the export wrote anything
        self.cells += 1
        if dt_.same(got, want):
            self.right += 1
        elif len(self.wrong) < 12:
            self.wrong.append(f"{where}: {got!r} ≠ {want!r}")
        if column is not None and column.choices and got not in (None, ""):
            self.dropdown_cells += 1
            if str(got) not in column.choices:
                self.outside += 1
                if len(self.wrong) < 12:
                    self.wrong.append(f"{where}: {got!r} not in its dropdown {column.choices}")


def score_list(t: dt_.Template, path: Path, want: list[dt_.Person], score: Score, today: dt.date) -> int:
    import openpyxl
    from openpyxl.utils import column_index_from_string

    ws = openpyxl.load_workbook(path).active
    name_col = column_index_from_string(t.name_column)
    got_rows: dict[str, int] = {}
    r = t.first_data
    while ws.cell(row=r, column=name_col).value not in (None, ""):
        got_rows[str(ws.cell(row=r, column=name_col).value)] = r
        r += 1
    wanted = {p.name: p for p in want}
    for name, person in wanted.items():
        row = got_rows.get(name)
        for header, col in t.columns.items():
            got = ws[f"{col.letter}{row}"].value if row else None
            score.cell(f"{col.letter}{row or '?'} {header} of {name}", got, col.clerk(person, END), col)
    for name, row in got_rows.items():
        if name not in wanted:  # a row the title does not ask for: every filled cell is wrong
            for header, col in t.columns.items():
                score.cell(f"{col.letter}{row} {header} of {name} (not asked)", ws[f"{col.letter}{row}"].value,
                           "<no such row>", None)
    seqs = [ws[f"A{row}"].value for row in sorted(got_rows.values())]
    for i, got in enumerate(seqs, start=1):
        score.cell(f"A{t.first_data + i - 1} 序号", got, i, None)
    _blanks(t, ws, score, today)
    return len(got_rows)


def _blanks(t: dt_.Template, ws, score: Score, today: dt.date) -> None:
    import re

    for ref, pattern in t.blanks.items():
        text = str(ws[ref].value or "")
        score.cells += 1
        if re.search(dt_.blank_pattern(pattern, today), text):
            score.right += 1
        else:
            score.wrong.append(f"{ref} blank: {text!r}")


def score_cards(t: dt_.Template, path: Path, want: list[dt_.Person], score: Score) -> int:
    import openpyxl

    wb = openpyxl.load_workbook(path)
    name_ref = t.columns["姓名"].letter
    cards = {str(ws[name_ref].value): ws for ws in wb.worksheets if ws[name_ref].value}
    wanted = {p.name: p for p in want}
    for name, person in wanted.items():
        ws = cards.get(name)
        for header, col in t.columns.items():
            got = ws[col.letter].value if ws is not None else None
            score.cell(f"{col.letter} {header} of {name}", got, col.clerk(person, END), col)
    for name, ws in cards.items():
        if name not in wanted:
            for header, col in t.columns.items():
                score.cell(f"{col.letter} {header} of {name} (not asked)", ws[col.letter].value, "<no such card>",
                           None)
    return len(cards)


def run(with_aggregates: bool) -> dict:
    from yibiao.accounts.models import Department
    from yibiao.gate.tables import workflow
    from yibiao.reports.export import export_report
    from yibiao.reports.periods import parse_period

    world = build_world()
    Department.objects.get_or_create(name="区卫生健康局")
    period = parse_period(PERIOD)
    today = dt.date.today()
    kinds: dict[str, Score] = {"list": Score(), "card": Score()}
    out: dict = {"residents": len(world["people"]), "exports": []}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for t in dt_.TEMPLATES:
            path = t.build(folder / t.file)
            request = workflow.submit(world["admin"], path, workflow.NewRequest(
                title=t.title, department="区卫生健康局", basis="《国家基本公共卫生服务规范（第三版）》",
                frequency="monthly", scope_code=world["county"].code, justifications=dict(t.justify),
                masked=list(t.mask)))
            request = workflow.decide(world["admin"], request, "admit", mappings_checked=True)
            for where in ("community", "township"):
                unit = world[where]
                result = export_report(world["admin"], request, unit, period, folder / "out" / where / t.file)
                want = [p for code, p in world["people"] if code.startswith(unit.code) and t.wants(p, END)]
                before = Score()
                score = kinds[t.kind]
                before.__dict__.update({k: v for k, v in score.__dict__.items() if k != "wrong"})
                got = (score_list(t, result.path, want, score, today) if t.kind == "list"
                       else score_cards(t, result.path, want, score))
                out["exports"].append({
                    "template": t.title, "kind": t.kind, "unit": unit.name, "rows_wanted": len(want),
                    "rows_written": got, "filter": request.subject_filter, "filter_status": request.filter_status,
                    "right": score.right - before.right, "cells": score.cells - before.cells,
                    "outside_dropdown": score.outside - before.outside})
        from bench_formats import measure

        out["formats_these"] = measure([folder / t.file for t in dt_.TEMPLATES])
    out["kinds"] = {kind: {"right": s.right, "cells": s.cells, "share": round(s.right / s.cells, 4) if s.cells else None,
                           "outside_dropdown": s.outside, "dropdown_cells": s.dropdown_cells, "wrong": s.wrong}
                    for kind, s in kinds.items()}
    return out


def dev_forms_formats() -> dict:
    from bench_formats import measure

    forms = HERE / "data" / "forms-dev"
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, str(HERE / "forms_to_xlsx.py"), str(forms / "forms.jsonl"),
                        str(forms / "gold.jsonl"), tmp], check=True, capture_output=True)
        manifest = [json.loads(line) for line in (Path(tmp) / "manifest.jsonl").open(encoding="utf-8")]
        return measure([Path(tmp) / e["file"] for e in manifest])


def aggregates() -> dict | None:
    env = {k: v for k, v in os.environ.items() if k not in ("BENCH_DATABASE_URL", "DATABASE_URL")}
    if os.environ.get("BENCH_AGG_DATABASE_URL"):  # a fresh database of its own: it builds its world
        env["BENCH_DATABASE_URL"] = os.environ["BENCH_AGG_DATABASE_URL"]
    saved = HERE / "results" / "aggregates.json"
    before = saved.read_bytes() if saved.exists() else None  # that bench's own result stays its own
    try:
        done = subprocess.run([sys.executable, str(HERE / "bench_aggregates.py")], env=env, capture_output=True,
                              text=True)
        if done.returncode:
            return {"error": done.stderr[-2000:]}
        data = json.loads(saved.read_text(encoding="utf-8"))
    finally:
        if before is not None:
            saved.write_bytes(before)
    return {"right": data["right"], "cells": data["cells"], "share": data["share"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-aggregates", action="store_true", help="do not run bench_aggregates.py")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3")
        os.environ.setdefault("YIBIAO_VAR_DIR", tmp)
        from yibiao.cli import setup_django

        setup_django()
        from django.db import connection

        from yibiao.setup import initialise

        initialise()
        result = run(not args.no_aggregates)
        result["vendor"] = connection.vendor
        if connection.vendor == "postgresql":  # the aggregate bench builds its own world there
            connection.close()
    result["formats_dev_forms"] = dev_forms_formats()
    if not args.no_aggregates:
        result["aggregates"] = aggregates()
    for e in result["exports"]:
        print(f"{e['template']:<16} {e['unit']:<6} rows {e['rows_written']:>3}/{e['rows_wanted']:<3} "
              f"{e['right']:>4}/{e['cells']:<4} outside dropdown {e['outside_dropdown']}  "
              f"filter {e['filter_status']}")
    print()
    for kind, s in result["kinds"].items():
        print(f"{kind:<10} cells right {s['right']}/{s['cells']} = {s['share']}   (target ≥ 0.98)   "
              f"values outside their dropdown {s['outside_dropdown']}/{s['dropdown_cells']} (target 0)")
        for w in s["wrong"]:
            print(f"    {w}")
    agg = result.get("aggregates")
    if agg:
        print(f"aggregate  cells right {agg.get('right')}/{agg.get('cells')} = {agg.get('share')}   (target ≥ 0.95; "
              "bench_aggregates.py)" if "share" in agg else f"aggregate  bench_aggregates.py failed: {agg}")
    for name in ("formats_these", "formats_dev_forms"):
        f = result[name]
        print(f"format inferred from the template ({name[8:].replace('_', ' ')}): {f['inferred']}/{f['columns']} = "
              f"{f['inferred_share']}; where a format matters {f['inferred_share_where_it_matters']} "
              f"({f['format_matters']} columns); by source {dict(Counter(f['by_source']))}")
    print(f"({result['residents']} residents, {result['vendor']})")
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "report_accuracy.json").write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str),
                                                  encoding="utf-8")


if __name__ == "__main__":
    main()
