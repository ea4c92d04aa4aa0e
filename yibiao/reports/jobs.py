"""Big exports as background jobs (django-tasks): the database backend on a laptop, Redis
(django-tasks-rq) in production — chosen in settings, the code is the same."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from yibiao import replica, stored
from yibiao.ledger.snapshot import residences_as_of
from yibiao.orgunits.models import OrgUnit

from . import export
from .models import ExportJob
from .periods import Period, parse_period


def is_big(unit: OrgUnit, period: Period) -> bool:
    """Exports over this many residents go to the background (YIBIAO_BACKGROUND_EXPORT_ROWS)."""
    return residences_as_of(unit.code, period.end).count() > settings.YIBIAO_BACKGROUND_EXPORT_ROWS


def start(user: object, request: object, unit: OrgUnit, period: Period) -> ExportJob:
    export.require_export(user, request, unit)
    job = ExportJob.objects.create(request=request, org_unit=unit, period=period.key,
                                   requested_by=user, stage="排队中")
    run_export.enqueue(job.pk)
    return job


def _progress(job: ExportJob, stage: str, percent: int) -> None:
    ExportJob.objects.filter(pk=job.pk).update(stage=stage, progress=percent)


@task()
def run_export(job_id: int) -> None:
    """Fill the export and keep it in the storage, once.

    The job may run again: RQ hands a job to another worker when its own died
    (yibiao/workers.py), perhaps after the file was stored and before the row said so. So a
    job that ran to its end (done or failed) is left as it is; otherwise every run writes
    a file of its own under exports/<job>/, the first run to finish marks the row done with
    its file in one conditional UPDATE, and every other file there is deleted: a run that
    lost the race, a run that died. One job, one file."""
    job = ExportJob.objects.select_related("request", "org_unit", "requested_by").get(pk=job_id)
    if job.status in FINISHED:
        return
    ExportJob.objects.filter(pk=job.pk).update(status="running", stage="读取台账", progress=5)
    # Filled on this machine's disk, then kept in the storage every app server reads
    # (yibiao.stored): the page that serves it may run on another machine.
    with tempfile.TemporaryDirectory(prefix="yibiao-export-") as folder:
        try:
            # An export may read a replica a moment behind (yibiao/replica.py); the job's
            # own row was read above from the primary.
            with replica.unit_of_work(), replica.reads_may_lag():
                result = export.export_report(job.requested_by, job.request, job.org_unit,
                                              parse_period(job.period), Path(folder) / "export.xlsx",
                                              progress=lambda stage, pct: _progress(job, stage, pct))
            # A name of its own if another run stored one first (the storage picks it).
            name = stored.save(f"{job_folder(job.pk)}/export-{job.pk}{result.path.suffix}",
                               result.path)
        except Exception as error:  # the job must record every failure for the page
            ExportJob.objects.filter(pk=job.pk).exclude(status="done").update(
                status="failed", error=str(error)[:500], finished_at=timezone.now())
            raise
    won = ExportJob.objects.filter(pk=job.pk).exclude(status="done").update(
        status="done", stage="完成", progress=100, file=name, rows=result.rows,
        finished_at=timezone.now())
    kept = name if won else ExportJob.objects.values_list("file", flat=True).get(pk=job.pk)
    stored.keep_only(job_folder(job.pk), kept)


FINISHED = ("done", "failed")


def job_folder(job_id: int) -> str:
    return f"exports/{job_id}"
