"""Reads that may lag go to a replica (yibiao/replica.py).

Without a replica (the normal case) every query goes to `default`, whatever the code says
about lag. With one, tests/replica_checks.py runs against a real PostgreSQL streaming
replica this test starts from Debian's binaries: its own primary (initdb, on a free loopback
port, allowing replication connections, so the shared server on 5432 is left as it is),
a standby made with `pg_basebackup -R`, both in a temporary directory removed afterwards.
initdb and pg_ctl refuse to run as root: as root they run as the `postgres` user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import DEFAULT_DB_ALIAS, transaction

from yibiao import replica

ROOT = Path(__file__).resolve().parent.parent
BINARIES = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_basebackup"))
PG_BIN = Path(BINARIES[-1]).parent if BINARIES else None


# --- without a replica -------------------------------------------------------------------

def test_without_a_replica_every_read_goes_to_default(monkeypatch):
    monkeypatch.setattr(replica, "has_replica", lambda: False)
    router = replica.ReplicaRouter()
    with replica.unit_of_work(), replica.reads_may_lag():
        assert router.db_for_read(object) == DEFAULT_DB_ALIAS
        assert replica.read_alias() == DEFAULT_DB_ALIAS


@pytest.mark.django_db(transaction=True)
def test_the_router_decides_by_what_the_code_said(monkeypatch):
    """The rules, with a replica said to exist (never connected to: only decisions here)."""
    monkeypatch.setattr(replica, "has_replica", lambda: True)
    router = replica.ReplicaRouter()
    with replica.unit_of_work():
        assert router.db_for_read(object) == DEFAULT_DB_ALIAS  # not marked
        with replica.reads_may_lag():
            assert router.db_for_read(object) == replica.REPLICA
            with transaction.atomic():
                assert router.db_for_read(object) == DEFAULT_DB_ALIAS  # in a transaction
            with replica.not_read_back():
                assert router.db_for_write(object) == DEFAULT_DB_ALIAS
            assert router.db_for_read(object) == replica.REPLICA  # bookkeeping does not pin
            assert router.db_for_write(object) == DEFAULT_DB_ALIAS
            assert router.db_for_read(object) == DEFAULT_DB_ALIAS  # after a write: the primary
    with replica.unit_of_work(pinned=True), replica.reads_may_lag():
        assert router.db_for_read(object) == DEFAULT_DB_ALIAS  # the pin cookie
    assert router.allow_migrate(replica.REPLICA, "ledger") is False
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "ledger") is True


def test_a_lag_tolerant_decorator_marks_only_its_own_call():
    @replica.reads_may_lag()
    def view() -> bool:
        return replica._lag_ok.get()

    assert view() is True and view() is True
    assert replica._lag_ok.get() is False


# --- a real streaming replica ------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(args: list[str], **kwargs: object) -> subprocess.CompletedProcess:
    """initdb and pg_ctl refuse root: as root, run them as the `postgres` user."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run(prefix + args, check=True, capture_output=True, text=True, timeout=120,
                          **kwargs)


@pytest.fixture(scope="module")
def streaming_pair() -> Iterator[tuple[int, int]]:
    """(primary port, standby port) on 127.0.0.1; stopped and removed afterwards."""
    if PG_BIN is None:
        pytest.skip("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin "
                    "(Debian's postgresql package) to start a primary and a streaming replica")
    folder = Path(tempfile.mkdtemp(prefix="yibiao-replica-"))
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")  # Debian's package creates it with the server
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    primary, standby = folder / "primary", folder / "standby"
    ports = _free_port(), _free_port()
    started: list[Path] = []
    try:
        _as_postgres([str(PG_BIN / "initdb"), "-D", str(primary), "-U", "postgres",
                      "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"])
        with (primary / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {ports[0]}\nlisten_addresses = '127.0.0.1'\n"
                       f"unix_socket_directories = '{folder}'\nwal_level = replica\n"
                       "max_wal_senders = 4\nfsync = off\n")
        # initdb --auth=trust already lets 127.0.0.1 open replication connections.
        assert "replication" in (primary / "pg_hba.conf").read_text()
        _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(primary), "-l", str(folder / "primary.log"),
                      "-w", "start"])
        started.append(primary)
        _as_postgres([str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(ports[0]),
                      "-U", "postgres", "-D", str(standby), "-R", "-X", "stream", "-c", "fast"])
        with (standby / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {ports[1]}\nhot_standby = on\n")
        _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(standby), "-l", str(folder / "standby.log"),
                      "-w", "start"])
        started.append(standby)
        yield ports
    finally:
        for data in reversed(started):
            subprocess.run((["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else [])
                           + [str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                           capture_output=True, timeout=120)
        shutil.rmtree(folder, ignore_errors=True)


def test_lag_tolerant_reads_on_a_real_streaming_replica(streaming_pair, tmp_path):
    primary, standby = streaming_pair
    import psycopg

    with psycopg.connect(f"postgresql://postgres@127.0.0.1:{primary}/postgres", autocommit=True) as c:
        c.execute("CREATE DATABASE yibiao")
    env = {**os.environ,
           "DATABASE_URL": f"postgres://postgres@127.0.0.1:{primary}/yibiao",
           "YIBIAO_REPLICA_URL": f"postgres://postgres@127.0.0.1:{standby}/yibiao",
           "YIBIAO_VAR_DIR": str(tmp_path / "var"), "YIBIAO_SECRET_KEY": "replica-test"}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "tests/replica_checks.py"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=900)
    print(run.stdout, run.stderr[-3000:])  # shown by pytest when the assertion fails
    assert run.returncode == 0, "tests/replica_checks.py failed on the replica: its output is above"
    last = run.stdout.strip().splitlines()[-1]
    assert "6 passed" in last and "skipped" not in last and "failed" not in last, last
