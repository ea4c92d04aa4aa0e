"""Reporting what slipped past the gate: a worker's report of a table, task or inspection that
reached them outside the system (a WeChat group, a phone call, paper), and the reviewer's
answer — make the department submit it properly, or dismiss the report.

This is the feedback loop county 减负 offices run with their grassroots monitoring points
(减负观察点). Uploads are limited in size and checked by their first bytes, not their names.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import PurePath

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from yibiao.accounts import scope
from yibiao.accounts.models import Department
from yibiao.audit.log import record
from yibiao.audit.models import Action
from yibiao.gate import machine
from yibiao.gate.models import Status, WorkItem
from yibiao.refusals import Reason, Refusal

from .models import Channel, ReportKind, ReportStatus, UnadmittedReport

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
# Extension → the magic numbers a real file of that kind starts with.
ZIP, OLE = (b"PK\x03\x04",), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",), ".jpeg": (b"\xff\xd8\xff",),
    ".gif": (b"GIF87a", b"GIF89a"),
    ".webp": (b"RIFF",),
    ".heic": (b"ftyp",),  # at offset 4, checked below
    ".pdf": (b"%PDF-",),
    ".xlsx": ZIP, ".docx": ZIP, ".xls": OLE, ".doc": OLE, ".et": OLE, ".wps": OLE,
}
DEPARTMENT_MIN = 2


class ReportRefused(Refusal):
    """A slipped-past report cannot be filed or resolved as asked; every reason is listed."""


@dataclass
class Attachment:
    name: str
    content: bytes


def size_problems(name: str, size: int) -> list[str]:
    """Checked before reading an upload into memory."""
    if size > MAX_ATTACHMENT_BYTES:
        return [f"文件“{name}”超过 {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB，请拍照或截图后再传"]
    return []


def check_attachment(attachment: Attachment) -> list[str]:
    """Reasons to refuse the file: too big, an unknown kind, or contents that are not what the name says."""
    suffix = PurePath(attachment.name).suffix.lower()
    if too_big := size_problems(attachment.name, len(attachment.content)):
        return too_big
    if suffix not in SIGNATURES:
        return [f"不支持“{suffix or '无扩展名'}”文件：请上传照片（jpg、png、heic）、PDF 或 Word/Excel 文件"]
    head = attachment.content[:16]
    if suffix == ".heic":
        ok = head[4:8] == b"ftyp"
    elif suffix == ".webp":
        ok = head.startswith(b"RIFF") and head[8:12] == b"WEBP"
    else:
        ok = any(head.startswith(magic) for magic in SIGNATURES[suffix])
    if not ok:
        return [f"文件“{attachment.name}”的内容与扩展名不符，可能已损坏，请重新拍照或导出"]
    return []


def match_department(name: str) -> Department | None:
    name = name.strip()
    return Department.objects.filter(name=name).first() or \
        Department.objects.filter(short_name=name).first()


def report(actor: object, *, department: str, channel: str, kind: str, description: str = "",
           attachment: Attachment | None = None, org_code: str = "") -> UnadmittedReport:
    """A worker says: this reached us outside the gate. Quick to file: three choices and a photo."""
    if not scope.can(actor, "edit_ledger"):
        raise scope.OutOfScope("只有社区（网格）工作者可以报告未经准入的事项")
    code = org_code or getattr(getattr(actor, "org_unit", None), "code", "")
    if not code:
        raise ReportRefused("slipped_unit_missing")
    unit = scope.get_visible_org_unit(actor, code)
    reasons = []
    if len(department.strip()) < DEPARTMENT_MIN:
        reasons.append(Reason("slipped_department_missing"))
    if channel not in Channel.values:
        reasons.append(Reason("slipped_channel_missing"))
    if kind not in ReportKind.values:
        reasons.append(Reason("slipped_kind_missing"))
    if attachment is not None:
        reasons.extend(check_attachment(attachment))
    if not description.strip() and attachment is None:
        reasons.append(Reason("slipped_content_missing"))
    if reasons:
        raise ReportRefused(reasons)
    found = match_department(department)
    with transaction.atomic():
        filed = UnadmittedReport(
            reported_by=actor, org_unit=unit, department=found,
            department_name=found.name if found else department.strip()[:100],
            channel=channel, kind=kind, description=description.strip()[:500])
        if attachment is not None:
            suffix = PurePath(attachment.name).suffix.lower()
            filed.attachment_name = PurePath(attachment.name).name[:200]
            filed.attachment.save(f"report-{timezone.now():%Y%m%d%H%M%S}{suffix}",
                                  ContentFile(attachment.content), save=False)
        filed.save()
        record(actor, Action.CREATE, subject_kind="unadmitted_report", subject_id=filed.pk,
               org_code=unit.code, department=filed.department_name, channel=channel, kind=kind)
    return filed


def get_report(actor: object, report_id: int) -> UnadmittedReport:
    found = scope.visible_unadmitted_reports(actor).filter(pk=report_id).first()
    if found is None:
        raise scope.OutOfScope("无权查看该报告，或它不存在。")
    return found


FORM_REQUEST_NOTE = "请通过“报表需求”提交模板和政策依据，经准入审核后方可向社区下发"
WORK_ITEM_NOTE = "已转为待补正事项：请补充政策依据、时间、工时测算和留痕理由后重新提交审核"


@transaction.atomic
def resolve(actor: object, filed: UnadmittedReport, action: str, note: str = "") -> UnadmittedReport:
    """The reviewer converts the report into a request the department must submit properly, or dismisses it.

    A task or inspection becomes a returned WorkItem the department must complete and
    resubmit; a table cannot be made without its template, so the department is told to
    submit a form request (the report stays on the dashboard under that department).
    """
    scope.require(actor, "review_requests")
    filed = get_report(actor, filed.pk)
    locked = UnadmittedReport.objects.select_for_update().get(pk=filed.pk)
    if locked.status != ReportStatus.NEW:
        raise ReportRefused("slipped_already_resolved", status=ReportStatus(locked.status).label)
    note = note.strip()
    if action == "dismiss":
        if len(note) < 2:
            raise ReportRefused("slipped_dismiss_reason")
        locked.status = ReportStatus.DISMISSED
    elif action == "convert":
        department = locked.department or match_department(locked.department_name) or \
            Department.objects.create(name=locked.department_name)
        locked.department = department
        locked.status = ReportStatus.CONVERTED
        if locked.kind == ReportKind.TABLE:
            note = note or FORM_REQUEST_NOTE
        else:
            note = note or WORK_ITEM_NOTE
            locked.converted_item = _returned_item(actor, locked, department, note)
    else:
        raise ReportRefused("slipped_unknown_action", action=action)
    locked.reviewer_note = note[:500]
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.save()
    record(actor, Action.REQUEST_TRANSITION, subject_kind="unadmitted_report", subject_id=locked.pk,
           org_code=locked.org_unit.code, reason=note, step=action, to=locked.status,
           department=locked.department_name)
    return locked


def _returned_item(actor: object, filed: UnadmittedReport, department: Department, note: str) -> WorkItem:
    today = timezone.localdate()
    label = ReportKind(filed.kind).label
    item = WorkItem.objects.create(
        kind=filed.kind, title=(filed.description or f"未经准入的{label}")[:200],
        department=department, basis="", scope=filed.org_unit, start_date=today,
        end_date=today + dt.timedelta(days=30), hours_per_community=0, estimate_basis="",
        description=f"由社区报告（第 {filed.pk} 号）转来：{filed.description}",
        submitted_by=actor, decided_at=timezone.now(), decision_reason=note)
    machine.flip(actor, item, "convert", Status.RETURNED, note, fresh=True, report=filed.pk)
    return item
