"""Reads on a real streaming replica: run by tests/test_replica.py, never on their own.

That test starts a PostgreSQL primary and a hot standby made from it with `pg_basebackup -R`,
then runs this file in a process whose DATABASE_URL is the primary and YIBIAO_REPLICA_URL
the standby. These tests work on real databases, committed, not on Django's test copies
(which the standby could not receive as they are made): each uses units of its own.

The proof of where a read went: replay is paused on the standby (pg_wal_replay_pause), a
change committed on the primary, and the lag-tolerant read still shows the old value while
the read after a write, the read in a transaction and every page that is not lag-tolerant
show the new one.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import InternalError, connections, transaction
from django.http import HttpResponse
from django.test import Client, RequestFactory

from yibiao.replica import PIN_COOKIE, PinAfterWrite, reads_may_lag, unit_of_work

_codes = itertools.count(901)


@pytest.fixture(scope="session", autouse=True)
def database(django_db_blocker) -> Iterator[None]:  # noqa: ANN001
    """The primary migrated and loaded as `yibiao init` does; queries allowed in every test."""
    assert "replica" in connections.databases, "YIBIAO_REPLICA_URL is not set"
    with django_db_blocker.unblock():
        from yibiao.setup import initialise

        initialise()
        yield


def _one(alias: str, sql: str, params: tuple = ()) -> object:
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def _caught_up() -> None:
    """Until the standby has replayed everything the primary has written (at most 60 s)."""
    target = _one("default", "SELECT pg_current_wal_lsn()")
    deadline = time.monotonic() + 60
    while not _one("replica", "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,)):
        assert time.monotonic() < deadline, "the standby did not catch up within 60 s"
        time.sleep(0.05)


@contextmanager
def replica_behind() -> Iterator[None]:
    """The standby stops replaying: what is committed inside reaches only the primary."""
    _caught_up()
    _one("replica", "SELECT pg_wal_replay_pause()::text")
    deadline = time.monotonic() + 60
    while _one("replica", "SELECT pg_get_wal_replay_pause_state()") != "paused":
        assert time.monotonic() < deadline, "replay did not pause"
        time.sleep(0.05)
    try:
        yield
    finally:
        _one("replica", "SELECT pg_wal_replay_resume()::text")
        _caught_up()


def _community(name: str):  # noqa: ANN202
    """A community of its own below a real township of 岳麓区."""
    from yibiao.orgunits.divisions import add_unit
    from yibiao.orgunits.models import Level, OrgUnit

    township = OrgUnit.objects.filter(code__startswith="430104", level=Level.TOWNSHIP).order_by("code").first()
    return add_unit(f"{township.code}{next(_codes):03d}", name, Level.COMMUNITY, township)


def _admin():  # noqa: ANN202
    from yibiao.accounts.models import Role, User

    user, _ = User.objects.get_or_create(username="replica_admin", defaults={
        "role": Role.ADMIN, "is_staff": True, "is_superuser": True, "display_name": "管理员"})
    return user


def _name(pk: int) -> str:
    from yibiao.orgunits.models import OrgUnit

    return OrgUnit.objects.get(pk=pk).name


def test_the_replica_is_a_streaming_hot_standby():
    assert _one("replica", "SELECT pg_is_in_recovery()") is True
    assert _one("default", "SELECT pg_is_in_recovery()") is False
    deadline = time.monotonic() + 60  # a standby just started may still be catching up
    while _one("default", "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'") != 1:
        assert time.monotonic() < deadline, "no standby streaming from the primary"
        time.sleep(0.05)


def test_a_lag_tolerant_read_comes_from_the_replica_everything_else_from_the_primary():
    unit = _community("旧名社区")
    with replica_behind():
        with unit_of_work():
            unit.name = "新名社区"
            unit.save()
        with unit_of_work():
            assert _name(unit.pk) == "新名社区"  # not marked: the primary
            with reads_may_lag():
                assert _name(unit.pk) == "旧名社区"  # the replica, a moment behind
        with unit_of_work(), reads_may_lag():
            assert _name(unit.pk) == "旧名社区"
            _admin().save(update_fields=["last_login"])  # any write in this unit of work …
            assert _name(unit.pk) == "新名社区"  # … and the reads after it see the primary
        with unit_of_work(), reads_may_lag(), transaction.atomic():
            assert _name(unit.pk) == "新名社区"  # inside a transaction: the primary
    with unit_of_work(), reads_may_lag():
        assert _name(unit.pk) == "新名社区"  # replay resumed: the replica has it too


def test_a_write_inside_a_lag_tolerant_block_goes_to_the_primary():
    from yibiao.orgunits.models import OrgUnit

    unit = _community("写入社区")
    with replica_behind():
        with unit_of_work(), reads_may_lag():
            OrgUnit.objects.filter(pk=unit.pk).update(name="写入后社区")
        assert _name(unit.pk) == "写入后社区"
        # Were a write ever sent there, the standby would refuse it.
        with (pytest.raises(InternalError, match="read-only transaction"),
              connections["replica"].cursor() as cursor):
            cursor.execute("UPDATE orgunits_orgunit SET name = 'x' WHERE id = %s", [unit.pk])


def test_the_roll_up_reads_the_replica_and_a_workers_own_read_the_primary():
    from yibiao.ledger.records import PersonInput, write_people
    from yibiao.reports.periods import parse_period
    from yibiao.reports.rollup import rollup

    unit = _community("统计社区")
    admin = _admin()

    def register(id_number: str, name: str) -> None:
        with unit_of_work():
            result = write_people(admin, unit, [PersonInput({"person.id_number": id_number,
                                                             "person.name": name})],
                                  valid_from=dt.date(2026, 1, 1))
            assert not result.rejected, result.rejected

    persons = [{"count": "person", "filter": []}, {"count": "person", "filter": [
        {"element": "person.age", "op": ">=", "value": "60"}]}]
    november = parse_period("2026-11")
    register("11010519491231002X", "王秀英")
    with replica_behind():
        register("430104195305060017", "李建国")
        with unit_of_work():
            assert rollup(unit, november, persons).of(unit.code) == [2, 2]  # the primary
            with reads_may_lag():
                assert rollup(unit, november, persons).of(unit.code) == [1, 1]  # the replica
    with unit_of_work(), reads_may_lag():
        assert rollup(unit, november, persons).of(unit.code) == [2, 2]


def test_pages_search_on_the_replica_and_show_a_unit_from_the_primary():
    unit = _community("搜索旧名社区")
    client = Client()
    client.force_login(_admin())
    with replica_behind():
        with unit_of_work():
            unit.name = "搜索新名社区"
            unit.save()
        found = json.loads(client.get("/orgunits/search/", {"q": unit.code}).content)["results"]
        assert [r["name"] for r in found if r["code"] == unit.code] == ["搜索旧名社区"]  # search: replica
        page = client.get(f"/org/{unit.code}/").content.decode()
        assert "搜索新名社区" in page and "搜索旧名社区" not in page  # the unit's own page: primary


def test_a_browser_that_wrote_reads_from_the_primary_for_a_while():
    from yibiao.orgunits.models import OrgUnit

    unit = _community("表单旧名社区")

    def edit(request):  # noqa: ANN001, ANN202 - a form's POST: writes, then shows a lag-tolerant page
        OrgUnit.objects.filter(pk=unit.pk).update(name="表单新名社区")
        with reads_may_lag():
            return HttpResponse(_name(unit.pk))

    def dashboard(request):  # noqa: ANN001, ANN202 - the page the form redirects to
        with reads_may_lag():
            return HttpResponse(_name(unit.pk))

    factory = RequestFactory()
    with replica_behind():
        posted = PinAfterWrite(edit)(factory.post("/edit/"))
        assert posted.content.decode() == "表单新名社区"  # after its own write: the primary
        assert PIN_COOKIE in posted.cookies
        follow = factory.get("/dashboard/")
        follow.COOKIES[PIN_COOKIE] = posted.cookies[PIN_COOKIE].value
        assert PinAfterWrite(dashboard)(follow).content.decode() == "表单新名社区"
        assert PinAfterWrite(dashboard)(factory.get("/dashboard/")).content.decode() == "表单旧名社区"
