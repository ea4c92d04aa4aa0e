"""A web import too big for one request: run by the job worker, its progress kept for the page."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("进行中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("未完成")


class JobStage(models.TextChoices):
    """What `import_ledger` reports through its progress callback, plus the job's own ends."""

    QUEUED = "queued", _("排队等待")
    READING = "reading", _("读取表格")
    VALIDATING = "validating", _("逐行校验")
    WRITING = "writing", _("校验并写入台账")
    DONE = "done", _("完成")
    FAILED = "failed", _("已停止")


class ImportJob(models.Model):
    """One dry run or import of an uploaded roster into one unit, by the user who asked.

    Only `requested_by` sees it, and only while `org_unit` is still in their scope
    (jobs.job_for). The result is ImportResult.as_dict(), kept for the page to show.
    """

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                     related_name="+")
    org_unit = models.ForeignKey("orgunits.OrgUnit", on_delete=models.CASCADE, related_name="+")
    file_name = models.CharField(max_length=255)  # as uploaded: what the page shows
    path = models.CharField(max_length=500)  # where the server keeps the upload
    sheet = models.CharField(max_length=100, blank=True)
    mapping = models.JSONField(default=dict, blank=True)  # column → element, as confirmed
    dry_run = models.BooleanField(default=True)
    rows_estimated = models.PositiveIntegerField(default=0)  # from the safety scan, before parsing
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    stage = models.CharField(max_length=12, choices=JobStage.choices, default=JobStage.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    result = models.JSONField(null=True, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    error = models.TextField(blank=True)  # for people, in Chinese; shown on the page
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        # One import per upload: a second press of 导入 (or a second tab) is refused, unless
        # the first one failed and wrote nothing.
        constraints = [models.UniqueConstraint(
            fields=["path"], condition=models.Q(dry_run=False) & ~models.Q(status="failed"),
            name="import_job_once_per_upload")]

    def __str__(self) -> str:
        return f"import {self.pk} {self.status} {self.progress}%"

    @property
    def active(self) -> bool:
        return self.status in (JobStatus.QUEUED, JobStatus.RUNNING)
