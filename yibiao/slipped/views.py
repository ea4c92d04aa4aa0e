"""Pages for what slipped past the gate: a worker reports it, a reviewer resolves it."""

from __future__ import annotations

from pathlib import PurePath

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yibiao.accounts import scope
from yibiao.accounts.models import Department
from yibiao.refusals import refused_back_to

from . import reports as slipped
from .models import Channel, ReportKind, ReportStatus


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
            return render(request, "slipped/report_done.html", {"r": filed})
    return render(request, "slipped/report_new.html", {
        "reasons": reasons, "post": request.POST, "channels": Channel.choices,
        "kinds": ReportKind.choices, "departments": Department.objects.all()})


@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    reports = scope.visible_unadmitted_reports(request.user)
    status = request.GET.get("status", "")
    if status in ReportStatus.values:
        reports = reports.filter(status=status)
    return render(request, "slipped/reports.html", {
        "reports": reports.select_related("reported_by")[:300], "statuses": ReportStatus.choices,
        "status": status, "can_review": scope.can(request.user, "review_requests"),
        "can_report": scope.can(request.user, "edit_ledger")})


@login_required
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    filed = slipped.get_report(request.user, report_id)
    return render(request, "slipped/report_detail.html", {
        "r": filed, "can_review": scope.can(request.user, "review_requests"),
        "show_reporter": scope.can(request.user, "see_reporter"),
        "is_image": PurePath(filed.attachment_name).suffix.lower() in (".png", ".jpg", ".jpeg", ".gif", ".webp")})


@login_required
def report_file(request: HttpRequest, report_id: int) -> FileResponse:
    filed = slipped.get_report(request.user, report_id)
    if not filed.attachment or not scope.can(request.user, "see_reporter"):
        raise Http404(_("这份报告没有附件。"))
    return FileResponse(filed.attachment.open("rb"), filename=filed.attachment_name,
                        as_attachment=request.GET.get("download") == "1")


@login_required
@require_POST
@refused_back_to(lambda request, report_id: redirect("slipped:detail", report_id=report_id))
def report_resolve(request: HttpRequest, report_id: int) -> HttpResponse:
    filed = slipped.get_report(request.user, report_id)
    slipped.resolve(request.user, filed, request.POST.get("action", ""), request.POST.get("note", ""))
    messages.success(request, _("已处理。"))
    return redirect("slipped:detail", report_id=filed.pk)
