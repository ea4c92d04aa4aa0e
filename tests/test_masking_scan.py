"""Masking follows the data: no page, export or API response shows a full ID number or mobile
to a role that did not reveal it — certificate numbers built on the ID, contact phones
typed into a text field and remarks included.

The scan loads a small demo county (its disabled residents carry 残疾人证号 = ID number + 2
digits, their emergency contacts phones), adds a guardian typed as "name + mobile" and a
remark with a mobile, then requests as every demo persona every ledger page (list and
search, card, history, edit form, household, houses), the task pages, the ledger export
(CSV and xlsx), the department-template download and the data API (JSON and CSV), and
scans each answer with its own regular expressions (stdnum checks the ID's check digit).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from stdnum.cn import ric

from yibiao.accounts import tokens
from yibiao.accounts.models import User
from yibiao.audit.models import Action, AuditEntry
from yibiao.demo.load import load_demo
from yibiao.gate.models import FormRequest
from yibiao.ledger.models import Person
from yibiao.ledger.records import PersonInput, write_people
from yibiao.ledger.snapshot import latest_facts
from yibiao.reports.models import Task

pytestmark = pytest.mark.django_db

ID_WINDOW = re.compile(r"(?=([0-9]{17}[0-9Xx]))")  # every 18-character window, overlapping
MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
GUARDIAN_PHONE, REMARK_PHONE = "13912345678", "13787654321"


def full_numbers(text: str) -> set[str]:
    """Every full ID number (valid check digit and birth date) and 11-digit mobile in `text`."""
    ids = {m.group(1).upper() for m in ID_WINDOW.finditer(text) if ric.is_valid(m.group(1).upper())}
    return ids | set(MOBILE.findall(text))


@pytest.mark.parametrize(("text", "found"), [
    ("残疾人证号：43010419800101123X12", set()),  # check digit wrong: not an ID number
    ("11010519491231002X", {"11010519491231002X"}),
    ("证号 11010519491231002X12 电话13912345678。", {"11010519491231002X", "13912345678"}),
    ("110105********002X12 139****5678", set()),
    ("4301040010010001 139123456789", set()),  # a household number; 12 digits is no mobile
])
def test_the_scanner_finds_what_it_must(text, found):
    assert full_numbers(text) == found


@pytest.fixture
def county():
    """A small demo county; one resident of worker1's community gets a guardian typed with a
    phone and a remark with a mobile, another a certificate number, each in a text field."""
    load_demo(seed=7, households=120)
    worker1 = User.objects.get(username="worker1")
    own = list(Person.objects.filter(org_unit__code__startswith=worker1.org_unit.code)
               .select_related("org_unit").order_by("pk")[:2])
    for person, values in zip(own, [
            {"person.emergency_contact": f"李娟 {GUARDIAN_PHONE}",
             "person.remarks": f"女儿电话{REMARK_PHONE}，周末在家"},
            {"person.disability_cert_no": own[1].id_number + "12", "person.disability_category": "1",
             "person.disability_grade": "2"}], strict=True):
        write_people(worker1, person.org_unit, [PersonInput({"person.id_number": person.id_number,
                                                             **values})])
    # A department's justification at admission is its reveal; none here, so none is shown.
    FormRequest.objects.update(justifications={})
    return worker1, own


def interesting(people) -> list[Person]:
    """Residents whose card holds a personal number outside the ID column, plus a few others."""
    people = list(people)
    facts = latest_facts("person", [p.pk for p in people], dt.date.max,
                         ["person.phone", "person.emergency_phone", "person.emergency_contact",
                          "person.disability_cert_no", "person.remarks"])
    carrying = [p for p in people if facts.get(p.pk)]
    return sorted(set(carrying[:25] + people[:3]), key=lambda p: p.pk)


def pages_for(user: User) -> list[str]:
    from yibiao.accounts import scope

    urls = ["/", "/ledger/people/", "/ledger/places/", "/ledger/places/?rental=1",
            "/ledger/households/new/", "/ledger/transfers/", "/audit/", "/gate/?kind=table",
            "/gate/catalogue/", "/gate/?kind=work"]
    if not scope.can(user, "view_ledger"):
        return urls
    visible = scope.visible_people(user).order_by("pk")
    pages = (visible.count() + 29) // 30
    urls += [f"/ledger/people/?page={n}" for n in range(2, pages + 1)]
    sample = visible.first()
    urls += [f"/ledger/people/?q={q}" for q in ("王", "w", sample.id_number[-4:], sample.id_number[-8:])]
    for person in interesting(visible):
        urls += [f"/ledger/people/{person.pk}/", f"/ledger/people/{person.pk}/history/",
                 f"/ledger/people/{person.pk}/edit/"]
        if person.household_id:
            urls.append(f"/ledger/households/{person.household_id}/")
    for task in Task.objects.filter(org_unit__code__startswith=user.org_unit.code if user.org_unit else "")[:5]:
        urls.append(f"/reports/tasks/{task.pk}/")
    return urls


def xlsx_text(data: bytes | Path) -> str:
    book = load_workbook(io.BytesIO(data) if isinstance(data, bytes) else data, read_only=True)
    return "\n".join(str(v) for sheet in book.worksheets
                     for row in sheet.iter_rows(values_only=True) for v in row if v is not None)


def test_no_role_sees_a_full_id_number_or_mobile_anywhere(client, county, tmp_path):
    from yibiao.cli import main

    worker1, own = county
    leaks: list[tuple[str, str, set[str]]] = []
    scanned = delivered = 0

    def scan(who: str, where: str, text: str) -> None:
        nonlocal scanned
        scanned += 1
        if found := full_numbers(text):
            leaks.append((who, where, found))

    for user in User.objects.filter(username__in=["admin", "reviewer", "officer", "worker1", "worker2"]):
        client.force_login(user)
        for url in pages_for(user):
            response = client.get(url)
            assert response.status_code in (200, 302, 403, 404), (user.username, url)
            scan(user.username, url, response.content.decode())
        # The ledger export, both formats, as the command line writes it.
        unit = user.org_unit.code if user.org_unit else worker1.org_unit.code
        for suffix in ("csv", "xlsx"):
            out = tmp_path / f"{user.username}.{suffix}"
            try:
                code = main(["ledger", "export", "--org", unit, "-o", str(out), "--user", user.username])
            except SystemExit as refused:  # roles without the ledger are refused
                code = refused.code
            if code == 0:
                text = out.read_text(encoding="utf-8-sig") if suffix == "csv" else xlsx_text(out)
                scan(user.username, f"ledger export .{suffix}", text)

    # What departments receive: the template download and the data API, JSON and CSV, each
    # request pulled by an officer of its own department.
    admin = User.objects.get(username="admin")
    for request in FormRequest.objects.filter(status="admitted").select_related("department", "scope"):
        task = Task.objects.filter(request=request).select_related("org_unit").order_by("-period").first()
        if task is None:
            continue
        officer, _ = User.objects.get_or_create(
            username=f"officer-{request.department_id}",
            defaults={"role": "officer", "department": request.department, "org_unit": request.scope})
        key = tokens.issue(admin, officer, "扫描")
        client.force_login(officer)
        params = {"org": task.org_unit.code, "period": task.period}
        url = f"/api/v1/data/requests/{request.pk}/rows"
        for suffix in ("", ".csv"):
            response = client.get(url + suffix, params, HTTP_AUTHORIZATION=f"Bearer {key}")
            if response.status_code == 200:
                delivered += 1
                scan(officer.username, url + suffix, response.content.decode("utf-8-sig"))
        download = client.get(f"/reports/requests/{request.pk}/download/", params)
        if download.status_code == 200:
            delivered += 1
            scan(officer.username, f"download {request.title}",
                 xlsx_text(b"".join(download.streaming_content)))

    client.force_login(admin)  # the audit log, after all of the above was recorded in it
    scan("admin", "/audit/", client.get("/audit/").content.decode())
    assert scanned > 200 and delivered >= 3 * 6  # JSON, CSV and the template of every request
    assert not leaks, leaks[:10]


def test_the_card_shows_masked_values_and_offers_a_reveal_for_them(client, county):
    worker1, (guarded, certified) = county
    client.force_login(worker1)
    card = client.get(f"/ledger/people/{guarded.pk}/").content.decode()
    assert "李娟 139****5678" in card and "女儿电话137****4321，周末在家" in card
    assert 'value="person.emergency_contact"' in card and 'value="person.remarks"' in card
    card = client.get(f"/ledger/people/{certified.pk}/").content.decode()
    masked = certified.id_number[:6] + "********" + certified.id_number[-4:] + "12"
    assert masked in card and 'value="person.disability_cert_no"' in card


@pytest.mark.parametrize(("element", "which"), [
    ("person.disability_cert_no", 1), ("person.emergency_contact", 0), ("person.remarks", 0)])
def test_a_reveal_shows_the_full_value_and_is_audited(client, county, element, which):
    worker1, own = county
    person = own[which]
    client.force_login(worker1)
    shown = client.post(f"/ledger/people/{person.pk}/reveal/", {"element": element, "reason": "入户核实"})
    assert shown.status_code == 200
    full = {"person.disability_cert_no": person.id_number + "12",
            "person.emergency_contact": f"李娟 {GUARDIAN_PHONE}",
            "person.remarks": f"女儿电话{REMARK_PHONE}，周末在家"}[element]
    assert full in shown.content.decode()
    entry = AuditEntry.objects.get(action=Action.REVEAL, subject_id=str(person.pk))
    assert entry.reason == "入户核实" and entry.detail["element"] == element


def test_a_value_without_a_personal_number_is_not_revealable(client, county):
    worker1, (guarded, _) = county
    client.force_login(worker1)
    refused = client.post(f"/ledger/people/{guarded.pk}/reveal/",
                          {"element": "person.name", "reason": "入户核实"})
    assert refused.status_code == 400 and "不是需要遮蔽的信息" in refused.content.decode()
    assert not AuditEntry.objects.filter(action=Action.REVEAL).exists()


def test_saving_the_edit_form_unchanged_keeps_the_full_values(client, county):
    """The form never holds the full numbers; sent back empty, or with the mask pasted in,
    the stored values stay as they were — never overwritten with asterisks."""
    worker1, (guarded, certified) = county
    client.force_login(worker1)
    for person in (guarded, certified):
        before = latest_facts("person", [person.pk], dt.date.max)[person.pk]
        form = client.get(f"/ledger/people/{person.pk}/edit/").content.decode()
        assert not full_numbers(form)
        assert AuditEntry.objects.filter(action=Action.VIEW_PERSON, subject_id=str(person.pk),
                                         reason="打开修改表单").exists()  # opening it is a read
        fields = dict(re.findall(r'name="(person\.[a-z_]+)"\s+value="([^"]*)"', form))
        fields.update({name: "" for name in re.findall(r'<select id="[^"]+" name="(person\.[a-z_]+)"', form)})
        posted = {**fields, "version": re.search(r'name="version" value="(\d+)"', form).group(1)}
        if person == certified:  # a client that sends the mask back
            posted["person.disability_cert_no"] = re.search(
                r'name="person.disability_cert_no"[^>]*placeholder="([^"（]*)', form).group(1)
        response = client.post(f"/ledger/people/{person.pk}/edit/", posted)
        assert response.status_code == 302, response.content.decode()[:500]
        after = latest_facts("person", [person.pk], dt.date.max)[person.pk]
        assert after == before


def test_history_and_the_command_line_mask_inside_values(client, county, capsys):
    import json

    from yibiao.cli import main

    worker1, (guarded, certified) = county
    client.force_login(worker1)
    history = client.get(f"/ledger/people/{guarded.pk}/history/").content.decode()
    assert "李娟 139****5678" in history and GUARDIAN_PHONE not in history
    assert main(["person", "show", certified.id_number, "--json", "--user", "worker1"]) == 0
    values = json.loads(capsys.readouterr().out)["values"]
    assert values["person.disability_cert_no"].endswith("12") and "********" in values["person.disability_cert_no"]
    assert not full_numbers(json.dumps(values))
