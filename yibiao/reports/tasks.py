"""Tasks per community and period: created when a request is admitted, pre-filled, completed.

A worker only ever types what the ledger lacks; what they type goes into the ledger as
facts (source = report completion), so no later report asks for it again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yibiao.accounts import scope
from yibiao.audit.log import record
from yibiao.audit.models import Action
from yibiao.dictionary.rules import Rules
from yibiao.gate.models import FormRequest, Status
from yibiao.ledger.masking import mask
from yibiao.ledger.models import Source
from yibiao.ledger.records import REFUSE, PersonInput, RowProblem, write_people
from yibiao.orgunits.models import Level, OrgUnit, subtree_q
from yibiao.params import BadInput, parse_int
from yibiao.refusals import (
    Refusal,
    _to_traditional,  # the one OpenCC converter the refusals use
    language_of,
)
from yibiao.values import ValueProblem

from . import prefill
from .models import Task, TaskStatus, TaskValue
from .periods import Period, parse_period, period_of, previous


class TaskError(Refusal):
    """A task cannot be created, saved, submitted or returned as asked."""


def communities_of(request: FormRequest) -> QuerySet[OrgUnit]:
    unit = request.scope
    if unit.level in (Level.COMMUNITY, Level.GRID):
        return OrgUnit.objects.filter(pk=unit.pk)
    return OrgUnit.objects.filter(subtree_q(unit.code), level=Level.COMMUNITY).order_by("code")


# The fields account() sets: saved alone, so a recount never writes over a status, a
# submitter or a concurrent typed-cells increment.
COUNTED = ["rows", "cells_asked", "cells_derived", "cells_system", "cells_missing",
           "cells_from_ledger"]


def account(task: Task, report: prefill.Report) -> None:
    """Exact per-cell counts from the report as filled now.

    What a worker typed on this task is in the ledger by now; it is counted as typed, not
    as filled from the ledger, so asked = system + derived + ledger + typed + missing.
    `cells_typed` is only read here: complete() raises it, in the database.
    """
    task.rows = len(report.rows)
    task.cells_asked = report.cells_asked  # an optional cell left empty is no cell asked
    task.cells_derived = report.count(prefill.DERIVED)
    task.cells_system = report.count(prefill.SYSTEM)
    task.cells_missing = report.count(prefill.MISSING)
    task.cells_from_ledger = max(0, report.count(prefill.LEDGER) + report.count(prefill.TYPED)
                                 - task.cells_typed)


@transaction.atomic
def create_tasks(request: FormRequest, period: Period, *, today: dt.date | None = None) -> list[Task]:
    """One task per community in scope for the period; idempotent. Zero-touch when full."""
    if request.status != Status.ADMITTED:
        raise TaskError("task_not_admitted")
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
    """Tasks the user may see (the scope module decides; kept for the agenda's import)."""
    return scope.permitted(user, Task, scope.VIEW)


def open_tasks(user: object) -> QuerySet[Task]:
    return visible_tasks(user).filter(status__in=[TaskStatus.OPEN, TaskStatus.READY,
                                                  TaskStatus.RETURNED])


def get_task(user: object, task_id: int) -> Task:
    task = scope.permitted(user, Task, scope.VIEW).filter(pk=task_id).first()
    if task is None:
        raise scope.OutOfScope(_("无权查看该任务，或它不存在。"))
    return task


def report_for(task: Task, filled_by: str = "") -> prefill.Report:
    return prefill.build_report(task.request, task.org_unit, parse_period(task.period),
                                filled_by=filled_by)


EDITABLE = (TaskStatus.OPEN, TaskStatus.READY, TaskStatus.RETURNED)
ROW_KINDS = {"h": "household", "l": "place"}  # rows a task page shows but cannot store
# Why a row of a save is refused; each names the row by its key, never the person behind it.
ROW_REFUSALS = {
    "not_in_unit": gettext_lazy("行“%(row)s”：此人不在“%(unit)s”居住，或您无权修改此人，"
                                "不能在本任务中填写。"),
    "unit_outside": gettext_lazy("行“%(row)s”：不是“%(unit)s”或其下属网格，不能在本任务中填写。"),
    "household": gettext_lazy("行“%(row)s”：家庭户信息请在入户登记页面补录。"),
    "place": gettext_lazy("行“%(row)s”：房屋（场所）信息请在台账中补录。"),
    "unknown": gettext_lazy("行“%(row)s”无法识别，请刷新页面后重新填写。"),
    "not_asked": gettext_lazy("单元格“%(row)s”不是本任务要填写的格（序号、单位等由系统填写，"
                              "姓名和公民身份号码请在居民信息页修改），请刷新页面后重新填写。"),
}
# What names a person: every row of people holds it, so the grid never offers it as a cell;
# a change goes through the person's own form, never a cell posted to a task.
IDENTITY_ELEMENTS = frozenset({"person.name", "person.id_number"})
NOTHING_SAVED = gettext_lazy("本次填写的内容均未保存。")
# A refused cell, named as a worker names the row: "刘兵彬 的联系电话：手机号码“12345”有 5 位：应为 11 位".
CELL_PROBLEM = gettext_lazy("%(subject)s 的%(problem)s")
TOO_LONG = gettext_lazy("%(header)s：填写的内容超过 %(limit)s 个字")
VALUE_LIMIT = TaskValue._meta.get_field("value").max_length


@dataclass(frozen=True)
class CellConflict:
    """A cell someone else saved after the worker opened the page: both values, none lost."""

    row_key: str
    column: str
    stored: str  # what the ledger (or the task) holds now, masked as pages show it
    typed: str  # what this worker typed; not saved
    version: int  # the version now: a save that names it keeps `typed` over `stored`


@dataclass
class Completion:
    typed: int = 0  # cells whose stored value this save set or changed
    # Refusals of the whole save (a row that is no row of the task): nothing was stored.
    problems: list[str] = field(default_factory=list)
    # Cells saved by someone else meanwhile: nothing of the save was stored, the typing is kept.
    conflicts: list[CellConflict] = field(default_factory=list)
    # (row key, column) -> why the typed value was refused, naming the row's subject; shown
    # beside the cell with the typing kept. The other cells of the save are stored.
    cell_errors: dict[tuple[str, str], str] = field(default_factory=dict)
    lasting: bool = False  # some value saved is a lasting state: later reports will not ask it
    stored: set[tuple[str, str]] = field(default_factory=set)  # cells stored (or unchanged) by it

    @property
    def saved(self) -> bool:
        """Every typed cell was stored."""
        return not self.problems and not self.conflicts and not self.cell_errors

    @property
    def nothing_stored(self) -> bool:
        return bool(self.problems or self.conflicts) or not self.stored


def version_key(row_key: str, column: str) -> str:
    """What a version is kept for: a person's row (Person.version, raised by every change to
    the person) or an aggregate cell (TaskValue.version)."""
    return f"{row_key}|{column}" if row_key.startswith("o:") else row_key


def versions_for(task: Task) -> dict[str, int]:
    """The versions a task page sends back with its cells, keyed by version_key.

    Read before the page's report is built: a save landing in between then shows as a
    newer version than the page's, never as one the worker seems to have seen.
    """
    from yibiao.ledger.models import Person

    people = Person.objects.filter(subtree_q(task.org_code, "org_unit__code")).values_list("pk", "version")
    cells = TaskValue.objects.filter(task=task).values_list("row_key", "column", "version")
    return {**{f"p:{pk}": version for pk, version in people},
            **{version_key(f"o:{code}", column): version for code, column, version in cells}}


def _row_id(ident: str) -> int | None:
    try:
        return parse_int(ident, "row", minimum=1)
    except BadInput:
        return None


def complete(user: object, task: Task, entries: Mapping[tuple[str, str], object],
             seen: Mapping[str, int] | None = None) -> Completion:
    """Store what the worker typed: person values as ledger facts valid at the period's end,
    aggregate counts as task values.

    Every row must belong to the task: a person living in its community whom the user may
    change, or one of its own units for an aggregate row; any other row refuses the whole
    save, naming the row by its key only; so does a cell the page never offers (序号, the
    unit's name, a person's name or ID number). Every cell is then checked by its element's rules:
    a bad value is refused beside its cell, naming the row's subject ("刘兵彬 的联系电话：…"),
    and the save's other cells are stored all the same. `seen` holds the version of each
    row or cell the page showed (keyed by version_key); one missing from it was seen empty.
    A cell whose stored value changed since is a conflict: both values are reported and
    nothing is saved (the page is stale; the typing is kept). The task row is locked for the
    whole save (and for a submission), so the two take turns.
    """
    scope.require_may(user, scope.CHANGE, task)
    seen = seen or {}
    columns = {c["column"]: c for c in task.request.columns}
    people: dict[int, dict[str, str]] = {}  # person id -> column -> what was typed
    aggregate: dict[tuple[str, str], str] = {}
    refused: list[tuple[str, str]] = []  # (reason, row key)
    aggregate_table = task.request.layout == "aggregate"  # its rows are units, not people
    for (row_key, column), raw in entries.items():
        # NUL is dropped as an import drops it: PostgreSQL refuses it in text.
        value = "" if raw is None else str(raw).replace("\x00", "").strip()
        if not value or column not in columns:
            continue
        kind, _colon, ident = row_key.partition(":")
        element = columns[column].get("element")
        if prefill.is_system(element) or (kind == "p" and element in IDENTITY_ELEMENTS):
            # Never an input on the page (序号, the unit's name, the person's name and ID
            # number): a forged cell, which would write 序号 or a new name into the ledger.
            refused.append(("not_asked", f"{row_key}|{column}"))
        elif kind == "p" and not aggregate_table and _row_id(ident) is not None:
            if columns[column].get("element"):
                people.setdefault(_row_id(ident), {})[column] = value
        elif kind == "o" and aggregate_table and ident:
            if columns[column].get("indicator"):
                continue  # counted from the ledger at the period's end: never typed, never counted as typed
            aggregate[(row_key, column)] = value
        else:
            refused.append((ROW_KINDS.get(kind, "unknown"), row_key))
    result = Completion()
    bad = _check_cells(columns, people, aggregate)  # before any lock: pure
    wrote_facts = False
    with transaction.atomic():
        locked = Task.objects.select_for_update().select_related("request", "org_unit").get(pk=task.pk)
        if locked.status not in EDITABLE:
            raise TaskError("task_submitted_locked")
        held = _lock_people(user, locked, people)
        refused += [("not_in_unit", f"p:{pk}") for pk in sorted(people.keys() - held.keys())]
        refused += _outside_units(locked, aggregate)
        if refused:
            result.problems = [str(ROW_REFUSALS[reason]) % {"row": row_key, "unit": locked.org_unit.name}
                               for reason, row_key in dict.fromkeys(refused)] + [str(NOTHING_SAVED)]
        else:
            # Only now, every row known to be the task's own, are subjects named.
            subjects = _subjects(held, aggregate)
            result.cell_errors = {key: str(CELL_PROBLEM) % {"subject": subjects.get(key[0], key[0]),
                                                           "problem": problem}
                                  for key, problem in bad.items()}
            for row_key, column in bad:
                if row_key.startswith("p:"):
                    people[int(row_key[2:])].pop(column, None)
                else:
                    aggregate.pop((row_key, column), None)
            people = {pk: cells for pk, cells in people.items() if cells}
            wrote_facts = _save(user, locked, columns, people, aggregate, held, seen, result, subjects)
            if result.conflicts:
                transaction.set_rollback(True)
                wrote_facts = False
    denied = [key for reason, key in refused if reason in ("not_in_unit", "unit_outside")]
    if denied:
        record(user, Action.DENIED, subject_kind="task", subject_id=task.pk, org_code=task.org_code,
               reason="填报的行不属于本任务，未保存", rows=denied[:50])
    if result.conflicts:
        _keep_conflicts(user, locked, result.conflicts, people, seen)
    if wrote_facts:
        recount_open_tasks(locked)  # after the commit, one task lock at a time: no deadlock
    task.refresh_from_db()
    return result


def _check_cells(columns: dict[str, dict], people: dict[int, dict[str, str]],
                 aggregate: dict[tuple[str, str], str]) -> dict[tuple[str, str], str]:
    """(row key, column) -> what is wrong with the value typed there (its element's rules,
    the stored length); aggregate cells that pass are rewritten in their canonical form.
    Person cells that pass are parsed again by the ledger's own write."""
    rules = Rules.load()
    errors = {}
    typed = [((f"p:{pk}", column), value) for pk, cells in people.items() for column, value in cells.items()]
    for key, value in [*typed, *aggregate.items()]:
        if len(value) > VALUE_LIMIT:
            errors[key] = str(TOO_LONG) % {"header": columns[key[1]]["header"], "limit": VALUE_LIMIT}
            continue
        element = columns[key[1]].get("element")
        if element not in rules:
            continue
        try:
            parsed = rules.parse(element, value)[0]
        except ValueProblem as problem:
            errors[key] = spoken(problem.message_zh, _named_en(problem.message_en, element,
                                                               columns[key[1]]["header"]))
            continue
        if key in aggregate:
            aggregate[key] = parsed or value
    return errors


def spoken(zh: str, en: str) -> str:
    """A value's problem in the language of the page: English, Traditional (OpenCC, as the
    refusals convert), or Simplified as written."""
    language = language_of()
    if language == "en":
        return en
    return _to_traditional().convert(zh) if language == "zh-hant" else zh


def _named_en(message: str, element: str | None, header: str) -> str:
    """The English of a value's problem names the column by its header, never the element's
    code (the dictionary's names are Chinese only)."""
    return f"{header}: {message.removeprefix(f'{element}: ')}"


def _subjects(held: dict[int, tuple[int, str, str]], aggregate: dict[tuple[str, str], str]) -> dict[str, str]:
    """Row key -> how a worker names its subject: the person's name, a unit's label (a grid
    with its community). Only rows already known to be the task's own."""
    names = {f"p:{pk}": name for pk, (_version, _number, name) in held.items()}
    codes = {row_key[2:] for row_key, _column in aggregate}
    if codes:
        names.update({f"o:{u.code}": u.label for u in OrgUnit.objects.filter(code__in=codes)
                      .select_related("parent")})
    return names


def _lock_people(user: object, task: Task, people: dict[int, dict[str, str]]
                 ) -> dict[int, tuple[int, str, str]]:
    """Person id -> (version, ID number, name) of the typed people living in the task's unit
    whom the user may change (the scope module decides), locked until the save ends."""
    from yibiao.ledger.models import Person

    if not people:
        return {}
    rows = (scope.permitted(user, Person, scope.CHANGE)
            .filter(subtree_q(task.org_code, "org_unit__code"), pk__in=sorted(people))
            .select_for_update(of=("self",)).order_by("pk").values_list("pk", "version", "id_number", "name"))
    return {pk: (version, number, name) for pk, version, number, name in rows}


def _outside_units(task: Task, aggregate: dict[tuple[str, str], str]) -> list[tuple[str, str]]:
    """Aggregate rows not about the task's unit or a unit below it."""
    codes = {row_key[2:] for row_key, _column in aggregate}
    inside = set(OrgUnit.objects.filter(subtree_q(task.org_code), code__in=codes)
                 .values_list("code", flat=True))
    return [("unit_outside", f"o:{code}") for code in sorted(codes - inside)]


def _save(user: object, task: Task, columns: dict[str, dict], people: dict[int, dict[str, str]],
          aggregate: dict[tuple[str, str], str], held: dict[int, tuple[int, str, str]],
          seen: Mapping[str, int], result: Completion, subjects: dict[str, str]) -> bool:
    """The save proper, under the task's lock; whether ledger facts were written. A row the
    ledger refuses is left out (its cells kept as typed, the reason beside the cell); the
    others are stored."""
    # A TaskValue's row_key is the unit's code, without the page's "o:".
    cells = {(f"o:{v.row_key}", v.column): v for v in TaskValue.objects.filter(
        task=task, row_key__in={row_key[2:] for row_key, _column in aggregate})}
    stale_people = {pk for pk in people if seen.get(f"p:{pk}") != held[pk][0]}
    stale_cells = {key for key in aggregate
                   if seen.get(version_key(*key), 0) != (cells[key].version if key in cells else 0)}
    if stale_people or stale_cells:
        result.conflicts = _conflicts(task, columns, people, aggregate, held, cells,
                                      stale_people, stale_cells)
        if result.conflicts:
            return False
    written = None
    keys = sorted(people)
    if keys:
        inputs = [PersonInput({**{columns[c]["element"]: v for c, v in people[pk].items()},
                               "person.id_number": held[pk][1]}, row=n)
                  for n, pk in enumerate(keys, start=1)]
        written = write_people(user, task.org_unit, inputs, valid_from=task.period_end,
                               source=Source.COMPLETION, audit_action=Action.CHANGE,
                               audit_detail={"task": task.pk}, on_foreign=REFUSE)
        refused_rows = {keys[p.row - 1] for p in written.rejected if p.row}
        for problem in written.rejected:
            _value_problem(problem, keys, people, columns, result.cell_errors, subjects)
        result.typed += written.facts_written
        rules = Rules.load()
        kept = [pk for pk in keys if pk not in refused_rows]
        result.stored |= {(f"p:{pk}", c) for pk in kept for c in people[pk]}
        result.lasting = any(not rules[columns[c]["element"]].per_period
                             for pk in kept for c in people[pk] if columns[c]["element"] in rules)
    result.stored |= set(aggregate)
    for (row_key, column), value in aggregate.items():
        cell = cells.get((row_key, column))
        if cell is None:
            TaskValue.objects.create(task=task, row_key=row_key[2:], column=column, value=value,
                                     typed_by=user)
        elif cell.value != value:
            TaskValue.objects.filter(pk=cell.pk).update(value=value, typed_by=user,
                                                         version=F("version") + 1)
        else:
            continue
        result.typed += 1
    if result.typed:
        # In the database, not in Python: the counter never loses a concurrent save's cells.
        Task.objects.filter(pk=task.pk).update(cells_typed=F("cells_typed") + result.typed)
        task.refresh_from_db(fields=["cells_typed"])
    account(task, report_for(task))
    if task.cells_missing == 0 and task.status == TaskStatus.OPEN:
        task.status = TaskStatus.READY
    task.save(update_fields=[*COUNTED, "status"])
    return written is not None  # even unchanged: what it holds may now reach other tasks


def _value_problem(problem: RowProblem, keys: list[int], people: dict[int, dict[str, str]],
                   columns: dict[str, dict], cell_errors: dict[tuple[str, str], str],
                   subjects: dict[str, str]) -> None:
    """A value the ledger's write refused, kept beside its cell naming the row's subject (the
    row's first cell when the problem names no column of it)."""
    pk = keys[problem.row - 1] if problem.row else None
    if pk is None or not people.get(pk):
        return
    column = next((c for c in people[pk] if columns[c].get("element") == problem.element),
                  next(iter(people[pk])))
    cell_errors[(f"p:{pk}", column)] = str(CELL_PROBLEM) % {
        "subject": subjects.get(f"p:{pk}", f"p:{pk}"),
        "problem": spoken(problem.message_zh, _named_en(problem.message_en, problem.element,
                                                        columns[column]["header"]))}


def _conflicts(task: Task, columns: dict[str, dict], people: dict[int, dict[str, str]],
               aggregate: dict[tuple[str, str], str], held: dict[int, tuple[int, str]],
               cells: dict[tuple[str, str], TaskValue], stale_people: set[int],
               stale_cells: set[tuple[str, str]]) -> list[CellConflict]:
    """Cells saved by someone else since the worker's page was built, with a value that is
    not what this worker typed. A cell still empty, or holding the same value, is no
    conflict: filling it overwrites nothing."""
    rules = Rules.load()
    found = []
    if stale_people:
        position = {c["column"]: i for i, c in enumerate(task.request.columns)}
        wanted = {f"p:{pk}" for pk in stale_people}
        rows = {row.key: row for row in report_for(task).rows if row.key in wanted}
        for pk in sorted(stale_people):
            row = rows.get(f"p:{pk}")
            for column, typed in people[pk].items():
                cell = row.cells[position[column]] if row else None
                stored = cell.value if cell is not None and cell.source != prefill.MISSING else None
                element = columns[column]["element"]
                if stored and stored != _normal(rules, element, typed):
                    kind = rules[element].value_type if element in rules else "text"
                    found.append(CellConflict(f"p:{pk}", column, mask(kind, stored), typed, held[pk][0]))
    for key in sorted(stale_cells):
        cell = cells.get(key)
        if cell is not None and cell.value != aggregate[key]:
            found.append(CellConflict(key[0], key[1], cell.value, aggregate[key], cell.version))
    return found


def _normal(rules: Rules, element: str, typed: str) -> str | None:
    """A typed value as the ledger would store it, to compare with what it holds."""
    if element not in rules:
        return typed
    try:
        return rules.parse(element, typed)[0]
    except ValueProblem:
        return typed


def _keep_conflicts(user: object, task: Task, conflicts: list[CellConflict],
                    people: dict[int, dict[str, str]], seen: Mapping[str, int]) -> None:
    """What the losing worker typed is kept, as a person edit's conflict is (EditConflict),
    and the refusal audited; the page shows both values."""
    from yibiao.ledger.models import EditConflict

    columns = {c["column"]: c for c in task.request.columns}
    actor = user if getattr(user, "pk", None) else None
    for row_key in dict.fromkeys(c.row_key for c in conflicts if c.row_key.startswith("p:")):
        pk = int(row_key[2:])
        current = next(c.version for c in conflicts if c.row_key == row_key)
        EditConflict.objects.create(
            person_id=pk, attempted_by=actor, based_on_version=max(0, seen.get(row_key, 0)),
            current_version=current,
            attempted_values={columns[c]["element"]: v for c, v in people[pk].items()})
    record(user, Action.CHANGE, subject_kind="task", subject_id=task.pk, org_code=task.org_code,
           reason="填报冲突，未保存", cells=[f"{c.row_key}|{c.column}" for c in conflicts][:50])


def recount_open_tasks(completed: Task) -> None:
    """What was just typed may fill other open tasks of the community: keep their counts true.

    Typed values are facts valid from the completed task's period end, so only tasks read
    as of that day or later can see them; earlier periods are not rebuilt. Each is locked
    and re-read before it is counted, so a task submitted meanwhile is left as it is.
    """
    others = list(Task.objects.filter(org_code=completed.org_code,
                                      status__in=[TaskStatus.OPEN, TaskStatus.RETURNED],
                                      period_end__gte=completed.period_end,
                                      ).exclude(pk=completed.pk).values_list("pk", flat=True))
    for pk in others:
        with transaction.atomic():
            other = (Task.objects.select_for_update().select_related("request", "org_unit")
                     .filter(pk=pk, status__in=[TaskStatus.OPEN, TaskStatus.RETURNED]).first())
            if other is None:
                continue
            account(other, report_for(other))
            if other.cells_missing == 0 and other.status == TaskStatus.OPEN:
                other.status = TaskStatus.READY
            other.save(update_fields=[*COUNTED, "status"])


def submit(user: object, task: Task) -> Task:
    """Submit a task with every cell filled. The task row is locked and its status and
    counts re-read under the lock, so a save of the same task runs wholly before (and is
    counted) or wholly after (and is refused)."""
    scope.require_may(user, scope.CHANGE, task)
    with transaction.atomic():
        locked = Task.objects.select_for_update().select_related("request", "org_unit").get(pk=task.pk)
        if locked.status not in EDITABLE:
            raise TaskError("task_already_submitted")
        account(locked, report_for(locked))
        if locked.cells_missing:
            raise TaskError("task_cells_missing", n=locked.cells_missing)
        locked.status = TaskStatus.SUBMITTED
        locked.submitted_by = user
        locked.submitted_at = timezone.now()
        locked.save(update_fields=[*COUNTED, "status", "submitted_by", "submitted_at"])
        record(user, Action.CHANGE, subject_kind="task", subject_id=locked.pk,
               org_code=locked.org_code, reason="报送", period=locked.period)
    task.refresh_from_db()
    return locked


@transaction.atomic
def return_task(user: object, task: Task, reason: str) -> Task:
    """A reviewer or the requesting department sends a submitted task back."""
    if not (scope.can(user, "review_requests") or scope.can(user, "submit_requests")):
        raise scope.OutOfScope("您的角色无权退回任务")
    if not scope.visible_requests(user).filter(pk=task.request_id).exists():
        raise scope.OutOfScope("无权处理该任务")
    locked = Task.objects.select_for_update().get(pk=task.pk)
    if locked.status != TaskStatus.SUBMITTED or len(reason.strip()) < 2:
        raise TaskError("task_return_needs_reason")
    locked.status = TaskStatus.RETURNED
    locked.return_reason = reason.strip()
    locked.save(update_fields=["status", "return_reason"])
    record(user, Action.CHANGE, subject_kind="task", subject_id=locked.pk, org_code=locked.org_code,
           reason=reason.strip(), step="return")
    task.refresh_from_db()
    return locked


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
