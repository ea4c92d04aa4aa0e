from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yibiao import stored
from yibiao.accounts import scope
from yibiao.dictionary.rules import Rules
from yibiao.ledger.masking import mask
from yibiao.orgunits.models import OrgUnit
from yibiao.params import BadInput, parse_int
from yibiao.refusals import refused_back_to
from yibiao.replica import reads_may_lag

from . import export, jobs, prefill, tasks
from .models import ExportJob, Task
from .periods import PeriodError, parse_period


def _row_label(row: prefill.Row, units: dict[str, OrgUnit]) -> str:
    """How a worker recognises the row: the name (and masked ID) for a person, the unit's
    name for a unit's row (a grid with its community: every community has a 第一网格)."""
    named = {c.element: c.value for c in row.cells if c.element}
    if "person.name" in named or "person.id_number" in named:
        return " ".join(filter(None, [named.get("person.name"),
                                      mask("id_number", named.get("person.id_number"))]))
    unit = units.get(row.key[2:]) if row.key.startswith("o:") else None
    if unit is not None:
        return unit.label
    return next((str(c.value) for c in row.cells if c.value), row.org_code)


@login_required
def task_detail(request: HttpRequest, task_id: int) -> HttpResponse:
    return _task_page(request, tasks.get_task(request.user, task_id))


def _task_page(request: HttpRequest, task: Task, *, typed: dict | None = None,
               conflicts: list[tasks.CellConflict] = (), errors: dict | None = None,
               status: int = 200) -> HttpResponse:
    """The task with a form of its missing cells, each row or cell carrying the version the
    worker sees; after a refused save, what they typed is filled back in, every conflict
    shows the value stored now beside theirs and every refused value says why."""
    typed, errors = typed or {}, errors or {}
    versions = tasks.versions_for(task)  # before the report: see versions_for
    report = tasks.report_for(task, filled_by=str(request.user))
    rules = Rules.load()
    columns = task.request.columns
    clashes = {(c.row_key, c.column): c for c in conflicts}
    units = {u.code: u for u in OrgUnit.objects.filter(
        code__in=[r.key[2:] for r in report.rows if r.key.startswith("o:")]).select_related("parent")}
    missing_rows = []
    for row in report.rows:
        gaps = [(columns[i], cell) for i, cell in enumerate(row.cells)
                if cell.source == prefill.MISSING or (row.key, columns[i]["column"]) in clashes
                or (row.key, columns[i]["column"]) in errors]
        if not gaps:
            continue
        gaps_out = []
        for col, cell in gaps:
            key = (row.key, col["column"])
            version = tasks.version_key(*key)
            gaps_out.append({
                "column": col["column"], "header": col["header"], "element": cell.element,
                "type": rules[cell.element].value_type if cell.element in rules else "text",
                "typed": typed.get(key, ""), "conflict": clashes.get(key), "error": errors.get(key),
                "version": (f"ver|{version}", versions.get(version, 0)) if version != row.key else None})
        missing_rows.append({
            "key": row.key, "label": _row_label(row, units), "gaps": gaps_out,
            "version": (f"ver|{row.key}", versions[row.key]) if row.key in versions else None})
    # Conflicting and refused rows first: the worker decides those before anything else.
    missing_rows.sort(key=lambda r: not any(g["conflict"] or g["error"] for g in r["gaps"]))
    auto = task.cells_from_ledger + task.cells_derived + task.cells_system
    return render(request, "reports/task.html", {
        "task": task, "report": report, "missing_rows": missing_rows[:200],
        "auto": auto, "typed_cells": max(0, task.cells_asked - auto - task.cells_missing),
        "more": max(0, len(missing_rows) - 200),
        "changes": tasks.changes_since_previous(task, report) if tasks.has_previous(task) else None,
    }, status=status)


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


@login_required
@require_POST
def task_complete(request: HttpRequest, task_id: int) -> HttpResponse:
    task = tasks.get_task(request.user, task_id)
    entries, seen = _posted_cells(request.POST)
    try:
        result = tasks.complete(request.user, task, entries, seen)
    except tasks.TaskError as error:
        messages.error(request, str(error))
        return redirect("reports:task", task_id=task.pk)
    if result.saved:
        messages.success(request, _("已保存 %(n)s 项，已记入台账，以后的报表不再重复询问。")
                         % {"n": result.typed} if result.lasting else
                         _("已保存 %(n)s 项。这些是按报告期填写的内容，下一期仍需填写。")
                         % {"n": result.typed})
        return redirect("reports:task", task_id=task.pk)
    if result.cell_errors:
        messages.error(request, _("%(n)s 个单元格填写的内容不符合要求（见下方标出的格）。")
                       % {"n": len(result.cell_errors)})
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
