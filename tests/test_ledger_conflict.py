"""No lost update: two workers edit the same person; the second save is refused, both kept."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from yibiao.ledger.models import EditConflict, Fact, Person
from yibiao.ledger.records import EditConflictError, PersonInput, edit_person, write_people

WANG = "11010519491231002X"


def wang(world) -> Person:
    write_people(world.worker_a, world.community_a,
                 [PersonInput({"person.id_number": WANG, "person.name": "王秀英"})],
                 valid_from=dt.date(2026, 1, 1))
    return Person.objects.get(id_number=WANG)


@pytest.mark.django_db
def test_the_second_save_from_the_same_version_is_refused_and_kept(world):
    person = wang(world)
    opened_at = person.version  # both workers open the form now
    edit_person(world.worker_a, person, {"person.phone": "13812345678"}, based_on_version=opened_at)
    with pytest.raises(EditConflictError) as refused:
        edit_person(world.worker_a, person, {"person.phone": "13998765432"},
                    based_on_version=opened_at)
    assert "其他人已修改" in str(refused.value)
    phones = list(Fact.objects.filter(element="person.phone").values_list("value", flat=True))
    assert phones == ["13812345678"]
    conflict = EditConflict.objects.get()
    assert conflict.attempted_values["person.phone"] == "13998765432"
    assert (conflict.based_on_version, conflict.current_version) == (opened_at, opened_at + 1)


@pytest.mark.django_db
def test_a_save_after_reloading_goes_through(world):
    person = wang(world)
    edit_person(world.worker_a, person, {"person.phone": "13812345678"}, based_on_version=person.version)
    person.refresh_from_db()
    edit_person(world.worker_a, person, {"person.phone": "13998765432"}, based_on_version=person.version)
    assert Fact.objects.filter(element="person.phone").count() == 2


@pytest.fixture
def committed_community(django_db_blocker):
    """A community, a worker and a resident committed for real, so that two threads with
    their own connections see them; removed afterwards (no flush of reference data)."""
    from yibiao.accounts.models import Role, User
    from yibiao.audit.models import AuditEntry
    from yibiao.ledger.models import Residence
    from yibiao.orgunits.divisions import add_unit
    from yibiao.orgunits.models import Level, OrgUnit

    with django_db_blocker.unblock():
        if not OrgUnit.objects.filter(code="430104003").exists():
            from yibiao.setup import initialise

            initialise()  # a transactional test before this one flushed the reference data
        township = OrgUnit.objects.get(code="430104003")
        community = add_unit("430104003999", "并发测试社区", Level.COMMUNITY, township)
        worker = User.objects.create(username="race-worker", role=Role.WORKER, org_unit=community)
        write_people(worker, community, [PersonInput({"person.id_number": WANG,
                                                      "person.name": "王秀英"})])
        person = Person.objects.get(id_number=WANG)
        try:
            yield worker, person
        finally:
            EditConflict.objects.filter(person=person).delete()
            Fact.objects.filter(subject_id=person.pk).delete()
            Residence.objects.filter(person=person).delete()
            person.delete()
            AuditEntry.objects.filter(actor=worker).delete()
            worker.delete()
            community.delete()


def test_two_simultaneous_saves_one_wins_one_is_kept_as_a_conflict(committed_community,
                                                                     django_db_blocker):
    """Two real connections race; the database, not luck, decides."""
    worker, person = committed_community
    opened_at = person.version
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def save(phone: str) -> None:
        with django_db_blocker.unblock():
            try:
                barrier.wait()
                edit_person(worker, person, {"person.phone": phone}, based_on_version=opened_at)
                outcomes.append("saved")
            except EditConflictError:
                outcomes.append("conflict")
            finally:
                connection.close()

    threads = [threading.Thread(target=save, args=(p,)) for p in ("13812345678", "13998765432")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with django_db_blocker.unblock():
        assert sorted(outcomes) == ["conflict", "saved"]
        saved = Fact.objects.get(subject_id=person.pk, element="person.phone").value
        attempted = EditConflict.objects.get(person=person).attempted_values["person.phone"]
    assert {saved, attempted} == {"13812345678", "13998765432"}


@pytest.mark.django_db
def test_the_losing_form_says_beside_each_field_what_the_other_save_changed(client, world):
    """Both open the form; 社区工作者甲 saves a new work unit first. The second save keeps
    every box as typed and says beside 工作单位 who changed it to what, and when."""
    person = wang(world)
    client.force_login(world.worker_a)
    opened = client.get(f"/ledger/people/{person.pk}/edit/").content.decode()
    seen = int(opened.split('name="seen" value="')[1].split('"')[0])
    version = person.version
    edit_person(world.worker_a, person, {"person.work_unit": "岳麓区环卫所"}, based_on_version=version)
    page = client.post(f"/ledger/people/{person.pk}/edit/", {
        "version": version, "seen": seen, "person.work_unit": "湖南大学", "person.occupation": "教师"})
    text = page.content.decode()
    assert page.status_code == 200
    assert 'value="湖南大学"' in text and 'value="教师"' in text  # typed values kept
    work_unit_error = text.split('id="f-personwork_unit-error"')[1].split("</p>")[0]
    assert "岳麓区环卫所" in work_unit_error and str(world.worker_a) in work_unit_error
    assert 'id="f-personoccupation-error"' not in text  # nobody else changed that one
    assert Fact.objects.filter(subject_id=person.pk, value="湖南大学").count() == 0


@pytest.mark.django_db
def test_facts_copied_by_a_move_between_counties_are_not_said_changed_by_someone(world):
    """A move to another county copies the person's facts into its partition (随迁复制):
    those copies are no one's new save and never show as "changed" beside a field."""
    from yibiao.dictionary.rules import Rules
    from yibiao.ledger import people
    from yibiao.ledger.partitions import COPY_NOTE

    person = wang(world)
    seen = people.last_fact_id(person)
    Fact.objects.create(subject_kind="person", subject_id=person.pk, element="person.work_unit",
                        value="老单位", valid_from=dt.date(2026, 1, 1), source="import",
                        org_code="430102001001", note=COPY_NOTE)
    assert people.changed_since(person, seen, Rules.load()) == {}
    Fact.objects.create(subject_kind="person", subject_id=person.pk, element="person.work_unit",
                        value="新单位", valid_from=dt.date(2026, 2, 1), source="entry",
                        org_code=world.community_a.code)
    assert list(people.changed_since(person, seen, Rules.load())) == ["person.work_unit"]
