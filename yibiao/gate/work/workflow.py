"""Submitting a task or inspection, and what only work has at the gate: its checks (dates,
hours, subjects, every evidence demand justified), striking an evidence demand (audited as
Action.CHANGE with step="strike_evidence") and merging two inspections into one joint one.

The steps themselves are the gate's one state machine (gate/machine.py). Only admitted
items ever reach a worker's calendar or inbox.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yibiao.accounts import scope
from yibiao.accounts.models import Department
from yibiao.audit.log import record
from yibiao.audit.models import Action
from yibiao.gate import machine, rules
from yibiao.gate.machine import GateRefused
from yibiao.gate.models import (
    EvidenceDemand,
    EvidenceKind,
    Frequency,
    Kind,
    Status,
    Subject,
    WorkItem,
)
from yibiao.gate.tables.workflow import find_department
from yibiao.refusals import Reason

from . import analysis

MAX_HOURS = 200.0  # per community per occurrence: more is a typo, not a plan
MIN_BASIS = 4


@dataclass
class Evidence:
    what: str
    justification: str = ""
    kind: str = EvidenceKind.OTHER


@dataclass
class NewWorkItem:
    kind: str
    title: str
    department: str
    basis: str
    scope_code: str
    start: dt.date | None
    end: dt.date | None
    hours_per_community: float | None
    estimate_basis: str
    frequency: str = Frequency.ONCE
    subjects: list[str] = field(default_factory=list)
    subjects_note: str = ""
    description: str = ""
    evidence: list[Evidence] = field(default_factory=list)


def check(new: NewWorkItem) -> list[str]:
    """Every reason the item cannot go to review as it stands (none: it may)."""
    reasons = []
    if new.kind not in Kind.values:
        reasons.append(Reason("item_kind_unknown"))
    if not new.title.strip():
        reasons.append(Reason("item_title_missing"))
    if len(new.basis.strip()) < MIN_BASIS:
        reasons.append(Reason("item_basis_missing"))
    if new.frequency not in Frequency.values:
        reasons.append(Reason("item_frequency_unknown", choices=", ".join(Frequency.values)))
    if new.start is None or new.end is None:
        reasons.append(Reason("item_dates_missing"))
    elif new.end < new.start:
        reasons.append(Reason("item_dates_reversed"))
    if new.hours_per_community is None or not 0 < new.hours_per_community <= MAX_HOURS:
        reasons.append(Reason("item_hours_missing", limit=f"{MAX_HOURS:g}"))
    if len(new.estimate_basis.strip()) < 2:
        reasons.append(Reason("item_estimate_missing"))
    unknown = [s for s in new.subjects if s not in Subject.values]
    if unknown:
        reasons.append(Reason("item_subject_unknown", codes="、".join(unknown), codes_en=", ".join(unknown),
                              choices=", ".join(Subject.values)))
    if not new.subjects and not new.subjects_note.strip():
        reasons.append(Reason("item_subject_missing"))
    for number, demand in enumerate(new.evidence, 1):
        if not demand.what.strip():
            reasons.append(Reason("evidence_what_missing", number=number))
        elif len(demand.justification.strip()) < 2:
            reasons.append(Reason("evidence_reason_missing", what=demand.what.strip()))
        if demand.kind not in EvidenceKind.values:
            reasons.append(Reason("evidence_kind_unknown", choices=", ".join(EvidenceKind.values)))
    return reasons


def load_limits(result: analysis.Analysis) -> list[Reason]:
    """The limits on what lands on communities, as the analysis found them with this item
    added: the weekly hours per worker and the inspections per community per quarter."""
    reasons = []
    if result.load.over_count:
        worst = result.load.over[0]
        reasons.append(Reason("load_over_ceiling", count=result.load.over_count, community=worst.name,
                              week=worst.week, hours=f"{worst.hours_per_worker:g}",
                              ceiling=f"{result.load.ceiling:g}"))
    for breach in result.load.quarter_breaches:
        reasons.append(Reason("inspections_per_quarter_over", **breach))
    return reasons


def _store_analysis(item: WorkItem) -> analysis.Analysis:
    result = analysis.analyse(item)
    WorkItem.objects.filter(pk=item.pk).update(analysis=result.as_dict())
    item.analysis = result.as_dict()
    return result


def _fill(item: WorkItem, new: NewWorkItem, department: Department, unit: object) -> None:
    item.kind = new.kind
    item.title = new.title.strip()
    item.department = department
    item.basis = new.basis.strip()
    item.scope = unit
    item.start_date = new.start
    item.end_date = new.end
    item.frequency = new.frequency
    item.hours_per_community = float(new.hours_per_community or 0)
    item.estimate_basis = new.estimate_basis.strip()
    item.subjects = list(dict.fromkeys(new.subjects))
    item.subjects_note = new.subjects_note.strip()
    item.description = new.description.strip()


def _replace_evidence(item: WorkItem, evidence: list[Evidence]) -> None:
    item.evidence.filter(struck=False).delete()
    EvidenceDemand.objects.bulk_create(
        EvidenceDemand(item=item, kind=e.kind, what=e.what.strip(), justification=e.justification.strip())
        for e in evidence)


def submit(actor: object, new: NewWorkItem) -> WorkItem:
    """Store a department's task or inspection, analysed; refuse it with every reason if incomplete."""
    scope.require(actor, "submit_requests")
    unit = scope.get_visible_org_unit(actor, new.scope_code)
    reasons = check(new)
    if reasons:
        raise GateRefused(reasons)
    department = find_department(actor, new.department)
    with transaction.atomic():
        item = WorkItem(submitted_by=actor)
        _fill(item, new, department, unit)
        limits = rules.inspection_limits(item, rules.rules_for(unit))
        if limits:
            raise GateRefused(limits)
        item.save()
        _replace_evidence(item, new.evidence)
        result = _store_analysis(item)
        if limits := load_limits(result):
            raise GateRefused(limits)  # the whole submission rolls back
        machine.flip(actor, item, "submit", Status.SUBMITTED, fresh=True, verdict=result.verdict)
    return item


@transaction.atomic
def decide(actor: object, item: WorkItem, action: str, reason: str = "") -> WorkItem:
    """Admit, return, reject or withdraw; refuse what the state machine or the role does not allow."""
    if action in ("merge", "resubmit"):
        raise GateRefused("action_needs_own_step", action=machine.ACTION_NAMES[action], action_en=action)
    locked = machine.take(actor, item, action, reason)
    locked.decided_at = timezone.now()
    locked.decision_reason = reason.strip()
    locked.analysis = analysis.analyse(locked).as_dict()
    machine.flip(actor, locked, action, machine.TRANSITIONS[(locked.status, action)], reason)
    return locked


@transaction.atomic
def resubmit(actor: object, item: WorkItem, new: NewWorkItem) -> WorkItem:
    """The department corrects a returned item (or one converted from a worker's report)."""
    locked = machine.take(actor, item, "resubmit")
    unit = scope.get_visible_org_unit(actor, new.scope_code)
    reasons = check(new)
    if reasons:
        raise GateRefused(reasons)
    _fill(locked, new, locked.department, unit)
    limits = rules.inspection_limits(locked, rules.rules_for(unit))
    if limits:
        raise GateRefused(limits)
    _replace_evidence(locked, new.evidence)
    result = analysis.analyse(locked)
    if limits := load_limits(result):
        raise GateRefused(limits)
    locked.analysis = result.as_dict()
    machine.flip(actor, locked, "resubmit", Status.SUBMITTED, verdict=locked.analysis.get("verdict"))
    return locked


@transaction.atomic
def strike(actor: object, item: WorkItem, demand_id: int, reason: str) -> EvidenceDemand:
    """The reviewer strikes an evidence demand (过度留痕): the department may no longer ask for it."""
    scope.require(actor, "review_requests")
    scope.require_may(actor, scope.CHANGE, item)
    if item.status not in (Status.SUBMITTED, Status.ADMITTED):
        raise GateRefused("evidence_not_removable")
    demand = EvidenceDemand.objects.select_for_update().filter(item=item, pk=demand_id).first()
    if demand is None:
        raise GateRefused("evidence_missing")
    if demand.struck:
        raise GateRefused("evidence_already_removed")
    if len(reason.strip()) < 2:
        raise GateRefused("reason_required", action=_("删除留痕要求"), action_en="strike an evidence demand")
    demand.struck = True
    demand.struck_reason = reason.strip()
    demand.struck_by = actor
    demand.struck_at = timezone.now()
    demand.save()
    record(actor, Action.CHANGE, subject_kind="evidence_demand", subject_id=demand.pk,
           org_code=item.scope.code, reason=reason.strip(), step="strike_evidence",
           work_item=item.pk, what=demand.what)
    _store_analysis(item)
    return demand


@transaction.atomic
def merge(actor: object, item: WorkItem, other: WorkItem, reason: str = "",
          hours: float | None = None) -> WorkItem:
    """Two inspections of the same subjects become one admitted joint inspection (多检合一).

    The joint visit happens in the window both allow, with both departments; the community
    prepares once, so its effort is the larger of the two unless the reviewer says otherwise.
    Evidence demands still standing are carried over. Both originals become `merged`.
    """
    if item.pk == other.pk:
        raise GateRefused("merge_with_itself")
    first = machine.take(actor, item, "merge")
    second = machine.take(actor, other, "merge")
    reasons = []
    if first.kind != Kind.INSPECTION or second.kind != Kind.INSPECTION:
        reasons.append(Reason("merge_only_inspections"))
    if first.scope_id != second.scope_id:
        reasons.append(Reason("merge_scopes_differ", first=first.scope.name, second=second.scope.name))
    if first.frequency != second.frequency:
        reasons.append(Reason("merge_frequencies_differ"))
    start, end = max(first.start_date, second.start_date), min(first.end_date, second.end_date)
    if end < start:
        reasons.append(Reason("merge_dates_apart"))
    if hours is not None and not 0 < hours <= MAX_HOURS:
        reasons.append(Reason("merge_hours_range", limit=f"{MAX_HOURS:g}"))
    if reasons:
        raise GateRefused(reasons)
    separate = first.hours_per_community + second.hours_per_community
    joint_hours = hours if hours is not None else max(first.hours_per_community,
                                                      second.hours_per_community)
    joint = WorkItem.objects.create(
        kind=Kind.INSPECTION, title=f"联合检查：{first.title} + {second.title}"[:200],
        department=first.department, basis=f"{first.basis}；{second.basis}"[:300],
        scope=first.scope, start_date=start, end_date=end, frequency=first.frequency,
        hours_per_community=joint_hours,
        estimate_basis=(f"一次联合迎检：合并前分别 {first.hours_per_community:g} 和 "
                        f"{second.hours_per_community:g} 小时，取{'审核人核定值' if hours else '较大者'}"),
        subjects=list(dict.fromkeys([*first.subjects, *second.subjects])),
        subjects_note="；".join(s for s in (first.subjects_note, second.subjects_note) if s)[:200],
        description="\n\n".join(s for s in (first.description, second.description) if s),
        status=Status.ADMITTED, submitted_by=actor, decided_at=timezone.now(),
        decision_reason=reason.strip() or "多检合一")
    joint.joint_with.set({d for d in (second.department, *first.joint_with.all(),
                                      *second.joint_with.all()) if d.pk != first.department_id})
    for source in (first, second):
        for demand in source.evidence.filter(struck=False):
            EvidenceDemand.objects.create(item=joint, kind=demand.kind, what=demand.what,
                                          justification=f"{demand.justification}（{source.department.name}）"[:300])
    machine.flip(actor, joint, "merge", Status.ADMITTED, reason.strip() or "多检合一", fresh=True,
                 merged=[first.pk, second.pk], hours_saved=round(separate - joint_hours, 2))
    for source in (first, second):
        source.merged_into = joint
        source.decided_at = timezone.now()
        source.decision_reason = reason.strip() or f"并入第 {joint.pk} 号联合检查"
        machine.flip(actor, source, "merge", Status.MERGED, source.decision_reason, joint=joint.pk)
    _store_analysis(joint)
    return joint

