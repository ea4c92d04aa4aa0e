"""Worker pages: thin views over ledger.people, ledger.records and ledger.masking."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext
from django.views.decorators.http import require_POST

from yibiao.accounts import scope
from yibiao.audit.log import record
from yibiao.audit.models import Action
from yibiao.dictionary.rules import Rules
from yibiao.dictionary.words import shown
from yibiao.params import int_param
from yibiao.refusals import Refusal, _to_traditional, language_of, refused_back_to
from yibiao.replica import reads_may_lag
from yibiao.values import get_code_list

from . import masking, people, transfers, undo
from .exports import export_ledger
from .models import Fact, LedgerWrite, SubjectKind, WriteKind
from .records import (
    EditConflictError,
    LedgerError,
    PersonInput,
    Registration,
    RowProblem,
    edit_person,
    next_household_number,
    register_household,
)
from .snapshot import identity_values

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
@reads_may_lag()  # the people search; a browser that just saved a form reads the primary
def people_list(request: HttpRequest) -> HttpResponse:
    scope.require(request.user, "view_ledger")
    query = request.GET.get("q", "")
    found = people.search_people(scope.visible_people(request.user).select_related("org_unit__parent"),
                                 query)
    page = Paginator(found, 30).get_page(request.GET.get("page"))
    rows = people.list_rows(list(page.object_list), timezone.localdate())
    template = "ledger/_people_rows.html" if request.htmx else "ledger/people_list.html"
    return render(request, template, {"page": page, "rows": rows, "q": query})


@login_required
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    person = scope.get_visible_person(request.user, person_id)
    rules = Rules.load()
    today = timezone.localdate()
    record(request.user, Action.VIEW_PERSON, subject_kind="person", subject_id=person.pk,
           org_code=person.org_unit.code)
    identity = identity_values(person.id_number, today)
    return render(request, "ledger/person_detail.html", {
        "person": person,
        "sex": identity["person.sex"],
        "birth_date": identity["person.birth_date"],
        "id_masked": masking.mask("id_number", person.id_number),
        # Only groups holding a value: an empty heading wastes a line of the printed card.
        "groups": [(title, fields) for title, fields in people.person_card(person, rules, today)
                   if any(field.shown for field in fields)],
        "can_edit": scope.can(request.user, "edit_ledger"),
    })


@login_required
@require_POST
def person_reveal(request: HttpRequest, person_id: int) -> HttpResponse:
    person = scope.get_visible_person(request.user, person_id)
    element = request.POST.get("element", "")
    try:
        value = masking.reveal(request.user, person, element, request.POST.get("reason", ""))
    except masking.RevealRefused as refused:
        return render(request, "ledger/_reveal.html", {"error": str(refused), "element": element,
                                                       "person": person}, status=400)
    return render(request, "ledger/_reveal.html", {"value": value, "element": element,
                                                   "person": person})


@login_required
def person_edit(request: HttpRequest, person_id: int) -> HttpResponse:
    person = scope.get_visible_person(request.user, person_id)
    scope.require(request.user, "edit_ledger")
    rules = Rules.load()
    today = timezone.localdate()
    typed: dict[str, str] | None = None
    errors: dict[str, str] = {}
    summary: list[str] = []
    if request.method == "POST":
        typed = people.form_values(people.person_card(person, rules, today), request.POST)
        try:
            result = edit_person(request.user, person, dict(typed),
                                 based_on_version=int_param(request.POST, "version", 0),
                                 rules=rules)
        except EditConflictError as conflict:
            messages.error(request, str(conflict))
            person.refresh_from_db()
            # Beside each field the other save changed: their value, who and when.
            errors = people.changed_since(person, int_param(request.POST, "seen", 0), rules)
        except LedgerError as error:
            messages.error(request, str(error))
        else:
            if not result.rejected:
                messages.success(request, f"已保存。{len(result.warnings) and '请注意：' or ''}"
                                 + "；".join(w.message_zh for w in result.warnings))
                return redirect("ledger:person", person_id=person.pk)
            errors = {}
            for problem in result.rejected:  # every one at once, beside its field
                errors.setdefault(problem.element, _named(person.name, rules, problem))
            summary = list(errors.values())
    else:  # the form shows what the card shows (masked the same way): a read, audited as one
        record(request.user, Action.VIEW_PERSON, subject_kind="person", subject_id=person.pk,
               org_code=person.org_unit.code, reason=gettext_noop("打开修改表单"))
    return render(request, "ledger/person_edit.html", {
        "person": person,
        "groups": people.person_card(person, rules, today, typed, errors),
        "summary": summary,
        "seen": people.last_fact_id(person),
    })


@login_required
def person_history(request: HttpRequest, person_id: int) -> HttpResponse:
    person = scope.get_visible_person(request.user, person_id)
    record(request.user, Action.VIEW_PERSON, subject_kind="person", subject_id=person.pk,
           org_code=person.org_unit.code, reason=gettext_noop("查看变更记录"))
    return render(request, "ledger/person_history.html", {
        "person": person, "lines": people.person_history(person, Rules.load())})


MEMBER_ROWS = 6
MEMBER_FIELDS = {"person.name": "name", "person.id_number": "id_number",
                 "person.relation_to_head": "relation", "person.phone": "phone"}
FORM_FIELDS = {"person.residence_address": "address", "household.number": "number"}


def _named(who: str, rules: Rules, problem: RowProblem) -> str:
    """A bad value's message naming whose it is: 刘兵彬 的联系电话：手机号码“12345”有 5 位…"""
    label = rules[problem.element].name_zh if problem.element in rules else problem.element
    message = problem.message_zh
    language = language_of()
    if language == "en":  # the English names the element by its code: said by its name instead
        message = problem.message_en.removeprefix(f"{problem.element}: ")
    elif language == "zh-hant":  # the label and message only: a person's name stays as typed
        label, message = _to_traditional().convert(label), _to_traditional().convert(message)
    label = shown(label)
    if language != "en" and message.startswith(label):  # 联系电话：…, 公民身份号码“…”校验码不符: the name said once
        return _("%(who)s 的%(message)s") % {"who": who, "message": message} if who else message
    if not who:
        return _("%(label)s：%(message)s") % {"label": label, "message": message}
    return _("%(who)s 的%(label)s：%(message)s") % {"who": who, "label": label, "message": message}


UNITS_LISTED = 30  # up to this many units the household form offers a list, beyond it a picker


@login_required
def household_new(request: HttpRequest) -> HttpResponse:
    """Door-to-door registration: one household, its address and its members, in one form.

    A refused save shows the form again with everything typed, every problem at once
    beside its field and naming the member; nothing is written until all are right."""
    scope.require(request.user, "edit_ledger")
    units = scope.worker_units(request.user).select_related("parent").order_by("code")
    # A community and its grids are a short list; a township's or a county's keeper picks
    # from hundreds, so they get the picker (name, pinyin initials or code).
    if units.count() > UNITS_LISTED:
        units = None
    members = [{"name": "", "id_number": "", "relation": "", "phone": "", "errors": {}}
               for _ in range(MEMBER_ROWS)]
    form_errors: dict[str, str] = {}
    summary: list[str] = []
    if request.method == "POST":
        unit = scope.get_picked_org_unit(request.user, request.POST.get("org_unit", ""))
        members = [{**{key: request.POST.get(f"{key}_{i}", "").strip()
                       for key in ("name", "id_number", "relation", "phone")}, "errors": {}}
                   for i in range(MEMBER_ROWS)]
        filled = [(i, m) for i, m in enumerate(members, start=1)
                  if any(m[key] for key in ("name", "id_number", "relation", "phone"))]
        number = request.POST.get("number", "").strip() or next_household_number(unit)
        address = request.POST.get("address", "").strip()
        inputs = [PersonInput({"person.name": m["name"], "person.id_number": m["id_number"],
                               "person.relation_to_head": m["relation"],
                               "person.phone": m["phone"],
                               "person.residence_address": address},
                              row=i, household_number=number) for i, m in filled]
        if not inputs:
            form_errors["members"] = str(Refusal("household_no_member"))
            summary.append(form_errors["members"])
        else:
            try:
                registered = register_household(request.user, unit, inputs, number=number,
                                                address=address)
            except LedgerError as error:  # a household number of another community
                form_errors["number"] = str(error)
                summary.append(str(error))
            else:
                if registered.ok:
                    return _registered(request, registered)
                summary = _place_problems(registered.result.rejected, members, form_errors)
    return render(request, "ledger/household_new.html", {
        "units": units, "picked": request.POST.get("org_unit", ""), "members": members, "errors": form_errors, "summary": summary,
        "post": request.POST,
        "relations": [(i.code, i.name) for i in get_code_list("family_relation").items],
    })


def _place_problems(problems: list[RowProblem], members: list[dict],
                    form_errors: dict[str, str]) -> list[str]:
    """Each problem beside its field (a member's, or the address and number all share,
    said once), naming the member; the list of all of them for the top of the form."""
    rules = Rules.load()
    summary = []
    for problem in problems:
        member = members[problem.row - 1] if problem.row else None
        if problem.element in FORM_FIELDS:
            key = FORM_FIELDS[problem.element]
            if key not in form_errors:
                form_errors[key] = _named("", rules, problem)
                summary.append(form_errors[key])
            continue
        who = (member or {}).get("name") or (_("第 %(n)s 位成员") % {"n": problem.row})
        message = _named(who, rules, problem)
        if member is not None:
            member["errors"].setdefault(MEMBER_FIELDS.get(problem.element, "id_number"), message)
        summary.append(message)
    return summary


def _registered(request: HttpRequest, registered: Registration) -> HttpResponse:
    result = registered.result
    for sent in result.transfers:
        said = {"en": sent.message_en, "zh-hant": _to_traditional().convert(sent.message_zh)}
        messages.info(request, _("第 %(n)s 位成员：%(message)s") % {
            "n": sent.row, "message": said.get(language_of(), sent.message_zh)})
    if registered.household is None:
        return redirect("ledger:transfers")
    messages.success(request, _("已登记 %(n)s 人。") % {
        "n": result.created + result.updated + result.unchanged})
    return redirect("ledger:household", household_id=registered.household.pk)


@login_required
def household_detail(request: HttpRequest, household_id: int) -> HttpResponse:
    household = scope.get_visible_household(request.user, household_id)
    today = timezone.localdate()
    members = list(household.current_members.all().order_by("id"))
    # The card (printed as a 户卡) shows each member as the person card does: a read, audited.
    record(request.user, Action.VIEW_PERSON, subject_kind="household", subject_id=household.pk,
           org_code=household.org_unit.code, people=[m.pk for m in members][:50])
    rows = people.list_rows(members, today)
    registration = household.writes.filter(kind=WriteKind.HOUSEHOLD).order_by("-at").first()
    return render(request, "ledger/household_detail.html", {
        "household": household, "rows": rows, "registration": registration,
        "undo": registration if undo.can_undo(request.user, registration) else None})


@login_required
def ledger_export(request: HttpRequest) -> HttpResponse:
    """导出台账: the ledger of one's unit as xlsx, masked unless a reason is given by a role
    that may see full numbers; every export audited (exports.export_ledger)."""
    scope.require(request.user, "view_ledger")
    unit = request.user.org_unit  # the picker opens at the user's own unit
    may_unmask = scope.can(request.user, "reveal_personal")
    error = ""
    if request.method == "POST":
        picked = request.POST.get("org", "").strip()  # a cleared picker means one's own unit
        unit = scope.get_picked_org_unit(request.user, picked) if picked else request.user.org_unit
        as_of = _posted_date(request.POST.get("as_of", "")) or timezone.localdate()
        unmask = request.POST.get("full") == "1"
        try:
            if unit is None:  # a nationwide account with nothing picked
                raise LedgerError("export_no_unit")
            with tempfile.TemporaryDirectory(prefix="yibiao-export-") as folder:
                name = f"台账-{unit.name}-{as_of:%Y%m%d}{'-完整' if unmask else ''}.xlsx"
                result = export_ledger(request.user, unit, as_of, Path(folder) / name,
                                       unmask=unmask, reason=request.POST.get("reason", ""))
                body = result.path.read_bytes()
        except LedgerError as refused:
            error = str(refused)
        else:
            response = HttpResponse(body, content_type=XLSX)
            response["Content-Disposition"] = content_disposition_header(True, name)
            return response
    return render(request, "ledger/export.html", {
        "unit": unit, "may_unmask": may_unmask, "error": error, "post": request.POST,
        "today": timezone.localdate()}, status=400 if error else 200)


def _posted_date(text: str):  # noqa: ANN202 - a date or None
    from yibiao.values import ValueProblem, parse_date

    if not text.strip():
        return None
    try:
        return parse_date(text).date
    except ValueProblem:
        return None


@login_required
def write_list(request: HttpRequest) -> HttpResponse:
    """最近导入与登记: what the user may still undo, and what was undone."""
    scope.require(request.user, "edit_ledger")
    since = timezone.now() - undo.UNDO_WINDOW
    writes = list(scope.permitted(request.user, LedgerWrite, scope.VIEW)
                  .filter(Q(at__gte=since) | Q(undone_at__gte=since))[:100])
    may = set(undo.undoable(request.user).filter(pk__in=[w.pk for w in writes])
              .values_list("pk", flat=True))
    return render(request, "ledger/writes.html", {"writes": writes, "may": may})


@login_required
@require_POST
@refused_back_to(lambda request, write_id: redirect("ledger:writes"))
def write_undo(request: HttpRequest, write_id: int) -> HttpResponse:
    done = undo.undo_write(request.user, write_id)
    messages.success(request, _("已撤销“%(label)s”：恢复了 %(facts)s 项信息，结束了 %(ended)s 条居住记录。")
                     % {"label": done.write.label, "facts": done.facts_reversed,
                        "ended": done.residences_ended}
                     + (ngettext("撤回了 %(n)s 项迁入申请。", "撤回了 %(n)s 项迁入申请。",
                                 done.transfers_withdrawn) % {"n": done.transfers_withdrawn}
                        if done.transfers_withdrawn else "")
                     + (ngettext("%(n)s 项等待确认的迁入申请恢复为此前的内容。", "%(n)s 项等待确认的迁入申请恢复为此前的内容。",
                                 done.transfers_restored) % {"n": done.transfers_restored}
                        if done.transfers_restored else "")
                     + (_("其中 %(kept)s 项在此之后又被修改过，保留了修改后的值。") % {"kept": done.kept}
                        if done.kept else ""))
    return redirect("ledger:writes")


@login_required
def place_list(request: HttpRequest) -> HttpResponse:
    """Houses of the worker's scope; 只看出租 narrows to rental houses (治安、消防检查的对象)."""
    scope.require(request.user, "view_ledger")
    places = scope.visible_places(request.user).select_related("org_unit").order_by(
        "org_unit__code", "address")
    rental_only = request.GET.get("rental") == "1"
    if rental_only:
        rental_ids = Fact.objects.filter(subject_kind=SubjectKind.PLACE, element="place.is_rental",
                                         value="1").values("subject_id")
        places = places.filter(pk__in=rental_ids)
    page = Paginator(places, 50).get_page(request.GET.get("page"))
    rows = people.place_rows(list(page.object_list), Rules.load())
    if rental_only:  # a later fact may have ended the rental: show what is true now
        rows = [row for row in rows if row.rental]
    return render(request, "ledger/places.html", {"page": page, "rows": rows,
                                                  "rental_only": rental_only})


@login_required
def transfer_list(request: HttpRequest) -> HttpResponse:
    """迁入申请: residents other communities ask for (to decide), and what ours asked for."""
    scope.require(request.user, "edit_ledger")
    return render(request, "ledger/transfers.html", {
        "incoming": transfers.lines(transfers.incoming(request.user)),
        "decided": transfers.lines(transfers.decided(request.user)[:50]),
        "outgoing": transfers.lines(transfers.outgoing(request.user)),
    })


@login_required
@require_POST
@refused_back_to(lambda request, transfer_id: redirect("ledger:transfers"))
def transfer_decide(request: HttpRequest, transfer_id: int) -> HttpResponse:
    action = request.POST.get("action", "")
    if action == "confirm":
        done = transfers.confirm(request.user, transfer_id, checked=request.POST.get("checked") == "1")
        messages.success(request, _("已确认：此人迁往“%(unit)s”，原居住记录已结束。")
                         % {"unit": done.to_unit.label})
    elif action == "decline":
        transfers.decline(request.user, transfer_id, request.POST.get("reason", ""))
        messages.success(request, _("已拒绝该迁入申请。"))
    elif action == "withdraw":
        transfers.withdraw(request.user, transfer_id)
        messages.success(request, _("已撤回迁入申请。"))
    else:
        messages.error(request, _("未知操作。"))
    return redirect("ledger:transfers")
