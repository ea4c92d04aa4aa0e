#!/usr/bin/env python3
"""Every page a demo role can reach by links, timed over HTTP against `yibiao serve` (not a test).

Issue 16's figure: page load p95 under 300 ms on the demo county. And its check "0 responses
of 403/404/500": every link a page shows is one the viewer may open.

1. A database with the demo county: by default a fresh SQLite file seeded by
   `yibiao demo --no-serve` (3,000 households × BENCH_SCALE, at least 300); or, with
   --database-url, one already seeded (SQLite or PostgreSQL), used as it is.
2. `yibiao serve --workers 2 --no-job-worker` on a free port of 127.0.0.1, YIBIAO_DEBUG=0
   (the real error pages), its own process group.
3. Each demo account logs in through the login form and crawls breadth-first from its home
   page: GET only, same origin, every <a href> of every HTML page; logout, the language
   switch, downloads and exports are skipped (they are not pages). Links differing only in
   their numbers (one person's page and the next) count as one page shape, and at most
   --per-shape (5) of each shape are followed, so a county's thousands of residents do not
   turn the crawl into a scrape; --max-pages bounds a role's crawl all the same.
4. Every page reached is then fetched --repeats (3) more times: the time is one whole
   response (request sent to last byte read, redirects followed), what the server and the
   network cost, not the browser's rendering or static files (served by WhiteNoise, cached).
   p50/p95/max per role over those fetches, the 10 slowest pages by their median, and every
   link that answered 403, 404 or 5xx, with the page that showed it.

    .venv/bin/python bench/bench_pages.py                           # fresh demo county, ~2 min to seed
    .venv/bin/python bench/bench_pages.py --database-url sqlite:////tmp/demo/yibiao.sqlite3
    BENCH_ONLY=pages make bench                                      # through bench/run.py

Writes bench/results/pages.json. Exit status 1 when a link answered 403/404/5xx.
"""
from __future__ import annotations

import argparse
import contextlib
import http.cookiejar
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from html.parser import HTMLParser
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
YIBIAO = Path(sys.executable).with_name("yibiao")
SCALE = float(os.environ.get("BENCH_SCALE", "1"))
TARGET_P95_MS = 300
ACCOUNTS = {  # README's demo accounts
    "admin": "demo-admin-2026", "reviewer": "demo-review-2026", "officer": "demo-officer-2026",
    "worker1": "demo-worker1-2026", "worker2": "demo-worker2-2026",
}
# Not pages: leaving, switching language (a POST anyway), files.
SKIP = re.compile(r"^/(logout|i18n)/|download|/file/|/export|\.(xlsx|csv|ics|zip|pdf)$|^/static/|^/media/")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def shape(path: str) -> str:
    """/ledger/persons/1234/?as_of=2026-01-01 and /ledger/persons/98/ are one page shape."""
    return re.sub(r"\d+", "N", path)


class Session:
    """One user's cookies; urllib follows redirects (a redirect to /login/ shows in the URL)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[int, str, str, bytes, float]:
        """status, final URL, content type, body, seconds."""
        start = time.perf_counter()
        try:
            with self.opener.open(self.base + path, timeout=60) as response:
                body = response.read()
                status, url, kind = response.status, response.url, response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as error:
            body = error.read()
            status, url, kind = error.code, error.url, error.headers.get("Content-Type", "")
        return status, url, kind, body, time.perf_counter() - start

    def login(self, username: str, password: str) -> None:
        _, _, _, body, _ = self.get("/login/")
        token = CSRF.search(body.decode())
        assert token, "no CSRF token on /login/"
        data = urllib.parse.urlencode({"username": username, "password": password,
                                       "csrfmiddlewaretoken": token.group(1)}).encode()
        request = urllib.request.Request(self.base + "/login/", data=data,  # noqa: S310 (our own http URL)
                                         headers={"Referer": self.base + "/login/"})
        with self.opener.open(request, timeout=60) as response:
            if urllib.parse.urlsplit(response.url).path.startswith("/login"):
                raise SystemExit(f"{username} could not log in")


def crawl(session: Session, per_shape: int, max_pages: int) -> tuple[list[str], list[dict]]:
    """The pages reached from the home page, and every link that answered an error."""
    seen: set[str] = {"/"}
    shapes: dict[str, int] = {}
    queue: deque[tuple[str, str]] = deque([("/", "")])
    pages: list[str] = []
    broken: list[dict] = []
    while queue and len(pages) < max_pages:
        path, found_on = queue.popleft()
        status, url, kind, body, _ = session.get(path)
        final = urllib.parse.urlsplit(url)
        if status >= 400:
            broken.append({"status": status, "url": path, "linked_from": found_on})
            continue
        if final.path.startswith("/login"):
            broken.append({"status": "→ login", "url": path, "linked_from": found_on})
            continue
        if "text/html" not in kind:
            continue
        pages.append(path)
        parser = Links()
        parser.feed(body.decode("utf-8", "replace"))
        for href in parser.hrefs:
            target = urllib.parse.urlsplit(urllib.parse.urljoin(url, href))
            if target.scheme not in ("http", "https") or target.netloc != final.netloc:
                continue
            link = target.path + (f"?{target.query}" if target.query else "")
            if link in seen or SKIP.search(target.path):
                continue
            seen.add(link)
            key = shape(link)
            if per_shape and shapes.get(key, 0) >= per_shape:
                continue
            shapes[key] = shapes.get(key, 0) + 1
            queue.append((link, path))
    return pages, broken


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


@contextlib.contextmanager
def served(database_url: str, var_dir: Path, workers: int):  # noqa: ANN201
    env = {**os.environ, "DATABASE_URL": database_url, "YIBIAO_VAR_DIR": str(var_dir), "YIBIAO_DEBUG": "0",
           "PYTHONUNBUFFERED": "1"}
    port = free_port()
    log = (var_dir / "serve.log").open("wb")
    server = subprocess.Popen([str(YIBIAO), "serve", "--host", "127.0.0.1", "--port", str(port),
                               "--workers", str(workers), "--no-job-worker"],
                              cwd=var_dir, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise SystemExit(f"yibiao serve exited with {server.returncode}, see {var_dir / 'serve.log'}")
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(base + "/login/", timeout=2):  # noqa: S310 (our own server)
                    break
            if time.monotonic() > deadline:
                raise SystemExit("yibiao serve did not answer within 60 s")
            time.sleep(0.2)
        yield base
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="a database already seeded by `yibiao demo` (default: a fresh one)")
    parser.add_argument("--households", type=int, default=max(300, int(3000 * SCALE)))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--per-shape", type=int, default=5, help="0: every link")
    parser.add_argument("--max-pages", type=int, default=400)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--roles", default=",".join(ACCOUNTS))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="yibiao-bench-pages-") as tmp:
        var_dir = Path(tmp)
        database_url = args.database_url
        if database_url is None:
            database_url = f"sqlite:///{var_dir / 'demo.sqlite3'}"
            start = time.perf_counter()
            subprocess.run([str(YIBIAO), "demo", "--no-serve", "--households", str(args.households)], cwd=var_dir,
                           env={**os.environ, "DATABASE_URL": database_url, "YIBIAO_VAR_DIR": str(var_dir)},
                           check=True, stdout=subprocess.DEVNULL)
            print(f"demo county seeded: {args.households} households, SQLite, {time.perf_counter() - start:.0f} s")
        vendor = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
        print(f"{vendor}, yibiao serve --workers {args.workers}; crawl: at most {args.per_shape} pages of a shape, "
              f"{args.max_pages} per role; {args.repeats} timed fetches of each page")
        report: dict = {"database": vendor, "households": args.households if not args.database_url else None,
                        "repeats": args.repeats, "target_p95_ms": TARGET_P95_MS, "roles": {}, "broken": []}
        slowest: list[tuple[float, str, str]] = []
        everything: list[float] = []
        with served(database_url, var_dir, args.workers) as base:
            for role in args.roles.split(","):
                session = Session(base)
                session.login(role, ACCOUNTS[role])
                pages, broken = crawl(session, args.per_shape, args.max_pages)
                times: list[float] = []
                for path in pages:
                    samples = [session.get(path)[4] * 1000 for _ in range(args.repeats)]
                    times += samples
                    slowest.append((statistics.median(samples), role, path))
                everything += times
                figures = {"pages": len(pages), "fetches": len(times),
                           "p50_ms": round(statistics.median(times), 1), "p95_ms": round(percentile(times, 0.95), 1),
                           "max_ms": round(max(times), 1), "broken": len(broken)}
                report["roles"][role] = {**figures, "urls": pages}
                report["broken"] += [{**b, "role": role} for b in broken]
                print(f"{role:9} {figures['pages']:4} pages  p50 {figures['p50_ms']:6.1f} ms  "
                      f"p95 {figures['p95_ms']:6.1f} ms  max {figures['max_ms']:7.1f} ms  "
                      f"{len(broken)} broken links", flush=True)
        report["p95_ms"] = round(percentile(everything, 0.95), 1)
        report["p50_ms"] = round(statistics.median(everything), 1)
        slowest.sort(reverse=True)
        report["slowest"] = [{"median_ms": round(ms, 1), "role": role, "url": path} for ms, role, path in slowest[:10]]
        print(f"all roles: p50 {report['p50_ms']} ms, p95 {report['p95_ms']} ms (target < {TARGET_P95_MS} ms)")
        print("10 slowest pages (median of the timed fetches):")
        for row in report["slowest"]:
            print(f"  {row['median_ms']:7.1f} ms  {row['role']:9} {row['url']}")
        if report["broken"]:
            print("links answering an error:")
            for row in report["broken"]:
                print(f"  {row['status']}  {row['role']:9} {row['url']}  (on {row['linked_from'] or 'login'})")
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "pages.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
        sys.exit(1 if report["broken"] else 0)


if __name__ == "__main__":
    main()
