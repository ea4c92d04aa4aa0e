"""Files kept between requests go through the storage (STORAGES, yibiao/stored.py).

Several app servers and job workers share one storage: a directory they all mount, or
S3-compatible object storage. Here the storage is set through the setting to a second
location: a directory of its own, an in-memory storage with no path on this machine's
disk, and S3 through django-storages against an S3-compatible server on a loopback port
(moto's), configured by the YIBIAO_STORAGE_S3_* variables. An uploaded template, an export job's result and a roster waiting for
its import job land there, are read from there, and nothing lands in MEDIA_ROOT.
"""

from __future__ import annotations

import datetime as dt
import io
import runpy
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from openpyxl import load_workbook

import yibiao
from yibiao import stored
from yibiao.intake.models import ImportJob
from yibiao.ledger.models import Person
from yibiao.ledger.records import PersonInput, write_people
from yibiao.reports.models import ExportJob

from .sheetfactory import write_xlsx
from .test_intake_jobs import GOOD, ROSTER, logged_in, run_queued_job, start_job, upload
from .test_report_export import department_template

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """An S3-compatible service on a loopback port (moto's server), with a bucket `yibiao`."""
    import boto3
    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                     aws_secret_access_key="test").create_bucket(Bucket="yibiao")
        yield endpoint
    finally:
        server.stop()


def _settings_from(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict:
    """yibiao/settings.py evaluated afresh under these environment variables."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(Path(yibiao.__file__).parent / "settings.py"))


def _s3_backend(endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """S3 through django-storages, configured as an operator would, by the environment."""
    backend = _settings_from({
        "YIBIAO_STORAGE": "s3", "YIBIAO_STORAGE_S3_BUCKET": "yibiao",
        "YIBIAO_STORAGE_S3_ENDPOINT": endpoint, "YIBIAO_STORAGE_S3_REGION": "us-east-1",
        "YIBIAO_STORAGE_S3_ACCESS_KEY": "test", "YIBIAO_STORAGE_S3_SECRET_KEY": "test",
        "YIBIAO_STORAGE_S3_PREFIX": tmp_path.name, "YIBIAO_SECRET_KEY": "storage-test"},
        monkeypatch)["STORAGES"]["default"]
    assert backend["BACKEND"] == "storages.backends.s3.S3Storage"
    return backend


@pytest.fixture(params=["directory", "object", "s3"])
def shared(request, settings, tmp_path: Path, monkeypatch):
    """The second storage, set through STORAGES; MEDIA_ROOT points elsewhere and must stay empty."""
    settings.MEDIA_ROOT = tmp_path / "local-media"
    if request.param == "directory":
        backend = {"BACKEND": "django.core.files.storage.FileSystemStorage",
                   "OPTIONS": {"location": str(tmp_path / "shared")}}
    elif request.param == "object":  # no path on this disk: every read goes through a local copy
        backend = {"BACKEND": "django.core.files.storage.InMemoryStorage"}
    else:
        backend = _s3_backend(request.getfixturevalue("s3_endpoint"), tmp_path, monkeypatch)
    settings.STORAGES = {**settings.STORAGES, "default": backend}
    settings.YIBIAO_BACKGROUND_IMPORT_ROWS = 4
    yield request.param
    left = [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()] if settings.MEDIA_ROOT.exists() else []
    assert left == [], "a file was left in MEDIA_ROOT instead of the storage"


def _path_on_disk(name: str) -> Path | None:
    try:
        path = Path(default_storage.path(name))
    except NotImplementedError:
        return None
    return path if path.is_file() else None


def _submit(world, template: Path):  # noqa: ANN001, ANN202
    from yibiao.gate.tables import workflow

    request = workflow.submit(world.officer, template, workflow.NewRequest(
        title="辖区居民花名册", department=world.department.name, basis="《通知》（岳卫〔2026〕7号）",
        frequency="monthly", scope_code=world.township_a.code,
        justifications={"person.id_number": "核对身份"}, masked=["联系电话"]))
    workflow.decide(world.reviewer, request, "admit")
    request.refresh_from_db()
    return request


def test_the_gate_admits_a_template_kept_in_object_storage(world, tmp_path, settings, monkeypatch,
                                                          s3_endpoint):
    """The analysis reads the template through yibiao.stored, never by a local path."""
    settings.STORAGES = {**settings.STORAGES, "default": _s3_backend(s3_endpoint, tmp_path, monkeypatch)}
    request = _submit(world, department_template(tmp_path / "花名册.xlsx"))
    assert request.status == "admitted" and request.analysis["verdict"]


def test_an_uploaded_template_and_an_export_jobs_result_are_kept_in_the_storage(
        shared, world, tmp_path, settings, monkeypatch):
    write_people(world.worker_a, world.community_a, [
        PersonInput({"person.id_number": "11010519491231002X", "person.name": "王秀英"})],
        valid_from=dt.date(2026, 1, 1))
    template = department_template(tmp_path / "花名册.xlsx")
    request = _submit(world, template)

    # The template: in the storage, byte for byte.
    assert default_storage.exists(request.template.name)
    with default_storage.open(request.template.name, "rb") as kept:
        assert kept.read() == template.read_bytes()
    on_disk = _path_on_disk(request.template.name)
    assert (on_disk is None) == (shared != "directory")
    if on_disk is not None:
        assert on_disk.is_relative_to(tmp_path / "shared")
    template.unlink()  # only the storage's copy is left to export from

    # A background export: filled by the worker, kept in the storage, served from there.
    client = logged_in(world.officer)
    settings.YIBIAO_BACKGROUND_EXPORT_ROWS = 0
    response = client.get(f"/reports/requests/{request.pk}/download/",
                          {"org": world.community_a.code, "period": "2026-11"})
    job = ExportJob.objects.get()
    assert response.status_code == 302
    run_queued_job()
    job.refresh_from_db()
    assert (job.status, job.rows) == ("done", 1), job.error
    assert job.file == f"exports/{job.pk}/export-{job.pk}.xlsx" and default_storage.exists(job.file)
    served = client.get(f"/reports/jobs/{job.pk}/file/")
    assert served.status_code == 200
    body = b"".join(served.streaming_content)
    with default_storage.open(job.file, "rb") as kept:
        assert body == kept.read()
    sheet = load_workbook(io.BytesIO(body)).active
    assert "王秀英" in [cell.value for row in sheet.iter_rows() for cell in row]


def test_an_uploaded_roster_waits_for_its_import_job_in_the_storage(shared, world, tmp_path):
    client = logged_in(world.worker_a)
    mapping_url = upload(client, write_xlsx(tmp_path / "花名册.xlsx", ROSTER), world.community_a.code)
    uploads = [name for name in _listed("intake")]
    assert len(uploads) == 1 and uploads[0].endswith("/花名册.xlsx")  # intake/<token>/花名册.xlsx
    assert "王秀英" in client.get(mapping_url).content.decode()  # the mapping page reads it back

    job = start_job(client, mapping_url + "run/", "import")
    assert job.path == uploads[0]  # the worker finds it by its storage name, on any machine
    run_queued_job()
    job.refresh_from_db()
    assert (job.status, job.result["created"]) == ("done", 3), (job.error_code, job.error)
    assert set(Person.objects.values_list("id_number", flat=True)) == GOOD
    assert _listed("intake") == [] and not ImportJob.objects.filter(status="failed").exists()


def _listed(folder: str) -> list[str]:
    """Every file under `folder` in the storage, as storage names."""
    try:  # object storage has no folders to ask about: a prefix lists nothing or its files
        folders, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return []
    return [f"{folder}/{f}" for f in files] + [name for sub in folders for name in _listed(f"{folder}/{sub}")]


def test_rows_written_before_the_storage_still_open(tmp_path):
    """An export job or import job row holding an absolute path (before this change) still opens."""
    old = tmp_path / "intake" / "token" / "export-1.xlsx"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"PK\x03\x04 an old export")
    assert stored.exists(str(old))
    with stored.open_file(str(old)) as handle:
        assert handle.read() == b"PK\x03\x04 an old export"
    with stored.local_copy(str(old)) as path:
        assert path == old
    stored.delete(str(old))
    assert not old.parent.exists() and (tmp_path / "intake").exists()  # its own folder too
