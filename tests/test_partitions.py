"""The ledger partitioned by county on PostgreSQL (issue 17): tests/partition_checks.py.

On a PostgreSQL suite the checks are collected here and run in this process. On SQLite,
where the tables stay plain, they run in a child pytest against the local PostgreSQL
server on a database of their own; with no server they are skipped, except under CI
(CI=true), whose machine has one and must exercise them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.partition_checks import POSTGRES

if POSTGRES:  # the checks, collected here (with their module's marks)
    from tests.partition_checks import *  # noqa: F403

ROOT = Path(__file__).resolve().parent.parent
SERVER = "postgres://postgres@127.0.0.1:5432"


@pytest.mark.django_db
def test_sqlite_keeps_plain_tables_and_reads_unfiltered():
    if POSTGRES:
        return  # the checks above ran on this server
    from yibiao.ledger import partitions

    assert not partitions.partitioned()
    assert str(partitions.fact_county_q("430104001001")) == "(AND: )"
    assert partitions.ensure_counties(["430104001001"]) == []


def _server_up() -> bool:
    try:
        import psycopg

        psycopg.connect(SERVER.replace("postgres://", "postgresql://") + "/postgres", connect_timeout=2).close()
    except Exception:  # noqa: BLE001 - no local server
        return False
    return True


def test_the_checks_pass_on_postgresql(tmp_path):
    if POSTGRES:
        return  # collected and run above, in this process
    if not _server_up():
        if os.environ.get("CI"):
            pytest.fail("CI's machine runs PostgreSQL on 127.0.0.1:5432: the partition checks must run")
        pytest.skip("no PostgreSQL on 127.0.0.1:5432 to run tests/partition_checks.py against")
    name = f"yb_partitions_{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DATABASE_URL": f"{SERVER}/{name}", "YIBIAO_VAR_DIR": str(tmp_path / "var"),
           "YIBIAO_SECRET_KEY": "partition-checks"}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--create-db",
                          "tests/partition_checks.py"], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=900)
    print(run.stdout[-6000:], run.stderr[-3000:])  # shown when the assertion fails
    assert run.returncode == 0, "tests/partition_checks.py failed on PostgreSQL: its output is above"
    last = run.stdout.strip().splitlines()[-1]
    assert "failed" not in last and "skipped" not in last and "error" not in last, last
