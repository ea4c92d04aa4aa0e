"""The audit log: who did what to whom, when and why.

Entries are written by the domain function that acts (see audit.log.record), with an
explicit action, never inferred from URLs. Rows are only ever inserted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    LOGIN = "login", _("登录")
    VIEW_PERSON = "view_person", _("查看人员信息")
    REVEAL = "reveal", _("查看完整敏感信息")
    CREATE = "create", _("新建")
    CHANGE = "change", _("修改")
    IMPORT = "import", _("导入台账")
    EXPORT = "export", _("导出")
    API_READ = "api_read", _("接口读取")
    RETENTION_ERASE = "retention_erase", _("到期删除")
    REQUEST_TRANSITION = "request_transition", _("审核流转")
    DENIED = "denied", _("越权访问被拒绝")
    LOGIN_FAILED = "login_failed", _("登录失败")
    LOCKOUT = "lockout", _("登录失败过多被锁定")
    UNLOCK = "unlock", _("解除登录锁定")


class AuditEntry(models.Model):
    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_entries",
    )
    actor_name = models.CharField(_("操作人账号"), max_length=150, blank=True)
    action = models.CharField(_("动作"), max_length=24, choices=Action.choices, db_index=True)
    subject_kind = models.CharField(_("对象类型"), max_length=24, blank=True)
    subject_id = models.CharField(_("对象"), max_length=64, blank=True, db_index=True)
    org_code = models.CharField(_("组织代码"), max_length=15, blank=True, db_index=True)
    reason = models.CharField(_("事由"), max_length=300, blank=True)
    detail = models.JSONField(_("详情"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")

    def __str__(self) -> str:
        return f"{timezone.localtime(self.at):%Y-%m-%d %H:%M} {self.actor_name} {self.get_action_display()}"
