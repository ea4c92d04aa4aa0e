#!/usr/bin/env python3
"""As-of reads of one community and one township while the county grows (not a test).

One database per backend (SQLite file; PostgreSQL `bench_asof`, dropped and recreated when
reachable). The county 430104 is grown by `bench/generate.py` to 10k, 100k and 1M residents
(× BENCH_SCALE); after each step the tables are VACUUM ANALYZEd (ANALYZE on SQLite: what
autovacuum does) and the product's own read, `yibiao.ledger.snapshot.people_as_of(code, date)`, is
timed for the same community (the largest of the first piece, identical at every size)
and for the first township (which does grow: read time per 1,000 residents is given).

The baseline is the smallest county measured in the same run: the ratio largest/smallest
must stay near 1 for a community. The query plans at the largest size are printed, on
PostgreSQL with the partitions each reads: the tables are partitioned by county (issue 17,
ledger/partitions.py) and empty partitions of four neighbouring counties are made, so a
plan that did not prune to 430104 would name them. The county's roll-up plans follow.

    .venv/bin/python bench/bench_asof.py                 # 10k, 100k, 1M
    BENCH_SCALE=0.1 .venv/bin/python bench/bench_asof.py # 1k, 10k, 100k
    BENCH_DBS=postgresql ...                             # one backend only (sqlite, postgresql)
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

SCALE = float(os.environ.get("BENCH_SCALE", "1"))
SIZES = [int(n * SCALE) for n in (10_000, 100_000, 1_000_000)]
PIECE_HOUSEHOLDS = max(50, int(5000 * SCALE))
PG_URL = os.environ.get("BENCH_PG_ASOF", "postgres://postgres@127.0.0.1:5432/bench_asof")
AS_OF = dt.date(2026, 6, 30)
REPEAT = 5


def timed(fn, repeat: int = REPEAT) -> tuple[float, object]:  # noqa: ANN001
    """Median seconds of `repeat` calls (after one warm-up), and the last result."""
    result = fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def plans(community: str) -> list[str]:
    """The plan of each query people_as_of runs for the community (facts and ID numbers by
    the residents' ids, as the product reads them)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from yibiao.ledger.models import Fact, Person, SubjectKind
    from yibiao.ledger.partitions import fact_county_q
    from yibiao.ledger.snapshot import residences_as_of
    from yibiao.reports.periods import parse_period
    from yibiao.reports.rollup import rollup

    residences = residences_as_of(community, AS_OF).order_by(
        "org_code", "household_id", "relation_to_head", "person_id").values_list(
            "person_id", "household_id", "org_code", "relation_to_head")
    ids = [r[0] for r in residences]
    queries = [
        residences,
        Fact.objects.filter(fact_county_q(community), subject_kind=SubjectKind.PERSON, subject_id__in=ids,
                            valid_from__lte=AS_OF)
        .order_by("subject_id", "element", "valid_from", "id").values_list("subject_id", "element", "value"),
        Person.objects.filter(pk__in=ids).values_list("pk", "id_number"),
    ]
    options = {"analyze": True} if connection.vendor == "postgresql" else {}
    out = [q.explain(**options) for q in queries]
    if connection.vendor == "postgresql":  # the county's roll-up: its ledger queries' plans
        indicators = [{"count": "person", "filter": [{"element": "person.lives_alone", "op": "=", "value": "1"}]}]
        with CaptureQueriesContext(connection) as captured:
            rollup(community[:6], parse_period("2026Q2"), indicators)
        with connection.cursor() as cursor:
            for query in captured.captured_queries:
                if "ledger_fact" in query["sql"] or "ledger_residence" in query["sql"]:
                    cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + query["sql"])
                    out.append("\n".join(row[0] for row in cursor.fetchall()))
    return out


def partitions_in(plan: str) -> list[str]:
    """The partitions a plan reads (PostgreSQL)."""
    return sorted(set(re.findall(r"\b(ledger_(?:fact|residence)_(?:\d{6}|default))\b", plan)))


def child(db_url: str) -> None:
    os.environ["DATABASE_URL"] = db_url
    from yibiao.cli import setup_django

    setup_django()
    import generate
    from django.db import connection

    from yibiao.ledger.models import Fact, Residence
    from yibiao.ledger.snapshot import people_as_of
    from yibiao.setup import initialise

    initialise()
    if connection.vendor == "postgresql":
        # Neighbouring counties' partitions (empty): a plan that did not prune would read them.
        from yibiao.ledger.partitions import ensure_counties

        ensure_counties(["430102", "430103", "430105", "430111"])
    codes = generate.Codes()
    towns = generate.townships()
    township = towns[0][0]
    built = 0
    steps = []
    community = None
    for size in SIZES:
        target = generate.pieces_for(size, PIECE_HOUSEHOLDS)
        start = time.perf_counter()
        done = generate.build(built, target, PIECE_HOUSEHOLDS, codes, log=False)
        load_s = time.perf_counter() - start
        built = target
        with connection.cursor() as cursor:
            # What autovacuum does to a table after a bulk load: statistics, and on
            # PostgreSQL the visibility map and hint bits (without VACUUM the first reads of
            # freshly copied rows pay for them, which looks like growth with the county).
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        if community is None:  # the largest community of the first piece: the same at every size
            counts = Counter(r.org_code[:12] for r in people_as_of(township, AS_OF))
            community = counts.most_common(1)[0][0]
        county_people = Residence.objects.filter(org_code__startswith=generate.COUNTY).count()
        facts = Fact.objects.count()
        c_s, c_rows = timed(lambda c=community: people_as_of(c, AS_OF))
        t_s, t_rows = timed(lambda: people_as_of(township, AS_OF), repeat=3)
        elements = statistics.mean(len(r.values) for r in c_rows)
        steps.append({"target": size, "county_people": county_people, "facts": facts,
                      "load_s": round(load_s, 1), "pieces_added": done.pieces,
                      "community": community, "community_people": len(c_rows),
                      "elements_per_person": round(elements, 1), "community_s": round(c_s, 4),
                      "township": township, "township_people": len(t_rows), "township_s": round(t_s, 4),
                      "township_ms_per_1000": round(1000 * t_s / max(1, len(t_rows)) * 1000, 2)})
        print(f"  {connection.vendor}: county {county_people:>9,} people ({facts:,} facts, loaded in "
              f"{load_s:.0f} s)  community {len(c_rows):,} people × {elements:.0f} values "
              f"{c_s * 1000:8.1f} ms   township {len(t_rows):,} people {t_s * 1000:8.1f} ms", flush=True)
    print(json.dumps({"vendor": connection.vendor, "steps": steps, "plans": plans(community)}))


def reset_pg() -> bool:
    try:
        import psycopg

        admin, name = PG_URL.rsplit("/", 1)
        with psycopg.connect(admin + "/postgres", autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return True
    except Exception as exc:  # noqa: BLE001 - any failure means "no PostgreSQL here"
        print(f"PostgreSQL not used: {exc}")
        return False


def run() -> dict:
    wanted = os.environ.get("BENCH_DBS", "sqlite,postgresql").split(",")
    out: dict = {"scale": SCALE, "sizes": SIZES, "piece_households": PIECE_HOUSEHOLDS, "backends": {}}
    with tempfile.TemporaryDirectory() as tmp:
        targets = []
        if "sqlite" in wanted:
            targets.append(f"sqlite:///{tmp}/asof.sqlite3")
        if "postgresql" in wanted and reset_pg():
            targets.append(PG_URL)
        for url in targets:
            env = {**os.environ, "YIBIAO_VAR_DIR": tmp, "BENCH_CHILD": "1"}
            proc = subprocess.run([sys.executable, __file__, url], env=env, text=True, stdout=subprocess.PIPE,
                                  check=False)
            if proc.returncode:
                raise SystemExit(f"bench_asof child failed on {url}")
            lines = proc.stdout.strip().splitlines()
            print("\n".join(lines[:-1]))
            figures = json.loads(lines[-1])
            steps = figures["steps"]
            small, large = steps[0], steps[-1]
            figures["community_ratio"] = round(large["community_s"] / small["community_s"], 2)
            figures["township_per_person_ratio"] = round(large["township_ms_per_1000"]
                                                         / small["township_ms_per_1000"], 2)
            out["backends"][figures["vendor"]] = figures
            label = figures["vendor"]
            print(f"{label}: community read at {large['county_people']:,} / at {small['county_people']:,} people "
                  f"in the county = {figures['community_ratio']:.2f}x (target ~1: must not grow with the county)")
            print(f"{label}: township read per resident, largest / smallest county = "
                  f"{figures['township_per_person_ratio']:.2f}x (the township itself grows "
                  f"{small['township_people']:,} -> {large['township_people']:,} people)")
            if os.environ.get("BENCH_PLANS", "1") == "1":
                print(f"{label}: query plans at {large['county_people']:,} people (community read):")
                for plan in figures["plans"]:
                    print("    " + plan.replace("\n", "\n    "))
                    if label == "postgresql":
                        print(f"    -> partitions read: {', '.join(partitions_in(plan)) or 'none (a table not partitioned)'}")
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "asof.json").write_text(json.dumps(out, ensure_ascii=False, indent=2), encoding="utf-8")
    return out


if __name__ == "__main__":
    if os.environ.get("BENCH_CHILD"):
        child(sys.argv[1])
    else:
        run()
