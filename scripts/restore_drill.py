#!/usr/bin/env python3
"""Restore drill: a base backup and archived WAL restored to a point in time, then checked.

Runs on this machine with PostgreSQL's server binaries (Debian's `postgresql` package,
/usr/lib/postgresql/*/bin, or YIBIAO_PG_BIN), in a temporary directory on free loopback
ports; the server on 5432 is left alone. As root, the PostgreSQL programs run as `postgres`.

1. A throwaway primary (`initdb`) archiving its WAL: `archive_mode = on`,
   `archive_command = 'test ! -f ARCHIVE/%f && cp %p ARCHIVE/%f'`.
2. `yibiao init`, then a county of --people residents (岳麓区 430104) written by the bench
   generator (bench/generate.py: COPY, as a county's first load).
3. `pg_basebackup -Ft -z -X stream -c fast`: the base backup, timed and measured.
4. After it: a second county (天心区 430103, --people-after residents), a resident
   registered through the ledger (marker A), the time T noted from the server's clock, a
   second resident registered a second later (marker B), the WAL segment switched and
   waited for in the archive.
5. Retention: `pg_archivecleanup ARCHIVE <the backup's .backup file>` removes the segments
   older than the base backup; the restores run from what it keeps.
6. Twice, from the same base backup into a new data directory: unpack it, set
   `restore_command = 'cp ARCHIVE/%f %p'` and a `recovery.signal`, start it, wait until it
   has promoted (`pg_is_in_recovery()` false): once with `recovery_target_time = T`, once to
   the end of the archive. Each copy has `archive_mode = off`: a restored copy must never
   write into the primary's archive.
7. Checks: to T, the second county and marker A are there and marker B is not; to the end,
   both are; each copy's row counts (people, households, residences, facts, states) equal
   the primary's at the same moment. Any failed check exits 1.

    .venv/bin/python scripts/restore_drill.py                      # 20,000 + 10,000 residents
    .venv/bin/python scripts/restore_drill.py --people 300 --people-after 150 --json
"""
from __future__ import annotations

import argparse
import datetime as dt
import glob
import json
import math
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

FIRST_COUNTY, AFTER_COUNTY = "430104", "430103"
# Two residents registered after the backup, outside both counties' ID ranges (110105 is
# Beijing's 朝阳区), so the generator never draws them.
MARKER_A = ("11010519491231002", "备份后甲")
MARKER_B = ("11010519530506001", "备份后乙")
TABLES = {"people": "ledger_person", "households": "ledger_household",
          "residences": "ledger_residence", "facts": "ledger_fact", "states": "ledger_personstate"}


def pg_bin() -> Path | None:
    """The newest server binaries installed (Debian keeps each major version apart)."""
    if os.environ.get("YIBIAO_PG_BIN"):
        return Path(os.environ["YIBIAO_PG_BIN"])
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_basebackup"),
                   key=lambda p: int(Path(p).parent.parent.name))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(args: list[str]) -> subprocess.CompletedProcess:
    """initdb and pg_ctl refuse root: as root, run them as the `postgres` user."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    done = subprocess.run(prefix + args, capture_output=True, text=True, timeout=1800)
    if done.returncode:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}): {done.stderr or done.stdout}")
    return done


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _mb(n: int) -> str:
    return f"{n / 1e6:,.1f} MB"


@dataclass
class Cluster:
    """One PostgreSQL data directory on a loopback port."""

    bin: Path
    data: Path
    port: int
    sockets: Path

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/yibiao"

    def start(self) -> None:
        _as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "-l",
                      str(self.data.parent / f"{self.data.name}.log"), "-w", "-t", "600", "start"])

    def stop(self) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run(prefix + [str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w",
                                 "stop"], capture_output=True, timeout=300)

    def one(self, sql: str, database: str = "yibiao") -> object:
        import psycopg

        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/{database}",
                             autocommit=True) as conn:
            cursor = conn.execute(sql)
            return cursor.fetchone()[0] if cursor.description else None

    def counts(self) -> dict[str, int]:
        return {name: self.one(f"SELECT count(*) FROM {table}") for name, table in TABLES.items()}  # noqa: S608

    def has_person(self, id_number: str) -> bool:
        return bool(self.one(f"SELECT count(*) FROM ledger_person WHERE id_number = '{id_number}'"))  # noqa: S608

    def county_people(self, county: str) -> int:
        return self.one("SELECT count(*) FROM ledger_residence "  # noqa: S608
                        f"WHERE org_code LIKE '{county}%' AND valid_to IS NULL")


@dataclass
class Drill:
    """What was done, measured and found; printed, and as JSON with --json."""

    postgres: str = ""
    seconds: dict[str, float] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    target_time: str = ""
    present: dict[str, dict[str, bool]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def check(self, ok: bool, what: str) -> None:
        print(f"  {'ok  ' if ok else 'FAIL'} {what}", flush=True)
        if not ok:
            self.failures.append(what)


@contextmanager
def timed(drill: Drill, name: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    drill.seconds[name] = round(time.perf_counter() - start, 2)


def _id_number(body: str) -> str:
    from generate import _check_digit

    return body + _check_digit(body)


def register(id_body: str, name: str) -> None:
    """One resident registered in the first county's first community, as an admin would."""
    from yibiao.accounts.models import Role, User
    from yibiao.ledger.records import PersonInput, write_people
    from yibiao.orgunits.models import Level, OrgUnit

    admin, _ = User.objects.get_or_create(username="drill_admin", defaults={
        "role": Role.ADMIN, "is_staff": True, "is_superuser": True, "display_name": "演练管理员"})
    unit = OrgUnit.objects.filter(code__startswith=FIRST_COUNTY, level=Level.COMMUNITY).order_by("code").first()
    result = write_people(admin, unit, [PersonInput({"person.id_number": _id_number(id_body),
                                                     "person.name": name})])
    if result.rejected:
        raise RuntimeError(f"registering {name} was refused: {result.rejected}")


def load(people: int, county: str, codes: object, seed_base: int) -> int:
    import generate

    pieces = math.ceil(people / 2.7 / generate.PIECE_HOUSEHOLDS)  # 2.7 people a household
    households = max(10, round(people / 2.7 / pieces))
    done = generate.build(0, pieces, households, codes, log=False, county=county, seed_base=seed_base)
    return done.people


def restore(drill: Drill, label: str, binaries: Path, folder: Path, backup: Path, archive: Path,
            target: str | None) -> Cluster:
    """The base backup unpacked into a new directory and recovered from the archive."""
    copy = Cluster(binaries, folder / f"restored-{label}", _free_port(), folder)
    with timed(drill, f"restore_{label}"):
        _as_postgres(["mkdir", "-m", "700", str(copy.data)])
        _as_postgres(["tar", "-xzf", str(backup / "base.tar.gz"), "-C", str(copy.data)])
        _as_postgres(["tar", "-xzf", str(backup / "pg_wal.tar.gz"), "-C", str(copy.data / "pg_wal")])
    settings = (f"port = {copy.port}\narchive_mode = off\n"
                f"restore_command = 'cp {archive}/%f %p'\nrecovery_target_action = 'promote'\n")
    if target:
        settings += f"recovery_target_time = '{target}'\n"
    _as_postgres(["sh", "-c", f"cat >> {copy.data}/postgresql.conf <<'EOF'\n{settings}EOF\n"
                              f"touch {copy.data}/recovery.signal"])
    with timed(drill, f"replay_{label}"):
        copy.start()
        deadline = time.monotonic() + 1800
        while copy.one("SELECT pg_is_in_recovery()", "postgres"):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the {label} copy was still recovering after 30 minutes")
            time.sleep(0.1)
    log = (folder / f"{copy.data.name}.log").read_text()
    # From the server's start to its first redo record: mostly the fsync of every file of
    # the unpacked directory that recovery begins with (recovery_init_sync_method).
    stamps = [re.search(rf"^(\S+ \S+) \S+ \[\d+\] LOG:  {what}", log, re.MULTILINE)
              for what in ("starting PostgreSQL", "redo starts at")]
    if all(stamps):
        first, redo = (dt.datetime.fromisoformat(found.group(1)) for found in stamps)
        drill.seconds[f"before_redo_{label}"] = round((redo - first).total_seconds(), 2)
    # PostgreSQL's own account of the replay: "redo done at … CPU: user: 0.41 s, system:
    # 0.02 s, elapsed: 1.20 s"; after it, the promotion's end-of-recovery checkpoint.
    if found := re.search(r"redo done at \S+ system usage: CPU: user: ([\d.]+) s, "
                          r"system: ([\d.]+) s, elapsed: ([\d.]+) s", log):
        user, system, elapsed = (float(x) for x in found.groups())
        drill.seconds[f"redo_{label}"] = elapsed
        drill.seconds[f"redo_cpu_{label}"] = round(user + system, 2)
    return copy


def run(people: int, people_after: int, keep: bool) -> Drill:
    drill = Drill()
    binaries = pg_bin()
    if binaries is None:
        raise SystemExit("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (set YIBIAO_PG_BIN)")
    drill.postgres = _as_postgres([str(binaries / "postgres"), "--version"]).stdout.strip()
    folder = Path(tempfile.mkdtemp(prefix="yibiao-restore-drill-"))
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    archive, backup = folder / "archive", folder / "base"
    primary = Cluster(binaries, folder / "primary", _free_port(), folder)
    running: list[Cluster] = []
    print(f"{drill.postgres}; working in {folder}", flush=True)
    try:
        _as_postgres(["mkdir", "-m", "700", str(archive)])
        _as_postgres([str(binaries / "initdb"), "-D", str(primary.data), "-U", "postgres",
                      "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"])
        conf = (f"port = {primary.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{folder}'\nwal_level = replica\nmax_wal_senders = 4\n"
                f"archive_mode = on\narchive_command = 'test ! -f {archive}/%f && cp %p {archive}/%f'\n")
        _as_postgres(["sh", "-c", f"cat >> {primary.data}/postgresql.conf <<'EOF'\n{conf}EOF"])
        primary.start()
        running.append(primary)
        primary.one("CREATE DATABASE yibiao", "postgres")

        os.environ["DATABASE_URL"] = primary.url
        os.environ.setdefault("YIBIAO_VAR_DIR", str(folder / "var"))
        os.environ.setdefault("YIBIAO_SECRET_KEY", "restore-drill")
        from yibiao.cli import setup_django

        setup_django()
        import generate
        from django.db import connection

        from yibiao.setup import initialise

        with timed(drill, "init"):
            initialise()
        codes = generate.Codes()
        with timed(drill, "load_before"):
            load(people, FIRST_COUNTY, codes, 0)
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
            connection.close()  # a backend reports its WAL statistics when it ends
        drill.counts["backed_up"] = primary.counts()
        drill.sizes["database"] = primary.one("SELECT pg_database_size('yibiao')")
        print(f"loaded {drill.counts['backed_up']['people']:,} residents, "
              f"{drill.counts['backed_up']['facts']:,} facts; database {_mb(drill.sizes['database'])}", flush=True)

        with timed(drill, "backup"):
            _as_postgres([str(binaries / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port),
                          "-U", "postgres", "-D", str(backup), "-Ft", "-z", "-X", "stream", "-c", "fast"])
        drill.sizes["base_backup"] = _size(backup)
        # WAL generated from here on (pg_stat_wal: the bytes written, not the rest of the
        # segments that the backup's and the drill's WAL switches skip).
        wal_bytes = "SELECT wal_bytes::bigint FROM pg_stat_wal"
        wal_before = primary.one(wal_bytes, "postgres")
        print(f"base backup: {drill.seconds['backup']:.1f} s, {_mb(drill.sizes['base_backup'])}", flush=True)

        with timed(drill, "load_after"):
            load(people_after, AFTER_COUNTY, codes, 1000)
        register(*MARKER_A)
        drill.counts["target"] = primary.counts()
        drill.target_time = primary.one("SELECT clock_timestamp()::text")
        time.sleep(1.5)  # marker B's commit is plainly after T
        register(*MARKER_B)
        connection.close()
        drill.counts["end"] = primary.counts()
        drill.sizes["wal_after_backup"] = int(primary.one(wal_bytes, "postgres")) - int(wal_before)
        segment = primary.one("SELECT pg_walfile_name(pg_switch_wal())")
        deadline = time.monotonic() + 300
        while not (archive / segment).exists():
            if time.monotonic() > deadline:
                raise RuntimeError(f"{segment} never reached the archive")
            time.sleep(0.1)
        drill.sizes["archive"] = _size(archive)
        drill.sizes["archive_segments"] = len([f for f in archive.iterdir() if len(f.name) == 24])
        print(f"after the backup: {drill.counts['end']['people'] - drill.counts['backed_up']['people']:,} "
              f"residents more, {_mb(drill.sizes['wal_after_backup'])} of WAL; T = {drill.target_time}; "
              f"archive {drill.sizes['archive_segments']} segments, {_mb(drill.sizes['archive'])}", flush=True)
        # Retention: what is older than the oldest base backup kept is of no use to a
        # restore. pg_basebackup left a history file (SEGMENT.OFFSET.backup) in the archive;
        # pg_archivecleanup removes every segment before it, and the restores below run
        # from what is left.
        history = sorted(archive.glob("*.backup"))
        if not history:
            raise RuntimeError("the base backup's history file (*.backup) is not in the archive")
        _as_postgres([str(binaries / "pg_archivecleanup"), str(archive), history[-1].name])
        kept = [f for f in archive.iterdir() if len(f.name) == 24]
        drill.sizes["archive_segments_removed"] = drill.sizes["archive_segments"] - len(kept)
        drill.sizes["archive_kept"] = _size(archive)
        print(f"pg_archivecleanup {history[-1].name}: {drill.sizes['archive_segments_removed']} "
              f"segments before the backup removed, {len(kept)} kept ({_mb(drill.sizes['archive_kept'])})",
              flush=True)
        primary.stop()
        running.remove(primary)

        a_id, b_id = _id_number(MARKER_A[0]), _id_number(MARKER_B[0])
        for label, target, expected in (("to_time", drill.target_time, "target"), ("to_end", None, "end")):
            copy = restore(drill, label, binaries, folder, backup, archive, target)
            running.append(copy)
            print(f"restored {label.replace('_', ' ')}: unpack {drill.seconds[f'restore_{label}']:.1f} s, "
                  f"start and replay {drill.seconds[f'replay_{label}']:.1f} s (of which before redo "
                  f"{drill.seconds.get(f'before_redo_{label}', float('nan')):.1f} s, redo "
                  f"{drill.seconds.get(f'redo_{label}', float('nan')):.1f} s, CPU "
                  f"{drill.seconds.get(f'redo_cpu_{label}', float('nan')):.1f} s)", flush=True)
            counts = copy.counts()
            drill.counts[label] = counts
            drill.present[label] = {"after_county": copy.county_people(AFTER_COUNTY) > 0,
                                    "marker_a": copy.has_person(a_id), "marker_b": copy.has_person(b_id)}
            drill.check(counts == drill.counts[expected],
                        f"row counts equal the primary's at {'T' if target else 'the end'}: {counts}")
            drill.check(drill.present[label]["after_county"], f"{AFTER_COUNTY} (loaded after the backup) is there")
            drill.check(drill.present[label]["marker_a"], "marker A (registered before T) is there")
            if target:
                drill.check(not drill.present[label]["marker_b"], "marker B (registered after T) is not")
            else:
                drill.check(drill.present[label]["marker_b"], "marker B (the last write) is there")
            copy.stop()
            running.remove(copy)
    finally:
        for cluster in reversed(running):
            cluster.stop()
        if keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return drill


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000, help="residents in the base backup")
    parser.add_argument("--people-after", type=int, default=10_000, help="residents written after it")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--json", action="store_true", help="end with the figures as one JSON line")
    args = parser.parse_args()
    # Stopped (SIGTERM): stop the clusters and remove the directory on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.perf_counter()
    drill = run(args.people, args.people_after, args.keep)
    drill.seconds["total"] = round(time.perf_counter() - started, 1)
    print(f"{'FAILED: ' + '; '.join(drill.failures) if drill.failures else 'passed'} "
          f"in {drill.seconds['total']:.0f} s ({dt.datetime.now():%Y-%m-%d %H:%M})")
    if args.json:
        print(json.dumps(drill.__dict__, ensure_ascii=False))
    sys.exit(1 if drill.failures else 0)


if __name__ == "__main__":
    main()
