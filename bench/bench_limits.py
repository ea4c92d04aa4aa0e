#!/usr/bin/env python3
"""The 1,000,000-row × 3-column roster of issue 13 through every reader, with peak memory.

Not a test and not part of `make bench`'s ratios: it shows the read limits hold. Writes the
roster with bench/bigsheet.py (~12 MB, under the web upload's 20 MB), sets up a SQLite
database with one community, then runs each path in a child process and reports its wall
time, exit status and peak RSS (from the child's own rusage, as /usr/bin/time -v does):

  inspect      yibiao template inspect FILE
  cli-dry-run  yibiao ledger import FILE --org CODE --dry-run
  web          upload → mapping page → dry run through Django's test client, the gate
               (YIBIAO_WEB_IMPORT_ROWS) as configured: refused at upload
  web-open     the same with the gate opened, so the reading limits must hold on their own

The issue's bar: refused or processed under 1.5 GB peak on each path. Run it once, on a
quiet machine:   .venv/bin/python bench/bench_limits.py [ROWS]
"""
from __future__ import annotations

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

COMMUNITY = "430104001001"
YIBIAO = str(Path(sys.executable).with_name("yibiao"))


def setup(var_dir: Path) -> None:
    env = {**os.environ, "YIBIAO_VAR_DIR": str(var_dir)}
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, __file__, "--setup"], env=env, check=True)


def _setup_child() -> None:
    from yibiao.cli import setup_django

    setup_django()
    from yibiao.orgunits.divisions import add_unit
    from yibiao.orgunits.models import Level, OrgUnit
    from yibiao.setup import initialise

    initialise()
    if not OrgUnit.objects.filter(code=COMMUNITY).exists():
        add_unit(COMMUNITY, "红星社区", Level.COMMUNITY, OrgUnit.objects.get(code=COMMUNITY[:9]))


def _web_child(path: str) -> None:
    """Upload, open the mapping page, dry-run: what a worker's browser would do."""
    from yibiao.cli import setup_django

    setup_django()
    from django.test import Client

    from yibiao.accounts.operators import cli_user

    client = Client()
    client.force_login(cli_user(None))
    with open(path, "rb") as handle:
        up = client.post("/intake/upload/", {"org": COMMUNITY, "file": handle})
    out: dict[str, object] = {"upload": up.status_code}
    if up.status_code != 302:
        out["message"] = _error(up.content.decode())
    else:
        page = client.get(up["Location"])
        out["mapping"] = page.status_code
        run = client.post(up["Location"] + "run/", {"action": "dry_run"})
        out["dry_run"] = run.status_code
        out["message"] = _error(run.content.decode())
    print(json.dumps(out, ensure_ascii=False))


def _error(html: str) -> str:
    for marker in ('class="error"', "未导入", "无法", "上限"):
        at = html.find(marker)
        if at >= 0:
            return " ".join(html[at:at + 300].split())
    return html[:200]


def peak_rss_mb(argv: list[str], env: dict[str, str]) -> tuple[dict[str, object], float]:
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    # Read everything first (a full pipe would block the child), then collect its rusage.
    output = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    lines = [line for line in output.strip().splitlines() if line.strip()]
    return ({"seconds": round(seconds, 1), "exit": proc.returncode,
             "output": " | ".join(lines[-2:])[:400]}, usage.ru_maxrss / 1024)


def main() -> None:
    from bigsheet import write_roster

    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        tmp_dir = Path(tmp)
        path = tmp_dir / "花名册.xlsx"
        write_roster(path, rows - 1)  # the header is one of the rows
        print(f"{path.name}: {rows:,} rows × 3 columns, {path.stat().st_size / 1e6:.1f} MB")
        var_dir = tmp_dir / "var"
        setup(var_dir)
        env = {**os.environ, "YIBIAO_VAR_DIR": str(var_dir)}
        env.pop("DATABASE_URL", None)
        runs = [
            ("inspect", [YIBIAO, "template", "inspect", str(path)], env),
            ("cli-dry-run", [YIBIAO, "ledger", "import", str(path), "--org", COMMUNITY, "--dry-run"], env),
            ("web", [sys.executable, __file__, "--web", str(path)], env),
            ("web-open", [sys.executable, __file__, "--web", str(path)],
             {**env, "YIBIAO_WEB_IMPORT_ROWS": str(rows * 2)}),
        ]
        results = []
        for name, argv, run_env in runs:
            result, peak = peak_rss_mb(argv, run_env)
            result = {"path": name, **result, "peak_rss_mb": round(peak)}
            results.append(result)
            verdict = "ok" if peak < 1536 else "OVER 1.5 GB"
            print(f"{name:12} {result['seconds']:>7} s  peak {peak:>6.0f} MB  exit {result['exit']}  [{verdict}]"
                  f"\n             {result['output']}")
        (HERE / "results").mkdir(exist_ok=True)
        (HERE / "results" / "limits.json").write_text(json.dumps(results, ensure_ascii=False, indent=2),
                                                      encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--setup":
        _setup_child()
    elif len(sys.argv) > 2 and sys.argv[1] == "--web":
        _web_child(sys.argv[2])
    else:
        main()
