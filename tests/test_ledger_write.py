"""Writing to the ledger: validated, matched by ID number, appended, atomic."""

from __future__ import annotations

import datetime as dt

import pytest

from yibiao.accounts.scope import OutOfScope
from yibiao.audit.models import Action, AuditEntry
from yibiao.ledger.models import Fact, Person, Residence
from yibiao.ledger.records import LedgerError, PersonInput, write_people
from yibiao.ledger.snapshot import people_as_of
from yibiao.ledger.transfers import confirm

pytestmark = pytest.mark.django_db

GB_EXAMPLE = "11010519491231002X"  # GB 11643's own example: a woman born 1949-12-31
NOV = dt.date(2026, 11, 1)
DEC = dt.date(2026, 12, 1)


def person(row=None, **values):
    return PersonInput({f"person.{k}": v for k, v in values.items()}, row=row)


def test_a_new_person_is_created_with_validated_values(world):
    result = write_people(world.worker_a, world.community_a, [
        person(id_number="11010519491231002x", name="王秀英", phone="138 1234 5678", ethnicity="汉",
               marital_status="丧偶", low_income="是"),
    ], valid_from=NOV)
    assert (result.created, result.rejected) == (1, [])
    stored = Person.objects.get(id_number=GB_EXAMPLE)
    facts = dict(Fact.objects.filter(subject_id=stored.pk).values_list("element", "value"))
    assert facts == {"person.name": "王秀英", "person.phone": "13812345678",
                     "person.ethnicity": "01", "person.marital_status": "30",
                     "person.low_income": "1"}
    assert stored.name_initials == "wxy"


def test_the_same_person_twice_is_one_record_and_rerunning_changes_nothing(world):
    rows = [person(1, id_number=GB_EXAMPLE, name="王秀英"),
            person(2, id_number=GB_EXAMPLE, phone="13812345678")]
    first = write_people(world.worker_a, world.community_a, rows, valid_from=NOV)
    assert first.created == 1 and Person.objects.count() == 1
    facts = Fact.objects.count()
    again = write_people(world.worker_a, world.community_a, rows, valid_from=NOV)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert Fact.objects.count() == facts


def test_bad_rows_are_reported_and_left_out_good_rows_kept(world):
    result = write_people(world.worker_a, world.community_a, [
        person(3, id_number=GB_EXAMPLE, name="王秀英"),
        person(4, id_number="110105194912310021", name="李四"),  # wrong check digit
        person(5, id_number="430104198001010014", name="张三", phone="1234"),
        person(6, name="无证人"),
    ], valid_from=NOV)
    assert result.created == 1
    rows = {p.row: p for p in result.rejected}
    assert set(rows) == {4, 5, 6}
    assert "校验码" in rows[4].message_zh and rows[4].value == "110105194912310021"
    assert rows[5].element == "person.phone" and "联系电话" in rows[5].message_zh
    assert "缺少公民身份号码" in rows[6].message_zh
    assert list(Person.objects.values_list("id_number", flat=True)) == [GB_EXAMPLE]


def test_a_typed_sex_that_contradicts_the_id_number_is_flagged_not_stored(world):
    result = write_people(world.worker_a, world.community_a, [
        person(7, id_number=GB_EXAMPLE, name="王秀英", sex="男", birth_date="1949-12-31"),
    ], valid_from=NOV)
    assert result.created == 1
    assert [w.element for w in result.warnings] == ["person.sex"]
    assert "与公民身份号码不符" in result.warnings[0].message_zh
    assert not Fact.objects.filter(element__in=["person.sex", "person.birth_date"]).exists()
    row = people_as_of(world.community_a.code, NOV)[0]
    assert row.values["person.sex"] == "2" and row.values["person.birth_date"] == "1949-12-31"


def test_an_edit_appends_and_the_past_reads_as_it_stood(world):
    write_people(world.worker_a, world.community_a,
                 [person(id_number=GB_EXAMPLE, name="王秀英", phone="13812345678")], valid_from=NOV)
    write_people(world.worker_a, world.community_a,
                 [person(id_number=GB_EXAMPLE, phone="13912345678")], valid_from=DEC)
    assert Fact.objects.filter(element="person.phone").count() == 2
    november = people_as_of(world.community_a.code, dt.date(2026, 11, 30))[0].values
    december = people_as_of(world.community_a.code, dt.date(2026, 12, 31))[0].values
    assert november["person.phone"] == "13812345678"
    assert december["person.phone"] == "13912345678"
    assert december["person.name"] == "王秀英"
    assert november["person.age"] == "76" and december["person.age"] == "77"  # born 12-31


def test_a_person_who_moves_is_seen_where_they_lived_at_each_date(world):
    worker_b = world.worker_b
    write_people(world.worker_a, world.community_a, [person(id_number=GB_EXAMPLE, name="王秀英")],
                 valid_from=NOV)
    sent = write_people(worker_b, world.community_b, [person(id_number=GB_EXAMPLE)], valid_from=DEC)
    assert len(sent.transfers) == 1 and sent.updated == 0  # asked, not taken
    confirm(world.worker_a, sent.transfers[0].transfer_id)
    assert Person.objects.count() == 1
    assert len(people_as_of(world.community_a.code, dt.date(2026, 11, 15))) == 1
    assert people_as_of(world.community_a.code, dt.date(2026, 12, 15)) == []
    assert len(people_as_of(world.community_b.code, dt.date(2026, 12, 15))) == 1
    assert Residence.objects.count() == 2


def test_a_worker_cannot_write_into_another_community(world):
    with pytest.raises(OutOfScope):
        write_people(world.worker_a, world.community_b, [person(id_number=GB_EXAMPLE)])
    assert not Person.objects.exists()


def test_officers_and_reviewers_cannot_write_the_ledger(world):
    for user in (world.officer, world.reviewer):
        with pytest.raises(OutOfScope):
            write_people(user, world.community_a, [person(id_number=GB_EXAMPLE)])


def test_the_ledger_lives_in_communities_not_townships(world):
    with pytest.raises(LedgerError, match="社区"):
        write_people(world.admin, world.township_a, [person(id_number=GB_EXAMPLE)])


def test_a_dry_run_writes_nothing_but_reports_everything(world):
    result = write_people(world.worker_a, world.community_a,
                          [person(id_number=GB_EXAMPLE, name="王秀英")], dry_run=True)
    assert result.created == 1
    assert not Person.objects.exists() and not Fact.objects.exists()


def test_every_write_is_audited_without_personal_values(world):
    write_people(world.worker_a, world.community_a, [person(id_number=GB_EXAMPLE, name="王秀英")])
    entry = AuditEntry.objects.get(action=Action.CHANGE)
    assert entry.actor == world.worker_a and entry.detail["created"] == 1
    assert GB_EXAMPLE not in str(entry.detail) and "王秀英" not in str(entry.detail)


def test_text_with_tabs_newlines_and_backslashes_is_stored_exactly(world):
    # Alt+Enter in an Excel cell gives a newline; COPY's text format must escape it.
    address = "岳麓区\t红星社区\n3栋\\2单元\r\n  1703室"
    write_people(world.worker_a, world.community_a, [
        person(id_number=GB_EXAMPLE, name="王秀英", residence_address=address, work_unit="\\N"),
    ], valid_from=NOV)
    stored = Person.objects.get(id_number=GB_EXAMPLE)
    facts = dict(Fact.objects.filter(subject_id=stored.pk).values_list("element", "value"))
    assert facts["person.residence_address"] == address.strip()
    assert facts["person.work_unit"] == "\\N", "a literal \\N is text, not NULL"


def test_people_are_found_again_by_id_number_among_many(world):
    rows = [person(i, id_number=_valid_id(i), name=f"居民{i}") for i in range(1, 2501)]
    first = write_people(world.worker_a, world.community_a, rows, valid_from=NOV)
    assert first.created == 2500 and Person.objects.count() == 2500
    changed = [person(i, id_number=_valid_id(i), name=f"居民{i}号") if i % 1000 == 0 else rows[i - 1]
               for i in range(1, 2501)]
    again = write_people(world.worker_a, world.community_a, changed, valid_from=DEC)
    assert (again.created, again.updated, again.unchanged) == (0, 2, 2498)
    assert Person.objects.get(id_number=_valid_id(2000)).name == "居民2000号"


def _valid_id(serial: int) -> str:
    from yibiao.values.ids import check_digit

    first17 = f"43010419800101{serial % 1000:03d}"[:17] if serial < 1000 else \
        f"430104{1980 + serial // 1000:04d}0101{serial % 1000:03d}"
    return first17 + check_digit(first17)


def test_a_big_write_renews_the_planners_statistics(world, monkeypatch):
    from django.db import connection

    from yibiao.ledger import records

    monkeypatch.setattr(records, "ANALYZE_AFTER", 3)
    rows = [person(i, id_number=_valid_id(i), name=f"居民{i}", phone=f"1380000{i:04d}") for i in range(1, 4)]
    write_people(world.worker_a, world.community_a, rows, valid_from=NOV)
    facts = Fact.objects.count()
    assert facts == 6
    if connection.vendor == "postgresql":  # SQLite plans these lookups by index regardless
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [Fact._meta.db_table])
            assert cursor.fetchone()[0] == facts, "ANALYZE counted the rows written in this transaction"


def test_a_value_typed_for_an_earlier_date_is_kept_even_if_a_later_one_equals_it(world):
    """A task of November filled after December's value was recorded: November needs it too."""
    write_people(world.worker_a, world.community_a, [person(id_number=GB_EXAMPLE, name="王秀英")],
                 valid_from=dt.date(2026, 10, 1))
    write_people(world.worker_a, world.community_a, [person(id_number=GB_EXAMPLE, phone="13812345678")],
                 valid_from=DEC)
    assert "person.phone" not in people_as_of(world.community_a.code, dt.date(2026, 11, 15))[0].values
    result = write_people(world.worker_a, world.community_a,
                          [person(id_number=GB_EXAMPLE, phone="13812345678")], valid_from=NOV)
    assert (result.updated, result.facts_written) == (1, 1)
    november = people_as_of(world.community_a.code, dt.date(2026, 11, 15))[0].values
    assert november["person.phone"] == "13812345678"
    # Typing the same again for November changes nothing.
    again = write_people(world.worker_a, world.community_a,
                         [person(id_number=GB_EXAMPLE, phone="13812345678")], valid_from=NOV)
    assert (again.unchanged, again.facts_written) == (1, 0)
