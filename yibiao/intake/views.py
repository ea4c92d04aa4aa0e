"""Upload a roster, check each column's mapping, dry-run, import: thin views over importer."""
from __future__ import annotations

import secrets
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yibiao import stored
from yibiao.accounts import scope
from yibiao.refusals import Refusal
from yibiao.sheets import SheetError
from yibiao.sheets.safety import safe_file_name

from . import jobs
from .importer import (
    import_choices,
    import_ledger,
    in_page_language,
    mapping_from_form,
    preview,
    shown_problems,
)

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
SUFFIXES = {".xlsx", ".xls"}
SESSION_KEY = "intake_uploads"
DONE_KEY = "intake_imported"  # token -> the LedgerWrite of its import: pressed again, refused


def _upload(request: HttpRequest, token: str) -> dict:
    """An upload belongs to the session that made it; anyone else gets a 404."""
    entry = request.session.get(SESSION_KEY, {}).get(token)
    if entry is None or not stored.exists(entry["path"]):
        raise Http404(_("没有找到这次上传，请重新上传文件。"))
    return entry


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    scope.require(request.user, "edit_ledger")
    units = scope.worker_units(request.user).order_by("code")
    error = ""
    if request.method == "POST":
        file = request.FILES.get("file")
        code = request.POST.get("org", "")
        suffix = Path(file.name).suffix.lower() if file else ""
        if file is None:
            error = _("请选择要上传的 Excel 文件。")
        elif suffix not in SUFFIXES:
            error = _("只能上传 .xlsx 或 .xls 文件。")
        elif file.size > MAX_UPLOAD_BYTES:
            error = _("文件超过 20 MB，请拆分后再上传。")
        else:
            unit = scope.get_visible_org_unit(request.user, code)
            token = secrets.token_urlsafe(16)
            # Kept under its own name in a directory of its own: messages name the user's file.
            # In the storage (yibiao.stored): the import job may run on another machine.
            path = stored.save_upload(
                f"{jobs.UPLOADS}/{token}/{safe_file_name(file.name, f'upload{suffix}')}", file)
            rows = jobs.estimate_rows(path)
            if refusal := _too_big_for_the_web(path, rows):
                stored.delete(path)
                return render(request, "intake/upload.html", {
                    "units": units, "error": refusal, "max_mb": MAX_UPLOAD_BYTES // 1048576}, status=400)
            uploads = request.session.get(SESSION_KEY, {})
            uploads[token] = {"path": path, "name": file.name, "org": unit.code, "rows": rows}
            request.session[SESSION_KEY] = uploads
            return redirect("intake:mapping", token=token)
    return render(request, "intake/upload.html", {"units": units, "error": error,
                                                  "max_mb": MAX_UPLOAD_BYTES // 1048576})


def _too_big_for_the_web(path: str, rows: int) -> str:
    """Refuse at once a file with more rows than the web import takes even as a job
    (YIBIAO_WEB_IMPORT_ROWS): the safety scan counted them at C speed, ~1 s for 1,000,000
    rows, before any parser allocated anything. A hostile file counts 0 and is refused on
    the mapping page, as before."""
    if rows > settings.YIBIAO_WEB_IMPORT_ROWS:
        return SheetError("web_row_limit", {"file": PurePosixPath(path).name, "detail": str(rows),
                                            "limit": str(settings.YIBIAO_WEB_IMPORT_ROWS)}).message
    return ""


def _discard(entry: dict) -> None:
    """The uploaded file and the directory it was kept in."""
    jobs.discard_upload(entry["path"])


@login_required
def mapping(request: HttpRequest, token: str) -> HttpResponse:
    scope.require(request.user, "edit_ledger")
    entry = _upload(request, token)
    unit = scope.get_visible_org_unit(request.user, entry["org"])
    try:
        with stored.local_copy(entry["path"]) as path:
            plan = preview(path, request.GET.get("sheet") or None)
    except SheetError as error:
        return render(request, "intake/mapping.html", {"entry": entry, "unit": unit, "token": token,
                                                       "error": in_page_language(error.message, error.message_en)},
                      status=400)
    return render(request, "intake/mapping.html", {
        "entry": entry, "unit": unit, "token": token, "plan": plan, "choices": import_choices()})


@login_required
@require_POST
def run(request: HttpRequest, token: str) -> HttpResponse:
    scope.require(request.user, "edit_ledger")
    dry_run = request.POST.get("action") != "import"
    # 导入 pressed again (a second tab, a double tap, the back button): refused, not re-run.
    if token in request.session.get(DONE_KEY, {}):
        return _refused(request, Refusal("import_already_done"), status=409)
    known = request.session.get(SESSION_KEY, {}).get(token)
    if known is not None and not dry_run:
        try:
            jobs.refuse_repeat(known["path"])
        except Refusal as refused:
            return _refused(request, refused, status=409)
    entry = _upload(request, token)
    unit = scope.get_visible_org_unit(request.user, entry["org"])
    sheet, mapping = request.POST.get("sheet") or None, mapping_from_form(request.POST)
    rows = entry.get("rows") or jobs.estimate_rows(entry["path"])
    if jobs.runs_in_background(rows):
        try:
            job = jobs.start(request.user, entry["path"], entry["name"], unit, sheet=sheet,
                             mapping=mapping, dry_run=dry_run, rows=rows)
        except Refusal as refused:  # this upload's import is waiting, running or done
            return _refused(request, refused, status=409)
        if request.htmx:  # shown under the mapping, polling until it is done
            return render(request, "intake/_job.html", {"job": job, "started": not dry_run})
        return redirect("intake:job", job_id=job.pk)
    with stored.local_copy(entry["path"]) as path:
        result = import_ledger(request.user, path, unit, sheet=sheet, mapping=mapping,
                               dry_run=dry_run, key=token)
    if not dry_run and result.ok:
        _discard(entry)
        uploads = request.session.get(SESSION_KEY, {})
        uploads.pop(token, None)
        request.session[SESSION_KEY] = uploads
        request.session[DONE_KEY] = {**request.session.get(DONE_KEY, {}), token: result.write_id}
    template = "intake/_result.html" if request.htmx else "intake/result.html"
    return render(request, template, {"result": result, "entry": entry, "unit": unit, "token": token,
                                      "undo": _undoable(request, result.write_id)})


def _refused(request: HttpRequest, refused: Refusal, status: int) -> HttpResponse:
    """A repeated import, answered in the result panel (htmx) or as a page of its own."""
    result = {"refused": {"code": refused.code, "message": refused.message}, "repeat": True}
    template = "intake/_result.html" if request.htmx else "intake/result.html"
    return render(request, template, {"result": result, "entry": {"name": ""}}, status=status)


def _undoable(request: HttpRequest, write_id: int | None) -> object:
    from yibiao.ledger.models import LedgerWrite
    from yibiao.ledger.undo import can_undo

    write = LedgerWrite.objects.filter(pk=write_id).first() if write_id else None
    return write if can_undo(request.user, write) else None


@login_required
def job(request: HttpRequest, job_id: int) -> HttpResponse:
    """A background import's progress, then the same result panel as an import in the request."""
    found = jobs.seen_progress(jobs.job_for(request.user, job_id))
    write_id = (found.result or {}).get("write_id") if not found.active else None
    template = "intake/_job.html" if request.htmx else "intake/job.html"
    shown = shown_problems(found.result) if found.result else None
    return render(request, template, {"job": found, "result": shown, "undo": _undoable(request, write_id)})
