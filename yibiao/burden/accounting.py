"""Burden figures for tasks and inspections, beside the table figures of burden.ledger.

Hours are what the departments estimated per community and occurrence (the estimate and
how it was made are on each item), times the communities reached, prorated by the days of
each occurrence inside the range. Joint inspections count once; the hours they saved are
the separate estimates minus the joint one.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field

from django.db.models import Count

from yibiao.accounts import scope
from yibiao.agenda.schedule import Window, occurrences
from yibiao.gate.models import EvidenceDemand, Kind, Status, WorkItem
from yibiao.orgunits.models import Level, OrgUnit, reaching_q, subtree_q
from yibiao.reports.periods import Period
from yibiao.slipped.models import Channel, ReportStatus, UnadmittedReport


@dataclass
class DepartmentLine:
    department: str
    task_hours: float = 0.0
    inspection_hours: float = 0.0
    evidence_struck: int = 0
    reports: int = 0
    reports_new: int = 0
    reports_converted: int = 0
    reports_dismissed: int = 0


@dataclass
class WorkloadFigures:
    org_code: str
    org_name: str
    first: str
    last: str
    task_hours: float = 0.0
    inspection_hours: float = 0.0
    items_received: int = 0
    items_admitted: int = 0
    items_rejected: int = 0
    evidence_demanded: int = 0
    evidence_struck: int = 0
    joint_inspections: int = 0
    inspections_replaced: int = 0
    hours_saved_by_joint: float = 0.0
    reports: int = 0
    reports_new: int = 0
    reports_converted: int = 0
    reports_dismissed: int = 0
    by_department: list[DepartmentLine] = field(default_factory=list)
    by_channel: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def communities_reached(item_scope: str, unit: OrgUnit) -> int:
    """Communities inside both the item's scope and the unit."""
    inner = item_scope if item_scope.startswith(unit.code) else unit.code
    if len(inner) >= 12:
        return 1
    return OrgUnit.objects.filter(subtree_q(inner), level=Level.COMMUNITY).count()


def _hours(item: WorkItem, hours: float, unit: OrgUnit, within: Window, reached: dict[str, int]) -> float:
    if item.scope.code not in reached:
        reached[item.scope.code] = communities_reached(item.scope.code, unit)
    windows = occurrences(item.start_date, item.end_date, item.frequency, within)
    share = sum(w.overlap_days(within) / w.days for w in windows)
    return hours * share * reached[item.scope.code]


def workload_figures(user: object, unit: OrgUnit, first: Period | dt.date,
                     last: Period | dt.date) -> WorkloadFigures:
    """Task and inspection hours, evidence struck, joint inspections and unadmitted reports."""
    scope.require_org_unit(user, unit)
    start = first.start if isinstance(first, Period) else first
    end = last.end if isinstance(last, Period) else last
    within = Window(start, end)
    result = WorkloadFigures(unit.code, unit.full_name, start.isoformat(), end.isoformat())
    lines: dict[str, DepartmentLine] = {}

    def line(name: str) -> DepartmentLine:
        return lines.setdefault(name, DepartmentLine(name))

    reaching = WorkItem.objects.filter(reaching_q(unit.code)).select_related("scope", "department")
    reached: dict[str, int] = {}
    admitted = reaching.filter(status=Status.ADMITTED, start_date__lte=end, end_date__gte=start) \
        .annotate(merged=Count("merged_from"))
    for item in admitted:
        hours = _hours(item, item.hours_per_community, unit, within, reached)
        if item.kind == Kind.TASK:
            result.task_hours += hours
            line(item.department.name).task_hours += hours
        else:
            result.inspection_hours += hours
            line(item.department.name).inspection_hours += hours
        if item.merged:
            originals = list(item.merged_from.all())
            result.joint_inspections += 1
            result.inspections_replaced += len(originals)
            separate = sum(o.hours_per_community for o in originals)
            result.hours_saved_by_joint += _hours(item, separate - item.hours_per_community,
                                                  unit, within, reached)
    received = reaching.filter(submitted_at__date__gte=start, submitted_at__date__lte=end,
                               merged_from__isnull=True)
    result.items_received = received.count()
    result.items_admitted = received.filter(status__in=[Status.ADMITTED, Status.WITHDRAWN,
                                                        Status.MERGED]).count()
    result.items_rejected = received.filter(status=Status.REJECTED).count()
    demands = EvidenceDemand.objects.filter(item__in=received)
    result.evidence_demanded = demands.count()
    for name in demands.filter(struck=True).values_list("item__department__name", flat=True):
        result.evidence_struck += 1
        line(name).evidence_struck += 1
    reports = UnadmittedReport.objects.filter(subtree_q(unit.code, "org_unit__code"),
                                              created_at__date__gte=start, created_at__date__lte=end)
    channels: Counter[str] = Counter()
    for name, status, channel in reports.values_list("department_name", "status", "channel"):
        entry = line(name)
        entry.reports += 1
        result.reports += 1
        channels[channel] += 1
        field_name = {ReportStatus.NEW: "reports_new", ReportStatus.CONVERTED: "reports_converted",
                      ReportStatus.DISMISSED: "reports_dismissed"}[status]
        setattr(entry, field_name, getattr(entry, field_name) + 1)
        setattr(result, field_name, getattr(result, field_name) + 1)
    labels = dict(Channel.choices)
    result.by_channel = {str(labels[c]): n for c, n in channels.most_common()}
    rounded = defaultdict(float)
    for entry in lines.values():
        entry.task_hours = round(entry.task_hours, 2)
        entry.inspection_hours = round(entry.inspection_hours, 2)
        rounded[entry.department] = entry.task_hours + entry.inspection_hours
    result.task_hours = round(result.task_hours, 2)
    result.inspection_hours = round(result.inspection_hours, 2)
    result.hours_saved_by_joint = round(result.hours_saved_by_joint, 2)
    result.by_department = sorted(lines.values(), key=lambda d: (-d.reports, -rounded[d.department],
                                                                 d.department))
    return result
