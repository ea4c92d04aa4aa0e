#!/usr/bin/env python3
"""Benchmark: on how many template columns the writer knows the format the template asks
(not a test: prints figures).

Renders bench/data/forms-dev into .xlsx templates (forms_to_xlsx.py), plus any templates
given with --extra, reads each with sheets.formats.read_formats and counts the columns
whose format was inferred from the template (dropdown, number format, header wording,
notes, samples) — overall and among the columns where a format matters (the matched
element is a date, a code, a yes/no, or the header asks a year-month or a yes/no).
Baseline, same run: the columns the writer understood before sheets/formats.py (only a
literal yes/no dropdown gave it the template's spelling). Writes bench/results/formats.json.

    .venv/bin/python bench/bench_formats.py [--forms DIR] [--extra FILE.xlsx ...]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from yibiao.matching import Matcher, load_builtin_dictionary, match_layout  # noqa: E402
from yibiao.sheets import SheetError, read_workbook  # noqa: E402
from yibiao.sheets.formats import YES_NO_PAIRS, read_formats  # noqa: E402

FORMATTED_TYPES = {"date", "code", "boolean"}


def measure(files: list[Path]) -> dict:
    matcher = Matcher()
    types = {code: spec.value_type for code, spec in load_builtin_dictionary().elements.items()}
    total = inferred = matters = matters_inferred = baseline = 0
    sources: Counter[str] = Counter()
    refused = []
    for path in files:
        try:
            book = read_workbook(path)
        except SheetError as error:
            refused.append(f"{path.name}: {error.code}")
            continue
        for layout in book.sheets:
            if layout.hidden or not layout.columns or layout.layout == "aggregate":
                continue
            formats = read_formats(path, layout.name, layout)
            match = match_layout(matcher, layout)
            for column, m in zip(layout.columns, match.columns, strict=True):
                fmt = formats.of(column.index)
                if fmt is None:
                    continue
                total += 1
                inferred += fmt.inferred
                sources.update(fmt.sources)
                asks = types.get(m.element or "", "") in FORMATTED_TYPES or fmt.year_month or fmt.yes_no
                matters += asks
                matters_inferred += asks and fmt.inferred
                baseline += bool(fmt.choices) and any(set(p) <= set(fmt.choices) for p in YES_NO_PAIRS)
    return {
        "templates": len(files), "refused": refused, "columns": total,
        "inferred": inferred, "inferred_share": round(inferred / total, 4) if total else None,
        "format_matters": matters,
        "inferred_share_where_it_matters": round(matters_inferred / matters, 4) if matters else None,
        "baseline_inferred": baseline, "baseline_share": round(baseline / total, 4) if total else None,
        "by_source": dict(sources.most_common()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forms", type=Path, default=HERE / "data" / "forms-dev")
    parser.add_argument("--extra", type=Path, nargs="*", default=[], help="more templates (.xlsx/.xls)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        subprocess.run([sys.executable, str(HERE / "forms_to_xlsx.py"), str(args.forms / "forms.jsonl"),
                        str(args.forms / "gold.jsonl"), str(out)], check=True, capture_output=True)
        manifest = [json.loads(line) for line in (out / "manifest.jsonl").open(encoding="utf-8")]
        started = time.perf_counter()
        summary = {"dev_forms": measure([out / e["file"] for e in manifest])}
        if args.extra:
            summary["extra"] = measure(list(args.extra))
        summary["seconds"] = round(time.perf_counter() - started, 3)
    for name in ("dev_forms", "extra"):
        if name not in summary:
            continue
        s = summary[name]
        print(f"{name}: {s['templates']} templates, {s['columns']} columns")
        print(f"  format inferred from the template   {s['inferred_share']}  ({s['inferred']}/{s['columns']})"
              f"   baseline (yes/no dropdowns only) {s['baseline_share']}")
        print(f"  where a format matters ({s['format_matters']} columns: dates, codes, yes/no)"
              f"   {s['inferred_share_where_it_matters']}")
        print(f"  by source: {s['by_source']}" + (f"   refused: {s['refused']}" if s["refused"] else ""))
    print(f"seconds {summary['seconds']}")
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "formats.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
