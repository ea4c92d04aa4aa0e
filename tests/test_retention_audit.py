"""Retention erases purpose-bound values, keeps that they existed; the audit log is browsable."""

from __future__ import annotations

import datetime as dt

import pytest

from yibiao.audit.models import Action, AuditEntry
from yibiao.dictionary.elements import ElementError, NewElement, add_element
from yibiao.dictionary.models import Element
from yibiao.ledger.models import Fact
from yibiao.ledger.records import PersonInput, write_people
from yibiao.ledger.retention import apply_retention
from yibiao.ledger.snapshot import people_as_of

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db
WANG = "11010519491231002X"


@pytest.fixture
def quarantined(world):
    write_people(world.worker_a, world.community_a, [PersonInput({
        "person.id_number": WANG, "person.name": "王秀英", "person.quarantine_type": "居家隔离",
        "person.quarantine_start": "2026年10月1日", "person.body_temperature": "36.5℃",
        "person.phone": "13812345678"})], valid_from=dt.date(2026, 10, 1))
    return world


def test_expired_purpose_bound_values_are_erased_and_the_rest_kept(quarantined):
    dry = apply_retention(None, today=dt.date(2026, 11, 15), dry_run=True)
    assert dry.erased == {"person.body_temperature": 1, "person.quarantine_start": 1,
                          "person.quarantine_type": 1}
    assert Fact.objects.filter(value__isnull=True).count() == 0  # a dry run erases nothing

    result = apply_retention(None, today=dt.date(2026, 11, 15))
    assert result.total == 3
    erased = Fact.objects.filter(element="person.quarantine_type").get()
    assert erased.value is None and erased.erased_at is not None  # the row stays
    assert Fact.objects.get(element="person.phone").value == "13812345678"
    values = people_as_of(quarantined.community_a.code, dt.date(2026, 11, 15))[0].values
    assert values["person.quarantine_type"] is None and values["person.name"] == "王秀英"
    entries = AuditEntry.objects.filter(action=Action.RETENTION_ERASE)
    assert entries.count() == 3 and entries.first().detail["erased"] == 1


def test_values_within_their_period_are_kept(quarantined):
    assert apply_retention(None, today=dt.date(2026, 10, 20)).total == 0
    assert not Fact.objects.filter(value__isnull=True).exists()


def test_the_dictionary_page_shows_each_retention_period(client, world):
    client.login(username="worker_a", password=PASSWORD)
    page = client.get("/dictionary/").content.decode()
    assert "核酸检测结果" in page and "30 天" in page and "长期" in page
    for code in ("person.id_number", "household.head_id_number", "meta.seq"):
        assert code in page


def test_administrators_add_elements_and_others_cannot(client, world):
    new = NewElement(code="person.shoe_size", name_zh="鞋码", subject="person",
                     value_type="integer", sensitivity="ordinary")
    with pytest.raises(Exception, match="角色无权"):
        add_element(world.worker_a, new)
    element = add_element(world.admin, new)
    assert Element.objects.get(code="person.shoe_size") == element and not element.core
    with pytest.raises(ElementError, match="已存在"):
        add_element(world.admin, new)
    with pytest.raises(ElementError, match="格式不对"):
        add_element(world.admin, NewElement(code="鞋码", name_zh="鞋码", subject="person",
                                            value_type="integer"))
    client.login(username="admin", password=PASSWORD)
    response = client.post("/dictionary/new/", {"code": "household.pets", "name_zh": "宠物数",
                                                "subject": "household", "value_type": "integer",
                                                "sensitivity": "ordinary"})
    assert response.status_code == 302 and Element.objects.filter(code="household.pets").exists()
    client.login(username="worker_a", password=PASSWORD)
    assert client.get("/dictionary/new/").status_code == 403


def test_audit_log_filters_and_scope(client, quarantined):
    world = quarantined
    write_people(world.worker_b, world.community_b,
                 [PersonInput({"person.id_number": "430104199001010019", "person.name": "李"})])
    client.login(username="admin", password=PASSWORD)
    page = client.get("/audit/", {"user": "worker_b"}).content.decode()
    assert "worker_b" in page and "worker_a" not in page
    page = client.get("/audit/", {"action": "change", "since": "2000-01-01"}).content.decode()
    assert "worker_a" in page and "worker_b" in page
    # A reviewer of another county sees none of these entries; workers see no log at all.
    world.reviewer.org_unit = world.county.parent.children.exclude(pk=world.county.pk).first()
    world.reviewer.save()
    client.login(username="reviewer", password=PASSWORD)
    assert "worker_a" not in client.get("/audit/").content.decode()
    client.login(username="worker_a", password=PASSWORD)
    assert client.get("/audit/").status_code == 403
