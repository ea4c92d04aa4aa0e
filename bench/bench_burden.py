#!/usr/bin/env python3
"""Issue 7: a year of department requests in the demo county, and what workers type (not a test).

The demo county (synthetic people, real divisions) receives the demo's seven requests and
fourteen more (bench/scenario_templates.py: shared dev forms and county-style ones,
monthly, quarterly and yearly, overlapping, two exact duplicates, near-duplicates with new
columns). Everything goes through the product: `workflow.submit` and `decide` (the
reviewer admits what the analysis does not call a duplicate), `tasks.create_tasks` for
every period of 2026, and per community a worker who types every cell the task page asks
for (`tasks.complete`, the page's path) and submits (`tasks.submit`). Between months the
ledger changes a little (`write_people`: new phones, people moving in and between
communities), so later periods hold a few genuinely new facts.

Printed, all from what happened:
  by hand     every cell of every table that reached a community (rows × columns of the
              report the product built), plus the requests the gate stopped, as if filled
              by hand every period (their analysis' hand_cells_per_period × periods);
  yibiao      Σ Task.cells_typed, the product's own count of cells typed;
  floor       distinct pieces of new information the year needed — see FLOOR below;
  ratios      yibiao ÷ floor (target ≤ 1.02), by hand ÷ yibiao (target ≥ 5);
and the burden ledger's `figures()` for the county, checked against the same totals.

    .venv/bin/python bench/bench_burden.py                   # 3,000 households
    BENCH_SCALE=0.1 .venv/bin/python bench/bench_burden.py   # 300 households
    BENCH_PROFILE=1 ...                                      # cProfile the year, top 30
    ... --database-url postgres://user@host/db               # PostgreSQL (must be empty)
"""
from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import os
import pstats
import random
import re
import sys
import tempfile
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

YEAR = 2026
SEED = 1
FLOOR = (
    "floor = distinct (subject, what is asked, validity) the year needed and the ledger did not "
    "hold. subject: a person, or a grid for a count. what is asked: the column's wording, "
    "normalised, with synonyms folded (电话 = 联系电话), so the same fact asked under two "
    "elements counts once. validity: for a state (电话, 入伍时间) its value — typed once it "
    "stays true; for an activity column (本月探访次数, 走访时间: the template says which) the "
    "period — every period is new information. It is the union of what workers typed and "
    "the activity values the product carried over from an earlier period instead of asking."
)


@dataclass
class Outcome:
    """Per request: what reached communities and what was typed into it."""

    title: str
    department: str
    frequency: str
    status: str
    source: str
    tasks: int = 0
    rows: int = 0
    hand_cells: int = 0
    typed: int = 0
    stale: int = 0
    note: str = ""


@dataclass
class Year:
    """What happened, measured while it happened."""

    outcomes: dict[int, Outcome] = field(default_factory=dict)
    typed_keys: Counter = field(default_factory=Counter)  # floor key -> times typed
    first_typed_by: dict[tuple, tuple[int, str]] = field(default_factory=dict)
    re_asked: Counter = field(default_factory=Counter)  # (request, header, first request, header)
    stale_keys: set = field(default_factory=set)
    stale_by_column: Counter = field(default_factory=Counter)
    entries: int = 0
    problems: list[str] = field(default_factory=list)
    upkeep_cells: int = 0
    upkeep: Counter = field(default_factory=Counter)
    hand_from_reports: int = 0
    unsubmitted: int = 0


# Wordings of one fact, folded for the floor (the product's own mapping is what is measured).
SYNONYMS = {
    "电话": "联系电话", "电话号码": "联系电话", "身份证": "公民身份号码", "身份证号": "公民身份号码",
    "公民身份证号": "公民身份号码", "现住地": "现居住地址", "现住地详址": "现居住地址",
    "居住地址": "现居住地址", "户籍地": "户籍地址", "户籍地详址": "户籍地址",
    "服务对象名字": "姓名", "走访对象": "姓名", "本月探访次数": "本月探访次数",
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
WORDS = ["无", "良好", "需关注", "已落实", "正常", "一般"]


def concept(header: str) -> str:
    from yibiao.matching import normalise

    text = normalise(header)
    return SYNONYMS.get(text, text)


def stable_rng(*parts: object) -> random.Random:
    return random.Random(zlib.crc32("|".join(map(str, parts)).encode()))


def id_number(rng: random.Random, birth: dt.date) -> str:
    from stdnum.cn import ric

    id17 = f"430104{birth:%Y%m%d}{rng.randint(900, 998):03d}"
    return id17 + ric.calc_check_digit(id17 + "0")  # it ignores the last character


def mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}"


def plausible(rule: object, header: str, rng: random.Random, period: object, activity: bool) -> str:
    """A value a worker would type, valid for the element's rule (or by the header's words)."""
    from yibiao.values import get_code_list

    kind = getattr(rule, "value_type", "text")
    if getattr(rule, "code_list", None):
        return rng.choice(list(get_code_list(rule.code_list))).code
    if kind == "boolean" or header.startswith("是否"):
        return rng.choice(["是", "否"])
    if kind == "phone" or re.search("电话|手机", header):
        return mobile(rng)
    if kind == "id_number" or "身份证" in header:
        return id_number(rng, dt.date(rng.randint(1950, 2000), rng.randint(1, 12), rng.randint(1, 28)))
    if kind == "date" or re.search("时间|日期", header):
        if activity:
            return (period.start + dt.timedelta(days=rng.randint(0, (period.end - period.start).days))).isoformat()
        return dt.date(rng.randint(1975, 2025), rng.randint(1, 12), rng.randint(1, 28)).isoformat()
    if kind in ("integer", "decimal") or re.search("次数|人数|人口|户数", header):
        return str(rng.randint(0, 4))
    if re.search("金额|元", header):
        return str(rng.choice([100, 150, 200, 300, 500]))
    if "账号" in header:
        return "6217" + "".join(str(rng.randint(0, 9)) for _ in range(15))
    if re.search("姓名|名字|人员|民警", header):
        return rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
    if re.search("地址|住址|详址|区县", header):
        return f"岳麓区{rng.choice('东南西北')}湖路{rng.randint(1, 300)}号"
    if "状态" in header:
        return rng.choice(["已接种", "未接种"])
    return rng.choice(WORDS)


# ------------------------------------------------------------------ the year


def setup(database_url: str | None, households: int) -> Path:
    """A fresh database and the demo county's people, without the demo's requests: the
    year starts on 1 January with nothing typed (load_demo would also complete tasks for
    recent months before January's tasks exist, which would blur what is re-asked)."""
    var = Path(tempfile.mkdtemp(prefix="bench-burden-"))
    os.environ["YIBIAO_VAR_DIR"] = str(var)
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{var / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yibiao.settings")
    import django

    django.setup()
    from yibiao.demo.load import DEMO_COUNTY, ensure_accounts, write_county
    from yibiao.demo.synth import generate_county
    from yibiao.orgunits.models import OrgUnit
    from yibiao.setup import initialise

    initialise()
    county = OrgUnit.objects.get(code=DEMO_COUNTY)
    townships = [(t.code, t.name) for t in county.children.order_by("code")]
    write_county(county, generate_county(county.code, county.name, townships, seed=SEED,
                                         households=households))
    ensure_accounts(county)
    return var


def workers(county: object) -> dict[str, object]:
    """One worker per community, scoped to it."""
    from yibiao.accounts.models import Role, User
    from yibiao.orgunits.models import Level, OrgUnit

    out = {}
    for community in OrgUnit.objects.subtree(county.code).filter(level=Level.COMMUNITY).order_by("code"):
        user, _ = User.objects.get_or_create(username=f"bw{community.code}",
                                             defaults={"role": Role.WORKER, "org_unit": community})
        out[community.code] = user
    return out


def write_sheet(title: str, headers: list[str], folder: Path) -> Path:
    from yibiao.demo.requests import DemoTemplate, write_template

    return write_template(DemoTemplate(title, "", "monthly", headers, ""), folder)


def submit_requests(county: object, year: Year) -> tuple[list, dict[int, frozenset[str]]]:
    """Every template through the gate; the reviewer rejects what the analysis calls a
    duplicate (and the demo's own reject), admits the rest."""
    from scenario_templates import DEMO_ACTIVITY, TEMPLATES

    from yibiao.accounts.models import User
    from yibiao.demo.requests import TEMPLATES as DEMO
    from yibiao.gate.tables import workflow

    admin = User.objects.get(username="admin")
    reviewer = User.objects.get(username="reviewer")
    items = [(t.title, t.department, t.frequency, t.headers, t.basis, t.subject_filter,
              DEMO_ACTIVITY.get(t.title, frozenset()), "demo", t.direct) for t in DEMO]
    items += [(t.title, t.department, t.frequency, t.headers, t.basis, t.subject_filter,
               t.activity, t.source, False) for t in TEMPLATES]
    admitted, activity = [], {}
    with tempfile.TemporaryDirectory() as folder:
        for title, department, frequency, headers, basis, filter_, active, source, direct in items:
            path = write_sheet(title, headers, Path(folder))
            new = workflow.NewRequest(title=title, department=department, basis=basis,
                                      frequency=frequency, scope_code=county.code,
                                      subject_filter=filter_)
            try:
                request = workflow.submit(admin, path, new)
            except workflow.GateRefused as refused:
                if not refused.needs_justification:
                    raise
                # The officer answers the form's question: why each sensitive element.
                new.justifications = {e: f"{title}：核实服务对象身份，最小必要"
                                      for e, _ in refused.needs_justification}
                request = workflow.submit(admin, path, new)
            duplicate = request.analysis.get("duplicate_of")
            demo_reject = source == "demo" and title == "独居老人情况统计"
            if duplicate or demo_reject:
                request = workflow.decide(reviewer, request, "reject",
                                          f"与第 {duplicate} 号已准入报表重复" if duplicate else "无文件依据")
            else:
                # The reviewer answers the page's question for each new column: asked again
                # each period (an activity), or typed once (a state)?
                periods = {c["column"]: c["header"] in active for c in request.columns
                           if not c.get("element")}
                request = workflow.decide(reviewer, request, "admit", "依据充分", direct_delivery=direct,
                                          mappings_checked=True, per_period=periods)
                admitted.append(request)
            activity[request.pk] = active
            year.outcomes[request.pk] = Outcome(title, request.department.name, frequency,
                                                request.status, source)
    return admitted, activity


def due(request: object, month: int) -> str | None:
    """The period of the request that ends with this month, if any."""
    if request.frequency == "monthly":
        return f"{YEAR}-{month:02d}"
    if request.frequency == "quarterly" and month % 3 == 0:
        return f"{YEAR}Q{month // 3}"
    if request.frequency == "yearly" and month == 12:
        return str(YEAR)
    return None


def change_ledger(month: int, staff: dict[str, object], rng: random.Random, year: Year) -> None:
    """A month of life: a few new phones, a few people moving in from outside or between
    communities — entered in the ledger by the community's worker (source = entry)."""
    from yibiao.ledger.models import Fact, Person, Residence
    from yibiao.ledger.records import PersonInput, write_people
    from yibiao.orgunits.models import Level, OrgUnit

    on = dt.date(YEAR, month, 10)
    living = list(Residence.objects.filter(valid_to__isnull=True, org_code__startswith="430104")
                  .values_list("person_id", "org_code"))
    if not living:
        return
    n = max(1, len(living) // 500)
    grids = {c: list(OrgUnit.objects.filter(parent__code=c, level=Level.GRID)) for c in staff}
    ids = dict(Person.objects.filter(pk__in=[p for p, _ in living]).values_list("pk", "id_number"))
    with_phone = set(Fact.objects.filter(element="person.phone", subject_id__in=[p for p, _ in living])
                     .values_list("subject_id", flat=True))
    for person_id, code in rng.sample([x for x in living if x[0] in with_phone], n):
        community = code[:12]
        result = write_people(staff[community], OrgUnit.objects.get(code=code),
                              [PersonInput({"person.id_number": ids[person_id], "person.phone": mobile(rng)})],
                              valid_from=on)
        year.upkeep["phone changed"] += 1
        year.upkeep_cells += 1
        year.problems += [p.message_zh for p in result.rejected]
    for i in range(n):  # from outside the county: an elderly person alone, or a migrant worker
        community = rng.choice(sorted(staff))
        grid = rng.choice(grids[community])
        elderly = i % 2 == 0
        birth = dt.date(rng.randint(1936, 1960) if elderly else rng.randint(1985, 2002),
                        rng.randint(1, 12), rng.randint(1, 28))
        values = {"person.id_number": id_number(rng, birth),
                  "person.name": rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                  "person.phone": mobile(rng), "person.relation_to_head": "02",
                  "person.hukou_type": "本地户籍" if elderly else "外地户籍",
                  "person.residence_status": "常住" if elderly else "流动",
                  "person.lives_alone": "是" if elderly else "否",
                  "person.empty_nester": "是" if elderly else "否"}
        result = write_people(staff[community], grid, [PersonInput(
            values, household_number=f"B{YEAR}{month:02d}{i:04d}")], valid_from=on)
        year.upkeep["moved in"] += 1
        year.upkeep_cells += len(values)
        year.problems += [p.message_zh for p in result.rejected]
    for person_id, code in rng.sample(living, n):  # to another community of the county
        target = rng.choice([c for c in sorted(staff) if c != code[:12]])
        result = write_people(staff[target], rng.choice(grids[target]), [PersonInput(
            {"person.id_number": ids[person_id]}, household_number=f"M{YEAR}{month:02d}{person_id}")],
            valid_from=on)
        year.upkeep["moved within the county"] += 1
        year.upkeep_cells += 1
        year.problems += [p.message_zh for p in result.rejected]


def fill(task: object, worker: object, activity: frozenset[str], rules: object, year: Year) -> None:
    """What the worker does on the task page: type every missing cell, then submit.

    Activity cells the product pre-filled from an earlier period are not offered on the
    page; they are counted as stale (needed, never asked), not typed."""
    from yibiao.reports import prefill, tasks
    from yibiao.reports.periods import parse_period

    request = task.request
    period = parse_period(task.period)
    report = tasks.report_for(task)
    year.hand_from_reports += report.cells
    outcome = year.outcomes[request.pk]
    entries = {}
    for row in report.rows:
        for column, cell in zip(request.columns, row.cells, strict=True):
            header = column["header"]
            is_activity = header in activity or request.layout == "aggregate"
            key = (row.key, concept(header), period.key if is_activity else "state")
            if cell.source == prefill.MISSING:
                rng = stable_rng(SEED, *key)
                entries[(row.key, column["column"])] = plausible(
                    rules.elements.get(column.get("element") or ""), header, rng, period, is_activity)
                year.typed_keys[key] += 1
                if key in year.first_typed_by:
                    year.re_asked[(request.pk, header, *year.first_typed_by[key])] += 1
                else:
                    year.first_typed_by[key] = (request.pk, header)
            elif is_activity and cell.source == prefill.LEDGER and key not in year.first_typed_by:
                # This period's value was never typed: what is shown is an earlier period's.
                year.stale_keys.add(key)
                year.stale_by_column[(request.pk, header)] += 1
                outcome.stale += 1
    if entries:
        result = tasks.complete(worker, task, entries)
        year.entries += len(entries)
        if result.problems or result.cell_errors:  # a refused cell no longer refuses the save
            year.problems += [f"{request.title}: {p}" for p in [*result.problems, *result.cell_errors.values()]]
    try:  # submit recounts the task: what another task typed this period may have filled it
        tasks.submit(worker, task)
    except tasks.TaskError as error:
        year.unsubmitted += 1
        year.problems.append(f"{request.title} {task.period}: {error}")


def run_year(county: object, staff: dict[str, object], year: Year) -> list:
    from yibiao.dictionary.rules import Rules
    from yibiao.reports import tasks
    from yibiao.reports.periods import parse_period

    admitted, activity = submit_requests(county, year)
    rng = random.Random(SEED)
    for month in range(1, 13):
        if month > 1:
            change_ledger(month, staff, rng, year)
        rules = Rules.load()  # admission adds elements; reload once a month is plenty
        keys = set()
        for request in admitted:
            if key := due(request, month):
                period = parse_period(key)
                tasks.create_tasks(request, period, today=period.end)
                keys.add(key)
        for code, worker in staff.items():
            for task in (tasks.open_tasks(worker).filter(period__in=keys, org_code=code)
                         .select_related("request").order_by("request_id")):
                fill(task, worker, activity[task.request_id], rules, year)
        print(f"  {YEAR}-{month:02d}: periods {', '.join(sorted(keys))}", flush=True)
    return admitted


# ------------------------------------------------------------------ figures


def measure(county: object, year: Year) -> dict:
    from django.db.models import Count, Sum

    from yibiao.accounts.models import User
    from yibiao.burden.ledger import figures
    from yibiao.gate.models import FormRequest, Status
    from yibiao.ledger.models import Fact, Source
    from yibiao.reports.models import Task, TaskStatus, TaskValue
    from yibiao.reports.periods import parse_period

    tasks = Task.objects.filter(org_code__startswith=county.code, period_start__year=YEAR)
    for row in tasks.values("request").annotate(n=Count("id"), rows=Sum("rows"), asked=Sum("cells_asked"),
                                                typed=Sum("cells_typed")):
        outcome = year.outcomes[row["request"]]
        outcome.tasks, outcome.rows = row["n"], row["rows"]
        outcome.hand_cells, outcome.typed = row["asked"], row["typed"]
    stopped = 0
    for request in FormRequest.objects.filter(pk__in=year.outcomes).exclude(status=Status.ADMITTED):
        burden = request.analysis["burden"]
        cells = burden["hand_cells_per_period"] * burden["periods_per_year"]
        year.outcomes[request.pk].hand_cells = cells
        year.outcomes[request.pk].note = "stopped at the gate: " + (request.decision_reason or "")
        stopped += cells
    asked = tasks.aggregate(n=Sum("cells_asked"))["n"] or 0
    typed = tasks.aggregate(n=Sum("cells_typed"))["n"] or 0
    floor_keys = set(year.typed_keys) | year.stale_keys
    floor = len(floor_keys)
    hand = asked + stopped
    ledger = figures(User.objects.get(username="admin"), county, parse_period(f"{YEAR}-01"),
                     parse_period(f"{YEAR}-12"))
    completion_facts = Fact.objects.filter(source=Source.COMPLETION, org_code__startswith=county.code)
    return {
        "hand": hand, "hand_reached": asked, "hand_stopped": stopped, "typed": typed,
        "floor": floor, "floor_typed": len(year.typed_keys), "floor_stale_only": floor - len(year.typed_keys),
        "ratio_typed_floor": round(typed / floor, 4) if floor else None,
        "ratio_hand_typed": round(hand / typed, 2) if typed else None,
        "stale_cells": sum(year.stale_by_column.values()),
        "ratio_typed_floor_if_asked": round((typed + sum(year.stale_by_column.values())) / floor, 4)
        if floor else None,
        "ratio_hand_typed_if_asked": round(hand / (typed + sum(year.stale_by_column.values())), 2)
        if typed else None,
        "entries_given": year.entries, "tasks": tasks.count(),
        "tasks_unsubmitted": year.unsubmitted,
        "hand_from_reports_opened": year.hand_from_reports,
        "hand_delivered": tasks.filter(status=TaskStatus.DELIVERED).aggregate(n=Sum("cells_asked"))["n"] or 0,
        "completion_facts": completion_facts.count(),
        "completion_facts_distinct": completion_facts.values("subject_id", "element", "valid_from")
        .distinct().count(),
        "task_values": TaskValue.objects.filter(task__in=tasks).count(),
        "upkeep_cells": year.upkeep_cells, "upkeep": dict(year.upkeep),
        "ledger_figures": {"cells_asked": ledger.total.cells_asked, "cells_typed": ledger.total.cells_typed,
                           "cells_auto": ledger.total.cells_auto, "cells_empty": ledger.total.cells_empty,
                           "tasks": ledger.total.tasks, "zero_touch": ledger.total.zero_touch,
                           "hours_spent": ledger.total.hours_spent, "hours_by_hand": ledger.total.hours_by_hand,
                           "gate": ledger.gate.__dict__},
        "re_asked": [{"request": r, "header": h, "first_request": fr, "first_header": fh, "cells": n}
                     for (r, h, fr, fh), n in year.re_asked.most_common()],
        "stale": [{"request": r, "header": h, "cells": n} for (r, h), n in year.stale_by_column.most_common()],
        "problems": year.problems[:20],
    }


def verdict_floor(r: dict) -> str:
    ratio = r["ratio_typed_floor"]
    if ratio is None or ratio > 1.02:
        return "MISSED: facts were asked more than once (see re-asked)"
    if r["floor_stale_only"]:
        return (f"within target only because the product under-asks: {r['floor_stale_only']} needed "
                "values were never asked (see stale)")
    return "met"


def report(result: dict, year: Year, meta: dict) -> str:
    out = [f"yibiao burden benchmark — {meta['households']} households, {meta['communities']} "
           f"communities, {meta['people']} people, {YEAR}; runtime {meta['seconds']:.0f} s "
           f"(setup {meta['setup_seconds']:.0f} s)", ""]
    out.append(f"{'#':>3} {'request':<22} {'dept':<12} {'freq':<9} {'status':<9} {'tasks':>5} "
               f"{'rows':>6} {'by hand':>8} {'typed':>6} {'stale':>5}")
    for pk, o in year.outcomes.items():
        out.append(f"{pk:>3} {o.title[:20]:<22} {o.department[:10]:<12} {o.frequency:<9} {o.status:<9} "
                   f"{o.tasks:>5} {o.rows:>6} {o.hand_cells:>8} {o.typed:>6} {o.stale:>5}")
    r = result
    lf = r["ledger_figures"]
    out += [
        "",
        f"cells typed by hand (every cell, every table)   {r['hand']:>9}  "
        f"(reached communities {r['hand_reached']}, stopped at the gate {r['hand_stopped']})",
        f"cells typed with yibiao (Σ Task.cells_typed)    {r['typed']:>9}",
        f"floor (distinct new facts)                      {r['floor']:>9}  "
        f"(typed {r['floor_typed']}, needed but carried over stale {r['floor_stale_only']})",
        f"yibiao ÷ floor   {r['ratio_typed_floor']}  (target ≤ 1.02) {verdict_floor(r)}",
        f"by hand ÷ yibiao {r['ratio_hand_typed']}  (target ≥ 5) "
        f"{'met' if r['ratio_hand_typed'] and r['ratio_hand_typed'] >= 5 else 'MISSED'}",
        f"had the product asked every stale activity cell ({r['stale_cells']}): yibiao ÷ floor "
        f"{r['ratio_typed_floor_if_asked']}, by hand ÷ yibiao {r['ratio_hand_typed_if_asked']}",
        "",
        f"burden ledger figures(county, {YEAR}-01…{YEAR}-12): asked {lf['cells_asked']}, typed "
        f"{lf['cells_typed']}, auto {lf['cells_auto']}, empty {lf['cells_empty']}, tasks {lf['tasks']}, "
        f"zero-touch {lf['zero_touch']}; gate stopped {lf['gate']['stopped_cells_per_year']} cells/yr",
        f"  agree with the totals above: typed {'yes' if lf['cells_typed'] == r['typed'] else 'NO'}, "
        f"asked {'yes' if lf['cells_asked'] == r['hand_reached'] else 'NO'}, "
        f"stopped {'yes' if lf['gate']['stopped_cells_per_year'] == r['hand_stopped'] else 'NO'}; "
        f"entries given to tasks.complete {r['entries_given']}",
        f"ledger upkeep outside tasks (not in either ratio): {r['upkeep_cells']} cells {r['upkeep']}",
        f"hand cells from the reports workers opened {r['hand_from_reports_opened']} "
        f"+ delivered without opening {r['hand_delivered']} (= asked above: "
        f"{'yes' if r['hand_from_reports_opened'] + r['hand_delivered'] == r['hand_reached'] else 'NO'})",
        f"tasks {r['tasks']}, left unsubmitted {r['tasks_unsubmitted']}; completion facts "
        f"{r['completion_facts']}; aggregate task values {r['task_values']}",
        "", "FLOOR: " + FLOOR,
    ]
    if r["re_asked"]:
        out += ["", "re-asked (typed again under another column/request; request ← first asked by):"]
        out += [f"  #{x['request']} {x['header']} ← #{x['first_request']} {x['first_header']}: {x['cells']}"
                for x in r["re_asked"][:15]]
    if r["stale"]:
        out += ["", "activity values pre-filled from an earlier period (never asked, report stale):"]
        out += [f"  #{x['request']} {x['header']}: {x['cells']}" for x in r["stale"][:15]]
    if r["problems"]:
        out += ["", "problems:"] + [f"  {p}" for p in r["problems"]]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: SQLite in a temp dir)")
    args = parser.parse_args()
    scale = float(os.environ.get("BENCH_SCALE", "1"))
    households = max(50, int(3000 * scale))
    started = time.perf_counter()
    setup(args.database_url, households)
    from yibiao.demo.load import DEMO_COUNTY
    from yibiao.ledger.models import Person
    from yibiao.orgunits.models import OrgUnit

    county = OrgUnit.objects.get(code=DEMO_COUNTY)
    staff = workers(county)
    setup_seconds = time.perf_counter() - started
    year = Year()
    profiler = cProfile.Profile() if os.environ.get("BENCH_PROFILE") == "1" else None
    if profiler:
        profiler.enable()
    run_year(county, staff, year)
    if profiler:
        profiler.disable()
    result = measure(county, year)
    meta = {"scale": scale, "households": households, "communities": len(staff),
            "people": Person.objects.count(), "seconds": round(time.perf_counter() - started, 1),
            "setup_seconds": round(setup_seconds, 1)}
    print(report(result, year, meta))
    if profiler:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(30)
        print(text.getvalue())
    out = HERE / "results" / "burden.json"
    out.write_text(json.dumps({"meta": meta, "floor_definition": FLOOR, **result,
                               "requests": {pk: o.__dict__ for pk, o in year.outcomes.items()}},
                              ensure_ascii=False, indent=1))
    print(f"\nwritten {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
