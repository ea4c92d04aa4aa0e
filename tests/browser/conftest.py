"""The real thing, end to end: `yibiao serve` on its own fresh database, driven by Chromium.

No test client and no mocks: the server is the console script a county IT office runs,
seeded by `yibiao demo`, in a subprocess; the browser is Debian's chromium (browsers are
never downloaded). The database is a temp SQLite file, or, when DATABASE_URL names a
PostgreSQL server, a database of its own on that server, dropped at the end.

These tests never touch the ORM from the test process, so pytest-django's database
blocker never fires and they need no `db` fixture.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

HERE = Path(__file__).resolve().parent
HOUSEHOLDS = 300  # enough to fill every demo community's pages, small enough to seed in seconds
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",  # the test container has no user namespaces for Chromium's sandbox
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # No calls home: the tests must pass on an intranet with no way out.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# A grassroots worker's phone or PC says it prefers Chinese; headless Chromium would
# otherwise send en-US and LocaleMiddleware would pick English before any choice is made.
BROWSER_LOCALE = "zh-CN"
PHONE_VIEWPORT = {"width": 390, "height": 844}
STARTUP_TIMEOUT = 30.0  # seconds for gunicorn to answer


# --- marking and failure screenshots ---------------------------------------------------


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/browser is a browser test, so `-m "not browser"` skips them all."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)


PHASE_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport:
    """Keep each phase's report on the item so the page fixture knows whether the test failed."""
    report: pytest.TestReport = yield
    item.stash.setdefault(PHASE_REPORTS, {})[report.when] = report
    return report


def artifacts_dir(config: pytest.Config) -> Path:
    """test-artifacts/ at the repository root (git-ignored); CI uploads it."""
    path = config.rootpath / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path


# --- the server ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def die_with_parent() -> None:
    """Ask Linux to SIGTERM the server if pytest itself dies (kill -9, OOM): no orphans.

    Runs in the child between fork and exec; gunicorn's workers already exit when their
    master goes.
    """
    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


@contextlib.contextmanager
def fresh_database(var_dir: Path) -> Iterator[str]:
    """A DATABASE_URL nobody else uses: a new PostgreSQL database, or a temp SQLite file."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{var_dir / 'browser.sqlite3'}"
        return

    import psycopg

    name = f"yibiao_browser_{os.getpid()}"
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')  # a leftover from a killed run
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(base)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(base, autocommit=True) as admin:
            # FORCE: a gunicorn worker killed mid-request may leave a session open.
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def yibiao_command(*args: str) -> list[str]:
    """The installed console script beside this Python: what an operator actually runs."""
    return [str(Path(sys.executable).with_name("yibiao")), *args]


def wait_until_answering(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"yibiao serve exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url + "/login/", timeout=2) as response:  # noqa: S310 (our own http URL)
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    pytest.fail(f"yibiao serve did not answer within {STARTUP_TIMEOUT:.0f} s:\n{log.read_text()}")


def stop(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM gunicorn's process group (master and workers), SIGKILL if it lingers."""
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


SERVER_ENV = pytest.StashKey[dict[str, str]]()


@pytest.fixture(scope="session")
def server_url(pytestconfig: pytest.Config) -> Iterator[str]:
    """Base URL of `yibiao serve` on a fresh database seeded by `yibiao demo`."""
    with tempfile.TemporaryDirectory(prefix="yibiao-browser-") as tmp:
        var_dir = Path(tmp)
        with fresh_database(var_dir) as database_url:
            env = {
                **os.environ,
                "DATABASE_URL": database_url,
                "YIBIAO_VAR_DIR": str(var_dir),  # secret key and media stay out of the repo
                "YIBIAO_DEBUG": "0",  # the real 403/404 pages, as users see them
                "PYTHONUNBUFFERED": "1",
            }
            seed = subprocess.run(
                yibiao_command("demo", "--no-serve", "--households", str(HOUSEHOLDS)),
                cwd=var_dir, env=env, capture_output=True, text=True, timeout=300, check=False,
            )
            if seed.returncode != 0:
                pytest.fail(f"yibiao demo failed ({seed.returncode}):\n{seed.stdout}\n{seed.stderr}")

            pytestconfig.stash[SERVER_ENV] = {**env, "YIBIAO_CWD": str(var_dir)}
            port = free_port()
            log = var_dir / "serve.log"
            with log.open("wb") as log_file:
                server = subprocess.Popen(
                    yibiao_command("serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"),
                    cwd=var_dir, env=env, stdout=log_file, stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own process group, so stop() reaches the workers
                    preexec_fn=die_with_parent,  # safe: ctypes only, and no other threads yet
                )
                try:
                    url = f"http://127.0.0.1:{port}"
                    wait_until_answering(url, server, log)
                    yield url
                finally:
                    stop(server)


YibiaoCommand = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="session")
def yibiao_cli(server_url: str, pytestconfig: pytest.Config) -> YibiaoCommand:  # noqa: ARG001 - the server's database
    """Run `yibiao …` against the served database, as an operator would beside the server
    (a department's request created and admitted from the command line, say)."""
    env = dict(pytestconfig.stash[SERVER_ENV])
    cwd = env.pop("YIBIAO_CWD")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(yibiao_command(*args), cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=120, check=False)
        if done.returncode != 0:
            pytest.fail(f"yibiao {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done

    return run


# --- the browser -----------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """One headless Chromium for the session; each test gets its own context (cookies)."""
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield chromium
    chromium.close()


OpenPage = Callable[..., Page]


@pytest.fixture
def open_page(browser: Browser, server_url: str, request: pytest.FixtureRequest) -> Iterator[OpenPage]:
    """Factory for pages in fresh contexts; any page still open is screenshotted if the test fails."""
    contexts = []

    def open_(**context_options: object) -> Page:
        options = {"base_url": server_url, "locale": BROWSER_LOCALE, **context_options}
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_

    reports = request.node.stash.get(PHASE_REPORTS, {})
    failed = any(report.failed for report in reports.values())
    for number, context in enumerate(contexts):
        if failed:
            for page in context.pages:
                suffix = f"-{number}" if len(contexts) > 1 else ""
                name = re.sub(r"[^\w.-]+", "_", request.node.name) + suffix
                with contextlib.suppress(Exception):  # a crashed page must not hide the real failure
                    page.screenshot(path=artifacts_dir(request.config) / f"{name}.png", full_page=True)
        context.close()


@pytest.fixture
def page(open_page: OpenPage) -> Page:
    """A desktop page (Playwright's default 1280 x 720) with no cookies."""
    return open_page()


@pytest.fixture
def phone_page(open_page: OpenPage) -> Page:
    """A 390 px wide touch phone, the size of most workers' phones, with no cookies."""
    return open_page(viewport=PHONE_VIEWPORT, is_mobile=True, has_touch=True)



@pytest.fixture
def artifacts(pytestconfig: pytest.Config) -> Path:
    """Where a test keeps screenshots a person should look at, pass or fail."""
    return artifacts_dir(pytestconfig)
