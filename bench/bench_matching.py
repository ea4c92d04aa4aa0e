#!/usr/bin/env python3
"""Benchmark header matching on the labelled dev forms (not a test: prints figures).

Renders bench/data/forms-dev into .xlsx templates (five layouts) in a temp dir, runs
inspect_files once over all of them, and scores the auto/suggested mappings against the
gold labels. Writes bench/results/matching.json.

    .venv/bin/python bench/bench_matching.py [--forms DIR] [--show-suggested]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from yibiao.matching import inspect_files  # noqa: E402

UNCODED = {"NONE", "AMBIGUOUS"}


def acceptable(gold: dict) -> set[str]:
    """Codes counted as correct for a column: gold (when coded) and its alternatives."""
    codes = set(gold.get("alt") or [])
    if gold["gold"] not in UNCODED:
        codes.add(gold["gold"])
    return codes


def score(manifest: list[dict], results: list[dict]) -> dict:
    by_file = {Path(r["file"]).name: r for r in results}
    auto = auto_ok = suggested = suggested_ok = coded = coded_auto_ok = 0
    layout_ok = header_ok = 0
    wrong_autos, missed = [], []
    for entry in manifest:
        sheet = by_file[entry["file"]]["sheets"][0]
        header_ok += sheet["header_rows"] == entry["header_rows"] and sheet["data_start_row"] == entry["data_start_row"]
        layout_ok += sheet["layout"] == "list"
        found = {c["column"]: c for c in sheet["columns"]}
        for gold in entry["columns"]:
            col = found.get(gold["column"], {"status": "unmapped", "element": None, "header": None})
            ok_codes = acceptable(gold)
            is_coded = gold["gold"] not in UNCODED
            coded += is_coded
            correct = col["element"] in ok_codes
            if col["status"] == "auto":
                auto += 1
                auto_ok += correct
                coded_auto_ok += correct and is_coded
                if not correct:
                    wrong_autos.append({"file": entry["file"], "variant": entry["variant"], "header": gold["header"],
                                        "gold": gold["gold"], "alt": gold.get("alt", []), "got": col["element"]})
            elif col["status"] == "suggested":
                suggested += 1
                suggested_ok += correct
            if is_coded and not (col["status"] == "auto" and correct):
                missed.append({"file": entry["file"], "header": gold["header"], "gold": gold["gold"],
                               "status": col["status"], "got": col["element"]})
    n = len(manifest)
    return {
        "templates": n,
        "columns": sum(len(e["columns"]) for e in manifest),
        "coded_columns": coded,
        "auto": auto,
        "auto_correct": auto_ok,
        "auto_precision": round(auto_ok / auto, 4) if auto else None,
        "coverage": round(coded_auto_ok / coded, 4) if coded else None,
        "suggested": suggested,
        "auto_or_suggested_correct_share": round((auto_ok + suggested_ok) / (auto + suggested), 4) if auto + suggested else None,
        "header_block_correct": f"{header_ok}/{n}",
        "layout_list_correct": f"{layout_ok}/{n}",
        "wrong_autos": wrong_autos,
        "coded_not_auto": missed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forms", type=Path, default=HERE / "data" / "forms-dev")
    parser.add_argument("--show-missed", action="store_true", help="list coded columns not auto-mapped")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        subprocess.run([sys.executable, str(HERE / "forms_to_xlsx.py"), str(args.forms / "forms.jsonl"),
                        str(args.forms / "gold.jsonl"), str(out)], check=True)
        manifest = [json.loads(line) for line in (out / "manifest.jsonl").open(encoding="utf-8")]
        files = [out / e["file"] for e in manifest]
        started = time.perf_counter()
        results = inspect_files(files)
        elapsed = time.perf_counter() - started
    summary = score(manifest, results)
    summary["seconds"] = round(elapsed, 3)
    summary["templates_per_second"] = round(len(files) / elapsed, 1)
    print(f"templates {summary['templates']}  columns {summary['columns']}  coded {summary['coded_columns']}")
    print(f"header block correct       {summary['header_block_correct']}   layout 'list' {summary['layout_list_correct']}")
    print(f"auto precision             {summary['auto_precision']}  ({summary['auto_correct']}/{summary['auto']})   target >= 0.99")
    print(f"coverage (correct auto / coded) {summary['coverage']}   target >= 0.90")
    print(f"correct share of auto+suggested {summary['auto_or_suggested_correct_share']}  (suggested {summary['suggested']})")
    print(f"speed                      {summary['templates_per_second']} templates/s ({summary['seconds']} s incl. reading)")
    print(f"wrong autos: {len(summary['wrong_autos'])}")
    for w in summary["wrong_autos"]:
        print(f"  {w['file']} v{w['variant']}  {w['header']!r}: gold {w['gold']} {w['alt'] or ''} -> got {w['got']}")
    if args.show_missed:
        print("coded columns not auto-mapped:")
        for m in summary["coded_not_auto"]:
            print(f"  {m['file']}  {m['header']!r}: gold {m['gold']} -> {m['status']} {m['got']}")
    results_dir = HERE / "results"
    results_dir.mkdir(exist_ok=True)
    (results_dir / "matching.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
