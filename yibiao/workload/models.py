"""Work tasks and inspections sent to communities, and what reached them outside the gate.

Tables are only part of the load: departments also push work tasks (organise a campaign,
check every rental house) and inspections (督查、检查、考核) with proof-of-work demands
(留痕). A WorkItem goes through the same admission as a FormRequest: basis, scope, dates,
effort per community with how it was estimated, every evidence demand justified; the
analysis is stored with it and every state change is a Transition row plus an audit entry
(see workflow.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yibiao.admission.models import Frequency


class Kind(models.TextChoices):
    TASK = "task", _("工作任务")
    INSPECTION = "inspection", _("督查检查考核")


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("待审核")
    RETURNED = "returned", _("退回修改")
    ADMITTED = "admitted", _("已准入")
    REJECTED = "rejected", _("不予准入")
    WITHDRAWN = "withdrawn", _("已撤销")
    MERGED = "merged", _("已并入联合检查")


class Subject(models.TextChoices):
    """What or whom a task or inspection targets: overlaps are found on these codes."""

    RENTAL_HOUSES = "rental_houses", _("出租房屋")
    ELDERLY_ALONE = "elderly_alone", _("独居老人")
    SPECIAL_GROUPS = "special_groups", _("特殊困难群体")
    RESIDENTS = "residents", _("全体居民（入户）")
    SHOPS = "shops", _("沿街商铺和经营场所")
    FIRE_SAFETY = "fire_safety", _("消防安全隐患")
    CONSTRUCTION = "construction", _("在建工地")
    PUBLIC_PLACES = "public_places", _("公共场所")
    COMMUNITY_OFFICE = "community_office", _("社区工作台账和阵地")
    OTHER = "other", _("其他")


class EvidenceKind(models.TextChoices):
    PHOTO = "photo", _("照片")
    SIGN_IN = "sign_in", _("签到表")
    MINUTES = "minutes", _("会议记录")
    RECORD = "record", _("工作台账")
    REPORT = "report", _("总结报告")
    OTHER = "other", _("其他材料")


class WorkItem(models.Model):
    kind = models.CharField(_("类别"), max_length=12, choices=Kind.choices)
    title = models.CharField(_("事项名称"), max_length=200)
    department = models.ForeignKey("accounts.Department", verbose_name=_("部门"),
                                   on_delete=models.PROTECT, related_name="work_items")
    # A joint inspection carries every department that takes part (多检合一).
    joint_with = models.ManyToManyField("accounts.Department", verbose_name=_("联合部门"),
                                        blank=True, related_name="joint_work_items")
    merged_into = models.ForeignKey("self", verbose_name=_("并入"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="merged_from")
    basis = models.CharField(_("政策依据"), max_length=300)
    scope = models.ForeignKey("orgunits.OrgUnit", verbose_name=_("范围"), on_delete=models.PROTECT,
                              related_name="work_items")
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    frequency = models.CharField(_("频次"), max_length=10, choices=Frequency.choices,
                                 default=Frequency.ONCE)
    hours_per_community = models.FloatField(_("每社区每次预计工时"))
    estimate_basis = models.CharField(_("工时测算方法"), max_length=300)
    subjects = models.JSONField(_("对象"), default=list, blank=True)
    subjects_note = models.CharField(_("对象说明"), max_length=200, blank=True)
    description = models.TextField(_("工作内容"), blank=True)
    analysis = models.JSONField(default=dict, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices,
                              default=Status.SUBMITTED, db_index=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="work_items")
    submitted_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(_("审核意见"), max_length=500, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        verbose_name = _("工作任务或督查检查")
        verbose_name_plural = _("工作任务或督查检查")

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def is_joint(self) -> bool:
        return self.merged_from.exists()

    def departments(self) -> list[str]:
        return [self.department.name, *(d.name for d in self.joint_with.all())]


class EvidenceDemand(models.Model):
    """One proof-of-work demand (留痕); unjustified ones are refused, the reviewer may strike any."""

    item = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="evidence")
    kind = models.CharField(_("材料类别"), max_length=10, choices=EvidenceKind.choices,
                            default=EvidenceKind.OTHER)
    what = models.CharField(_("要求的材料"), max_length=200)
    justification = models.CharField(_("理由"), max_length=300)
    struck = models.BooleanField(_("已删除"), default=False)
    struck_reason = models.CharField(_("删除理由"), max_length=300, blank=True)
    struck_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    struck_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.what


class Transition(models.Model):
    """Every state change of a work item, who made it and why."""

    item = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=10, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=Status.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.from_status}→{self.to_status}"


class LoadRules(models.Model):
    """Load limits set by a reviewing org unit; the nearest one at or above a community applies."""

    org_unit = models.OneToOneField("orgunits.OrgUnit", on_delete=models.CASCADE,
                                    related_name="load_rules")
    weekly_hours_ceiling = models.FloatField(_("每人每周派出工作上限（小时）"), default=8.0)
    max_inspections_per_quarter = models.PositiveIntegerField(_("每社区每季度督查检查上限（次）"),
                                                              default=2)
    workers_per_community = models.PositiveIntegerField(
        _("每社区工作人员数（账号较少时按此计）"), default=1)

    def __str__(self) -> str:
        return f"load@{self.org_unit_id}"


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
    converted_item = models.ForeignKey(WorkItem, null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="from_reports")

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("未经准入事项报告")
        verbose_name_plural = _("未经准入事项报告")

    def __str__(self) -> str:
        return f"#{self.pk} {self.department_name}"
