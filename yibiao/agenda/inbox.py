"""One inbox: everything admitted a worker must do — tables, tasks, inspections — by due date.

Nothing outside this list is legitimate work from upstream; what reaches a worker by other
ways is reported through slipped.report.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from yibiao.accounts import scope
from yibiao.gate.models import Kind, Status
from yibiao.reports.tasks import open_tasks

from .schedule import Window, occurrences

HORIZON_DAYS = 92  # a quarter ahead: next quarter's inspections are worth knowing about
KIND_LABELS = {"table": gettext_lazy("报表"), Kind.TASK: gettext_lazy("工作任务"), Kind.INSPECTION: gettext_lazy("督查检查")}


@dataclass
class InboxItem:
    kind: str  # table | task | inspection
    title: str
    department: str
    place: str
    due: dt.date
    hours: float
    url: str
    start: dt.date | None = None
    cells_missing: int | None = None  # tables only: what the ledger could not fill
    joint: bool = False
    evidence: list[str] = field(default_factory=list)
    since: dt.datetime | None = None  # when it reached the unit: the home page marks what is new

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))


def _table_hours(cells_missing: int) -> float:
    return round((cells_missing * settings.YIBIAO_SECONDS_PER_CELL
                  + settings.YIBIAO_SECONDS_PER_FORM) / 3600, 2)


def inbox_items(user: object, today: dt.date | None = None) -> list[InboxItem]:
    """Open table tasks plus the current occurrence of each admitted task and inspection."""
    today = today or timezone.localdate()
    items = [
        InboxItem("table", task.request.title, task.request.department.name, task.org_unit.name,
                  task.due_date, _table_hours(task.cells_missing), reverse("reports:task", args=[task.pk]),
                  task.period_start, task.cells_missing, since=task.created_at)
        for task in open_tasks(user)]
    if scope.can(user, "edit_ledger"):
        horizon = Window(today, today + dt.timedelta(days=HORIZON_DAYS))
        work = (scope.visible_work_items(user)
                .filter(status=Status.ADMITTED, end_date__gte=today, start_date__lte=horizon.end)
                .prefetch_related("joint_with", "evidence", "merged_from"))
        for item in work:
            upcoming = occurrences(item.start_date, item.end_date, item.frequency, horizon)
            if not upcoming:
                continue
            window = upcoming[0]
            joint = bool(item.merged_from.all())
            items.append(InboxItem(
                item.kind, item.title, "、".join(item.departments()), item.scope.name, window.end,
                item.hours_per_community, reverse("gate:detail", args=[item.pk]), window.start,
                None, joint,
                [d.what for d in item.evidence.all() if not d.struck], item.decided_at))
    return sorted(items, key=lambda i: (i.due, i.kind, i.title))
