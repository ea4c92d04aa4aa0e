"""Issue 16's new surfaces attacked with forged posts: the task grid, the preview and submitted
list, the ledger export and cards, undo, the person form's "seen", the picker and homes."""

from __future__ import annotations

import datetime as dt

import pytest

from yibiao.ledger.models import Fact, Person
from yibiao.ledger.records import PersonInput, write_people

from .conftest import PASSWORD
from .test_ledger_undo import id_number
from .test_task_grid import LIU, ZHAO, key_of, sheet_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(world):  # noqa: ANN001, ANN201
    """test_task_grid's: two residents of 桃花岭社区's first grid, neither with a phone."""
    write_people(world.worker_a, world.grid_a, [
        PersonInput({"person.id_number": LIU, "person.name": "刘兵彬"}),
        PersonInput({"person.id_number": ZHAO, "person.name": "赵秀兰"})], valid_from=dt.date(2026, 1, 1))
    return world


def login(client, who):  # noqa: ANN001, ANN201
    client.login(username=who, password=PASSWORD)
    return client


@pytest.mark.parametrize("name", [
    "cell|p:99999999999999999999999|D", "cell|p:0|D", "cell|p:-1|D", "cell|p:1e3|D",
    "cell|o:430104|D", "cell|h:1|D", "cell|p:|D", "cell||D", "cell|p:1", "cell|p:1|",
    "cell|p:1|ZZ", "cell|p:1|D|x", "ver|p:1", "ver|", "ver", "cell", "|||",
])
def test_probe_forged_names(client, ledger, tmp_path, name):
    task = sheet_task(ledger, tmp_path)
    login(client, "worker_a")
    facts = Fact.objects.count()
    for path in ("rows/", "complete/"):
        response = client.post(f"/reports/tasks/{task.pk}/{path}", {name: "13812345678"}, HTTP_HX_REQUEST="true")
        assert response.status_code < 500
    assert Fact.objects.count() == facts


HOSTILE = {
    "formula": "=cmd|' /C calc'!A0",
    "plus": "+1+1", "at": "@SUM(A1)", "tab": "\t=1+1",
    "ctrl": "无\x07\x1b\x0b备注", "rtl": "备注\u202e321", "nul": "a\x00b",
    "zwsp": "\u200b", "surrogate": "\ud800",
    "fullwidth_phone": "１３８１２３４５６７８",
    "long": "长" * 5000, "newline": "一行\r\n两行",
}


@pytest.mark.parametrize("which", list(HOSTILE))
def test_probe_hostile_values_round_trip(client, ledger, tmp_path, which):
    """Typed into 备注 (I, text) and 联系电话 (D): stored or refused, never a 500; the
    preview, the department's file and the ledger export still open."""
    task = sheet_task(ledger, tmp_path)
    liu = key_of(LIU)
    login(client, "worker_a")
    value = HOSTILE[which]
    for column in ("I", "D"):
        try:
            response = client.post(f"/reports/tasks/{task.pk}/rows/", {f"cell|{liu}|{column}": value,
                                                                        f"ver|{liu}": str(Person.objects.get(id_number=LIU).version)},
                                   HTTP_HX_REQUEST="true")
        except UnicodeEncodeError:
            continue  # the test client cannot even send a lone surrogate
        assert response.status_code < 500
    for url in (f"/reports/tasks/{task.pk}/", f"/reports/tasks/{task.pk}/preview/",
                f"/reports/requests/{task.request.pk}/download/?org={task.org_code}&period={task.period}",
                f"/ledger/people/{Person.objects.get(id_number=LIU).pk}/",
                f"/ledger/people/{Person.objects.get(id_number=LIU).pk}/edit/",
                f"/ledger/people/{Person.objects.get(id_number=LIU).pk}/history/"):
        response = client.get(url)
        assert response.status_code < 500, url
    response = client.post("/ledger/export/", {"org": ledger.community_a.code})
    assert response.status_code == 200
    if response.get("Content-Type", "").startswith("application/vnd"):
        import io

        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(response.content))
        for row in book.active.iter_rows(values_only=True):
            for cell in row:
                assert not (isinstance(cell, str) and cell[:1] in "=+-@"), cell


OTHER = id_number("43010419450101001")


def _residents(world):  # noqa: ANN001, ANN202
    write_people(world.worker_b, world.community_b, [PersonInput({
        "person.id_number": OTHER, "person.name": "东塘人", "person.phone": "13700000000"})],
        valid_from=dt.date(2026, 1, 1))
    return Person.objects.get(id_number=OTHER)


@pytest.mark.parametrize(("who", "data", "status"), [
    ("worker_b", {"org": "430104001001"}, 403),  # 桃花岭社区, community A
    ("worker_b", {"org": "桃花岭社区"}, 403),
    ("worker_b", {"org": "桃花岭社区（430104001001）"}, 403),
    ("worker_a", {"org": "430104"}, 403),  # the county above
    ("worker_a", {"org": "430104001"}, 403),  # the township above
    ("worker_a", {"org": "430104002002"}, 403),  # 东塘村
    ("worker_a", {"org": "x" * 10000}, 403),
    ("reviewer", {"org": "430104001001"}, 403),
    ("officer", {"org": "430104001001", "full": "1", "reason": "核对名单"}, 403),
    ("worker_a", {"org": "430104001001", "full": "1", "reason": " "}, 400),  # unmasked needs a reason
    ("worker_a", {"org": "430104001001", "as_of": "9999-99-99"}, 200),  # an unreadable date: today
    ("worker_a", {"org": "  "}, 200),  # a cleared picker: one's own unit
    ("admin", {"org": ""}, 400),  # a nationwide account with nothing picked: asked to choose
])
def test_the_ledger_export_refuses_other_units_and_roles_and_audits_only_files(client, ledger, who, data, status):
    """导出台账 forged: another community's code, name or picker text, a unit above one's
    own, a role without the ledger, an unmasked export without a reason. Refused with nothing
    exported or audited as an export; a file holds no full ID number unless asked with a reason."""
    from yibiao.audit.models import Action, AuditEntry

    other = _residents(ledger)
    login(client, who)
    response = client.post("/ledger/export/", data)
    assert response.status_code == status
    assert other.id_number.encode() not in response.content and LIU.encode() not in response.content
    exports = AuditEntry.objects.filter(action=Action.EXPORT)
    if status == 200:
        assert response["Content-Type"].startswith("application/vnd")
        assert [(e.actor, e.detail["unmasked"]) for e in exports] == [(ledger.worker_a, False)]
    else:
        assert not exports.exists()


@pytest.mark.parametrize(("seen", "version"), [
    ("0", "0"), ("-1", "0"), ("abc", "0"), ("99999999999999999999", "0"), ("0", "99999999999999999999"),
    ("0", "-5"), ("1e3", "x"), ("", "")])
def test_a_forged_seen_or_version_on_the_person_form_is_refused_or_a_conflict_never_a_500(
        client, ledger, seen, version):
    """The person form's hidden "seen" only ever reads the history of the person already in
    scope (people.changed_since); a forged one is a 400 or a conflict, nothing written."""
    liu = Person.objects.get(id_number=LIU)
    login(client, "worker_a")
    response = client.post(f"/ledger/people/{liu.pk}/edit/", {"seen": seen, "version": version,
                                                               "person.work_unit": "伪造单位"})
    assert response.status_code in (200, 400)
    assert not Fact.objects.filter(element="person.work_unit").exists()


def test_another_communitys_cards_calendar_picker_and_undo_are_out_of_reach(client, ledger):
    from yibiao.ledger.models import LedgerWrite

    other = _residents(ledger)
    login(client, "worker_b")
    client.post("/ledger/households/new/", {"org_unit": ledger.community_b.code, "address": "东塘路1号",
                                            "number": "H-B-1", "name_0": "东塘新人",
                                            "id_number_0": id_number("43010419600101002")})
    write = LedgerWrite.objects.get()
    login(client, "worker_a")
    refused = [f"/ledger/people/{other.pk}/", f"/ledger/people/{other.pk}/history/",
               f"/ledger/people/{other.pk}/edit/", f"/ledger/households/{write.household_id}/",
               f"/calendar/{ledger.community_b.code}/", f"/calendar/{ledger.community_b.code}.ics",
               f"/calendar/{ledger.community_b.code}/week/", f"/org/{ledger.community_b.code}/"]
    for url in refused:
        response = client.get(url)
        assert response.status_code == 403, url
        assert "东塘" not in response.content.decode(), url
    for query in (ledger.community_b.code, "东塘", "dt", "东" * 5000 + "&levels=x,y,,community",
                  "&field=__class__"):
        response = client.get(f"/orgunits/search/?q={query}")
        assert response.status_code == 200 and "东塘" not in response.content.decode()
    assert client.post(f"/ledger/writes/{write.pk}/undo/").status_code == 403
    assert f"/ledger/writes/{write.pk}/undo/" not in client.get("/ledger/writes/").content.decode()
    write.refresh_from_db()
    assert write.undone_at is None


@pytest.mark.parametrize("who", ["officer", "reviewer", "officer2", "worker_b"])
def test_other_roles_read_a_task_as_their_role_allows_and_change_none_of_it(client, ledger, tmp_path, who):
    """The requesting department's officer and a reviewer may read a task (its rows are the
    file they receive); another department's officer and another community's worker may not;
    none of them saves a cell."""
    from yibiao.accounts.models import Department, Role, User

    task = sheet_task(ledger, tmp_path)
    stranger = User(username="officer2", role=Role.OFFICER, org_unit=ledger.county,
                    department=Department.objects.create(name="区民政局", short_name="民政"))
    stranger.set_password(PASSWORD)
    stranger.save()
    login(client, who)
    reads = who in ("officer", "reviewer")
    for url in (f"/reports/tasks/{task.pk}/", f"/reports/tasks/{task.pk}/preview/"):
        response = client.get(url)
        assert response.status_code == (200 if reads else 403)
        assert ("刘兵彬" in response.content.decode()) is reads
    assert "老年人关爱表" not in client.get("/reports/tasks/submitted/").content.decode()
    response = client.post(f"/reports/tasks/{task.pk}/rows/", {f"cell|{key_of(ZHAO)}|D": "13812345678"})
    assert response.status_code == 403
    assert not Fact.objects.filter(element="person.phone").exists()


def test_printing_a_household_card_is_audited_as_a_read_of_its_members(client, ledger):
    """The household card (names, sex, age, masked ID numbers, the address; printed as a 户卡)
    was read without an audit entry while the person card is audited."""
    from yibiao.audit.models import Action, AuditEntry
    from yibiao.ledger.models import Household

    login(client, "worker_a")
    client.post("/ledger/households/new/", {"org_unit": ledger.grid_a.code, "address": "枫林路12号",
                                            "number": "H-0001", "name_0": "李建国", "id_number_0": OTHER})
    household = Household.objects.get(number="H-0001")
    assert client.get(f"/ledger/households/{household.pk}/").status_code == 200
    entry = AuditEntry.objects.get(action=Action.VIEW_PERSON, subject_kind="household")
    assert (entry.actor, entry.subject_id, entry.org_code) == (
        ledger.worker_a, str(household.pk), household.org_unit.code)


@pytest.mark.parametrize("who", ["worker_a", "officer", "reviewer"])
def test_the_preview_of_a_list_is_audited_as_a_read_of_the_residents(client, ledger, tmp_path, who):
    """The preview is the table the department receives (names, values; numbers masked on
    the screen): its download is audited, the preview was not, for the worker nor for the
    department's officer and the reviewer who may open it."""
    from yibiao.audit.models import Action, AuditEntry

    task = sheet_task(ledger, tmp_path)
    login(client, who)
    assert client.get(f"/reports/tasks/{task.pk}/preview/").status_code == 200
    entry = AuditEntry.objects.get(action=Action.VIEW_PERSON, subject_kind="task")
    assert (entry.actor.username, entry.subject_id, entry.org_code) == (who, str(task.pk), task.org_code)
    assert entry.detail["rows"] == 2


def test_the_task_page_read_by_the_department_or_a_reviewer_is_audited(client, ledger, tmp_path):
    """A worker's task page is their daily list (not audited, as the people list is not);
    the department's officer or a reviewer reading a community's residents on it is."""
    from yibiao.audit.models import Action, AuditEntry

    task = sheet_task(ledger, tmp_path)
    login(client, "worker_a")
    client.get(f"/reports/tasks/{task.pk}/")
    assert not AuditEntry.objects.filter(action=Action.VIEW_PERSON).exists()
    login(client, "officer")
    assert client.get(f"/reports/tasks/{task.pk}/").status_code == 200
    entry = AuditEntry.objects.get(action=Action.VIEW_PERSON, subject_kind="task")
    assert (entry.actor, entry.subject_id) == (ledger.officer, str(task.pk))
