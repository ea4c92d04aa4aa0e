"""Department form requests and their admission (准入).

A request carries the department's own template, its legal or policy basis, frequency,
scope and deadline rule; the automatic analysis is stored with it; the reviewer's
decisions move it through a small explicit state machine (see workflow.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Frequency(models.TextChoices):
    ONCE = "once", _("一次性")
    YEARLY = "yearly", _("每年")
    QUARTERLY = "quarterly", _("每季度")
    MONTHLY = "monthly", _("每月")
    WEEKLY = "weekly", _("每周")


PERIODS_PER_YEAR = {"once": 1, "yearly": 1, "quarterly": 4, "monthly": 12, "weekly": 52}
# How often: a higher rank asks more often.
FREQUENCY_RANK = {"once": 0, "yearly": 1, "quarterly": 2, "monthly": 3, "weekly": 4}


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("待审核")
    RETURNED = "returned", _("退回修改")
    ADMITTED = "admitted", _("已准入")
    REJECTED = "rejected", _("不予准入")
    WITHDRAWN = "withdrawn", _("已撤销")


class FormRequest(models.Model):
    title = models.CharField(_("报表名称"), max_length=200)
    department = models.ForeignKey("accounts.Department", verbose_name=_("部门"),
                                   on_delete=models.PROTECT, related_name="requests")
    basis = models.CharField(_("政策依据"), max_length=300,
                             help_text=_("文件名称和文号，如《……通知》（湘民发〔2026〕12号）"))
    frequency = models.CharField(_("填报频次"), max_length=10, choices=Frequency.choices)
    emergency = models.CharField(_("紧急情况说明"), max_length=300, blank=True)
    scope = models.ForeignKey("orgunits.OrgUnit", verbose_name=_("范围"), on_delete=models.PROTECT,
                              related_name="form_requests")
    deadline_days = models.PositiveIntegerField(_("报送期限（期末后天数）"), default=5)
    template = models.FileField(_("模板文件"), upload_to="templates/%Y/%m/")
    template_name = models.CharField(_("模板文件名"), max_length=200)
    sheet_name = models.CharField(max_length=100, blank=True)
    subject = models.CharField(_("填报对象"), max_length=10, blank=True)
    layout = models.CharField(_("表样类型"), max_length=10, blank=True)
    # Column mapping at submission: [{"column","index","header","path","element","status",...}]
    columns = models.JSONField(default=list)
    # Per sensitive column, the department's decision at submission (admission/decisions.py):
    # element -> reason for the full value, or the element listed as masked.
    justifications = models.JSONField(_("敏感信息使用理由"), default=dict, blank=True)
    masked_elements = models.JSONField(_("遮蔽提供的数据元"), default=list, blank=True)
    # Which subjects the report lists: a tree of {"and"|"or": [...]}, {"not": …} and
    # {"element", "op", "value"} leaves (reports/filterlang.py); an older flat list of
    # leaves means all of them. Empty: every subject in scope.
    subject_filter = models.JSONField(_("填报对象条件"), default=list, blank=True)
    # Where the filter came from: auto (the system's suggestion, applied), suggested (a
    # suggestion waiting for a person's click, not applied), confirmed (a suggestion a
    # person accepted), officer / reviewer (typed), cleared (suggestion declined), "".
    filter_status = models.CharField(_("条件来源"), max_length=10, blank=True)
    # The system's suggestion from the title, sheet and headers: {"filter", "text",
    # "status", "reason"}, kept so the reviewer sees it even when it was not applied.
    filter_suggestion = models.JSONField(default=dict, blank=True)
    analysis = models.JSONField(default=dict, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices,
                              default=Status.SUBMITTED, db_index=True)
    direct_delivery = models.BooleanField(_("直接交付（零填报）"), default=False)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="form_requests")
    submitted_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(_("审核意见"), max_length=500, blank=True)

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = _("报表需求")
        verbose_name_plural = _("报表需求")

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def elements(self) -> list[str]:
        return [c["element"] for c in self.columns if c.get("element")]


class Transition(models.Model):
    """Every state change, who made it and why: the request's audit trail."""

    request = models.ForeignKey(FormRequest, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=10, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=Status.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.from_status}→{self.to_status}"


class AdmissionRules(models.Model):
    """The reviewer's configurable rules; one row per reviewing org unit (the nearest applies)."""

    org_unit = models.OneToOneField("orgunits.OrgUnit", on_delete=models.CASCADE,
                                    related_name="admission_rules")
    max_frequency = models.CharField(_("最高频次（无紧急情况时）"), max_length=10,
                                     choices=Frequency.choices, default=Frequency.MONTHLY)
    element_max_frequency = models.JSONField(_("按数据元的最高频次"), default=dict, blank=True)
    require_basis = models.BooleanField(_("必须有政策依据"), default=True)
    sensitive_needs_justification = models.BooleanField(_("敏感信息必须说明理由"), default=True)
    seconds_per_cell = models.FloatField(_("每格耗时（秒）"), null=True, blank=True)
    seconds_per_form = models.FloatField(_("每表每期固定耗时（秒）"), null=True, blank=True)

    def __str__(self) -> str:
        return f"rules@{self.org_unit_id}"
