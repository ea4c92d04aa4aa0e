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
    job = ExportJob.objects.select_related("request", "org_unit", "requested_by").get(pk=job_id)
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
            name = stored.save(f"exports/export-{job.pk}{result.path.suffix}", result.path)
        except Exception as error:  # the job must record every failure for the page
            ExportJob.objects.filter(pk=job.pk).update(status="failed", error=str(error)[:500],
                                                       finished_at=timezone.now())
            raise
    ExportJob.objects.filter(pk=job.pk).update(status="done", stage="完成", progress=100,
                                               file=name, rows=result.rows,
                                               finished_at=timezone.now())
