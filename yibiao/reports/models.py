"""Tasks: one per admitted request, community and period, pre-filled from the ledger."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TaskStatus(models.TextChoices):
    OPEN = "open", _("待补录")
    READY = "ready", _("已预填，待确认")
    SUBMITTED = "submitted", _("已报送")
    RETURNED = "returned", _("已退回")
    DELIVERED = "delivered", _("已直接交付")


class Task(models.Model):
    request = models.ForeignKey("gate.Demand", on_delete=models.CASCADE, related_name="tasks")
    org_unit = models.ForeignKey("orgunits.OrgUnit", on_delete=models.PROTECT, related_name="tasks")
    org_code = models.CharField(max_length=15, db_index=True)
    period = models.CharField(_("报告期"), max_length=10)
    period_start = models.DateField()
    period_end = models.DateField()
    due_date = models.DateField(_("截止日期"))
    status = models.CharField(_("状态"), max_length=10, choices=TaskStatus.choices,
                              default=TaskStatus.OPEN, db_index=True)
    # Exact per-cell accounting, recomputed whenever the task is (re)filled; typed counts
    # what workers entered on this task.
    cells_asked = models.PositiveIntegerField(default=0)
    cells_from_ledger = models.PositiveIntegerField(default=0)
    cells_derived = models.PositiveIntegerField(default=0)
    cells_system = models.PositiveIntegerField(default=0)
    cells_missing = models.PositiveIntegerField(default=0)
    cells_typed = models.PositiveIntegerField(default=0)
    rows = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    return_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["due_date", "pk"]
        constraints = [models.UniqueConstraint(fields=["request", "org_unit", "period"],
                                               name="task_unique_per_period")]

    def __str__(self) -> str:
        return f"{self.request_id}/{self.org_code}/{self.period}"


class TaskValue(models.Model):
    """A typed value that is not a ledger fact: an aggregate count for a community."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="values")
    row_key = models.CharField(max_length=40)
    column = models.CharField(max_length=5)
    value = models.CharField(max_length=200)
    # Raised by every save of the cell: a worker's save names the version they saw, and a
    # save against a newer one is a conflict, never a silent overwrite (tasks.complete).
    version = models.PositiveIntegerField(default=1)
    typed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                 related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task", "row_key", "column"],
                                               name="taskvalue_unique")]

    def __str__(self) -> str:
        return f"{self.task_id}:{self.row_key}:{self.column}={self.value}"


class ExportJob(models.Model):
    """A big export filled in the background, with its progress for the page to show."""

    request = models.ForeignKey("gate.Demand", on_delete=models.CASCADE,
                                related_name="export_jobs")
    org_unit = models.ForeignKey("orgunits.OrgUnit", on_delete=models.CASCADE, related_name="+")
    period = models.CharField(max_length=10)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                     related_name="+")
    status = models.CharField(max_length=10, default="queued")  # queued|running|done|failed
    stage = models.CharField(max_length=100, blank=True)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    file = models.CharField(max_length=300, blank=True)
    rows = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"export {self.pk} {self.status} {self.progress}%"
