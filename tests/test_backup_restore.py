"""Backups restore into a working yibiao: the same report, cell for cell (docs/deploy.md).

Each test builds a small demo county in a database of its own through the real command
(`yibiao demo`), fills two admitted reports (`yibiao report fill … --json`), backs up the
database and the var/ directory's uploaded templates the way docs/deploy.md says, restores
both into a fresh database and directory, fills the same reports again and compares every
cell. SQLite always (sqlite3's online backup API); PostgreSQL when one is reachable
(pg_dump -Fc, pg_restore into a scratch database).
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from openpyxl import load_workbook

YIBIAO = [sys.executable, "-m", "yibiao.cli"]
PG_ADMIN = os.environ.get("BACKUP_TEST_PG", "postgres://postgres@127.0.0.1:5432/postgres")
# (request id, org unit, period): a community list by quarter and a township aggregate by month.
REPORTS = [(1, "430104", "2026Q3"), (4, "430104001", "2026-10")]


def yibiao(env: dict[str, str], *args: str) -> str:
    proc = subprocess.run([*YIBIAO, *args], env=env, text=True, capture_output=True, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def environment(database_url: str, var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YIBIAO_") and k != "DJANGO_SETTINGS_MODULE"}
    return {**env, "DATABASE_URL": database_url, "YIBIAO_VAR_DIR": str(var_dir),
            "YIBIAO_SECRET_KEY": "backup-test-not-secret"}


def reports(env: dict[str, str], out: Path) -> dict[str, list[list[object]]]:
    """Every cell of each report's filled sheet, by report."""
    cells = {}
    for request_id, org, period in REPORTS:
        path = out / f"report-{request_id}.xlsx"
        summary = json.loads(yibiao(env, "report", "fill", str(request_id), "--org", org, "--period", period,
                                    "-o", str(path), "--json"))
        assert summary["rows"] > 0, summary
        book = load_workbook(path, data_only=False)
        cells[f"{request_id}/{org}/{period}"] = [
            [c for c in row] for ws in book.worksheets for row in ws.iter_rows(values_only=True)]
    return cells


def seeded(env: dict[str, str], tmp: Path) -> dict[str, list[list[object]]]:
    yibiao(env, "demo", "--no-serve", "--households", "60")
    before = reports(env, tmp / "before")
    assert sum(len(rows) for rows in before.values()) > 10
    return before


def restore_files(source_var: Path, target_var: Path) -> None:
    """The file half of a backup: uploaded templates (var/media); never the secret key file."""
    shutil.copytree(source_var / "media", target_var / "media")


def test_sqlite_backup_restores_the_same_report(tmp_path: Path) -> None:
    (tmp_path / "before").mkdir()
    (tmp_path / "after").mkdir()
    live_var, restored_var = tmp_path / "live", tmp_path / "restored"
    live_var.mkdir()
    restored_var.mkdir()
    live = environment(f"sqlite:///{live_var / 'yibiao.sqlite3'}", live_var)
    before = seeded(live, tmp_path)

    # sqlite3's online backup: consistent even while the server writes.
    source = sqlite3.connect(live_var / "yibiao.sqlite3")
    target = sqlite3.connect(restored_var / "yibiao.sqlite3")
    with target:
        source.backup(target)
    source.close()
    target.close()
    (live_var / "yibiao.sqlite3").unlink()  # the original is gone: only the backup remains
    restore_files(live_var, restored_var)

    after = reports(environment(f"sqlite:///{restored_var / 'yibiao.sqlite3'}", restored_var),
                    tmp_path / "after")
    assert after == before


def _pg(url: str) -> object:
    psycopg = pytest.importorskip("psycopg")
    return psycopg.connect(url, autocommit=True, connect_timeout=3)


def postgres_or_skip() -> None:
    if not shutil.which("pg_dump") or not shutil.which("pg_restore"):
        pytest.skip("pg_dump/pg_restore not installed (apt-get install postgresql-client)")
    try:
        _pg(PG_ADMIN).close()
    except Exception as exc:  # noqa: BLE001 - any failure: no PostgreSQL here; the SQLite test still runs
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN}: {exc}")


def test_postgresql_dump_restores_the_same_report(tmp_path: Path) -> None:
    postgres_or_skip()
    base = PG_ADMIN.rsplit("/", 1)[0]
    live_db, restored_db = f"backup_live_{uuid.uuid4().hex[:8]}", f"backup_restored_{uuid.uuid4().hex[:8]}"
    with _pg(PG_ADMIN) as admin:
        admin.execute(f'CREATE DATABASE "{live_db}"')
        admin.execute(f'CREATE DATABASE "{restored_db}"')
    try:
        (tmp_path / "before").mkdir()
        (tmp_path / "after").mkdir()
        live_var, restored_var = tmp_path / "live", tmp_path / "restored"
        live_var.mkdir()
        restored_var.mkdir()
        before = seeded(environment(f"{base}/{live_db}", live_var), tmp_path)

        dump = tmp_path / "yibiao.dump"
        subprocess.run([shutil.which("pg_dump") or "pg_dump", "--format=custom", "--no-owner", f"--file={dump}", f"{base}/{live_db}"],
                       check=True)
        with _pg(PG_ADMIN) as admin:  # the original is gone: only the dump remains
            admin.execute(f'DROP DATABASE "{live_db}" WITH (FORCE)')
        subprocess.run([shutil.which("pg_restore") or "pg_restore", "--no-owner", "--exit-on-error", f"--dbname={base}/{restored_db}",
                        str(dump)], check=True)
        restore_files(live_var, restored_var)

        after = reports(environment(f"{base}/{restored_db}", restored_var), tmp_path / "after")
        assert after == before
    finally:
        with _pg(PG_ADMIN) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{live_db}" WITH (FORCE)')
            admin.execute(f'DROP DATABASE IF EXISTS "{restored_db}" WITH (FORCE)')
