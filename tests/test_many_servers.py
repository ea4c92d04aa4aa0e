"""Two app servers and two job workers, one of each killed mid-run (issue 17, item 5).

Real processes, as an operator runs them: two `yibiao serve` (gunicorn, different ports,
each with a var directory of its own: two machines' disks) and two `yibiao worker` on the
Redis backend, sharing one PostgreSQL database made for this test, one Redis database
number of its own (flushed at the start and the end) and one storage directory. A few
simulated users go through the servers in turn, as a proxy would send them: they log in,
open their home and their task, save a cell, start exports and upload rosters. Mid-run one
server and one worker, the worker while it runs an export, are killed with SIGKILL (the
worker with its work-horse: a machine lost). The proxy then sends everything to the
survivor, as nginx does after a refused connection.

What must hold: every request the survivor answered succeeded, including those of users
who logged in on the dead server (sessions live in the database); every export started
finished exactly once, with one file in the shared storage, served by the survivor; the
export killed with its worker was handed to the other worker; every upload is there.
Every process is stopped and the database dropped at the end, also on failure.

Runs in the PostgreSQL pass of `make test` (scripts/run-tests), where Redis is also there.
"""
from __future__ import annotations

import io
import itertools
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

requests = pytest.importorskip("requests")
redis = pytest.importorskip("redis")
psycopg = pytest.importorskip("psycopg")
rq_job = pytest.importorskip("rq.job")

DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_DB = 15
REDIS_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"
LOST_SECONDS = 12  # a dead worker's job goes back to the queue this soon (yibiao/workers.py)
USERS = 4
PASSWORD = "load-pass-2026"
YIBIAO = [sys.executable, "-m", "yibiao.cli"]

pytestmark = pytest.mark.skipif(not DATABASE_URL.startswith("postgres"),
                                reason="runs in the PostgreSQL pass (DATABASE_URL=postgres://…)")

# Accounts for the load, each keeping a community with an open task of the demo's first
# table (its quarterly period), made by `yibiao manage shell`.
MAKE_USERS = f"""
from yibiao.accounts.models import User
from yibiao.reports.models import Task
tasks = Task.objects.filter(status="open", request_id=1).select_related("org_unit").order_by("pk")
for i, task in enumerate(tasks[:{USERS}], 1):
    user, _ = User.objects.get_or_create(username=f"load{{i}}")
    user.role, user.org_unit, user.display_name = "worker", task.org_unit, f"网格员{{i}}"
    user.set_password("{PASSWORD}")
    user.save()
    print("LOAD", user.username, task.pk, task.request_id, task.period, task.org_unit.code)
"""


def _redis() -> redis.Redis:
    return redis.Redis.from_url(REDIS_URL)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _conninfo(database: str) -> str:
    url = urlsplit(DATABASE_URL)
    return (f"host={url.hostname or '127.0.0.1'} port={url.port or 5432} "
            f"user={url.username or 'postgres'} dbname={database}"
            + (f" password={url.password}" if url.password else ""))


def _descendants(pid: int) -> list[int]:
    """Every process below `pid`, from /proc (children before grandchildren)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        frontier = [child for child, parent in parents.items() if parent in frontier]
        found += frontier
    return found


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _freeze(pid: int) -> None:
    """SIGSTOP, and wait until the process is stopped (the signal is delivered later)."""
    try:
        os.kill(pid, signal.SIGSTOP)
    except ProcessLookupError:
        return
    stat = Path(f"/proc/{pid}/stat")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            if stat.read_text().rsplit(")", 1)[1].split()[0] in ("T", "t", "Z", "X"):
                return
        except (OSError, IndexError):
            return
        time.sleep(0.005)


@dataclass
class Fleet:
    """Every process the test starts, each in a session of its own (killed as a group)."""

    root: Path
    env: dict[str, str]
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start(self, name: str, *args: str, var: str) -> subprocess.Popen:
        env = {**self.env, "YIBIAO_VAR_DIR": str(self.root / var)}
        log = open(self.root / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen([*YIBIAO, *args], env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True, cwd=self.root)
        self.procs[name] = proc
        return proc

    def kill(self, name: str) -> None:
        """SIGKILL to the process, then to everything it started: gunicorn's workers, RQ's
        work-horse (in a session of its own, so not in the group). The parent first, as when
        a machine is lost: it cannot notice its horse dying and report the job itself."""
        proc = self.procs[name]
        _freeze(proc.pid)  # a worker taking a job forks its horse: no fork after we look
        below = _descendants(proc.pid)
        _kill(proc.pid)
        for pid in below:
            _kill(pid)
        proc.wait(timeout=10)

    def stop_all(self) -> None:
        below = [pid for proc in self.procs.values() for pid in _descendants(proc.pid)]
        for proc in self.procs.values():
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        deadline = time.monotonic() + 10
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
            # gunicorn's workers or an RQ horse left behind would keep the group alive.
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in below:
            _kill(pid)

    def log(self, name: str) -> str:
        """The end of its output, without the access log's lines."""
        lines = (self.root / f"{name}.log").read_text(errors="replace").splitlines()
        return "\n".join(line for line in lines if not line.startswith("127.0.0.1 - "))[-6000:]


@pytest.fixture
def fleet(tmp_path):
    try:
        _redis().ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    database = f"yibiao_many_{os.getpid()}"
    with psycopg.connect(_conninfo("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}"')
        admin.execute(f'CREATE DATABASE "{database}"')
    _redis().flushdb()
    url = urlsplit(DATABASE_URL)
    env = {**os.environ,
           "DATABASE_URL": url._replace(path=f"/{database}").geturl(),
           "YIBIAO_TASKS_BACKEND": "redis", "YIBIAO_REDIS_URL": REDIS_URL,
           "YIBIAO_STORAGE_DIR": str(tmp_path / "shared"),
           "YIBIAO_SECRET_KEY": "many-servers-one-key-" + "x" * 40,  # the same on every machine
           "YIBIAO_BACKGROUND_EXPORT_ROWS": "0",  # every export is a job
           "YIBIAO_JOB_LOST_SECONDS": str(LOST_SECONDS), "YIBIAO_JOB_RETRIES": "3",
           "YIBIAO_LOG_LEVEL": "WARNING"}
    env.pop("YIBIAO_REPLICA_URL", None)
    fleet = Fleet(tmp_path, env)
    fleet.database = database  # type: ignore[attr-defined]
    try:
        yield fleet
    finally:
        fleet.stop_all()
        _redis().flushdb()
        with psycopg.connect(_conninfo("postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _prepare(fleet: Fleet) -> list[tuple[str, int, int, str, str]]:
    """The demo county (small) and the load's accounts, by the commands an operator runs."""
    for args in (["demo", "--households", "40", "--no-serve"], ["manage", "shell", "-c", MAKE_USERS]):
        done = subprocess.run([*YIBIAO, *args], env={**fleet.env, "YIBIAO_VAR_DIR": str(fleet.root / "setup")},
                              capture_output=True, text=True, timeout=300, cwd=fleet.root)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    users = [line.split()[1:] for line in done.stdout.splitlines() if line.startswith("LOAD ")]
    assert len(users) == USERS, done.stdout
    return [(name, int(task), int(request), period, org) for name, task, request, period, org in users]


def _wait_up(base: str, proc: subprocess.Popen, fleet: Fleet, name: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, fleet.log(name)
        try:
            if requests.get(base + "/login/", timeout=5).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{name} did not answer: {fleet.log(name)}")


def _roster(n: int) -> bytes:
    from openpyxl import Workbook

    from yibiao.values.ids import check_digit

    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "公民身份号码"])
    for i in range(3):
        body = f"430104{1950 + n % 40}{i + 1:02d}15{n % 900:03d}"
        sheet.append([f"王秀英{n}-{i}", body + check_digit(body)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class Proxy:
    """What the proxy in front of the app servers does: each request to the next server in
    turn; a server that refuses the connection is taken out and the request sent on."""

    def __init__(self, servers: dict[str, str]) -> None:
        self.servers = dict(servers)
        self.down: set[str] = set()
        self.turn = itertools.cycle(list(servers))
        self.lock = threading.Lock()
        self.answers: Counter[tuple[str, str]] = Counter()  # (server, "ok" | "error")
        self.errors: list[str] = []
        self.sent_on = 0

    def _next(self) -> str:
        with self.lock:
            for _ in range(len(self.servers)):
                name = next(self.turn)
                if name not in self.down:
                    return name
        raise AssertionError("no app server left")

    def send(self, session: requests.Session, method: str, path: str, expect: tuple[int, ...],
             **kwargs: object) -> requests.Response:
        while True:
            name = self._next()
            try:
                response = session.request(method, self.servers[name] + path, timeout=60,
                                           allow_redirects=False, **kwargs)
            except requests.ConnectionError:
                with self.lock:
                    self.down.add(name)
                    self.sent_on += 1
                continue
            lost_session = response.status_code == 302 and "/login/" in response.headers.get("Location", "") \
                and not path.startswith("/login/")
            ok = response.status_code in expect and not lost_session
            with self.lock:
                self.answers[(name, "ok" if ok else "error")] += 1
                if not ok:
                    self.errors.append(f"{name} {method} {path} -> {response.status_code} "
                                       f"{response.headers.get('Location', '')} {response.text[:200]!r}")
            response.server = name  # type: ignore[attr-defined]
            return response


@dataclass
class Started:
    exports: list[tuple[str, int]] = field(default_factory=list)  # (user, job id)
    uploads: list[tuple[str, str, bytes]] = field(default_factory=list)  # (user, token, bytes)
    saves: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _user(proxy: Proxy, *args: object) -> None:
    try:
        _walk(proxy, *args)
    except Exception as error:  # a user who stops counts: the test reads proxy.errors
        with proxy.lock:
            proxy.errors.append(f"user stopped: {error!r}")


def _walk(proxy: Proxy, started: Started, stop: threading.Event, sessions: dict,
          name: str, task: int, request: int, period: str, org: str) -> None:
    session = requests.Session()
    sessions[name] = session
    proxy.send(session, "GET", "/login/", (200,))
    proxy.send(session, "POST", "/login/", (302,), data={
        "username": name, "password": PASSWORD, "csrfmiddlewaretoken": session.cookies["csrftoken"]})
    csrf = {"X-CSRFToken": session.cookies["csrftoken"]}
    for n in itertools.count():
        if stop.is_set():
            return
        proxy.send(session, "GET", "/", (200,))
        page = proxy.send(session, "GET", f"/reports/tasks/{task}/", (200,)).text
        empty = re.search(r'name="cell\|([^|"]+)\|([^"]+)"[^>]*value=""', page)
        if empty:
            row, column = empty.groups()
            version = re.search(rf'name="ver\|{re.escape(row)}" value="([^"]*)"', page)
            data = {f"cell|{row}|{column}": "高血压"}
            if version:
                data[f"ver|{row}"] = version.group(1)
            saved = proxy.send(session, "POST", f"/reports/tasks/{task}/rows/", (200,), data=data,
                               headers={**csrf, "HX-Request": "true"})
            if saved.status_code == 200:
                with started.lock:
                    started.saves += 1
        export = proxy.send(session, "GET", f"/reports/requests/{request}/download/", (302,),
                            params={"org": org, "period": period})
        if match := re.match(r"/reports/jobs/(\d+)/$", export.headers.get("Location", "")):
            with started.lock:
                started.exports.append((name, int(match.group(1))))
            proxy.send(session, "GET", match.group(0), (200,))
        roster = _roster(n * USERS + int(name[-1]))
        upload = proxy.send(session, "POST", "/intake/upload/", (302,), headers=csrf,
                            data={"org": org}, files={"file": ("花名册.xlsx", roster)})
        if match := re.match(r"/intake/([\w-]+)/$", upload.headers.get("Location", "")):
            with started.lock:
                started.uploads.append((name, match.group(1), roster))
            proxy.send(session, "GET", match.group(0), (200,))  # the mapping page, next server
        time.sleep(0.2)


def _job_starting(worker_pid: int, timeout: float) -> str | None:
    """The next RQ job the worker of that pid starts, seen as it starts (not one it may be
    about to finish when we first look)."""
    from rq import Worker

    connection = _redis()
    deadline = time.monotonic() + timeout
    before: str | None = "?"
    while time.monotonic() < deadline:
        current = next((w.get_current_job_id() for w in Worker.all(connection=connection)
                        if w.pid == worker_pid), None)
        if before != "?" and current is not None and current != before:
            return current
        before = current
        time.sleep(0.02)
    return None


def _rows(fleet: Fleet, sql: str) -> list[tuple]:
    with psycopg.connect(_conninfo(fleet.database)) as conn:  # type: ignore[attr-defined]
        return conn.execute(sql).fetchall()


def test_two_servers_and_two_workers_lose_one_of_each_and_nothing_else(fleet):
    began = time.monotonic()
    users = _prepare(fleet)
    ports = {"app-a": _free_port(), "app-b": _free_port()}
    for name, port in ports.items():
        fleet.start(name, "serve", "--port", str(port), "--workers", "2", "--no-job-worker", var=name)
    for name in ("worker-1", "worker-2"):
        fleet.start(name, "worker", var=name)
    servers = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    for name, base in servers.items():
        _wait_up(base, fleet.procs[name], fleet, name)
    setup_seconds = time.monotonic() - began

    proxy, started, stop, sessions = Proxy(servers), Started(), threading.Event(), {}
    threads = [threading.Thread(target=_user, args=(proxy, started, stop, sessions, *user), daemon=True)
               for user in users]
    for thread in threads:
        thread.start()
    # The load runs; once a few exports are queued, kill worker-1 in the middle of one.
    deadline = time.monotonic() + 60
    while len(started.exports) < 4 and time.monotonic() < deadline:
        time.sleep(0.2)
    in_flight = _job_starting(fleet.procs["worker-1"].pid, timeout=30)
    assert in_flight is not None, "worker-1 ran no job: " + fleet.log("worker-1")
    fleet.kill("worker-1")
    killed_job = rq_job.Job.fetch(in_flight, connection=_redis())
    # Killed while it ran, or taken and not yet started (RQ's intermediate queue): not after.
    killed_as = killed_job.get_status()
    assert killed_as in ("started", "queued")
    (killed_export,) = killed_job.args
    killed_clock = time.monotonic()
    fleet.kill("app-a")
    killed_at = len(started.exports), sum(proxy.answers.values())
    time.sleep(8)  # the load goes on against the survivor alone
    stop.set()
    for thread in threads:
        thread.join(timeout=90)
    assert not any(thread.is_alive() for thread in threads)

    # Every export started ends done; the one whose worker died is run by the other.
    exports = sorted(job for _, job in started.exports)
    wait_until = time.monotonic() + LOST_SECONDS * 6
    recovered: float | None = None  # seconds from the kill to the killed export done (±1 s)
    while time.monotonic() < wait_until:
        states = dict(_rows(fleet, "SELECT id, status FROM reports_exportjob"))
        if states.get(killed_export) == "done" and recovered is None:
            recovered = time.monotonic() - killed_clock
        if all(states.get(job) in ("done", "failed") for job in exports):
            break
        time.sleep(1)
    rows = {job: (status, file) for job, status, file in
            _rows(fleet, "SELECT id, status, file FROM reports_exportjob")}
    assert sorted(rows) == exports, "an export job row was lost or made twice"
    assert {job: status for job, (status, _) in rows.items() if status != "done"} == {}, \
        fleet.log("worker-2")
    shared = fleet.root / "shared"
    folders = sorted(int(p.name) for p in (shared / "exports").iterdir())
    assert folders == exports
    files = {job: sorted(p.name for p in (shared / "exports" / str(job)).iterdir()) for job in exports}
    duplicates = {job: names for job, names in files.items() if len(names) != 1}
    assert duplicates == {}
    assert all(rows[job][1] == f"exports/{job}/{names[0]}" for job, names in files.items())
    handed_on = rq_job.Job.fetch(in_flight, connection=_redis())
    assert handed_on.get_status() == "finished" and handed_on.retries_left == 2
    assert rows[killed_export][0] == "done"

    # The survivor serves every file and every upload, to sessions made on either server.
    survivor = servers["app-b"]
    for user, job in started.exports:
        got = sessions[user].get(f"{survivor}/reports/jobs/{job}/file/", timeout=60)
        assert got.status_code == 200 and got.content == (shared / rows[job][1]).read_bytes()
    for user, token, roster in started.uploads:
        kept = list((shared / "intake" / token).iterdir())
        assert [p.read_bytes() for p in kept] == [roster]
        page = sessions[user].get(f"{survivor}/intake/{token}/", timeout=60)
        assert page.status_code == 200 and "王秀英" in page.text

    answered = Counter({server: n for (server, outcome), n in proxy.answers.items() if outcome == "ok"})
    print(f"\nmany servers: setup {setup_seconds:.0f} s; {sum(proxy.answers.values())} requests "
          f"({killed_at[1]} before the kill), answered ok {dict(answered)}, errors {len(proxy.errors)}, "
          f"sent on after a refused connection {proxy.sent_on}; {started.saves} cells saved; "
          f"{len(exports)} exports ({killed_at[0]} before the kill), {len(exports)} done, "
          f"{sum(len(n) for n in files.values())} files, duplicates {len(duplicates)}; "
          f"export {killed_export} killed with worker-1 ({getattr(killed_as, 'value', killed_as)}) "
          f"and done by the other {recovered or 0:.0f} s after the kill; "
          f"{len(started.uploads)} uploads, all kept; {time.monotonic() - began:.0f} s in all")
    # Every answer, from either server, was what the page should answer.
    assert proxy.errors == [], "\n".join(proxy.errors) + "\n" + fleet.log("app-b")
    assert answered["app-b"] > 0 and fleet.procs["app-b"].poll() is None
