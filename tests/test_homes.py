"""Each role's home leads to its own work, and never lists another role's to-dos as its own.

The scene of tests/test_scope_security.py (two townships, two departments, admitted and
pending tables and work, a slipped-past report, export jobs) seen from each home page:
a worker's open tasks by due date (overdue and new marked) and inspections coming; a
reviewer's one queue of demands, overdue tasks counted per community, reports waiting; an
officer's demands with state and completion as one bar; an administrator's queue for the
whole tree plus the background jobs and the last backup.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from yibiao.accounts.models import User
from yibiao.reports.models import ExportJob, Task

from . import test_scope_security as security
from .conftest import PASSWORD, PersonaClient

scene = security.scene  # the fixture: both sides, every kind of object

pytestmark = pytest.mark.django_db


def home(user: User, client: PersonaClient | None = None) -> str:
    if client is None:
        client = PersonaClient()
        client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def section(page: str, element_id: str) -> str:
    """The HTML of the <section id=…> (empty when the page has none)."""
    found = re.search(rf'<section[^>]*id="{element_id}".*?</section>', page, re.S)
    return found.group(0) if found else ""


def test_a_worker_sees_open_tasks_by_due_date_overdue_and_new_marked(scene):
    worker = scene.users["worker_a"]
    task = scene.obj["task"]["a"]
    Task.objects.filter(pk=task.pk).update(due_date=timezone.localdate() - dt.timedelta(days=3))
    User.objects.filter(pk=worker.pk).update(home_seen_at=task.created_at - dt.timedelta(days=1))

    browser = PersonaClient()
    browser.force_login(worker)
    tasks = section(home(worker, browser), "tasks")
    assert f'href="/reports/tasks/{task.pk}/"' in tasks and "桃花岭健康随访表" in tasks
    assert "已逾期" in tasks and 'class="flag new"' in tasks
    # Reloading keeps what was new this session; the next session has seen it.
    assert 'class="flag new"' in section(home(worker, browser), "tasks")
    again = PersonaClient()
    again.force_login(worker)
    tasks = section(home(worker, again), "tasks")
    assert "桃花岭健康随访表" in tasks and 'class="flag new"' not in tasks and "已逾期" in tasks

    inspections = section(home(worker), "inspections")
    assert f'href="/gate/{scene.obj["item"]["a"].pk}/"' in inspections and "卫健出租房检查" in inspections


def test_a_worker_sees_neither_another_communitys_work_nor_anyones_review_queue(scene):
    page = home(scene.users["worker_a"])
    for foreign in ("民政养老服务表", "民政消防检查", "卫健待审表", "卫健待审任务"):
        assert foreign not in page
    for other_role in ("review-queue", "overdue", "slipped", "demands", "health"):
        assert not section(page, other_role)


def test_tasks_by_due_date_first_due_first(scene):
    worker = scene.users["worker_a"]
    task = scene.obj["task"]["a"]
    later = Task.objects.create(request=task.request, org_unit=task.org_unit, org_code=task.org_code,
                                period="2099-01", period_start=dt.date(2099, 1, 1),
                                period_end=dt.date(2099, 1, 31), due_date=dt.date(2099, 2, 5))
    tasks = section(home(worker), "tasks")
    assert tasks.index(f"/reports/tasks/{task.pk}/") < tasks.index(f"/reports/tasks/{later.pk}/")


def test_a_reviewer_sees_one_queue_overdue_counts_per_community_and_reports_waiting(scene):
    task = scene.obj["task"]["a"]
    Task.objects.filter(pk=task.pk).update(due_date=timezone.localdate() - dt.timedelta(days=1))
    page = home(scene.users["reviewer"])

    queue = section(page, "review-queue")
    for pending in ("卫健待审表", "民政待审表", "卫健待审任务", "民政待审任务"):  # tables and tasks, one queue
        assert pending in queue
    assert "外县市场表" not in queue  # another county: not the reviewer's
    assert "桃花岭健康随访表" not in queue  # admitted already

    overdue = section(page, "overdue")
    row = re.search(r"<tr><td[^>]*>桃花岭社区.*?</tr>", overdue, re.S)
    assert row and re.search(r">1</td>", row.group(0)), overdue
    assert "/reports/tasks/" not in page  # counts, never the communities' task list as a to-do
    assert "待办事项" not in page

    slipped = section(page, "slipped")
    assert f'/slipped/{scene.obj["report"]["b"].pk}/' in slipped  # new: waiting
    assert f'/slipped/{scene.obj["report"]["a"].pk}/' not in slipped  # converted: handled


def test_an_officer_sees_their_departments_demands_with_state_and_one_completion_bar(scene):
    page = home(scene.users["officer"])
    demands = section(page, "demands")
    for own in ("桃花岭健康随访表", "卫健待审表", "卫健出租房检查", "卫健待审任务"):
        assert own in demands
    for foreign in ("民政养老服务表", "民政待审表", "外县市场表"):
        assert foreign not in page
    admitted = re.search(r'<li data-kind="table" data-status="admitted">.*?</li>', demands, re.S).group(0)
    tasks = Task.objects.filter(request=scene.obj["request"]["a"], period=scene.period)
    assert admitted.count("<progress") == 1
    assert f'max="{tasks.count()}" value="0"' in admitted
    assert "待审核" in demands and "已准入" in demands
    assert not section(page, "review-queue") and not section(page, "tasks")


def test_an_administrator_sees_the_whole_queue_and_the_systems_health(scene, settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()
    ExportJob.objects.filter(pk=scene.obj["job"]["officer"].pk).update(
        status="failed", error="模板文件已被删除")
    page = home(scene.users["admin"])
    queue = section(page, "review-queue")
    for pending in ("卫健待审表", "民政待审表", "外县市场表", "外县食品检查"):  # the whole tree
        assert pending in queue
    health = section(page, "health")
    assert "模板文件已被删除" in health and 'class="failed"' in health
    assert "未知" in health  # no backup in the var directory

    (settings.VAR_DIR / "backup-2026-12-05.sqlite3").write_bytes(b"SQLite format 3\x00")
    assert "backup-2026-12-05.sqlite3" in section(home(scene.users["admin"]), "health")


def test_the_home_page_lists_at_most_a_page_of_anything(scene):
    """Counts, not whole tables: 30 pending demands show 20 and the total."""
    for n in range(30):
        security._item(scene.users["officer"], f"卫健批量任务{n:02d}", scene.obj["unit"]["township_a"], "task",
              ["elderly_alone"])
    queue = section(home(scene.users["reviewer"]), "review-queue")
    assert queue.count("<li") == 20
    assert "?status=submitted" in queue and "34" in queue


def test_a_logged_in_worker_lands_on_the_home_page(client, scene):
    assert client.login(username="worker_a", password=PASSWORD)
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("persona", ["reviewer", "officer", "admin", "worker_a"])
def test_the_home_page_asks_the_database_as_often_with_more_work(scene, persona):
    """Counted in the database, never a query per row: more demands and overdue tasks, the
    same number of queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = scene.users[persona]

    def queries() -> int:
        client = PersonaClient()
        client.force_login(user)
        client.get("/")  # the first visit records itself; count the next one
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/").status_code == 200
        return len(captured)

    before = queries()
    task = scene.obj["task"]["a"]
    for n in range(12):
        security._item(scene.users["officer"], f"卫健批量任务{n:02d}", scene.obj["unit"]["township_a"],
                       "task", ["elderly_alone"])
        Task.objects.create(request=task.request, org_unit=task.org_unit, org_code=task.org_code,
                            period=f"2020-{n + 1:02d}", period_start=dt.date(2020, n + 1, 1),
                            period_end=dt.date(2020, n + 1, 28), due_date=dt.date(2020, n + 1, 28))
    assert queries() == before


def _job_that_fails() -> None:
    raise ValueError("模板文件已被删除")


def _job_that_works(n: int) -> int:
    return n


def test_health_counts_the_redis_workers_jobs_when_jobs_run_on_redis():
    """With several job workers (YIBIAO_TASKS_BACKEND=redis) there is no task table: the
    counts and the latest failure come from RQ's queue and registries."""
    redis = pytest.importorskip("redis")
    from rq import Queue, SimpleWorker

    from yibiao.accounts.homes import JobCounts, rq_counts

    connection = redis.Redis.from_url("redis://127.0.0.1:6379/12")
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    connection.flushdb()
    try:
        queue = Queue("default", connection=connection)
        queue.enqueue(_job_that_fails)
        queue.enqueue(_job_that_works, 1)
        SimpleWorker([queue], connection=connection).work(burst=True)
        queue.enqueue(_job_that_works, 2)  # waiting: no worker left running
        counts, failures = rq_counts(queue)
        shown = JobCounts.of("后台任务", counts, failures)
        assert (shown.queued, shown.running, shown.done, shown.failed) == (1, 0, 1, 1)
        assert failures[0][1] == "_job_that_fails: ValueError: 模板文件已被删除"
        assert failures[0][0] is not None and failures[0][0].tzinfo is not None
    finally:
        connection.flushdb()


def test_the_calendar_reads_tasks_without_their_requests_analysis_and_template(scene):
    """The county's calendar lists a table's due date once for its communities' tasks: it
    needs the request's title and department, not its analysis, columns or template file,
    which it decoded for every task (2,660 JSON values, ~0.4 s for the demo's reviewer)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    task = scene.obj["task"]["a"]
    reviewer = scene.users["reviewer"]
    browser = PersonaClient()
    browser.force_login(reviewer)
    month = f"{task.due_date:%Y-%m}"
    with CaptureQueriesContext(connection) as queries:
        page = browser.get(f"/calendar/{reviewer.org_unit.code}/?month={month}").content.decode()
    assert task.request.title in page
    heavy = [q["sql"] for q in queries.captured_queries if "reports_task" in q["sql"] and (
        '"gate_demand"."analysis"' in q["sql"] or '"gate_demand"."template"' in q["sql"])]
    assert heavy == []
