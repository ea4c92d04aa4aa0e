"""Thin views: authorise, load, one domain call, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yibiao.accounts import scope
from yibiao.accounts.models import Department
from yibiao.gate.models import EvidenceKind, Frequency, Kind, Status, Subject, WorkItem
from yibiao.params import int_param
from yibiao.refusals import refused_back_to

from . import analysis, forms, workflow


def _back_to_item(request: HttpRequest, item_id: int, **_: object) -> HttpResponse:
    return redirect("gate:detail", demand_id=item_id)


def _item(user: object, item_id: int) -> WorkItem:
    return scope.get_visible_demand(user, item_id, WorkItem.KINDS)


def _form_context(request: HttpRequest, values: object, reasons: list[str], **extra: object) -> dict:
    return {"reasons": reasons, "post": values, "kinds": Kind.choices, "subjects": Subject.choices,
            "chosen": values.getlist("subjects") if hasattr(values, "getlist") else values.get("subjects", []),
            "frequencies": Frequency.choices, "evidence_kinds": EvidenceKind.choices,
            "evidence_rows": [{"n": n, "kind": values.get(f"evidence_kind_{n}", ""),
                               "what": values.get(f"evidence_what_{n}", ""),
                               "why": values.get(f"evidence_why_{n}", "")}
                              for n in range(1, forms.EVIDENCE_ROWS + 1)],
            "departments": Department.objects.all(),
            "scope_unit": scope.picked_unit(request.user, values.get("scope", "")), **extra}


def _picked(request: HttpRequest) -> object:
    """The posted form with its scope picker's text ("岳麓区（430104）") read as a code."""
    post = request.POST.copy()
    post["scope"] = scope.picked_code(request.user, post.get("scope"))
    return post


@login_required
def item_new(request: HttpRequest) -> HttpResponse:
    scope.require(request.user, "submit_requests")
    reasons: list[str] = []
    if request.method == "POST":
        new, reasons = forms.read(_picked(request), request.POST.getlist("subjects"))
        if not reasons:
            try:
                item = workflow.submit(request.user, new)
            except workflow.GateRefused as refused:
                reasons = refused.reasons
            else:
                messages.success(request, _("已提交，等待减负办审核。"))
                return redirect("gate:detail", demand_id=item.pk)
    return render(request, "gate/work/new.html", _form_context(request, request.POST, reasons))


@login_required
def item_resubmit(request: HttpRequest, item_id: int) -> HttpResponse:
    item = _item(request.user, item_id)
    scope.require(request.user, "submit_requests")
    reasons: list[str] = []
    values: object = forms.initial(item) | {"subjects": item.subjects}
    if request.method == "POST":
        values = request.POST
        new, reasons = forms.read(_picked(request), request.POST.getlist("subjects"))
        if not reasons:
            try:
                workflow.resubmit(request.user, item, new)
            except workflow.GateRefused as refused:
                reasons = refused.reasons
            else:
                messages.success(request, _("已重新提交，等待减负办审核。"))
                return redirect("gate:detail", demand_id=item.pk)
    return render(request, "gate/work/new.html", _form_context(request, values, reasons, item=item))


@login_required
def item_detail(request: HttpRequest, item_id: int) -> HttpResponse:
    item = _item(request.user, item_id)
    can_review = scope.can(request.user, "review_requests")
    overlaps = item.analysis.get("overlaps", [])
    mergeable = [o for o in overlaps if can_review and item.kind == Kind.INSPECTION
                 and o["kind"] == Kind.INSPECTION and item.status in (Status.SUBMITTED, Status.ADMITTED)]
    return render(request, "gate/work/detail.html", {
        "item": item, "a": item.analysis, "can_review": can_review, "mergeable": mergeable,
        "can_resubmit": item.status == Status.RETURNED and scope.can(request.user, "submit_requests"),
        "evidence": item.evidence.all(), "transitions": item.history.select_related("by"),
        "subject_labels": analysis.subject_labels(item.subjects),
        "merged_from": item.merged_from.select_related("department"),
        "reports": item.from_reports.all() if can_review else [],
    })


@login_required
@require_POST
@refused_back_to(_back_to_item)
def item_decide(request: HttpRequest, item_id: int) -> HttpResponse:
    item = _item(request.user, item_id)
    workflow.decide(request.user, item, request.POST.get("action", ""), request.POST.get("reason", ""))
    messages.success(request, _("已处理。"))
    return redirect("gate:detail", demand_id=item.pk)


@login_required
@require_POST
@refused_back_to(_back_to_item)
def item_strike(request: HttpRequest, item_id: int, evidence_id: int) -> HttpResponse:
    item = _item(request.user, item_id)
    workflow.strike(request.user, item, evidence_id, request.POST.get("reason", ""))
    messages.success(request, _("已删除该留痕要求。"))
    return redirect("gate:detail", demand_id=item.pk)


@login_required
@require_POST
def item_merge(request: HttpRequest, item_id: int) -> HttpResponse:
    item = _item(request.user, item_id)
    try:
        other = _item(request.user, int_param(request.POST, "other", 0))
        hours = forms.parse_hours(request.POST.get("hours", ""), problems := [])
        if problems:
            raise workflow.GateRefused(problems)
        joint = workflow.merge(request.user, item, other, request.POST.get("reason", ""), hours)
    except workflow.GateRefused as refused:
        for reason in refused.reasons:
            messages.error(request, reason)
        return redirect("gate:detail", demand_id=item.pk)
    messages.success(request, _("已合并为一次联合检查。"))
    return redirect("gate:detail", demand_id=joint.pk)
