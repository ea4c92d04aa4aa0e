#!/usr/bin/env python3
"""Load test of the web interface and API on PostgreSQL behind gunicorn (not a test).

1. PostgreSQL database `bench_load` (dropped and recreated): `yibiao demo --no-serve`
   (3,000 households × BENCH_SCALE, at least 300), then 50 worker accounts spread over the
   demo's communities and a data-API token for the officer.
2. `yibiao serve --workers 4 --no-job-worker` on 127.0.0.1:8765 (its own process group).
3. locust, headless, from a second process: BENCH_USERS (50) simulated users — workers who
   log in, open their home page and resident list, search, open a person, open a task and
   complete cells, call /api/v1/me; one in ten is a department reading
   /api/v1/data/requests/{id}/rows with a bearer token. Think time 1–3 s. Bounded: each
   user stops after BENCH_ITERATIONS (10) rounds, the run after BENCH_RUN_TIME seconds.
4. p50/p95/p99 and errors from locust's CSV; then, in-process with Django's test client on
   the same database, the SQL queries and time of each page (where the time goes).

    .venv/bin/python bench/loadtest.py
    BENCH_SCALE=0.1 .venv/bin/python bench/loadtest.py

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
RUN_TIME = int(os.environ.get("BENCH_RUN_TIME", str(max(45, int(120 * SCALE)))))
HOUSEHOLDS = max(300, int(3000 * SCALE))
PG_URL = os.environ.get("BENCH_PG_LOAD", "postgres://postgres@127.0.0.1:5432/bench_load")
PORT = int(os.environ.get("BENCH_PORT", "8765"))
# Users started per second. Each login costs one PBKDF2 check (~0.3 s of a core here), so
# 50 workers logging in within 5 s queue every page behind them on a 2-core machine.
SPAWN_RATE = os.environ.get("BENCH_SPAWN_RATE", "2")
PASSWORD = "load-test-2026"  # noqa: S105 - synthetic accounts in a scratch database
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CELL = re.compile(r'name="(cell\|[^"]+)"')


# ------------------------------------------------------------------ the locust side

if os.environ.get("BENCH_LOCUST_PLAN"):
    from locust import HttpUser, between, task
    from locust.exception import StopUser

    PLAN = json.loads(Path(os.environ["BENCH_LOCUST_PLAN"]).read_text(encoding="utf-8"))
    WORKERS = list(PLAN["workers"])

    class Worker(HttpUser):
        """A community worker's day, compressed."""

        weight = 9
        wait_time = between(1, 3)

        def on_start(self) -> None:
            self.me = WORKERS.pop() if WORKERS else random.choice(PLAN["workers"])  # noqa: S311
            self.rounds = 0
            page = self.client.get("/login/", name="login form")
            token = CSRF.search(page.text)
            self.client.post("/login/", {"username": self.me["username"], "password": PASSWORD,
                                         "csrfmiddlewaretoken": token.group(1) if token else ""},
                             headers={"Referer": f"{self.host}/login/"}, name="login")

        @task
        def round(self) -> None:
            self.rounds += 1
            if self.rounds > ITERATIONS:
                raise StopUser
            me = self.me
            self.client.get("/", name="home")
            self.wait()  # a person reads each page before the next click
            self.client.get("/ledger/people/", name="resident list")
            self.wait()
            self.client.get(f"/ledger/people/?q={random.choice(me['searches'])}",  # noqa: S311
                            headers={"HX-Request": "true"}, name="search")
            self.wait()
            self.client.get(f"/ledger/people/{random.choice(me['people'])}/", name="person")  # noqa: S311
            self.client.get("/api/v1/me", name="api me")
            self.wait()
            if me["tasks"]:
                task_id = random.choice(me["tasks"])  # noqa: S311
                page = self.client.get(f"/reports/tasks/{task_id}/", name="task")
                self.wait()
                cells = CELL.findall(page.text)[:3]
                token = CSRF.search(page.text)
                if cells and token:
                    data = {"csrfmiddlewaretoken": token.group(1), **{c: "1" for c in cells}}
                    self.client.post(f"/reports/tasks/{task_id}/complete/", data, name="task complete",
                                     headers={"Referer": f"{self.host}/reports/tasks/{task_id}/"})

    class Department(HttpUser):
        """A department pulling its admitted table through the data API."""

        weight = 1
        wait_time = between(1, 3)

        def on_start(self) -> None:
            self.rounds = 0

        @task
        def pull(self) -> None:
            self.rounds += 1
            if self.rounds > ITERATIONS or not PLAN["api"]:
                raise StopUser
            call = random.choice(PLAN["api"])  # noqa: S311
            self.client.get(call, headers={"Authorization": f"Bearer {PLAN['token']}"}, name="api rows")


# ------------------------------------------------------------------ preparing the database

def prepare(db_url: str, plan_path: Path) -> None:
    """In a child process: accounts for the load and what each may open."""
    os.environ["DATABASE_URL"] = db_url
    sys.path.insert(0, str(ROOT))
    from yibiao.cli import setup_django

    setup_django()
    from yibiao.accounts import tokens
    from yibiao.accounts.models import Role, User
    from yibiao.admission.models import FormRequest, Status
    from yibiao.ledger.models import Person
    from yibiao.orgunits.models import Level, OrgUnit
    from yibiao.reports.models import Task

    communities = list(OrgUnit.objects.subtree("430104").filter(level=Level.COMMUNITY).order_by("code"))
    workers = []
    for i in range(USERS):
        unit = communities[i % len(communities)]
        user, _ = User.objects.get_or_create(username=f"loadw{i + 1:02d}")
        user.role, user.org_unit, user.display_name = Role.WORKER, unit, f"压测{i + 1}"
        user.set_password(PASSWORD)
        user.save()
        people = list(Person.objects.filter(org_unit__code__startswith=unit.code).values_list("pk", "name")[:200])
        workers.append({"username": user.username, "org": unit.code,
                        "people": [pk for pk, _ in people] or [0],
                        "searches": sorted({name[:1] for _, name in people})[:10] or ["王"],
                        "tasks": list(Task.objects.filter(org_code__startswith=unit.code).values_list("pk", flat=True))})
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
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    plan = json.loads(plan_path.read_text(encoding="utf-8"))
    me = next((w for w in plan["workers"] if w["tasks"]), plan["workers"][0])
    client = Client()
    assert client.login(username=me["username"], password=PASSWORD)
    pages = [("home", "/"), ("resident list", "/ledger/people/"),
             ("search", f"/ledger/people/?q={me['searches'][0]}"),
             ("person", f"/ledger/people/{me['people'][0]}/"), ("api me", "/api/v1/me")]
    if me["tasks"]:
        pages.append(("task", f"/reports/tasks/{me['tasks'][0]}/"))
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
             for name, r in by_name.items() if name != "Aggregated"}
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


def run() -> dict:
    import locust

    reset_pg()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DATABASE_URL": PG_URL, "YIBIAO_VAR_DIR": tmp, "YIBIAO_DB_CONN_MAX_AGE": "60"}
        start = time.perf_counter()
        subprocess.run([str(BIN / "yibiao"), "demo", "--no-serve", "--households", str(HOUSEHOLDS)], env=env,
                       check=True, stdout=subprocess.DEVNULL)
        plan = Path(tmp) / "plan.json"
        subprocess.run([sys.executable, __file__, "prepare", PG_URL, str(plan)], env=env, check=True)
        print(f"demo county ({HOUSEHOLDS:,} households) loaded into PostgreSQL and {USERS} accounts made "
              f"in {time.perf_counter() - start:.0f} s")
        server = subprocess.Popen([str(BIN / "yibiao"), "serve", "--workers", "4", "--no-job-worker",
                                   "--host", "127.0.0.1", "--port", str(PORT)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            wait_up(f"http://127.0.0.1:{PORT}/login/")
            prefix = Path(tmp) / "locust"
            print(f"locust {locust.__version__}: {USERS} users started {SPAWN_RATE}/s, at most {ITERATIONS} rounds each, "
                  f"at most {RUN_TIME} s", flush=True)
            subprocess.run([str(BIN / "locust"), "-f", __file__, "--headless", "-u", str(USERS), "-r", SPAWN_RATE,
                            "--run-time", f"{RUN_TIME}s", "--host", f"http://127.0.0.1:{PORT}",
                            "--csv", str(prefix), "--only-summary", "--stop-timeout", "10",
                            "--loglevel", "WARNING"],
                           env={**env, "BENCH_LOCUST_PLAN": str(plan)}, check=False, timeout=RUN_TIME + 120,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            result = aggregated(Path(f"{prefix}_stats.csv"))
            result["failures"] = failures(Path(f"{prefix}_failures.csv"))
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        costs = subprocess.run([sys.executable, __file__, "costs", PG_URL, str(plan)], env=env, check=True,
                               text=True, stdout=subprocess.PIPE).stdout.strip().splitlines()[-1]
    result.update({"users": USERS, "spawn_rate": float(SPAWN_RATE), "iterations": ITERATIONS, "run_time_s": RUN_TIME, "households": HOUSEHOLDS,
                   "locust_version": locust.__version__, "gunicorn_workers": 4, "page_costs": json.loads(costs)})
    print(f"  {result['requests']:,} requests, {result['rps']} req/s, errors {result['errors']}   "
          f"p50 {result['p50_ms']:.0f} ms  p95 {result['p95_ms']:.0f} ms  p99 {result['p99_ms']:.0f} ms "
          f"(target p95 <= 200 ms, 0 errors)")
    for f in result["failures"]:
        print(f"    FAILED {f['count']} x {f['name']}: {f['error']}")
    print(f"    password check (Django's hasher, once, one core): {result['page_costs'].pop('password check')} ms")
    for name, p in sorted(result["pages"].items(), key=lambda kv: -kv[1]["p95_ms"]):
        cost = result["page_costs"].get(name, {})
        extra = f"   one request alone: {cost['queries']} queries, {cost['ms']} ms" if cost else ""
        print(f"    {name:14} {p['requests']:>6,} req  fail {p['failures']:>3}  p50 {p['p50_ms']:>6.0f}  "
              f"p95 {p['p95_ms']:>6.0f}  p99 {p['p99_ms']:>6.0f} ms{extra}")
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "loadtest.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return result


if __name__ == "__main__" and not os.environ.get("BENCH_LOCUST_PLAN"):
    if len(sys.argv) > 1 and sys.argv[1] == "prepare":
        prepare(sys.argv[2], Path(sys.argv[3]))
    elif len(sys.argv) > 1 and sys.argv[1] == "costs":
        page_costs(sys.argv[2], Path(sys.argv[3]))
    else:
        run()
