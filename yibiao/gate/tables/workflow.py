"""Submitting a table and what its steps through the gate mean for it.

The steps themselves (who may take which, from which status, the history and audit) are
the gate's one state machine (gate/machine.py); here is what only a table has: its
template read and mapped, its subject filter and sensitive columns decided, its columns
confirmed and new elements introduced when admitted, its first tasks created.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yibiao.accounts import scope
from yibiao.accounts.models import Department, Role
from yibiao.audit.log import record
from yibiao.audit.models import Action
from yibiao.dictionary.elements import NewElement, add_element, guess_value_type
from yibiao.dictionary.matching import database_matcher
from yibiao.dictionary.models import Element, LearnedAlias, Sensitivity
from yibiao.dictionary.rules import Rules
from yibiao.dictionary.words import shown
from yibiao.gate import machine, rules
from yibiao.gate.machine import GateRefused
from yibiao.gate.models import FREQUENCY_RANK, FormRequest, Frequency, Status
from yibiao.matching import normalise
from yibiao.matching.inspect import match_layout
from yibiao.refusals import Reason
from yibiao.reports import filterlang
from yibiao.sheets import SheetError, SheetLayout, read_workbook
from yibiao.sheets.formats import SheetFormats, read_formats
from yibiao.sheets.safety import safe_file_name

from . import aggregates, analysis, decisions, subjects

MAX_TEMPLATE_BYTES = 20 * 1024 * 1024


@dataclass
class NewRequest:
    title: str
    department: str
    basis: str
    frequency: str
    scope_code: str
    deadline_days: int = 5
    # Per sensitive column (element code, column letter or header): the reason for its full
    # value, or the column listed in `masked` (admission/decisions.py).
    justifications: dict[str, str] = field(default_factory=dict)
    masked: list[str] = field(default_factory=list)
    emergency: str = ""
    sheet: str | None = None
    subject_filter: list[dict[str, str]] = field(default_factory=list)
    # Who the rows are about, in the filter language (docs/subject-filter.md). None: the
    # system's suggestion from the template's words; "": no filter.
    filter_text: str | None = None


def find_department(actor: object, name: str) -> Department:
    """The officer's own department; administrators may name any, creating a new one."""
    own = getattr(actor, "department", None)
    if getattr(actor, "role", None) == Role.OFFICER:
        if own is None or name.strip() not in ("", own.name, own.short_name):
            raise GateRefused("request_own_department_only", department=str(own))
        return own
    name = name.strip()
    if not name:
        raise GateRefused("request_department_missing")
    found = Department.objects.filter(name=name).first() or \
        Department.objects.filter(short_name=name).first()
    return found or Department.objects.create(name=name)


def read_template(path: Path, sheet: str | None) -> tuple[str, str, str, list[dict], str]:
    """(sheet name, layout, subject, columns, title written in the sheet) of the template's
    table, mapped to elements."""
    try:
        book = read_workbook(path)
    except SheetError as error:
        raise GateRefused("template_unreadable", problem=error.message,
                             problem_en=error.message_en) from None
    sheets = [s for s in book.sheets if not s.hidden and s.columns]
    if sheet:
        sheets = [s for s in sheets if s.name == sheet]
        if not sheets:
            raise GateRefused("template_sheet_missing", sheet=sheet)
    if not sheets:
        raise GateRefused("template_no_header")
    layout = sheets[0]
    aggregates.recognise(layout)
    match = match_layout(database_matcher(), layout)
    formats = template_formats(path, layout)
    columns = []
    for c, m in zip(layout.columns, match.columns, strict=True):
        column = {"column": c.letter, "index": c.index, "header": c.header, "path": list(c.path),
                  "element": m.element if m.status in ("auto", "suggested") else None,
                  "status": m.status, "confidence": m.confidence}
        if m.derive and column["element"]:
            column["derive"] = m.derive  # 是否患慢性病: a yes/no from 慢性病情况, never its text
        if c.cell:
            column["cell"] = c.cell  # a card's field: its value cell
        if (fmt := formats.of(c.index, c.cell)) is not None:
            column["format"] = fmt.summary()  # what the template asks of its values (analysis)
        columns.append(column)
    # An aggregate's count columns: what each counts, read from its header path (其中：女
    # under 60周岁以上), and what a row is (admission/aggregates.py).
    aggregates.annotate(layout, columns)
    return layout.name, layout.layout, match.subject, columns, layout.title


def template_formats(path: Path, layout: SheetLayout) -> SheetFormats:
    """What each column asks of its values (dropdowns, formats, notes); a template whose
    formats cannot be read is still accepted, with nothing inferred."""
    try:
        return read_formats(path, layout.name, layout)
    except (ValueError, KeyError, OSError, zipfile.BadZipFile):
        return SheetFormats()


def check_rules(request: FormRequest, result: analysis.Analysis) -> list[str]:
    config = rules.rules_for(request.scope)
    reasons = []
    if config.require_basis and len(request.basis.strip()) < 4:
        reasons.append(Reason("basis_missing"))
    limit = config.max_frequency
    if FREQUENCY_RANK[request.frequency] > FREQUENCY_RANK[limit] and not request.emergency.strip():
        reasons.append(Reason("frequency_over_limit", frequency=Frequency(request.frequency).label,
                              limit=Frequency(limit).label))
    for element, max_frequency in config.element_max_frequency.items():
        if element in request.elements and \
                FREQUENCY_RANK[request.frequency] > FREQUENCY_RANK[max_frequency] and \
                not request.emergency.strip():
            name = Element.objects.filter(code=element).values_list("name_zh", flat=True).first() or element
            reasons.append(Reason("element_frequency_over_limit", element=name,
                                  element_en=shown(name, language="en"),
                                  limit=Frequency(max_frequency).label))
    # Sensitive columns: decided per column at submission (decisions.settle), refused there.
    return reasons + rules.table_limits(request, result, config)


def submit(actor: object, template: Path, new: NewRequest, *, original_name: str = "") -> FormRequest:
    """Analyse and store a department's request; refuse it, with every reason, if it breaks a rule."""
    scope.require(actor, "submit_requests")
    unit = scope.get_visible_org_unit(actor, new.scope_code)
    if template.stat().st_size > MAX_TEMPLATE_BYTES:
        raise GateRefused("template_too_large", limit_mb=MAX_TEMPLATE_BYTES // (1024 * 1024))
    if new.frequency not in Frequency.values:
        raise GateRefused("frequency_unknown", choices=", ".join(Frequency.values))
    department = find_department(actor, new.department)
    sheet_name, layout, subject, columns, sheet_title = read_template(template, new.sheet)
    vocab = subjects.vocabulary()
    suggestion = subjects.suggest(new.title, [sheet_title, sheet_name], [c["header"] for c in columns],
                                  subject, layout, vocab)
    try:
        chosen = subjects.choose(new.filter_text, new.subject_filter, suggestion, subject, vocab, layout)
    except subjects.FilterError as problem:
        raise GateRefused("subject_filter_invalid", problem=problem.message_zh,
                             problem_en=problem.message_en) from None
    settled = decisions.settle(columns, Rules.load(), new.justifications, new.masked,
                               required=rules.rules_for(unit).sensitive_needs_justification)
    with transaction.atomic():
        request = FormRequest(
            title=new.title.strip() or template.stem, department=department, basis=new.basis.strip(),
            frequency=new.frequency, emergency=new.emergency.strip(), scope=unit,
            deadline_days=new.deadline_days, template_name=original_name or template.name,
            sheet_name=sheet_name, subject=subject, layout=layout, columns=columns,
            justifications=settled.justifications, masked_elements=settled.masked,
            subject_filter=chosen.stored, filter_status=chosen.status,
            filter_suggestion=suggestion.as_dict(vocab) if suggestion else {},
            submitted_by=actor,
        )
        result = analysis.analyse(request)
        reasons = check_rules(request, result) + settled.problems
        if reasons:
            raise GateRefused(reasons, [(d.element, d.name) for d in settled.undecided],
                                 settled.decisions)
        request.analysis = result.as_dict()
        with open(template, "rb") as handle:
            request.template.save(f"request-{timezone.now():%Y%m%d%H%M%S}{template.suffix.lower()}",
                                  File(handle), save=False)
        machine.flip(actor, request, "submit", Status.SUBMITTED, fresh=True, verdict=result.verdict)
    return request


def submit_upload(actor: object, upload: object, new: NewRequest) -> FormRequest:
    """The web path: a Django UploadedFile written to a temporary file first."""
    suffix = Path(getattr(upload, "name", "template.xlsx")).suffix.lower() or ".xlsx"
    if getattr(upload, "size", 0) > MAX_TEMPLATE_BYTES:
        raise GateRefused("template_too_large", limit_mb=MAX_TEMPLATE_BYTES // (1024 * 1024))
    # The file keeps the name it was uploaded with, in a directory of its own: every message
    # about it (a refusal, a warning) then names the user's file, not a temporary name.
    folder = Path(tempfile.mkdtemp(prefix="yibiao-template-"))
    path = folder / safe_file_name(getattr(upload, "name", ""), f"template{suffix}")
    try:
        with path.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        return submit(actor, path, new, original_name=getattr(upload, "name", ""))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# A filter is corrected while the request waits for its decision; once admitted, tasks
# exist and a different set of rows is a new request.
FILTER_EDITABLE = (Status.SUBMITTED, Status.RETURNED)


@transaction.atomic
def set_filter(actor: object, request: FormRequest, text: str | None = None, *,
               accept_suggestion: bool = False, reason: str = "") -> FormRequest:
    """Correct who the rows are about: new text ("" clears it) or the system's suggestion.

    For the request's department and reviewers, before the decision; re-analysed and
    audited with the old and the new filter.
    """
    scope.require_may(actor, scope.CHANGE, request)
    locked = FormRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status not in FILTER_EDITABLE:
        raise GateRefused("subject_filter_not_editable", status=Status(locked.status).label)
    vocab = subjects.vocabulary()
    suggestion = locked.filter_suggestion or {}
    reviewer = scope.can(actor, "review_requests")
    if accept_suggestion:
        if not suggestion.get("filter"):
            raise GateRefused("subject_filter_no_suggestion")
        tree, status = suggestion["filter"], "confirmed"
    else:
        try:
            tree = subjects.parse(text or "", locked.subject, vocab)
            if tree is not None and locked.layout == "aggregate":
                raise subjects.FilterError("aggregate", None)
        except subjects.FilterError as problem:
            raise GateRefused("subject_filter_invalid", problem=problem.message_zh,
                             problem_en=problem.message_en) from None
        if tree is None:
            status = "cleared" if suggestion else ""
        elif suggestion.get("filter") and filterlang.same(tree, suggestion["filter"]):
            status = "confirmed"
        else:
            status = "reviewer" if reviewer else "officer"
    old = subjects.describe(locked.subject_filter, vocab)
    locked.subject_filter = tree or []
    locked.filter_status = status
    locked.analysis = analysis.analyse(locked).as_dict()
    locked.save(update_fields=["subject_filter", "filter_status", "analysis"])
    record(actor, Action.CHANGE, subject_kind="form_request", subject_id=locked.pk,
           org_code=locked.scope.code, reason=reason.strip()[:300], field="subject_filter",
           old=old, new=subjects.describe(locked.subject_filter, vocab), status=status)
    return locked


@transaction.atomic
def set_decisions(actor: object, request: FormRequest, justifications: dict[str, str],
                  masked: list[str], *, reason: str = "") -> FormRequest:
    """The department changes its per-column decisions (full with a reason, or masked) while
    the request waits for review or was returned; checked as at submission, re-analysed and
    audited with the old and the new decisions."""
    scope.require_may(actor, scope.CHANGE, request)
    if request.department_id != getattr(actor, "department_id", None) \
            and getattr(actor, "role", None) != Role.ADMIN:
        raise scope.OutOfScope(_("只有提出需求的部门可以修改敏感信息的提供方式"))
    locked = FormRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status not in FILTER_EDITABLE:
        raise GateRefused("decisions_not_editable", status=Status(locked.status).label)
    dictionary = Rules.load()
    settled = decisions.settle(locked.columns, dictionary, justifications, masked,
                               required=rules.rules_for(locked.scope).sensitive_needs_justification)
    if settled.problems:
        raise GateRefused(settled.problems, [(d.element, d.name) for d in settled.undecided],
                             settled.decisions)
    old = [d.as_dict() for d in decisions.decisions_of(locked.columns, dictionary, locked.justifications,
                                                       locked.masked_elements)]
    locked.justifications, locked.masked_elements = settled.justifications, settled.masked
    locked.analysis = analysis.analyse(locked).as_dict()
    locked.save(update_fields=["justifications", "masked_elements", "analysis"])
    record(actor, Action.CHANGE, subject_kind="form_request", subject_id=locked.pk,
           org_code=locked.scope.code, reason=reason.strip()[:300], field="personal_decisions",
           old={d["element"]: d["choice"] for d in old},
           new={d.element: d.choice for d in settled.decisions})
    return locked


@transaction.atomic
def set_optional(actor: object, request: FormRequest, letters: list[str], *, reason: str = "") -> FormRequest:
    """Which columns the grassroots may leave empty (选填), as the department or a reviewer
    says before the decision: never blocking a submission, not counted as burden when empty.
    Columns optional by their header (备注, 选填, 如有) stay so. Re-analysed and audited."""
    scope.require_may(actor, scope.CHANGE, request)
    locked = FormRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status not in FILTER_EDITABLE:
        raise GateRefused("optional_not_editable", status=Status(locked.status).label)
    wanted = {letter.strip().upper() for letter in letters if letter.strip()}
    known = {c["column"] for c in locked.columns}
    if unknown := sorted(wanted - known):
        raise GateRefused("optional_column_unknown", columns=", ".join(unknown))
    old = sorted(c["column"] for c in locked.columns if c.get("optional"))
    for column in locked.columns:
        column["optional"] = column["column"] in wanted
        if not column["optional"]:
            column.pop("optional")
    locked.analysis = analysis.analyse(locked).as_dict()
    locked.save(update_fields=["columns", "analysis"])
    record(actor, Action.CHANGE, subject_kind="form_request", subject_id=locked.pk,
           org_code=locked.scope.code, reason=reason.strip()[:300], field="optional_columns",
           old=old, new=sorted(wanted))
    return locked


@transaction.atomic
def decide(actor: object, request: FormRequest, action: str, reason: str = "", *,
           direct_delivery: bool = False, mappings_checked: bool = False,
           per_period: dict[str, bool] | None = None) -> FormRequest:
    """`per_period` (column letter → asked again each period?) is the reviewer's word on the
    columns new to the dictionary; where it is silent the system's guess stands."""
    locked = machine.take(actor, request, action, reason)
    result = analysis.analyse(locked)
    if action == "admit":
        if result.undecided_sensitive:
            raise GateRefused("sensitive_undecided")
        if direct_delivery and not result.served_by_ledger:
            raise GateRefused("needs_community_data")
        unsure = [f"第 {c['column']} 列“{c['header']}”" for c in locked.columns
                  if c.get("status") == "suggested" and c.get("element")] + aggregates.unsure(locked.columns)
        if unsure and not mappings_checked:
            # A wrong mapping puts a wrong value into a government report: a person looks first.
            raise GateRefused("mappings_unchecked", columns="、".join(unsure), columns_en=", ".join(unsure))
        # 只减不增 again at admission: tables waiting together each passed it alone at submission.
        Department.objects.select_for_update().filter(pk=locked.department_id).first()  # one at a time
        over = rules.table_limits(locked, result, rules.rules_for(locked.scope))
        if over:
            raise GateRefused(over)
        for column in locked.columns:
            if column.get("status") == "suggested" and column.get("element"):
                column["status"] = "confirmed"
        aggregates.confirm(actor, locked.columns)  # and learned
        introduce_new_elements(actor, locked, per_period or {})
        result = analysis.analyse(locked)
        locked.direct_delivery = direct_delivery
    previous = locked.status
    locked.decided_at = timezone.now()
    locked.decision_reason = reason.strip()
    locked.analysis = result.as_dict()
    target = machine.TRANSITIONS[(previous, action)]
    machine.flip(actor, locked, action, target, reason, direct_delivery=locked.direct_delivery)
    from . import hooks

    hooks.after_transition(locked, previous, target)
    return locked


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def introduce_new_elements(actor: object, request: FormRequest,
                           per_period: dict[str, bool] | None = None) -> list[Element]:
    """Columns new to the dictionary become elements owned by the department, so the next
    request that asks the same wording reuses them instead of asking again."""
    created = []
    subject = request.subject if request.subject in ("person", "household", "place") else "person"
    for column in request.columns:
        if column.get("element") or column.get("indicator"):
            continue
        wording = normalise(column["header"])
        existing = LearnedAlias.objects.filter(text=wording, context_subject=subject,
                                               element__isnull=False).select_related("element").first()
        if existing:
            column["element"] = existing.element.code
            continue
        code = f"{subject}.r{request.pk}_{_slug(column['column'])}"
        element = add_element(actor, NewElement(code=code, name_zh=column["header"].strip()[:100],
                                         subject=subject, value_type=guess_value_type(column["header"]),
                                         sensitivity=Sensitivity.PERSONAL,
                                         aliases=(column["header"].strip(),),
                                         per_period=(per_period or {}).get(
                                             column["column"],
                                             analysis.guess_per_period(request, column["header"])),
                                         note=f"由第 {request.pk} 号报表需求《{request.title}》引入"),
                              owner=request.department, via_admission=True)
        LearnedAlias.objects.update_or_create(text=wording, context_subject=subject,
                                              defaults={"element": element})
        column["element"] = code
        column["status"] = "auto"
        created.append(element)
    return created

