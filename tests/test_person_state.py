"""Each person's state (PersonState) is what the ledger says as of any later date.

Every write path keeps it exact — entry, import, re-import, a move, a write dated before
the person's last change, retention erasure, the demo's bulk load — and rebuilding it from
the facts gives the same rows.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Max

from yibiao.demo.load import DEMO_COUNTY, load_demo
from yibiao.ledger.models import Fact, Person, PersonState, Residence, Source
from yibiao.ledger.records import PersonInput, edit_person, write_people
from yibiao.ledger.retention import apply_retention
from yibiao.ledger.snapshot import people_as_of
from yibiao.ledger.state import rebuild_states
from yibiao.values.ids import check_digit

pytestmark = pytest.mark.django_db
IDENTITY = {"person.id_number", "person.sex", "person.birth_date", "person.age"}
JAN, JUN, DEC = dt.date(2026, 1, 1), dt.date(2026, 6, 1), dt.date(2026, 12, 1)


def id_number(sequence: int) -> str:
    body = f"430104198001{sequence % 28 + 1:02d}{sequence:03d}"
    return body + check_digit(body)


def person(n: int, household: str | None = None, **values) -> PersonInput:
    return PersonInput({"person.id_number": id_number(n), **{f"person.{k}": v for k, v in values.items()}},
                       household_number=household)


def states() -> dict[int, tuple]:
    return {s.person_id: (s.org_code, s.household_id, s.id_number, s.values, s.changed_on)
            for s in PersonState.objects.all()}


def assert_states_are_the_ledger_as_of_any_later_date(code: str) -> None:
    """Every person has a state; it is people_as_of(…, date.max) without the values derived
    from the ID number and without erased values; changed_on is the person's last change."""
    expected = {row.person_id: (row.org_code, row.household_id, row.values["person.id_number"],
                                {e: v for e, v in row.values.items() if v is not None and e not in IDENTITY})
                for row in people_as_of(code, dt.date.max)}
    found = states()
    assert set(found) == set(Person.objects.values_list("pk", flat=True))
    living = {pk: state[:4] for pk, state in found.items() if state[0]}
    assert living == expected
    assert all(not state[0] and state[1] is None for pk, state in found.items() if pk not in living)
    for pk, state in found.items():
        days = [Fact.objects.filter(subject_kind="person", subject_id=pk).aggregate(m=Max("valid_from"))["m"]]
        for start, end in Residence.objects.filter(person_id=pk).values_list("valid_from", "valid_to"):
            days += [start, end]
        assert state[4] == max(d for d in days if d), pk


def test_every_write_path_keeps_the_state_exact(world):
    code = world.county.code
    write_people(world.worker_a, world.grid_a, [person(1, "H1", name="王一", relation_to_head="02", phone="13812345678"),
                                                 person(2, "H1", name="王二", relation_to_head="10")], valid_from=JAN)
    assert_states_are_the_ledger_as_of_any_later_date(code)
    imported = [person(n, f"H{n // 3}", name=f"导{n}", low_income="是" if n % 2 else "否") for n in range(3, 40)]
    write_people(world.admin, world.community_a, imported, valid_from=JAN, source=Source.IMPORT)
    assert_states_are_the_ledger_as_of_any_later_date(code)
    # Re-import: nothing changes; then a changed import with a move to another community.
    again = write_people(world.admin, world.community_a, imported, valid_from=JUN, source=Source.IMPORT)
    assert again.unchanged == len(imported)
    write_people(world.admin, world.community_b, [person(5, "H90", name="导五改", disability_grade="2")],
                 valid_from=JUN, source=Source.IMPORT)
    assert_states_are_the_ledger_as_of_any_later_date(code)
    # An edit, then a value dated before the person's last change: the later value stays.
    one = Person.objects.get(id_number=id_number(1))
    edit_person(world.worker_a, one, {"person.phone": "13900000000"}, based_on_version=one.version,
                valid_from=DEC)
    write_people(world.worker_a, world.grid_a, [person(1, phone="13700000000", veteran="是")], valid_from=JUN)
    assert PersonState.objects.get(person=one).values["person.phone"] == "13900000000"
    assert_states_are_the_ledger_as_of_any_later_date(code)
    # Retention erases the latest value of one person and an older one of another.
    write_people(world.worker_a, world.grid_a, [person(1, body_temperature="37.2"),
                                                 person(2, body_temperature="36.6")], valid_from=JAN)
    write_people(world.worker_a, world.grid_a, [person(2, body_temperature="36.8")], valid_from=DEC)
    assert apply_retention(world.admin, today=dt.date(2026, 11, 1)).total == 2
    assert "person.body_temperature" not in PersonState.objects.get(person=one).values
    assert_states_are_the_ledger_as_of_any_later_date(code)


def test_a_dry_run_leaves_no_state(world):
    write_people(world.worker_a, world.grid_a, [person(1, name="王一")], valid_from=JAN, dry_run=True)
    assert not PersonState.objects.exists()


def test_rebuilding_gives_the_state_the_write_paths_kept(world):
    write_people(world.worker_a, world.grid_a, [person(n, f"H{n}", name=f"人{n}") for n in range(1, 9)],
                 valid_from=JAN)
    write_people(world.admin, world.community_b, [person(3, "H30", phone="13812345678")], valid_from=JUN)
    kept = states()
    PersonState.objects.all().delete()
    assert rebuild_states() == len(kept)
    assert states() == kept


def test_the_demo_load_fills_the_state_and_rebuilding_changes_nothing(db):  # noqa: ARG001
    load_demo(seed=7, households=40)
    assert_states_are_the_ledger_as_of_any_later_date(DEMO_COUNTY)
    loaded = states()
    PersonState.objects.all().delete()
    rebuild_states(DEMO_COUNTY)
    assert states() == loaded
