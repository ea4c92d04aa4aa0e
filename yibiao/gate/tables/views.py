from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yibiao.accounts import scope
from yibiao.accounts.models import Department, Role
from yibiao.dictionary.rules import Rules
from yibiao.gate.models import FormRequest, Frequency
from yibiao.params import int_param
from yibiao.refusals import refused_back_to

from . import decisions, subjects, workflow


def _back_to_request(request: HttpRequest, request_id: int) -> HttpResponse:
    return redirect("gate:detail", demand_id=request_id)


def _request(user: object, request_id: int) -> FormRequest:
    return scope.get_visible_demand(user, request_id, FormRequest.KINDS, _("无权查看该报表需求，或它不存在。"))


@login_required
def request_new(request: HttpRequest) -> HttpResponse:
    scope.require(request.user, "submit_requests")
    reasons: list[str] = []
    asked: list[decisions.Decision] = []
    if request.method == "POST":
        post = request.POST
        justifications, masked = _decisions_from(post)
        try:
            created = workflow.submit_upload(request.user, request.FILES["template"], workflow.NewRequest(
                title=post.get("title", ""), department=post.get("department", ""),
                basis=post.get("basis", ""), frequency=post.get("frequency", ""),
                scope_code=scope.picked_code(request.user, post.get("scope")), deadline_days=int_param(post, "deadline_days", 5, maximum=3650),
                justifications=justifications, masked=masked, emergency=post.get("emergency", ""),
                filter_text=_filter_text(post)))
        except KeyError:
            reasons = ["请选择模板文件（.xlsx 或 .xls）"]
        except workflow.GateRefused as refused:
            reasons = refused.reasons
            asked = refused.decisions
        else:
            messages.success(request, _("已提交，等待减负办审核。"))
            return redirect("gate:detail", demand_id=created.pk)
    return render(request, "gate/table/new.html", {
        "reasons": reasons, "post": request.POST, "frequencies": Frequency.choices,
        "decisions": _as_asked(asked, request.POST), "min_reason": decisions.MIN_REASON_CHARS,
        "scope_unit": scope.picked_unit(request.user, request.POST.get("scope", "")),
        "departments": Department.objects.all(),
    })


def _decisions_from(post: object) -> tuple[dict[str, str], list[str]]:
    """Per sensitive column (element code): `decision:CODE` full|masked, `justify:CODE` the
    reason; a reason without a choice means the full value."""
    justifications: dict[str, str] = {}
    masked: list[str] = []
    for key, value in post.items():
        if key.startswith("decision:") and value == decisions.MASKED:
            masked.append(key.removeprefix("decision:"))
    for key, value in post.items():
        code = key.removeprefix("justify:")
        if key.startswith("justify:") and code not in masked and value.strip():
            justifications[code] = value
    return justifications, masked


def _as_asked(asked: list[decisions.Decision], post: object) -> list[dict[str, object]]:
    """The columns to decide, each with what the officer chose and typed last time."""
    return [{"d": d, "choice": post.get(f"decision:{d.element}", d.choice),
             "reason": post.get(f"justify:{d.element}", d.reason)} for d in asked]


def _filter_text(post: object) -> str | None:
    """The officer's filter: typed text, "" when they chose none, None for the suggestion."""
    if post.get("no_filter") == "1":
        return ""
    return post.get("subject_filter", "").strip() or None


@login_required
@require_POST
@refused_back_to(_back_to_request)
def request_filter(request: HttpRequest, request_id: int) -> HttpResponse:
    """Correct who the rows are about (reviewer or the department, before the decision)."""
    form_request = _request(request.user, request_id)
    action = request.POST.get("action", "set")
    workflow.set_filter(request.user, form_request,
                        "" if action == "clear" else request.POST.get("subject_filter", ""),
                        accept_suggestion=action == "accept", reason=request.POST.get("reason", ""))
    messages.success(request, _("填报对象条件已保存，分析已更新。"))
    return redirect("gate:detail", demand_id=form_request.pk)


@login_required
@require_POST
@refused_back_to(_back_to_request)
def request_optional(request: HttpRequest, request_id: int) -> HttpResponse:
    """Mark the columns the grassroots may leave empty (department or reviewer, before the decision)."""
    form_request = _request(request.user, request_id)
    workflow.set_optional(request.user, form_request, request.POST.getlist("optional"),
                          reason=request.POST.get("reason", ""))
    messages.success(request, _("选填列已保存，分析已更新。"))
    return redirect("gate:detail", demand_id=form_request.pk)


@login_required
def filter_check(request: HttpRequest) -> JsonResponse:
    """For the form, as the officer types: the filter read back, or the problem and where;
    the system's suggestion for a title; how many residents of the scope match now."""
    scope.require(request.user, "submit_requests")
    return JsonResponse(subjects.check(request.user, request.GET.get("filter", ""),
                                       title=request.GET.get("title", ""),
                                       scope_code=scope.picked_code(request.user, request.GET.get("scope"))))


@login_required
def request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    form_request = _request(request.user, request_id)
    suggestion = form_request.filter_suggestion or {}
    return render(request, "gate/table/detail.html", {
        "r": form_request, "a": form_request.analysis,
        # Said in the reader's language; typed back in any (the filter language reads all three).
        "filter_text": subjects.shown(form_request.subject_filter),
        "suggestion_text": subjects.shown(suggestion.get("filter")) or suggestion.get("text", ""),
        "suggestion_reason": subjects.suggestion_reason(suggestion, html=True),
        "filter_status": subjects.STATUS_NAMES.get(form_request.filter_status, ""),
        "can_edit_filter": form_request.status in workflow.FILTER_EDITABLE
        and scope.may(request.user, scope.CHANGE, form_request),
        "can_review": scope.can(request.user, "review_requests"),
        "transitions": form_request.history.select_related("by"),
        "decisions": [{"d": d, "choice": d.choice, "reason": d.reason} for d in decisions.decisions_of(
            form_request.columns, Rules.load(), form_request.justifications, form_request.masked_elements)],
        "can_edit_decisions": form_request.status in workflow.FILTER_EDITABLE
        and scope.may(request.user, scope.CHANGE, form_request)
        and (form_request.department_id == getattr(request.user, "department_id", None)
             or getattr(request.user, "role", None) == Role.ADMIN),
        "min_reason": decisions.MIN_REASON_CHARS,
    })


@login_required
@require_POST
@refused_back_to(_back_to_request)
def request_decisions(request: HttpRequest, request_id: int) -> HttpResponse:
    """The department changes its per-column decisions before the review (or once returned)."""
    form_request = _request(request.user, request_id)
    justifications, masked = _decisions_from(request.POST)
    workflow.set_decisions(request.user, form_request, justifications, masked,
                           reason=request.POST.get("reason", ""))
    messages.success(request, _("敏感信息的提供方式已保存，分析已更新。"))
    return redirect("gate:detail", demand_id=form_request.pk)


@login_required
@require_POST
@refused_back_to(_back_to_request)
def request_decide(request: HttpRequest, request_id: int) -> HttpResponse:
    form_request = _request(request.user, request_id)
    workflow.decide(request.user, form_request, request.POST.get("action", ""),
                    request.POST.get("reason", ""),
                    direct_delivery=request.POST.get("direct_delivery") == "1",
                    mappings_checked=request.POST.get("mappings_checked") == "1",
                    per_period={key.removeprefix("period:"): value == "1"
                                for key, value in request.POST.items()
                                if key.startswith("period:")})
    messages.success(request, _("已处理。"))
    return redirect("gate:detail", demand_id=form_request.pk)
