"""The installed `yibiao` command, run as a user runs it: a real process, a real database file."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from stdnum.cn import ric

YIBIAO = str(Path(sys.executable).with_name("yibiao"))


def run(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "YIBIAO_VAR_DIR": str(tmp_path), "DATABASE_URL": ""}
    return subprocess.run([YIBIAO, *args], env=env, capture_output=True, text=True, timeout=300,
                          check=False)


def test_help_lists_the_subcommands(tmp_path):
    result = run("--help", tmp_path=tmp_path)
    assert result.returncode == 0
    for command in ("init", "demo", "serve"):
        assert command in result.stdout


def test_demo_without_serving_builds_a_county_and_prints_accounts(tmp_path):
    result = run("demo", "--no-serve", "--households", "60", "--seed", "3", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "worker1" in result.stdout and "demo-worker1-2026" in result.stdout
    database = sqlite3.connect(tmp_path / "yibiao.sqlite3")
    townships = database.execute(
        "select count(*) from orgunits_orgunit where level='township'").fetchone()[0]
    assert townships == 41352
    ids = [row[0] for row in database.execute("select id_number from ledger_person")]
    assert len(ids) > 100 and all(ric.is_valid(i) for i in ids)
    again = run("init", tmp_path=tmp_path)
    assert again.returncode == 0 and "44703" in again.stdout
