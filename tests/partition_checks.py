"""The ledger partitioned by county on PostgreSQL (issue 17, ledger/partitions.py).

Collected by tests/test_partitions.py when the suite runs on PostgreSQL, and run by it in
a child process against the local server when the suite runs on SQLite.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.db import connection

from yibiao.ledger import partitions, transfers
from yibiao.ledger.models import Fact, Person, Residence, SubjectKind
from yibiao.ledger.records import PersonInput, write_people
from yibiao.ledger.snapshot import latest_facts, people_as_of, residences_as_of

POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
pytestmark = [pytest.mark.postgres,
              pytest.mark.skipif(not POSTGRES, reason="PostgreSQL only: SQLite keeps plain tables "
                                 "(tests/test_partitions.py runs these on the local server)")]

OTHER_COUNTY = "430105"  # 开福区, beside the suite's 岳麓区 (430104)
WANG = "11010519491231002X"
JAN, MAR, APR, JUN = dt.date(2026, 1, 1), dt.date(2026, 3, 1), dt.date(2026, 4, 1), dt.date(2026, 6, 30)


def person(**values: str) -> PersonInput:
    return PersonInput({f"person.{k}": v for k, v in values.items()})


def partitions_of(table: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                       "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s", [table])
        return {row[0] for row in cursor.fetchall()}


def where_rows_are(table: str, person_id: int, column: str) -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text, count(*) FROM {table} "  # noqa: S608
                       f"WHERE {column} = %s GROUP BY 1", [person_id])
        return dict(cursor.fetchall())


@pytest.fixture
def far(world):  # noqa: ANN001, ANN201
    """A community and its worker in another county."""
    from yibiao.accounts.models import Role, User
    from yibiao.orgunits.divisions import add_unit
    from yibiao.orgunits.models import Level, OrgUnit

    township = OrgUnit.objects.get(code=OTHER_COUNTY).children.order_by("code").first()
    community = add_unit(township.code + "001", "新河社区", Level.COMMUNITY, township)
    worker = User.objects.create(username="worker_far", role=Role.WORKER, org_unit=community,
                                 display_name="worker_far")
    return community, worker


@pytest.mark.django_db
def test_the_ledger_tables_are_partitioned_by_org_code_with_a_default():
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relname, pg_get_partkeydef(c.oid) FROM pg_partitioned_table p "
                       "JOIN pg_class c ON c.oid = p.partrelid ORDER BY 1")
        assert cursor.fetchall() == [("ledger_fact", "RANGE (org_code)"),
                                     ("ledger_residence", "RANGE (org_code)")]
        cursor.execute("SELECT pg_get_serial_sequence('ledger_fact', 'id')")
        assert cursor.fetchone()[0] == "public.ledger_fact_id_seq"  # Django's sequence reset finds it
    for table in partitions.TABLES:
        assert f"{table}_default" in partitions_of(table)


@pytest.mark.django_db
def test_a_new_countys_first_write_creates_its_partitions_and_rows_land_there(world, far):
    community, worker = far
    assert f"ledger_fact_{OTHER_COUNTY}" not in partitions_of("ledger_fact")
    write_people(worker, community, [person(id_number=WANG, name="王秀英", phone="13812345678")],
                 valid_from=JAN)
    for table in partitions.TABLES:
        assert f"{table}_{OTHER_COUNTY}" in partitions_of(table)
    wang = Person.objects.get(id_number=WANG)
    assert where_rows_are("ledger_fact", wang.pk, "subject_id") == {f"ledger_fact_{OTHER_COUNTY}": 2}
    assert where_rows_are("ledger_residence", wang.pk, "person_id") == {f"ledger_residence_{OTHER_COUNTY}": 1}
    # Bounds: every code starting 430105, and nothing of 430104 or 430106.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = %s",
                       [f"ledger_fact_{OTHER_COUNTY}"])
        assert cursor.fetchone()[0] == "FOR VALUES FROM ('430105') TO ('430106')"


@pytest.mark.django_db
def test_a_county_whose_rows_sit_in_the_default_partition_gets_them_moved(world):
    county = "430111"
    with connection.cursor() as cursor:  # written straight, as before partitioning or by hand
        cursor.execute("INSERT INTO ledger_fact (subject_kind, subject_id, element, value, valid_from, "
                       "recorded_at, source, org_code, note) VALUES ('person', 1, 'person.name', 'x', "
                       "%s, now(), 'import', %s, '')", [JAN, county + "001001"])
        cursor.execute("SELECT tableoid::regclass::text FROM ledger_fact WHERE org_code = %s", [county + "001001"])
        assert cursor.fetchone()[0] == "ledger_fact_default"
    assert partitions.ensure_counties([county + "001001"]) == [county]
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text, count(*) FROM ledger_fact WHERE org_code = %s "
                       "GROUP BY 1", [county + "001001"])
        assert cursor.fetchall() == [(f"ledger_fact_{county}", 1)]
    assert partitions.ensure_counties([county]) == []  # once


def plan(queryset) -> str:  # noqa: ANN001
    return queryset.explain()


@pytest.mark.django_db
def test_a_communitys_reads_plan_only_its_countys_partitions(world, far):
    community, worker = far
    write_people(worker, community, [person(id_number=WANG, name="王秀英")], valid_from=JAN)
    write_people(world.worker_a, world.community_a, [person(id_number="110105198001010016", name="李")],
                 valid_from=JAN)
    ids = [r.person_id for r in people_as_of(world.community_a.code, JUN)]
    residences = plan(residences_as_of(world.community_a.code, JUN))
    facts = plan(Fact.objects.filter(partitions.fact_county_q(world.community_a.code),
                                     subject_kind=SubjectKind.PERSON, subject_id__in=ids))
    for text in (residences, facts):
        assert "_430104" in text and f"_{OTHER_COUNTY}" not in text, text
    assert "ledger_residence_default" not in residences  # a community's range: its county alone
    # Facts also read the DEFAULT partition (blank codes from older rows): empty here.
    assert "ledger_fact_default" in facts


def rollup_plans(code: str, as_of_period: str = "2026Q2") -> list[str]:
    """EXPLAIN of every query the roll-up of `code` runs (shared with bench/bench_asof.py)."""
    from django.test.utils import CaptureQueriesContext

    from yibiao.reports.periods import parse_period
    from yibiao.reports.rollup import rollup

    indicators = [{"count": "person", "filter": [{"element": "person.phone", "op": "present"}]},
                  {"count": "person", "filter": [{"element": "person.age", "op": ">=", "value": "60"}]}]
    with CaptureQueriesContext(connection) as queries:
        rollup(code, parse_period(as_of_period), indicators)
    plans = []
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            if "ledger_fact" in query["sql"] or "ledger_residence" in query["sql"]:
                cursor.execute("EXPLAIN " + query["sql"])
                plans.append("\n".join(row[0] for row in cursor.fetchall()))
    return plans


@pytest.mark.django_db
def test_the_roll_up_reads_its_countys_partitions_only(world, far):
    community, worker = far
    write_people(worker, community, [person(id_number=WANG, name="王秀英", phone="13812345678")],
                 valid_from=JAN)
    write_people(world.worker_a, world.community_a, [person(id_number="110105198001010016", name="李",
                                                            phone="13812345679")], valid_from=JAN)
    plans = rollup_plans(world.county.code)
    assert plans
    for text in plans:
        assert "_430104" in text and f"_{OTHER_COUNTY}" not in text, text


@pytest.mark.django_db
def test_a_person_moved_across_counties_reads_the_same_from_the_destination_partition(world, far):
    """As of every date from the move on, the destination's pruned read equals a read of
    every partition: the facts a read needs followed the person (partitions.follow_people)."""
    community, worker = far
    write_people(world.worker_a, world.community_a,
                 [person(id_number=WANG, name="王秀英", phone="13812345678", disability_grade="2")],
                 valid_from=JAN)
    # Recorded in advance while still in 岳麓区: valid from after the move.
    write_people(world.worker_a, world.community_a, [person(id_number=WANG, disability_grade="3")],
                 valid_from=APR)
    wang = Person.objects.get(id_number=WANG)
    sent = write_people(worker, community, [person(id_number=WANG, name="王秀英", phone="13900000000")],
                        valid_from=MAR)
    assert len(sent.transfers) == 1
    transfers.confirm(world.worker_a, sent.transfers[0].transfer_id)
    # Recorded in 开福区 afterwards, dated before the move (a late correction).
    write_people(worker, community, [person(id_number=WANG, marital_status="20")], valid_from=dt.date(2026, 2, 1))
    assert where_rows_are("ledger_residence", wang.pk, "person_id") == {
        "ledger_residence_430104": 1, f"ledger_residence_{OTHER_COUNTY}": 1}
    for day in (MAR, dt.date(2026, 3, 15), APR, JUN, dt.date(2027, 1, 1)):
        rows = {r.person_id: r.values for r in people_as_of(community.code, day)}
        pruned = latest_facts(SubjectKind.PERSON, [wang.pk], day, within=community.code)[wang.pk]
        everywhere = latest_facts(SubjectKind.PERSON, [wang.pk], day)[wang.pk]
        assert pruned == everywhere, day
        assert {k: v for k, v in rows[wang.pk].items() if k in everywhere} == everywhere, day
    assert everywhere["person.disability_grade"] == "3" and everywhere["person.phone"] == "13900000000"
    # Before the move they lived in 岳麓区, whose partition read gives what it gave.
    before = {r.person_id: r.values for r in people_as_of(world.community_a.code, dt.date(2026, 2, 15))}
    assert before[wang.pk]["person.phone"] == "13812345678"
    # The person page lists each fact once (the copies are not shown).
    from yibiao.dictionary.rules import Rules
    from yibiao.ledger.people import person_history

    assert Fact.objects.filter(subject_id=wang.pk, note=partitions.COPY_NOTE, valid_from=JAN).count() == 3
    lines = [line for line in person_history(wang, Rules.load()) if line.valid_from == JAN]
    assert len(lines) == 3 + 1  # name, phone, grade; the residence in 岳麓区


@pytest.mark.django_db
def test_undoing_a_move_brings_the_facts_back_to_the_old_county(world, far):
    from yibiao.accounts.models import Role, User
    from yibiao.ledger.records import Undoable
    from yibiao.ledger.undo import undo_write

    community, _worker = far
    write_people(world.worker_a, world.community_a, [person(id_number=WANG, name="王秀英", phone="13812345678")],
                 valid_from=JAN)
    wang = Person.objects.get(id_number=WANG)
    city = User.objects.create(username="city_admin", role=Role.ADMIN, org_unit=None, is_superuser=True,
                               display_name="city")
    moved = write_people(city, community, [person(id_number=WANG, phone="13900000000")], valid_from=MAR,
                         undoable=Undoable("import", "move.xlsx"), on_foreign="refuse")
    assert Residence.objects.filter(person=wang, org_code__startswith=OTHER_COUNTY).exists()
    if not moved.person_ids:  # an administrator may not move directly here: nothing to undo
        pytest.skip("no direct cross-county move for this role")
    undo_write(city, moved.write_id)
    for day in (MAR, JUN):
        pruned = latest_facts(SubjectKind.PERSON, [wang.pk], day, within=world.community_a.code)[wang.pk]
        assert pruned == latest_facts(SubjectKind.PERSON, [wang.pk], day)[wang.pk]


@pytest.mark.django_db
def test_the_migration_back_and_forth_keeps_every_row_and_follows_earlier_moves(world, far):
    from django.db.migrations.executor import MigrationExecutor

    community, worker = far
    write_people(world.worker_a, world.community_a,
                 [person(id_number=WANG, name="王秀英", phone="13812345678", disability_grade="2")],
                 valid_from=JAN)
    wang = Person.objects.get(id_number=WANG)
    sent = write_people(worker, community, [person(id_number=WANG, phone="13900000000")], valid_from=MAR)
    transfers.confirm(world.worker_a, sent.transfers[0].transfer_id)

    def rows() -> tuple[list, list]:
        return (sorted(Fact.objects.values_list("id", "subject_id", "element", "value", "valid_from", "org_code",
                                                "note")),
                sorted(Residence.objects.values_list("id", "person_id", "org_code", "valid_from", "valid_to")))

    before = rows()
    with connection.cursor() as cursor:  # the writes' deferred checks now: a migration alters tables
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    executor = MigrationExecutor(connection)
    executor.migrate([("ledger", "0007_personstate_row_digest")])
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_partitioned_table")
        assert cursor.fetchone()[0] == 0
    assert rows() == before
    # As if the move had happened before partitioning: the copies gone, then made again.
    Fact.objects.filter(note=partitions.COPY_NOTE).delete()
    plain = rows()
    executor = MigrationExecutor(connection)
    executor.migrate([("ledger", "0008_partition_by_county")])
    assert partitions.partitioned()
    after = rows()
    assert after[1] == before[1]
    assert set(after[0]) >= set(plain[0])
    copied = [f for f in after[0] if f not in plain[0]]
    assert {(f[2], f[3], f[5][:6], f[6]) for f in copied} == {
        ("person.name", "王秀英", OTHER_COUNTY, partitions.COPY_NOTE),
        ("person.disability_grade", "2", OTHER_COUNTY, partitions.COPY_NOTE)}  # the phone was rewritten there
    for day in (MAR, JUN):
        pruned = latest_facts(SubjectKind.PERSON, [wang.pk], day, within=community.code)[wang.pk]
        assert pruned == latest_facts(SubjectKind.PERSON, [wang.pk], day)[wang.pk]
    # New ids continue after the old ones (the sequence kept its place).
    write_people(worker, community, [person(id_number=WANG, phone="13700000000")], valid_from=JUN)
    assert Fact.objects.order_by("-id").values_list("value", flat=True)[0] == "13700000000"
    assert Fact.objects.order_by("-id")[0].id > max(f[0] for f in after[0])
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # as found: the later migrations too


@pytest.mark.django_db(transaction=True)
def test_two_first_writes_into_a_new_county_at_once_both_land(world, monkeypatch):
    """Two writes start together in a county without partitions: one creates them, the other
    waits on the lock and finds them made (it failed "already exists" before)."""
    import threading

    from django.db import connections

    from yibiao.accounts.models import Role, User
    from yibiao.ledger import records
    from yibiao.orgunits.divisions import add_unit
    from yibiao.orgunits.models import Level, OrgUnit

    county = "430111"  # 雨花区: no other check writes there
    township = OrgUnit.objects.get(code=county).children.order_by("code").first()
    community = add_unit(township.code + "001", "圭塘社区", Level.COMMUNITY, township)
    worker = User.objects.create(username="worker_yuhua", role=Role.WORKER, org_unit=community,
                                 display_name="worker_yuhua")
    real, barrier = records.ensure_counties, threading.Barrier(2, timeout=30)

    def together(codes):  # noqa: ANN001, ANN202
        barrier.wait()
        return real(codes)

    monkeypatch.setattr(records, "ensure_counties", together)
    out: dict[int, object] = {}

    def write(i: int, id_number: str) -> None:
        try:
            out[i] = write_people(worker, community, [person(id_number=id_number, name=f"居民{i}")], valid_from=JAN)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            out[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(i, n)) for i, n in enumerate((WANG, "110105195001010039"))]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert [getattr(r, "created", r) for r in out.values()] == [1, 1]
        assert Fact.objects.filter(org_code__startswith=county).count() == 2
        assert {f"ledger_fact_{county}"} <= partitions_of("ledger_fact")
    finally:
        with connection.cursor() as cursor:
            for table in partitions.TABLES:
                cursor.execute(f"DROP TABLE IF EXISTS {table}_{county}")
        partitions._ready.clear()
