#!/usr/bin/env python3
"""Benchmark a ledger import against the bare read and the storage floor (not a test).

Generates a 1,000,000 × BENCH_SCALE-row 花名册 (.xlsx, openpyxl write-only; 100,000 rows
at BENCH_SCALE=0.1) from the synthetic county's people, kept in BENCH_CACHE for the next
run, then measures in one run, each phase in a process of its own (peak RSS from the
child's rusage, as /usr/bin/time -v reports it; CPU is the child's user + system time, the
database server's own CPU not included):

  read     python-calamine reading every cell of the sheet, nothing else;
  stream   the streaming reader (yibiao/sheets/xlsxrows.py, flat memory) reading every
           row, nothing else: the import's reader above reader.STREAM_AREA cells of used
           area (the 1,000,000-row roster; at 100,000 rows the import reads with calamine);
  floor    the same read, plus writing exactly the fact and residence rows the import
           writes (same columns, same shared values) into tables with the same indexes:
           COPY on PostgreSQL, executemany on SQLite, one transaction;
  import   `import_ledger` (layout, matching, validation, merge into people, residences,
           facts and states) into a fresh database;
  again    the re-import of the same, unchanged file (nothing to write).

Prints seconds, CPU and peak RSS per phase, and the ratios import / floor (target <= 2x on
both databases) and re-import / read (target <= 3x); peak RSS target <= 600 MB at
1,000,000 rows.

    .venv/bin/python bench/bench_import.py                   # 1,000,000 rows
    BENCH_SCALE=0.1 .venv/bin/python bench/bench_import.py   # 100,000 rows
    BENCH_PROFILE=1 ...        # cProfile the SQLite import, top 30
    BENCH_PANDAS=1 ...         # also pandas read_excel + to_sql (what a user would script)
    BENCH_DB=sqlite ...        # one database only (sqlite | postgresql)
    BENCH_PG=postgres://postgres@127.0.0.1:5432/bench_import  # PostgreSQL target (dropped and recreated)
"""
from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

ROWS = int(1_000_000 * float(os.environ.get("BENCH_SCALE", "1")))
PANDAS = os.environ.get("BENCH_PANDAS", "0") == "1"
PG_URL = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432/bench_import")
CACHE = Path(os.environ.get("BENCH_CACHE", tempfile.gettempdir())) / "yibiao-bench-import"
COUNTY = "430104"
COMMUNITY = "430104001001"
HEADERS = ["序号", "户号", "姓名", "公民身份号码", "与户主关系", "民族", "联系电话", "婚姻状况",
           "文化程度", "政治面貌", "现居住地址", "工作单位"]
ELEMENTS = [None, None, "person.name", "person.id_number", "person.relation_to_head",
            "person.ethnicity", "person.phone", "person.marital_status", "person.education",
            "person.political_status", "person.residence_address", "person.work_unit"]
HOUSEHOLD_COLUMN, RELATION_COLUMN = 1, 4


def people(n: int) -> list[tuple[str, dict[str, str]]]:
    """n (household number, facts) pairs from the synthetic county.

    The generator is asked for a few thousand households and its people are repeated
    with a new sequence code (same area, birth date and sex parity) and a recomputed
    check digit, so every ID stays valid and distinct.
    """
    from stdnum.cn import ric

    from yibiao.demo.synth import generate_county

    county = generate_county(COUNTY, "岳麓区", [("430104001", "橘子洲街道"), ("430104002", "望月湖街道")],
                             seed=1, households=min(3000, n // 2 + 1))
    base = [(h.number, m.facts) for h in county.households for m in h.members]
    out: list[tuple[str, dict[str, str]]] = []
    seen: set[str] = set()
    copy = 0
    while len(out) < n:
        for number, facts in base:
            id17 = facts["person.id_number"][:17]
            if copy:
                seq = (int(id17[14:17]) + 2 * copy) % 1000
                id17 = id17[:14] + f"{seq:03d}"
            id_number = id17 + ric.calc_check_digit(id17 + "0")  # it skips the last character
            if id_number in seen:
                continue
            seen.add(id_number)
            out.append((f"{number}{copy:02d}" if copy else number, {**facts, "person.id_number": id_number}))
            if len(out) == n:
                break
        copy += 1
    return out


def write_file(path: Path, n: int) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("花名册")
    ws.append(HEADERS)
    for i, (number, facts) in enumerate(people(n), start=1):
        ws.append([i, number, *(facts.get(e, "") for e in ELEMENTS[2:])])
    partial = path.with_suffix(".partial")
    wb.save(partial)
    partial.replace(path)


# ---------------------------------------------------------------- phases (child processes)

def phase_generate(path: str) -> dict:
    write_file(Path(path), ROWS)
    return {}


def phase_read(path: str) -> dict:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(path)
    cells = sum(len(row) for row in wb.get_sheet_by_index(0).iter_rows())
    wb.close()
    assert cells >= ROWS * len(HEADERS)
    return {"cells": cells}


def phase_stream(path: str) -> dict:
    import zipfile

    from yibiao.sheets.xlsxrows import Book, stream_rows

    with zipfile.ZipFile(path) as zf:
        book = Book(zf, Path(path).name)
    cells = sum(len(row) for row in stream_rows(path, book.sheets[0][1], book))
    assert cells >= ROWS * (len(HEADERS) - 1)
    return {"cells": cells}


def _django(db_url: str) -> None:
    os.environ["DATABASE_URL"] = db_url
    from yibiao.cli import setup_django

    setup_django()


def phase_setup(db_url: str) -> dict:
    """A fresh database: migrations, the dictionary, one community; the floor's tables."""
    _django(db_url)
    from django.db import connection

    from yibiao.orgunits.divisions import add_unit
    from yibiao.orgunits.models import Level, OrgUnit
    from yibiao.setup import initialise

    initialise()
    township = OrgUnit.objects.get(code=COMMUNITY[:9])
    if not OrgUnit.objects.filter(code=COMMUNITY).exists():
        add_unit(COMMUNITY, "红星社区", Level.COMMUNITY, township)
    with connection.cursor() as cursor:
        for table in ("ledger_fact", "ledger_residence"):
            copy = "floor_" + table.split("_", 1)[1]
            if connection.vendor == "postgresql":
                # Same columns, defaults and indexes; no foreign keys (nor does the import
                # check them on facts: Fact.recorded_by has no constraint).
                cursor.execute(f"CREATE TABLE {copy} (LIKE {table} INCLUDING DEFAULTS "
                               "INCLUDING INDEXES INCLUDING IDENTITY)")
                continue
            cursor.execute("SELECT type, sql FROM sqlite_master WHERE tbl_name = %s AND sql IS NOT NULL",
                           [table])
            for kind, sql in sorted(cursor.fetchall(), key=lambda r: r[0] != "table"):
                sql = re.sub(r'REFERENCES "\w+" \("\w+"\)( DEFERRABLE INITIALLY DEFERRED)?', "", sql)
                sql = sql.replace(f'"{table}"', f'"{copy}"')
                if kind == "index":
                    sql = re.sub(r'INDEX "(\w+)"', r'INDEX "floor_\1"', sql)
                cursor.execute(sql)
    return {"community": OrgUnit.objects.get(code=COMMUNITY).pk}


def phase_floor(db_url: str, path: str, community_id: int) -> dict:
    """The read, and the import's fact and residence rows written plainly (no Django)."""
    import datetime as dt

    from python_calamine import CalamineWorkbook

    today = dt.date.today().isoformat()
    now = dt.datetime.now(dt.UTC)
    fact_columns = [(i, e) for i, e in enumerate(ELEMENTS)
                    if e and e not in ("person.id_number", "person.relation_to_head")]
    wb = CalamineWorkbook.from_path(path)
    rows = wb.get_sheet_by_index(0).iter_rows()
    next(rows)  # the header
    households: dict[str, int] = {}
    fact_sql = ("subject_kind, subject_id, element, value, valid_from, recorded_at, recorded_by_id, "
                "source, org_code, note, write_id")
    residence_sql = ("person_id, household_id, org_unit_id, org_code, relation_to_head, valid_from, "
                     "valid_to, recorded_at, recorded_by_id, source, write_id")
    facts = residences = 0
    if db_url.startswith("postgres"):
        import psycopg

        tail = f"\t{today}\t{now.isoformat()}\t\\N\timport\t{COMMUNITY}\t\t1\n"
        with psycopg.connect(db_url.replace("postgres://", "postgresql://", 1)) as conn, conn.cursor() as cur:
            # two COPYs cannot be open at once on one connection: facts, then residences
            person_rows: list[tuple[int, int, str]] = []
            with cur.copy(f"COPY floor_fact ({fact_sql}) FROM STDIN") as fcopy:
                block: list[str] = []
                for person, row in enumerate(rows, start=1):
                    for i, element in fact_columns:
                        value = row[i]
                        if value != "":
                            block.append(f"person\t{person}\t{element}\t{value}{tail}")
                    number = str(row[HOUSEHOLD_COLUMN])
                    person_rows.append((person, households.setdefault(number, len(households) + 1),
                                        str(row[RELATION_COLUMN])))
                    if len(block) >= 20000:
                        facts += len(block)
                        fcopy.write("".join(block))
                        block = []
                facts += len(block)
                fcopy.write("".join(block))
            rtail = f"\t{today}\t\\N\t{now.isoformat()}\t\\N\timport\t1\n"
            with cur.copy(f"COPY floor_residence ({residence_sql}) FROM STDIN") as rcopy:
                for start in range(0, len(person_rows), 20000):
                    rcopy.write("".join(f"{p}\t{h}\t{community_id}\t{COMMUNITY}\t{r}{rtail}"
                                        for p, h, r in person_rows[start:start + 20000]))
            residences = len(person_rows)
        wb.close()
        return {"facts": facts, "residences": residences}
    import sqlite3

    conn = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None)
    conn.execute("BEGIN")
    stamp = now.replace(tzinfo=None).isoformat(" ")
    fact_insert = f"INSERT INTO floor_fact ({fact_sql}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"  # noqa: S608
    residence_insert = f"INSERT INTO floor_residence ({residence_sql}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"  # noqa: S608
    fblock: list[tuple] = []
    rblock: list[tuple] = []
    for person, row in enumerate(rows, start=1):
        for i, element in fact_columns:
            value = row[i]
            if value != "":
                fblock.append(("person", person, element, value, today, stamp, None, "import",
                               COMMUNITY, "", 1))
        number = str(row[HOUSEHOLD_COLUMN])
        rblock.append((person, households.setdefault(number, len(households) + 1), community_id, COMMUNITY,
                       str(row[RELATION_COLUMN]), today, None, stamp, None, "import", 1))
        if len(rblock) >= 5000:
            conn.executemany(fact_insert, fblock)
            conn.executemany(residence_insert, rblock)
            facts, residences = facts + len(fblock), residences + len(rblock)
            fblock, rblock = [], []
    conn.executemany(fact_insert, fblock)
    conn.executemany(residence_insert, rblock)
    facts, residences = facts + len(fblock), residences + len(rblock)
    conn.execute("COMMIT")
    conn.close()
    wb.close()
    return {"facts": facts, "residences": residences}


def phase_import(db_url: str, path: str) -> dict:
    _django(db_url)
    from yibiao.accounts.operators import cli_user
    from yibiao.intake.importer import import_ledger
    from yibiao.orgunits.models import OrgUnit

    user = cli_user(None)
    unit = OrgUnit.objects.get(code=COMMUNITY)
    profiler = cProfile.Profile() if os.environ.get("BENCH_PROFILE") == "1" else None
    if profiler:
        profiler.enable()
    start, cpu = time.perf_counter(), _cpu()
    result = import_ledger(user, Path(path), unit).as_dict()
    seconds, cpu = time.perf_counter() - start, _cpu() - cpu
    if profiler:
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
        print(out.getvalue(), file=sys.stderr)
    if result["refused"]:
        raise SystemExit(f"the import was refused: {result['refused']}")
    from yibiao.ledger.models import Residence

    return {"seconds": seconds, "cpu": cpu, "created": result["created"], "updated": result["updated"],
            "unchanged": result["unchanged"], "rejected": result["rejected"],
            "facts": result["facts_written"], "residences": Residence.objects.count(),
            "first_rejections": result["rejections"][:3]}


def phase_pandas(db_url: str, path: str) -> dict:
    """read_excel + to_sql as a user would write them: defaults, every column as text."""
    import pandas as pd
    import sqlalchemy

    url = db_url if db_url.startswith("sqlite") else db_url.replace("postgres://", "postgresql+psycopg://", 1)
    engine = sqlalchemy.create_engine(url)
    frame = pd.read_excel(path, dtype=str)
    frame.to_sql("pandas_roster", engine, if_exists="replace", index=False)
    engine.dispose()
    return {"rows": len(frame)}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child(argv: list[str]) -> None:
    name, *args = argv
    start, cpu = time.perf_counter(), _cpu()
    out = {"generate": phase_generate, "read": phase_read, "stream": phase_stream, "setup": phase_setup, "floor": phase_floor, "import": phase_import,
           "pandas": phase_pandas}[name](*args[:1] if name in ("generate", "read", "stream") else args[:1] if name == "setup"
                                          else (args[0], args[1], int(args[2])) if name == "floor"
                                          else args)
    out.setdefault("seconds", time.perf_counter() - start)
    out.setdefault("cpu", _cpu() - cpu)
    print(json.dumps(out, ensure_ascii=False))


# ---------------------------------------------------------------- the parent


def run(phase: str, *args: str, env: dict[str, str] | None = None) -> dict:
    """One phase in a child process: its JSON, and its own peak RSS (MB) from wait4."""
    # The import of a 1,000,000-row roster is what is measured: the limits that protect a
    # web worker (YIBIAO_MAX_ROWS, 1,000,000 rows with the header; YIBIAO_READ_SECONDS,
    # 600 s, which a loaded machine passes) would refuse it. YIBIAO_PARSE_MEMORY_MB (300 MB)
    # no longer does, the sheet being streamed (287 MB peak on PostgreSQL with it); it is
    # lifted all the same, so that the figures stay those of one unchecked import.
    limits = {"YIBIAO_PARSE_MEMORY_MB": "0", "YIBIAO_MAX_ROWS": str(max(ROWS + 1000, 1_000_000)),
              "YIBIAO_READ_SECONDS": "36000"}
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen([sys.executable, __file__, "--phase", phase, *args],
                                env={**limits, **os.environ, **(env or {})},
                                stdout=subprocess.PIPE, stderr=err, text=True)
        out = proc.stdout.read() if proc.stdout else ""
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        errors = err.read()
    if proc.returncode:
        raise SystemExit(f"phase {phase} failed:\n{errors[-4000:]}")
    if errors.strip() and os.environ.get("BENCH_PROFILE") == "1":
        print(errors)
    figures = json.loads(out.strip().splitlines()[-1])
    figures["rss_mb"] = usage.ru_maxrss / 1024
    return figures


def line(label: str, figures: dict, extra: str = "") -> None:
    seconds = figures["seconds"]
    print(f"{label:30} {seconds:7.2f} s  cpu {figures['cpu']:7.2f} s  {ROWS / seconds:>9,.0f} rows/s  "
          f"peak RSS {figures['rss_mb']:6.0f} MB{extra}", flush=True)


def postgres_reachable() -> bool:
    try:
        import psycopg

        admin_url = PG_URL.rsplit("/", 1)[0] + "/postgres"
        name = PG_URL.rsplit("/", 1)[1]
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return True
    except Exception as exc:  # noqa: BLE001 - any failure means "skip PostgreSQL"
        print(f"PostgreSQL not used: {exc}")
        return False


def main() -> None:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"roster-{ROWS}.xlsx"
    if not path.exists():
        # In a child: the generator holds every row (~0.8 GB at 1M), and a phase forked from
        # a parent that size reports the parent's pages as its own peak RSS until it execs.
        start = time.perf_counter()
        run("generate", str(path))
        print(f"generated {ROWS:,} rows x {len(HEADERS)} columns in {time.perf_counter() - start:.1f} s")
    print(f"{path} ({path.stat().st_size / 1e6:.1f} MB, {ROWS:,} rows x {len(HEADERS)} columns)")
    read = min((run("read", str(path)) for _ in range(3 if ROWS < 1_000_000 else 1)), key=lambda f: f["seconds"])
    line("bare calamine read", read)
    stream = run("stream", str(path))
    line("bare streamed read (xlsxrows)", stream, f"  {stream['cpu'] / read['cpu']:.2f}x calamine's cpu")
    which = os.environ.get("BENCH_DB", "sqlite,postgresql")
    with tempfile.TemporaryDirectory() as tmp:
        targets = []
        if "sqlite" in which:
            targets.append(("SQLite", f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"))
        if "postgres" in which and postgres_reachable():
            targets.append(("PostgreSQL", PG_URL))
        for label, url in targets:
            env = {"YIBIAO_VAR_DIR": tmp}
            community = run("setup", url, env=env)["community"]
            floor = run("floor", url, str(path), str(community), env=env)
            line(f"{label} storage floor", floor, f"  ({floor['facts']:,} facts, {floor['residences']:,} residences)")
            first = run("import", url, str(path), env=env)
            again = run("import", url, str(path), env=env)
            # The generator's youngest residents are born on its period end (2026-11-30);
            # run before that date, the ledger rightly rejects those as born in the future.
            assert first["created"] + first["rejected"] == ROWS, first
            assert again["unchanged"] == first["created"], again
            if first["rejected"]:
                print(f"{label}: {first['rejected']} rows rejected, e.g. {first['first_rejections'][0]['message']}")
            if first["facts"] != floor["facts"] or first["residences"] != floor["residences"]:
                print(f"{label}: the floor wrote {floor['facts']:,} facts and {floor['residences']:,} residences, "
                      f"the import {first['facts']:,} and {first['residences']:,}")
            line(f"{label} import", first, f"  {first['seconds'] / floor['seconds']:5.2f}x the floor "
                 f"(cpu {first['cpu'] / floor['cpu']:.2f}x; target <= 2x)")
            line(f"{label} re-import", again, f"  {again['seconds'] / read['seconds']:5.2f}x the read "
                 f"(cpu {again['cpu'] / read['cpu']:.2f}x; target <= 3x; "
                 f"cpu {again['cpu'] / stream['cpu']:.2f}x the streamed read)")
            if PANDAS:
                pandas = run("pandas", url, str(path), env=env)
                line(f"{label} pandas read_excel+to_sql", pandas,
                     f"  yibiao import = {first['seconds'] / pandas['seconds']:.2f}x pandas")
    print("peak RSS: each phase's own process (wait4); target <= 600 MB at 1,000,000 rows. "
          "cpu: the process's user + system time (not the database server's)")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--phase":
        child(sys.argv[2:])
    else:
        main()
