"""No lost task cell, no reverted submission: two real connections race on one task.

Two workers of one community save the same cell at the same moment, or one saves while the
other submits. Each worker runs in its own thread with its own database connection, so
PostgreSQL's row locks (and SQLite's immediate write transactions) decide, not the order of
Python statements. Every round must end with exactly one value stored and the other worker
told "conflict" with both values, the typed-cells counter raised once per stored save, and
a submission never turned back into "ready".

The data is committed for real (the threads cannot see a test's open transaction) and
removed afterwards by hand, as in test_ledger_conflict: a transactional test would flush
the reference data (division codes, dictionary) that the whole run loads once.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import connection

from yibiao.ledger.masking import mask
from yibiao.ledger.models import EditConflict, Fact, Person, Residence
from yibiao.ledger.records import PersonInput, write_people
from yibiao.reports import tasks
from yibiao.reports.models import Task, TaskStatus, TaskValue
from yibiao.reports.periods import parse_period

ROUNDS = 20
WANG = "11010519491231002X"
PERIOD = parse_period("2026-11")
LIST_COLUMNS = [
    {"column": "A", "header": "序号", "element": "meta.seq"},
    {"column": "B", "header": "姓名", "element": "person.name"},
    {"column": "C", "header": "公民身份号码", "element": "person.id_number"},
    {"column": "D", "header": "联系电话", "element": "person.phone"},
]
AGGREGATE_COLUMNS = [
    {"column": "A", "header": "网格", "element": "org.grid"},
    {"column": "B", "header": "本月走访次数", "element": None},
]


@dataclass
class Race:
    workers: tuple  # two workers of one community
    person: Person
    list_task: Task  # one row (王秀英), 联系电话 in column D
    aggregate_task: Task  # one row (the grid), 本月走访次数 in column B
    person_key: str
    unit_key: str


@pytest.fixture
def race(django_db_setup, django_db_blocker):  # noqa: ARG001 - the test database, set up
    """A community with a grid, two workers, one resident with a phone, and two admitted
    monthly requests with their November tasks: committed, removed afterwards."""
    from yibiao.accounts.models import Department, Role, User
    from yibiao.audit.models import AuditEntry
    from yibiao.gate.models import FormRequest, Status
    from yibiao.orgunits.divisions import add_unit
    from yibiao.orgunits.models import Level, OrgUnit

    with django_db_blocker.unblock():
        if not OrgUnit.objects.filter(code="430104003").exists():
            from yibiao.setup import initialise

            initialise()  # a transactional test before this one flushed the reference data
        township = OrgUnit.objects.get(code="430104003")
        community = add_unit("430104003997", "并发填报社区", Level.COMMUNITY, township)
        grid = add_unit(community.code + "001", "并发第一网格", Level.GRID, community)
        department = Department.objects.create(name="并发测试局", short_name="并发")
        workers = tuple(User.objects.create(username=f"task-race-{n}", role=Role.WORKER,
                                            org_unit=community) for n in (1, 2))
        write_people(workers[0], grid, [PersonInput({"person.id_number": WANG, "person.name": "王秀英",
                                                     "person.phone": "13812345678"})],
                     valid_from=dt.date(2026, 1, 1))
        person = Person.objects.get(id_number=WANG)

        def admitted(title: str, columns: list[dict], layout: str) -> Task:
            request = FormRequest.objects.create(
                title=title, department=department, basis="《通知》（并发〔2026〕1号）",
                frequency="monthly", scope=community, template="race.xlsx",
                template_name="race.xlsx", subject="person", layout=layout, columns=columns,
                status=Status.ADMITTED, submitted_by=workers[0])
            return tasks.create_tasks(request, PERIOD)[0]

        list_task = admitted("并发名单表", LIST_COLUMNS, "list")
        aggregate_task = admitted("并发统计表", AGGREGATE_COLUMNS, "aggregate")
        try:
            yield Race(workers, person, list_task, aggregate_task, f"p:{person.pk}", f"o:{grid.code}")
        finally:
            FormRequest.objects.filter(department=department).delete()  # tasks, values with it
            EditConflict.objects.filter(person=person).delete()
            Fact.objects.filter(subject_id=person.pk).delete()
            Residence.objects.filter(person=person).delete()
            person.delete()
            AuditEntry.objects.filter(actor__in=workers).delete()
            for worker in workers:
                worker.delete()
            department.delete()
            grid.delete()
            community.delete()


def run_together(django_db_blocker, *calls: Callable[[], object]) -> list[object]:
    """Run the calls at the same moment, each in its own thread and database connection;
    each result is what the call returned or the exception it raised."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        with django_db_blocker.unblock():
            try:
                barrier.wait()
                results[index] = call()
            except Exception as error:  # noqa: BLE001 - the race's outcome, judged by the test
                results[index] = error
            finally:
                connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def save(worker, task_id: int, row_key: str, column: str, value: str, seen: dict[str, int]):
    """A worker's save as the page sends it, on their own copy of the task."""
    return lambda: tasks.complete(worker, Task.objects.get(pk=task_id), {(row_key, column): value}, seen)


def stored(task_id: int, row_key: str, column: str) -> str | None:
    """The cell as the task's report shows it now."""
    task = Task.objects.get(pk=task_id)
    position = [c["column"] for c in task.request.columns].index(column)
    row = next(r for r in tasks.report_for(task).rows if r.key == row_key)
    return row.cells[position].value


def seen_now(race: Race, kind: str) -> dict[str, int]:
    """The version a page opened now would carry for the raced cell."""
    if kind == "person":
        return {race.person_key: Person.objects.get(pk=race.person.pk).version}
    cell = TaskValue.objects.filter(task=race.aggregate_task, row_key=race.unit_key[2:],  # the code
                                    column="B").first()
    return {f"{race.unit_key}|B": cell.version} if cell else {}


def the_cell(race: Race, kind: str) -> tuple[int, str, str]:
    if kind == "person":
        return race.list_task.pk, race.person_key, "D"
    return race.aggregate_task.pk, race.unit_key, "B"


def typed_values(kind: str, n: int) -> tuple[str, str]:
    if kind == "person":
        return f"138{n:04d}0001", f"139{n:04d}0002"
    return str(2 * n + 1), str(2 * n + 2)


@pytest.mark.parametrize("kind", ["person", "aggregate"])
def test_two_saves_of_one_cell_one_is_stored_the_other_told_conflict(race, django_db_blocker, kind):
    task_id, row_key, column = the_cell(race, kind)
    tally: Counter[str] = Counter()
    silent_overwrites = saved_total = 0
    with django_db_blocker.unblock():
        typed_before = Task.objects.get(pk=task_id).cells_typed
    for n in range(ROUNDS):
        values = typed_values(kind, n)
        with django_db_blocker.unblock():
            seen = seen_now(race, kind)
        results = run_together(django_db_blocker, *(
            save(worker, task_id, row_key, column, value, seen)
            for worker, value in zip(race.workers, values, strict=True)))
        assert not [r for r in results if isinstance(r, Exception)], results
        saved = [v for v, r in zip(values, results, strict=True) if r.saved]
        lost = [(v, r.conflicts) for v, r in zip(values, results, strict=True) if r.conflicts]
        saved_total += len(saved)
        with django_db_blocker.unblock():
            now = stored(task_id, row_key, column)
        if len(saved) == 2:
            silent_overwrites += 1
            tally["both saved"] += 1
            continue
        assert len(saved) == 1 and len(lost) == 1, (n, results)
        tally["one saved, one conflict"] += 1
        (typed, (conflict,)), = lost
        assert now == saved[0]  # the stored value is the one its worker was told was saved
        shown = mask("phone", saved[0]) if kind == "person" else saved[0]
        assert (conflict.row_key, conflict.column, conflict.typed, conflict.stored) \
            == (row_key, column, typed, shown)  # both values, for the worker to decide
    with django_db_blocker.unblock():
        typed_after = Task.objects.get(pk=task_id).cells_typed
        kept = EditConflict.objects.filter(person=race.person).count()
    print(f"\n{kind}: {ROUNDS} rounds on {connection.vendor}: {dict(tally)}; "
          f"silent overwrites {silent_overwrites}; cells_typed +{typed_after - typed_before} "
          f"for {saved_total} stored saves")
    assert silent_overwrites == 0
    assert typed_after - typed_before == saved_total == ROUNDS
    if kind == "person":
        assert kept == ROUNDS  # what each losing worker typed is kept, as for person edits


@pytest.mark.parametrize("kind", ["person", "aggregate"])
def test_a_save_racing_a_submission_never_reverts_it(race, django_db_blocker, kind):
    task_id, row_key, column = the_cell(race, kind)
    submitter, saver = race.workers
    with django_db_blocker.unblock():
        if kind == "aggregate":  # the one missing cell filled, so the task can be submitted
            tasks.complete(saver, Task.objects.get(pk=task_id), {(row_key, column): "0"})
        assert Task.objects.get(pk=task_id).cells_missing == 0
    tally: Counter[str] = Counter()
    reverted = 0
    for n in range(ROUNDS):
        value = typed_values(kind, n)[0]
        with django_db_blocker.unblock():
            Task.objects.filter(pk=task_id).update(status=TaskStatus.READY, submitted_by=None,
                                                   submitted_at=None)
            seen = seen_now(race, kind)
            before = stored(task_id, row_key, column)
        submitted, saved = run_together(
            django_db_blocker,
            lambda: tasks.submit(submitter, Task.objects.get(pk=task_id)),
            save(saver, task_id, row_key, column, value, seen))
        assert not isinstance(submitted, Exception), submitted
        with django_db_blocker.unblock():
            task = Task.objects.get(pk=task_id)
            now = stored(task_id, row_key, column)
        if task.status != TaskStatus.SUBMITTED or task.submitted_by_id != submitter.pk:
            reverted += 1
            continue
        if isinstance(saved, tasks.TaskError):  # the submission came first: the save is refused
            assert "已报送" in str(saved) and now == before
            tally["save refused after submit"] += 1
        else:  # the save came first, whole, and was submitted with the task
            assert saved.saved and now == value, saved
            tally["save applied before submit"] += 1
    print(f"\n{kind}: {ROUNDS} rounds on {connection.vendor}: {dict(tally)}; reverted {reverted}")
    assert reverted == 0
