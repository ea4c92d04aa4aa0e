"""Never lose typing (issue 16, item 1) on the household and person forms: a refused save
shows the page again with every typed value kept, every problem at once, each beside its
field and naming the person it is about; nothing half-saved; masked numbers stay masked."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from yibiao.ledger.models import Fact, Household, LedgerWrite, Person
from yibiao.ledger.records import PersonInput, write_people
from yibiao.values.ids import check_digit

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def id_number(body: str) -> str:
    return body + check_digit(body)


LIU = id_number("43010419650506001")
WANG = id_number("43010419920304002")
ZHAO = id_number("43010419480101003")
BAD_CHECK = WANG[:-1] + ("0" if WANG[-1] != "0" else "1")


@pytest.fixture
def worker(client, world):
    assert client.login(username="worker_a", password=PASSWORD)
    return client


def field_error(page: str, field_id: str) -> str:
    """The error shown right under one input (its aria-describedby target)."""
    match = re.search(rf'<p class="error field-error" id="{re.escape(field_id)}-error">([^<]*)</p>', page)
    assert match, f"no error beside {field_id}"
    return match.group(1)


def test_a_refused_household_keeps_every_typed_value_and_names_each_problem(worker, world):
    form = {
        "org_unit": world.grid_a.code, "address": "枫林路12号3栋2单元501室", "number": "",
        "name_0": "刘兵彬", "id_number_0": LIU, "relation_0": "02", "phone_0": "12345",
        "name_1": "王小红", "id_number_1": BAD_CHECK, "relation_1": "20", "phone_1": "139",
        "name_2": "", "id_number_2": ZHAO, "relation_2": "30", "phone_2": "13700001111",
    }
    response = worker.post("/ledger/households/new/", form)
    page = response.content.decode()
    assert response.status_code == 200

    # Every problem at once, each beside its own field, naming the member.
    assert field_error(page, "phone_0") == "刘兵彬 的联系电话：手机号码“12345”有 5 位：应为 11 位"
    assert field_error(page, "id_number_1").startswith(f"王小红 的公民身份号码“{BAD_CHECK}”校验码")
    assert field_error(page, "phone_1").startswith("王小红 的联系电话：")
    assert field_error(page, "name_2").startswith("第 3 位成员 的姓名：缺少姓名")
    assert "有 4 处需要修改" in page  # the list at the top holds all four
    assert 'aria-invalid="true" aria-describedby="phone_0-error"' in page

    # Every typed value is still in its box.
    for key, value in form.items():
        if value and not key.startswith(("org_unit", "relation")):
            assert f'value="{value}"' in page, key
    assert '<option value="20" selected>' in page and '<option value="30" selected>' in page

    # Nothing half-saved: the good member was not written either.
    assert not Person.objects.exists() and not Household.objects.exists()
    assert not LedgerWrite.objects.exists()

    # Fixed, the same form saves all three at once.
    fixed = {**form, "phone_0": "13912345678", "id_number_1": WANG, "phone_1": "", "name_2": "赵大爷"}
    saved = worker.post("/ledger/households/new/", fixed)
    assert saved.status_code == 302
    household = Household.objects.get()
    assert household.current_members.count() == 3
    assert LedgerWrite.objects.get().household == household


def test_an_empty_household_form_says_so_with_a_code(worker, world):
    page = worker.post("/ledger/households/new/", {"org_unit": world.grid_a.code, "address": "x"})
    assert "请至少登记一名家庭成员。" in page.content.decode()


@pytest.fixture
def liu(world):
    write_people(world.worker_a, world.grid_a, [PersonInput({
        "person.id_number": LIU, "person.name": "刘兵彬", "person.phone": "13812345678",
        "person.work_unit": "岳麓区环卫所"})], valid_from=dt.date(2026, 1, 1))
    return Person.objects.get(id_number=LIU)


def test_a_refused_person_edit_shows_every_error_naming_the_person(worker, liu):
    facts = Fact.objects.count()
    form = {"version": liu.version, "person.name": "刘兵彬", "person.phone": "12345",
            "person.emergency_phone": "0731-88", "person.arrival_date": "2026-13-40",
            "person.work_unit": "岳麓区城管局", "person.remarks": "新搬来的租户"}
    response = worker.post(f"/ledger/people/{liu.pk}/edit/", form)
    page = response.content.decode()
    assert response.status_code == 200
    assert field_error(page, "f-personphone") == "刘兵彬 的联系电话：手机号码“12345”有 5 位：应为 11 位"
    assert field_error(page, "f-personemergency_phone").startswith("刘兵彬 的紧急联系人电话：")
    assert field_error(page, "f-personarrival_date").startswith("刘兵彬 的抵达日期：")
    assert "有 3 处需要修改" in page
    # The typed values are kept, the valid ones too (nothing is stored until all are right).
    for value in ("12345", "0731-88", "2026-13-40", "岳麓区城管局", "新搬来的租户"):
        assert f'value="{value}"' in page
    assert Fact.objects.count() == facts
    # The stored phone is never put in the form in full, only its mask as a hint.
    assert "13812345678" not in page and "138****5678" in page


def test_a_refused_edit_leaves_a_masked_field_masked_when_it_was_left_empty(worker, liu):
    response = worker.post(f"/ledger/people/{liu.pk}/edit/", {
        "version": liu.version, "person.name": "刘兵彬", "person.phone": "",
        "person.arrival_date": "昨天下午"})
    page = response.content.decode()
    assert "刘兵彬 的抵达日期" in page
    assert "13812345678" not in page
    assert re.search(r'name="person.phone"\s+value=""', page)
    assert 'placeholder="138****5678' in page


def test_another_grids_household_number_is_said_with_the_members_problems(worker, world):
    from yibiao.orgunits.divisions import add_unit
    from yibiao.orgunits.models import Level

    grid_2 = add_unit(world.community_a.code + "002", "第二网格", Level.GRID, world.community_a)
    write_people(world.worker_a, grid_2, [PersonInput(
        {"person.id_number": ZHAO, "person.name": "赵大爷"}, household_number="B-9")])
    response = worker.post("/ledger/households/new/", {
        "org_unit": world.grid_a.code, "address": "枫林路1号", "number": "B-9",
        "name_0": "刘兵彬", "id_number_0": LIU, "relation_0": "02", "phone_0": "12345"})
    page = response.content.decode()
    assert field_error(page, "number").startswith("户号 B-9 已登记在本社区的其他网格")
    assert field_error(page, "phone_0").startswith("刘兵彬 的联系电话")
    assert 'value="B-9"' in page and not Person.objects.filter(id_number=LIU).exists()


@pytest.mark.parametrize("typed", ["\u200b", "\ufeff\u2060", "\u3000"])
def test_a_household_number_of_invisible_characters_gets_the_next_number(worker, world, typed):
    """It was a 500 (Household.DoesNotExist): the view kept it, the ledger made it ''."""
    response = worker.post("/ledger/households/new/", {
        "org_unit": world.grid_a.code, "address": "枫林路2号", "number": typed,
        "name_0": "刘兵彬", "id_number_0": LIU, "relation_0": "02"}, follow=True)
    assert response.status_code == 200
    liu = Person.objects.get(id_number=LIU)
    assert liu.household is not None and liu.household.number.startswith(world.grid_a.code)
    assert liu.household.address == "枫林路2号"


def test_a_grid_worker_registering_into_the_communitys_own_household_is_told_beside_the_number(client, world):
    """It was a 403 page that lost everything typed (the address is the community's to set)."""
    from yibiao.accounts.models import Role, User
    from yibiao.ledger.models import Household

    Household.objects.create(number="C-1", org_unit=world.community_a)
    grid_worker = User.objects.create(username="grid_worker", role=Role.WORKER, org_unit=world.grid_a)
    client.force_login(grid_worker)
    response = client.post("/ledger/households/new/", {
        "org_unit": world.grid_a.code, "address": "枫林路3号", "number": "C-1",
        "name_0": "刘兵彬", "id_number_0": LIU, "relation_0": "02"})
    assert response.status_code == 200
    page = response.content.decode()
    assert field_error(page, "number").startswith("户号 C-1 是“桃花岭社区”登记的家庭户")
    assert 'value="枫林路3号"' in page and not Person.objects.filter(id_number=LIU).exists()
