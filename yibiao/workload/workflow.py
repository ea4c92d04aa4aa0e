"""Submitting a task or inspection and moving it through review: one explicit state machine.

    submitted ──admit──▶ admitted ──withdraw──▶ withdrawn
        │  ├──reject──▶ rejected          │
        │  └──return──▶ returned ──resubmit──▶ submitted
        └──────merge──▶ merged ◀──merge───┘   (two inspections become one joint inspection)

Every transition is checked against TRANSITIONS, made by a permitted user, stored as a
Transition row and audited (Action.REQUEST_TRANSITION with step=…). Striking an evidence
demand is audited as Action.CHANGE with step="strike_evidence". Only admitted items ever
reach a worker's calendar or inbox.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from yibiao.accounts import scope
from yibiao.accounts.models import Department, Role
from yibiao.admission.models import Frequency
from yibiao.admission.workflow import find_department
from yibiao.audit.log import record
from yibiao.audit.models import Action
from yibiao.refusals import Reason, Refusal

from . import analysis
from .models import EvidenceDemand, EvidenceKind, Kind, Status, Subject, Transition, WorkItem

TRANSITIONS: dict[tuple[str, str], str] = {
    (Status.SUBMITTED, "admit"): Status.ADMITTED,
    (Status.SUBMITTED, "return"): Status.RETURNED,
    (Status.SUBMITTED, "reject"): Status.REJECTED,
    (Status.RETURNED, "resubmit"): Status.SUBMITTED,
    (Status.ADMITTED, "withdraw"): Status.WITHDRAWN,
    (Status.SUBMITTED, "merge"): Status.MERGED,
    (Status.ADMITTED, "merge"): Status.MERGED,
}
ACTION_NAMES = {"admit": "准入", "return": "退回修改", "reject": "不予准入",
                "resubmit": "重新提交", "withdraw": "撤销", "merge": "合并"}
ACTION_ABILITY = {"admit": "review_requests", "return": "review_requests",
                  "reject": "review_requests", "withdraw": "review_requests",
                  "merge": "review_requests", "resubmit": "submit_requests"}
MAX_HOURS = 200.0  # per community per occurrence: more is a typo, not a plan
MIN_BASIS = 4


class WorkRefused(Refusal):
    """The item cannot be accepted or moved as asked; every reason is listed."""


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


def _store_analysis(item: WorkItem) -> analysis.Analysis:
    result = analysis.analyse(item)
    WorkItem.objects.filter(pk=item.pk).update(analysis=result.as_dict())
    item.analysis = result.as_dict()
    return result


def _transition(actor: object, item: WorkItem, previous: str, target: str, step: str,
                reason: str = "", **detail: object) -> None:
    Transition.objects.create(item=item, from_status=previous, to_status=target, by=actor,
                              reason=reason)
    record(actor, Action.REQUEST_TRANSITION, subject_kind="work_item", subject_id=item.pk,
           org_code=item.scope.code, reason=reason, step=step, to=target, **detail)


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
        raise WorkRefused(reasons)
    from yibiao.admission.workflow import RequestRefused

    try:
        department = find_department(actor, new.department)
    except RequestRefused as refused:
        raise WorkRefused(refused.details) from None
    with transaction.atomic():
        item = WorkItem(submitted_by=actor)
        _fill(item, new, department, unit)
        item.save()
        _replace_evidence(item, new.evidence)
        result = _store_analysis(item)
        _transition(actor, item, "", Status.SUBMITTED, "submit", verdict=result.verdict)
    return item


def reanalyse(actor: object, item: WorkItem) -> analysis.Analysis:
    """Rewrites the stored analysis: allowed to those who may change the item."""
    scope.require_may(actor, scope.CHANGE, item)
    return _store_analysis(item)


def _lock(actor: object, item: WorkItem, action: str) -> WorkItem:
    if action not in ACTION_ABILITY:
        raise WorkRefused("unknown_action", action=action)
    scope.require(actor, ACTION_ABILITY[action])
    scope.require_may(actor, scope.CHANGE, item)
    locked = WorkItem.objects.select_for_update().select_related("scope", "department").get(pk=item.pk)
    if (locked.status, action) not in TRANSITIONS:
        raise WorkRefused("item_status_forbids", status=Status(locked.status).label,
                          action=ACTION_NAMES[action], action_en=action)
    return locked


@transaction.atomic
def decide(actor: object, item: WorkItem, action: str, reason: str = "") -> WorkItem:
    """Admit, return, reject or withdraw; refuse what the state machine or the role does not allow."""
    if action in ("merge", "resubmit"):
        raise WorkRefused("action_needs_own_step", action=ACTION_NAMES[action], action_en=action)
    locked = _lock(actor, item, action)
    reason = reason.strip()
    if action in ("return", "reject", "withdraw") and len(reason) < 2:
        raise WorkRefused("reason_required", action=ACTION_NAMES[action], action_en=action)
    previous, target = locked.status, TRANSITIONS[(locked.status, action)]
    result = analysis.analyse(locked)
    locked.status = target
    locked.decided_at = timezone.now()
    locked.decision_reason = reason
    locked.analysis = result.as_dict()
    locked.save()
    _transition(actor, locked, previous, target, action, reason)
    return locked


@transaction.atomic
def resubmit(actor: object, item: WorkItem, new: NewWorkItem) -> WorkItem:
    """The department corrects a returned item (or one converted from a worker's report)."""
    locked = _lock(actor, item, "resubmit")
    if locked.department_id != getattr(actor, "department_id", None) and \
            getattr(actor, "role", None) != Role.ADMIN:
        raise scope.OutOfScope("只有提出事项的部门可以重新提交")
    unit = scope.get_visible_org_unit(actor, new.scope_code)
    reasons = check(new)
    if reasons:
        raise WorkRefused(reasons)
    _fill(locked, new, locked.department, unit)
    locked.status = Status.SUBMITTED
    locked.save()
    _replace_evidence(locked, new.evidence)
    result = _store_analysis(locked)
    _transition(actor, locked, Status.RETURNED, Status.SUBMITTED, "resubmit", verdict=result.verdict)
    return locked


@transaction.atomic
def strike(actor: object, item: WorkItem, demand_id: int, reason: str) -> EvidenceDemand:
    """The reviewer strikes an evidence demand (过度留痕): the department may no longer ask for it."""
    scope.require(actor, "review_requests")
    scope.require_may(actor, scope.CHANGE, item)
    if item.status not in (Status.SUBMITTED, Status.ADMITTED):
        raise WorkRefused("evidence_not_removable")
    demand = EvidenceDemand.objects.select_for_update().filter(item=item, pk=demand_id).first()
    if demand is None:
        raise WorkRefused("evidence_missing")
    if demand.struck:
        raise WorkRefused("evidence_already_removed")
    if len(reason.strip()) < 2:
        raise WorkRefused("reason_required", action="删除留痕要求", action_en="strike an evidence demand")
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
        raise WorkRefused("merge_with_itself")
    first = _lock(actor, item, "merge")
    second = _lock(actor, other, "merge")
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
        raise WorkRefused(reasons)
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
    _transition(actor, joint, "", Status.ADMITTED, "merge", reason.strip() or "多检合一",
                merged=[first.pk, second.pk], hours_saved=round(separate - joint_hours, 2))
    for source in (first, second):
        previous = source.status
        source.status = Status.MERGED
        source.merged_into = joint
        source.decided_at = timezone.now()
        source.decision_reason = reason.strip() or f"并入第 {joint.pk} 号联合检查"
        source.save()
        _transition(actor, source, previous, Status.MERGED, "merge", source.decision_reason,
                    joint=joint.pk)
    _store_analysis(joint)
    return joint


def set_load_rules(actor: object, code: str, *, ceiling: float | None = None,
                   max_inspections: int | None = None, workers: int | None = None) -> object:
    """A reviewer sets the load limits for their unit and everything below it (nearest applies)."""
    from .models import LoadRules

    scope.require(actor, "review_requests")
    unit = scope.get_visible_org_unit(actor, code)
    reasons = []
    if ceiling is not None and not 0 < ceiling <= 60:
        reasons.append(Reason("load_ceiling_range"))
    if max_inspections is not None and not 0 <= max_inspections <= 50:
        reasons.append(Reason("load_inspections_range"))
    if workers is not None and not 1 <= workers <= 100:
        reasons.append(Reason("load_workers_range"))
    if reasons:
        raise WorkRefused(reasons)
    with transaction.atomic():
        rules, _ = LoadRules.objects.get_or_create(org_unit=unit)
        before = {"weekly_hours_ceiling": rules.weekly_hours_ceiling,
                  "max_inspections_per_quarter": rules.max_inspections_per_quarter,
                  "workers_per_community": rules.workers_per_community}
        if ceiling is not None:
            rules.weekly_hours_ceiling = ceiling
        if max_inspections is not None:
            rules.max_inspections_per_quarter = max_inspections
        if workers is not None:
            rules.workers_per_community = workers
        rules.save()
        record(actor, Action.CHANGE, subject_kind="load_rules", subject_id=rules.pk,
               org_code=unit.code, step="load_rules", before=before,
               after={"weekly_hours_ceiling": rules.weekly_hours_ceiling,
                      "max_inspections_per_quarter": rules.max_inspections_per_quarter,
                      "workers_per_community": rules.workers_per_community})
    return rules
