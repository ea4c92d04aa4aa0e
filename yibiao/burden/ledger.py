"""The burden ledger (减负账本): exact counts of what was asked, filled and typed, and what
the admission gate stopped, per org unit, department, community and period.

Counts come from what happened (tasks' per-cell accounting, requests' decisions); hours
are estimated from them with the configured seconds per cell and per form, and those
assumptions travel with every figure.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth

from yibiao.accounts import scope
from yibiao.gate.models import FormRequest, Status
from yibiao.orgunits.models import OrgUnit, reaching_q, subtree_q
from yibiao.reports.models import Task, TaskStatus
from yibiao.reports.periods import Period


@dataclass
class Assumptions:
    seconds_per_cell: float
    seconds_per_form: float

    def hours(self, cells: int, forms: int) -> float:
        return round((cells * self.seconds_per_cell + forms * self.seconds_per_form) / 3600, 2)


@dataclass
class Line:
    """One row of the ledger: a department, a community or a period."""

    key: str
    label: str
    tasks: int = 0
    cells_asked: int = 0
    cells_auto: int = 0
    cells_typed: int = 0
    cells_empty: int = 0
    forms_touched: int = 0
    zero_touch: int = 0  # tasks no one typed into: ready at once, delivered or confirmed
    hours_spent: float = 0.0
    hours_by_hand: float = 0.0
    hours_saved: float = 0.0
    share_auto: float = 0.0


@dataclass
class Gate:
    received: int = 0
    admitted: int = 0
    rejected: int = 0
    returned: int = 0
    pending: int = 0
    duplicates_stopped: int = 0
    stopped_cells_per_year: int = 0
    stopped_hours_per_year: float = 0.0


@dataclass
class Figures:
    org_code: str
    org_name: str
    period_from: str
    period_to: str
    assumptions: Assumptions
    total: Line
    gate: Gate
    by_department: list[Line] = field(default_factory=list)
    by_community: list[Line] = field(default_factory=list)
    by_period: list[Line] = field(default_factory=list)
    re_asked: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def assumptions() -> Assumptions:
    return Assumptions(settings.YIBIAO_SECONDS_PER_CELL, settings.YIBIAO_SECONDS_PER_FORM)


SUMS = {
    "tasks": Count("id"),
    "cells_asked": Sum("cells_asked"),
    "ledger": Sum("cells_from_ledger"),
    "derived": Sum("cells_derived"),
    "system": Sum("cells_system"),
    "typed": Sum("cells_typed"),
    "empty": Sum("cells_missing"),
    "forms_touched": Count("id", filter=Q(cells_typed__gt=0)),
    "zero_touch": Count("id", filter=Q(cells_typed=0, status__in=[TaskStatus.READY,
                                                                  TaskStatus.DELIVERED,
                                                                  TaskStatus.SUBMITTED])),
}


def _line(key: str, label: str, row: dict, basis: Assumptions) -> Line:
    asked = row["cells_asked"] or 0
    typed = row["typed"] or 0
    line = Line(key, label, row["tasks"], asked,
                (row["ledger"] or 0) + (row["derived"] or 0) + (row["system"] or 0), typed,
                row["empty"] or 0, row["forms_touched"], row["zero_touch"])
    line.hours_spent = basis.hours(typed, line.forms_touched)
    line.hours_by_hand = basis.hours(asked, line.tasks)
    line.hours_saved = round(line.hours_by_hand - line.hours_spent, 2)
    line.share_auto = round(line.cells_auto / asked, 4) if asked else 0.0
    return line


def figures(user: object, unit: OrgUnit, first: Period, last: Period) -> Figures:
    """The burden ledger of a unit the user may see, over a range of periods."""
    scope.require_org_unit(user, unit)
    basis = assumptions()
    tasks = Task.objects.filter(subtree_q(unit.code, "org_code"),
                                period_start__gte=first.start, period_end__lte=last.end)
    total = _line(unit.code, unit.name, tasks.aggregate(**SUMS), basis)
    by_department = [
        _line(str(row["request__department"]), row["request__department__name"], row, basis)
        for row in tasks.values("request__department", "request__department__name")
        .annotate(**SUMS).order_by("-cells_asked")]
    # By the month each period ends in: monthly, quarterly and yearly tasks on one time axis.
    by_period = [_line(f"{row['month']:%Y-%m}", f"{row['month']:%Y-%m}", row, basis)
                 for row in tasks.annotate(month=TruncMonth("period_end")).values("month")
                 .annotate(**SUMS).order_by("month")]
    names = dict(OrgUnit.objects.filter(subtree_q(unit.code), level="community")
                 .values_list("code", "name"))
    by_community = [_line(row["org_code"], names.get(row["org_code"], row["org_code"]), row, basis)
                    for row in tasks.values("org_code").annotate(**SUMS).order_by("org_code")]
    return Figures(unit.code, unit.full_name, first.key, last.key, basis, total,
                   gate(unit, first, last), by_department, by_community, by_period,
                   re_asked(unit))


def relevant_requests(unit: OrgUnit):  # noqa: ANN201
    """Requests that reach the unit or a part of it."""
    return FormRequest.objects.filter(reaching_q(unit.code))


def gate(unit: OrgUnit, first: Period, last: Period) -> Gate:
    requests = relevant_requests(unit).filter(submitted_at__date__gte=first.start,
                                              submitted_at__date__lte=last.end)
    result = Gate(received=requests.count())
    for request in requests:
        analysis = request.analysis or {}
        if request.status in (Status.ADMITTED, Status.WITHDRAWN):
            result.admitted += 1
        elif request.status == Status.REJECTED:
            result.rejected += 1
            burden = analysis.get("burden", {})
            result.stopped_cells_per_year += burden.get("hand_cells_per_period", 0) * \
                burden.get("periods_per_year", 1)
            result.stopped_hours_per_year = round(result.stopped_hours_per_year +
                                                  burden.get("hand_hours_per_year", 0.0), 2)
            if analysis.get("duplicate_of"):
                result.duplicates_stopped += 1
        elif request.status == Status.RETURNED:
            result.returned += 1
        else:
            result.pending += 1
    return result


def re_asked(unit: OrgUnit) -> list[dict]:
    """Departments that asked for what the ledger already held: columns served by it."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"columns": 0, "held": 0})
    for request in relevant_requests(unit).select_related("department"):
        for column in (request.analysis or {}).get("columns", []):
            entry = counts[request.department.name]
            entry["columns"] += 1
            entry["held"] += column.get("kind") in ("held", "derived", "system")
    return [{"department": name, **c, "share": round(c["held"] / c["columns"], 3) if c["columns"] else 0}
            for name, c in sorted(counts.items(), key=lambda kv: -kv[1]["held"])]

