"""What slipped past the gate: a worker reports it with a photo, the reviewer sees it and makes the
department submit it properly (or dismisses it), and it counts under the sending department."""

from __future__ import annotations

import struct
import zlib

import pytest
from django.utils import timezone

from yibiao.audit.models import Action, AuditEntry
from yibiao.burden.accounting import workload_figures
from yibiao.gate.models import Status, WorkItem
from yibiao.slipped import reports as slipped
from yibiao.slipped.models import ReportStatus, UnadmittedReport

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def png(width: int = 4, height: int = 3) -> bytes:
    """A real, tiny PNG: what a phone's photo of a WeChat message is, minus the pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_a_worker_reports_a_table_with_a_photo_and_the_reviewer_converts_it(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.login(username="worker_a", password=PASSWORD)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post("/slipped/new/", {
        "kind": "table", "department": "区卫生健康局", "channel": "wechat",
        "description": "微信群里要填的老年人体检统计表",
        "attachment": SimpleUploadedFile("微信截图.png", png(), content_type="image/png")})
    assert response.status_code == 200 and "已收到报告" in response.content.decode()
    filed = UnadmittedReport.objects.get()
    assert filed.department == world.department and filed.org_unit == world.community_a
    assert filed.attachment_name == "微信截图.png" and filed.attachment.read().startswith(b"\x89PNG")
    assert AuditEntry.objects.filter(action=Action.CREATE, subject_kind="unadmitted_report").exists()

    client.login(username="worker_b", password=PASSWORD)  # not theirs
    assert client.get(f"/slipped/{filed.pk}/").status_code == 403
    client.login(username="officer", password=PASSWORD)  # the department sees nothing until converted
    assert client.get(f"/slipped/{filed.pk}/").status_code == 403

    client.login(username="reviewer", password=PASSWORD)
    listing = client.get("/slipped/").content.decode()
    assert "区卫生健康局" in listing and "微信群" in listing
    assert client.get(f"/slipped/{filed.pk}/file").status_code == 200
    client.post(f"/slipped/{filed.pk}/resolve/", {"action": "convert"})
    filed.refresh_from_db()
    assert filed.status == ReportStatus.CONVERTED and "报表需求" in filed.reviewer_note
    assert filed.converted_item is None  # a table comes back as a form request with its template

    client.login(username="officer", password=PASSWORD)
    page = client.get(f"/slipped/{filed.pk}/").content.decode()
    assert "报表需求" in page and "worker_a" not in page  # who reported stays with the reviewer
    assert client.get(f"/slipped/{filed.pk}/file").status_code == 404
    assert "须按规定报审的事项" in client.get("/gate/?kind=work").content.decode()

    figures = workload_figures(world.reviewer, world.county, timezone.localdate(), timezone.localdate())
    line = next(d for d in figures.by_department if d.department == "区卫生健康局")
    assert (line.reports, line.reports_converted) == (1, 1)
    assert figures.by_channel == {"微信群": 1}


def test_a_reported_inspection_becomes_an_item_the_department_must_complete(world):
    filed = slipped.report(world.worker_a, department="区应急管理局", channel="phone",
                           kind="inspection", description="电话通知明天迎接安全生产检查")
    assert filed.department is None  # not yet known: kept by name
    slipped.resolve(world.reviewer, filed, "convert")
    filed.refresh_from_db()
    item = filed.converted_item
    assert item.status == Status.RETURNED and item.department.name == "区应急管理局"
    assert item.scope == world.community_a and item.kind == "inspection"
    from yibiao.accounts import scope

    assert not scope.visible_work_items(world.worker_a).filter(pk=item.pk).exists()
    with pytest.raises(slipped.ReportRefused, match="已处理"):
        slipped.resolve(world.reviewer, filed, "dismiss", "重复")


def test_a_report_is_dismissed_with_a_reason_and_still_counted(world):
    filed = slipped.report(world.worker_b, department="卫健", channel="paper", kind="task",
                           description="纸质通知：组织健康讲座")
    assert filed.department == world.department  # matched by short name
    with pytest.raises(slipped.ReportRefused, match="驳回须写明理由"):
        slipped.resolve(world.reviewer, filed, "dismiss")
    slipped.resolve(world.reviewer, filed, "dismiss", "该讲座已经准入（第 3 号）")
    filed.refresh_from_db()
    assert filed.status == ReportStatus.DISMISSED and not WorkItem.objects.exists()
    assert AuditEntry.objects.filter(action=Action.REQUEST_TRANSITION, subject_kind="unadmitted_report",
                                     detail__step="dismiss").exists()
    today = timezone.localdate()
    figures = workload_figures(world.reviewer, world.county, today, today)
    assert (figures.reports, figures.reports_dismissed) == (1, 1)
    assert figures.by_department[0].department == "区卫生健康局"
    own = workload_figures(world.reviewer, world.township_a, today, today)
    assert own.reports == 0  # reported in township B


@pytest.mark.parametrize(("name", "content", "message"), [
    ("照片.png", b"MZ\x90\x00 this is an exe", "内容与扩展名不符"),
    ("病毒.exe", b"MZ\x90\x00", "不支持"),
    ("大照片.jpg", b"\xff\xd8\xff" + b"\0" * slipped.MAX_ATTACHMENT_BYTES, "超过 10 MB"),
])
def test_a_hostile_or_oversized_file_is_refused_with_a_clear_message(world, name, content, message):
    with pytest.raises(slipped.ReportRefused) as refused:
        slipped.report(world.worker_a, department="区卫生健康局", channel="wechat", kind="table",
                       attachment=slipped.Attachment(name, content))
    assert message in refused.value.reasons[0]
    assert not UnadmittedReport.objects.exists()


def test_only_grassroots_workers_report(world):
    from yibiao.accounts.scope import OutOfScope

    with pytest.raises(OutOfScope):
        slipped.report(world.officer, department="区卫生健康局", channel="wechat", kind="table",
                       description="x")
    with pytest.raises(slipped.ReportRefused) as refused:
        slipped.report(world.worker_a, department="", channel="fax", kind="table")
    assert len(refused.value.reasons) == 3  # department, channel, and neither text nor photo


def test_the_dashboard_snippet_counts_reports_under_the_sending_department(world, rf):
    """What the burden dashboard shows with `{% load work_burden %}{% workload_burden f %}`."""
    from django.template import Context, Template

    from yibiao.burden.ledger import figures
    from yibiao.reports.periods import period_of

    slipped.report(world.worker_a, department="区卫生健康局", channel="wechat", kind="table",
                   description="老年人体检统计表")
    month = period_of("monthly", timezone.localdate())
    request = rf.get("/burden/")
    request.user = world.reviewer
    html = Template("{% load work_burden %}{% workload_burden f %}").render(Context({
        "request": request, "f": figures(world.reviewer, world.county, month, month)}))
    assert 'id="w-reports">1<' in html
    row = next(r for r in html.split("<tr>") if "区卫生健康局" in r)
    assert "<td>1</td>" in row


def test_the_inbox_snippet_lists_admitted_work_with_due_dates_and_effort(world):
    from django.template.loader import render_to_string

    from yibiao.agenda.inbox import inbox_items
    from yibiao.gate.work import workflow

    from .test_workload_gate import inspection, next_month

    first, last = next_month()
    item = inspection(world.officer, world, "健康入户随访", start=first, end=last, hours=1.5,
                      subjects=("elderly_alone",), kind="task")
    workflow.decide(world.reviewer, item, "admit", "")
    html = render_to_string("agenda/_inbox.html", {"inbox": inbox_items(world.worker_a),
                                                    "user": world.worker_a})
    assert "健康入户随访" in html and f"{last:%Y-%m-%d}" in html and "约 1.5 小时" in html
    assert "健康入户随访" not in render_to_string("agenda/_inbox.html", {
        "inbox": inbox_items(world.worker_b), "user": world.worker_b})
