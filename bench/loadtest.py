#!/usr/bin/env python3
"""Load test of the web interface and API on PostgreSQL behind gunicorn (not a test).

1. PostgreSQL database `bench_load` (dropped and recreated): `yibiao demo --no-serve`
   (3,000 households × BENCH_SCALE, at least 300), then 50 worker accounts spread over the
   demo's communities and a data-API token for the officer; ANALYZE.
2. `yibiao serve --workers 4 --no-job-worker` (BENCH_GUNICORN_WORKERS) on 127.0.0.1:8765,
   its own process group.
3. locust, headless, from a second process: BENCH_USERS (50) simulated users. Workers log
   in as they start (BENCH_SPAWN_RATE a second); the measured window opens once all have,
   so the password checks (PBKDF2, ~0.2 s of a core each) are reported apart. In the window
   each worker opens their home page and resident list, searches, opens a person, calls
   /api/v1/me, opens a task and saves up to three cells they can type (numbers, phones),
   then reopens the task; one user in ten is a department reading
   /api/v1/data/requests/{id}/rows with a bearer token. Think time 1-3 s between clicks.
   Every response is checked: status, and content only the right page has (the user's
   name, the person's name, the task's title, "已保存" after a save, the API's rows).
   Bounded: each user stops after BENCH_ITERATIONS (10) rounds, the window after
   BENCH_WINDOW seconds (120 × BENCH_SCALE, at least 60), the run after BENCH_RUN_TIME.
4. p50/p95/p99 and errors of the window from locust's CSV, the logins apart, the machine's
   load average (other work on the same CPUs shows here) and the CPU gunicorn used per
   request; then, in-process with Django's test client on the same database, the SQL
   queries and time of each page alone.

    .venv/bin/python bench/loadtest.py
    BENCH_SCALE=0.1 .venv/bin/python bench/loadtest.py

Several app servers (BENCH_SERVERS, default 1; issue 17 item 6 runs 2 with 200 users from
bench/bench_province.py): as docs/deploy.md section 9 lays them out and
tests/test_many_servers.py starts them: each `yibiao serve` on its own port (BENCH_PORT,
+1, …) with a var directory of its own, all sharing the database, one Redis database
(BENCH_REDIS_URL, db 11, flushed before and after: the job queue and Django's cache), one
storage directory and one YIBIAO_SECRET_KEY. User n is sent to server n mod BENCH_SERVERS
for the whole run (a proxy with sticky sessions; a session is valid on every server). The
figures are per page kind over all servers, with each server's request count and CPU.
BENCH_RESULT names the JSON written under bench/results (loadtest).

This file is also the locustfile (locust imports it with BENCH_LOCUST_PLAN set).
"""
from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
SCALE = float(os.environ.get("BENCH_SCALE", "1"))
USERS = int(os.environ.get("BENCH_USERS", "50"))
ITERATIONS = int(os.environ.get("BENCH_ITERATIONS", "10"))
HOUSEHOLDS = max(300, int(3000 * SCALE))
PG_URL = os.environ.get("BENCH_PG_LOAD", "postgres://postgres@127.0.0.1:5432/bench_load")
PORT = int(os.environ.get("BENCH_PORT", "8765"))
SERVERS = int(os.environ.get("BENCH_SERVERS", "1"))
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
RESULT = os.environ.get("BENCH_RESULT", "loadtest")
# docs/deploy.md's 2 × cores; 2 and 3 measured no better here (the spread between runs on this
# shared machine was larger than any difference).
GUNICORN_WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", "4"))
# Users started per second. Each logs in as it starts (one PBKDF2 check, ~0.2 s of a core
# here); the measured window opens once every user has logged in, so logins are reported
# apart and never queue the pages measured.
SPAWN_RATE = os.environ.get("BENCH_SPAWN_RATE", "5")
# The measured window: every user does at most ITERATIONS rounds within it.
WINDOW = int(os.environ.get("BENCH_WINDOW", str(max(60, int(120 * SCALE)))))
# Hard stop of the whole locust run: spawning and logging in, then the window.
RUN_TIME = int(os.environ.get("BENCH_RUN_TIME", str(int(USERS / float(SPAWN_RATE)) + 60 + WINDOW)))
PASSWORD = "load-test-2026"  # noqa: S105 - synthetic accounts in a scratch database
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# A fill cell's <input>, whatever the order of its attributes (the task grid writes form=, id=,
# name=, data-col=, value=, aria-label= and type= in this order; the name was once followed by
# type= directly, and a regular expression that expected so found no cell, and no save was
# measured, from issue 16's grid on).
INPUT = re.compile(r'<input\b[^>]*\bname="(cell\|[^"]+)"[^>]*>')
# The versions the page carries with its rows and cells: a save names what it saw.
VERSION = re.compile(r'name="(ver\|[^"]+)" value="(\d+)"')


# ------------------------------------------------------------------ the locust side

if os.environ.get("BENCH_LOCUST_PLAN"):
    import html

    import gevent
    from gevent.event import Event
    from locust import HttpUser, between, events, task
    from locust.exception import StopUser

    PLAN = json.loads(Path(os.environ["BENCH_LOCUST_PLAN"]).read_text(encoding="utf-8"))
    WORKERS = list(PLAN["workers"])
    GO = Event()  # every user is spawned and logged in
    READY = Event()  # ... and the login figures are put aside: the measured window opens
    STATE = {"environment": None, "spawned": False, "logged_in": 0, "users": 0}
    SERVED: dict[str, int] = {}  # server base URL -> requests in the measured window

    def check(response, status: int = 200, *needles: str, location: str | None = None) -> bool:
        """Fail the request unless it has the status and every expected piece of content."""
        if response.status_code != status:
            response.failure(f"status {response.status_code}, expected {status}")
        elif location is not None and not response.headers.get("Location", "").endswith(location):
            response.failure(f"redirected to {response.headers.get('Location')!r}, expected {location!r}")
        elif missing := [n for n in needles if n not in response.text]:
            response.failure(f"missing {missing[0]!r}")
        else:
            response.success()
            return True
        return False

    def server_cpu() -> dict[int, float]:
        """CPU seconds used so far by each server's gunicorn processes, by process group
        (PostgreSQL's backends are recycled with the connections, every
        YIBIAO_DB_CONN_MAX_AGE seconds, so they are left out)."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = dict.fromkeys(PLAN["server_pgids"], 0.0)
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            # fields[2] is the process group; utime and stime are the 14th and 15th fields of stat
            if int(fields[2]) in total:
                total[int(fields[2])] += (int(fields[11]) + int(fields[12])) / ticks
        return total

    def open_window(environment) -> None:
        """Logins are done: keep their figures apart, reset the stats, stop after the window."""
        stats = environment.runner.stats
        login = {name: {"requests": e.num_requests, "failures": e.num_failures,
                        "p50_ms": e.get_response_time_percentile(0.5),
                        "p95_ms": e.get_response_time_percentile(0.95),
                        "max_ms": e.max_response_time}
                 for (name, _method), e in stats.entries.items()}
        login["errors"] = [{"name": e.name, "error": str(e.error)[:200], "count": e.occurrences}
                           for e in stats.errors.values()]
        Path(PLAN["login_out"]).write_text(json.dumps(login), encoding="utf-8")
        stats.reset_all()
        SERVED.clear()
        cpu, own = server_cpu(), time.process_time()
        READY.set()
        deadline = time.time() + PLAN["window_s"]
        while time.time() < deadline and environment.runner.user_count > 0:
            gevent.sleep(0.5)
        after = server_cpu()
        Path(PLAN["cpu_out"]).write_text(json.dumps({"server_cpu_s": [after[g] - cpu[g] for g in PLAN["server_pgids"]],
                                                     "served": SERVED, "locust_cpu_s": time.process_time() - own}),
                                         encoding="utf-8")
        environment.runner.quit()

    def maybe_open() -> None:
        environment = STATE["environment"]
        workers = environment.runner.user_classes_count.get("Worker", 0)
        if STATE["spawned"] and STATE["logged_in"] >= workers and not GO.is_set():
            GO.set()  # open the window once
            gevent.spawn(open_window, environment)

    @events.init.add_listener
    def _init(environment, **_kw) -> None:
        STATE["environment"] = environment

    @events.request.add_listener
    def _served(url: str = "", **_kw) -> None:
        if READY.is_set():
            base = next((b for b in PLAN["servers"] if url.startswith(b)), "?")
            SERVED[base] = SERVED.get(base, 0) + 1

    def assign_server(user) -> None:  # noqa: ANN001
        """The user's server for the whole run, in turn (a proxy's sticky sessions)."""
        user.client.base_url = PLAN["servers"][STATE["users"] % len(PLAN["servers"])]
        user.host = user.client.base_url
        STATE["users"] += 1

    @events.spawning_complete.add_listener
    def _spawned(user_count: int, **_kw) -> None:
        STATE["spawned"] = True
        maybe_open()

    class Worker(HttpUser):
        """A community worker's day, compressed: think times of 1-3 s between clicks."""

        weight = 9
        wait_time = between(1, 3)

        def on_start(self) -> None:
            assign_server(self)
            self.me = WORKERS.pop() if WORKERS else random.choice(PLAN["workers"])  # noqa: S311
            self.rounds = 0
            try:
                with self.client.get("/login/", name="login form", catch_response=True) as page:
                    check(page, 200, "csrfmiddlewaretoken")
                token = CSRF.search(page.text)
                with self.client.post("/login/", {"username": self.me["username"], "password": PASSWORD,
                                                  "csrfmiddlewaretoken": token.group(1) if token else ""},
                                      headers={"Referer": f"{self.host}/login/"}, name="login",
                                      allow_redirects=False, catch_response=True) as response:
                    check(response, 302, location="/")
            finally:
                STATE["logged_in"] += 1
                maybe_open()
            READY.wait()
            gevent.sleep(random.uniform(0, 3))  # noqa: S311 - people do not all click at once

        def page(self, url: str, name: str, *needles: str, **kwargs):
            with self.client.get(url, name=name, catch_response=True, **kwargs) as response:
                check(response, 200, *needles)
            return response

        @task
        def round(self) -> None:
            self.rounds += 1
            if self.rounds > ITERATIONS:
                raise StopUser
            me = self.me
            self.page("/", "home", html.escape(me["display_name"]), "/ledger/people/")
            self.wait()  # a person reads each page before the next click
            self.page("/ledger/people/", "resident list", "/ledger/people/", "共 ")
            self.wait()
            term = random.choice(me["searches"])  # noqa: S311
            self.page(f"/ledger/people/?q={term}", "search", "共 ", term, headers={"HX-Request": "true"})
            self.wait()
            person_id, name = random.choice(me["people"])  # noqa: S311
            self.page(f"/ledger/people/{person_id}/", "person", f"<h1>{html.escape(name)}</h1>")
            with self.client.get("/api/v1/me", name="api me", catch_response=True) as response:
                if check(response, 200) and response.json().get("username") != me["username"]:
                    response.failure("api me: another user")
            self.wait()
            if not me["tasks"]:
                return
            task_id, title = random.choice(me["tasks"])  # noqa: S311
            url = f"/reports/tasks/{task_id}/"
            page = self.page(url, "task", f"<h1>{html.escape(title)}</h1>")
            self.wait()
            # The worker types what they know how to type: numbers and phone numbers.
            cells = [(found.group(1), found.group(0)) for found in INPUT.finditer(page.text)]
            # (integers are inputmode="numeric", decimals "decimal"; dates are "decimal" too, class="date")
            numbers = [name for name, tag in cells if 'inputmode="numeric"' in tag
                       or ('inputmode="decimal"' in tag and 'class="date"' not in tag)]
            data = {name: ("13800138000" if 'type="tel"' in tag else "1")
                    for name, tag in cells if 'type="tel"' in tag or name in numbers}
            token = CSRF.search(page.text)
            if not data or not token:
                return
            data = {**dict(list(data.items())[:3]), **dict(VERSION.findall(page.text))}
            with self.client.post(f"{url}complete/", {"csrfmiddlewaretoken": token.group(1), **data},
                                  name="task complete", headers={"Referer": f"{self.host}{url}"},
                                  allow_redirects=False, catch_response=True) as response:
                check(response, 302, location=url)
            self.page(url, "task after save", f"<h1>{html.escape(title)}</h1>", "已保存")

    class Department(HttpUser):
        """A department pulling its admitted table through the data API."""

        weight = 1
        wait_time = between(1, 3)

        def on_start(self) -> None:
            assign_server(self)
            self.rounds = 0
            READY.wait()
            gevent.sleep(random.uniform(0, 3))  # noqa: S311

        @task
        def pull(self) -> None:
            self.rounds += 1
            if self.rounds > ITERATIONS or not PLAN["api"]:
                raise StopUser
            call = random.choice(PLAN["api"])  # noqa: S311
            with self.client.get(call, headers={"Authorization": f"Bearer {PLAN['token']}"}, name="api rows",
                                 catch_response=True) as response:
                if check(response, 200):
                    body = response.json()
                    if not body.get("columns") or body.get("total", 0) < 1 or not body.get("rows"):
                        response.failure("api rows: no columns or rows")


# ------------------------------------------------------------------ preparing the database

def prepare(db_url: str, plan_path: Path) -> None:
    """In a child process: accounts for the load and what each may open."""
    os.environ["DATABASE_URL"] = db_url
    sys.path.insert(0, str(ROOT))
    from yibiao.cli import setup_django

    setup_django()
    from django.contrib.auth.hashers import make_password

    from yibiao.accounts import tokens
    from yibiao.accounts.models import Role, User
    from yibiao.gate.models import FormRequest, Status
    from yibiao.ledger.models import Person
    from yibiao.orgunits.models import Level, OrgUnit
    from yibiao.reports.models import Task

    communities = list(OrgUnit.objects.subtree("430104").filter(level=Level.COMMUNITY).order_by("code"))
    workers = []
    encoded = make_password(PASSWORD)  # one PBKDF2 for every account (~0.2-1 s each here at 200 users)
    for i in range(USERS):
        unit = communities[i % len(communities)]
        user, _ = User.objects.get_or_create(username=f"loadw{i + 1:02d}")
        user.role, user.org_unit, user.display_name = Role.WORKER, unit, f"压测{i + 1}"
        user.password = encoded
        user.save()
        people = list(Person.objects.filter(org_unit__code__startswith=unit.code).values_list("pk", "name")[:200])
        tasks = Task.objects.filter(org_code__startswith=unit.code).values_list("pk", "request__title")
        workers.append({"username": user.username, "display_name": user.display_name, "org": unit.code,
                        "people": people, "searches": sorted({name[:1] for _, name in people})[:10],
                        "tasks": list(tasks)})
    officer = User.objects.get(username="officer")
    token = tokens.issue(User.objects.get(username="admin"), officer, "压测")
    api = []
    for request in FormRequest.objects.filter(status=Status.ADMITTED, department=officer.department).exclude(
            layout="card"):
        latest = Task.objects.filter(request=request).order_by("-period_end").first()
        for unit in communities[:5]:
            if latest is not None:
                api.append(f"/api/v1/data/requests/{request.pk}/rows?org={unit.code}&period={latest.period}"
                           "&page_size=50")
    plan_path.write_text(json.dumps({"workers": workers, "token": token, "api": api}), encoding="utf-8")


def page_costs(db_url: str, plan_path: Path) -> None:
    """In a child process: SQL queries and server time of each page, one worker, one pass."""
    os.environ["DATABASE_URL"] = db_url
    sys.path.insert(0, str(ROOT))
    from yibiao.cli import setup_django

    setup_django()
    from django.db import connection
    from django.http import HttpRequest
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    plan = json.loads(plan_path.read_text(encoding="utf-8"))
    me = next((w for w in plan["workers"] if w["tasks"] and w["people"]), plan["workers"][0])
    client = Client()
    login_request = HttpRequest()  # django-axes judges a login only with its request
    login_request.META["REMOTE_ADDR"] = "127.0.0.1"
    assert client.login(request=login_request, username=me["username"], password=PASSWORD)
    pages = [("home", "/"), ("resident list", "/ledger/people/"),
             ("search", f"/ledger/people/?q={me['searches'][0]}"),
             ("person", f"/ledger/people/{me['people'][0][0]}/"), ("api me", "/api/v1/me")]
    pages += [("task", f"/reports/tasks/{task_id}/") for task_id, _title in me["tasks"][:1]]
    out = {}
    for name, url in pages:
        client.get(url)  # warm
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(url, HTTP_HOST="127.0.0.1")
            elapsed = time.perf_counter() - start
        out[name] = {"status": response.status_code, "queries": len(queries), "ms": round(elapsed * 1000, 1),
                     "sql_ms": round(sum(float(q["time"]) for q in queries.captured_queries) * 1000, 1)}
    from django.contrib.auth.hashers import check_password

    from yibiao.accounts.models import User

    encoded = User.objects.get(username=me["username"]).password
    start = time.perf_counter()
    check_password(PASSWORD, encoded)
    out["password check"] = round((time.perf_counter() - start) * 1000, 1)
    print(json.dumps(out))


# ------------------------------------------------------------------ orchestration

def analyse() -> None:
    """What autovacuum would do some minutes after the load (docs/deploy.md: ANALYZE after a big
    import); without it the planner guesses from empty statistics."""
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True, connect_timeout=3) as conn:
        conn.execute("ANALYZE")


def reset_pg() -> None:
    import psycopg

    admin, name = PG_URL.rsplit("/", 1)
    with psycopg.connect(admin + "/postgres", autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def wait_up(url: str, seconds: float = 30) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own server on 127.0.0.1
                return
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.3)
    raise SystemExit(f"server did not answer at {url}")


def aggregated(csv_path: Path) -> dict:
    import csv

    with csv_path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    by_name = {r["Name"]: r for r in rows}
    total = by_name["Aggregated"]
    pages = {name: {"requests": int(r["Request Count"]), "failures": int(r["Failure Count"]),
                    "p50_ms": float(r["50%"]), "p95_ms": float(r["95%"]), "p99_ms": float(r["99%"])}
             for name, r in by_name.items() if name != "Aggregated" and int(r["Request Count"])}
    return {"requests": int(total["Request Count"]), "errors": int(total["Failure Count"]),
            "p50_ms": float(total["50%"]), "p95_ms": float(total["95%"]), "p99_ms": float(total["99%"]),
            "rps": round(float(total["Requests/s"]), 1), "pages": pages}


def failures(csv_path: Path) -> list[dict]:
    import csv

    if not csv_path.exists():
        return []
    with csv_path.open(encoding="utf-8") as f:
        return [{"name": r["Name"], "error": r["Error"][:200], "count": int(r["Occurrences"])}
                for r in csv.DictReader(f)]


def percentiles(rows: dict) -> str:
    return f"p50 {rows['p50_ms']:.0f} ms  p95 {rows['p95_ms']:.0f} ms"


def flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def run() -> dict:
    import locust

    reset_pg()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DATABASE_URL": PG_URL, "YIBIAO_VAR_DIR": tmp, "YIBIAO_DB_CONN_MAX_AGE": "60"}
        if SERVERS > 1:  # docs/deploy.md section 9: what several app servers share
            flush_redis()
            env.update({"YIBIAO_TASKS_BACKEND": "redis", "YIBIAO_REDIS_URL": REDIS_URL,
                        "YIBIAO_STORAGE_DIR": str(Path(tmp) / "shared"),
                        "YIBIAO_SECRET_KEY": "load-test-servers-one-key-" + "x" * 40})
            env.pop("YIBIAO_REPLICA_URL", None)
        start = time.perf_counter()
        subprocess.run([str(BIN / "yibiao"), "demo", "--no-serve", "--households", str(HOUSEHOLDS)], env=env,
                       check=True, stdout=subprocess.DEVNULL)
        plan = Path(tmp) / "plan.json"
        subprocess.run([sys.executable, __file__, "prepare", PG_URL, str(plan)], env=env, check=True)
        analyse()
        print(f"demo county ({HOUSEHOLDS:,} households) loaded into PostgreSQL, {USERS} accounts made, ANALYZEd "
              f"in {time.perf_counter() - start:.0f} s")
        servers, bases = [], [f"http://127.0.0.1:{PORT + n}" for n in range(SERVERS)]
        for n in range(SERVERS):  # each with a var directory of its own: another machine's disk
            var = Path(tmp) / f"app-{n}"
            var.mkdir()
            servers.append(subprocess.Popen([str(BIN / "yibiao"), "serve", "--workers", str(GUNICORN_WORKERS),
                                             "--no-job-worker", "--host", "127.0.0.1", "--port", str(PORT + n)],
                                            env={**env, "YIBIAO_VAR_DIR": str(var)}, stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL, start_new_session=True))
        try:
            login_out, cpu_out = Path(tmp) / "login.json", Path(tmp) / "cpu.json"
            plan.write_text(json.dumps({**json.loads(plan.read_text(encoding="utf-8")), "window_s": WINDOW,
                                        "login_out": str(login_out), "cpu_out": str(cpu_out),
                                        "server_pgids": [s.pid for s in servers], "servers": bases}),
                            encoding="utf-8")
            for base in bases:
                wait_up(f"{base}/login/")
            prefix = Path(tmp) / "locust"
            print(f"locust {locust.__version__}: {USERS} users started {SPAWN_RATE}/s and logged in, then measured "
                  f"for at most {WINDOW} s or {ITERATIONS} rounds each (hard stop {RUN_TIME} s); "
                  f"{SERVERS} app server{'s' if SERVERS > 1 else ''} × {GUNICORN_WORKERS} gunicorn workers",
                  flush=True)
            subprocess.run([str(BIN / "locust"), "-f", __file__, "--headless", "-u", str(USERS), "-r", SPAWN_RATE,
                            "--run-time", f"{RUN_TIME}s", "--host", f"http://127.0.0.1:{PORT}",
                            "--csv", str(prefix), "--only-summary", "--stop-timeout", "10",
                            "--loglevel", "WARNING", "--logfile", str(Path(tmp) / "locust.log")],
                           env={**env, "BENCH_LOCUST_PLAN": str(plan)}, check=False, timeout=RUN_TIME + 120,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            load = os.getloadavg()[0]  # the last minute: the window, with everything else running here
            result = aggregated(Path(f"{prefix}_stats.csv"))
            result["failures"] = failures(Path(f"{prefix}_failures.csv"))
            login = json.loads(login_out.read_text(encoding="utf-8")) if login_out.exists() else {}
            window = json.loads(cpu_out.read_text(encoding="utf-8")) if cpu_out.exists() else {}
            per_server = window.get("server_cpu_s")
            cpu = sum(per_server) if per_server else None
            served = window.get("served", {})
            locust_cpu = window.get("locust_cpu_s")
            log = (Path(tmp) / "locust.log").read_text(encoding="utf-8", errors="replace").strip()
            if log:
                print("  locust said:\n    " + "\n    ".join(log.splitlines()[-20:]))
        finally:
            for server in servers:
                os.killpg(server.pid, signal.SIGTERM)
            for server in servers:
                server.wait(timeout=30)
            if SERVERS > 1:
                flush_redis()
        costs = subprocess.run([sys.executable, __file__, "costs", PG_URL, str(plan)], env=env, check=True,
                               text=True, stdout=subprocess.PIPE).stdout.strip().splitlines()[-1]
    if not login:
        raise SystemExit("the measured window never opened (not every user logged in before the hard stop)")
    login_errors = login.pop("errors")
    result.update({"users": USERS, "spawn_rate": float(SPAWN_RATE), "iterations": ITERATIONS, "window_s": WINDOW,
                   "run_time_s": RUN_TIME, "households": HOUSEHOLDS, "locust_version": locust.__version__,
                   "gunicorn_workers": GUNICORN_WORKERS, "servers": SERVERS, "login": login,
                   "login_errors": login_errors,
                   "per_server": [{"base": b, "requests": served.get(b, 0),
                                   "cpu_s": round(per_server[n], 1) if per_server else None}
                                  for n, b in enumerate(bases)],
                   "page_costs": json.loads(costs), "load_average_1min": load, "cpus": os.cpu_count(),
                   "server_cpu_s": cpu,
                   "locust_cpu_s": round(locust_cpu, 1) if locust_cpu is not None else None,
                   "server_cpu_ms_per_request": round(cpu * 1000 / max(1, result["requests"]), 1)
                   if cpu is not None else None})
    print(f"  logins before the window: {login['login']['requests']} "
          f"({percentiles(login['login'])}), errors {sum(e['count'] for e in login_errors)}")
    for f in login_errors:
        print(f"    FAILED {f['count']} x {f['name']}: {f['error']}")
    print(f"  measured window: {result['requests']:,} requests, {result['rps']} req/s, errors {result['errors']}   "
          f"p50 {result['p50_ms']:.0f} ms  p95 {result['p95_ms']:.0f} ms  p99 {result['p99_ms']:.0f} ms "
          f"(target p95 <= 200 ms, 0 errors)")
    print(f"    machine load average over the last minute of the window: {load:.1f} on {os.cpu_count()} CPUs "
          "(everything running here, not only this test)")
    if cpu is not None:
        print(f"    CPU used by gunicorn's processes in the window: {cpu:.1f} s, "
              f"{result['server_cpu_ms_per_request']} ms per request"
              + (f"; locust's own (the users, same machine): {locust_cpu:.1f} s" if locust_cpu is not None else ""))
    if SERVERS > 1:
        print("    per server: " + "; ".join(f"{s['base']} {s['requests']:,} requests, CPU {s['cpu_s']} s"
                                            for s in result["per_server"]))
    for f in result["failures"]:
        print(f"    FAILED {f['count']} x {f['name']}: {f['error']}")
    print(f"    password check (Django's hasher, once, one core): {result['page_costs'].pop('password check')} ms")
    for name, p in sorted(result["pages"].items(), key=lambda kv: -kv[1]["p95_ms"]):
        cost = result["page_costs"].get(name, {})
        extra = f"   one request alone: {cost['queries']} queries, {cost['ms']} ms" if cost else ""
        print(f"    {name:16} {p['requests']:>6,} req  fail {p['failures']:>3}  p50 {p['p50_ms']:>6.0f}  "
              f"p95 {p['p95_ms']:>6.0f}  p99 {p['p99_ms']:>6.0f} ms{extra}")
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / f"{RESULT}.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return result


if __name__ == "__main__" and not os.environ.get("BENCH_LOCUST_PLAN"):
    if len(sys.argv) > 1 and sys.argv[1] == "prepare":
        prepare(sys.argv[2], Path(sys.argv[3]))
    elif len(sys.argv) > 1 and sys.argv[1] == "costs":
        page_costs(sys.argv[2], Path(sys.argv[3]))
    else:
        run()
