#!/usr/bin/env python3
"""`make bench`: every benchmark in turn, then one table of ratios (not part of `make test`).

Each benchmark runs in its own process with BENCH_SCALE (default 1.0) and prints its
figures beside a baseline measured in the same run; this script gathers the ratios from
their bench/results/*.json (bench_import prints only: its lines are parsed) and writes
bench/results/summary.json.

    make bench                          # full size: 1,000,000 residents / rows
    BENCH_SCALE=0.1 make bench          # a few minutes
    BENCH_ONLY=asof,rollup make bench   # some of them (names without bench_)
"""
from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
# (name, script): bench_burden belongs to issue 7 and runs when present.
BENCHMARKS = [("matching", "bench_matching.py"), ("import", "bench_import.py"), ("burden", "bench_burden.py"),
              ("asof", "bench_asof.py"), ("rollup", "bench_rollup.py"), ("fill", "bench_fill.py"),
              ("province", "bench_province.py"), ("loadtest", "loadtest.py"), ("pages", "bench_pages.py")]
IMPORT_LINE = re.compile(r"^(SQLite|PostgreSQL) (import|re-import)\s+([\d.]+) s .*?([\d.]+)x the (floor|read)")
PANDAS_LINE = re.compile(r"^(SQLite|PostgreSQL) pandas .*yibiao import = ([\d.]+)x pandas")


def load(name: str) -> dict | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def ratios(outputs: dict[str, str], started: float) -> list[dict]:
    """One row per figure: what, measured, baseline, ratio, target."""
    rows: list[dict] = []

    def add(bench: str, what: str, value: object, baseline: str, target: str) -> None:
        rows.append({"bench": bench, "what": what, "value": value, "baseline": baseline, "target": target})

    if (m := load("matching")) and m.get("seconds", 0) >= 0 and "matching" in outputs:
        add("matching", "header matching, templates/s", m["templates_per_second"], "—", "—")
        add("matching", "auto precision", m["auto_precision"], "gold labels", ">= 0.99")
    for line in outputs.get("import", "").splitlines():
        if found := IMPORT_LINE.match(line.strip()):
            backend, kind, _, ratio, against = found.groups()
            if against == "floor":
                add("import", f"{backend} {kind} / storage floor", float(ratio),
                    "calamine read + COPY/executemany of the same facts and residences", "<= 2x")
            else:
                add("import", f"{backend} {kind} / calamine read", float(ratio), "python-calamine read",
                    "<= 3x")
        if found := PANDAS_LINE.match(line.strip()):
            backend, ratio = found.groups()
            add("import", f"{backend} import / pandas read_excel + to_sql", float(ratio),
                "pandas, same database", "well below 1x")
    if (b := load("burden")) and "burden" in outputs:
        for key, value in b.items():
            if "ratio" in key or key.endswith("_vs_floor"):
                add("burden", key, value, "floor", "see bench_burden")
    if (a := load("asof")) and "asof" in outputs:
        for vendor, fig in a["backends"].items():
            small, large = fig["steps"][0], fig["steps"][-1]
            add("asof", f"{vendor} community read, county {large['county_people']:,} vs {small['county_people']:,}",
                fig["community_ratio"], "same read, smallest county", "~1x")
            add("asof", f"{vendor} township read per resident, largest vs smallest county",
                fig["township_per_person_ratio"], "same read, smallest county", "~1x")
            add("asof", f"{vendor} community read ms ({large['community_people']:,} people)",
                round(large["community_s"] * 1000, 1), "—", "—")
    if (r := load("rollup")) and "rollup" in outputs:
        add("rollup", f"product reports.rollup, every level ({r['people']:,} residents)", r["product_vs_duckdb"],
            f"DuckDB {r['duckdb_version']} over the ledger", "<= 2x")
        if r.get("product_vs_duckdb_cpu") is not None:
            add("rollup", "the same in CPU time (PostgreSQL backend counted)", r["product_vs_duckdb_cpu"],
                "DuckDB's CPU time, all threads", "—")
        if r.get("reports_vs_duckdb") is not None:
            add("rollup", "build_report for every unit", r["reports_vs_duckdb"], "DuckDB over the ledger", "—")
        if r.get("sql_vs_duckdb") is not None:
            add("rollup", "hand-written GROUP BY ROLLUP (reference)", r["sql_vs_duckdb"], "DuckDB over the ledger",
                "—")
    if (p := load("province")) and "province" in outputs:
        add("province", f"province roll-up, every level ({p['people']:,} residents, {len(p['counties'])} counties)",
            p["province_vs_duckdb"], "DuckDB over the ledger", "—")
        add("province", "per-county roll-up, least–most", "–".join(map(str, p["county_rollup_vs_duckdb"])),
            "DuckDB, that county", "<= 2x")
        add("province", "per-county as-of read, ms per 1,000 residents", "–".join(map(str, p["asof_read_ms_per_1000"])),
            "—", "—")
        if p.get("partitioned"):
            for key, what in (("asof_read", "per-county as-of read"), ("rollup", "per-county roll-up")):
                add("province", f"partitioned / plain tables: {what}, least–most (CPU)",
                    "–".join(map(str, p[f"county_{key}_part_vs_plain"]))
                    + f" (CPU {'–'.join(map(str, p[f'county_{key}_part_vs_plain_cpu']))})",
                    "the same province, ledger 0008 reversed", "—")
            add("province", "partitioned / plain tables: province roll-up (CPU)",
                f"{p['province_rollup_part_vs_plain']} (CPU {p['province_rollup_part_vs_plain_cpu']})",
                "the same province, ledger 0008 reversed", "—")
        if lt := p.get("load"):
            add("province", f"load test p95 ms, {lt['users']} users over {lt['servers']} app servers, "
                f"{lt['requests']:,} requests, {lt['errors']} errors", lt["p95_ms"], "—", "<= 200 ms")
            for name, page in sorted(lt["pages"].items()):
                add("province", f"  p95 ms: {name}", page["p95_ms"], "—", "—")
    if (f := load("fill")) and "fill" in outputs:
        add("fill", f"fill_template_streaming, {f['rows']:,} rows x 10", f["streaming"]["ratio"],
            "xlsxwriter constant_memory", "<= 1.5x")
        add("fill", "openpyxl fill_template (per row)", f["openpyxl"]["ratio"], "xlsxwriter constant_memory", "—")
    if (lt := load("loadtest")) and "loadtest" in outputs:
        add("loadtest", f"p95 ms, {lt['users']} users, {lt['requests']:,} requests", lt["p95_ms"], "—", "<= 200 ms")
        add("loadtest", "p50 / p99 ms", f"{lt['p50_ms']} / {lt['p99_ms']}", "—", "—")
        add("loadtest", "errors", lt["errors"], "—", "0")
    if (pg := load("pages")) and "pages" in outputs:
        add("pages", f"page load p95 ms, every page each demo role reaches ({pg['database']})", pg["p95_ms"],
            "—", f"< {pg['target_p95_ms']} ms")
        for role, fig in pg["roles"].items():
            add("pages", f"{role}: p50 / p95 / max ms, {fig['pages']} pages",
                f"{fig['p50_ms']} / {fig['p95_ms']} / {fig['max_ms']}", "—", "—")
        add("pages", "links answering 403/404/5xx", len(pg["broken"]), "—", "0")
    return rows


def main() -> None:
    scale = os.environ.get("BENCH_SCALE", "1.0")
    only = [n for n in os.environ.get("BENCH_ONLY", "").split(",") if n]
    env = {**os.environ, "BENCH_SCALE": scale, "PYTHONUNBUFFERED": "1"}
    started = time.time()
    outputs: dict[str, str] = {}
    timings: dict[str, float] = {}
    failed: list[str] = []
    for name, script in BENCHMARKS:
        if only and name not in only:
            continue
        path = HERE / script
        if not path.exists():
            print(f"== {name}: {script} not present, skipped")
            continue
        (RESULTS / f"{name}.json").unlink(missing_ok=True)  # a stale file must not pass for this run
        print(f"\n== {name} (BENCH_SCALE={scale})", flush=True)
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, str(path)], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        lines = []
        assert proc.stdout is not None
        for line in proc.stdout:
            print(line, end="", flush=True)
            lines.append(line)
        proc.wait()
        timings[name] = round(time.perf_counter() - start, 1)
        if proc.returncode:
            failed.append(name)
            print(f"!! {name} failed (exit {proc.returncode})")
        else:
            outputs[name] = "".join(lines)
        print(f"-- {name}: {timings[name]:.0f} s")
    rows = ratios(outputs, started)
    print(f"\n== summary (BENCH_SCALE={scale}, {time.time() - started:.0f} s in all)")
    width = max((len(r["what"]) for r in rows), default=10)
    for r in rows:
        print(f"  {r['bench']:9} {r['what']:<{width}}  {r['value']!s:>12}  vs {r['baseline']:<32} target {r['target']}")
    if failed:
        print(f"  FAILED: {', '.join(failed)}")
    RESULTS.mkdir(exist_ok=True)
    summary = {"scale": float(scale), "finished": dt.datetime.now().isoformat(timespec="seconds"),
               "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
               "seconds": round(time.time() - started), "per_benchmark_s": timings, "failed": failed,
               "ratios": rows}
    (RESULTS / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
