"""A background export run again keeps one file (RQ hands a job on when its worker dies).

With several job workers (yibiao/workers.py), a job whose worker died runs again on
another: perhaps after the first run stored its file and before the row said so, perhaps
while a run thought dead still finishes. Whatever the order, the job ends done once, with
one file in its folder of the storage, the one its row names. The whole thing, with real
processes killed, is tests/test_many_servers.py.
"""
from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from tests.test_report_export import admitted  # noqa: F401 - the fixture
from yibiao import stored
from yibiao.reports import jobs
from yibiao.reports.models import ExportJob
from yibiao.reports.periods import parse_period

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def shared(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "shared"


@pytest.fixture
def job(admitted):  # noqa: F811 - the fixture imported above
    world, request, _, _ = admitted
    return jobs.start(world.officer, request, world.township_a, parse_period("2026-11"))


def files_of(job: ExportJob) -> list[str]:
    _, files = default_storage.listdir(jobs.job_folder(job.pk))
    return sorted(files)


def test_a_finished_job_run_again_changes_nothing(job):
    jobs.run_export.call(job.pk)
    job.refresh_from_db()
    first = (job.status, job.file, job.finished_at)
    assert job.status == "done" and job.rows == 3
    jobs.run_export.call(job.pk)
    job.refresh_from_db()
    assert (job.status, job.file, job.finished_at) == first
    assert files_of(job) == [job.file.rsplit("/", 1)[1]]


def test_a_run_that_died_after_storing_its_file_leaves_nothing_behind(job):
    # The first worker stored its file and died before marking the row: running, a file there.
    dead = default_storage.save(f"{jobs.job_folder(job.pk)}/export-{job.pk}.xlsx", ContentFile(b"half"))
    ExportJob.objects.filter(pk=job.pk).update(status="running", progress=60)
    jobs.run_export.call(job.pk)
    job.refresh_from_db()
    assert job.status == "done" and job.file != dead
    assert files_of(job) == [job.file.rsplit("/", 1)[1]]
    with default_storage.open(job.file, "rb") as kept:
        assert kept.read(2) == b"PK"  # the real workbook, not the dead run's bytes


def test_a_run_that_loses_the_race_to_finish_deletes_its_own_file(job, monkeypatch):
    # While this run fills, another run (thought dead) finishes first with its own file.
    other = default_storage.save(f"{jobs.job_folder(job.pk)}/export-{job.pk}.xlsx", ContentFile(b"PK.."))
    save = stored.save

    def and_the_other_finishes(name, local):
        ExportJob.objects.filter(pk=job.pk).update(status="done", file=other, rows=3)
        return save(name, local)

    monkeypatch.setattr(stored, "save", and_the_other_finishes)
    jobs.run_export.call(job.pk)
    job.refresh_from_db()
    assert (job.status, job.file) == ("done", other)
    assert files_of(job) == [other.rsplit("/", 1)[1]]


def test_a_failed_job_is_not_run_again(job, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("磁盘已满")

    monkeypatch.setattr(jobs.export, "export_report", broken)
    with pytest.raises(RuntimeError):
        jobs.run_export.call(job.pk)
    monkeypatch.undo()
    jobs.run_export.call(job.pk)  # RQ retries a job that raised: the failure stands
    job.refresh_from_db()
    assert (job.status, job.error, job.file) == ("failed", "磁盘已满", "")
