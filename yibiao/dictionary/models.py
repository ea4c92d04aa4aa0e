"""The data dictionary: every element a form may ask for, and the code lists behind them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Subject(models.TextChoices):
    PERSON = "person", _("人员")
    HOUSEHOLD = "household", _("家庭户")
    PLACE = "place", _("房屋")
    ORG = "org", _("组织")
    META = "meta", _("表务")


class ValueType(models.TextChoices):
    TEXT = "text", _("文本")
    INTEGER = "integer", _("整数")
    DECIMAL = "decimal", _("小数")
    DATE = "date", _("日期")
    BOOLEAN = "boolean", _("是否")
    CODE = "code", _("代码")
    ID_NUMBER = "id_number", _("身份证号")
    PHONE = "phone", _("电话")


class Sensitivity(models.TextChoices):
    ORDINARY = "ordinary", _("一般信息")
    PERSONAL = "personal", _("个人信息")
    SENSITIVE = "sensitive", _("敏感个人信息")


class CodeList(models.Model):
    key = models.CharField(_("代码表标识"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    standard = models.CharField(_("标准"), max_length=100, blank=True)

    class Meta:
        ordering = ["key"]
        verbose_name = _("代码表")
        verbose_name_plural = _("代码表")

    def __str__(self) -> str:
        return self.name


class CodeItem(models.Model):
    code_list = models.ForeignKey(CodeList, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(_("代码"), max_length=20)
    name = models.CharField(_("名称"), max_length=100)
    variants = models.JSONField(_("常见写法"), default=list, blank=True)

    class Meta:
        ordering = ["code_list", "code"]
        constraints = [
            models.UniqueConstraint(fields=["code_list", "code"], name="codeitem_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Element(models.Model):
    code = models.CharField(_("数据元代码"), max_length=80, unique=True)
    name_zh = models.CharField(_("中文名称"), max_length=100)
    aliases = models.JSONField(_("别名"), default=list, blank=True)
    subject = models.CharField(_("主体"), max_length=10, choices=Subject.choices)
    value_type = models.CharField(_("值类型"), max_length=10, choices=ValueType.choices)
    code_list = models.ForeignKey(
        CodeList, verbose_name=_("代码表"), null=True, blank=True, on_delete=models.PROTECT
    )
    unit = models.CharField(_("计量单位"), max_length=20, blank=True)
    sensitivity = models.CharField(
        _("敏感程度"), max_length=10, choices=Sensitivity.choices, default=Sensitivity.ORDINARY
    )
    standard = models.CharField(_("标准或规则"), max_length=200, blank=True)
    validation = models.CharField(_("校验规则"), max_length=200, blank=True)
    derivation = models.CharField(_("推算规则"), max_length=200, blank=True)
    retention_days = models.PositiveIntegerField(
        _("保存期限（天）"), null=True, blank=True, help_text=_("目的性数据到期后删除其值")
    )
    note = models.CharField(_("说明"), max_length=300, blank=True)
    # Activity in a period (本月探访次数) rather than a lasting state: a value only answers
    # for the period it was given in, so the next period asks again instead of copying it.
    per_period = models.BooleanField(_("按报告期填写"), default=False)
    core = models.BooleanField(_("核心数据元"), default=False)
    owner = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("归口部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("数据元")
        verbose_name_plural = _("数据元")

    def __str__(self) -> str:
        return f"{self.name_zh}（{self.code}）"

    @property
    def is_derived(self) -> bool:
        return bool(self.derivation)


class LearnedAlias(models.Model):
    """A header wording a person confirmed for an element: next time it maps automatically."""

    text = models.CharField(_("表头（规范化）"), max_length=200)
    # NULL: a person confirmed that this wording maps to no element on such sheets.
    element = models.ForeignKey(Element, on_delete=models.CASCADE, related_name="learned",
                                null=True, blank=True)
    context_subject = models.CharField(max_length=10, blank=True)
    confirmed_by = models.ForeignKey(
        "accounts.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["text", "context_subject"], name="learnedalias_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.text} → {self.element_id or '∅'}"


class LearnedIndicator(models.Model):
    """A count column's header path (or a category row's label) that a person confirmed
    as an indicator on an aggregate table: next time it is read so automatically."""

    text = models.CharField(_("表头（规范化）"), max_length=300, unique=True)
    # {"count": "person" | "household", "filter": [{"element", "op", "value"}, ...]}
    indicator = models.JSONField(default=dict)
    confirmed_by = models.ForeignKey(
        "accounts.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.text} → {self.indicator}"
