#!/usr/bin/env python3
"""Benchmark reading real-shaped templates (not a test: prints figures).

Scores, per file, whether the header block and the layout kind are right, and over
every labelled column the precision of auto mappings and the coverage (coded columns
mapped auto and right), with the time each file took to answer (inspection plus the
format reading the admission analysis does), under the product's time limit.

Two sets by default:
- `shapes`: tests/realshapes.py, templates built with the traits of real county and
  township templates (vertical headers, column-number rows, placeholders, instructions in
  header cells, 256 formatted columns, totals under the header, org-unit and household
  code columns, long and merged cards, macros);
- `dev`: bench/data/forms-dev rendered in five layouts (bench/forms_to_xlsx.py).
`--real DIR` adds a folder of real files with DIR/labels.jsonl, one line per file:
{"file", "layout", "header_rows": [a, b], "data_start_row", "gold": {"C": "person.name", …}}
(for a card, keys are value cells such as "B3"; a refused file has "refused": CODE).

    .venv/bin/python bench/bench_layout.py [--real DIR] [--only shapes|dev] [--show]
Writes bench/results/layout.json.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

HARD_TIMEOUT = 120  # seconds: a file still reading then "never answers"


def _inspect(path: str) -> dict:
    """Inside a worker process: what `template inspect` and the analysis would read."""
    from yibiao.matching import inspect_files
    from yibiao.sheets import SheetError, read_workbook
    from yibiao.sheets.formats import read_formats
    from yibiao.sheets.safety import current_limits

    started = time.perf_counter()
    try:
        result = inspect_files([path])[0]
        book = read_workbook(path)
        result["warnings"] = [w.code for w in book.warnings]
        for sheet in book.sheets:
            if sheet.columns and not sheet.hidden:
                read_formats(path, sheet.name, sheet)
    except SheetError as exc:
        result = {"file": path, "error": exc.code}
    result["seconds"] = round(time.perf_counter() - started, 3)
    result["limit"] = current_limits().inspect_seconds
    return result


def run_one(path: Path) -> dict:
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1) as pool:
        job = pool.apply_async(_inspect, (str(path),))
        try:
            return job.get(timeout=HARD_TIMEOUT)
        except multiprocessing.TimeoutError:
            return {"file": str(path), "error": "never_answered", "seconds": HARD_TIMEOUT}


def score(entries: list[dict], results: dict[str, dict]) -> dict:
    layout_ok = auto = auto_ok = coded = coded_ok = answered = 0
    by_kind: dict[str, list[int]] = {}
    wrong_autos, wrong_layouts, missed, slow = [], [], [], []
    for e in entries:
        res = results[e["file"]]
        limit = res.get("limit") or HARD_TIMEOUT
        in_time = res.get("error") != "never_answered" and res["seconds"] <= limit
        answered += in_time
        if not in_time:
            slow.append({"file": e["file"], "seconds": res["seconds"]})
        kind = e.get("refused") and "refused" or e["layout"]
        tally = by_kind.setdefault(kind, [0, 0])
        tally[1] += 1
        if e.get("refused"):
            ok = res.get("error") == e["refused"]
            layout_ok += ok
            tally[0] += ok
            if not ok:
                wrong_layouts.append({"file": e["file"], "want": f"refused {e['refused']}", "got": res.get("error")})
            continue
        if "error" in res:
            wrong_layouts.append({"file": e["file"], "want": e["layout"], "got": res["error"]})
            coded += sum(1 for g in e["gold"].values() if g)
            continue
        sheet = res["sheets"][0]
        got_warnings = set(res.get("warnings", []))
        ok = (sheet["layout"] == e["layout"] and tuple(sheet["header_rows"]) == tuple(e["header_rows"])
              and sheet["data_start_row"] == e["data_start_row"] and set(e.get("warnings", ())) <= got_warnings)
        key = "cell" if e["layout"] == "card" else "column"
        found = {c.get(key) or c["column"]: c for c in sheet["columns"]}
        if e["layout"] == "card":
            ok = ok and set(e["gold"]) <= set(found)
        layout_ok += ok
        tally[0] += ok
        if not ok:
            wrong_layouts.append({"file": e["file"], "want": [e["layout"], e["header_rows"], e["data_start_row"]],
                                  "got": [sheet["layout"], sheet["header_rows"], sheet["data_start_row"]],
                                  "missing_cells": sorted(set(e["gold"]) - set(found))})
        for where, gold in e["gold"].items():
            col = found.get(where, {"status": "unmapped", "element": None, "header": None})
            golds = set(gold) if isinstance(gold, list) else {gold} - {None}
            coded += bool(golds)
            if col["status"] == "auto":
                auto += 1
                right = col["element"] in golds
                auto_ok += right
                coded_ok += right
                if not right:
                    wrong_autos.append({"file": e["file"], "at": where, "header": col["header"],
                                        "gold": gold, "got": col["element"]})
            elif golds:
                missed.append({"file": e["file"], "at": where, "header": col["header"], "gold": gold,
                               "got": f"{col['status']} {col['element']}"})
    n = len(entries)
    return {
        "files": n,
        "layout_right": round(layout_ok / n, 4) if n else None,
        "layout_right_by_kind": {k: f"{v[0]}/{v[1]}" for k, v in sorted(by_kind.items())},
        "auto": auto, "auto_correct": auto_ok,
        "auto_precision": round(auto_ok / auto, 4) if auto else None,
        "coded_columns": coded,
        "coverage": round(coded_ok / coded, 4) if coded else None,
        "answered_in_time": f"{answered}/{n}",
        "slowest_seconds": max((results[e["file"]]["seconds"] for e in entries), default=0),
        "wrong_layouts": wrong_layouts, "wrong_autos": wrong_autos, "coded_not_auto": missed, "slow": slow,
    }


def shape_entries(out: Path) -> list[dict]:
    from tests.realshapes import SHAPES

    entries = []
    for shape in SHAPES:
        folder = out / shape.name
        folder.mkdir()
        path = shape.build(folder)
        entries.append({"file": str(path), "layout": shape.layout, "header_rows": list(shape.header_rows),
                        "data_start_row": shape.data_start_row, "gold": shape.gold,
                        "warnings": list(shape.warnings), "refused": shape.refused})
    return entries


def dev_entries(out: Path) -> list[dict]:
    forms = HERE / "data" / "forms-dev"
    subprocess.run([sys.executable, str(HERE / "forms_to_xlsx.py"), str(forms / "forms.jsonl"),
                    str(forms / "gold.jsonl"), str(out)], check=True, capture_output=True)
    entries = []
    for line in (out / "manifest.jsonl").open(encoding="utf-8"):
        m = json.loads(line)
        gold = {}
        for c in m["columns"]:
            codes = [x for x in [c["gold"], *c.get("alt", [])] if x not in ("NONE", "AMBIGUOUS")]
            gold[c["column"]] = codes or None
        entries.append({"file": str(out / m["file"]), "layout": "list", "header_rows": m["header_rows"],
                        "data_start_row": m["data_start_row"], "gold": gold})
    return entries


def real_entries(folder: Path) -> list[dict]:
    entries = []
    for line in (folder / "labels.jsonl").open(encoding="utf-8"):
        e = json.loads(line)
        e["file"] = str(folder / e["file"])
        e.setdefault("gold", {})
        e.setdefault("header_rows", [0, 0])
        e.setdefault("data_start_row", 0)
        entries.append(e)
    return entries


def show(name: str, s: dict, verbose: bool) -> None:
    print(f"[{name}] files {s['files']}: header block and layout right {s['layout_right']}"
          f" {s['layout_right_by_kind']}   target >= 0.95")
    print(f"[{name}] auto precision {s['auto_precision']} ({s['auto_correct']}/{s['auto']})   target >= 0.98;"
          f" coverage {s['coverage']} of {s['coded_columns']} coded   target >= 0.80")
    print(f"[{name}] answered within the time limit {s['answered_in_time']}; slowest {s['slowest_seconds']} s")
    for w in s["wrong_layouts"]:
        print(f"  layout  {Path(w['file']).name}: want {w['want']} got {w['got']} {w.get('missing_cells') or ''}")
    for w in s["wrong_autos"]:
        print(f"  auto    {Path(w['file']).name} {w['at']} {w['header']!r}: gold {w['gold']} got {w['got']}")
    for w in s["slow"]:
        print(f"  slow    {Path(w['file']).name}: {w['seconds']} s")
    if verbose:
        for m in s["coded_not_auto"]:
            print(f"  missed  {Path(m['file']).name} {m['at']} {m['header']!r}: gold {m['gold']} got {m['got']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real", type=Path, help="a folder of real files with labels.jsonl")
    parser.add_argument("--only", choices=("shapes", "dev"))
    parser.add_argument("--show", action="store_true", help="also list coded columns not mapped auto")
    args = parser.parse_args()
    import yibiao.matching
    import yibiao.sheets.formats  # noqa: F401  imported once here, inherited by each forked worker

    yibiao.matching.load_builtin_dictionary()
    summary = {}
    with tempfile.TemporaryDirectory() as tmp:
        sets = {}
        if args.only in (None, "shapes"):
            (Path(tmp) / "shapes").mkdir()
            sets["shapes"] = shape_entries(Path(tmp) / "shapes")
        if args.only in (None, "dev"):
            sets["dev"] = dev_entries(Path(tmp) / "dev")
        if args.real:
            sets["real"] = real_entries(args.real)
        for name, entries in sets.items():
            results = {e["file"]: run_one(Path(e["file"])) for e in entries}
            summary[name] = score(entries, results)
            show(name, summary[name], args.show)
    results_dir = HERE / "results"
    results_dir.mkdir(exist_ok=True)
    (results_dir / "layout.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
