"""What a task page and a completion cost: each report is built once, and only where it can change.

Found by the load test (bench/loadtest.py): the task page built this period's report twice,
completing a task rebuilt every open task of the community, including earlier periods that
cannot see what was typed, and the as-of read let PostgreSQL walk the whole county's facts.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yibiao.ledger import snapshot
from yibiao.ledger.records import PersonInput, write_people
from yibiao.reports import prefill, tasks
from yibiao.reports.periods import parse_period

from .conftest import PASSWORD
from .test_tasks import LIST, admit, task_for

pytestmark = pytest.mark.django_db
NOV, DEC = parse_period("2026-11"), parse_period("2026-12")


@pytest.fixture
def ledger(world):
    write_people(world.worker_a, world.grid_a, [
        PersonInput({"person.id_number": i, "person.name": n})
        for i, n in [("11010519491231002X", "王秀英"), ("430104199001010019", "李明"),
                     ("430104198506150027", "张丽")]], valid_from=dt.date(2026, 1, 1))
    return world


@pytest.fixture
def builds(monkeypatch):
    """Every report built, as (request title, period key)."""
    built: list[tuple[str, str]] = []
    real = prefill.build_report

    def counting(request, unit, period, **kwargs):  # noqa: ANN001, ANN202
        built.append((request.title, period.key))
        return real(request, unit, period, **kwargs)

    monkeypatch.setattr(prefill, "build_report", counting)
    return built


def test_the_task_page_builds_this_periods_report_once(client, ledger, tmp_path, builds):
    request = admit(ledger, tmp_path, LIST)
    task_for(request, NOV)
    december = task_for(request, DEC)
    client.login(username="worker_a", password=PASSWORD)
    builds.clear()
    page = client.get(f"/reports/tasks/{december.pk}/").content.decode()
    assert "与上期相比" in page
    assert sorted(builds) == [("表", "2026-11"), ("表", "2026-12")]  # last period's, and this one once


def test_completing_a_task_recounts_later_open_tasks_but_not_earlier_ones(ledger, tmp_path, builds):
    request = admit(ledger, tmp_path, LIST)
    november, december = task_for(request, NOV), task_for(request, DEC)
    li = next(r.key for r in tasks.report_for(december).rows if r.cells[2].value == "李明")
    missing_nov = november.cells_missing

    builds.clear()
    tasks.complete(ledger.worker_a, december, {(li, "G"): "13700001111"})
    assert ("表", "2026-11") not in builds  # a fact valid from 31 Dec is not in November
    november.refresh_from_db()
    assert november.cells_missing == missing_nov

    builds.clear()
    tasks.complete(ledger.worker_a, november, {(li, "G"): "13700001111"})
    assert ("表", "2026-12") in builds
    december.refresh_from_db()
    assert december.cells_missing == tasks.report_for(december).count(prefill.MISSING)


def test_the_as_of_read_takes_facts_by_the_ids_read_not_by_a_join_on_residences(ledger):
    with CaptureQueriesContext(connection) as queries:
        rows = snapshot.people_as_of(ledger.community_a.code, DEC.end)
    facts = [q["sql"] for q in queries.captured_queries if "ledger_fact" in q["sql"]]
    assert len(rows) == 2 and len(facts) == 1
    assert "ledger_residence" not in facts[0]


def test_the_as_of_read_in_small_chunks_reads_the_same(ledger, monkeypatch):
    whole = snapshot.people_as_of(ledger.community_a.code, DEC.end)
    monkeypatch.setattr(snapshot, "ID_CHUNK", 1)
    with CaptureQueriesContext(connection) as queries:
        chunked = snapshot.people_as_of(ledger.community_a.code, DEC.end)
    assert chunked == whole
    assert sum("ledger_fact" in q["sql"] for q in queries.captured_queries) == 2  # one per person
