from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import F
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST

from yibiao import stored
from yibiao.accounts import scope
from yibiao.audit.log import record
from yibiao.audit.models import Action
from yibiao.dictionary.rules import Rules
from yibiao.params import BadInput, parse_int
from yibiao.refusals import refused_back_to
from yibiao.replica import reads_may_lag

from . import export, grid, jobs, prefill, preview, tasks
from .models import ExportJob, Task, TaskStatus
from .periods import PeriodError, parse_period


@login_required
def task_detail(request: HttpRequest, task_id: int) -> HttpResponse:
    return _task_page(request, tasks.get_task(request.user, task_id))


def _page_number(request: HttpRequest) -> int:
    try:
        return parse_int(request.GET.get("page") or request.POST.get("page") or "1", "page", minimum=1)
    except BadInput:
        return 1


def _counts(task: Task, report: prefill.Report) -> dict[str, object]:
    """The count line and the submit button, from the report as it stands now: `account`
    on the task in memory (saved only by a save or a submission)."""
    tasks.account(task, report)
    auto = task.cells_from_ledger + task.cells_derived + task.cells_system
    optional = [c["header"] for c in task.request.columns if prefill.is_optional(c)]
    return {"auto": auto, "typed_cells": max(0, task.cells_asked - auto - task.cells_missing),
            "optional_headers": "、".join(optional)}


def _task_page(request: HttpRequest, task: Task, *, typed: dict | None = None,
               conflicts: list[tasks.CellConflict] = (), errors: dict | None = None,
               status: int = 200) -> HttpResponse:
    """The task as a grid of the department's sheet, each row or cell carrying the version the
    worker sees; after a refused save, what they typed is filled back in, every conflict
    shows the value stored now beside theirs and every refused value says why."""
    versions = tasks.versions_for(task)  # before the report: see versions_for
    report = tasks.report_for(task, filled_by=str(request.user))
    if not scope.may(request.user, scope.CHANGE, task):  # the department or a reviewer reading residents
        _audit_read(request.user, task, report)
    table = grid.build(task, report, Rules.load(), versions, typed=typed, errors=errors,
                       conflicts=conflicts, page=_page_number(request))
    return render(request, "reports/task.html", {
        "task": task, "report": report, "grid": table, "editable": task.status in tasks.EDITABLE,
        **_counts(task, report),
        "changes": tasks.changes_since_previous(task, report) if tasks.has_previous(task) else None,
    }, status=status)


def _audit_read(user: object, task: Task, report: prefill.Report, reason: str = "") -> None:
    """A page showing a list's residents (their names and values) read as the download's
    file is: audited, as the person card is. A table of units holds no one's data."""
    if any(row.key.startswith("p:") for row in report.rows):
        record(user, Action.VIEW_PERSON, subject_kind="task", subject_id=task.pk,
               org_code=task.org_code, reason=reason, rows=len(report.rows), period=task.period)


def _posted_cells(data: dict) -> tuple[dict[tuple[str, str], str], dict[str, int]]:
    """cell|<row>|<column> fields as typed values, ver|<row>[|<column>] as versions seen."""
    entries: dict[tuple[str, str], str] = {}
    seen: dict[str, int] = {}
    for key, value in data.items():
        kind, _sep, rest = key.partition("|")
        if kind == "cell":
            row_key, sep, column = rest.partition("|")
            if not (row_key and sep and column):
                raise BadInput(_("无法识别的单元格“%(key)s”。") % {"key": key[:40]})
            entries[(row_key, column)] = value
        elif kind == "ver":
            seen[rest] = parse_int(value, key[:40])
    return entries, seen


def _saved_message(result: tasks.Completion) -> str:
    if result.lasting:
        return _("已保存 %(n)s 项，已记入台账，以后的报表不再重复询问。") % {"n": result.typed}
    return _("已保存 %(n)s 项。这些是按报告期填写的内容，下一期仍需填写。") % {"n": result.typed}


@login_required
@require_POST
def task_complete(request: HttpRequest, task_id: int) -> HttpResponse:
    """The whole grid saved at once (the page without JavaScript, or 保存): the good cells are
    stored, the refused ones shown again as typed, each with its reason beside it."""
    task = tasks.get_task(request.user, task_id)
    entries, seen = _posted_cells(request.POST)
    try:
        result = tasks.complete(request.user, task, entries, seen)
    except tasks.TaskError as error:
        messages.error(request, str(error))
        return redirect("reports:task", task_id=task.pk)
    if result.saved:
        messages.success(request, _saved_message(result))
        return redirect("reports:task", task_id=task.pk)
    if result.cell_errors:
        messages.error(request, _("%(n)s 个单元格填写的内容不符合要求，未保存（见下方标出的格）。")
                       % {"n": len(result.cell_errors)})
        if not result.nothing_stored:
            messages.success(request, _("其余填写已保存（%(n)s 项）。") % {"n": result.typed})
        elif not result.problems and not result.conflicts:
            messages.error(request, str(tasks.NOTHING_SAVED))
    for problem in result.problems:
        messages.error(request, problem)
    if result.conflicts:
        messages.error(request, _(
            "未保存：您填写期间，其他人已保存了 %(n)s 个单元格，与您填写的不同（见下方标出的格）。"
            "您填写的内容仍在页面上：核对后再次保存即以您的为准，清空该格则保留现存值。")
            % {"n": len(result.conflicts)})
    return _task_page(request, task, typed=entries, conflicts=result.conflicts,
                      errors=result.cell_errors, status=409 if result.conflicts else 400)


@login_required
@require_POST
def task_rows(request: HttpRequest, task_id: int) -> HttpResponse:
    """One row (or the rows a paste touched) saved as the worker leaves it: the rows again,
    saved or with the reason beside each refused cell, and the count line and submit button
    out of band. A refusal of the whole save (a row that is no row of the task, a task
    submitted meanwhile) is the refusal's text with its status, nothing stored."""
    task = tasks.get_task(request.user, task_id)
    entries, seen = _posted_cells(request.POST)
    try:
        result = tasks.complete(request.user, task, entries, seen)
    except tasks.TaskError as error:
        return HttpResponse(str(error), status=409, content_type="text/plain; charset=utf-8")
    if result.problems:
        return HttpResponse("\n".join(result.problems), status=400, content_type="text/plain; charset=utf-8")
    report = tasks.report_for(task, filled_by=str(request.user))
    rows = grid.build(task, report, Rules.load(), tasks.versions_for(task), typed=entries,
                      errors=result.cell_errors, conflicts=result.conflicts, keep_open=entries,
                      only={row_key for row_key, _column in entries},
                      status="" if result.conflicts else "saved").rows
    return render(request, "reports/_grid_rows.html", {
        "rows": rows, "task": task, "oob": True, **_counts(task, report)})


@login_required
def task_preview(request: HttpRequest, task_id: int) -> HttpResponse:
    """The whole table as the department will receive it (its masking decisions applied),
    personal numbers still masked on the screen; the file itself is one click away."""
    task = tasks.get_task(request.user, task_id)
    report = tasks.report_for(task, filled_by=str(request.user))
    _audit_read(request.user, task, report, gettext_noop("预览报送的表格"))
    return render(request, "reports/preview.html", {
        "task": task, "report": report, **preview.table(report), **_counts(task, report)})


@login_required
def submitted(request: HttpRequest) -> HttpResponse:
    """The tasks submitted (or delivered directly) that the user may see, newest first, each
    with its file as the department receives it."""
    done = (tasks.visible_tasks(request.user)
            .filter(status__in=[TaskStatus.SUBMITTED, TaskStatus.DELIVERED])
            .select_related("request", "request__department", "org_unit", "submitted_by")
            .order_by(F("submitted_at").desc(nulls_last=True), "-period_end", "pk"))
    return render(request, "reports/submitted.html", {"tasks": done[:300], "more": done.count() > 300})


@login_required
@require_POST
@refused_back_to(lambda request, task_id: redirect("reports:task", task_id=task_id))
def task_submit(request: HttpRequest, task_id: int) -> HttpResponse:
    task = tasks.get_task(request.user, task_id)
    tasks.submit(request.user, task)
    messages.success(request, _("已报送。"))
    return redirect("reports:task", task_id=task.pk)


@login_required
@require_POST
@refused_back_to(lambda request, task_id: redirect("reports:task", task_id=task_id))
def task_return(request: HttpRequest, task_id: int) -> HttpResponse:
    task = tasks.get_task(request.user, task_id)
    tasks.return_task(request.user, task, request.POST.get("reason", ""))
    return redirect("reports:task", task_id=task.pk)


@login_required
@reads_may_lag()
def report_download(request: HttpRequest, request_id: int) -> FileResponse:
    """The filled template for an org unit and period, as the department receives it."""
    form_request = scope.visible_requests(request.user).filter(pk=request_id).first()
    if form_request is None:
        raise scope.OutOfScope("无权导出该报表，或它不存在。")
    unit = scope.get_visible_org_unit(request.user, request.GET.get("org", ""))
    try:
        period = parse_period(request.GET.get("period", ""))
        if jobs.is_big(unit, period):
            job = jobs.start(request.user, form_request, unit, period)
            return redirect("reports:job", job_id=job.pk)
        folder = Path(tempfile.mkdtemp(prefix="yibiao-download-"))
        try:
            out = folder / f"{form_request.title}-{unit.name}-{period.key}.xlsx"
            result = export.export_report(request.user, form_request, unit, period, out)
            handle = open(result.path, "rb")  # noqa: SIM115 - the FileResponse closes it
        finally:
            shutil.rmtree(folder, ignore_errors=True)  # the open file stays readable until closed
    except (PeriodError, export.ExportError) as error:
        raise BadInput(str(error)) from None
    return FileResponse(handle, as_attachment=True, filename=result.path.name)


def _job(user: object, job_id: int) -> ExportJob:
    job = ExportJob.objects.select_related("request", "org_unit").filter(pk=job_id).first()
    if job is None or job.requested_by_id != getattr(user, "pk", None):
        raise scope.OutOfScope("无权查看该导出任务，或它不存在。")
    return job


@login_required
def job_page(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(request.user, job_id)
    template = "reports/_job.html" if request.htmx else "reports/job.html"
    return render(request, template, {"job": job})


@login_required
def job_file(request: HttpRequest, job_id: int) -> FileResponse:
    job = _job(request.user, job_id)
    export.require_export(request.user, job.request, job.org_unit)  # scope may have changed
    if job.status != "done":
        raise scope.OutOfScope("导出尚未完成")
    name = f"{job.request.title}-{job.org_unit.name}-{job.period}.xlsx"
    return FileResponse(stored.open_file(job.file), as_attachment=True, filename=name)
