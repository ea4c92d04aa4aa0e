"""Nothing leaks across org units or departments, and nothing foreign is changed.

The shape is paperless-ngx's `test_permission_filtering_security.py`: one file whose only
job is that nobody reaches what is not theirs. Two tables and the attacks of issue 13:

- ACCESS: every URL pattern of the project × every persona × GET and POST, on an object of
  the persona's own side and on one of the other side. A refused request gets 401, 403 or
  404 (405 where the method is wrong), never a 500 and never a 200; after it every table a
  request could write is as it was, row for row (residents' unit, name and facts, requests'
  status and analysis, task values and status, transfers' status …; audit entries aside:
  refusals are audited). An allowed response (pages, JSON, CSV, calendars, the XML inside
  xlsx files) never holds the other side's data. A new URL pattern without a row fails
  `test_every_url_pattern_has_a_row`.
- VISIBLE: per model the scope module knows (`scope._PERMITTED`), per persona and verb,
  which of the scene's objects `scope.permitted` returns and which it must not.
- The attacks of issue 13, one test each: a task cell about another community's resident,
  re-analysing other departments' requests and work items, editing and registering with
  other people's ID numbers, confirming one's own transfer request.

The scene: two townships, each with a community, a department with its officer, a resident
with a household and a house, an admitted request with its task, a pending request, an
admitted inspection with an evidence demand, a pending task item, a slipped-past report
with a photo, a roster upload and a background import; transfer requests both ways; an
export job per persona; a request, a work item and a community in another county (the
reviewer's "other side").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from yibiao.accounts import scope
from yibiao.accounts.scope import OutOfScope
from yibiao.orgunits.models import OrgUnit

from .sheetfactory import table, write_xlsx

pytestmark = pytest.mark.django_db

PERSONAS = ["admin", "reviewer", "officer", "officer_b", "worker_a", "worker_b"]

A1 = "11010519491231002X"  # 王秀英 of 桃花岭社区 (side a)
B1 = "430104199001010019"  # 李东塘 of 东塘村 (side b)


def id_number(serial: int) -> str:
    """A valid GB 11643 number for a new resident (born 1980-01-01 in 岳麓区)."""
    body = f"43010419800101{serial:03d}"
    total = sum(int(d) * w for d, w in zip(body, [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2],
                                            strict=True))
    return body + "10X98765432"[total % 11]


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"\x00\xff\x00\x00"
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


# Strings that identify each side's objects. A page a persona may open must not hold the
# other side's (a masked ID number is fine: the full one is the marker).
MARKERS = {
    "a": ["王秀英", A1, "桃花岭1栋", "桃花岭2栋101", "桃花岭健康随访表", "卫健待审表",
          "卫健出租房检查", "卫健待审任务", "卫健微信群表格"],
    "b": ["李东塘", B1, "东塘村3组", "东塘村5组", "民政养老服务表", "民政待审表",
          "民政消防检查", "民政待审任务", "民政电话通知表"],
    "x": ["外县市场表", "外县食品检查"],
}


@dataclass
class Scene:
    """The world of conftest plus objects of every kind on both sides (and another county)."""

    users: dict[str, Any]
    obj: dict[str, dict[str, Any]]  # kind -> key (side, unit name or persona) -> object
    tokens: dict[str, str]  # persona -> data-API token
    period: str  # of the admitted requests' tasks
    column: dict[str, str]  # side -> column letter of its task's missing cell
    roster: bytes
    tmp: Path  # for files a test writes
    serial: list[int] = field(default_factory=lambda: [100])
    last_print: dict[str, str] | None = None  # the database after the last refused request

    def new_id(self) -> str:
        self.serial[0] += 1
        return id_number(self.serial[0])


def _user(username: str, role: str, unit: object, **extra: object) -> Any:
    from yibiao.accounts.models import User

    from .conftest import PASSWORD

    account = User(username=username, role=role, org_unit=unit, display_name=username, **extra)
    account.set_password(PASSWORD)
    account.save()
    return account


def _request(officer, tmp_path, title: str, unit, header: str, *, admit_by=None):  # noqa: ANN001, ANN202
    from yibiao.gate.tables import workflow

    path = tmp_path / f"{title}.xlsx"
    write_xlsx(path, [[title], *table(header)])
    made = workflow.submit(officer, path, workflow.NewRequest(
        title=title, department=officer.department.name, basis="《关于做好基层报表工作的通知》（岳政发〔2026〕1号）",
        frequency="monthly", scope_code=unit.code, justifications={"person.id_number": "核对身份"}))
    if admit_by is not None:
        made = workflow.decide(admit_by, made, "admit", mappings_checked=True)
    return made


def _item(officer, title: str, unit, kind: str, subjects: list[str], *, admit_by=None):  # noqa: ANN001, ANN202
    from yibiao.gate.work import workflow

    first = (timezone.localdate().replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    made = workflow.submit(officer, workflow.NewWorkItem(
        kind=kind, title=title, department=officer.department.name,
        basis="《出租房屋治安管理规定》（公安部令第24号）", scope_code=unit.code, start=first,
        end=first + dt.timedelta(days=20), hours_per_community=2, estimate_basis="每户 5 分钟 × 约 24 户",
        subjects=subjects, evidence=[workflow.Evidence("入户照片", "留存检查结果")]))
    if admit_by is not None:
        made = workflow.decide(admit_by, made, "admit")
    return made


def _upload(user, code: str, roster: bytes) -> str:  # noqa: ANN001
    """A roster upload in the user's own browser session; its token."""
    browser = Client()
    browser.force_login(user)
    response = browser.post("/intake/upload/", {
        "org": code, "file": SimpleUploadedFile("花名册.xlsx", roster)})
    assert response.status_code == 302, response.content.decode()[:500]
    return response["Location"].rstrip("/").rsplit("/", 1)[-1]


@pytest.fixture
def scene(world, tmp_path, settings) -> Scene:
    from yibiao.accounts import tokens
    from yibiao.accounts.models import Department, Role
    from yibiao.audit.log import record
    from yibiao.audit.models import Action
    from yibiao.ledger.models import LedgerWrite, Person, Place, Transfer
    from yibiao.ledger.records import PersonInput, set_household_address, write_people
    from yibiao.orgunits.divisions import add_unit
    from yibiao.orgunits.models import Level
    from yibiao.reports.models import ExportJob, Task
    from yibiao.slipped import reports as slipped

    settings.MEDIA_ROOT = tmp_path / "media"
    w = world
    department_b = Department.objects.create(name="区民政局", short_name="民政")
    officer_b = _user("officer_b", Role.OFFICER, w.township_b, department=department_b)
    x_county = OrgUnit.objects.get(code="430105")
    x_township = x_county.children.order_by("code").first()
    x_community = add_unit(x_township.code + "001", "外县社区", Level.COMMUNITY, x_township)
    officer_x = _user("officer_x", Role.OFFICER, x_county,
                      department=Department.objects.create(name="区市场监管局", short_name="市场"))
    users = {p: getattr(w, p, None) for p in PERSONAS} | {"officer_b": officer_b}

    # Residents, households, houses.
    write_people(w.worker_a, w.community_a, [PersonInput(
        {"person.id_number": A1, "person.name": "王秀英", "person.phone": "13812345678"},
        household_number="A-1")])
    write_people(w.worker_b, w.community_b, [PersonInput(
        {"person.id_number": B1, "person.name": "李东塘", "person.phone": "13912345678"},
        household_number="B-1")])
    household_a = set_household_address(w.worker_a, w.community_a, "A-1", "桃花岭1栋")
    household_b = set_household_address(w.worker_b, w.community_b, "B-1", "东塘村3组")
    place_a = Place.objects.create(address="桃花岭2栋101", org_unit=w.community_a)
    place_b = Place.objects.create(address="东塘村5组", org_unit=w.community_b)
    # Transfer requests both ways, keyed by the side of the resident (who decides).
    write_people(w.worker_b, w.community_b, [PersonInput({"person.id_number": A1, "person.name": "王某某"})])
    write_people(w.worker_a, w.community_a, [PersonInput({"person.id_number": B1, "person.name": "李某某"})])

    # Requests: admitted (with tasks) and pending, per department; one in another county.
    header = "| 序号 | 姓名 | 公民身份号码 | 是否接种流感疫苗 |"
    request_a = _request(w.officer, tmp_path, "桃花岭健康随访表", w.township_a, header, admit_by=w.reviewer)
    request_b = _request(officer_b, tmp_path, "民政养老服务表", w.township_b, header, admit_by=w.reviewer)
    pending_a = _request(w.officer, tmp_path, "卫健待审表", w.township_a, header)
    pending_b = _request(officer_b, tmp_path, "民政待审表", w.township_b, header)
    request_x = _request(officer_x, tmp_path, "外县市场表", x_county, header)
    task_a = Task.objects.get(request=request_a, org_unit=w.community_a)
    task_b = Task.objects.get(request=request_b, org_unit=w.community_b)
    assert task_a.cells_missing and task_b.cells_missing, "each task has a cell to type"
    column = {side: next(c["column"] for c in r.columns if c["header"] == "是否接种流感疫苗")
              for side, r in (("a", request_a), ("b", request_b))}

    # Work items: an admitted inspection with an evidence demand and a pending task each.
    item_a = _item(w.officer, "卫健出租房检查", w.township_a, "inspection", ["rental_houses"],
                   admit_by=w.reviewer)
    item_b = _item(officer_b, "民政消防检查", w.township_b, "inspection", ["fire_safety"],
                   admit_by=w.reviewer)
    pitem_a = _item(w.officer, "卫健待审任务", w.township_a, "task", ["elderly_alone"])
    pitem_b = _item(officer_b, "民政待审任务", w.township_b, "task", ["elderly_alone"])
    item_x = _item(officer_x, "外县食品检查", x_county, "inspection", ["shops"])

    # Slipped-past reports: A's converted (its department now sees it), B's new.
    report_a = slipped.report(w.worker_a, department="区卫生健康局", channel="wechat", kind="table",
                              description="卫健微信群表格", attachment=slipped.Attachment("a.png", png()))
    report_a = slipped.resolve(w.reviewer, report_a, "convert")
    report_b = slipped.report(w.worker_b, department="区民政局", channel="phone", kind="table",
                              description="民政电话通知表", attachment=slipped.Attachment("b.png", png()))

    # An export job per persona, finished, with its file.
    jobs = {}
    for persona, request, unit in [
            ("admin", request_a, w.township_a), ("reviewer", request_a, w.county),
            ("officer", request_a, w.township_a), ("officer_b", request_b, w.township_b),
            ("worker_a", request_a, w.community_a), ("worker_b", request_b, w.community_b)]:
        path = tmp_path / f"job-{persona}.xlsx"
        path.write_bytes(b"PK\x03\x04 job file")
        jobs[persona] = ExportJob.objects.create(
            request=request, org_unit=unit, period=task_a.period, requested_by=users[persona],
            status="done", stage="完成", progress=100, file=str(path))

    # Audit entries of each side and of the other county.
    audit = {side: record(w.admin, Action.CHANGE, subject_kind="scope_test", subject_id=side,
                          org_code=unit.code)
             for side, unit in (("a", w.community_a), ("b", w.community_b), ("x", x_community))}

    # Background roster imports (intake.jobs): only the account that asked sees one.
    from yibiao.intake.models import ImportJob

    import_jobs = {persona: ImportJob.objects.create(
        requested_by=users[persona], org_unit=unit, file_name="花名册.xlsx",
        path=str(tmp_path / f"import-{persona}.xlsx"), dry_run=True)
        for persona, unit in (("admin", w.community_a), ("worker_a", w.community_a),
                              ("worker_b", w.community_b))}

    roster_path = write_xlsx(tmp_path / "roster.xlsx", table(f"""
| 姓名   | 公民身份号码       |
| 周新   | {id_number(1)}     |
"""))
    roster = roster_path.read_bytes()
    uploads = {"worker_a": _upload(w.worker_a, w.community_a.code, roster),
               "worker_b": _upload(w.worker_b, w.community_b.code, roster)}

    obj: dict[str, dict[str, Any]] = {
        "person": {"a": Person.objects.get(id_number=A1), "b": Person.objects.get(id_number=B1)},
        "household": {"a": household_a, "b": household_b},
        "place": {"a": place_a, "b": place_b},
        "transfer": {"a": Transfer.objects.get(person__id_number=A1),
                     "b": Transfer.objects.get(person__id_number=B1)},
        # An import or registration of each side, undoable (ledger.undo).
        "write": {side: LedgerWrite.objects.create(
            kind="household", actor=worker, org_unit=unit, org_code=unit.code, label=household.number,
            household=household, valid_from=timezone.localdate(), people=[person.pk])
            for side, worker, unit, household, person in (
                ("a", w.worker_a, w.community_a, household_a, Person.objects.get(id_number=A1)),
                ("b", w.worker_b, w.community_b, household_b, Person.objects.get(id_number=B1)))},
        "request": {"a": request_a, "b": request_b, "x": request_x},
        "pending": {"a": pending_a, "b": pending_b, "x": request_x},
        "task": {"a": task_a, "b": task_b},
        "item": {"a": item_a, "b": item_b, "x": item_x},
        "pitem": {"a": pitem_a, "b": pitem_b, "x": item_x},
        "report": {"a": report_a, "b": report_b},
        "job": jobs,
        "upload": uploads,
        "import": import_jobs,
        "community": {"a": w.community_a, "b": w.community_b, "x": x_community},
        "unit": {"county": w.county, "township_a": w.township_a, "township_b": w.township_b,
                 "community_a": w.community_a, "community_b": w.community_b, "grid_a": w.grid_a,
                 "x_county": x_county, "x_community": x_community},
        "audit": audit,
    }
    return Scene(users=users, obj=obj, period=task_a.period, column=column, roster=roster, tmp=tmp_path,
                 tokens={"officer": tokens.issue(w.admin, w.officer, "卫健随访系统"),
                         "officer_b": tokens.issue(w.admin, officer_b, "民政系统")})


# --- whose is what -----------------------------------------------------------------------

# persona -> (own side, other side): the reviewer's other side is another county; the
# administrator has none.
SIDES = {"admin": ("a", None), "reviewer": ("a", "x"), "officer": ("a", "b"),
         "officer_b": ("b", "a"), "worker_a": ("a", "b"), "worker_b": ("b", "a")}
UNITS = {"admin": ("county", None), "reviewer": ("county", "x_county"),
         "officer": ("township_a", "township_b"), "officer_b": ("township_b", "township_a"),
         "worker_a": ("community_a", "community_b"), "worker_b": ("community_b", "community_a")}
# Export jobs and roster uploads belong to one account (one session): another's is foreign.
FOILS = {"admin": "worker_a", "reviewer": "officer", "officer": "officer_b",
         "officer_b": "officer", "worker_a": "worker_b", "worker_b": "worker_a"}


def keys(persona: str, kind: str) -> tuple[str | None, str | None]:
    if kind == "unit":
        return UNITS[persona]
    if kind in ("job", "upload"):
        return persona, FOILS[persona]
    if kind == "import":  # only workers (and the administrator) import
        return persona, "worker_b" if persona == "worker_a" else "worker_a"
    return SIDES[persona]


# --- the URL table -----------------------------------------------------------------------


@dataclass
class Target:
    """The object a row's URL and POST data are built from."""

    s: Scene
    o: Any  # the object (None for pages without one)
    key: str | None
    own: bool

    def community(self) -> OrgUnit:
        return self.s.obj["community"][self.key]

    def person(self) -> Any:
        return self.s.obj["person"][self.key]


@dataclass(frozen=True)
class Row:
    pattern: str
    kind: str | None  # what the URL is about; None: a page without an object
    path: Callable[[Target], str]
    post: Callable[[Target], dict] | None  # None: an empty POST
    expect: dict[str, str]  # persona -> GET code + POST code on their own object
    token: bool = False  # data API: personas holding a token send it
    posted: bool = False  # the object travels in the POST data only: the other side's is POSTed
    # How a refusal may look besides 401/403/404 (a JSON helper answers inside its body).
    refused_in_body: Callable[[Any], bool] | None = None


def row(pattern: str, kind: str | None, path: str | Callable[[Target], str], codes: str,
        post: Callable[[Target], dict] | None = None, *, token: bool = False,
        posted: bool = False, refused_in_body: Callable[[Any], bool] | None = None) -> Row:
    cells = codes.split()
    assert len(cells) == len(PERSONAS) and all(len(c) == 2 for c in cells), pattern
    builder = path if callable(path) else (lambda t, p=path: p)
    return Row(pattern, kind, builder, post, dict(zip(PERSONAS, cells, strict=True)), token,
               posted, refused_in_body)


def _edit(t: Target) -> dict:
    t.o.refresh_from_db()
    return {"version": t.o.version, "person.name": "改名测试", "person.phone": "13700000000"}


def _register(t: Target) -> dict:
    return {"org_unit": t.o.code, "address": "新登记地址", "number": "", "name_0": "新居民",
            "id_number_0": t.s.new_id(), "relation_0": "01"}


def _cell(t: Target) -> dict:
    return {f"cell|p:{t.person().pk}|{t.s.column[t.key]}": "是"}


def _new_request(t: Target) -> dict:
    if t.own:  # no template: the form comes back with its reason, nothing is stored
        return {"title": "新表"}
    path = write_xlsx(t.s.tmp / "new.xlsx", [["新表"], *table("| 序号 | 姓名 |")])
    return {"title": "越权表", "department": "区卫生健康局", "basis": "《通知》（1号）",
            "frequency": "monthly", "scope": t.o.code,
            "template": SimpleUploadedFile("越权表.xlsx", path.read_bytes())}


def _new_item(t: Target) -> dict:
    if t.own:  # incomplete: the form comes back with every reason, nothing is stored
        return {"title": "新事项", "scope": t.o.code}
    first = timezone.localdate() + dt.timedelta(days=40)
    return {"kind": "task", "title": "越权事项", "department": "区卫生健康局",
            "basis": "《通知》（岳卫发〔2026〕1号）", "scope": t.o.code, "start": first.isoformat(),
            "end": (first + dt.timedelta(days=10)).isoformat(), "hours": "1",
            "estimate_basis": "每户 5 分钟", "subjects": "residents"}


def _data_url(suffix: str) -> Callable[[Target], str]:
    return lambda t: (f"/api/v1/data/requests/{t.o.pk}/{suffix}?org={t.community().code}"
                      f"&period={t.s.period}")


# Codes per persona, on an object of their own side: GET then POST.
#   r / w  allowed: 200 or 302 (a POST may also get 400: a form's own refusal)
#   -      refused: 401, 403 or 404, and the database unchanged
#   .      405: the view does not take that method
#   m      308: an address from before the one gate, sent on to where the page is now
# On an object of the other side every request is refused (or 405), the database unchanged.
ACCESS: list[Row] = [
    #   pattern                     object      path                                    admin reviewer officer officer_b worker_a worker_b
    row("home", None, "/", "rw rw rw rw rw rw"),
    row("login", None, "/login/", "rw rw rw rw rw rw"),
    row("password_change", None, "/password/", "rw rw rw rw rw rw"),  # one's own: an empty form is refused
    row("password_change_done", None, "/password/done/", "r. r. r. r. r. r."),
    row("org_unit", "unit", lambda t: f"/org/{t.o.code}/", "rw rw rw rw rw rw"),
    row("org_search", "unit", lambda t: f"/orgunits/search/?q={t.o.code}", "r. r. r. r. r. r.",
        refused_in_body=lambda r: r.status_code == 200 and r.json()["results"] == []),
    row("ledger:people", None, "/ledger/people/", "rw -- -- -- rw rw"),
    row("ledger:person", "person", lambda t: f"/ledger/people/{t.o.pk}/", "rw -- -- -- rw rw"),
    row("ledger:person_edit", "person", lambda t: f"/ledger/people/{t.o.pk}/edit/",
        "rw -- -- -- rw rw", _edit),
    row("ledger:person_history", "person", lambda t: f"/ledger/people/{t.o.pk}/history/",
        "rw -- -- -- rw rw"),
    row("ledger:person_reveal", "person", lambda t: f"/ledger/people/{t.o.pk}/reveal/",
        ".w .- .- .- .w .w", lambda t: {"element": "person.id_number", "reason": "核实身份"}),
    row("ledger:household_new", "community", "/ledger/households/new/", "rw -- -- -- rw rw", _register, posted=True),
    row("ledger:places", None, "/ledger/places/", "rw -- -- -- rw rw"),
    row("ledger:household", "household", lambda t: f"/ledger/households/{t.o.pk}/", "rw -- -- -- rw rw"),
    row("ledger:transfers", None, "/ledger/transfers/", "rw -- -- -- rw rw"),
    row("ledger:export", "community", "/ledger/export/", "rw -- -- -- rw rw",
        lambda t: {"org": t.o.code}, posted=True),
    row("ledger:writes", None, "/ledger/writes/", "rw -- -- -- rw rw"),
    row("ledger:undo", "write", lambda t: f"/ledger/writes/{t.o.pk}/undo/", ".w .- .- .- .w .w"),
    # Own: the resident's community declines; other: the asking community confirms its own.
    row("ledger:transfer_decide", "transfer", lambda t: f"/ledger/transfers/{t.o.pk}/",
        ".w .- .- .- .w .w", lambda t: {"action": "decline", "reason": "此人仍在本社区居住"}
        if t.own else {"action": "confirm"}),
    row("intake:upload", "community", "/intake/upload/", "rw -- -- -- rw rw",
        lambda t: {"org": t.o.code, "file": SimpleUploadedFile("花名册.xlsx", t.s.roster)},
        posted=True),
    row("intake:job", "import", lambda t: f"/intake/jobs/{t.o.pk}/", "rw -- -- -- rw rw"),
    row("intake:mapping", "upload", lambda t: f"/intake/{t.o}/", "rw -- -- -- rw rw"),
    row("intake:run", "upload", lambda t: f"/intake/{t.o}/run/", ".w .- .- .- .w .w",
        lambda t: {"action": "dry_run"}),
    row("dictionary:elements", None, "/dictionary/", "rw rw rw rw rw rw"),
    row("dictionary:element_new", None, "/dictionary/new/", "rw -- -- -- -- --"),
    row("audit:log", None, "/audit/", "rw rw -- -- -- --"),
    row("audit:locked", None, "/audit/locked/", "rw -- -- -- -- --"),
    row("moved_requests", "request", lambda t: f"/requests/{t.o.pk}/", "mm mm mm mm mm mm"),
    row("moved_workload", "item", lambda t: f"/workload/{t.o.pk}/", "mm mm mm mm mm mm"),
    row("gate:list", None, "/gate/?kind=table", "rw rw rw rw rw rw"),
    row("gate:new_table", "unit", "/gate/new/table/", "rw -- rw rw -- --", _new_request, posted=True),
    row("gate:detail", "request", lambda t: f"/gate/{t.o.pk}/", "rw rw rw rw rw rw"),
    row("gate:detail", "pending", lambda t: f"/gate/{t.o.pk}/", "rw rw rw rw -- --"),
    row("gate:decide", "pending", lambda t: f"/gate/{t.o.pk}/decide/", ".w .w .- .- .- .-",
        lambda t: {"action": "return", "reason": "请补充政策依据"}),
    # Re-analysing rewrites the stored analysis: for those who may change the request.
    row("gate:reanalyse", "request", lambda t: f"/gate/{t.o.pk}/reanalyse/",
        ".w .w .w .w .- .-"),
    row("gate:filter", "pending", lambda t: f"/gate/{t.o.pk}/filter/", ".w .w .w .w .- .-",
        lambda t: {"action": "clear", "reason": "条件有误"}),
    row("gate:optional", "pending", lambda t: f"/gate/{t.o.pk}/optional/", ".w .w .w .w .- .-",
        lambda t: {"optional": ["A"], "reason": "序号可不填"}),
    # Per-column decisions on sensitive data: the request's own department (and the administrator).
    row("gate:decisions", "pending", lambda t: f"/gate/{t.o.pk}/decisions/", ".w .- .w .w .- .-",
        lambda t: {"decision:person.id_number": "masked", "reason": "不再需要完整号码"}),
    # The new-request form's live check: a scope the officer may not see gets no count.
    row("gate:filter_check", "unit", lambda t: f"/gate/filter-check/?scope={t.o.code}&filter=",
        "rw -- rw rw -- --", refused_in_body=lambda response: response.status_code == 200
        and response.json()["count"] is None and not response.json()["ok"]),
    row("gate:catalogue", None, "/gate/catalogue/", "rw rw rw rw rw rw"),
    row("gate:rules", None, "/gate/rules/", "rw rw -- -- -- --",
        lambda t: {"max_frequency": "monthly", "require_basis": "1",
                   "sensitive_needs_justification": "1"}),
    row("gate:catalogue_export", None, "/gate/catalogue.xlsx", "rw rw rw rw rw rw"),
    row("reports:task", "task", lambda t: f"/reports/tasks/{t.o.pk}/", "rw rw rw rw rw rw"),
    row("reports:task_complete", "task", lambda t: f"/reports/tasks/{t.o.pk}/complete/",
        ".w .- .- .- .w .w", _cell),
    row("reports:task_rows", "task", lambda t: f"/reports/tasks/{t.o.pk}/rows/", ".w .- .- .- .w .w", _cell),
    row("reports:task_preview", "task", lambda t: f"/reports/tasks/{t.o.pk}/preview/", "rw rw rw rw rw rw"),
    row("reports:submitted", None, "/reports/tasks/submitted/", "rw rw rw rw rw rw"),
    row("reports:task_submit", "task", lambda t: f"/reports/tasks/{t.o.pk}/submit/", ".w .- .- .- .w .w"),
    row("reports:task_return", "task", lambda t: f"/reports/tasks/{t.o.pk}/return/",
        ".w .w .w .w .- .-", lambda t: {"reason": "数据有误"}),
    row("reports:download", "request", lambda t: (f"/reports/requests/{t.o.pk}/download/"
                                                  f"?org={t.community().code}&period={t.s.period}"),
        "rw rw rw rw rw rw"),
    row("reports:job", "job", lambda t: f"/reports/jobs/{t.o.pk}/", "rw rw rw rw rw rw"),
    row("reports:job_file", "job", lambda t: f"/reports/jobs/{t.o.pk}/file/", "rw rw rw rw rw rw"),
    row("burden:dashboard", "unit", lambda t: f"/burden/?org={t.o.code}", "rw rw rw rw rw rw"),
    row("burden:download", "unit", lambda t: f"/burden/download.csv?org={t.o.code}", "rw rw rw rw rw rw"),
    row("gate:list", None, "/gate/?kind=work", "rw rw rw rw rw rw"),
    row("gate:new_work", "unit", "/gate/new/work/", "rw -- rw rw -- --", _new_item, posted=True),
    row("gate:detail", "item", lambda t: f"/gate/{t.o.pk}/", "rw rw rw rw rw rw"),
    row("gate:detail", "pitem", lambda t: f"/gate/{t.o.pk}/", "rw rw rw rw -- --"),
    row("gate:decide", "pitem", lambda t: f"/gate/{t.o.pk}/decide/", ".w .w .- .- .- .-",
        lambda t: {"action": "return", "reason": "请补充工时测算"}),
    row("gate:resubmit", "item", lambda t: f"/gate/{t.o.pk}/resubmit/", "rw -- rw rw -- --"),
    row("gate:strike", "item", lambda t: f"/gate/{t.o.pk}/strike/{t.o.evidence.get().pk}/",
        ".w .w .- .- .- .-", lambda t: {"reason": "过度留痕"}),
    row("gate:merge", "item", lambda t: f"/gate/{t.o.pk}/merge/", ".w .w .- .- .- .-",
        lambda t: {"other": t.s.obj["pitem"][t.key].pk, "reason": "合并检查"}),
    row("gate:reanalyse", "item", lambda t: f"/gate/{t.o.pk}/reanalyse/", ".w .w .w .w .- .-"),
    row("agenda:home", None, "/calendar/", "rw rw rw rw rw rw"),
    row("agenda:ics", "unit", lambda t: f"/calendar/{t.o.code}.ics", "rw rw rw rw rw rw"),
    row("agenda:month", "unit", lambda t: f"/calendar/{t.o.code}/", "rw rw rw rw rw rw"),
    row("agenda:week", "unit", lambda t: f"/calendar/{t.o.code}/week/",
        "rw rw rw rw rw rw"),
    row("slipped:new", "community", "/slipped/new/", "rw -- -- -- rw rw",
        lambda t: {"department": "区卫生健康局", "channel": "wechat", "kind": "table",
                   "description": "又一张表", "org": t.o.code}, posted=True),
    row("slipped:list", None, "/slipped/", "rw rw rw rw rw rw"),
    row("slipped:detail", "report", lambda t: f"/slipped/{t.o.pk}/", "rw rw rw -- rw rw"),
    row("slipped:file", "report", lambda t: f"/slipped/{t.o.pk}/file", "rw rw -- -- rw rw"),
    row("slipped:resolve", "report", lambda t: f"/slipped/{t.o.pk}/resolve/",
        ".w .w .- .- .- .-", lambda t: {"action": "dismiss", "note": "已经准入"}),
    row("gate:rules", "unit", lambda t: f"/gate/rules/?org={t.o.code}", "rw rw -- -- -- --",
        lambda t: {"org": t.o.code, "ceiling": "20"}),
    row("api:api-root", None, "/api/v1/", "-- -- -- -- -- --"),  # ninja's root: 404 (no docs there)
    row("api:openapi-json", None, "/api/v1/openapi.json", "rw rw rw rw rw rw"),  # ninja: any method
    row("api:openapi-view", None, "/api/v1/docs", "rw rw rw rw rw rw"),
    row("api:me", None, "/api/v1/me", "r. r. r. r. r. r."),
    row("api:org_unit", "unit", lambda t: f"/api/v1/org-units/{t.o.code}", "r. r. r. r. r. r."),
    row("api:org_unit_children", "unit", lambda t: f"/api/v1/org-units/{t.o.code}/children",
        "r. r. r. r. r. r."),
    # The data API takes tokens only (departments' systems): the others get 401.
    row("api:admitted_requests", None, "/api/v1/data/requests", "-. -. r. r. -. -.", token=True),
    row("api:report_rows", "request", _data_url("rows"), "-. -. r. r. -. -.", token=True),
    row("api:report_rows_csv", "request", _data_url("rows.csv"), "-. -. r. r. -. -.", token=True),
    row("logout", None, "/logout/", ".w .w .w .w .w .w"),  # last: the runner logs in again
]

# Not ours to table: Django's admin (its own is_staff permissions, not the scope module's)
# and set_language (i18n: sets a cookie, reaches no data).
NOT_TABLED = {"set_language"}
NOT_TABLED_NAMESPACES = {"admin"}


def url_pattern_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns: list, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace in NOT_TABLED_NAMESPACES:
                    continue
                inner = ":".join(filter(None, [namespace, pattern.namespace]))
                walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern):
                assert pattern.name, f"unnamed URL pattern {pattern.pattern}: name it and add a row"
                names.add(":".join(filter(None, [namespace, pattern.name])))

    walk(get_resolver().url_patterns, "")
    return names - NOT_TABLED


def test_every_url_pattern_has_a_row():
    """A new page without a row in ACCESS fails here: say who may reach it."""
    tabled = {r.pattern for r in ACCESS}
    assert url_pattern_names() - tabled == set(), "URL patterns missing from ACCESS"
    assert tabled - url_pattern_names() == set(), "rows for URL patterns that no longer exist"


# --- the database must not move on a refusal -----------------------------------------------

# Every table a request could write, audit entries aside (each refusal writes one) and the
# sessions and login records the test client and django-axes keep.
FINGERPRINTED = ["ledger.Person", "ledger.Household", "ledger.Place", "ledger.Residence",
                 "ledger.Fact", "ledger.PersonState", "ledger.EditConflict", "ledger.Transfer",
                 "ledger.LedgerWrite",
                 "gate.Demand", "gate.History", "gate.GateRules", "gate.EvidenceDemand",
                 "reports.Task", "reports.TaskValue", "reports.ExportJob", "intake.ImportJob",
                 "slipped.UnadmittedReport", "accounts.Department",
                 "accounts.User", "dictionary.Element", "dictionary.LearnedAlias"]
VOLATILE = {"last_login", "last_used_at"}  # set by logging in and by using a token


def fingerprint() -> dict[str, str]:
    """A hash of each table's rows, read raw (Django's JSON decoding would cost more than the
    requests being checked)."""
    prints = {}
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for label in FINGERPRINTED:
            meta = apps.get_model(label)._meta
            columns = ", ".join(quote(f.column) for f in meta.concrete_fields
                                if f.attname not in VOLATILE)
            cursor.execute(f"SELECT {columns} FROM {quote(meta.db_table)} "  # noqa: S608 - our names
                           f"ORDER BY {quote(meta.pk.column)}")
            prints[label] = hashlib.sha256(repr(cursor.fetchall()).encode()).hexdigest()
    prints["orgunits.OrgUnit"] = repr(OrgUnit.objects.count())
    return prints


# --- running the table -----------------------------------------------------------------------

ALLOWED = {"r": {200, 302}, "w": {200, 302, 400}, "m": {308}}  # m: moved for good (gate/moved.py)
REFUSED = {401, 403, 404}
TEXT = re.compile(r"text/|json|csv|calendar")


def expected(code: str) -> set[int]:
    if code == ".":
        return {405}
    return ALLOWED.get(code, REFUSED)


def body(response: Any) -> str:
    """The response as text to search: pages, JSON, CSV, calendars, and the XML inside xlsx."""
    if getattr(response, "streaming", False):
        # Exhausting it closes the file; the test client's wrapper keeps the database open.
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    if content.startswith(b"PK"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as book:
                return "".join(book.read(name).decode("utf-8", "replace")
                               for name in book.namelist() if name.endswith(".xml"))
        except zipfile.BadZipFile:
            return ""
    if not TEXT.search(response.get("Content-Type", "")):
        return ""
    return content.decode("utf-8", "replace")


def send(client: Client, method: str, url: str, data: dict | None, headers: dict) -> Any:
    if method == "GET":
        return client.get(url, **headers)
    return client.post(url, data or {}, **headers)


def run_row(client: Client, scene: Scene, persona: str, r: Row) -> list[str]:
    """Every request of one row for one persona; what went wrong, as lines."""
    problems = []
    own_key, other_key = keys(persona, r.kind) if r.kind else (None, None)
    targets = [(True, own_key)] + ([(False, other_key)] if r.kind and other_key else [])
    headers = {}
    if r.token and persona in scene.tokens:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {scene.tokens[persona]}"}
    foreign_markers = MARKERS.get(SIDES[persona][1] or "", [])
    for own, key in targets:
        o = scene.obj[r.kind].get(key) if r.kind else None
        if r.kind and o is None:
            continue  # nothing of that kind on that side (e.g. the administrator's own upload)
        target = Target(scene, o, key, own)
        url = r.path(target)
        for method, code in zip(("GET", "POST"), r.expect[persona], strict=True):
            if method == "GET" and r.posted and not own:
                continue  # the same page as the own GET: the other side's unit is POSTed
            allowed = own and code in "rw"
            data = r.post(target) if (method == "POST" and r.post) else None
            # The database as the last refusal left it, unless an allowed request came since.
            before = None if allowed else (scene.last_print or fingerprint())
            scene.last_print = None
            where = f"{r.pattern} [{r.kind or '-'}] {persona} {'own' if own else 'other'} {method} {url}"
            try:
                response = send(client, method, url, data, headers)
            except Exception as error:  # noqa: BLE001 - a 500: report it with the others
                problems.append(f"{where}: raised {type(error).__name__}: {error}")
                continue
            want = expected(code) if own else ({405} if code == "." else REFUSED)
            if (response.status_code not in want and not (
                    want == REFUSED and r.refused_in_body and r.refused_in_body(response))):
                problems.append(f"{where}: {response.status_code}, expected {sorted(want)}")
            text = body(response)
            if response.status_code == 200:
                leaked = [m for m in foreign_markers if m in text]
                if leaked:
                    problems.append(f"{where}: shows the other side's {leaked}")
            if before is not None:
                after = scene.last_print = fingerprint()
                changed = [label for label in before if before[label] != after[label]]
                if changed:
                    problems.append(f"{where}: refused, yet changed {changed}")
            if r.pattern == "logout" and method == "POST":
                client.force_login(scene.users[persona])
    return problems


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_reaches_its_own_and_nothing_else(scene, persona):
    """ACCESS, for one persona: every URL pattern, GET and POST, own object and the other side's."""
    user = scene.users[persona]
    client = Client()
    client.force_login(user)
    if scope.can(user, "edit_ledger") and user.org_unit_id:  # this session's own roster upload
        scene.obj["upload"][persona] = _upload_in(client, user.org_unit.code, scene.roster)
    elif persona in scene.obj["upload"]:
        del scene.obj["upload"][persona]
    problems = [line for r in ACCESS for line in run_row(client, scene, persona, r)]
    assert problems == [], "\n" + "\n".join(problems)


def _upload_in(client: Client, code: str, roster: bytes) -> str:
    response = client.post("/intake/upload/", {"org": code, "file": SimpleUploadedFile("花名册.xlsx", roster)})
    assert response.status_code == 302
    return response["Location"].rstrip("/").rsplit("/", 1)[-1]


def test_anonymous_users_reach_nothing(client, scene):
    """Every tabled page sends an anonymous visitor to the login page (or says 401/405)."""
    problems = []
    for r in ACCESS:
        if r.pattern in ("login", "api:openapi-json", "api:openapi-view"):
            continue  # the login page, and the API's own description, are public
        key = keys("worker_a", r.kind)[0] if r.kind else None
        o = scene.obj[r.kind].get(key) if r.kind else None
        if r.kind == "upload":
            o = scene.obj["upload"]["worker_a"]
        url = r.path(Target(scene, o, key, True))
        for method in ("GET", "POST"):
            response = send(client, method, url, None, {})
            ok = (response.status_code in (401, 403, 404, 405) or (
                response.status_code == 302 and "/login/" in response["Location"]))
            if not ok:
                problems.append(f"{r.pattern} {method} {url}: {response.status_code}")
    assert problems == [], "\n" + "\n".join(problems)


# --- the scope module's answer, model by model ----------------------------------------------

# Which of the scene's objects `scope.permitted(user, Model, verb)` returns, per persona; the
# scene's other objects of that model it must not return. Labels: a, b the two sides (their
# resident, household, house, task, admitted request or inspection; the transfer about
# their resident); pa, pb the pending request or task item; x another county's; for org
# units c the county, ta/tb the townships, g community a's grid, xc the other county.
VISIBLE = """
| model                 | verb   | admin              | reviewer      | officer | officer_b | worker_a | worker_b |
| ledger.person         | view   | a b                |               |         |           | a        | b        |
| ledger.person         | change | a b                |               |         |           | a        | b        |
| ledger.household      | view   | a b                |               |         |           | a        | b        |
| ledger.household      | change | a b                |               |         |           | a        | b        |
| ledger.place          | view   | a b                |               |         |           | a        | b        |
| ledger.place          | change | a b                |               |         |           | a        | b        |
| ledger.transfer       | view   | a b                |               |         |           | a b      | a b      |
| ledger.transfer       | change | a b                |               |         |           | a        | b        |
| ledger.ledgerwrite    | view   | a b                |               |         |           | a        | b        |
| ledger.ledgerwrite    | change | a b                |               |         |           | a        | b        |
| reports.task          | view   | a b                | a b           | a       | b         | a        | b        |
| reports.task          | change | a b                |               |         |           | a        | b        |
| gate.formrequest      | view   | a b pa pb x        | a b pa pb     | a pa    | b pb      | a        | b        |
| gate.formrequest      | change | a b pa pb x        | a b pa pb     | a pa    | b pb      |          |          |
| gate.workitem         | view   | a b pa pb x        | a b pa pb     | a pa    | b pb      | a        | b        |
| gate.workitem         | change | a b pa pb x        | a b pa pb     | a pa    | b pb      |          |          |
| gate.demand           | view   | a b pa pb x ia ib ipa ipb ix | a b pa pb ia ib ipa ipb | a pa ia ipa | b pb ib ipb | a ia | b ib |
| gate.demand           | change | a b pa pb x ia ib ipa ipb ix | a b pa pb ia ib ipa ipb | a pa ia ipa | b pb ib ipb |      |      |
| orgunits.orgunit      | view   | c ta tb a b g x xc | c ta tb a b g | ta a g  | tb b      | a g      | b        |
| orgunits.orgunit      | change | c ta tb a b g x xc |               |         |           | a g      | b        |
| audit.auditentry      | view   | a b x              | a b           |         |           |          |          |
| audit.auditentry      | change |                    |               |         |           |          |          |
"""


def visible_table() -> list[tuple[str, str, dict[str, set[str]]]]:
    lines = [[c.strip() for c in line.strip().strip("|").split("|")]
             for line in VISIBLE.strip().splitlines()]
    header, rows = lines[0], lines[1:]
    assert header[2:] == PERSONAS
    return [(model, verb, {p: set(cell.split()) for p, cell in zip(PERSONAS, cells, strict=True)})
            for model, verb, *cells in rows]


def labelled(scene: Scene) -> dict[str, dict[str, Any]]:
    """model label -> VISIBLE's label -> the scene's object."""
    o, units = scene.obj, scene.obj["unit"]
    tables = {"a": o["request"]["a"], "b": o["request"]["b"], "pa": o["pending"]["a"],
              "pb": o["pending"]["b"], "x": o["request"]["x"]}
    work = {"a": o["item"]["a"], "b": o["item"]["b"], "pa": o["pitem"]["a"], "pb": o["pitem"]["b"],
            "x": o["item"]["x"]}
    sides = {kind: {"a": o[kind]["a"], "b": o[kind]["b"]}
             for kind in ("person", "household", "place", "transfer", "task", "write")}
    return {
        "ledger.person": sides["person"], "ledger.household": sides["household"],
        "ledger.place": sides["place"], "ledger.transfer": sides["transfer"],
        "ledger.ledgerwrite": sides["write"],
        "reports.task": sides["task"],
        "gate.formrequest": tables,
        "gate.workitem": work,
        # Every kind at once: the tables under their labels, the work items prefixed with i.
        "gate.demand": tables | {f"i{label}": item for label, item in work.items()},
        "orgunits.orgunit": {"c": units["county"], "ta": units["township_a"],
                             "tb": units["township_b"], "a": units["community_a"],
                             "b": units["community_b"], "g": units["grid_a"],
                             "x": units["x_community"], "xc": units["x_county"]},
        "audit.auditentry": o["audit"],
    }


def assert_visible_ids(user: Any, model: type, verb: str, *, expected_visible: list[int],
                       expected_hidden: list[int]) -> None:
    """paperless-ngx's assert_visible_document_ids, for any model the scope module knows."""
    ids = set(scope.permitted(user, model, verb).values_list("pk", flat=True))
    missing = set(expected_visible) - ids
    leaked = set(expected_hidden) & ids
    assert not missing, f"{user.username} cannot {verb} {model.__name__} {sorted(missing)}"
    assert not leaked, f"{user.username} may {verb} {model.__name__} {sorted(leaked)}"


def test_the_table_covers_every_model_the_scope_module_knows():
    assert {model for model, _, _ in visible_table()} == set(scope._PERMITTED)
    assert {(m, v) for m, v, _ in visible_table()} == {
        (m, v) for m in scope._PERMITTED for v in (scope.VIEW, scope.CHANGE)}


def test_the_scope_module_permits_each_persona_its_own_objects_only(scene, subtests):
    objects = labelled(scene)
    for model_label, verb, expected in visible_table():
        model = apps.get_model(model_label)
        for persona in PERSONAS:
            visible = expected[persona]
            with subtests.test(model=model_label, verb=verb, persona=persona):
                assert_visible_ids(
                    scene.users[persona], model, verb,
                    expected_visible=[o.pk for label, o in objects[model_label].items() if label in visible],
                    expected_hidden=[o.pk for label, o in objects[model_label].items() if label not in visible])


def test_refusals_are_the_same_whether_the_object_exists_or_not(scene):
    """require_may on another side's object and on a missing one: one message, no hint."""
    person = scene.obj["person"]["a"]
    worker_b = scene.users["worker_b"]
    with pytest.raises(OutOfScope) as foreign:
        scope.require_may(worker_b, scope.CHANGE, person)
    missing = type(person)(pk=10**9)
    with pytest.raises(OutOfScope) as absent:
        scope.require_may(worker_b, scope.CHANGE, missing)
    assert str(foreign.value) == str(absent.value)
    with pytest.raises(OutOfScope) as unit:
        scope.get_visible_org_unit(scene.users["worker_a"], "999999999999")
    assert "无权访问" in str(unit.value)


def test_accounts_without_an_org_unit_see_nothing_and_the_administrator_everything(world):
    world.worker_a.org_unit = None
    assert not scope.visible_org_units(world.worker_a).exists()
    assert scope.visible_org_units(world.admin).count() >= 44703


# --- the attacks of issue 13 -------------------------------------------------------------------


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def ledger_of(person: Any) -> tuple:
    """What must not move: where the resident lives, their name, facts and residences."""
    from yibiao.ledger.models import Fact, Person, Residence

    fresh = Person.objects.get(pk=person.pk)
    facts = sorted(Fact.objects.filter(subject_kind="person", subject_id=person.pk)
                   .values_list("element", "value", "valid_from"))
    spans = sorted(Residence.objects.filter(person=person).values_list("org_code", "valid_from", "valid_to"))
    return fresh.name, fresh.org_unit_id, fresh.household_id, fresh.version, facts, spans


def test_a_task_cell_about_another_communitys_resident_is_refused_naming_the_row(scene):
    """Issue 13, seen 1: B's worker POSTs cell|p:<A's resident>|<column> to B's own task."""
    from yibiao.ledger.models import Transfer

    wang, task_b = scene.obj["person"]["a"], scene.obj["task"]["b"]
    before, db_before = ledger_of(wang), fingerprint()
    transfers = Transfer.objects.count()
    client = logged_in(scene.users["worker_b"])
    key = f"cell|p:{wang.pk}|{scene.column['b']}"
    response = client.post(f"/reports/tasks/{task_b.pk}/complete/", {key: "是"})
    assert response.status_code in (400, 403)
    page = response.content.decode()
    assert "已保存" not in page and f"p:{wang.pk}" in page  # refused, naming the row
    assert ledger_of(wang) == before
    assert Transfer.objects.count() == transfers  # a task is no way to ask for a transfer
    assert fingerprint() == db_before
    # And B still cannot open or reveal her.
    assert client.get(f"/ledger/people/{wang.pk}/").status_code == 403
    assert client.post(f"/ledger/people/{wang.pk}/reveal/",
                       {"element": "person.id_number", "reason": "核实"}).status_code == 403


@pytest.mark.parametrize("kind", ["request", "item"])
def test_workers_cannot_reanalyse_the_requests_and_items_that_reach_them(scene, kind):
    """Issue 13, item 9: re-analysing rewrites the stored analysis; only those who may change
    the request or item may. Worker A sees A's admitted request and inspection, B sees neither."""
    from yibiao.gate.models import FormRequest, WorkItem

    model = {"request": FormRequest, "item": WorkItem}[kind]
    path = {"request": "/gate/{}/reanalyse/", "item": "/gate/{}/reanalyse/"}[kind]
    target = scene.obj[kind]["a"]
    model.objects.filter(pk=target.pk).update(analysis={"planted": True})
    for worker in ("worker_a", "worker_b"):
        response = logged_in(scene.users[worker]).post(path.format(target.pk))
        assert response.status_code == 403, worker
        assert model.objects.get(pk=target.pk).analysis == {"planted": True}
    # The department that asked may.
    assert logged_in(scene.users["officer"]).post(path.format(target.pk)).status_code == 302
    assert model.objects.get(pk=target.pk).analysis != {"planted": True}


def test_editing_a_resident_cannot_switch_whom_the_record_is_about(scene):
    """Worker A's edit of A's resident carrying B's resident's ID number changes neither's ID."""
    wang, li = scene.obj["person"]["a"], scene.obj["person"]["b"]
    li_before = ledger_of(li)
    wang.refresh_from_db()
    response = logged_in(scene.users["worker_a"]).post(f"/ledger/people/{wang.pk}/edit/", {
        "version": wang.version, "person.id_number": B1, "person.name": "王秀英"})
    assert response.status_code in (200, 302, 400)
    wang.refresh_from_db()
    assert wang.id_number == A1
    assert ledger_of(li) == li_before


def test_registering_another_communitys_resident_sends_a_transfer_and_changes_nothing(scene):
    """Issue 13, seen 2: B registers a household with A's resident's ID number."""
    from yibiao.ledger.models import Transfer, TransferStatus

    wang = scene.obj["person"]["a"]
    before = ledger_of(wang)
    Transfer.objects.filter(person=wang).delete()  # the scene's own request for her
    response = logged_in(scene.users["worker_b"]).post("/ledger/households/new/", {
        "org_unit": scene.obj["community"]["b"].code, "address": "东塘村8组", "number": "",
        "name_0": "王改名", "id_number_0": A1, "phone_0": "13900000000", "relation_0": "01"},
        follow=True)
    page = response.content.decode()
    assert response.status_code == 200 and "此人登记在“桃花岭社区”，已发送迁入申请" in page
    assert A1 not in page and "13812345678" not in page  # nothing of her is shown
    assert ledger_of(wang) == before
    sent = Transfer.objects.get(person=wang)
    assert (sent.status, sent.to_unit) == (TransferStatus.PENDING, scene.obj["community"]["b"])


def test_a_household_number_another_community_also_uses_is_b_s_own_and_leaves_a_s_alone(scene):
    """户号 are each community's own numbering: B registering "A-1" gets a household of B's
    (it was refused, naming A's number as taken), and A's "A-1" keeps its address and members."""
    from yibiao.ledger.models import Household, Person

    a_household = Household.objects.get(number="A-1")
    a_members = sorted(Person.objects.filter(household=a_household).values_list("pk", flat=True))
    new_id = scene.new_id()
    response = logged_in(scene.users["worker_b"]).post("/ledger/households/new/", {
        "org_unit": scene.obj["community"]["b"].code, "address": "东塘村8组", "number": "A-1",
        "name_0": "赵新", "id_number_0": new_id, "relation_0": "01"}, follow=True)
    assert response.status_code == 200 and "属于其他社区" not in response.content.decode()
    b_household = Household.objects.get(number="A-1", community_code=scene.obj["community"]["b"].code)
    assert b_household.pk != a_household.pk and b_household.address == "东塘村8组"
    assert Person.objects.get(id_number=new_id).household == b_household
    a_household.refresh_from_db()
    assert a_household.address == "桃花岭1栋"
    assert sorted(Person.objects.filter(household=a_household).values_list("pk", flat=True)) == a_members


def test_importing_another_communitys_resident_sends_a_transfer_and_changes_nothing(scene):
    """The roster import over the web: a foreign ID number is a transfer request, not an update."""
    from yibiao.ledger.models import Transfer

    li = scene.obj["person"]["b"]
    before = ledger_of(li)
    Transfer.objects.filter(person=li).delete()
    roster = write_xlsx(scene.tmp / "foreign.xlsx", table(f"""
| 姓名   | 公民身份号码 |
| 李改名 | {B1}         |
"""))
    client = logged_in(scene.users["worker_a"])
    token = _upload_in(client, scene.obj["community"]["a"].code, roster.read_bytes())
    response = client.post(f"/intake/{token}/run/", {"action": "import"})
    assert response.status_code == 200
    assert "东塘村" in response.content.decode() and B1 not in response.content.decode()
    assert ledger_of(li) == before
    assert Transfer.objects.filter(person=li, to_unit=scene.obj["community"]["a"]).exists()


def test_the_asking_community_cannot_confirm_its_own_transfer_request(scene):
    from yibiao.ledger.models import TransferStatus

    asked_by_b = scene.obj["transfer"]["a"]  # B asked for A's resident
    before = ledger_of(asked_by_b.person)
    response = logged_in(scene.users["worker_b"]).post(f"/ledger/transfers/{asked_by_b.pk}/",
                                                      {"action": "confirm"})
    assert response.status_code == 403
    asked_by_b.refresh_from_db()
    assert asked_by_b.status == TransferStatus.PENDING and ledger_of(asked_by_b.person) == before


@pytest.mark.parametrize(("persona", "path"), [
    # Own request, another community's rows.
    ("worker_a", "/reports/requests/{request_a}/download/?org={community_b}&period={period}"),
    ("officer", "/reports/requests/{request_a}/download/?org={community_b}&period={period}"),
    ("officer", "/api/v1/data/requests/{request_a}/rows?org={community_b}&period={period}"),
    ("officer", "/api/v1/data/requests/{request_a}/rows.csv?org={township_b}&period={period}"),
])
def test_an_own_request_does_not_open_another_units_rows(scene, persona, path):
    o = scene.obj
    url = path.format(request_a=o["request"]["a"].pk, community_b=o["community"]["b"].code,
                      township_b=o["unit"]["township_b"].code, period=scene.period)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {scene.tokens[persona]}"} if "/api/" in url else {}
    response = logged_in(scene.users[persona]).get(url, **headers)
    assert response.status_code == 403
    assert "李东塘" not in body(response)


@pytest.mark.parametrize("attack", ["strike", "merge"])
def test_a_reviewer_cannot_reach_another_countys_item_through_their_own(scene, attack):
    """The evidence demand or merge partner of another county, named on an own item's URL."""
    own, foreign = scene.obj["item"]["a"], scene.obj["item"]["x"]
    before = fingerprint()
    client = logged_in(scene.users["reviewer"])
    if attack == "strike":
        response = client.post(f"/gate/{own.pk}/strike/{foreign.evidence.get().pk}/",
                               {"reason": "过度留痕"})
        assert response.status_code in (302, 400, 403, 404)
    else:
        response = client.post(f"/gate/{own.pk}/merge/", {"other": foreign.pk, "reason": "合并"})
        assert response.status_code == 403
    assert fingerprint() == before
