#!/usr/bin/env python3
"""Benchmark a ledger import against the bare read of the same file (not a test).

Generates a 1,000,000 × BENCH_SCALE-row 花名册 (.xlsx, openpyxl write-only; 100,000 rows
at BENCH_SCALE=0.1, the size issue 4 names) from the synthetic county's people, then
measures in one run:

  floor   python-calamine reading every cell of the sheet, nothing else;
  import  `import_ledger` (layout, matching, validation, write) into a fresh SQLite
          database, and into PostgreSQL when one is reachable; then a re-import of the
          same file (every row unchanged);
  pandas  what a user would script: pandas.read_excel (its default engine) and
          DataFrame.to_sql into the same kind of database — no validation, no matching,
          no history, one text column per header.

Prints rows/s and the ratios import / floor (targets: 3x, issue 4; 2x on PostgreSQL,
issue 8) and import / pandas.

    .venv/bin/python bench/bench_import.py                   # 1,000,000 rows
    BENCH_SCALE=0.1 .venv/bin/python bench/bench_import.py   # 100,000 rows
    BENCH_PROFILE=1 ...                               # cProfile the SQLite import, top 25
    BENCH_PANDAS=0 ...                                # skip the pandas baseline
    BENCH_PG=postgres://postgres@127.0.0.1:5432/bench_import  # PostgreSQL target (dropped and recreated)
"""
from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

ROWS = int(1_000_000 * float(os.environ.get("BENCH_SCALE", "1")))
PANDAS = os.environ.get("BENCH_PANDAS", "1") != "0"
PG_URL = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432/bench_import")
COUNTY = "430104"
COMMUNITY = "430104001001"
HEADERS = ["序号", "户号", "姓名", "公民身份号码", "与户主关系", "民族", "联系电话", "婚姻状况",
           "文化程度", "政治面貌", "现居住地址", "工作单位"]
ELEMENTS = [None, None, "person.name", "person.id_number", "person.relation_to_head",
            "person.ethnicity", "person.phone", "person.marital_status", "person.education",
            "person.political_status", "person.residence_address", "person.work_unit"]


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
    wb.save(path)


def bare_read(path: Path) -> float:
    from python_calamine import CalamineWorkbook

    start = time.perf_counter()
    wb = CalamineWorkbook.from_path(str(path))
    cells = sum(len(row) for row in wb.get_sheet_by_index(0).iter_rows())
    wb.close()
    assert cells >= ROWS * len(HEADERS)
    return time.perf_counter() - start


def import_once(path: Path, profile: bool = False) -> tuple[float, dict]:
    from yibiao.accounts.operators import cli_user
    from yibiao.intake.importer import import_ledger
    from yibiao.orgunits.models import OrgUnit

    user = cli_user(None)
    unit = OrgUnit.objects.get(code=COMMUNITY)
    profiler = cProfile.Profile() if profile else None
    start = time.perf_counter()
    if profiler:
        profiler.enable()
    result = import_ledger(user, path, unit)
    if profiler:
        profiler.disable()
    elapsed = time.perf_counter() - start
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
        print(out.getvalue())
    return elapsed, result.as_dict()


def child(db_url: str, path: str) -> None:
    """Run in a fresh process per database: set up Django there, import twice, print JSON."""
    os.environ["DATABASE_URL"] = db_url
    from yibiao.cli import setup_django

    setup_django()
    from yibiao.orgunits.divisions import add_unit
    from yibiao.orgunits.models import Level, OrgUnit
    from yibiao.setup import initialise

    initialise()
    township = OrgUnit.objects.get(code=COMMUNITY[:9])
    if not OrgUnit.objects.filter(code=COMMUNITY).exists():
        add_unit(COMMUNITY, "红星社区", Level.COMMUNITY, township)
    first, result = import_once(Path(path), profile=os.environ.get("BENCH_PROFILE") == "1")
    if result["refused"]:
        raise SystemExit(f"the import was refused: {result['refused']}")
    again, repeat = import_once(Path(path))
    pandas = pandas_once(db_url, Path(path)) if PANDAS else None
    print(json.dumps({"first": first, "again": again, "created": result["created"],
                      "rejected": result["rejected"], "pandas": pandas,
                      "first_rejections": result["rejections"][:3], "unchanged_again": repeat["unchanged"]}))


def pandas_once(db_url: str, path: Path) -> dict:
    """read_excel + to_sql as a user would write them: defaults, every column as text."""
    import pandas as pd
    import sqlalchemy

    url = db_url if db_url.startswith("sqlite") else db_url.replace("postgres://", "postgresql+psycopg://", 1)
    engine = sqlalchemy.create_engine(url)
    start = time.perf_counter()
    frame = pd.read_excel(path, dtype=str)
    read = time.perf_counter() - start
    frame.to_sql("pandas_roster", engine, if_exists="replace", index=False)
    total = time.perf_counter() - start
    engine.dispose()
    assert len(frame) == ROWS, len(frame)
    return {"read": read, "total": total}


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


def run_child(db_url: str, path: Path, var_dir: Path) -> dict:
    # The import of a 1,000,000-row roster is what is measured: the per-request parse budget
    # that protects a web worker (YIBIAO_PARSE_MEMORY_MB, 300 MB) would refuse it, as it should.
    env = {"YIBIAO_PARSE_MEMORY_MB": "0", **os.environ, "YIBIAO_VAR_DIR": str(var_dir),
           "BENCH_CHILD": "1"}
    proc = subprocess.run([sys.executable, __file__, db_url, str(path)], env=env, text=True,
                          capture_output=True, check=False)
    if proc.returncode:
        raise SystemExit(proc.stderr)
    lines = proc.stdout.strip().splitlines()
    print("\n".join(lines[:-1]))
    return json.loads(lines[-1])


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        path = tmp_path / "roster.xlsx"
        start = time.perf_counter()
        write_file(path, ROWS)
        print(f"generated {ROWS:,} rows x {len(HEADERS)} columns in {time.perf_counter() - start:.1f} s "
              f"({path.stat().st_size / 1e6:.1f} MB)")
        floor = min(bare_read(path) for _ in range(3))
        print(f"{'bare calamine read (floor)':34} {floor:7.2f} s  {ROWS / floor:>9,.0f} rows/s")
        targets = [("SQLite", f"sqlite:///{tmp_path / 'bench.sqlite3'}")]
        if postgres_reachable():
            targets.append(("PostgreSQL", PG_URL))
        for label, url in targets:
            figures = run_child(url, path, tmp_path)
            # The generator's youngest residents are born on its period end (2026-11-30);
            # run before that date, the ledger rightly rejects those as born in the future.
            assert figures["created"] + figures["rejected"] == ROWS, figures
            assert figures["unchanged_again"] == figures["created"], figures
            if figures["rejected"]:
                print(f"{label}: {figures['rejected']} rows rejected, e.g. {figures['first_rejections'][0]['message']}")
            target = "<= 2x on PostgreSQL" if label == "PostgreSQL" else "<= 3x"
            for kind, key in (("import", "first"), ("re-import", "again")):
                seconds = figures[key]
                print(f"{label + ' ' + kind:34} {seconds:7.2f} s  {ROWS / seconds:>9,.0f} rows/s  "
                      f"{seconds / floor:5.1f}x the floor (target {target})")
            if figures.get("pandas"):
                pandas = figures["pandas"]
                print(f"{label + ' pandas read_excel + to_sql':34} {pandas['total']:7.2f} s  "
                      f"{ROWS / pandas['total']:>9,.0f} rows/s  {pandas['total'] / floor:5.1f}x the floor "
                      f"(read_excel alone {pandas['read']:.2f} s); yibiao import = "
                      f"{figures['first'] / pandas['total']:.2f}x pandas")


if __name__ == "__main__":
    if os.environ.get("BENCH_CHILD"):
        child(sys.argv[1], sys.argv[2])
    else:
        main()
