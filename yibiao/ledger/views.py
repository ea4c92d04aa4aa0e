"""Worker pages: thin views over ledger.people, ledger.records and ledger.masking."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yibiao.accounts import scope
from yibiao.audit.log import record
from yibiao.audit.models import Action
from yibiao.dictionary.rules import Rules
from yibiao.params import int_param
from yibiao.refusals import refused_back_to
from yibiao.values import get_code_list

from . import masking, people, transfers
from .models import Fact, SubjectKind
from .records import (
    EditConflictError,
    LedgerError,
    PersonInput,
    edit_person,
    next_household_number,
    set_household_address,
    write_people,
)
from .snapshot import identity_values


@login_required
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
        "groups": people.person_card(person, rules, today),
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
    if request.method == "POST":
        typed = people.form_values(people.person_card(person, rules, today), request.POST)
        try:
            result = edit_person(request.user, person, dict(typed),
                                 based_on_version=int_param(request.POST, "version", 0),
                                 rules=rules)
        except EditConflictError as conflict:
            messages.error(request, str(conflict))
            person.refresh_from_db()
        except LedgerError as error:
            messages.error(request, str(error))
        else:
            if not result.rejected:
                messages.success(request, f"已保存。{len(result.warnings) and '请注意：' or ''}"
                                 + "；".join(w.message_zh for w in result.warnings))
                return redirect("ledger:person", person_id=person.pk)
            errors = {p.element: p.message_zh for p in result.rejected}
            messages.error(request, _("有填写错误，未保存：请按提示修改。"))
    else:  # the form shows what the card shows (masked the same way): a read, audited as one
        record(request.user, Action.VIEW_PERSON, subject_kind="person", subject_id=person.pk,
               org_code=person.org_unit.code, reason="打开修改表单")
    return render(request, "ledger/person_edit.html", {
        "person": person,
        "groups": people.person_card(person, rules, today, typed, errors),
    })


@login_required
def person_history(request: HttpRequest, person_id: int) -> HttpResponse:
    person = scope.get_visible_person(request.user, person_id)
    record(request.user, Action.VIEW_PERSON, subject_kind="person", subject_id=person.pk,
           org_code=person.org_unit.code, reason="查看变更记录")
    return render(request, "ledger/person_history.html", {
        "person": person, "lines": people.person_history(person, Rules.load())})


MEMBER_ROWS = 6


@login_required
def household_new(request: HttpRequest) -> HttpResponse:
    """Door-to-door registration: one household, its address and its members, in one form."""
    scope.require(request.user, "edit_ledger")
    units = scope.worker_units(request.user).order_by("code")
    members = [{"name": "", "id_number": "", "relation": "", "phone": ""}
               for _ in range(MEMBER_ROWS)]
    problems: list[str] = []
    if request.method == "POST":
        unit = scope.get_visible_org_unit(request.user, request.POST.get("org_unit", ""))
        members = [{key: request.POST.get(f"{key}_{i}", "").strip()
                    for key in ("name", "id_number", "relation", "phone")}
                   for i in range(MEMBER_ROWS)]
        filled = [(i, m) for i, m in enumerate(members, start=1) if any(m.values())]
        number = request.POST.get("number", "").strip() or next_household_number(unit)
        address = request.POST.get("address", "").strip()
        inputs = [PersonInput({"person.name": m["name"], "person.id_number": m["id_number"],
                               "person.relation_to_head": m["relation"],
                               "person.phone": m["phone"],
                               "person.residence_address": address},
                              row=i, household_number=number) for i, m in filled]
        if not inputs:
            problems.append("请至少登记一名家庭成员。")
        else:
            try:
                result = write_people(request.user, unit, inputs, dry_run=True)
                if result.rejected:
                    problems = [f"第 {p.row} 位成员：{p.message_zh}" for p in result.rejected]
                else:
                    result = write_people(request.user, unit, inputs, origin="入户登记 第 {row} 位成员")
                    for sent in result.transfers:
                        messages.info(request, f"第 {sent.row} 位成员：{sent.message_zh}")
                    if not (result.created or result.updated or result.unchanged):
                        return redirect("ledger:transfers")
                    household = set_household_address(request.user, number, address)
                    messages.success(request, _("已登记 %(n)s 人。") % {
                        "n": result.created + result.updated + result.unchanged})
                    return redirect("ledger:household", household_id=household.pk)
            except LedgerError as error:
                problems.append(str(error))
    return render(request, "ledger/household_new.html", {
        "units": units, "members": members, "problems": problems, "post": request.POST,
        "relations": [(i.code, i.name) for i in get_code_list("family_relation").items],
    })


@login_required
def household_detail(request: HttpRequest, household_id: int) -> HttpResponse:
    household = scope.get_visible_household(request.user, household_id)
    today = timezone.localdate()
    members = list(household.current_members.all().order_by("id"))
    rows = people.list_rows(members, today)
    return render(request, "ledger/household_detail.html",
                  {"household": household, "rows": rows})


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
