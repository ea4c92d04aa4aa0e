"""A web import above YIBIAO_BACKGROUND_IMPORT_ROWS runs as a background job with progress.

The dry run and the import go to the job worker; the page polls and then shows the same
result panel as an import inside the request. Only the worker who started the job sees
it, and only while its unit is still theirs. A job whose read passes the parse-memory
budget stops with the coded message and writes nothing. The worker is django-tasks-db's
own task runner, on the queued row, in the test's database (as tests/test_report_export
runs export jobs).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings

from tests.conftest import PASSWORD
from tests.conftest import PersonaClient as Client
from tests.sheetfactory import table, write_xlsx
from yibiao.intake.importer import READ_SHARE, REPORT_EVERY, import_ledger
from yibiao.intake.models import ImportJob
from yibiao.ledger.models import Person
from yibiao.values.ids import check_digit

pytestmark = pytest.mark.django_db

WANG = "11010519491231002X"
ROSTER = table(f"""
| 居民花名册 |        |                    |             |
| 序号       | 姓名   | 公民身份号码       | 联系电话    |
| 1          | 王秀英 | {WANG}             | 13812345678 |
| 2          | 李建国 | 430104195305060017 | 13912345678 |
| 3          | 坏号码 | 110105194912310021 | 13812345670 |
| 4          | 张桂兰 | 430104194708150020 | 13712345678 |
""")
GOOD = {WANG, "430104195305060017", "430104194708150020"}
REFUSED = "无权查看该导入任务，或它不存在。"
FORM = {"sheet": "Sheet1"}  # every column as shown: auto mappings only


@pytest.fixture(autouse=True)
def media(tmp_path: Path):
    with override_settings(MEDIA_ROOT=tmp_path / "media", YIBIAO_BACKGROUND_IMPORT_ROWS=4):
        yield tmp_path / "media"


def logged_in(user) -> Client:  # noqa: ANN001
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def upload(client: Client, path: Path, org: str) -> str:
    with path.open("rb") as handle:
        response = client.post("/intake/upload/", {"org": org, "file": handle})
    assert response.status_code == 302, response.content.decode()
    return response["Location"]


def run_queued_job() -> None:
    """What `yibiao worker` does with the oldest queued task (the db_worker loop would
    close the test's transaction-bound connection between tasks)."""
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    worker = Worker(queue_names=["*"], interval=1, batch=True, backend_name="default",
                    startup_delay=False, max_tasks=None, worker_id="test", excluded_queue_names=[])
    queued = DBTaskResult.objects.ready().order_by("enqueued_at").first()
    assert queued is not None, "no job was queued"
    worker.run_task(queued)


def start_job(client: Client, run_url: str, action: str) -> ImportJob:
    before = set(ImportJob.objects.values_list("pk", flat=True))
    response = client.post(run_url, {**FORM, "action": action})
    job = ImportJob.objects.exclude(pk__in=before).get()
    assert response.status_code == 302 and response["Location"] == f"/intake/jobs/{job.pk}/"
    return job


def test_a_roster_over_the_threshold_is_dry_run_then_imported_as_jobs(world, tmp_path, media):
    client = logged_in(world.worker_a)
    mapping_url = upload(client, write_xlsx(tmp_path / "花名册.xlsx", ROSTER), world.community_a.code)
    run_url = mapping_url + "run/"

    # The dry run: queued, the page polls; nothing read yet, nothing written.
    dry = start_job(client, run_url, "dry_run")
    assert (dry.dry_run, dry.status, dry.requested_by, dry.org_unit) == (
        True, "queued", world.worker_a, world.community_a)
    assert dry.rows_estimated == 6 and dry.file_name == "花名册.xlsx"
    page = client.get(f"/intake/jobs/{dry.pk}/").content.decode()
    assert 'hx-trigger="every 2s"' in page and "排队等待" in page and "花名册.xlsx" in page
    run_queued_job()
    dry.refresh_from_db()
    assert (dry.status, dry.stage, dry.progress) == ("done", "done", 100), (dry.error_code, dry.error)
    assert dry.result["rejected"] == 1 and dry.result["created"] == 3
    done = client.get(f"/intake/jobs/{dry.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "every 2s" not in done and "<html" not in done
    assert "试导入结果（未写入）" in done and "110105194912310021" in done  # the rejected row
    # and why: the reason was left blank on a job's page (its kept result had no `shown`)
    reason = dry.result["rejections"][0]
    assert reason["message"] and f"<td>{reason['message']}</td>" in done
    client.cookies["django_language"] = "en"
    english = client.get(f"/intake/jobs/{dry.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert reason["message_en"] and f"<td>{reason['message_en']}</td>" in english
    client.cookies["django_language"] = "zh-hans"
    assert not Person.objects.exists()

    # The real import, from the same mapping page (htmx: the job's panel under the form).
    response = client.post(run_url, {**FORM, "action": "import"}, HTTP_HX_REQUEST="true")
    job = ImportJob.objects.get(dry_run=False)
    assert response.status_code == 200 and f'hx-get="/intake/jobs/{job.pk}/"' in response.content.decode()
    assert not Person.objects.exists()  # nothing happens inside the request
    run_queued_job()
    job.refresh_from_db()
    assert (job.status, job.result["created"], job.result["rejected"]) == ("done", 3, 1)
    assert set(Person.objects.values_list("id_number", flat=True)) == GOOD
    page = client.get(f"/intake/jobs/{job.pk}/").content.decode()
    assert "导入完成" in page and "查看居民台账" in page
    assert not any((media / "intake").iterdir())  # the upload is gone once imported


def test_a_roster_at_the_threshold_stays_in_the_request(world, tmp_path):
    client = logged_in(world.worker_a)
    small = ROSTER[:1] + ROSTER[1:4]  # title, header and two rows: 4 rows
    mapping_url = upload(client, write_xlsx(tmp_path / "小.xlsx", small), world.community_a.code)
    response = client.post(mapping_url + "run/", {**FORM, "action": "dry_run"})
    assert response.status_code == 200 and "试导入结果（未写入）" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_only_the_worker_who_started_a_job_sees_it_while_the_unit_is_theirs(world, tmp_path):
    client = logged_in(world.worker_a)
    mapping_url = upload(client, write_xlsx(tmp_path / "花名册.xlsx", ROSTER), world.community_a.code)
    job = start_job(client, mapping_url + "run/", "dry_run")
    run_queued_job()
    url = f"/intake/jobs/{job.pk}/"
    assert client.get(url).status_code == 200

    secrets = ["王秀英", WANG, "坏号码", "花名册.xlsx", "桃花岭社区", "110105194912310021"]
    for user in (world.worker_b, world.officer, world.reviewer):
        other = logged_in(user)
        for response in (other.get(url), other.get(url, HTTP_HX_REQUEST="true")):
            body = response.content.decode()
            assert response.status_code == 403, user.username
            assert not [s for s in secrets if s in body], user.username
        # Someone else's job and no job at all: the same answer.
        missing = other.get(f"/intake/jobs/{job.pk + 1000}/")
        assert missing.status_code == 403
        assert REFUSED in missing.content.decode() and REFUSED in other.get(url).content.decode()

    # Moved to the other community: the job's unit is no longer theirs.
    world.worker_a.org_unit = world.community_b
    world.worker_a.save()
    response = client.get(url)
    assert response.status_code == 403 and "王秀英" not in response.content.decode()


def test_a_job_over_the_memory_budget_fails_cleanly_and_writes_nothing(world, tmp_path, media):
    # Two cells far apart: calamine would allocate the whole box (2,000 rows × 20 columns,
    # 1.2 MB) before the first row, more than a 1 MB budget.
    rows = [*ROSTER, *([[None] * 20] * 1994), [None] * 19 + ["x"]]
    client = logged_in(world.worker_a)
    mapping_url = upload(client, write_xlsx(tmp_path / "大表.xlsx", rows), world.community_a.code)
    job = start_job(client, mapping_url + "run/", "import")
    with override_settings(YIBIAO_PARSE_MEMORY_MB=1):
        run_queued_job()
    job.refresh_from_db()
    assert (job.status, job.stage, job.error_code) == ("failed", "failed", "over_memory_limit")
    assert "大表.xlsx" in job.error and "1 MB" in job.error and str(media) not in job.error
    assert not Person.objects.exists()
    page = client.get(f"/intake/jobs/{job.pk}/").content.decode()
    assert "未导入" in page and job.error in page and "every 2s" not in page
    assert any((media / "intake").iterdir())  # kept: the worker may split it and try again


def test_the_import_reports_reading_then_validating_or_writing(world, tmp_path):
    bodies = [f"430104{dt.date(1950, 1, 1) + dt.timedelta(days=i // 900):%Y%m%d}{i % 900:03d}"
              for i in range(REPORT_EVERY + 500)]
    people = [[f"居民{i}", body + check_digit(body)] for i, body in enumerate(bodies)]
    path = write_xlsx(tmp_path / "花名册.xlsx", [["姓名", "公民身份号码"], *people])
    for dry_run, last in ((True, "validating"), (False, "writing")):
        heard: list[tuple[str, int]] = []
        result = import_ledger(world.worker_a, path, world.community_a, dry_run=dry_run,
                               progress=lambda stage, pct, heard=heard: heard.append((stage, pct)))
        assert result.ok and result.rows_read == len(people)
        assert heard[0] == ("reading", 0) and heard[-1] == (last, 99)
        reading = [pct for stage, pct in heard if stage == "reading"]
        assert reading == sorted(reading) and 0 < reading[-1] <= READ_SHARE
        # The write reports each chunk of rows: the bar moves on from READ_SHARE (it sat there).
        writing = [pct for stage, pct in heard if stage == last]
        assert writing[0] == READ_SHARE and writing == sorted(writing) and len(set(writing)) >= 3


def test_import_pressed_again_while_its_job_waits_or_after_it_is_done_is_refused(world, tmp_path, media):
    client = logged_in(world.worker_a)
    run_url = upload(client, write_xlsx(tmp_path / "花名册.xlsx", ROSTER), world.community_a.code) + "run/"
    job = start_job(client, run_url, "import")
    page = client.get(run_url.replace("run/", "")).content.decode()
    assert 'hx-disabled-elt="#import-actions button"' in page  # disabled while a request runs
    again = client.post(run_url, {**FORM, "action": "import"}, HTTP_HX_REQUEST="true")
    assert again.status_code == 409 and f"第 {job.pk} 号任务" in again.content.decode()
    assert ImportJob.objects.filter(dry_run=False).count() == 1
    run_queued_job()
    job.refresh_from_db()
    assert job.status == "done" and job.result["write_id"]
    after = client.post(run_url, {**FORM, "action": "import"})
    assert after.status_code == 409 and "已经导入过了" in after.content.decode()
    assert ImportJob.objects.filter(dry_run=False).count() == 1
    assert Person.objects.count() == len(GOOD)
    # The finished job's page offers to undo it (a day long).
    done = client.get(f"/intake/jobs/{job.pk}/").content.decode()
    assert f'action="/ledger/writes/{job.result["write_id"]}/undo/"' in done


# Committed rows: on PostgreSQL the progress goes through a connection of its own, which
# sees only the job row a real request committed (no file a page on another machine misses).
@pytest.mark.django_db(transaction=True)
def test_a_job_shows_the_progress_of_its_write_while_the_transaction_runs(world, tmp_path, media, monkeypatch):
    """The import's transaction hid the job row's updates from the page: it sat at 40 %."""
    from yibiao.intake import jobs

    bodies = [f"430104{dt.date(1950, 1, 1) + dt.timedelta(days=i // 900):%Y%m%d}{i % 900:03d}"
              for i in range(4500)]
    people = [[f"居民{i}", body + check_digit(body)] for i, body in enumerate(bodies)]
    client = logged_in(world.worker_a)
    run_url = upload(client, write_xlsx(tmp_path / "大.xlsx", [["姓名", "公民身份号码"], *people]),
                     world.community_a.code) + "run/"
    job = start_job(client, run_url, "import")
    seen: list[int] = []
    report = jobs._report_outside

    def and_look(job_id: int, stage: str, percent: int) -> None:
        report(job_id, stage, percent)
        if stage == "writing":  # what the page shows of the job at that moment
            shown = jobs.seen_progress(ImportJob.objects.get(pk=job_id))
            seen.append(shown.progress)

    monkeypatch.setattr(jobs, "_report_outside", and_look)
    run_queued_job()
    assert seen == sorted(seen) and seen[-1] == 99 and len([p for p in seen if p > READ_SHARE]) >= 2, seen
    job.refresh_from_db()
    assert (job.status, job.progress) == ("done", 100)
    assert not jobs.progress_file(job.pk).exists()
    if connection.vendor == "postgresql":  # nothing on this machine's disk at any point
        assert not jobs.progress_file(job.pk).parent.exists()


def test_a_first_import_written_as_it_is_read_moves_the_bar_all_the_way(world, tmp_path, media, monkeypatch):
    """Blocks written as the next ones are read (records._prepared_beside): the bar follows the
    reading from the first block to the last, not 0-40 % reading and a jump to 99 %."""
    from yibiao.intake import jobs
    from yibiao.ledger import records

    monkeypatch.setattr(records, "BLOCK", 500)
    monkeypatch.setattr(records, "PIPELINE_BLOCK", 500)
    monkeypatch.setattr(records, "_reads_beside", lambda: True)
    monkeypatch.setattr("yibiao.intake.importer.REPORT_EVERY", 100)
    bodies = [f"430104{dt.date(1950, 1, 1) + dt.timedelta(days=i // 900):%Y%m%d}{i % 900:03d}"
              for i in range(4500)]
    people = [[f"居民{i}", body + check_digit(body)] for i, body in enumerate(bodies)]
    client = logged_in(world.worker_a)
    run_url = upload(client, write_xlsx(tmp_path / "大.xlsx", [["姓名", "公民身份号码"], *people]),
                     world.community_a.code) + "run/"
    start_job(client, run_url, "import")
    seen: list[int] = []
    report = jobs._report_outside

    def and_look(job_id: int, stage: str, percent: int) -> None:
        report(job_id, stage, percent)
        if stage == "writing":
            seen.append(percent)

    monkeypatch.setattr(jobs, "_report_outside", and_look)
    run_queued_job()
    assert seen == sorted(seen) and seen[-1] == 99, seen
    assert len({p for p in seen if READ_SHARE < p < 99}) >= 4 and min(seen) < READ_SHARE, seen


def test_a_job_page_sums_up_every_refused_row_by_reason_beyond_those_it_lists(world, tmp_path, media, monkeypatch):
    """Only the first rows are listed (1,000): a clerk's 20 real errors after the first
    1,000 refused rows were invisible. The summary counts every one, by column and reason."""
    from yibiao.intake import jobs

    monkeypatch.setattr(jobs, "LISTED", 2)
    bad = [f"| {i} | 坏号码{i} | 11010519491231002{i} | 13812345678 |" for i in range(4, 7)]
    roster = table("| 序号 | 姓名 | 公民身份号码 | 联系电话 |\n"
                   f"| 1 | 王秀英 | {WANG} | 1381234567a |\n| 2 | 李建国 | 430104195305060017 | 13912345678 |\n"
                   f"| 3 | 张桂兰 | 430104194708150020 | 13712345678 |\n" + "\n".join(bad))
    client = logged_in(world.worker_a)
    dry = start_job(client, upload(client, write_xlsx(tmp_path / "错.xlsx", roster), world.community_a.code) + "run/",
                    "dry_run")
    run_queued_job()
    dry.refresh_from_db()
    assert dry.result["rejected"] == 4 and len(dry.result["rejections"]) == 2 and dry.result["more_rejections"] == 2
    page = client.get(f"/intake/jobs/{dry.pk}/").content.decode()
    assert "按原因汇总" in page and "另有 2 条未列出" in page
    summary = {(g["column"], g["rows"]) for g in dry.result["rejection_summary"]}
    assert summary == {("C", 3), ("D", 1)}
    phone = next(g for g in dry.result["rejection_summary"] if g["column"] == "D")
    assert f"<td>{phone['message']}</td><td>1</td><td>2</td>" in page
