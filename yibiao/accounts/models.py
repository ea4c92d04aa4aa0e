"""Users, their role and the org unit they are scoped to.

One role per account: the role and scope decide everything a user may see (see scope.py).
A person who is both a worker and a reviewer gets two accounts, as county offices do.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("系统管理员")
    REVIEWER = "reviewer", _("减负办审核员")
    OFFICER = "officer", _("部门填报需求人员")
    WORKER = "worker", _("社区（网格）工作者")


class Department(models.Model):
    """An upstream department that asks for data (卫健委, 民政局, 公安 …)."""

    name = models.CharField(_("部门名称"), max_length=100, unique=True)
    short_name = models.CharField(_("简称"), max_length=30, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("部门")
        verbose_name_plural = _("部门")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    role = models.CharField(_("角色"), max_length=12, choices=Role.choices, default=Role.WORKER)
    org_unit = models.ForeignKey(
        "orgunits.OrgUnit",
        verbose_name=_("所属组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        help_text=_("用户能看到的范围：该组织及其下级。系统管理员可留空（全部）。"),
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="officers",
    )
    display_name = models.CharField(_("姓名"), max_length=50, blank=True)
    # The user's last look at the home page: what arrived since is marked new (accounts.homes).
    home_seen_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.username


class ApiToken(models.Model):
    """A department system's key to the data API. Only its SHA-256 is stored; the API acts as
    the token's user, so the same scope rules apply as on the web."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("用途"), max_length=100)
    prefix = models.CharField(max_length=8)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"
