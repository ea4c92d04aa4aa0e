#!/usr/bin/env python3
"""A province simulated: ten counties, each read and rolled up, and the province rolled up (not a test).

Ten real counties of 湖南省 (the nine of 长沙市 and 株洲's 荷塘区), each grown to
100,000 × BENCH_SCALE residents by bench/generate.py (the demo generator, one township per
piece, a seed range per county, ID numbers unique across the province), in one database:
PostgreSQL `bench_province` (BENCH_PG_PROVINCE; dropped and rebuilt unless it already
holds the province at this size) or SQLite when no PostgreSQL is reachable
(BENCH_PROVINCE_DB=sqlite forces it). Measured, as of 2026-06-30, each best of
BENCH_REPEAT (3) runs after a warm one:

  per county   the product's as-of read of every resident (`ledger.snapshot.people_as_of`)
               and its roll-up of bench_rollup's ten indicators to every unit of the county
               (`reports.rollup.rollup`), against DuckDB's as-of roll-up of that county
               over the same ledger exported to Parquet in this run;
  province     the roll-up of the ten indicators to every unit of the province (province,
               cities, counties, townships, communities, grids: one query), against DuckDB.

DuckDB has no index: for one county it scans the province's Parquet files and keeps that
county's rows, so the per-county ratio flatters the product more as the province grows; the
province roll-up is the like-for-like figure. Each figure also has its CPU time (this
process, every DuckDB thread, the PostgreSQL backend when local), which a loaded machine
distorts less than wall time.

Every unit's ten figures must equal DuckDB's (the run fails otherwise). On PostgreSQL the
ledger tables are partitioned by county (issue 17 item 3, ledger/partitions.py): each
county's reads prune to its partitions.

Partitioned against plain tables (PostgreSQL): the province is copied into a second
database, `bench_province_plain` (BENCH_PG_PROVINCE_PLAIN; `CREATE DATABASE … TEMPLATE`,
a file copy: the same rows, the same physical order), and migration ledger 0008 is reversed
there (`yibiao manage migrate ledger 0007`): ledger_fact and ledger_residence become the
plain tables they were before it, every row and index kept (their indexes built afresh,
so the partitioned tables are REINDEXed first: both sides dense), and the product's code sees
that (`partitions.partitioned()` is false there, so fact reads carry no county filter: the
query path of the product before 0008). Each county's as-of read and roll-up, and the
province's roll-up, run on both databases one after the other, each after a warm run; the
results must be equal. Both share one PostgreSQL server and its cache.

The load test (issue 17 item 6's last part): bench/loadtest.py with 200 users
(BENCH_PROVINCE_USERS) over two app servers (BENCH_SERVERS=2, 2 gunicorn workers each:
the 4 processes of the one-server test) sharing PostgreSQL, Redis and a storage directory,
on the demo county's database (bench_load: it has the tasks and accounts the users need;
the province database has residents only). BENCH_PROVINCE_LOAD=0 leaves it out.

    BENCH_SCALE=0.1 .venv/bin/python bench/bench_province.py   # 10 × 10,000 residents
    .venv/bin/python bench/bench_province.py                   # 10 × 100,000
"""
# ruff: noqa: S608 - SQL text is built from this file's constants and codes, never from input
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
PEOPLE_PER_COUNTY = int(100_000 * SCALE)
PIECE_HOUSEHOLDS = max(50, int(5000 * SCALE))
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
PG_URL = os.environ.get("BENCH_PG_PROVINCE", "postgres://postgres@127.0.0.1:5432/bench_province")
PLAIN_URL = os.environ.get("BENCH_PG_PROVINCE_PLAIN", PG_URL + "_plain")
LOAD_TEST = os.environ.get("BENCH_PROVINCE_LOAD", "1") != "0"
LOAD_USERS = os.environ.get("BENCH_PROVINCE_USERS", "200")
PROVINCE = "43"
COUNTIES = ["430102", "430103", "430104", "430105", "430111", "430112", "430121", "430181", "430182", "430202"]
LENGTHS = [2, 4, 6, 9, 12, 15]
AS_OF = dt.date(2026, 6, 30)


def best(run, repeat: int = REPEAT) -> tuple[float, float, object]:  # noqa: ANN001
    """(best wall time of `repeat` runs after a warm one, least CPU time of them, the last
    result). CPU time as bench_rollup counts it: this process, all DuckDB threads, and the
    PostgreSQL backend when the server is local."""
    from bench_rollup import cpu_seconds

    result = run()
    times, cpus = [], []
    for _ in range(repeat):
        cpu, start = cpu_seconds(), time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
        cpus.append(cpu_seconds() - cpu)
    return min(times), min(cpus), result


def rollup_sql(lengths: list[int]) -> str:
    keys = [f"substr(org_code, 1, {n})" for n in lengths]
    import bench_rollup

    return (f"SELECT {', '.join(f'{k} AS k{i}' for i, k in enumerate(keys))}, {bench_rollup.AGGREGATES} "
            f"FROM p GROUP BY ROLLUP ({', '.join(keys)})")


def levels(rows: list[tuple], lengths: list[int]) -> dict[str, list[int]]:
    """{unit code: ten figures} from ROLLUP rows (one key per level, then the figures)."""
    out = {}
    for row in rows:
        keys, figures = row[:len(lengths)], row[len(lengths):]
        filled = [k for k in keys if k is not None]
        if filled and len(filled[-1]) == lengths[len(filled) - 1]:
            out[filled[-1]] = [int(x or 0) for x in figures]
    return out


def county_ledger_sql(county: str) -> str:
    """bench_rollup's as-of relation p, restricted to one county's residents and their facts."""
    import bench_rollup

    sql = bench_rollup.ledger_sql("duckdb", AS_OF)
    sql = sql.replace("FROM ledger_residence\n  WHERE ", f"FROM ledger_residence\n  WHERE starts_with(org_code, '{county}') AND ")
    return sql.replace("GROUP BY subject_id, element", "AND subject_id IN (SELECT person_id FROM ledger_residence "
                       f"WHERE starts_with(org_code, '{county}')) GROUP BY subject_id, element")


def build(url: str) -> float:
    """The ten counties into an empty database; seconds taken."""
    import generate
    from django.db import connection

    from yibiao.setup import initialise

    initialise()
    start = time.perf_counter()
    codes = generate.Codes()
    pieces = generate.pieces_for(PEOPLE_PER_COUNTY, PIECE_HOUSEHOLDS)
    for n, county in enumerate(COUNTIES):
        done = generate.build(0, pieces, PIECE_HOUSEHOLDS, codes, log=False, county=county, seed_base=1000 * n)
        print(f"  {county}: {done.people:,} residents, {done.facts:,} facts "
              f"({time.perf_counter() - start:.0f} s)", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return time.perf_counter() - start


def target() -> tuple[str, bool]:
    """(database URL, whether to build the province there)."""
    if os.environ.get("BENCH_PROVINCE_DB") == "sqlite":
        return "", True
    try:
        import psycopg

        expected = len(COUNTIES) * PEOPLE_PER_COUNTY
        try:
            with psycopg.connect(PG_URL, connect_timeout=3) as conn:
                n = conn.execute("SELECT count(*) FROM ledger_personstate WHERE org_code LIKE '43%'").fetchone()[0]
            if 0.8 * expected <= n <= 1.2 * expected:
                return PG_URL, False
        except psycopg.Error:
            pass
        admin, name = PG_URL.rsplit("/", 1)
        with psycopg.connect(admin + "/postgres", autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return PG_URL, True
    except Exception as exc:  # noqa: BLE001 - no PostgreSQL: SQLite
        print(f"PostgreSQL not used: {exc}")
        return "", True


def fact_count(url: str) -> tuple[int, bool]:
    """(facts in the database, whether its ledger_fact is partitioned); (-1, False) if absent."""
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            facts = conn.execute("SELECT count(*) FROM ledger_fact").fetchone()[0]
            parted = conn.execute("SELECT EXISTS (SELECT 1 FROM pg_partitioned_table p JOIN pg_class c "
                                  "ON c.oid = p.partrelid WHERE c.relname = 'ledger_fact')").fetchone()[0]
            return facts, parted
    except psycopg.Error:
        return -1, False


def plain_copy(var_dir: str) -> float:
    """PLAIN_URL: the province with plain ledger tables (a copy, 0008 reversed); seconds taken,
    0 when an earlier run's copy of the same province is there."""
    import psycopg
    from django.db import connection

    facts, parted = fact_count(PG_URL)
    if fact_count(PLAIN_URL) == (facts, False) and parted:
        return 0.0
    start = time.perf_counter()
    connection.close()  # a template database must have no other session
    # Reversing 0008 builds the plain tables' indexes afresh, densely packed (ledger_fact's
    # 156 MB against 252 MB grown row by row during the load): the partitioned ones are rebuilt
    # too, so that both sides have fresh indexes.
    with psycopg.connect(PG_URL, autocommit=True, connect_timeout=3) as conn:
        conn.execute("REINDEX TABLE ledger_fact")
        conn.execute("REINDEX TABLE ledger_residence")
        conn.execute("VACUUM ANALYZE")
    admin, name = PLAIN_URL.rsplit("/", 1)
    source = PG_URL.rsplit("/", 1)[1]
    with psycopg.connect(admin + "/postgres", autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    subprocess.run([str(Path(sys.executable).parent / "yibiao"), "manage", "migrate", "ledger", "0007"],
                   env={**os.environ, "DATABASE_URL": PLAIN_URL, "YIBIAO_VAR_DIR": var_dir}, check=True,
                   stdout=subprocess.DEVNULL)
    with psycopg.connect(PLAIN_URL, autocommit=True, connect_timeout=3) as conn:
        conn.execute("VACUUM ANALYZE")
    if fact_count(PLAIN_URL) != (facts, False):
        raise SystemExit(f"the plain copy is not the province on plain tables: {fact_count(PLAIN_URL)}, {facts}")
    return time.perf_counter() - start


def use(url: str) -> None:
    """Django's connection to the database at `url` (same server): closed, renamed, reopened on use."""
    from django.db import connection

    connection.close()
    connection.settings_dict["NAME"] = url.rsplit("/", 1)[1]


def load_test() -> dict:
    """bench/loadtest.py with LOAD_USERS users over two app servers; its JSON."""
    env = {**os.environ, "BENCH_USERS": LOAD_USERS, "BENCH_SERVERS": os.environ.get("BENCH_SERVERS", "2"),
           "BENCH_GUNICORN_WORKERS": os.environ.get("BENCH_GUNICORN_WORKERS", "2"),
           "BENCH_RESULT": "province_load", "BENCH_PORT": os.environ.get("BENCH_PORT", "8775"),
           # 200 logins (a PBKDF2 check each) take longer than loadtest's default hard stop allows
           # on a loaded machine; the measured window itself stays loadtest's.
           "BENCH_RUN_TIME": os.environ.get("BENCH_RUN_TIME", "360")}
    print(f"load test: {env['BENCH_USERS']} users over {env['BENCH_SERVERS']} app servers "
          f"(bench/loadtest.py)", flush=True)
    subprocess.run([sys.executable, str(HERE / "loadtest.py")], env=env, check=True)
    return json.loads((HERE / "results" / "province_load.json").read_text(encoding="utf-8"))


def main() -> dict:
    tmp = tempfile.TemporaryDirectory()
    url, build_it = target()
    os.environ["DATABASE_URL"] = url or f"sqlite:///{tmp.name}/province.sqlite3"
    os.environ["YIBIAO_VAR_DIR"] = tmp.name
    from yibiao.cli import setup_django

    setup_django()
    import bench_rollup
    import duckdb
    from django.db import connection

    from yibiao.ledger.snapshot import people_as_of
    from yibiao.reports.periods import parse_period
    from yibiao.reports.rollup import rollup

    print(f"a province of {len(COUNTIES)} counties × {PEOPLE_PER_COUNTY:,} residents (BENCH_SCALE={SCALE}) "
          f"on {connection.vendor}", flush=True)
    load_start = os.getloadavg()[0]
    load_s = build(url) if build_it else 0.0
    plain = connection.vendor == "postgresql"
    copy_s = plain_copy(tmp.name) if plain else 0.0
    if plain:
        print(f"  plain copy {PLAIN_URL.rsplit('/', 1)[1]}: "
              + (f"made in {copy_s:.0f} s (CREATE DATABASE … TEMPLATE, migrate ledger 0007, VACUUM ANALYZE)"
                 if copy_s else "reused"), flush=True)
    period = parse_period(bench_rollup.PERIOD)
    indicators = [{"count": counted, "filter": filt} for _, counted, filt in bench_rollup.INDICATORS]

    def product(code: str) -> dict[str, list[int]]:
        return {c: f for c, f in rollup(code, period, indicators).figures.items() if any(f)}

    def both(run) -> dict:  # noqa: ANN001
        """best() of `run` on the partitioned database, then on the plain copy (when there is one);
        the results must be equal."""
        from yibiao.ledger import partitions

        if plain:
            use(PG_URL)
        got = {"part": best(run)}
        if plain:
            assert partitions.partitioned()
            use(PLAIN_URL)
            assert not partitions.partitioned()
            got["plain"] = best(run)
            use(PG_URL)
            if got["plain"][2] != got["part"][2]:
                raise SystemExit("the plain copy answered differently from the partitioned tables")
        return got

    def compare(got: dict, key: str, row: dict) -> str:
        """Fill row with the plain tables' figures and partitioned/plain ratios; a line to print."""
        if "plain" not in got:
            return ""
        (ps, pc, _), (qs, qc, _) = got["part"], got["plain"]
        row.update({f"plain_{key}_s": round(qs, 4), f"plain_{key}_cpu_s": round(qc, 4),
                    f"{key}_part_vs_plain": round(ps / qs, 2), f"{key}_part_vs_plain_cpu": round(pc / qc, 2)})
        return f"plain {qs * 1000:.0f} ms (CPU {qc * 1000:.0f}): {ps / qs:.2f}x, CPU {pc / qc:.2f}x"

    with tempfile.TemporaryDirectory() as parquet_dir:
        export_s, paths = bench_rollup.export(Path(parquet_dir))
        db = duckdb.connect()
        for table, path in paths.items():
            db.execute(f"CREATE TABLE {table} AS SELECT * FROM read_csv('{path}', header=true, all_varchar=true)")
        typed = {"ledger_residence": "CAST(person_id AS BIGINT) person_id, CAST(NULLIF(household_id, '') AS BIGINT) "
                                     "household_id, org_code, CAST(valid_from AS DATE) valid_from, "
                                     "CAST(NULLIF(valid_to, '') AS DATE) valid_to",
                 "ledger_person": "CAST(id AS BIGINT) id, id_number",
                 "ledger_fact": "CAST(id AS BIGINT) id, subject_kind, CAST(subject_id AS BIGINT) subject_id, "
                                "element, value, CAST(valid_from AS DATE) valid_from"}
        for table in paths:
            parquet = Path(parquet_dir) / f"{table}.parquet"
            db.execute(f"COPY (SELECT {typed[table]} FROM {table}) TO '{parquet}' (FORMAT parquet)")
            db.execute(f"DROP TABLE {table}")
            db.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{parquet}')")

        counties = []
        mismatches: dict[str, list[str]] = {}
        for county in COUNTIES:
            reads = both(lambda c=county: people_as_of(c, AS_OF))
            rolls = both(lambda c=county: product(c))
            (read_s, read_cpu, people), (roll_s, roll_cpu, figures) = reads["part"], rolls["part"]
            query = county_ledger_sql(county) + rollup_sql(LENGTHS[2:])
            duck_s, duck_cpu, rows = best(lambda q=query: db.execute(q).fetchall())
            duck = levels(rows, LENGTHS[2:])
            if bad := bench_rollup.agree(figures, duck):
                mismatches[county] = bad[:10]
            counties.append({"county": county, "people": len(people), "units": len(figures),
                             "asof_read_s": round(read_s, 4), "asof_read_cpu_s": round(read_cpu, 4),
                             "rollup_s": round(roll_s, 4), "rollup_cpu_s": round(roll_cpu, 4),
                             "duckdb_s": round(duck_s, 4), "duckdb_cpu_s": round(duck_cpu, 4),
                             "rollup_vs_duckdb": round(roll_s / duck_s, 2),
                             "rollup_vs_duckdb_cpu": round(roll_cpu / duck_cpu, 2) if duck_cpu else None})
            c = counties[-1]
            read_vs, roll_vs = compare(reads, "asof_read", c), compare(rolls, "rollup", c)
            print(f"  {county}: {c['people']:,} residents, {c['units']} units: as-of read {read_s * 1000:6.0f} ms "
                  f"(CPU {read_cpu * 1000:.0f}), roll-up {roll_s * 1000:5.0f} ms (CPU {roll_cpu * 1000:.0f}), "
                  f"DuckDB {duck_s * 1000:5.0f} ms (CPU {duck_cpu * 1000:.0f}): {c['rollup_vs_duckdb']:.2f}x, "
                  f"CPU {c['rollup_vs_duckdb_cpu']}x", flush=True)
            if read_vs:
                print(f"          partitioned / plain tables: as-of read {read_vs}; roll-up {roll_vs}", flush=True)

        provinces = both(lambda: product(PROVINCE))
        province_s, province_cpu, province = provinces["part"]
        province_row: dict = {}
        province_vs = compare(provinces, "province_rollup", province_row)
        query = bench_rollup.ledger_sql("duckdb", AS_OF) + rollup_sql(LENGTHS)
        duck_s, duck_cpu, rows = best(lambda: db.execute(query).fetchall())
        duck = levels(rows, LENGTHS)
        if bad := bench_rollup.agree(province, duck):
            mismatches[PROVINCE] = bad[:10]
    people = sum(c["people"] for c in counties)
    reads = [c["asof_read_s"] * 1000 / c["people"] * 1000 for c in counties]  # ms per 1,000 residents
    out = {"scale": SCALE, "vendor": connection.vendor, "counties": counties, "people": people,
           "load_s": round(load_s, 1), "export_s": round(export_s, 1), "repeat": REPEAT,
           "load_average": round(os.getloadavg()[0], 1), "load_average_start": round(load_start, 1), "duckdb_version": duckdb.__version__,
           "province_units": len(province), "province_rollup_s": round(province_s, 3),
           "province_duckdb_s": round(duck_s, 4), "province_vs_duckdb": round(province_s / duck_s, 2),
           "province_rollup_cpu_s": round(province_cpu, 3), "province_duckdb_cpu_s": round(duck_cpu, 3),
           "province_vs_duckdb_cpu": round(province_cpu / duck_cpu, 2) if duck_cpu else None,
           "asof_read_ms_per_1000": [round(min(reads), 1), round(max(reads), 1)],
           "county_rollup_vs_duckdb": [min(c["rollup_vs_duckdb"] for c in counties),
                                       max(c["rollup_vs_duckdb"] for c in counties)],
           "mismatches": mismatches, "partitioned": plain, "plain_copy_s": round(copy_s, 1), **province_row}
    if plain:
        for key in ("asof_read", "rollup"):
            for kind in ("", "_cpu"):
                found = [c[f"{key}_part_vs_plain{kind}"] for c in counties]
                out[f"county_{key}_part_vs_plain{kind}"] = [min(found), max(found)]
    print(f"province {PROVINCE}: {people:,} residents, {len(province)} units (province to grids), one query: "
          f"roll-up {province_s * 1000:.0f} ms (CPU {province_cpu * 1000:.0f}), DuckDB {duck_s * 1000:.0f} ms "
          f"(CPU {duck_cpu * 1000:.0f}): {out['province_vs_duckdb']:.2f}x, CPU {out['province_vs_duckdb_cpu']}x")
    print(f"  per county: as-of read of every value {out['asof_read_ms_per_1000'][0]}–"
          f"{out['asof_read_ms_per_1000'][1]} ms "
          f"per 1,000 residents; roll-up {out['county_rollup_vs_duckdb'][0]:.2f}–"
          f"{out['county_rollup_vs_duckdb'][1]:.2f}x DuckDB")
    if province_vs:
        print(f"  partitioned / plain tables: province roll-up {province_vs}; per county as-of read "
              f"{'–'.join(map(str, out['county_asof_read_part_vs_plain']))}x "
              f"(CPU {'–'.join(map(str, out['county_asof_read_part_vs_plain_cpu']))}x), roll-up "
              f"{'–'.join(map(str, out['county_rollup_part_vs_plain']))}x "
              f"(CPU {'–'.join(map(str, out['county_rollup_part_vs_plain_cpu']))}x)")
    print(f"  best of {REPEAT} runs each; load average {out['load_average_start']} at the start, "
          f"{out['load_average']} at the end on {os.cpu_count()} cores"
          + (f"; built in {load_s:.0f} s" if load_s else " (database reused)"))
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "province.json").write_text(json.dumps(out, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.cleanup()
    if mismatches:
        raise SystemExit(f"DISAGREE with DuckDB: {mismatches}")
    print("  every unit's ten figures agree with DuckDB's" + (" (and the plain tables' with the partitioned ones')"
                                                               if plain else ""), flush=True)
    if LOAD_TEST:
        out["load"] = load_test()
        (results / "province.json").write_text(json.dumps(out, ensure_ascii=False, indent=2), encoding="utf-8")
    return out


if __name__ == "__main__":
    main()
