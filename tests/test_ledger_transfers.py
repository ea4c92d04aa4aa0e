"""No resident changes community without consent: 迁入申请 on every write path.

Worker A keeps 桃花岭社区 (community_a), worker B keeps 东塘村 (community_b). B registering,
importing or completing a task with A's resident's ID number never moves, renames or
rewrites that resident: the row becomes a transfer request A confirms or declines.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client, override_settings

from tests.sheetfactory import table, write_xlsx
from yibiao.accounts import scope
from yibiao.accounts.models import Role, User
from yibiao.audit.models import Action, AuditEntry
from yibiao.intake.importer import import_ledger
from yibiao.ledger import transfers
from yibiao.ledger.models import Fact, Person, Residence, Transfer, TransferStatus
from yibiao.ledger.records import PersonInput, write_people

pytestmark = pytest.mark.django_db

WANG = "11010519491231002X"
LI = "110105198001010016"
ZHAO = "110105201001010010"
NOV = dt.date(2026, 11, 1)


def person(row=None, household=None, **values):
    return PersonInput({f"person.{k}": v for k, v in values.items()}, row=row,
                       household_number=household)


@pytest.fixture
def wang(world):
    """A's resident 王秀英, with a phone and a household."""
    write_people(world.worker_a, world.community_a,
                 [person(id_number=WANG, name="王秀英", phone="13812345678", household="A-1")],
                 valid_from=NOV)
    return Person.objects.get(id_number=WANG)


def unchanged(wang: Person, world) -> None:
    wang.refresh_from_db()
    assert (wang.name, wang.org_unit_id) == ("王秀英", world.community_a.pk)
    facts = dict(Fact.objects.filter(subject_id=wang.pk).values_list("element", "value"))
    assert facts == {"person.name": "王秀英", "person.phone": "13812345678"}
    assert Residence.objects.filter(person=wang).count() == 1


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_registering_another_communitys_resident_sends_a_request_and_changes_nothing(world, wang):
    client = login(world.worker_b)
    response = client.post("/ledger/households/new/", {
        "org_unit": world.community_b.code, "address": "东塘村3组", "number": "",
        "name_0": "王某某", "id_number_0": WANG.lower(), "phone_0": "13900000000", "relation_0": "01",
        "name_1": "赵小", "id_number_1": ZHAO, "relation_1": "20",
    }, follow=True)
    page = response.content.decode()
    assert "此人登记在“桃花岭社区”，已发送迁入申请" in page
    assert "已登记 1 人" in page  # 赵小, new, is registered
    unchanged(wang, world)
    request = Transfer.objects.get()
    assert (request.status, request.from_unit, request.to_unit) == (
        TransferStatus.PENDING, world.community_a, world.community_b)
    assert request.origin == "入户登记 第 1 位成员"
    assert request.values["person.name"] == "王某某"
    # B still cannot open A's resident (no takeover, no reveal).
    assert client.get(f"/ledger/people/{wang.pk}/").status_code == 403
    assert client.post(f"/ledger/people/{wang.pk}/reveal/",
                       {"element": "person.id_number", "reason": "核实"}).status_code == 403


def test_an_import_with_foreign_id_numbers_reports_transfers_not_updates(world, wang, tmp_path):
    path = write_xlsx(tmp_path / "花名册.xlsx", table(f"""
| 姓名   | 公民身份号码 | 联系电话    |
| 王改名 | {WANG}       | 13700000000 |
| 李建国 | {LI}         | 13912345678 |
"""))
    result = import_ledger(world.worker_b, path, world.community_b)
    assert (result.created, result.updated, result.rejected, len(result.transfers)) == (1, 0, 0, 1)
    assert result.transfers[0].row == 2
    assert "桃花岭社区" in result.transfers[0].message
    assert result.as_dict()["transfer_requests"] == 1
    unchanged(wang, world)
    assert Transfer.objects.get().origin == "导入「花名册.xlsx」 第 2 行"


def test_a_dry_run_sends_nothing(world, wang):
    result = write_people(world.worker_b, world.community_b, [person(id_number=WANG, name="王某")],
                          dry_run=True)
    assert len(result.transfers) == 1
    assert "正式导入时将向其所在社区发送" in result.transfers[0].message_zh  # nothing was sent
    assert not Transfer.objects.exists()


def test_asking_twice_updates_the_waiting_request_and_says_so(world, wang):
    first = write_people(world.worker_b, world.community_b, [person(id_number=WANG, name="王某")])
    again = write_people(world.worker_b, world.community_b, [person(id_number=WANG, name="王某某")])
    assert first.transfers[0].transfer_id == again.transfers[0].transfer_id
    assert "已有待对方确认的迁入申请" in again.transfers[0].message_zh
    assert Transfer.objects.get().values["person.name"] == "王某某"


def test_grids_are_named_with_their_community(world):
    write_people(world.worker_a, world.grid_a, [person(id_number=WANG, name="王秀英")])
    write_people(world.worker_b, world.community_b, [person(id_number=WANG, name="王某")])
    [line] = transfers.lines(transfers.incoming(world.worker_a))
    assert line.from_name == "桃花岭社区第一网格"


def test_the_residents_community_confirms_and_the_person_moves_with_history(world, wang):
    sent = write_people(world.worker_b, world.community_b,
                        [person(id_number=WANG, name="王秀英", phone="13900000000", household="B-7")],
                        valid_from=dt.date(2026, 12, 1))
    transfer_id = sent.transfers[0].transfer_id
    # Only the resident's side decides; the asking side cannot confirm its own request.
    with pytest.raises(scope.OutOfScope):
        transfers.confirm(world.worker_b, transfer_id)
    transfers.confirm(world.worker_a, transfer_id)
    wang.refresh_from_db()
    assert wang.org_unit == world.community_b and wang.household.number == "B-7"
    spans = list(Residence.objects.filter(person=wang).order_by("valid_from")
                 .values_list("org_code", "valid_to"))
    assert spans == [(world.community_a.code, dt.date(2026, 12, 1)), (world.community_b.code, None)]
    assert Fact.objects.filter(subject_id=wang.pk, element="person.phone",
                               value="13900000000").exists()
    assert Transfer.objects.get().status == TransferStatus.CONFIRMED
    # Now B keeps her and A no longer does.
    assert scope.may(world.worker_b, scope.CHANGE, wang)
    assert not scope.may(world.worker_a, scope.CHANGE, wang)
    with pytest.raises(transfers.TransferError):
        transfers.confirm(world.worker_a, transfer_id)


def test_declining_needs_a_reason_and_leaves_the_resident_where_they_are(world, wang):
    sent = write_people(world.worker_b, world.community_b, [person(id_number=WANG, name="王某")])
    transfer_id = sent.transfers[0].transfer_id
    with pytest.raises(transfers.TransferError):
        transfers.decline(world.worker_a, transfer_id, "")
    transfers.decline(world.worker_a, transfer_id, "仍在本社区居住")
    unchanged(wang, world)
    outgoing = transfers.lines(transfers.outgoing(world.worker_b))
    assert [(t.status, t.reason) for t in outgoing] == [("declined", "仍在本社区居住")]


def test_the_asking_community_may_withdraw_and_a_third_community_sees_nothing(world, wang):
    sent = write_people(world.worker_b, world.community_b, [person(id_number=WANG, name="王某")])
    transfer_id = sent.transfers[0].transfer_id
    outsider = User.objects.create(username="c", role=Role.WORKER, org_unit=world.grid_a)
    assert not transfers.incoming(outsider).exists() and not transfers.outgoing(outsider).exists()
    with pytest.raises(scope.OutOfScope):
        transfers.withdraw(world.worker_a, transfer_id)  # not A's request to withdraw
    transfers.withdraw(world.worker_b, transfer_id)
    assert Transfer.objects.get().status == TransferStatus.WITHDRAWN


def test_township_staff_move_directly_only_where_the_county_allows_it(world):
    from yibiao.orgunits.divisions import add_unit
    from yibiao.orgunits.models import Level

    other = add_unit(world.township_a.code + "002", "银杉社区", Level.COMMUNITY, world.township_a)
    township_worker = User.objects.create(username="t", role=Role.WORKER, org_unit=world.township_a)
    write_people(world.worker_a, world.community_a, [person(id_number=WANG, name="王秀英")])
    asked = write_people(township_worker, other, [person(id_number=WANG)])
    assert len(asked.transfers) == 1 and Person.objects.get().org_unit == world.community_a
    with override_settings(YIBIAO_DIRECT_MOVES=["township"]):
        moved = write_people(township_worker, other, [person(id_number=WANG)])
    assert moved.updated == 1 and Person.objects.get().org_unit == other
    # The township decides its communities' incoming requests too.
    assert transfers.incoming(township_worker).count() == 1


def test_task_cells_and_edits_refuse_rather_than_request(world, wang):
    result = write_people(world.worker_b, world.community_b, [person(row=4, id_number=WANG, phone="13900000000")],
                          on_foreign="refuse")
    assert [(p.row, p.code) for p in result.rejected] == [(4, "not_in_unit")]
    assert "桃花岭" not in result.rejected[0].message_zh  # says nothing of where she lives
    unchanged(wang, world)


def test_the_web_page_lists_and_decides_requests(world, wang):
    write_people(world.worker_b, world.community_b, [person(id_number=WANG, name="王某")])
    transfer = Transfer.objects.get()
    page_b = login(world.worker_b).get("/ledger/transfers/").content.decode()
    assert "王某" in page_b and "桃花岭社区" in page_b and WANG not in page_b
    client_a = login(world.worker_a)
    assert "有 1 项迁入申请等待本社区确认" in client_a.get("/").content.decode()
    page_a = client_a.get("/ledger/transfers/").content.decode()
    assert "确认迁出" in page_a and WANG not in page_a
    # Confirming asks the worker to say they checked: a bare click moves nobody.
    client_a.post(f"/ledger/transfers/{transfer.pk}/", {"action": "confirm"})
    assert Transfer.objects.get().status == TransferStatus.PENDING
    # B posting a confirmation of its own request is refused.
    assert login(world.worker_b).post(f"/ledger/transfers/{transfer.pk}/",
                                      {"action": "confirm"}).status_code == 403
    client_a.post(f"/ledger/transfers/{transfer.pk}/", {"action": "decline", "reason": "仍在本社区"})
    assert Transfer.objects.get().status == TransferStatus.DECLINED
    assert "已结束 1 项（确认、拒绝，或对方撤回）" in client_a.get("/ledger/transfers/").content.decode()
    assert "等待本社区确认" not in client_a.get("/").content.decode()


def test_the_cli_lists_and_confirms(world, wang, capsys):
    from yibiao.cli import main

    write_people(world.worker_b, world.community_b, [person(id_number=WANG, name="王某")])
    transfer = Transfer.objects.get()
    assert main(["ledger", "transfers", "--json", "--user", "worker_a"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [t["id"] for t in listed["incoming"]] == [transfer.pk] and listed["outgoing"] == []
    assert WANG not in json.dumps(listed)
    assert main(["ledger", "transfer", str(transfer.pk), "confirm", "--user", "worker_b"]) != 0
    denied = AuditEntry.objects.get(action=Action.DENIED)  # the refusal is audited as on the web
    assert (denied.actor, denied.subject_id) == (world.worker_b, "ledger_transfer")
    assert main(["ledger", "transfer", str(transfer.pk), "confirm", "--user", "worker_a"]) == 0
    assert Person.objects.get(pk=wang.pk).org_unit == world.community_b


def test_a_dry_run_names_no_community_but_is_audited_and_counted(world, wang):
    from yibiao.audit.models import AuditEntry

    result = write_people(world.worker_b, world.community_b, [person(row=2, id_number=WANG, name="王某")],
                          dry_run=True)
    assert "桃花岭" not in result.transfers[0].message_zh
    entry = AuditEntry.objects.filter(actor=world.worker_b, detail__dry_run=True).get()
    assert entry.detail["transfers"] == 1


def test_locating_many_residents_by_guessed_numbers_is_capped_per_day(world, wang):
    from yibiao.ledger.records import LedgerError

    with override_settings(YIBIAO_FOREIGN_MATCHES_PER_DAY=1):
        write_people(world.worker_b, world.community_b, [person(id_number=WANG, name="王某")], dry_run=True)
        with pytest.raises(LedgerError) as refused:
            write_people(world.worker_b, world.community_b, [person(id_number=WANG, name="王某")],
                         dry_run=True)
    assert refused.value.code == "foreign_quota"
    assert not Transfer.objects.exists()


def test_a_household_number_in_a_transfer_is_the_asking_communitys_own(world, wang):
    """B asks for 王秀英 into B's household "A-1": the number is B's own numbering (A also
    has an "A-1"); confirmed, she joins B's household, and A's keeps its number and address."""
    from yibiao.ledger import transfers
    from yibiao.ledger.models import Household

    a_household = Household.objects.get(number="A-1", community_code=world.community_a.code)
    write_people(world.worker_b, world.community_b, [person(id_number=WANG, name="王某", household="A-1")])
    request = Transfer.objects.get()
    assert request.household_number == "A-1"
    unchanged(wang, world)
    transfers.confirm(world.worker_a, request.pk)
    wang.refresh_from_db()
    assert wang.household.community_code == world.community_b.code and wang.household.number == "A-1"
    assert wang.household != a_household and Household.objects.filter(pk=a_household.pk).exists()


def test_confirming_keeps_the_residents_name_and_shows_the_other_spelling(world, wang):
    sent = write_people(world.worker_b, world.community_b, [person(id_number=WANG, name="王某某")])
    page = login(world.worker_a).get("/ledger/transfers/").content.decode()
    assert "王秀英" in page and "对方登记的姓名为“王某某”" in page
    transfers.confirm(world.worker_a, sent.transfers[0].transfer_id)
    wang.refresh_from_db()
    assert wang.name == "王秀英" and wang.org_unit == world.community_b


def test_a_move_to_another_community_without_a_household_number_leaves_the_old_household(world, wang, client):
    """She stayed a member of A's household A-1 after moving to B: A's household card kept
    showing B's resident, with every change B made (found by this session's attacker)."""
    from yibiao.ledger import transfers
    from yibiao.ledger.models import Household

    a_household = Household.objects.get(number="A-1", community_code=world.community_a.code)
    write_people(world.worker_b, world.community_b, [person(id_number=WANG, name="王秀英")])
    transfers.confirm(world.worker_a, Transfer.objects.get().pk)
    wang.refresh_from_db()
    assert wang.org_unit == world.community_b and wang.household is None
    home = Residence.objects.get(person=wang, valid_to__isnull=True)
    assert (home.household_id, home.relation_to_head) == (None, "")
    assert wang.state.household_id is None
    client.force_login(world.worker_a)
    assert "王秀英" not in client.get(f"/ledger/households/{a_household.pk}/").content.decode()


def test_a_move_into_another_communitys_household_leaves_the_relation_to_the_old_head(world, wang):
    from yibiao.ledger import transfers

    Residence.objects.filter(person=wang).update(relation_to_head="02")  # 户主 of A-1
    write_people(world.worker_b, world.community_b, [
        person(id_number=LI, name="李户主", household="B-7", relation_to_head="02")])
    write_people(world.worker_b, world.community_b, [person(id_number=WANG, name="王秀英", household="B-7")])
    transfers.confirm(world.worker_a, Transfer.objects.get().pk)
    home = Residence.objects.get(person=wang, valid_to__isnull=True)
    assert home.household.number == "B-7" and home.relation_to_head == ""  # B-7 has one head
