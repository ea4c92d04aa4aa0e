"""Reports of what reached a community outside the gate (减负观察点).

A worker tells what came by WeChat, phone or paper without passing the gate; a reviewer
converts it (the department must submit it as a demand) or dismisses it. Who reported is
never shown to the department (accounts/scope.visible_unadmitted_reports).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    WECHAT = "wechat", _("微信群")
    PHONE = "phone", _("电话")
    PAPER = "paper", _("纸质通知")
    EMAIL = "email", _("邮件")
    OTHER = "other", _("其他")


class ReportKind(models.TextChoices):
    TABLE = "table", _("报表")
    TASK = "task", _("工作任务")
    INSPECTION = "inspection", _("督查检查考核")


class ReportStatus(models.TextChoices):
    NEW = "new", _("待处理")
    CONVERTED = "converted", _("已要求部门按规定报审")
    DISMISSED = "dismissed", _("已驳回")


class UnadmittedReport(models.Model):
    """Something that reached a community outside the gate, reported by a worker (减负观察点)."""

    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="unadmitted_reports")
    org_unit = models.ForeignKey("orgunits.OrgUnit", verbose_name=_("社区"),
                                 on_delete=models.PROTECT, related_name="unadmitted_reports")
    department = models.ForeignKey("accounts.Department", verbose_name=_("部门"), null=True,
                                   blank=True, on_delete=models.PROTECT,
                                   related_name="unadmitted_reports")
    department_name = models.CharField(_("发来的部门"), max_length=100)
    channel = models.CharField(_("途径"), max_length=10, choices=Channel.choices)
    kind = models.CharField(_("类别"), max_length=12, choices=ReportKind.choices)
    description = models.CharField(_("内容"), max_length=500, blank=True)
    attachment = models.FileField(_("照片或文件"), upload_to="unadmitted/%Y/%m/", blank=True)
    attachment_name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(_("状态"), max_length=10, choices=ReportStatus.choices,
                              default=ReportStatus.NEW, db_index=True)
    reviewer_note = models.CharField(_("处理意见"), max_length=500, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    converted_item = models.ForeignKey("gate.Demand", null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="from_reports")

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("未经准入事项报告")
        verbose_name_plural = _("未经准入事项报告")

    def __str__(self) -> str:
        return f"#{self.pk} {self.department_name}"
