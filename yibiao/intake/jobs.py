"""Web imports too big for one request, as background jobs (django-tasks, as reports.jobs).

A web worker runs a dry run or an import of a small roster inside the request. Above
YIBIAO_BACKGROUND_IMPORT_ROWS rows (counted by the safety scan, before any parser runs)
the request only records an ImportJob and queues `run_import`; the job worker (`yibiao
worker`, started by `yibiao serve`) runs the same `import_ledger`, reporting its progress
into the row the page polls. The read limits hold there as in a request: a roster whose
read would pass YIBIAO_PARSE_MEMORY_MB is refused with its code, nothing written.
"""
from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from yibiao import stored
from yibiao.accounts import scope
from yibiao.ledger.records import require_ledger_unit
from yibiao.orgunits.models import OrgUnit
from yibiao.refusals import Refusal
from yibiao.sheets import SheetError, inspect_file

from .importer import import_ledger
from .models import ImportJob, JobStage, JobStatus

logger = logging.getLogger(__name__)

# Rows of each list kept for the page: a 200,000-row file of bad ID numbers would otherwise
# store and render 200,000 table rows. The counts stay exact.
LISTED = 1000


UPLOADS = "intake"  # uploads wait for their import under intake/<token>/<file> in the storage


def estimate_rows(name: str) -> int:
    """Rows of the biggest sheet's used area, from the safety scan (~1 s for 1,000,000 rows,
    no parser, no grid). The header block counts too: close enough to choose where a file
    is read. A file the scan refuses counts 0: the import refuses it with its reason."""
    try:
        with stored.local_copy(name) as path:
            inspection = inspect_file(path, markup=False)  # the import checks what it reads
    except SheetError:
        return 0
    return max((scan.max_row for scan in inspection.sheets), default=0)


def runs_in_background(rows: int) -> bool:
    return rows > settings.YIBIAO_BACKGROUND_IMPORT_ROWS


def start(user: object, path: str, file_name: str, unit: OrgUnit, *, sheet: str | None,
          mapping: Mapping[str, str | None], dry_run: bool, rows: int) -> ImportJob:
    """Record the job and queue it; refused at once (OutOfScope) if the user may not keep
    this unit's ledger, as import_ledger would refuse it in the worker."""
    require_ledger_unit(user, unit)
    if not dry_run:
        refuse_repeat(str(path))
    try:
        with transaction.atomic():
            job = ImportJob.objects.create(requested_by=user, org_unit=unit, file_name=file_name[:255],
                                           path=str(path), sheet=sheet or "", mapping=dict(mapping),
                                           dry_run=dry_run, rows_estimated=rows)
    except IntegrityError:  # the same upload's import job made at this very moment
        refuse_repeat(str(path))
        raise
    run_import.enqueue(job.pk)
    return job


def refuse_repeat(path: str) -> None:
    """The same upload is imported once: a second press of 导入 while its job waits or runs,
    or after it is done, is refused (a failed job wrote nothing and may be tried again)."""
    earlier = (ImportJob.objects.filter(path=path, dry_run=False).exclude(status=JobStatus.FAILED)
               .order_by("-pk").first())
    if earlier is None:
        return
    if earlier.active:
        raise Refusal("import_running", job=earlier.pk)
    raise Refusal("import_already_done")


def upload_key(path: str) -> str:
    """What names one upload for good: the random token of the folder it was kept in."""
    return PurePosixPath(str(path).replace("\\", "/")).parent.name[:64]


def progress_file(job_id: int) -> Path:
    """Where a job's progress is also kept while its write runs on SQLite: the import's
    transaction hides the job row's updates from the page until it commits (the bar sat at
    40 %). SQLite is one machine, so this machine's disk is seen by every process."""
    return Path(settings.MEDIA_ROOT) / "intake-progress" / str(job_id)


def _report_outside(job_id: int, stage: str, percent: int) -> None:
    """Progress from inside the import's transaction, where the page can see it: on
    PostgreSQL through a connection of its own, committed at once (the page may be served
    by another machine than the worker's); on SQLite, where a second writer would wait for
    the import, a file on this one machine."""
    if connection.vendor == "postgresql":
        other = connections.create_connection(DEFAULT_DB_ALIAS)
        try:
            with other.cursor() as cursor:
                cursor.execute("UPDATE intake_importjob SET stage = %s, progress = %s WHERE id = %s",
                               [stage, percent, job_id])
        finally:
            other.close()
        return
    path = progress_file(job_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    partial.write_text(f"{stage} {percent}", encoding="ascii")
    partial.replace(path)


def seen_progress(job: ImportJob) -> ImportJob:
    """The job as the page shows it: while it runs, the progress its write reported."""
    if job.active:
        with contextlib.suppress(OSError, ValueError):
            stage, percent = progress_file(job.pk).read_text(encoding="ascii").split()
            if int(percent) > job.progress:
                job.stage, job.progress = stage, int(percent)
    return job


def job_for(user: object, job_id: int) -> ImportJob:
    """The job if this user started it and its unit is still theirs; one refusal otherwise,
    whether the job exists or not."""
    job = ImportJob.objects.select_related("org_unit").filter(pk=job_id).first()
    if (job is None or job.requested_by_id != getattr(user, "pk", None)
            or not scope.may_write_unit(user, job.org_unit)):
        raise scope.OutOfScope(_("无权查看该导入任务，或它不存在。"))
    return job


def _update(job_id: int, **fields: object) -> None:
    ImportJob.objects.filter(pk=job_id).update(**fields)


@task()
def run_import(job_id: int) -> None:
    job = ImportJob.objects.select_related("requested_by", "org_unit").get(pk=job_id)
    if not job.active:
        # Run again after it ended (RQ hands a job on when its worker dies, yibiao/workers.py):
        # its result stands. A job whose worker died mid-import is still running here, and
        # its transaction was rolled back with the connection: it runs again from the start.
        return
    _update(job.pk, status=JobStatus.RUNNING, stage=JobStage.READING, progress=0,
            started_at=timezone.now())
    shown = [0, JobStage.READING]

    def progress(stage: str, percent: int) -> None:
        if [percent, stage] != shown:  # one UPDATE per change, not per call
            shown[:] = [percent, stage]
            if connection.in_atomic_block:
                _report_outside(job.pk, stage, percent)
            else:
                _update(job.pk, stage=stage, progress=percent)

    try:
        # The upload from the storage every web server writes to: this worker may run on
        # another machine. job.path is its storage name (an absolute path in older rows).
        with stored.local_copy(job.path) as path:
            result = import_ledger(job.requested_by, path, job.org_unit, sheet=job.sheet or None,
                                   mapping=job.mapping, dry_run=job.dry_run, progress=progress,
                                   key=upload_key(job.path))
    except scope.OutOfScope as error:  # the user lost this unit while the job waited
        _finish(job, JobStatus.FAILED, error_code="out_of_scope", error=str(error))
        return
    except Exception:  # every failure must reach the page; import_ledger is atomic
        logger.exception("import job %s failed", job.pk)
        _finish(job, JobStatus.FAILED, error_code="job_failed",
                error=_("导入意外中断，没有写入任何数据。请稍后重试；如仍失败，请联系系统管理员。"))
        raise
    data = trimmed(result.as_dict())
    if result.refused:
        _finish(job, JobStatus.FAILED, result=data, error_code=result.refused.code,
                error=result.refused.message)
        return
    _finish(job, JobStatus.DONE, result=data)
    if not job.dry_run:  # after the row says done: a run after a death here does not look for it
        discard_upload(job.path)


def _finish(job: ImportJob, status: str, **fields: object) -> None:
    if status == JobStatus.DONE:
        fields.update(stage=JobStage.DONE, progress=100)
    else:
        fields.update(stage=JobStage.FAILED)  # the bar stays where it stopped
    _update(job.pk, status=status, finished_at=timezone.now(), **fields)
    progress_file(job.pk).unlink(missing_ok=True)


def trimmed(data: dict[str, object]) -> dict[str, object]:
    """ImportResult.as_dict() with each listed problem cut to LISTED entries; `more_…`
    says how many more there were (the counts above them are of every row)."""
    for key in ("rejections", "warnings", "transfers"):
        items = data.get(key) or []
        if isinstance(items, list) and len(items) > LISTED:
            data[key] = items[:LISTED]
            data[f"more_{key}"] = len(items) - LISTED
    return data


def discard_upload(name: str) -> None:
    """The uploaded file and the directory of its own it was kept in."""
    stored.delete(name)
