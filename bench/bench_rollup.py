#!/usr/bin/env python3
"""Roll-up of 10 indicators over N residents to every level of the tree (not a test).

N = 1,000,000 × BENCH_SCALE residents of 430104, made by bench/generate.py (the
PostgreSQL database `bench_asof` left by bench_asof.py is reused when it holds the county
at this size; otherwise `bench_rollup` is built; SQLite when no PostgreSQL is reachable).

Measured in one run, as of 2026-06-30, every figure for the county, each township, each
community and each grid:

  product   `yibiao.reports.rollup.rollup` for the county: the product's own query
            for every unit at every level at once (reports/rollup.py);
  reports   `yibiao.reports.prefill.build_report` with an aggregate request of 10
            indicator columns, for the county (township rows), every township
            (community rows) and every community (grid rows): every level's table as a
            worker or department gets it (one roll-up query per report);
  SQL       one hand-written GROUP BY ROLLUP over the ledger in the same database (as-of
            facts by DISTINCT ON / window, age and sex from the ID number), kept as the
            reference the product's query was built from;
  DuckDB    the same as-of query with GROUP BY ROLLUP over the ledger tables exported
            to Parquet in this run (the baseline), and over one flat as-of row per
            person (the floor: aggregation alone).

Every unit's ten numbers must agree across all of them; the ratios are against DuckDB
(target ≤ 2×).

    .venv/bin/python bench/bench_rollup.py
    BENCH_SCALE=0.1 .venv/bin/python bench/bench_rollup.py
"""
# ruff: noqa: S608 - SQL text is built from this file's constants and dates, never from input
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

SCALE = float(os.environ.get("BENCH_SCALE", "1"))
PEOPLE = int(1_000_000 * SCALE)
PIECE_HOUSEHOLDS = max(50, int(5000 * SCALE))  # as bench_asof: its database is reused
PG_REUSE = os.environ.get("BENCH_PG_ASOF", "postgres://postgres@127.0.0.1:5432/bench_asof")
PG_URL = os.environ.get("BENCH_PG_ROLLUP", "postgres://postgres@127.0.0.1:5432/bench_rollup")
PERIOD = "2026-06"
# Each query is timed this many times after a warm run and its best time kept, the same for
# the product and for DuckDB: on a shared machine one run can be slowed several-fold.
REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))
AS_OF = dt.date(2026, 6, 30)

# (header, what is counted, conditions): the product's own indicator shape (reports/filters.py).
INDICATORS = [
    ("总人口", "person", []),
    ("户数", "household", []),
    ("60岁以上老人", "person", [{"element": "person.age", "op": ">=", "value": "60"}]),
    ("80岁以上老人", "person", [{"element": "person.age", "op": ">=", "value": "80"}]),
    ("独居老人", "person", [{"element": "person.lives_alone", "op": "=", "value": "1"}]),
    ("残疾人", "person", [{"element": "person.disability_category", "op": "present"}]),
    ("低保对象", "person", [{"element": "person.low_income", "op": "=", "value": "1"}]),
    ("退役军人", "person", [{"element": "person.veteran", "op": "=", "value": "1"}]),
    ("流动人口", "person", [{"element": "person.residence_status", "op": "=", "value": "2"}]),
    ("男性", "person", [{"element": "person.sex", "op": "=", "value": "1"}]),
]
STORED = ["person.lives_alone", "person.disability_category", "person.low_income", "person.veteran",
          "person.residence_status"]

# The ten aggregates over a relation p(org_code, household_id, age, male, <STORED as columns>).
AGGREGATES = """
    count(*) AS people, count(DISTINCT household_id) AS households,
    sum(CASE WHEN age >= 60 THEN 1 ELSE 0 END) AS aged60, sum(CASE WHEN age >= 80 THEN 1 ELSE 0 END) AS aged80,
    sum(CASE WHEN lives_alone = '1' THEN 1 ELSE 0 END) AS alone,
    sum(CASE WHEN disability_category NOT IN ('', '0') THEN 1 ELSE 0 END) AS disabled,
    sum(CASE WHEN low_income = '1' THEN 1 ELSE 0 END) AS low_income,
    sum(CASE WHEN veteran = '1' THEN 1 ELSE 0 END) AS veterans,
    sum(CASE WHEN residence_status = '2' THEN 1 ELSE 0 END) AS floating,
    sum(CASE WHEN male THEN 1 ELSE 0 END) AS men
"""
ROLLUP = f"""
SELECT substr(org_code, 1, 6) AS county, substr(org_code, 1, 9) AS township,
       substr(org_code, 1, 12) AS community, org_code AS grid, {AGGREGATES}
FROM p GROUP BY ROLLUP (substr(org_code, 1, 6), substr(org_code, 1, 9), substr(org_code, 1, 12), org_code)
"""


def ledger_sql(dialect: str, as_of: dt.date) -> str:
    """p: one as-of row per resident, from ledger_residence, ledger_person and ledger_fact."""
    d = f"DATE '{as_of.isoformat()}'"
    elements = ", ".join(f"'{e}'" for e in STORED)
    pivot = ", ".join(f"max(CASE WHEN f.element = '{e}' THEN f.value END) AS {e.split('.')[1]}" for e in STORED)
    if dialect == "duckdb":
        latest = (f"SELECT subject_id, element, arg_max(value, (valid_from, id)) AS value FROM ledger_fact "
                  f"WHERE subject_kind = 'person' AND valid_from <= {d} AND element IN ({elements}) "
                  f"GROUP BY subject_id, element")
        birth = "strptime(substr(per.id_number, 7, 8), '%Y%m%d')"
        month_day = f"(month({birth}) * 100 + day({birth}))"
        age = (f"({as_of.year} - year({birth}) - CASE WHEN {as_of.month * 100 + as_of.day} < {month_day} "
               f"THEN 1 ELSE 0 END)")
    else:
        latest = (f"SELECT DISTINCT ON (subject_id, element) subject_id, element, value FROM ledger_fact "
                  f"WHERE subject_kind = 'person' AND valid_from <= {d} AND element IN ({elements}) "
                  f"ORDER BY subject_id, element, valid_from DESC, id DESC")
        birth = "to_date(substr(per.id_number, 7, 8), 'YYYYMMDD')"
        age = f"extract(year FROM age({d}, {birth}))"
    male = "(CAST(substr(per.id_number, 17, 1) AS INTEGER) % 2 = 1)"
    return f"""
WITH res AS (
  SELECT person_id, household_id, org_code FROM ledger_residence
  WHERE valid_from <= {d} AND (valid_to IS NULL OR valid_to > {d})),
f AS ({latest}),
p AS (
  SELECT r.org_code, r.household_id, {age} AS age, {male} AS male, {pivot}
  FROM res r JOIN ledger_person per ON per.id = r.person_id
  LEFT JOIN f ON f.subject_id = r.person_id
  GROUP BY r.person_id, r.org_code, r.household_id, per.id_number)
"""


CPU_SPENT: dict[int, float] = {}  # id(run) -> least CPU seconds of its runs


def cpu_seconds() -> float:
    """CPU seconds used so far by this process (every DuckDB thread included) and by the
    PostgreSQL backend serving Django's connection, when the server runs on this machine:
    what a query costs whatever else the machine is doing."""
    from django.db import connection

    spent = time.process_time()
    if connection.vendor == "postgresql" and connection.connection is not None:
        stat = Path(f"/proc/{connection.connection.info.backend_pid}/stat")
        if stat.exists():
            fields = stat.read_text().rsplit(")", 1)[1].split()
            spent += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return spent


def best(run, repeat: int = REPEAT) -> tuple[float, object]:
    """(best wall time of `repeat` runs, the last run's result); the least CPU time of the
    runs is kept in CPU_SPENT under id(run)."""
    times, cpus, result = [], [], None
    for _ in range(repeat):
        cpu, start = cpu_seconds(), time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
        cpus.append(cpu_seconds() - cpu)
    CPU_SPENT[id(run)] = min(cpus)
    return min(times), result


def levels(rows: list[tuple]) -> dict[str, list[int]]:
    """{unit code: ten figures} from ROLLUP rows (county, township, community, grid, *figures)."""
    out = {}
    for county, township, community, grid, *figures in rows:
        code = grid or community or township or county
        if code:
            out[code] = [int(x or 0) for x in figures]
    return out


def product_rollup(county: str) -> tuple[float, dict[str, list[int]]]:
    """The product's roll-up: one call for the county gives every unit at every level."""
    from yibiao.reports.periods import parse_period
    from yibiao.reports.rollup import rollup

    indicators = [{"count": counted, "filter": filt} for _, counted, filt in INDICATORS]
    period = parse_period(PERIOD)
    rollup(county, period, indicators)  # warm, as the other figures are
    run = lambda: rollup(county, period, indicators)  # noqa: E731 - its id keys its CPU time
    elapsed, result = best(run)
    CPU_SPENT["product"] = CPU_SPENT[id(run)]
    if result.in_python:
        print(f"  product counted in Python: {result.in_python}")
    # Units nobody lives in are zeros here and absent from the GROUP BY figures.
    return elapsed, {code: figures for code, figures in result.figures.items() if any(figures)}


def reports_rollup(county: str) -> tuple[float, dict[str, list[int]]]:
    """The product's aggregate report at every level that has children."""
    from yibiao.accounts.models import Department
    from yibiao.accounts.operators import cli_user
    from yibiao.gate.models import FormRequest, Status
    from yibiao.orgunits.models import Level, OrgUnit
    from yibiao.reports.periods import parse_period
    from yibiao.reports.prefill import build_report

    user = cli_user(None)
    department, _ = Department.objects.get_or_create(name="区统计局", defaults={"short_name": "统计"})
    columns = [{"column": chr(ord("A") + i), "header": header, "indicator": {"count": counted, "filter": filt}}
               for i, (header, counted, filt) in enumerate(INDICATORS)]
    request = FormRequest.objects.create(
        title="人口基本情况统计（基准测试）", department=department, basis="基准测试", frequency="monthly",
        scope=OrgUnit.objects.get(code=county), template="", template_name="bench.xlsx",
        layout="aggregate", subject="person", columns=columns, status=Status.ADMITTED, submitted_by=user)
    period = parse_period(PERIOD)
    parents = [OrgUnit.objects.get(code=county),
               *OrgUnit.objects.subtree(county).filter(level__in=[Level.TOWNSHIP, Level.COMMUNITY]).order_by("code")]
    figures: dict[str, list[int]] = {}
    start = time.perf_counter()
    for unit in parents:
        report = build_report(request, unit, period, today=AS_OF)
        for row in report.rows:
            figures[row.org_code] = [int(c.value or 0) for c in row.cells]
    elapsed = time.perf_counter() - start
    request.delete()
    # The county's own total is the sum of its townships' rows (the report's 合计 row).
    figures[county] = [sum(v[i] for k, v in figures.items() if len(k) == 9) for i in range(len(INDICATORS))]
    return elapsed, {code: v for code, v in figures.items() if any(v)}


def export(tmp: Path) -> tuple[float, dict[str, Path]]:
    """The three ledger tables as CSV (COPY on PostgreSQL), for DuckDB to read."""
    from django.db import connection

    tables = {"ledger_residence": "person_id, household_id, org_code, valid_from, valid_to",
              "ledger_person": "id, id_number",
              "ledger_fact": "id, subject_kind, subject_id, element, value, valid_from"}
    start = time.perf_counter()
    paths = {}
    with connection.cursor() as cursor:
        for table, cols in tables.items():
            path = paths[table] = tmp / f"{table}.csv"
            where = " WHERE subject_kind = 'person'" if table == "ledger_fact" else ""
            if connection.vendor == "postgresql":
                with path.open("wb") as f, cursor.cursor.copy(
                        f"COPY (SELECT {cols} FROM {table}{where}) TO STDOUT WITH (FORMAT csv, HEADER)") as copy:  # noqa: S608
                    for block in copy:
                        f.write(block)
            else:
                import csv

                cursor.execute(f"SELECT {cols} FROM {table}{where}")  # noqa: S608
                with path.open("w", newline="", encoding="utf-8") as f:
                    w = csv.writer(f)
                    w.writerow([c.strip() for c in cols.split(",")])
                    while batch := cursor.fetchmany(50_000):
                        w.writerows(batch)
    return time.perf_counter() - start, paths


def duckdb_figures(paths: dict[str, Path], tmp: Path) -> dict:
    import duckdb

    db = duckdb.connect()
    start = time.perf_counter()
    # Read as text, then typed here: codes and ID numbers are digit strings, not numbers.
    typed = {"ledger_residence": "CAST(person_id AS BIGINT) person_id, CAST(NULLIF(household_id, '') AS BIGINT) "
                                 "household_id, org_code, CAST(valid_from AS DATE) valid_from, "
                                 "CAST(NULLIF(valid_to, '') AS DATE) valid_to",
             "ledger_person": "CAST(id AS BIGINT) id, id_number",
             "ledger_fact": "CAST(id AS BIGINT) id, subject_kind, CAST(subject_id AS BIGINT) subject_id, element, "
                            "value, CAST(valid_from AS DATE) valid_from"}
    for table, path in paths.items():
        parquet = tmp / f"{table}.parquet"
        db.execute(f"COPY (SELECT {typed[table]} FROM read_csv('{path}', header=true, all_varchar=true)) "
                   f"TO '{parquet}' (FORMAT parquet)")
        db.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{parquet}')")
    to_parquet = time.perf_counter() - start
    query = ledger_sql("duckdb", AS_OF) + ROLLUP
    db.execute(query).fetchall()  # warm: file metadata, plan
    run = lambda: db.execute(query).fetchall()  # noqa: E731 - its id keys its CPU time
    raw_s, raw = best(run)
    CPU_SPENT["duckdb"] = CPU_SPENT[id(run)]
    # The same on one thread: PostgreSQL and SQLite answer the product's query on one core,
    # and on a loaded machine DuckDB's threads wait for cores the others hold.
    threads = db.execute("SELECT current_setting('threads')").fetchone()[0]
    db.execute("SET threads = 1")
    one_thread_s, _ = best(lambda: db.execute(query).fetchall())
    db.execute(f"SET threads = {threads}")
    flat = tmp / "people_as_of.parquet"
    db.execute(f"COPY ({ledger_sql('duckdb', AS_OF)} SELECT * FROM p) TO '{flat}' (FORMAT parquet)")
    db.execute(f"CREATE VIEW flat AS SELECT * FROM read_parquet('{flat}')")
    flat_query = ROLLUP.replace("FROM p", "FROM flat")
    db.execute(flat_query).fetchall()
    floor_s, floor = best(lambda: db.execute(flat_query).fetchall())
    return {"version": duckdb.__version__, "to_parquet_s": to_parquet, "raw_s": raw_s, "floor_s": floor_s,
            "one_thread_s": one_thread_s, "threads": threads,
            "raw": levels(raw), "floor": levels(floor)}


def sql_rollup() -> tuple[float, dict[str, list[int]]] | None:
    from django.db import connection

    if connection.vendor != "postgresql":
        return None  # SQLite has no ROLLUP and no DISTINCT ON
    query = ledger_sql("postgresql", AS_OF) + ROLLUP
    with connection.cursor() as cursor:
        cursor.execute(query)
        cursor.fetchall()
        elapsed, rows = best(lambda: (cursor.execute(query), cursor.fetchall())[1])
    return elapsed, levels(rows)


def agree(a: dict[str, list[int]], b: dict[str, list[int]]) -> list[str]:
    """Units whose figures differ (empty when every level agrees)."""
    return [code for code in sorted(set(a) | set(b)) if a.get(code) != b.get(code)]


def child(db_url: str, build: bool) -> None:
    os.environ["DATABASE_URL"] = db_url
    from yibiao.cli import setup_django

    setup_django()
    import generate
    from django.db import connection

    from yibiao.setup import initialise

    load_s = 0.0
    if build:
        initialise()
        start = time.perf_counter()
        generate.build(0, generate.pieces_for(PEOPLE, PIECE_HOUSEHOLDS), PIECE_HOUSEHOLDS, generate.Codes(),
                       log=False)
        with connection.cursor() as cursor:
            # As bench_asof: what autovacuum does after a load (statistics, and on PostgreSQL
            # the hint bits and visibility map, which the first reads would otherwise write).
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        load_s = time.perf_counter() - start
    people = generate.people_in_county()
    product_s, product = product_rollup(generate.COUNTY)
    reports_s, reports = reports_rollup(generate.COUNTY)
    with tempfile.TemporaryDirectory() as tmp:
        export_s, paths = export(Path(tmp))
        duck = duckdb_figures(paths, Path(tmp))
    sql = sql_rollup()
    out = {"vendor": connection.vendor, "people": people, "load_s": round(load_s, 1),
           "units": len(product), "product_s": round(product_s, 3), "reports_s": round(reports_s, 3),
           "export_s": round(export_s, 2),
           "duckdb_version": duck["version"], "duckdb_to_parquet_s": round(duck["to_parquet_s"], 2),
           "duckdb_ledger_s": round(duck["raw_s"], 4), "duckdb_flat_s": round(duck["floor_s"], 4),
           "product_cpu_s": round(CPU_SPENT["product"], 3), "duckdb_cpu_s": round(CPU_SPENT["duckdb"], 3),
           "duckdb_threads": duck["threads"], "duckdb_one_thread_s": round(duck["one_thread_s"], 4),
           "sql_s": round(sql[0], 3) if sql else None,
           "mismatch_product_vs_duckdb": agree(product, duck["raw"])[:10],
           "mismatch_reports_vs_duckdb": agree(reports, duck["raw"])[:10],
           "mismatch_flat_vs_duckdb": agree(duck["floor"], duck["raw"])[:10],
           "mismatch_sql_vs_duckdb": agree(sql[1], duck["raw"])[:10] if sql else None}
    print(json.dumps(out))


def target() -> tuple[str, bool]:
    """(database URL, whether to build the county there)."""
    try:
        import psycopg

        with psycopg.connect(PG_REUSE, connect_timeout=3) as conn:
            n = conn.execute("SELECT count(*) FROM ledger_person WHERE household_id IS NOT NULL").fetchone()[0]
            # The roll-up reads each person's state: a database made before it existed is not reused.
            stateless = conn.execute("SELECT count(*) FROM ledger_person p WHERE NOT EXISTS "
                                     "(SELECT 1 FROM ledger_personstate s WHERE s.person_id = p.id)").fetchone()[0]
            if stateless:
                raise LookupError("people without a state")
        import generate

        expected = generate.pieces_for(PEOPLE, PIECE_HOUSEHOLDS) * PIECE_HOUSEHOLDS * 2.7
        if 0.8 * expected <= n <= 1.2 * expected:
            return PG_REUSE, False
    except Exception:  # noqa: BLE001, S110 - not there or not this size: build our own
        pass
    try:
        import psycopg

        admin, name = PG_URL.rsplit("/", 1)
        with psycopg.connect(admin + "/postgres", autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return PG_URL, True
    except Exception as exc:  # noqa: BLE001 - no PostgreSQL: SQLite
        print(f"PostgreSQL not used: {exc}")
        return "", True


def run() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        url, build = target()
        url = url or f"sqlite:///{tmp}/rollup.sqlite3"
        env = {**os.environ, "YIBIAO_VAR_DIR": tmp, "BENCH_CHILD": "1"}
        proc = subprocess.run([sys.executable, __file__, url, "build" if build else "reuse"], env=env,
                              text=True, stdout=subprocess.PIPE, check=False)
        if proc.returncode:
            raise SystemExit("bench_rollup child failed")
        lines = proc.stdout.strip().splitlines()
        if lines[:-1]:
            print("\n".join(lines[:-1]))
        r = json.loads(lines[-1])
    r["scale"] = SCALE
    duck = r["duckdb_ledger_s"]
    r["product_vs_duckdb"] = round(r["product_s"] / duck, 2)
    r["product_vs_duckdb_one_thread"] = round(r["product_s"] / r["duckdb_one_thread_s"], 2)
    r["repeat"] = REPEAT
    r["product_vs_duckdb_cpu"] = round(r["product_cpu_s"] / r["duckdb_cpu_s"], 2) if r["duckdb_cpu_s"] else None
    r["reports_vs_duckdb"] = round(r["reports_s"] / duck, 1)
    r["duckdb_ledger_vs_flat"] = round(duck / r["duckdb_flat_s"], 1)
    r["sql_vs_duckdb"] = round(r["sql_s"] / duck, 1) if r["sql_s"] else None
    print(f"roll-up of {len(INDICATORS)} indicators, {r['people']:,} residents, {r['units']} units "
          f"(county, townships, communities, grids) on {r['vendor']}"
          + (f", county loaded in {r['load_s']:.0f} s" if r["load_s"] else " (database from bench_asof)"))
    print(f"  best of {REPEAT} runs each; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"  DuckDB {r['duckdb_version']} over the ledger (Parquet, {r['duckdb_threads']} threads)  "
          f"{duck * 1000:9.1f} ms   baseline "
          f"(export {r['export_s']:.1f} s + Parquet {r['duckdb_to_parquet_s']:.1f} s, not counted)")
    print(f"  DuckDB the same on one thread       {r['duckdb_one_thread_s'] * 1000:9.1f} ms")
    print(f"  DuckDB over flat as-of rows (floor) {r['duckdb_flat_s'] * 1000:9.1f} ms   "
          f"{r['duckdb_ledger_vs_flat']:.1f}x below the baseline")
    if r["sql_s"]:
        print(f"  hand-written PostgreSQL GROUP BY ROLLUP (reference) {r['sql_s'] * 1000:9.1f} ms   "
              f"{r['sql_vs_duckdb']:.1f}x DuckDB")
    print(f"  product: reports.rollup, every level in one query  {r['product_s'] * 1000:9.1f} ms   "
          f"{r['product_vs_duckdb']:.2f}x DuckDB (target <= 2x), "
          f"{r['product_vs_duckdb_one_thread']:.2f}x DuckDB on one thread")
    print(f"  CPU time (least of the runs; PostgreSQL's backend counted when local): product "
          f"{r['product_cpu_s'] * 1000:.0f} ms, DuckDB {r['duckdb_cpu_s'] * 1000:.0f} ms (all threads): "
          f"{r['product_vs_duckdb_cpu']}x")
    print(f"  product: build_report for the county, every township and community  {r['reports_s'] * 1000:9.1f} ms   "
          f"{r['reports_vs_duckdb']:.1f}x DuckDB")
    mismatches = ("mismatch_product_vs_duckdb", "mismatch_reports_vs_duckdb", "mismatch_flat_vs_duckdb",
                  "mismatch_sql_vs_duckdb")
    for key in mismatches:
        if r[key]:
            print(f"  DISAGREE {key}: {r[key]}")
    if not any(r[k] for k in mismatches):
        print("  every unit's ten figures agree across product, reports, SQL and DuckDB")
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "rollup.json").write_text(json.dumps(r, ensure_ascii=False, indent=2), encoding="utf-8")
    return r


if __name__ == "__main__":
    if os.environ.get("BENCH_CHILD"):
        child(sys.argv[1], sys.argv[2] == "build")
    else:
        run()
