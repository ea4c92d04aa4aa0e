"""What a department sends down, and the one gate (准入) it passes.

A `Demand` is anything a department asks of the grassroots: a table to fill, a work task,
an inspection (督查检查考核) — one catalogue (清单), one reviewer queue, one state machine
(gate/machine.py) whose every change is one `History` row, one set of limits per reviewing
org unit (`GateRules`). What only one kind has sits in that kind's fields below, grouped by
kind; `FormRequest` and `WorkItem` are the same table seen through one kind or the other.
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


class Kind(models.TextChoices):
    TABLE = "table", _("报表")
    TASK = "task", _("工作任务")
    INSPECTION = "inspection", _("督查检查考核")


TABLE_KINDS = (Kind.TABLE,)
WORK_KINDS = (Kind.TASK, Kind.INSPECTION)


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


class Demand(models.Model):
    kind = models.CharField(_("类别"), max_length=12, choices=Kind.choices, db_index=True)
    title = models.CharField(_("名称"), max_length=200)
    department = models.ForeignKey("accounts.Department", verbose_name=_("部门"),
                                   on_delete=models.PROTECT, related_name="demands")
    basis = models.CharField(_("政策依据"), max_length=300,
                             help_text=_("文件名称和文号，如《……通知》（湘民发〔2026〕12号）"))
    frequency = models.CharField(_("频次"), max_length=10, choices=Frequency.choices,
                                 default=Frequency.ONCE)
    emergency = models.CharField(_("紧急情况说明"), max_length=300, blank=True)
    scope = models.ForeignKey("orgunits.OrgUnit", verbose_name=_("范围"), on_delete=models.PROTECT,
                              related_name="demands")
    analysis = models.JSONField(default=dict, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices,
                              default=Status.SUBMITTED, db_index=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="demands")
    submitted_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(_("审核意见"), max_length=500, blank=True)
    # A work item's number before tables and work shared one catalogue (old /workload/N/
    # links and audit entries name it); empty for everything since.
    former_id = models.PositiveIntegerField(null=True, blank=True, editable=False)

    # --- A table (kind=table): the department's template and what it asks of each column.
    deadline_days = models.PositiveIntegerField(_("报送期限（期末后天数）"), default=5)
    template = models.FileField(_("模板文件"), upload_to="templates/%Y/%m/", blank=True)
    template_name = models.CharField(_("模板文件名"), max_length=200, blank=True)
    sheet_name = models.CharField(max_length=100, blank=True)
    subject = models.CharField(_("填报对象"), max_length=10, blank=True)
    layout = models.CharField(_("表样类型"), max_length=10, blank=True)
    # Column mapping at submission: [{"column","index","header","path","element","status",...}]
    columns = models.JSONField(default=list, blank=True)
    # Per sensitive column, the department's decision at submission (gate/tables/decisions.py):
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
    direct_delivery = models.BooleanField(_("直接交付（零填报）"), default=False)

    # --- A work task or inspection: when, how much effort, on whom, with what proof.
    # A joint inspection carries every department that takes part (多检合一).
    joint_with = models.ManyToManyField("accounts.Department", verbose_name=_("联合部门"),
                                        blank=True, related_name="joint_demands")
    merged_into = models.ForeignKey("self", verbose_name=_("并入"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="merged_from")
    start_date = models.DateField(_("开始日期"), null=True, blank=True)
    end_date = models.DateField(_("结束日期"), null=True, blank=True)
    hours_per_community = models.FloatField(_("每社区每次预计工时"), null=True, blank=True)
    estimate_basis = models.CharField(_("工时测算方法"), max_length=300, blank=True)
    subjects = models.JSONField(_("对象"), default=list, blank=True)
    subjects_note = models.CharField(_("对象说明"), max_length=200, blank=True)
    description = models.TextField(_("工作内容"), blank=True)

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        verbose_name = _("基层事项")
        verbose_name_plural = _("基层事项")

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def is_table(self) -> bool:
        return self.kind == Kind.TABLE

    @property
    def elements(self) -> list[str]:
        return [c["element"] for c in self.columns if c.get("element")]

    @property
    def is_joint(self) -> bool:
        return self.merged_from.exists()

    def departments(self) -> list[str]:
        return [self.department.name, *(d.name for d in self.joint_with.all())]


class KindManager(models.Manager):
    """The demands of some kinds only: `FormRequest.objects` are the tables."""

    def __init__(self, kinds: tuple[str, ...]) -> None:
        super().__init__()
        self.kinds = kinds

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(kind__in=self.kinds)


class FormRequest(Demand):
    """A department's table (报表需求): its template, columns and who the rows are about."""

    KINDS = TABLE_KINDS
    objects = KindManager(TABLE_KINDS)

    class Meta:
        proxy = True
        verbose_name = _("报表需求")
        verbose_name_plural = _("报表需求")

    def save(self, *args: object, **kwargs: object) -> None:
        self.kind = Kind.TABLE
        super().save(*args, **kwargs)


class WorkItem(Demand):
    """A work task or an inspection: dates, effort per community, subjects, proof demanded."""

    KINDS = WORK_KINDS
    objects = KindManager(WORK_KINDS)

    class Meta:
        proxy = True
        verbose_name = _("工作任务或督查检查")
        verbose_name_plural = _("工作任务或督查检查")


class History(models.Model):
    """Every state change of a demand, who made it and why. Written only by
    gate.machine.flip(), in the same transaction as the change itself."""

    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="history")
    action = models.CharField(max_length=12, blank=True)
    from_status = models.CharField(max_length=10, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=Status.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.demand_id}: {self.from_status}→{self.to_status}"


class EvidenceDemand(models.Model):
    """One proof-of-work demand (留痕); unjustified ones are refused, the reviewer may strike any."""

    item = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="evidence")
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


class GateRules(models.Model):
    """Every limit of the gate, set by a reviewing org unit; the nearest one at or above a
    demand's scope applies (gate/rules.py). Empty limits are not enforced."""

    org_unit = models.OneToOneField("orgunits.OrgUnit", on_delete=models.CASCADE,
                                    related_name="gate_rules")
    # How often (tables and work alike), overall and per element.
    max_frequency = models.CharField(_("最高频次（无紧急情况时）"), max_length=10,
                                     choices=Frequency.choices, default=Frequency.MONTHLY)
    element_max_frequency = models.JSONField(_("按数据元的最高频次"), default=dict, blank=True)
    require_basis = models.BooleanField(_("必须有政策依据"), default=True)
    sensitive_needs_justification = models.BooleanField(_("敏感信息必须说明理由"), default=True)
    # How long a typed cell and a form's fixed overhead take, for the burden figures.
    seconds_per_cell = models.FloatField(_("每格耗时（秒）"), null=True, blank=True)
    seconds_per_form = models.FloatField(_("每表每期固定耗时（秒）"), null=True, blank=True)
    # Effort and inspections.
    weekly_hours_ceiling = models.FloatField(_("每人每周派出工作上限（小时）"), default=8.0)
    max_inspections_per_quarter = models.PositiveIntegerField(_("每社区每季度督查检查上限（次）"),
                                                              default=2)
    max_inspections_per_department_year = models.PositiveIntegerField(
        _("每个部门每年督查检查上限（次）"), null=True, blank=True,
        help_text=_("为基层减负若干规定：原则上每年一次综合性督查检查"))
    workers_per_community = models.PositiveIntegerField(
        _("每社区工作人员数（账号较少时按此计）"), default=1)
    # 只减不增: how many more cells a year a department's admitted tables may ask the
    # grassroots to type than at the start of the year (0: no increase at all).
    max_new_typed_cells_per_year = models.PositiveIntegerField(
        _("部门每年新增填报格数上限（只减不增）"), null=True, blank=True)

    class Meta:
        verbose_name = _("准入规则")
        verbose_name_plural = _("准入规则")

    def __str__(self) -> str:
        return f"rules@{self.org_unit_id}"
