"""Thin views: authorise, load, one domain call, render."""

from __future__ import annotations

import datetime as dt
from pathlib import PurePath

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yibiao.accounts import scope
from yibiao.accounts.models import Department
from yibiao.admission.models import Frequency
from yibiao.params import date_param, int_param, month_param
from yibiao.refusals import refused_back_to

from . import agenda, analysis, forms, slipped, workflow
from .models import Channel, EvidenceKind, Kind, ReportKind, ReportStatus, Status, Subject, WorkItem


def _back_to_item(request: HttpRequest, item_id: int, **_: object) -> HttpResponse:
    return redirect("workload:detail", item_id=item_id)


def _item(user: object, item_id: int) -> WorkItem:
    found = scope.visible_work_items(user).filter(pk=item_id).first()
    if found is None:
        raise scope.OutOfScope("无权查看该事项，或它不存在。")
    return found


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
def item_list(request: HttpRequest) -> HttpResponse:
    items = scope.visible_work_items(request.user)
    status = request.GET.get("status", "")
    if status in Status.values:
        items = items.filter(status=status)
    return render(request, "workload/list.html", {
        "items": items.order_by("-submitted_at", "-pk")[:200], "statuses": Status.choices,
        "status": status, "can_submit": scope.can(request.user, "submit_requests"),
        "can_review": scope.can(request.user, "review_requests"),
        "can_report": scope.can(request.user, "edit_ledger"),
        "converted": scope.visible_unadmitted_reports(request.user).filter(
            status=ReportStatus.CONVERTED)[:50] if scope.can(request.user, "follow_converted") else []})


@login_required
def item_new(request: HttpRequest) -> HttpResponse:
    scope.require(request.user, "submit_requests")
    reasons: list[str] = []
    if request.method == "POST":
        new, reasons = forms.read(_picked(request), request.POST.getlist("subjects"))
        if not reasons:
            try:
                item = workflow.submit(request.user, new)
            except workflow.WorkRefused as refused:
                reasons = refused.reasons
            else:
                messages.success(request, _("已提交，等待减负办审核。"))
                return redirect("workload:detail", item_id=item.pk)
    return render(request, "workload/new.html", _form_context(request, request.POST, reasons))


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
            except workflow.WorkRefused as refused:
                reasons = refused.reasons
            else:
                messages.success(request, _("已重新提交，等待减负办审核。"))
                return redirect("workload:detail", item_id=item.pk)
    return render(request, "workload/new.html", _form_context(request, values, reasons, item=item))


@login_required
def item_detail(request: HttpRequest, item_id: int) -> HttpResponse:
    item = _item(request.user, item_id)
    can_review = scope.can(request.user, "review_requests")
    overlaps = item.analysis.get("overlaps", [])
    mergeable = [o for o in overlaps if can_review and item.kind == Kind.INSPECTION
                 and o["kind"] == Kind.INSPECTION and item.status in (Status.SUBMITTED, Status.ADMITTED)]
    return render(request, "workload/detail.html", {
        "item": item, "a": item.analysis, "can_review": can_review, "mergeable": mergeable,
        "can_resubmit": item.status == Status.RETURNED and scope.can(request.user, "submit_requests"),
        "evidence": item.evidence.all(), "transitions": item.transitions.select_related("by"),
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
    return redirect("workload:detail", item_id=item.pk)


@login_required
@require_POST
@refused_back_to(_back_to_item)
def item_strike(request: HttpRequest, item_id: int, demand_id: int) -> HttpResponse:
    item = _item(request.user, item_id)
    workflow.strike(request.user, item, demand_id, request.POST.get("reason", ""))
    messages.success(request, _("已删除该留痕要求。"))
    return redirect("workload:detail", item_id=item.pk)


@login_required
@require_POST
def item_merge(request: HttpRequest, item_id: int) -> HttpResponse:
    item = _item(request.user, item_id)
    try:
        other = _item(request.user, int_param(request.POST, "other", 0))
        hours = forms.parse_hours(request.POST.get("hours", ""), problems := [])
        if problems:
            raise workflow.WorkRefused(problems)
        joint = workflow.merge(request.user, item, other, request.POST.get("reason", ""), hours)
    except workflow.WorkRefused as refused:
        for reason in refused.reasons:
            messages.error(request, reason)
        return redirect("workload:detail", item_id=item.pk)
    messages.success(request, _("已合并为一次联合检查。"))
    return redirect("workload:detail", item_id=joint.pk)


@login_required
@require_POST
def item_reanalyse(request: HttpRequest, item_id: int) -> HttpResponse:
    workflow.reanalyse(request.user, _item(request.user, item_id))
    return redirect("workload:detail", item_id=item_id)


# --- the joint calendar ---------------------------------------------------------------


def _home_code(user: object) -> str:
    unit = getattr(user, "org_unit", None)
    if unit is not None:
        return unit.code
    first = scope.visible_org_units(user).filter(level="county").order_by("code").first()
    if first is None:
        raise Http404("没有可显示的组织")
    return first.code


@login_required
def calendar_home(request: HttpRequest) -> HttpResponse:
    """The calendar of the unit picked (?org=), or of the user's own unit."""
    if request.GET.get("org"):
        return redirect("workload:calendar", code=scope.get_picked_org_unit(request.user, request.GET["org"]).code)
    return redirect("workload:calendar", code=_home_code(request.user))


def _calendar_context(request: HttpRequest, code: str) -> dict:
    unit = scope.get_visible_org_unit(request.user, code)
    return {"unit": unit, "today": timezone.localdate(),
            }


@login_required
def calendar_month(request: HttpRequest, code: str) -> HttpResponse:
    context = _calendar_context(request, code)
    year, month = month_param(request.GET, "month", (context["today"].year, context["today"].month))
    first = dt.date(year, month, 1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    found = agenda.events(request.user, context["unit"], first - dt.timedelta(days=7),
                          last + dt.timedelta(days=7))
    return render(request, "workload/calendar_month.html", context | {
        "weeks": agenda.month_grid(found, year, month, context["today"]), "first": first,
        "events": [e for e in found if e.start <= last and e.end >= first],
        "previous": (first - dt.timedelta(days=1)).strftime("%Y-%m"),
        "next": (last + dt.timedelta(days=1)).strftime("%Y-%m")})


@login_required
def calendar_week(request: HttpRequest, code: str) -> HttpResponse:
    context = _calendar_context(request, code)
    day = date_param(request.GET, "date", context["today"])
    monday = day - dt.timedelta(days=day.weekday())
    found = agenda.events(request.user, context["unit"], monday, monday + dt.timedelta(days=6))
    return render(request, "workload/calendar_week.html", context | {
        "days": agenda.week_days(found, monday, context["today"]), "monday": monday,
        "sunday": monday + dt.timedelta(days=6),
        "previous": (monday - dt.timedelta(days=7)).isoformat(),
        "next": (monday + dt.timedelta(days=7)).isoformat()})


@login_required
def calendar_ics(request: HttpRequest, code: str) -> HttpResponse:
    unit = scope.get_visible_org_unit(request.user, code)
    today = timezone.localdate()
    found = agenda.events(request.user, unit, today - dt.timedelta(days=31), today + dt.timedelta(days=366))
    body = agenda.to_ics(unit, found, timezone.now(), request.build_absolute_uri("/").rstrip("/"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="yibiao-{unit.code}.ics"'
    return response


# --- reporting what slipped past the gate ----------------------------------------------


@login_required
def report_new(request: HttpRequest) -> HttpResponse:
    if not scope.can(request.user, "edit_ledger"):
        raise scope.OutOfScope("只有社区（网格）工作者可以报告未经准入的事项")
    reasons: list[str] = []
    if request.method == "POST":
        upload = request.FILES.get("attachment")
        try:
            if upload is not None and (too_big := slipped.size_problems(upload.name, upload.size)):
                raise slipped.ReportRefused(too_big)
            attachment = slipped.Attachment(upload.name, upload.read()) if upload else None
            filed = slipped.report(
                request.user, department=request.POST.get("department", ""),
                channel=request.POST.get("channel", ""), kind=request.POST.get("kind", ""),
                description=request.POST.get("description", ""), attachment=attachment,
                org_code=request.POST.get("org", ""))
        except slipped.ReportRefused as refused:
            reasons = refused.reasons
        else:
            return render(request, "workload/report_done.html", {"r": filed})
    return render(request, "workload/report_new.html", {
        "reasons": reasons, "post": request.POST, "channels": Channel.choices,
        "kinds": ReportKind.choices, "departments": Department.objects.all()})


@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    reports = scope.visible_unadmitted_reports(request.user)
    status = request.GET.get("status", "")
    if status in ReportStatus.values:
        reports = reports.filter(status=status)
    return render(request, "workload/reports.html", {
        "reports": reports.select_related("reported_by")[:300], "statuses": ReportStatus.choices,
        "status": status, "can_review": scope.can(request.user, "review_requests"),
        "can_report": scope.can(request.user, "edit_ledger")})


@login_required
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    filed = slipped.get_report(request.user, report_id)
    return render(request, "workload/report_detail.html", {
        "r": filed, "can_review": scope.can(request.user, "review_requests"),
        "show_reporter": scope.can(request.user, "see_reporter"),
        "is_image": PurePath(filed.attachment_name).suffix.lower() in (".png", ".jpg", ".jpeg", ".gif", ".webp")})


@login_required
def report_file(request: HttpRequest, report_id: int) -> FileResponse:
    filed = slipped.get_report(request.user, report_id)
    if not filed.attachment or not scope.can(request.user, "see_reporter"):
        raise Http404("没有附件")
    return FileResponse(filed.attachment.open("rb"), filename=filed.attachment_name,
                        as_attachment=request.GET.get("download") == "1")


@login_required
@require_POST
@refused_back_to(lambda request, report_id: redirect("workload:report_detail", report_id=report_id))
def report_resolve(request: HttpRequest, report_id: int) -> HttpResponse:
    filed = slipped.get_report(request.user, report_id)
    slipped.resolve(request.user, filed, request.POST.get("action", ""), request.POST.get("note", ""))
    messages.success(request, _("已处理。"))
    return redirect("workload:report_detail", report_id=filed.pk)


@login_required
def rules_page(request: HttpRequest) -> HttpResponse:
    scope.require(request.user, "review_requests")
    code = request.POST.get("org") or request.GET.get("org") or _home_code(request.user)
    unit = scope.get_picked_org_unit(request.user, code)
    reasons: list[str] = []
    if request.method == "POST":
        try:
            workflow.set_load_rules(
                request.user, unit.code, ceiling=float(request.POST.get("ceiling") or 0) or None,
                max_inspections=int(request.POST["max_inspections"]) if request.POST.get("max_inspections") else None,
                workers=int(request.POST["workers"]) if request.POST.get("workers") else None)
        except ValueError:
            reasons = ["请填写数字"]
        except workflow.WorkRefused as refused:
            reasons = refused.reasons
        else:
            messages.success(request, _("已保存。"))
            return redirect(f"{request.path}?org={unit.code}")
    return render(request, "workload/rules.html", {
        "unit": unit, "rules": analysis.load_rules_for(unit), "reasons": reasons})
