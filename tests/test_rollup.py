"""Aggregate indicators counted in the database equal the Python path, at every level.

The ledger below is small but awkward on purpose: people in grids and directly in a
community, moves before and after the report date, facts recorded after it, erased values,
two facts on one day, numbers written several ways, someone born after the date. People
whose state (PersonState) changed after a report date are counted as of that date from
their facts; the others from their state: both must give what the Python path gives.
"""

from __future__ import annotations

import datetime as dt

import pytest

from yibiao.accounts.models import Department
from yibiao.gate.models import FormRequest, Status
from yibiao.ledger.models import Fact, Household, Person, Residence, Source, SubjectKind
from yibiao.ledger.records import PersonInput, write_people
from yibiao.ledger.retention import apply_retention
from yibiao.ledger.snapshot import people_as_of
from yibiao.ledger.state import refresh_states
from yibiao.orgunits.divisions import add_unit
from yibiao.orgunits.models import Level
from yibiao.reports.periods import parse_period
from yibiao.reports.prefill import DERIVED, build_report
from yibiao.reports.rollup import count, rollup
from yibiao.values.ids import check_digit

pytestmark = pytest.mark.django_db
NOV = parse_period("2026-11")
SEP = parse_period("2026-09")
JAN = dt.date(2026, 1, 1)


def id_number(birth: str, sequence: str) -> str:
    """A valid 18-digit number born on `birth` (yyyymmdd); odd sequence: a man."""
    body = "430104" + birth + sequence
    return body + check_digit(body)


def condition(element: str, op: str, value: str = "") -> dict:
    return {"element": element, "op": op, "value": value}


# (what is counted, conditions): every op, derived and stored elements, the period's dates.
INDICATORS = [
    ("person", []),
    ("household", []),
    ("person", [condition("person.age", ">=", "60")]),
    ("person", [condition("person.age", "<", "18")]),
    ("person", [condition("person.age", "=", "76")]),
    ("person", [condition("person.age", "!=", "76")]),
    ("person", [condition("person.age", ">", "59.5")]),  # a decimal against a whole age
    ("person", [condition("person.age", "<=", "-1")]),  # born after the date (September)
    ("person", [condition("person.age", ">", "abc")]),  # text against an age: compared as text
    ("person", [condition("person.age", "in", "76|36")]),
    ("person", [condition("person.sex", "=", "1")]),
    ("person", [condition("person.sex", "=", "2"), condition("person.age", ">=", "60")]),
    ("person", [condition("person.birth_date", "<", "1960-01-01")]),
    ("person", [condition("person.birth_date", ">=", "{period_start}")]),
    ("person", [condition("person.id_number", "present")]),
    ("person", [condition("person.relation_to_head", "in", "01|02")]),
    ("person", [condition("person.relation_to_head", "absent")]),
    ("person", [condition("person.lives_alone", "=", "1")]),
    ("person", [condition("person.lives_alone", "!=", "1")]),
    ("person", [condition("person.low_income", "present")]),
    ("person", [condition("person.low_income", "absent")]),
    ("household", [condition("person.low_income", "=", "1")]),
    ("household", [condition("person.age", ">=", "80")]),
    ("person", [condition("person.disability_grade", ">=", "2")]),
    ("person", [condition("person.disability_grade", ">", "2.5")]),
    ("person", [condition("person.disability_grade", "=", "3")]),
    ("person", [condition("person.disability_grade", "!=", "3")]),
    ("person", [condition("person.disability_grade", "<=", "10")]),  # "9" <= "10" as numbers
    ("person", [condition("person.disability_grade", "<", "b")]),  # as text
    ("person", [condition("person.disability_grade", "in", "|3|abc")]),
    ("person", [condition("person.disability_grade", "present")]),
    ("person", [condition("person.disability_grade", "absent")]),
    ("person", [condition("person.quarantine_start", "<=", "{period_end}"),
                condition("person.quarantine_end", ">=", "{period_start}")]),
    ("household", [condition("person.quarantine_start", "<=", "{period_end}"),
                   condition("person.quarantine_end", ">=", "{period_start}")]),
    ("person", [condition("person.residence_status", "in", "2")]),
    ("person", [condition("person.body_temperature", "present")]),  # erased by retention
    ("person", [condition("person.quarantine_start", "present")]),
    ("person", [condition("household.size", ">=", "2")]),  # not a person value: counted in Python
]


def indicators() -> list[dict]:
    return [{"count": counted, "filter": conditions} for counted, conditions in INDICATORS]


@pytest.fixture
def ledger(world):
    """Residents of two townships, with every awkward case the roll-up must get right."""
    grid_b = add_unit(world.community_a.code + "002", "第二网格", Level.GRID, world.community_a)
    admin = world.admin

    def write(unit, on, id_no, household=None, **values):
        result = write_people(admin, unit, [PersonInput({"person.id_number": id_no, **{
            f"person.{k}": v for k, v in values.items()}}, household_number=household)], valid_from=on)
        assert not result.rejected, result.rejected
        return Person.objects.get(id_number=id_no)

    wang = write(world.grid_a, JAN, "11010519491231002X", "H1", name="王秀英", lives_alone="是",
                 low_income="是", relation_to_head="01")
    write(world.grid_a, JAN, id_number("19900101", "001"), "H1", name="李明", relation_to_head="10")
    old = write(world.community_a, JAN, id_number("19400315", "011"), "H2", name="张老",
                disability_grade="3", quarantine_start="2026-11-03", quarantine_end="2026-11-20")
    young = write(grid_b, JAN, id_number("20101130", "022"), "H3", name="赵小", residence_status="流动")
    write(grid_b, JAN, id_number("19661130", "031"), "H3", name="钱中", low_income="否",
          quarantine_start="2026-10-01", quarantine_end="2026-10-20")  # before the period
    # Moved from 东塘村 into 桃花岭 before the date, and back out after it.
    write(world.community_b, JAN, id_number("19550701", "041"), "H4", name="孙迁")
    write(world.grid_a, dt.date(2026, 6, 1), id_number("19550701", "041"), "H5")
    write(world.community_b, JAN, id_number("19720209", "052"), "H6", name="周留", veteran="是")
    write(grid_b, dt.date(2026, 12, 10), id_number("19720209", "052"), "H7")
    # Born on 2026-10-15 but living here since January (a data error): age -1 in September.
    unborn = Person.objects.create(id_number=id_number("20261015", "061"), name="吴新", org_unit=world.community_b)
    Residence.objects.create(person=unborn, household=Household.objects.get(number="H6"), source=Source.ENTRY,
                             org_unit=world.community_b, org_code=world.community_b.code, valid_from=JAN)
    # Recorded after the date: ignored as of November.
    write(world.grid_a, dt.date(2026, 12, 5), "11010519491231002X", lives_alone="否", low_income="否")
    # Values as the ledger may hold them from older imports, written straight as facts.
    for person, value, on in [(young, " 2 ", JAN), (wang, "9", JAN), (wang, "abc", dt.date(2026, 2, 1)),
                              (wang, "1e1", dt.date(2026, 2, 1)),  # same day, recorded later: wins
                              (old, "3.0", dt.date(2026, 3, 1)), (old, "", dt.date(2026, 12, 1))]:
        Fact.objects.create(subject_kind=SubjectKind.PERSON, subject_id=person.pk,
                            element="person.disability_grade", value=value, valid_from=on,
                            source=Source.IMPORT)
    erased = write(world.community_b, JAN, id_number("19800505", "071"), "H8", name="郑删", disability_grade="2")
    Fact.objects.filter(subject_id=erased.pk, element="person.disability_grade").update(value=None)
    # The rows written straight above bypass the write path that keeps each person's state:
    # refreshed from the facts, as a restore would.
    refresh_states([wang.pk, young.pk, old.pk, erased.pk, unborn.pk])
    # Changed between the report dates through the write path: a move in October (钱中 to
    # 东塘村), a new fact in October, a value erased by retention (recorded in 2025).
    write(world.community_b, dt.date(2026, 10, 10), id_number("19661130", "031"), "H9")
    write(grid_b, dt.date(2026, 10, 1), id_number("20101130", "022"), low_income="是")
    write(world.grid_a, dt.date(2025, 6, 1), id_number("19851010", "081"), "H10", name="冯温",
          body_temperature="37.5")
    assert apply_retention(admin, today=dt.date(2025, 12, 31)).total == 1
    return world


def python_figures(code: str, lengths: list[int], period=NOV) -> dict[str, list[int]]:
    """The Python path: people_as_of, then count() per unit at every level."""
    everyone = people_as_of(code, period.end)
    households = dict.fromkeys(p.household_id for p in everyone if p.household_id)
    codes = {p.org_code[:n] for p in everyone for n in lengths if len(p.org_code) >= n}
    return {unit: [count(indicator, [p for p in everyone if p.org_code.startswith(unit)], households, period)
                   for indicator in indicators()] for unit in codes}


def test_the_fixture_covers_what_it_claims(ledger):
    python = python_figures(ledger.county.code, [6])[ledger.county.code]
    assert python[0] == 10 and python[1] == 8  # residents and households on 2026-11-30
    assert all(n > 0 for n in python[2:4])  # elderly, children
    assert python[32] == 1  # in quarantine during November: 张老 only
    assert python_figures(ledger.county.code, [6], SEP)[ledger.county.code][7] == 1  # the unborn


@pytest.mark.parametrize("unit", ["county", "township_a", "community_a", "grid_a", "community_b"])
@pytest.mark.parametrize("period", ["2025-12", "2026-09", "2026-11", "2027-01"])
def test_sql_counts_equal_the_python_path_for_every_unit_at_every_level(ledger, unit, period):
    org_unit, period = getattr(ledger, unit), parse_period(period)
    result = rollup(org_unit, period, indicators())
    python = python_figures(org_unit.code, result.lengths, period)
    assert result.lengths[0] == len(org_unit.code)
    for code in sorted(set(python) | set(result.figures)):
        assert result.of(code) == python.get(code, [0] * len(INDICATORS)), code
    assert set(result.in_python) == {len(INDICATORS) - 1}  # household.size, and only it
    assert result.queries == 1


def test_the_roll_up_takes_a_fixed_number_of_queries(ledger, django_assert_num_queries):
    sql_only = indicators()[:-1]
    with django_assert_num_queries(3):  # known elements, the units, the roll-up itself
        rollup(ledger.county, NOV, sql_only)
    with django_assert_num_queries(3):
        rollup(ledger.county, NOV, sql_only * 3)


def test_an_aggregate_report_counts_every_row_from_one_query(ledger, django_assert_max_num_queries):
    department = Department.objects.create(name="区统计局", short_name="统计")
    columns = [{"column": "A", "header": "乡镇", "element": "org.township"},
               *[{"column": chr(ord("B") + i), "header": f"指标{i}", "indicator": indicator}
                 for i, indicator in enumerate(indicators())],
               {"column": "ZZ", "header": "本月走访次数"}]
    request = FormRequest.objects.create(
        title="人口统计", department=department, basis="测试", frequency="monthly", scope=ledger.county,
        template="", template_name="t.xlsx", layout="aggregate", subject="person", columns=columns,
        status=Status.ADMITTED, submitted_by=ledger.admin)
    python = python_figures(ledger.county.code, [9])
    report = build_report(request, ledger.county, NOV)
    assert len(report.rows) == ledger.county.children.count()
    for row in report.rows:
        counts = [int(c.value) for c in row.cells[1:-1]]
        assert counts == python.get(row.org_code, [0] * len(INDICATORS)), row.org_code
        assert {c.source for c in row.cells[1:-1]} == {DERIVED}
        assert row.cells[-1].value is None
    with django_assert_max_num_queries(15):  # not one per township or per column
        build_report(request, ledger.county, NOV)


HOSTILE_ELEMENTS = [
    "person.age) OR 1=1 --", "person.age' OR '1'='1", 'v0"; DROP TABLE ledger_fact; --',
    "person.lives_alone\x00", "household.size", "", None, 7, "person.%s", "person.%%",
]
HOSTILE_VALUES = [
    "1' OR '1'='1", "'); DROP TABLE ledger_fact; --", "%s", "%%", "%(x)s", "?", "\\", "0 OR 1=1",
    "{period_end}' OR '1'='1", "1|' OR 1=1 --", "1\x00", "\ud800", "６０", "1_0", "NaN", "Infinity",
]


SPLICED = HOSTILE_VALUES[:10]  # plain text: these reach the SQL, bound, on both databases


def test_hostile_element_codes_and_values_cannot_break_out_of_the_sql(ledger):
    facts, persons = Fact.objects.count(), Person.objects.count()
    hostile = [{"count": "person", "filter": [condition(e, "=", "1")]} for e in HOSTILE_ELEMENTS]
    by_value = [(e, op, v) for e in ("person.lives_alone", "person.age", "person.birth_date")
                for op in ("=", ">=", "<", "in") for v in HOSTILE_VALUES
                if not (v == "NaN" and op != "in")]  # filters._compare fails on NaN, in Python too
    hostile += [{"count": "person", "filter": [condition(e, op, v)]} for e, op, v in by_value]
    result = rollup(ledger.county, NOV, hostile)
    assert (Fact.objects.count(), Person.objects.count()) == (facts, persons)
    everyone = people_as_of(ledger.county.code, NOV.end)
    assert result.of(ledger.county.code) == [count(i, everyone, {}, NOV) for i in hostile]
    assert set(range(len(HOSTILE_ELEMENTS))) <= set(result.in_python)  # no unknown element reaches SQL
    reached = [i for i, (_, _, v) in enumerate(by_value, start=len(HOSTILE_ELEMENTS)) if v in SPLICED]
    assert not set(reached) & set(result.in_python)
    assert result.of(ledger.county.code)[:len(HOSTILE_ELEMENTS)] == [0] * len(HOSTILE_ELEMENTS)
