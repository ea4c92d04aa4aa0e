"""No request makes a 500: every URL pattern, as every persona, with junk everywhere.

Walks every URL pattern of the project (Django's admin aside), fills its path parameters
with real ids and with junk, GETs each page as each persona and notes the fields of every
form on it, then sends junk in every query parameter the view reads and POSTs junk in every
field of every form that targets the URL. A malformed value must get a 4xx (the 400 page,
a 403, a 404, a form that says what is wrong), never a server error.

The personas are the demo county's accounts (the same five roles as conftest's `world`,
one community worker in each of two townships): the demo brings requests, tasks with
missing cells, work items, evidence demands, a merged inspection and a slipped-past
report, so the ids filled in reach real objects and their forms.
"""

from __future__ import annotations

import inspect
import re
import time
import traceback
from collections import defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver

from tests.conftest import PersonaClient
from tests.sheetfactory import table, write_xlsx

pytestmark = pytest.mark.django_db(transaction=False)

JUNK = ["abc", "", "-1", "9" * 30, "0x", "<script>alert(1)</script>", "２０２６-1３", "😀👨‍👩‍👧",
        "9999-12", "0000-00", "0", "a\x00b", "长" * 300]  # the last: longer than any column
JUNK_INT = ["0", "9" * 25]  # what an <int:…> path parameter can carry that is not an id
JUNK_STR = ["abc", "<script>", "😀", "9" * 30, "a\x00b"]
# Keys a page builds from row ids (task cells): junk ids inside the key itself.
JUNK_KEYS = ["cell|p:abc|E", "cell|p:99999999999999999999999|B", "cell|a:abc|C", "cell|x",
             "cell|p:-1|B", "cell||", "cell|h:😀|B"]
FULL_ROUNDS = {"admin", "officer", "worker1"}
MAX_SINGLES = 25  # fields (or query parameters) of one page fuzzed one at a time
SKIP_PREFIXES = ("admin/",)  # Django's own admin: not ours to fuzz
ROUTE_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
READS = re.compile(r"""request\.(GET|POST)(?:\.get(?:list)?\(|\[)\s*["']([^"']+)["']""")
# Path parameter name -> model whose ids it carries (others: by the model's own name).
ID_MODELS = {"request_id": "gate.Demand", "item_id": "gate.Demand", "demand_id": "gate.Demand",
             "evidence_id": "gate.EvidenceDemand", "report_id": "slipped.UnadmittedReport",
             "job_id": "reports.ExportJob", "task_id": "reports.Task",
             "person_id": "ledger.Person", "household_id": "ledger.Household"}
ROSTER = table("""
| 姓名   | 公民身份号码       | 联系电话    |
| 王秀英 | 11010519491231002X | 13812345678 |
""")


@dataclass
class Route:
    route: str
    view: object
    params: list[tuple[str, str]]  # (converter, name)


@dataclass
class Findings:
    requests: int = 0
    statuses: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    errors: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))


def routes() -> list[Route]:
    found: list[Route] = []

    def walk(patterns: list, prefix: str) -> None:
        for pattern in patterns:
            text = prefix + str(pattern.pattern)
            if text.startswith(SKIP_PREFIXES):
                continue
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, text)
            elif isinstance(pattern, URLPattern):
                params = [(conv or "str", name) for conv, name in ROUTE_PARAM.findall(text)]
                found.append(Route(text, pattern.callback, params))

    walk(get_resolver().url_patterns, "")
    return found


def view_reads(view: object, method: str) -> set[str]:
    """The GET or POST parameter names a view's own source reads."""
    target = inspect.unwrap(view)
    target = getattr(target, "view_class", target)
    try:
        source = inspect.getsource(inspect.getmodule(target) if method == "POST" else target)
    except (OSError, TypeError):
        return set()
    return {name for kind, name in READS.findall(source) if kind == method}


def handles_post(view: object) -> bool:
    """Whether a view does anything with a POST (others render the same page as for a GET)."""
    target = inspect.unwrap(view)
    if hasattr(target, "view_class") or not inspect.isfunction(target):
        return True  # class-based and library views: assume so
    try:
        source = inspect.getsource(target)
    except (OSError, TypeError):
        return True
    return any(word in source for word in ("POST", "FILES", "method"))


def real_ids() -> dict[str, list[str]]:
    ids: dict[str, list[str]] = {}
    for name, label in ID_MODELS.items():
        model = apps.get_model(label)
        ids[name] = [str(pk) for pk in model.objects.order_by("pk").values_list("pk", flat=True)[:2]]
    return ids


def id_values(name: str, known: dict[str, list[str]]) -> list[str]:
    if name not in known:  # a pattern added later: find its model by name
        stem = name.removesuffix("_id").replace("_", "")
        models = [m for m in apps.get_models() if m.__name__.lower() == stem]
        known[name] = ([str(pk) for pk in models[0].objects.values_list("pk", flat=True)[:2]]
                       if models else []) or ["1"]
    return known[name]


def str_values(name: str, real: dict[str, list[str]]) -> list[str]:
    """Real values of a str parameter: org codes, intake upload tokens, download formats."""
    return real.get(name) or ["1"]


def fill(route: str, values: dict[str, str]) -> str:
    return "/" + ROUTE_PARAM.sub(lambda m: values[m[2]], route)


def variants(route: Route, known: dict[str, list[str]], strings: dict[str, list[str]],
             ) -> tuple[list[str], list[str]]:
    """(urls with real values, urls with one parameter junk) for a pattern."""
    real = {name: (id_values(name, known) if conv == "int" else str_values(name, strings))
            for conv, name in route.params}
    first = {name: values[0] for name, values in real.items()}
    good = [fill(route.route, first)]
    for name, values in real.items():
        good += [fill(route.route, first | {name: v}) for v in values[1:]]
    bad = []
    for conv, name in route.params:
        for junk in (JUNK_INT if conv == "int" else JUNK_STR):
            bad.append(fill(route.route, first | {name: junk}))
    return good, bad


class Forms(HTMLParser):
    """Each form's action, method, fields with the values the page gave them, and files."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action") or "", "method":
                               (attrs.get("method") or "get").lower(), "fields": {}, "files": set()})
        elif not self.forms:
            return
        elif tag in ("input", "select", "textarea", "button") and attrs.get("name"):
            if attrs.get("type") == "file":
                self.forms[-1]["files"].add(attrs["name"])
            elif attrs.get("type") not in ("checkbox", "radio") or "checked" in attrs:
                self.forms[-1]["fields"].setdefault(attrs["name"], attrs.get("value") or "")
            self._select = attrs["name"] if tag == "select" else None
        elif tag == "option" and getattr(self, "_select", None):
            fields = self.forms[-1]["fields"]
            if not fields.get(self._select) or "selected" in attrs:
                fields[self._select] = attrs.get("value") or ""


class Targets:
    """What the pages send to each URL: POSTed form fields (with the values shown) and files,
    and the query parameters of GET forms."""

    def __init__(self) -> None:
        self.posts: dict[str, dict[str, str]] = defaultdict(dict)
        self.files: dict[str, set[str]] = defaultdict(set)
        self.queries: dict[str, set[str]] = defaultdict(set)

    def note(self, page_url: str, html: str) -> None:
        parser = Forms()
        parser.feed(html)
        for form in parser.forms:
            target = urlsplit(urljoin(page_url, form["action"])).path
            if form["method"] == "post":
                for name, value in form["fields"].items():
                    self.posts[target].setdefault(name, value)
                self.files[target] |= form["files"]
            else:
                self.queries[target] |= set(form["fields"])


def send(client: PersonaClient, findings: Findings, persona: str, method: str, url: str,
         data: dict | None = None) -> object:
    findings.requests += 1
    started = time.perf_counter()
    # A savepoint per request: a database error must not poison the ones after it (the
    # test runs inside one transaction, unlike a server's requests).
    with transaction.atomic():
        if method == "GET":
            response = client.get(url, data or {})
        else:
            response = client.post(url, data or {})
        if response.status_code >= 500:
            transaction.set_rollback(True)
    findings.statuses[response.status_code] += 1
    findings.seconds[re.sub(r"/\d+/", "/N/", url)] += time.perf_counter() - started
    if response.status_code >= 500:
        exc = getattr(response, "exc_info", None)
        shown = {k: (v if isinstance(v, str) else "<file>") for k, v in (data or {}).items()}
        detail = repr(exc[1])[:200] if exc else response.content[:200]
        where = ""
        if exc:
            frames = [f for f in traceback.extract_tb(exc[2]) if "/yibiao/" in f.filename]
            where = f" at {frames[-1].filename.split('/yibiao/')[-1]}:{frames[-1].lineno}" if frames else ""
        findings.errors.append(f"{persona} {method} {url} {str(shown)[:160]} -> "
                               f"{response.status_code} {detail}{where}")
    return response


def summary(errors: list[str]) -> str:
    """One line per distinct failure (exception and place), with a count and an example."""
    groups: dict[str, list[str]] = defaultdict(list)
    for error in errors:
        kind = re.sub(r"\(.*\)", "", error.split(" -> ", 1)[1])
        groups[kind].append(error)
    return "\n".join(f"{len(found)}x {kind}\n    e.g. {found[0][:300]}"
                     for kind, found in sorted(groups.items(), key=lambda g: -len(g[1])))


def junk_post(fields: dict[str, str], files: set[str], junk: str) -> dict:
    data: dict[str, object] = dict(fields) | dict.fromkeys(JUNK_KEYS, junk)
    for name in files:
        data[name] = SimpleUploadedFile(f"{junk[:20] or 'x'}.xlsx", b"PK\x03\x04 not a workbook")
    return data


@pytest.fixture
def demo_clients(tmp_path, settings):
    from yibiao.accounts.models import User
    from yibiao.accounts.tokens import issue
    from yibiao.demo.load import load_demo
    from yibiao.gate.models import FormRequest
    from yibiao.reports.models import ExportJob

    settings.MEDIA_ROOT = tmp_path / "media"
    demo = load_demo(seed=5, households=40)
    users = {account.username: User.objects.get(username=account.username)
             for account in demo.accounts}
    form_request = FormRequest.objects.first()
    if form_request is not None:
        ExportJob.objects.create(request=form_request, org_unit=users["worker1"].org_unit,
                                 period="2026-11", requested_by=users["officer"], status="done",
                                 file=str(tmp_path / "missing.xlsx"))
    token = issue(users["admin"], users["officer"], "fuzz")
    clients = {"anonymous": PersonaClient(raise_request_exception=False)}
    for name, user in users.items():
        extra = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if name == "officer" else {}
        client = PersonaClient(raise_request_exception=False, **extra)
        client.force_login(user)
        clients[name] = client
    roster = write_xlsx(tmp_path / "花名册.xlsx", ROSTER)
    tokens = []
    for name in ("worker1", "worker2"):
        response = clients[name].post("/intake/upload/", {
            "org": users[name].org_unit.code, "file": roster.open("rb")})
        if response.status_code == 302:
            tokens.append(response["Location"].rstrip("/").rsplit("/", 1)[-1])
    return clients, users, tokens


def test_no_url_no_persona_no_junk_makes_a_500(demo_clients):
    clients, users, intake_tokens = demo_clients
    findings = Findings()
    started = time.perf_counter()
    known = real_ids()
    strings = {"code": sorted({u.org_unit.code for u in users.values() if u.org_unit_id}),
               "token": intake_tokens, "fmt": ["csv", "xlsx"]}
    plans = [(route, *variants(route, known, strings)) for route in routes()]

    # 1. every page as every persona (junk ids and codes as the personas who can act);
    # note every form and where it sends its fields
    targets = Targets()
    for persona, client in clients.items():
        for _route, good, bad in plans:
            for url in good + (bad if persona in FULL_ROUNDS else []):
                if url.startswith("/logout/"):
                    continue
                response = send(client, findings, persona, "GET", url)
                if "html" in response.get("Content-Type", ""):
                    targets.note(url, response.content.decode("utf-8", "replace"))
    phase_one = (findings.requests, time.perf_counter() - started)

    # 2. junk: every query parameter the view reads and every field of every form that
    # posts to it, all at once with each junk value (the first parse a view makes), then
    # one field at a time among the values the page itself gave (the parses after it).
    # The personas who repeat another's role get one round: anonymous is sent to the login
    # page, worker2 is worker1 in another township, the reviewer's actions are the admin's.
    for persona, client in clients.items():
        full = persona in FULL_ROUNDS
        for route, good, bad in plans:
            if route.route.startswith("logout/"):
                continue
            reads_post = handles_post(route.view)
            posted = dict.fromkeys(view_reads(route.view, "POST"), "")
            for url in good:
                query = view_reads(route.view, "GET") | targets.queries[url]
                for junk in (JUNK if full else JUNK[:1]) if query else []:
                    send(client, findings, persona, "GET", url, dict.fromkeys(query, junk))
                fields = posted | targets.posts[url]
                for junk in JUNK if full and reads_post else JUNK[:1]:
                    send(client, findings, persona, "POST", url,
                         junk_post(dict.fromkeys(fields, junk), targets.files[url], junk))
                if full and reads_post:
                    singles = [name for name in fields if not name.startswith("cell|")]
                    for n, name in enumerate(singles[:MAX_SINGLES]):
                        junk = JUNK[n % len(JUNK)] or JUNK[0]
                        send(client, findings, persona, "POST", url, fields | {name: junk})
                    for n, name in enumerate(sorted(query)[:MAX_SINGLES]):
                        send(client, findings, persona, "GET", url, {name: JUNK[n % len(JUNK)]})
            for url in bad if full else []:
                send(client, findings, persona, "POST", url, junk_post(posted, set(), "abc"))

    elapsed = time.perf_counter() - started
    print(f"\nfuzz: {findings.requests} requests in {elapsed:.1f} s (pages and forms: "
          f"{phase_one[0]} in {phase_one[1]:.1f} s), "
          f"statuses {dict(sorted(findings.statuses.items()))}, {len(findings.errors)} server errors")
    slowest = sorted(findings.seconds.items(), key=lambda kv: -kv[1])[:8]
    print("slowest:", ", ".join(f"{url} {seconds:.1f} s" for url, seconds in slowest))
    assert findings.errors == [], summary(findings.errors)
    assert findings.requests > 1000 and findings.statuses[200] > 100  # it really ran
