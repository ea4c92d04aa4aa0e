"""The joint calendar of a community or township: table deadlines, tasks and inspections.

One list of events built from what is admitted — the same list feeds the month and week
pages and the iCalendar file, so a phone shows exactly what the page shows.
"""

from __future__ import annotations

import calendar as stdcal
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yibiao.accounts import scope
from yibiao.gate.models import Kind, Status
from yibiao.orgunits.models import OrgUnit, reaching_q, subtree_q
from yibiao.reports.models import TaskStatus
from yibiao.reports.periods import parse_period
from yibiao.reports.tasks import visible_tasks

from . import ical
from .schedule import Window, occurrences

LONG_SPAN = 7  # events longer than this show on their first and last day only in the month grid
KIND_LABELS = {"table": gettext_lazy("报表"), Kind.TASK: gettext_lazy("任务"), Kind.INSPECTION: gettext_lazy("检查")}


@dataclass
class Event:
    uid: str
    kind: str  # table | task | inspection
    title: str
    start: dt.date
    end: dt.date  # inclusive
    departments: list[str]
    hours: float | None = None
    detail: str = ""
    url: str = ""
    joint: bool = False

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))

    @property
    def window(self) -> Window:
        return Window(self.start, self.end)


def events(user: object, unit: OrgUnit, first: dt.date, last: dt.date) -> list[Event]:
    """Everything admitted that lands on the unit between the two dates, sorted by date."""
    scope.require_org_unit(user, unit)
    within = Window(first, last)
    found: list[Event] = []
    items = (scope.visible_work_items(user).filter(reaching_q(unit.code), status=Status.ADMITTED,
                                                   start_date__lte=last, end_date__gte=first)
             .prefetch_related("joint_with").annotate(merged=Count("merged_from")))
    for item in items:
        for window in occurrences(item.start_date, item.end_date, item.frequency, within):
            found.append(Event(
                f"workitem-{item.pk}-{window.start:%Y%m%d}@yibiao", item.kind, item.title,
                window.start, window.end, item.departments(), item.hours_per_community,
                item.scope.name, reverse("gate:detail", args=[item.pk]), item.merged > 0))
    tasks = (visible_tasks(user).filter(subtree_q(unit.code, "org_code"),
                                        due_date__gte=first, due_date__lte=last)
             .exclude(status=TaskStatus.DELIVERED)
             # A request's analysis, columns and template are big JSON: the calendar needs its title.
             .select_related("request__department", "org_unit")
             .only("id", "request_id", "org_unit_id", "due_date", "period", "status", "org_unit__name",
                   "request__title", "request__department__name"))
    grouped: dict[tuple[int, dt.date, str], list] = defaultdict(list)
    for task in tasks:
        grouped[(task.request_id, task.due_date, task.period)].append(task)
    for (request_id, due, period), group in grouped.items():
        request = group[0].request
        said = _period_shown(period)
        detail = (_("%(period)s，%(n)s 个社区") % {"period": said, "n": len(group)} if len(group) > 1
                  else _("%(period)s，%(unit)s") % {"period": said, "unit": group[0].org_unit.name})
        url = reverse("reports:task", args=[group[0].pk]) if len(group) == 1 else \
            reverse("gate:detail", args=[request_id])
        found.append(Event(f"table-{request_id}-{period}-{unit.code}@yibiao", "table",
                           _("报表截止：%(title)s") % {"title": request.title}, due, due, [request.department.name],
                           None, detail, url))
    return sorted(found, key=lambda e: (e.start, e.end, e.kind, e.title))


def _period_shown(key: str) -> str:
    """2026Q4 as the page's language writes it (2026年第4季度, 2026 Q4); a key that does not
    read as a period is shown as stored."""
    try:
        return parse_period(key).shown
    except ValueError:
        return key


@dataclass
class Day:
    date: dt.date
    in_month: bool
    events: list[Event] = field(default_factory=list)
    today: bool = False


def month_grid(found: list[Event], year: int, month: int, today: dt.date) -> list[list[Day]]:
    """Weeks (Monday first) of the month; a long event shows on its first and last day only."""
    weeks = []
    for week in stdcal.Calendar(firstweekday=0).monthdatescalendar(year, month):
        row = []
        for day in week:
            shown = [e for e in found if e.start <= day <= e.end and
                     (e.window.days <= LONG_SPAN or day in (e.start, e.end))]
            row.append(Day(day, day.month == month, shown, day == today))
        weeks.append(row)
    return weeks


def week_days(found: list[Event], monday: dt.date, today: dt.date) -> list[Day]:
    days = [monday + dt.timedelta(days=n) for n in range(7)]
    return [Day(day, True, [e for e in found if e.start <= day <= e.end], day == today) for day in days]


def to_ics(unit: OrgUnit, found: list[Event], stamp: dt.datetime, base_url: str = "") -> bytes:
    return ical.calendar(f"{unit.name} 联合日历", [
        ical.IcsEvent(
            e.uid, f"【{e.kind_label}】{e.title}", e.start, e.end,
            "；".join(part for part in (
                "部门：" + "、".join(e.departments),
                "联合检查（多检合一）" if e.joint else "",
                f"每社区预计 {e.hours:g} 小时" if e.hours else "",
                e.detail) if part),
            (e.kind_label,), base_url + e.url if base_url and e.url else "")
        for e in found], stamp)
