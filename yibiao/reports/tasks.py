"""Tasks per community and period: created when a request is admitted, pre-filled, completed.

A worker only ever types what the ledger lacks; what they type goes into the ledger as
facts (source = report completion), so no later report asks for it again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from yibiao.accounts import scope
from yibiao.admission.models import FormRequest, Status
from yibiao.audit.log import record
from yibiao.audit.models import Action
from yibiao.ledger.models import Source
from yibiao.ledger.records import PersonInput, write_people
from yibiao.orgunits.models import Level, OrgUnit, subtree_q

from . import prefill
from .models import Task, TaskStatus, TaskValue
from .periods import Period, parse_period, period_of, previous


class TaskError(Exception):
    pass


def communities_of(request: FormRequest) -> QuerySet[OrgUnit]:
    unit = request.scope
    if unit.level in (Level.COMMUNITY, Level.GRID):
        return OrgUnit.objects.filter(pk=unit.pk)
    return OrgUnit.objects.filter(subtree_q(unit.code), level=Level.COMMUNITY).order_by("code")


def account(task: Task, report: prefill.Report) -> None:
    """Exact per-cell counts from the report as filled now.

    What a worker typed on this task is in the ledger by now; it is counted as typed, not
    as filled from the ledger, so asked = system + derived + ledger + typed + missing.
    """
    task.rows = len(report.rows)
    task.cells_asked = report.cells
    task.cells_derived = report.count(prefill.DERIVED)
    task.cells_system = report.count(prefill.SYSTEM)
    task.cells_missing = report.count(prefill.MISSING)
    task.cells_from_ledger = max(0, report.count(prefill.LEDGER) + report.count(prefill.TYPED)
                                 - task.cells_typed)


@transaction.atomic
def create_tasks(request: FormRequest, period: Period, *, today: dt.date | None = None) -> list[Task]:
    """One task per community in scope for the period; idempotent. Zero-touch when full."""
    if request.status != Status.ADMITTED:
        raise TaskError("只有经准入的报表才会生成任务")
    created = []
    existing = set(Task.objects.filter(request=request, period=period.key).values_list("org_code", flat=True))
    communities = [c for c in communities_of(request) if c.code not in existing]
    reports = reports_by_community(request, communities, period, today)
    for community in communities:
        task = Task(request=request, org_unit=community, org_code=community.code,
                    period=period.key, period_start=period.start, period_end=period.end,
                    due_date=period.end + dt.timedelta(days=request.deadline_days))
        account(task, reports[community.code])
        if task.cells_missing == 0:
            task.status = TaskStatus.DELIVERED if request.direct_delivery else TaskStatus.READY
        task.save()
        created.append(task)
    return created


def reports_by_community(request: FormRequest, communities: list[OrgUnit], period: Period,
                         today: dt.date | None) -> dict[str, prefill.Report]:
    """Each community's report. A list is read once over the whole scope and split by
    community (one as-of read instead of one per community); an aggregate table's rows are
    per community already, so it is built per community."""
    if request.layout == "aggregate" or len(communities) < 2:
        return {c.code: prefill.build_report(request, c, period, today=today) for c in communities}
    whole = prefill.build_report(request, request.scope, period, today=today)
    reports = {c.code: prefill.Report(request, c, period) for c in communities}
    for row in whole.rows:
        report = reports.get(row.org_code[:12])
        if report is not None:
            report.rows.append(row)
    return reports


def current_period(request: FormRequest, day: dt.date | None = None) -> Period:
    return period_of(request.frequency, day or timezone.localdate())


def generate_due_tasks(day: dt.date | None = None) -> int:
    """Tasks for the current period of every admitted recurring request (run daily)."""
    total = 0
    for request in FormRequest.objects.filter(status=Status.ADMITTED).exclude(frequency="once"):
        total += len(create_tasks(request, current_period(request, day)))
    return total


def visible_tasks(user: object) -> QuerySet[Task]:
    """Tasks of the user's communities; officers/reviewers see their requests' tasks."""
    tasks = Task.objects.select_related("request__department", "org_unit")
    if scope.can(user, "edit_ledger"):
        return tasks.filter(scope.scope_q(user, "org_code"))
    return tasks.filter(request__in=scope.visible_requests(user))


def open_tasks(user: object) -> QuerySet[Task]:
    return visible_tasks(user).filter(status__in=[TaskStatus.OPEN, TaskStatus.READY,
                                                  TaskStatus.RETURNED])


def get_task(user: object, task_id: int) -> Task:
    task = visible_tasks(user).filter(pk=task_id).first()
    if task is None:
        raise scope.OutOfScope("无权查看该任务，或它不存在。")
    return task


def report_for(task: Task, filled_by: str = "") -> prefill.Report:
    return prefill.build_report(task.request, task.org_unit, parse_period(task.period),
                                filled_by=filled_by)


@dataclass
class Completion:
    typed: int = 0
    problems: list[str] = field(default_factory=list)


def complete(user: object, task: Task, entries: dict[tuple[str, str], str]) -> Completion:
    """Store what the worker typed: person/household values as ledger facts valid at the
    period's end, aggregate counts as task values. Nothing is stored if any value is bad."""
    scope.require(user, "edit_ledger")
    scope.require_org_unit(user, task.org_unit)
    if task.status in (TaskStatus.SUBMITTED, TaskStatus.DELIVERED):
        raise TaskError("任务已报送，不能再修改；如需更正请让审核人退回")
    columns = {c["column"]: c for c in task.request.columns}
    result = Completion()
    people: dict[int, dict[str, object]] = {}
    aggregate: list[tuple[str, str, str]] = []
    for (row_key, column), raw in entries.items():
        if raw is None or str(raw).strip() == "" or column not in columns:
            continue
        element = columns[column].get("element")
        kind, _, ident = row_key.partition(":")
        if kind == "p" and element:
            people.setdefault(int(ident), {})[element] = raw
        elif kind == "o":
            aggregate.append((ident, column, str(raw).strip()))
        elif kind == "h" and element:
            people.setdefault(-int(ident), {})[element] = raw
    with transaction.atomic():
        person_inputs = _person_inputs(people)
        if person_inputs:
            written = write_people(user, task.org_unit, person_inputs, valid_from=task.period_end,
                                   source=Source.COMPLETION, audit_action=Action.CHANGE,
                                   audit_detail={"task": task.pk})
            if written.rejected:
                result.problems = [p.message_zh for p in written.rejected]
                transaction.set_rollback(True)
                return result
            result.typed += sum(len(v) for v in people.values())
        for row_key, column, value in aggregate:
            TaskValue.objects.update_or_create(task=task, row_key=row_key, column=column,
                                               defaults={"value": value, "typed_by": user})
            result.typed += 1
        task.cells_typed += result.typed
        account(task, report_for(task))
        if task.cells_missing == 0 and task.status == TaskStatus.OPEN:
            task.status = TaskStatus.READY
        task.save()
        recount_open_tasks(task)
    return result


def recount_open_tasks(completed: Task) -> None:
    """What was just typed may fill other open tasks of the community: keep their counts true.

    Typed values are facts valid from the completed task's period end, so only tasks read
    as of that day or later can see them; earlier periods are not rebuilt.
    """
    for other in Task.objects.filter(org_code=completed.org_code,
                                     status__in=[TaskStatus.OPEN, TaskStatus.RETURNED],
                                     period_end__gte=completed.period_end,
                                     ).exclude(pk=completed.pk).select_related("request", "org_unit"):
        account(other, report_for(other))
        if other.cells_missing == 0 and other.status == TaskStatus.OPEN:
            other.status = TaskStatus.READY
        other.save()


def _person_inputs(values_by_person: dict[int, dict[str, object]]) -> list[PersonInput]:
    from yibiao.ledger.models import Person

    ids = [pk for pk in values_by_person if pk > 0]
    numbers = dict(Person.objects.filter(pk__in=ids).values_list("pk", "id_number"))
    inputs = [PersonInput({**values, "person.id_number": numbers[pk]})
              for pk, values in values_by_person.items() if pk > 0 and pk in numbers]
    if any(pk < 0 for pk in values_by_person):
        raise TaskError("家庭户信息请在入户登记页面补录")
    return inputs


@transaction.atomic
def submit(user: object, task: Task) -> Task:
    scope.require(user, "edit_ledger")
    scope.require_org_unit(user, task.org_unit)
    account(task, report_for(task))
    if task.cells_missing:
        raise TaskError(f"还有 {task.cells_missing} 个单元格未填，不能报送")
    if task.status not in (TaskStatus.OPEN, TaskStatus.READY, TaskStatus.RETURNED):
        raise TaskError("任务已报送")
    task.status = TaskStatus.SUBMITTED
    task.submitted_by = user
    task.submitted_at = timezone.now()
    task.save()
    record(user, Action.CHANGE, subject_kind="task", subject_id=task.pk, org_code=task.org_code,
           reason="报送", period=task.period)
    return task


@transaction.atomic
def return_task(user: object, task: Task, reason: str) -> Task:
    """A reviewer or the requesting department sends a submitted task back."""
    if not (scope.can(user, "review_requests") or scope.can(user, "submit_requests")):
        raise scope.OutOfScope("您的角色无权退回任务")
    if not scope.visible_requests(user).filter(pk=task.request_id).exists():
        raise scope.OutOfScope("无权处理该任务")
    if task.status != TaskStatus.SUBMITTED or len(reason.strip()) < 2:
        raise TaskError("只能退回已报送的任务，且须写明理由")
    task.status = TaskStatus.RETURNED
    task.return_reason = reason.strip()
    task.save()
    record(user, Action.CHANGE, subject_kind="task", subject_id=task.pk, org_code=task.org_code,
           reason=reason.strip(), step="return")
    return task


def has_previous(task: Task) -> bool:
    """Whether the community had this request's task for the period before."""
    if task.request.frequency == "once":
        return False
    before = previous(parse_period(task.period), task.request.frequency)
    return Task.objects.filter(request=task.request, org_unit=task.org_unit, period=before.key).exists()


def changes_since_previous(task: Task, now: prefill.Report | None = None) -> dict[str, list[str]]:
    """What changed since the last period: who arrived, who left, whose values changed.

    `now` is this period's report when the caller has built it already.
    """
    period = parse_period(task.period)
    before = prefill.build_report(task.request, task.org_unit, previous(period, task.request.frequency))
    now = now if now is not None else report_for(task)
    old = {r.key: r for r in before.rows}
    new = {r.key: r for r in now.rows}
    changed = [k for k in new.keys() & old.keys()
               if [c.value for c in new[k].cells if c.source != prefill.SYSTEM]
               != [c.value for c in old[k].cells if c.source != prefill.SYSTEM]]
    return {"arrived": sorted(new.keys() - old.keys()), "left": sorted(old.keys() - new.keys()),
            "changed": sorted(changed)}
