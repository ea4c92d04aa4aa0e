"""What each role's home page shows: the viewer's own work, counted in the database.

One function per role returns a plain dataclass for the template. Nothing here loads a
whole table: lists are cut at a few rows with the total beside them, the reviewer's
overdue tasks are one GROUP BY per community, the officer's completion one GROUP BY per
request and period. Every query starts from the scope module, so a role never sees
another's to-dos as if they were its own (a reviewer sees communities' overdue counts,
never their task list).

"New since the last visit" needs the previous visit: `User.home_seen_at`, written by the
home page (see `visit`). A field, not the session or last_login: last_login is set by the
very login that precedes the home page (nothing would ever be new), and a session is one
device's (a worker on phone and PC would see the same task as new twice).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from . import scope
from .models import Role, User

LIST_ROWS = 20  # rows of any home list; the total says how many more the linked page holds
OPEN = ("open", "ready", "returned")  # reports.models.TaskStatus: still the community's to do
DONE = ("submitted", "delivered")
SEEN_KEY = "home_since"  # the session keeps the previous visit for the whole session


def visit(request: Any, now: dt.datetime | None = None) -> dt.datetime | None:
    """The user's previous visit to the home page, and this one recorded.

    Kept in the session once read, so reloading the page does not wipe the marks of what
    is new; the next session compares with this one.
    """
    user = request.user
    now = now or timezone.now()
    if SEEN_KEY not in request.session:
        previous = user.home_seen_at
        request.session[SEEN_KEY] = previous.isoformat() if previous else ""
    if user.home_seen_at is None or now - user.home_seen_at > dt.timedelta(minutes=1):
        User.objects.filter(pk=user.pk).update(home_seen_at=now)
        user.home_seen_at = now
    since = request.session[SEEN_KEY]
    return dt.datetime.fromisoformat(since) if since else None


# --- worker --------------------------------------------------------------------------


@dataclass
class Todo:
    item: Any  # agenda.inbox.InboxItem
    overdue: bool
    new: bool


@dataclass
class WorkerHome:
    todos: list[Todo]
    inspections: list[Any]  # InboxItems of kind inspection, joint ones first
    overdue: int
    new: int
    first_visit: bool


def worker_home(user: Any, since: dt.datetime | None, today: dt.date) -> WorkerHome:
    """Open tasks and work items by due date, overdue and new marked; inspections coming."""
    from yibiao.agenda.inbox import inbox_items

    items = inbox_items(user, today)
    todos = [Todo(i, i.due < today, since is not None and i.since is not None and i.since > since)
             for i in items if i.kind != "inspection"]
    inspections = [i for i in items if i.kind == "inspection"]
    return WorkerHome(todos=todos, inspections=inspections,
                      overdue=sum(t.overdue for t in todos), new=sum(t.new for t in todos),
                      first_visit=since is None)


# --- reviewer (and administrator) ----------------------------------------------------


@dataclass
class CommunityCount:
    code: str
    name: str
    tasks: int
    oldest: dt.date


@dataclass
class ReviewerHome:
    waiting: list[Any]  # Demands awaiting review, oldest first
    waiting_total: int
    overdue: list[CommunityCount]
    overdue_tasks: int
    overdue_communities: int
    slipped: list[Any]  # UnadmittedReports not yet handled
    slipped_total: int


def reviewer_home(user: Any, today: dt.date) -> ReviewerHome:
    from yibiao.gate.models import Status
    from yibiao.reports.models import Task
    from yibiao.slipped.models import ReportStatus

    waiting = scope.visible_demands(user).filter(status=Status.SUBMITTED)
    overdue = scope.permitted(user, Task, scope.VIEW).filter(status__in=OPEN, due_date__lt=today)
    per_community = list(overdue.order_by().values("org_code", "org_unit__name")
                         .annotate(n=Count("pk"), oldest=Min("due_date"))
                         .order_by("-n", "oldest", "org_code"))
    slipped = scope.visible_unadmitted_reports(user).filter(status=ReportStatus.NEW)
    return ReviewerHome(
        waiting=list(waiting.order_by("submitted_at", "pk")[:LIST_ROWS]), waiting_total=waiting.count(),
        overdue=[CommunityCount(r["org_code"], r["org_unit__name"], r["n"], r["oldest"])
                 for r in per_community[:LIST_ROWS]],
        overdue_tasks=sum(r["n"] for r in per_community), overdue_communities=len(per_community),
        slipped=list(slipped.order_by("-pk")[:LIST_ROWS]), slipped_total=slipped.count())


# --- officer -------------------------------------------------------------------------


@dataclass
class Completion:
    period: str
    total: int
    done: int
    overdue: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


@dataclass
class OfficerDemand:
    demand: Any
    completion: Completion | None  # admitted tables: their latest period across communities


@dataclass
class OfficerHome:
    demands: list[OfficerDemand]
    total: int
    by_status: dict[str, int] = field(default_factory=dict)


def officer_home(user: Any, today: dt.date) -> OfficerHome:
    """The department's demands, newest first, each admitted table with its latest period's
    completion across the communities it reached (one bar, not a row per community)."""
    from yibiao.gate.models import Kind, Status
    from yibiao.reports.models import Task

    demands = scope.visible_demands(user)
    shown = list(demands.order_by("-submitted_at", "-pk")[:LIST_ROWS])
    tables = [d.pk for d in shown if d.kind == Kind.TABLE and d.status == Status.ADMITTED]
    latest = dict(Task.objects.filter(request_id__in=tables).order_by().values("request_id")
                  .annotate(p=Max("period_end")).values_list("request_id", "p"))
    counts: dict[int, Completion] = {}
    if latest:
        rows = (Task.objects.filter(request_id__in=latest, period_end__in=set(latest.values()))
                .order_by().values("request_id", "period", "period_end")
                .annotate(total=Count("pk"), done=Count("pk", filter=Q(status__in=DONE)),
                          overdue=Count("pk", filter=Q(status__in=OPEN, due_date__lt=today))))
        for r in rows:
            if latest.get(r["request_id"]) == r["period_end"]:
                counts[r["request_id"]] = Completion(r["period"], r["total"], r["done"], r["overdue"])
    by_status = dict(demands.order_by().values_list("status").annotate(n=Count("pk")))
    return OfficerHome([OfficerDemand(d, counts.get(d.pk)) for d in shown],
                       total=sum(by_status.values()), by_status=by_status)


# --- administrator: system health ----------------------------------------------------


# django-tasks' statuses and our jobs' own, in one vocabulary for the page.
JOB_STATES = {"queued": "queued", "ready": "queued", "running": "running", "done": "done",
              "successful": "done", "failed": "failed"}


@dataclass
class JobCounts:
    name: str  # what kind of job, for people
    queued: int
    running: int
    done: int
    failed: int
    failures: list[tuple[dt.datetime | None, str]]  # the latest: when, what went wrong

    @classmethod
    def of(cls, name: str, counts: dict[str, int],
           failures: list[tuple[dt.datetime | None, str]]) -> JobCounts:
        states = dict.fromkeys(("queued", "running", "done", "failed"), 0)
        for status, n in counts.items():
            states[JOB_STATES.get(status.lower(), "queued")] += n
        return cls(name, failures=failures, **states)


@dataclass
class Health:
    jobs: list[JobCounts]
    backup: dt.datetime | None
    backup_name: str


# The backups docs/deploy.md tells an operator to make, where it tells them to keep them.
BACKUP_PATTERNS = ("backup-*.sqlite3", "yibiao-*.dump", "media-*.tgz")


def last_backup(folder: Path | None = None) -> tuple[dt.datetime | None, str]:
    """The newest backup file in the var directory (docs/deploy.md §6), if any is there.

    Backups kept elsewhere (as they should be, off the machine) are unknown to the server.
    """
    folder = folder or Path(settings.VAR_DIR)
    newest: tuple[float, str] | None = None
    for pattern in BACKUP_PATTERNS:
        for path in folder.glob(pattern):
            stamp = path.stat().st_mtime
            if newest is None or stamp > newest[0]:
                newest = (stamp, path.name)
    if newest is None:
        return None, ""
    return dt.datetime.fromtimestamp(newest[0], tz=dt.UTC), newest[1]


def rq_counts(queue: Any) -> tuple[dict[str, int], list[tuple[dt.datetime | None, str]]]:
    """Background jobs on the Redis backend (RQ's queue and registries), as health shows
    them: with several job workers there is no table of tasks to count."""
    counts = {"queued": queue.count, "running": queue.started_job_registry.count,
              "done": queue.finished_job_registry.count, "failed": queue.failed_job_registry.count}
    failed_ids = queue.failed_job_registry.get_job_ids(0, 4, desc=True)
    failures = []
    for job in queue.job_class.fetch_many(failed_ids, connection=queue.connection):
        if job is None:  # expired between the two reads
            continue
        last_line = (job.latest_result().exc_string if job.latest_result() else "").strip().splitlines()
        failures.append((job.ended_at and job.ended_at.replace(tzinfo=dt.UTC),
                         f"{(job.func_name or '').rsplit('.', 1)[-1]}: {last_line[-1] if last_line else ''}"))
    return counts, failures


def health() -> Health:
    from django.utils.translation import gettext as _
    from django_tasks_db.models import DBTaskResult

    from yibiao.intake.models import ImportJob
    from yibiao.reports.models import ExportJob

    def counts(model: Any) -> dict[str, int]:
        return dict(model.objects.order_by().values_list("status").annotate(n=Count("pk")))

    if settings.TASKS_BACKEND == "redis":
        import django_rq

        tasks, tasks_failed = rq_counts(django_rq.get_queue("default"))
    else:
        tasks = counts(DBTaskResult)
        tasks_failed = [(r.finished_at, f"{r.task_path.rsplit('.', 1)[-1]}: {r.exception_class_path.rsplit('.', 1)[-1]}")
                        for r in DBTaskResult.objects.filter(status="FAILED")
                        .only("finished_at", "task_path", "exception_class_path").order_by("-enqueued_at")[:5]]
    exports_failed = [(j.finished_at, j.error) for j in ExportJob.objects.filter(status="failed")
                      .only("finished_at", "error").order_by("-pk")[:5]]
    imports_failed = [(j.finished_at, j.error or j.error_code) for j in ImportJob.objects
                      .filter(status="failed").only("finished_at", "error", "error_code").order_by("-pk")[:5]]
    stamp, name = last_backup()
    return Health(jobs=[
        JobCounts.of(_("后台任务"), tasks, tasks_failed),
        JobCounts.of(_("报表导出"), counts(ExportJob), exports_failed),
        JobCounts.of(_("台账导入"), counts(ImportJob), imports_failed)], backup=stamp, backup_name=name)


def role_of(user: Any) -> str:
    """Which home a user gets: an administrator with an org unit is still an administrator."""
    return user.role if user.role in Role.values else Role.WORKER
