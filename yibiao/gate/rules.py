"""Every limit of the gate, set per reviewing org unit, and the limits that span several
demands, checked when one is submitted.

A unit's limits apply to it and everything below; where several units on the way up set
one, the strictest applies: a township may tighten its county's limits, never loosen them.
The time per cell and per form and the workers per community are estimates, not limits:
the nearest unit's stand.

A demand's own limits (basis, frequency, sensitive columns; dates, hours, evidence) are
checked by its kind's workflow; the ones here count a department's demands together, as
the 2024 为基层减负若干规定 does: at most so many inspections by one department in a year,
and no more typed cells a year than the department already asked (只减不增).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from yibiao.accounts import scope
from yibiao.audit.log import record
from yibiao.audit.models import Action
from yibiao.dictionary.models import Element
from yibiao.orgunits.models import OrgUnit, codes_at_or_above
from yibiao.refusals import Reason, Refusal

from .models import FREQUENCY_RANK, Demand, Frequency, GateRules, Kind, Status


class RulesError(Refusal, ValueError):
    """Limits a reviewer set that cannot be stored (a ValueError too, as before)."""


# Each limit a reviewer may set: its check and the refusal when the value is out of range.
LIMITS: dict[str, tuple[object, str]] = {
    "max_frequency": (lambda v: v in Frequency.values, "rules_frequency_unknown"),
    "element_max_frequency": (None, ""),  # checked element by element below
    "require_basis": (lambda v: isinstance(v, bool), "rules_flag"),
    "sensitive_needs_justification": (lambda v: isinstance(v, bool), "rules_flag"),
    "seconds_per_cell": (lambda v: v is None or 0 < v < 36000, "rules_seconds_positive"),
    "seconds_per_form": (lambda v: v is None or 0 < v < 36000, "rules_seconds_positive"),
    "weekly_hours_ceiling": (lambda v: 0 < v <= 60, "load_ceiling_range"),
    "max_inspections_per_quarter": (lambda v: 0 <= v <= 50, "load_inspections_range"),
    "max_inspections_per_department_year": (lambda v: v is None or 0 <= v <= 50,
                                            "rules_inspections_year_range"),
    "workers_per_community": (lambda v: 1 <= v <= 100, "load_workers_range"),
    "max_new_typed_cells_per_year": (lambda v: v is None or 0 <= v <= 10**9, "rules_cells_range"),
}


# Limits where the lower number is the stricter (None: no limit).
AT_MOST = ("weekly_hours_ceiling", "max_inspections_per_quarter",
           "max_inspections_per_department_year", "max_new_typed_cells_per_year")


def _stricter(a: object, b: object) -> object:
    return b if a is None else a if b is None else min(a, b)


def in_force(code: str, configured: dict[str, GateRules], unit: OrgUnit | None = None) -> GateRules:
    """The limits for the unit with this code: the strictest of every configured unit at or
    above it; estimates from the nearest; defaults when none is set. Not saved."""
    chain = [configured[c] for c in reversed(codes_at_or_above(code)) if c in configured]
    if not chain:
        return GateRules(org_unit=unit) if unit is not None else GateRules()
    nearest_rules = chain[0]
    result = GateRules(org_unit_id=nearest_rules.org_unit_id, **{
        f.attname: getattr(nearest_rules, f.attname) for f in GateRules._meta.concrete_fields
        if f.attname not in ("id", "org_unit_id")})
    result.element_max_frequency = dict(nearest_rules.element_max_frequency or {})
    for above in chain[1:]:
        for name in AT_MOST:
            setattr(result, name, _stricter(getattr(result, name), getattr(above, name)))
        if FREQUENCY_RANK[above.max_frequency] < FREQUENCY_RANK[result.max_frequency]:
            result.max_frequency = above.max_frequency
        result.require_basis = result.require_basis or above.require_basis
        result.sensitive_needs_justification = (result.sensitive_needs_justification
                                                or above.sensitive_needs_justification)
        for element, frequency in (above.element_max_frequency or {}).items():
            mine = result.element_max_frequency.get(element)
            if mine is None or FREQUENCY_RANK[frequency] < FREQUENCY_RANK[mine]:
                result.element_max_frequency[element] = frequency
    return result


def all_rules() -> dict[str, GateRules]:
    return {r.org_unit.code: r for r in GateRules.objects.select_related("org_unit")}


def rules_for(unit: OrgUnit) -> GateRules:
    """The limits in force for a unit (see in_force)."""
    configured = {r.org_unit.code: r for r in GateRules.objects.filter(
        org_unit__code__in=codes_at_or_above(unit.code)).select_related("org_unit")}
    return in_force(unit.code, configured, unit)


def own_rules(unit: OrgUnit) -> GateRules:
    """What the unit itself set, for its rules page; what is in force above it when it set
    nothing yet (the starting point of its own)."""
    return GateRules.objects.filter(org_unit=unit).first() or rules_for(unit)


def _problems(changes: dict[str, object]) -> list[Reason]:
    reasons = []
    for name, value in changes.items():
        if name not in LIMITS:
            raise TypeError(f"no gate limit named {name}")
        check, code = LIMITS[name]
        if check is not None and not check(value):
            reasons.append(Reason(code))
    for element, frequency in (changes.get("element_max_frequency") or {}).items():
        if not Element.objects.filter(code=element).exists():
            reasons.append(Reason("rules_element_unknown", element=element))
        elif frequency not in Frequency.values:
            reasons.append(Reason("rules_element_frequency_unknown", element=element, frequency=frequency))
    return reasons


@transaction.atomic
def configure(actor: object, unit: OrgUnit, **changes: object) -> GateRules:
    """A reviewer sets limits for their unit and everything below it; audited before/after."""
    scope.require(actor, "review_requests")
    scope.require_org_unit(actor, unit)
    reasons = _problems(changes)
    if reasons:
        raise RulesError(reasons)
    rules, _ = GateRules.objects.select_for_update().get_or_create(org_unit=unit)
    before = {name: getattr(rules, name) for name in changes}
    for name, value in changes.items():
        setattr(rules, name, value)
    rules.save()
    record(actor, Action.CHANGE, subject_kind="gate_rules", subject_id=unit.code, org_code=unit.code,
           step="gate_rules", before=before, after=changes)
    return rules


def _year(day: dt.date) -> tuple[dt.date, dt.date]:
    return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)


def inspection_limits(item: Demand, config: GateRules) -> list[Reason]:
    """At most so many inspections by one department in a year (a joint one counts for each
    department taking part); merged originals and refused ones do not count."""
    limit = config.max_inspections_per_department_year
    if limit is None or item.kind != Kind.INSPECTION or item.start_date is None:
        return []
    first, last = _year(item.start_date)
    same = Demand.objects.filter(
        Q(department=item.department) | Q(joint_with=item.department), kind=Kind.INSPECTION,
        status__in=(Status.SUBMITTED, Status.ADMITTED), start_date__range=(first, last),
    ).exclude(pk=item.pk).distinct().count()
    if same + 1 > limit:
        return [Reason("inspections_per_department_year", department=item.department.name,
                       year=item.start_date.year, count=same, limit=limit)]
    return []


def typed_cells_per_year(demand: Demand) -> int:
    return int((demand.analysis or {}).get("burden", {}).get("cells_per_year") or 0)


def table_limits(request: Demand, result: object, config: GateRules) -> list[Reason]:
    """只减不增: the cells a year the department's tables ask the grassroots to type, added
    since the start of the year (admitted minus withdrawn, with this one), within the limit."""
    limit = config.max_new_typed_cells_per_year
    if limit is None:
        return []
    start = dt.datetime(timezone.localdate().year, 1, 1, tzinfo=dt.UTC)
    department = Demand.objects.filter(kind=Kind.TABLE, department=request.department,
                                       decided_at__gte=start).exclude(pk=request.pk)
    added = sum(typed_cells_per_year(d) for d in department.filter(status=Status.ADMITTED))
    removed = sum(typed_cells_per_year(d) for d in department.filter(status=Status.WITHDRAWN))
    asked = int(result.burden.cells_per_year)
    net = added - removed + asked
    if asked and net > limit:
        return [Reason("new_typed_cells_over", department=request.department.name,
                       asked=asked, net=net, limit=limit)]
    return []
