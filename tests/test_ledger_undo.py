"""Undo an import or a new household within a day (issue 16, item 8): a reversing entry in
history, never a delete. The ledger as of now is as before, the history shows both; only
the user who did it or someone who may change that unit, within 24 hours; audited; the web
and the command line."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from django.utils import timezone

from tests.sheetfactory import table, write_xlsx
from yibiao.audit.models import Action, AuditEntry
from yibiao.cli import main
from yibiao.intake.importer import import_ledger
from yibiao.ledger.models import Fact, Household, LedgerWrite, Person, Residence, Source, Transfer
from yibiao.ledger.records import LedgerError, PersonInput, write_people
from yibiao.ledger.snapshot import people_as_of
from yibiao.ledger.undo import undo_write
from yibiao.values.ids import check_digit

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def id_number(body: str) -> str:
    return body + check_digit(body)


WANG = "11010519491231002X"  # lives in community A before the import
LI = id_number("43010419530506001")  # new with the import
ZHANG = id_number("43010419470815002")  # lives in community B: a transfer request
DAY = dt.date(2026, 3, 1)


def roster() -> list[list[object]]:
    return table(f"""
| 姓名   | 公民身份号码 | 联系电话    | 工作单位   |
| 王秀英 | {WANG}       | 13900000000 | 新单位     |
| 李建国 | {LI}         | 13912345678 | 岳麓区环卫所 |
| 张桂兰 | {ZHANG}      | 13712345678 |            |
""")


def as_of_now(code: str) -> dict[int, dict[str, str]]:
    """The ledger of a unit today, empty values left out (a reversed value is empty)."""
    return {row.person_id: {e: v for e, v in row.values.items() if v not in (None, "")}
            for row in people_as_of(code, timezone.localdate())}


@pytest.fixture
def before(world):
    write_people(world.worker_a, world.grid_a, [PersonInput({
        "person.id_number": WANG, "person.name": "王秀英", "person.phone": "13812345678",
        "person.work_unit": "老单位"})], valid_from=DAY)
    write_people(world.worker_b, world.community_b, [PersonInput({
        "person.id_number": ZHANG, "person.name": "张桂兰"})], valid_from=DAY)
    return as_of_now(world.community_a.code)


@pytest.fixture
def imported(world, before, tmp_path: Path):
    path = write_xlsx(tmp_path / "花名册.xlsx", roster())
    result = import_ledger(world.worker_a, path, world.community_a)
    assert result.ok and (result.created, result.updated, len(result.transfers)) == (1, 1, 1)
    assert result.write_id is not None
    return LedgerWrite.objects.get(pk=result.write_id)


def test_undoing_an_import_restores_the_ledger_as_of_now_and_keeps_history(world, before, imported):
    code = world.community_a.code
    assert as_of_now(code) != before
    written = Fact.objects.filter(write_id=imported.pk).count()
    done = undo_write(world.worker_a, imported.pk)
    assert as_of_now(code) == before
    assert done.residences_ended == 1 and done.transfers_withdrawn == 1 and done.kept == 0
    # History keeps both: the import's facts are all still there, each with a reversal.
    assert Fact.objects.filter(write_id=imported.pk).exclude(source=Source.UNDO).count() == written
    assert Fact.objects.filter(write_id=imported.pk, source=Source.UNDO).count() == written
    li = Person.objects.get(id_number=LI)
    assert li.org_unit is None and li.household is None  # lives nowhere: no list shows him
    assert Residence.objects.filter(person=li).count() == 1  # kept, ended where it began
    assert Transfer.objects.get().status == "withdrawn"
    wang = Person.objects.get(id_number=WANG)
    assert wang.state.values["person.work_unit"] == "老单位"
    entry = AuditEntry.objects.get(action=Action.CHANGE, subject_kind="ledger_write")
    assert (entry.actor, entry.detail["undo"], entry.org_code) == (world.worker_a, imported.pk, code)
    imported.refresh_from_db()
    assert imported.undone_at is not None and imported.undone_by == world.worker_a


def test_the_history_page_shows_the_import_and_its_reversal(client, world, imported):
    undo_write(world.worker_a, imported.pk)
    assert client.login(username="worker_a", password=PASSWORD)
    wang = Person.objects.get(id_number=WANG)
    history = client.get(f"/ledger/people/{wang.pk}/history/").content.decode()
    assert "新单位" in history and "老单位" in history and "撤销" in history and "导入" in history
    assert "李建国" not in client.get("/ledger/people/").content.decode()
    imported_only = Person.objects.get(id_number=LI)  # no longer listed, but its history stays
    assert imported_only.org_unit is None and Fact.objects.filter(subject_id=imported_only.pk).count() == 6


def test_a_value_changed_after_the_import_is_kept(world, imported):
    wang = Person.objects.get(id_number=WANG)
    write_people(world.worker_a, world.grid_a, [PersonInput({
        "person.id_number": WANG, "person.work_unit": "后来改的单位"})])
    done = undo_write(world.worker_a, imported.pk)
    assert done.kept == 1
    wang.state.refresh_from_db()
    assert wang.state.values["person.work_unit"] == "后来改的单位"
    assert wang.state.values["person.phone"] == "13812345678"  # the import's phone is undone


def test_refused_after_a_day_twice_and_for_another_community(world, imported):
    later = imported.at + dt.timedelta(hours=24, minutes=1)
    with pytest.raises(LedgerError) as refused:
        undo_write(world.worker_a, imported.pk, now=later)
    assert refused.value.code == "undo_expired" and "24 小时" in str(refused.value)
    from yibiao.accounts.scope import OutOfScope

    with pytest.raises(OutOfScope):
        undo_write(world.worker_b, imported.pk)  # another community's import
    with pytest.raises(OutOfScope):
        undo_write(world.worker_b, 999_999)  # the same refusal whether it exists or not
    undo_write(world.worker_a, imported.pk, now=imported.at + dt.timedelta(hours=23))
    with pytest.raises(LedgerError) as again:
        undo_write(world.worker_a, imported.pk)
    assert again.value.code == "undo_already"
    assert AuditEntry.objects.filter(subject_kind="ledger_write").count() == 1


def test_someone_else_who_keeps_the_unit_may_undo_it(world, imported):
    from yibiao.accounts.models import Role, User

    colleague = User.objects.create(username="colleague", role=Role.WORKER, org_unit=world.community_a)
    assert undo_write(colleague, imported.pk).write.undone_by == colleague


def test_undoing_a_new_household_on_the_web(client, world):
    assert client.login(username="worker_a", password=PASSWORD)
    response = client.post("/ledger/households/new/", {
        "org_unit": world.grid_a.code, "address": "枫林路12号", "number": "H-0001",
        "name_0": "李建国", "id_number_0": LI, "relation_0": "02"})
    household = Household.objects.get(number="H-0001")
    page = client.get(response["Location"]).content.decode()
    write = LedgerWrite.objects.get(household=household)
    assert f'action="/ledger/writes/{write.pk}/undo/"' in page

    # Another community's worker: refused, nothing changes.
    other = type(client)()
    assert other.login(username="worker_b", password=PASSWORD)
    assert other.post(f"/ledger/writes/{write.pk}/undo/").status_code == 403
    assert f"/ledger/writes/{write.pk}/undo/" not in other.get("/ledger/writes/").content.decode()
    assert household.current_members.count() == 1

    done = client.post(f"/ledger/writes/{write.pk}/undo/", follow=True)
    assert "已撤销" in done.content.decode()
    assert household.current_members.count() == 0
    assert not as_of_now(world.community_a.code)
    household.refresh_from_db()
    assert household.address == ""
    page = client.get(f"/ledger/households/{household.pk}/").content.decode()
    assert "已于" in page and "撤销" in page and "/undo/" not in page
    # Pressed again: a coded refusal back on the list, not a second reversal.
    reversed_facts = Fact.objects.filter(source=Source.UNDO, write_id=write.pk).count()
    assert reversed_facts == Fact.objects.filter(write_id=write.pk).exclude(source=Source.UNDO).count()
    again = client.post(f"/ledger/writes/{write.pk}/undo/", follow=True).content.decode()
    assert "已于" in again
    assert Fact.objects.filter(source=Source.UNDO, write_id=write.pk).count() == reversed_facts


def test_a_web_undo_after_a_day_is_refused_with_its_message(client, world, imported):
    LedgerWrite.objects.filter(pk=imported.pk).update(at=timezone.now() - dt.timedelta(hours=25))
    assert client.login(username="worker_a", password=PASSWORD)
    page = client.post(f"/ledger/writes/{imported.pk}/undo/", follow=True).content.decode()
    assert "只能撤销 24 小时内的导入或登记" in page
    assert not Fact.objects.filter(source=Source.UNDO).exists()


def test_the_command_line_lists_and_undoes(world, imported, capsys):
    assert main(["ledger", "writes", "--json", "--user", "worker_a"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(w["id"], w["undoable"]) for w in listed] == [(imported.pk, True)]
    assert main(["ledger", "undo", str(imported.pk), "--user", "worker_b"]) == 2
    assert "无权撤销" in capsys.readouterr().err
    assert main(["ledger", "undo", str(imported.pk), "--json", "--user", "worker_a"]) == 0
    assert json.loads(capsys.readouterr().out)["transfers_withdrawn"] == 1
    assert main(["ledger", "undo", str(imported.pk), "--user", "worker_a"]) == 2
    assert "已于" in capsys.readouterr().err


def test_a_value_the_importer_changed_since_is_not_said_changed_by_someone_else(client, world, imported):
    """The worker who imported corrected a value, then undid the import: the message said
    the value was 已被他人修改 (changed by someone else), which was the worker themself."""
    write_people(world.worker_a, world.grid_a, [PersonInput({
        "person.id_number": WANG, "person.work_unit": "后来改的单位"})])
    assert client.login(username="worker_a", password=PASSWORD)
    page = client.post(f"/ledger/writes/{imported.pk}/undo/", follow=True).content.decode()
    assert "其中 1 项在此之后又被修改过，保留了修改后的值。" in page and "他人" not in page


def test_someone_an_undone_import_brought_in_stays_with_that_community(world, imported):
    """李建国 lives nowhere after the undo, but his history holds what community A typed:
    community B writing his ID number asks A, as for any resident, and does not take him."""
    from yibiao.ledger import transfers

    undo_write(world.worker_a, imported.pk)
    li = Person.objects.get(id_number=LI)
    assert li.org_unit_id is None
    result = write_people(world.worker_b, world.community_b, [PersonInput({
        "person.id_number": LI, "person.name": "李建国", "person.phone": "13600000000"})],
        valid_from=timezone.localdate())
    assert (result.created, result.updated, len(result.transfers)) == (0, 0, 1)
    assert not Fact.objects.filter(subject_id=li.pk, org_code__startswith=world.community_b.code).exists()
    assert not Residence.objects.filter(person=li, org_code__startswith=world.community_b.code).exists()
    # Community A (where he was last) confirms: then he lives in B, with B's values.
    request = Transfer.objects.get(person=li, status="pending")
    assert request.from_code == world.grid_a.code or request.from_code.startswith(world.community_a.code)
    transfers.confirm(world.worker_a, request.pk)
    li.refresh_from_db()
    assert li.org_unit.code.startswith(world.community_b.code)
    assert as_of_now(world.community_b.code)[li.pk]["person.phone"] == "13600000000"
    # with B's name too: the undo left his name '' and confirming kept "the name A knows"
    assert as_of_now(world.community_b.code)[li.pk]["person.name"] == "李建国"


def test_the_community_that_undid_may_register_him_again_itself(world, imported):
    undo_write(world.worker_a, imported.pk)
    result = write_people(world.worker_a, world.grid_a, [PersonInput({
        "person.id_number": LI, "person.name": "李建国"})], valid_from=DAY)
    # 新增, not 更新: he lived nowhere since the undo (a clerk read "updated 11,545" as nothing added)
    assert (result.created, result.updated, len(result.transfers)) == (1, 0, 0)
    assert Person.objects.get(id_number=LI).org_unit_id == world.grid_a.pk


def test_a_re_import_that_changed_nothing_offers_no_undo(client, world, imported, tmp_path, capsys):
    again = import_ledger(world.worker_a, write_xlsx(tmp_path / "again.xlsx", roster()), world.community_a)
    assert again.ok and (again.created, again.updated) == (0, 0) and again.write_id is not None
    assert [t.code for t in again.transfers] == ["transfer_requested"]  # the one already waiting
    assert main(["ledger", "writes", "--json", "--user", "worker_a"]) == 0
    listed = {w["id"]: w["undoable"] for w in json.loads(capsys.readouterr().out)}
    assert listed == {imported.pk: True, again.write_id: False}
    assert client.login(username="worker_a", password=PASSWORD)
    page = client.get("/ledger/writes/").content.decode()
    assert "没有改动，无需撤销" in page and "已超过 24 小时" not in page  # it is minutes old
    # Asked anyway, it says there is nothing to undo; the waiting request is the first import's.
    assert main(["ledger", "undo", str(again.write_id), "--user", "worker_a"]) == 2
    assert "无需撤销" in capsys.readouterr().err
    assert Transfer.objects.get(pk__in=imported.transfers).status == "pending"


def test_undoing_two_imports_newest_first_gets_back_to_before_both(world, before, tmp_path):
    def roster_of(phone: str, household: str) -> Path:
        return write_xlsx(tmp_path / f"{phone}{household}.xlsx", table(f"""
| 户号        | 姓名   | 公民身份号码 | 联系电话 | 工作单位 |
| {household} | 李建国 | {LI}         | {phone}  | 环卫所   |
| H-WANG      | 王秀英 | {WANG}       | 13900000000 | 新单位 |
"""))

    first = import_ledger(world.worker_a, roster_of("13912345678", "H-LI"), world.community_a)
    second = import_ledger(world.worker_a, roster_of("13800138000", "H-LI2"), world.community_a)
    assert first.ok and second.ok and second.updated == 1
    undo_write(world.worker_a, second.write_id)
    assert undo_write(world.worker_a, first.write_id).kept == 0
    assert as_of_now(world.community_a.code) == before  # 李建国 gone, 王秀英 as she was
    li = Person.objects.get(id_number=LI)
    assert li.org_unit_id is None and not Residence.objects.filter(person=li, valid_to__isnull=True).exists()
    latest = {f.element: f.value for f in Fact.objects.filter(subject_id=li.pk).order_by("valid_from", "id")}
    assert latest["person.phone"] == "" and latest["person.work_unit"] == ""


def _zhang_roster(tmp_path: Path, phone: str) -> Path:
    return write_xlsx(tmp_path / f"zhang-{phone}.xlsx", table(f"""
| 姓名   | 公民身份号码 | 联系电话 |
| 张桂兰 | {ZHANG}      | {phone}  |
"""))


def test_undoing_a_re_import_puts_back_what_it_asked_again_in_a_waiting_request(client, world, before,
                                                                                tmp_path, capsys):
    """The second import asks community B again with another phone: the waiting request is
    updated, not sent twice. Undoing that import put nothing back: B was left asked for a
    phone that A had taken back. Now the request holds the first import's values again,
    still waiting; undoing the first withdraws it."""
    first = import_ledger(world.worker_a, _zhang_roster(tmp_path, "13712345678"), world.community_a)
    second = import_ledger(world.worker_a, _zhang_roster(tmp_path, "13600000000"), world.community_a)
    request = Transfer.objects.get(status="pending")
    assert request.values["person.phone"] == "13600000000" and "已按本次内容更新" in second.transfers[0].message
    write = LedgerWrite.objects.get(pk=second.write_id)
    assert [r["transfer"] for r in write.resent] == [request.pk]
    assert main(["ledger", "writes", "--json", "--user", "worker_a"]) == 0
    assert {w["id"]: w["undoable"] for w in json.loads(capsys.readouterr().out)}[second.write_id]

    assert main(["ledger", "undo", str(second.write_id), "--user", "worker_a", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["transfers_restored"] == 1
    request.refresh_from_db()
    assert (request.status, request.values["person.phone"]) == ("pending", "13712345678")
    assert "zhang-13712345678.xlsx" in request.origin
    assert AuditEntry.objects.filter(subject_kind="transfer", subject_id=str(request.pk),
                                     detail__step="undo").exists()
    assert client.login(username="worker_a", password=PASSWORD)
    page = client.post(f"/ledger/writes/{first.write_id}/undo/", follow=True).content.decode()
    assert "撤回了 1 项迁入申请" in page
    request.refresh_from_db()
    assert request.status == "withdrawn"


def test_a_re_sent_request_decided_or_asked_again_since_is_left_as_it_stands(world, before, tmp_path):
    import_ledger(world.worker_a, _zhang_roster(tmp_path, "13712345678"), world.community_a)
    second = import_ledger(world.worker_a, _zhang_roster(tmp_path, "13600000000"), world.community_a)
    third = import_ledger(world.worker_a, _zhang_roster(tmp_path, "13500000000"), world.community_a)
    done = undo_write(world.worker_a, second.write_id)  # the third asked again since: it stands
    assert (done.transfers_restored, done.kept) == (0, 1)
    request = Transfer.objects.get(status="pending")
    assert request.values["person.phone"] == "13500000000"
    from yibiao.ledger import transfers

    transfers.confirm(world.worker_b, request.pk)
    done = undo_write(world.worker_a, third.write_id)  # B has moved her: the decision stands
    assert (done.transfers_restored, done.kept) == (0, 1)
    request.refresh_from_db()
    assert request.status == "confirmed" and request.values["person.phone"] == "13500000000"


def test_asking_again_with_the_same_values_is_no_change_to_undo(world, before, tmp_path):
    import_ledger(world.worker_a, _zhang_roster(tmp_path, "13712345678"), world.community_a)
    again = import_ledger(world.worker_a, write_xlsx(tmp_path / "copy.xlsx", table(f"""
| 姓名   | 公民身份号码 | 联系电话    |
| 张桂兰 | {ZHANG}      | 13712345678 |
""")), world.community_a)
    assert "已按本次内容更新" in again.transfers[0].message
    assert LedgerWrite.objects.get(pk=again.write_id).resent == []


def test_undoing_re_sends_out_of_order_gets_back_to_what_still_stands(world, before, tmp_path):
    """d1 sends, d2 and d3 ask again. Undo d2 (d3's values stand: kept), then d3: the request
    holds d1's values, not d2's, which was undone (found by this session's new user)."""
    d1 = import_ledger(world.worker_a, _zhang_roster(tmp_path, "13700000001"), world.community_a)
    d2 = import_ledger(world.worker_a, _zhang_roster(tmp_path, "13700000002"), world.community_a)
    d3 = import_ledger(world.worker_a, _zhang_roster(tmp_path, "13700000003"), world.community_a)
    assert undo_write(world.worker_a, d2.write_id).kept == 1
    assert undo_write(world.worker_a, d3.write_id).transfers_restored == 1
    request = Transfer.objects.get()
    assert (request.status, request.values["person.phone"]) == ("pending", "13700000001")
    assert "zhang-13700000001.xlsx" in request.origin
    assert undo_write(world.worker_a, d1.write_id).transfers_withdrawn == 1


def test_undoing_the_import_that_sent_a_request_leaves_it_while_a_later_one_still_asks(world, before, tmp_path):
    a1 = import_ledger(world.worker_a, _zhang_roster(tmp_path, "13700000001"), world.community_a)
    a2 = import_ledger(world.worker_a, _zhang_roster(tmp_path, "13700000002"), world.community_a)
    done = undo_write(world.worker_a, a1.write_id)
    assert (done.transfers_withdrawn, done.kept) == (0, 1)
    request = Transfer.objects.get()
    assert (request.status, request.values["person.phone"]) == ("pending", "13700000002")
    # a2 undone too: neither asks any more, the request is withdrawn
    assert undo_write(world.worker_a, a2.write_id).transfers_withdrawn == 1
    request.refresh_from_db()
    assert request.status == "withdrawn" and request.values["person.phone"] == "13700000002"


def test_an_undo_done_in_english_keeps_its_note_in_chinese(world, before, tmp_path):
    from django.utils import translation

    a1 = import_ledger(world.worker_a, _zhang_roster(tmp_path, "13700000001"), world.community_a)
    with translation.override("en"):
        undo_write(world.worker_a, a1.write_id)
    assert Transfer.objects.get().reason == "撤销导入台账“zhang-13700000001.xlsx”"


def test_a_request_asked_again_unchanged_by_a_later_write_is_not_put_back(world, before, tmp_path):
    """W2 asks 0002, W3 asks 0002 again (nothing changed, so nothing to put back for it):
    undoing W2 left the request holding 0001 although W3 still asked 0002 (attacker)."""
    import_ledger(world.worker_a, _zhang_roster(tmp_path, "13700000001"), world.community_a)
    w2 = import_ledger(world.worker_a, _zhang_roster(tmp_path, "13700000002"), world.community_a)
    w3 = import_ledger(world.worker_a, write_xlsx(tmp_path / "again.xlsx", table(f"""
| 姓名   | 公民身份号码 | 联系电话    |
| 张桂兰 | {ZHANG}      | 13700000002 |
""")), world.community_a)
    assert [a["transfer"] for a in LedgerWrite.objects.get(pk=w3.write_id).asked] == [Transfer.objects.get().pk]
    done = undo_write(world.worker_a, w2.write_id)
    assert (done.transfers_restored, done.kept) == (0, 1)
    assert Transfer.objects.get().values["person.phone"] == "13700000002"


def test_a_colleagues_later_request_stays_and_undo_puts_back_who_asked(world, before, tmp_path):
    """A colleague of the same community asks again: undoing the first import leaves the
    request (the colleague still asks); undoing the colleague's puts back the first asker."""
    from yibiao.accounts.models import Role, User

    colleague = User.objects.create(username="worker_a2", role=Role.WORKER, org_unit=world.community_a)
    first = import_ledger(world.worker_a, _zhang_roster(tmp_path, "13700000001"), world.community_a)
    second = import_ledger(colleague, _zhang_roster(tmp_path, "13700000002"), world.community_a)
    assert Transfer.objects.get().requested_by == colleague
    assert undo_write(world.worker_a, first.write_id).transfers_withdrawn == 0
    request = Transfer.objects.get()
    assert (request.status, request.values["person.phone"]) == ("pending", "13700000002")
    assert undo_write(colleague, second.write_id).transfers_withdrawn == 1  # nobody asks any more


def test_undoing_a_colleagues_re_send_puts_back_the_first_asker(world, before, tmp_path):
    from yibiao.accounts.models import Role, User

    colleague = User.objects.create(username="worker_a2", role=Role.WORKER, org_unit=world.community_a)
    import_ledger(world.worker_a, _zhang_roster(tmp_path, "13700000001"), world.community_a)
    second = import_ledger(colleague, _zhang_roster(tmp_path, "13700000002"), world.community_a)
    assert undo_write(colleague, second.write_id).transfers_restored == 1
    request = Transfer.objects.get()
    assert (request.requested_by, request.values["person.phone"]) == (world.worker_a, "13700000001")


def test_the_undo_and_writes_commands_speak_english_when_asked(world, imported, capsys, monkeypatch):
    monkeypatch.setenv("YIBIAO_LANGUAGE", "en")
    assert main(["ledger", "writes", "--user", "worker_a"]) == 0
    assert "can be undone (by worker_a)" in capsys.readouterr().out
    assert main(["ledger", "undo", str(imported.pk), "--user", "worker_a"]) == 0
    said = capsys.readouterr().out
    assert said.startswith(f"Undid #{imported.pk}") and "1 transfer requests withdrawn." in said


def _phones(tmp_path: Path, world, *asks: tuple[object, str]) -> list[int]:
    """Each (worker, phone) an import asking for 张桂兰 with that phone, and registering a new
    neighbour (so that each can be undone, even one asking her unchanged): their write ids."""
    return [import_ledger(worker, write_xlsx(tmp_path / f"w{i}-{phone}.xlsx", table(f"""
| 姓名   | 公民身份号码 | 联系电话 |
| 张桂兰 | {ZHANG}      | {phone}  |
| 邻居{i} | {id_number(f"43010419600101{i:03d}")} | 13900000000 |
""")), world.community_a).write_id for i, (worker, phone) in enumerate(asks)]


@pytest.mark.parametrize(("phones", "undone", "status", "phone"), [
    # S1: sent, asked again unchanged; both undone: nothing asks any more
    (["01", "01"], [0, 1], "withdrawn", None),
    # S2: 01, 02, 02 again; undo the re-send then the unchanged ask: W1 still asks 01
    (["01", "02", "02"], [1, 2], "pending", "01"),
    # S3: 01, 01 again, 02; undo the sender then the re-send: W2 still asks 01
    (["01", "01", "02"], [0, 2], "pending", "01"),
    # undo everything newest first, and oldest first
    (["01", "02", "03"], [2, 1, 0], "withdrawn", None),
    (["01", "02", "03"], [0, 1, 2], "withdrawn", None),
    # the middle ones only
    (["01", "02", "03", "02"], [1, 2], "pending", "02"),
    (["01", "02", "03", "02"], [3, 2], "pending", "02"),
])
def test_a_request_holds_what_the_writes_still_standing_ask(world, before, tmp_path, phones, undone, status, phone):
    """Found by this session's attacker: requests pending with values no standing write
    asked, or withdrawn while one still asked."""
    writes = _phones(tmp_path, world, *((world.worker_a, f"137000000{p}") for p in phones))
    for i in undone:
        undo_write(world.worker_a, writes[i])
    request = Transfer.objects.get()
    assert request.status == status
    if phone is not None:
        assert request.values["person.phone"] == f"137000000{phone}"
        standing = max(i for i in range(len(phones)) if i not in undone)
        assert request.origin.startswith(f"导入「w{standing}-")  # the standing write's own


def test_undoing_a_colleagues_unchanged_ask_puts_back_who_asked(world, before, tmp_path):
    from yibiao.accounts.models import Role, User

    colleague = User.objects.create(username="worker_a2", role=Role.WORKER, org_unit=world.community_a)
    _w1, w2 = _phones(tmp_path, world, (world.worker_a, "13700000001"), (colleague, "13700000001"))
    assert Transfer.objects.get().requested_by == colleague
    undo_write(colleague, w2)
    assert Transfer.objects.get().requested_by == world.worker_a


def test_a_colleague_asking_again_unchanged_can_undo_it_and_the_first_asker_is_back(world, before, tmp_path):
    """It changed who asks (and was refused as 无需撤销, the request left in their name)."""
    from yibiao.accounts.models import Role, User

    colleague = User.objects.create(username="worker_a2", role=Role.WORKER, org_unit=world.community_a)
    import_ledger(world.worker_a, _zhang_roster(tmp_path, "13700000001"), world.community_a)
    again = import_ledger(colleague, write_xlsx(tmp_path / "colleague.xlsx", table(f"""
| 姓名   | 公民身份号码 | 联系电话    |
| 张桂兰 | {ZHANG}      | 13700000001 |
""")), world.community_a)
    assert Transfer.objects.get().requested_by == colleague
    assert undo_write(colleague, again.write_id).transfers_restored == 1
    assert Transfer.objects.get().requested_by == world.worker_a
