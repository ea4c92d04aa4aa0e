"""The org-unit tree: province › city › county › township › community › grid.

Codes are the statistical division codes, fixed-width per level (2, 4, 6, 9, 12, 15
digits), so a unit's descendants are exactly the codes that start with its code. That
prefix is queried as an indexed range (code >= X and code < X'), which both SQLite and
PostgreSQL answer from the unique index without a recursive walk.
"""

from __future__ import annotations

from typing import TypeVar

from django.db import models
from django.utils.translation import gettext_lazy as _

T = TypeVar("T")


class Level(models.TextChoices):
    PROVINCE = "province", _("省")
    CITY = "city", _("市")
    COUNTY = "county", _("县（区）")
    TOWNSHIP = "township", _("乡镇（街道）")
    COMMUNITY = "community", _("社区（村）")
    GRID = "grid", _("网格")


CODE_LENGTH = {
    Level.PROVINCE: 2,
    Level.CITY: 4,
    Level.COUNTY: 6,
    Level.TOWNSHIP: 9,
    Level.COMMUNITY: 12,
    Level.GRID: 15,
}
LEVEL_BY_LENGTH = {length: level for level, length in CODE_LENGTH.items()}


def prefix_upper_bound(code: str) -> str:
    """The smallest string greater than every string starting with `code`."""
    return code[:-1] + chr(ord(code[-1]) + 1)


def subtree_q(code: str, field: str = "code") -> models.Q:
    """Q for every unit at or below `code` (a field path such as 'org_unit__code')."""
    return models.Q(**{f"{field}__gte": code, f"{field}__lt": prefix_upper_bound(code)})


def codes_at_or_above(code: str) -> list[str]:
    """The code and every ancestor's code, the root first (fixed-width levels)."""
    return [code[:n] for n in CODE_LENGTH.values() if n <= len(code)]


def reaching_q(code: str, field: str = "scope__code") -> models.Q:
    """Things scoped at this unit, above it or inside it: everything that lands on it."""
    return models.Q(**{f"{field}__in": codes_at_or_above(code)}) | subtree_q(code, field)


def nearest(by_code: dict[str, T], code: str) -> T | None:
    """The configured row of the nearest unit at or above `code` (rules, limits)."""
    for prefix in reversed(codes_at_or_above(code)):
        if prefix in by_code:
            return by_code[prefix]
    return None


class OrgUnitQuerySet(models.QuerySet["OrgUnit"]):
    def subtree(self, code: str) -> OrgUnitQuerySet:
        return self.filter(subtree_q(code))

    def at_level(self, level: str) -> OrgUnitQuerySet:
        return self.filter(level=level)


class OrgUnit(models.Model):
    code = models.CharField(_("区划代码"), max_length=15, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.CharField(_("层级"), max_length=12, choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # "湖南省 / 长沙市 / 岳麓区 / 桃花岭社区": shown everywhere, stored to avoid walking up.
    full_name = models.CharField(_("全称"), max_length=300, blank=True)
    # Pinyin initials of the name ("ylq" for 岳麓区): what a picker's user types.
    initials = models.CharField(_("拼音首字母"), max_length=20, blank=True, db_index=True)

    objects = OrgUnitQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("组织机构")
        verbose_name_plural = _("组织机构")

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def label(self) -> str:
        """How people name the unit where several share a name: every community has a 第一网格."""
        if self.level == Level.GRID and self.parent_id:
            return f"{self.parent.name}{self.name}"
        return self.name

    def contains(self, other: OrgUnit) -> bool:
        """True when `other` is this unit or below it."""
        return other.code.startswith(self.code)

    def descendants(self, include_self: bool = True) -> OrgUnitQuerySet:
        units = OrgUnit.objects.subtree(self.code)
        return units if include_self else units.exclude(pk=self.pk)

    def ancestors(self) -> OrgUnitQuerySet:
        return OrgUnit.objects.filter(code__in=codes_at_or_above(self.code)[:-1])
