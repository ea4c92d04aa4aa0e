"""Finding an org unit by what a person types: its name, its pinyin initials or its code.

Every org-unit choice in the product is a picker over this search rather than a list:
the tree holds 45,000 real divisions plus communities and grids, and no list cut at a
count can reach them all. The caller passes the units the user may see
(``scope.visible_org_units``), so a search never reaches outside them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Length, Replace, Substr
from django.db.models.lookups import Contains, EndsWith

from .models import Level, OrgUnit, subtree_q

# Enough to choose from; typing one more character narrows the rest (``more`` says how many).
LIMIT = 20
# "岳麓区（430104）": how a picker shows a unit, and what it sends back.
_LABELLED = re.compile(r"[（(]\s*(\d{2,15})\s*[)）]\s*$")


@dataclass(frozen=True)
class Found:
    units: list[OrgUnit]
    more: int  # matches beyond the ones returned


def picker_text(unit: OrgUnit) -> str:
    """What a picker's input holds for a chosen unit: its name and, to tell apart the
    many 城关镇 and 第一网格, its code."""
    return f"{unit.label}（{unit.code}）"


def _code_in(text: str) -> str | None:
    text = text.strip()
    if text.isdigit():
        return text
    labelled = _LABELLED.search(text)
    return labelled.group(1) if labelled else None


def matching_q(text: str) -> Q:
    """Units whose code starts with the typed digits, whose initials start with the typed
    letters, or whose name (or full name) holds the typed characters."""
    text = text.strip()
    code = _code_in(text)
    if code is not None:
        return subtree_q(code)
    if text.isascii() and text.isalpha():
        return Q(initials__startswith=text.lower())
    # Each word somewhere in the full name read without its separators: a grid is found by
    # the name the picker shows it by (红星社区第一网格), or by its community and itself apart.
    found = Q()
    for word in text.split():
        found &= Q(name__contains=word) | Q(Contains(_run_together(), word))
    return found


def _run_together() -> Replace:
    """The full name without " / " between its levels: 湖南省长沙市岳麓区…红星社区第一网格."""
    return Replace(F("full_name"), Value(" / "), Value(""))


def search_units(units: QuerySet[OrgUnit], text: str, levels: list[str] | None = None,
                 limit: int = LIMIT, near: list[str] | None = None) -> Found:
    """The units among ``units`` matching ``text``, those under one of the ``near`` codes
    first, then the higher levels first (a county before its townships); nothing for
    empty text."""
    if not text.strip():
        return Found([], 0)
    found = units.filter(matching_q(text))
    if levels:
        found = found.filter(level__in=levels)
    order = (Length("code"), "code")
    chosen: list[OrgUnit] = []
    if near:
        close = Q()
        for code in near:
            close |= subtree_q(code)
        chosen = list(found.filter(close).select_related("parent").order_by(*order)[:limit])
        found_far = found.exclude(close)
    else:
        found_far = found
    if len(chosen) < limit:
        chosen += list(found_far.select_related("parent").order_by(*order)[:limit - len(chosen)])
    more = found.count() - len(chosen) if len(chosen) == limit else 0
    return Found(chosen, more)


def working_counties() -> list[str]:
    """The counties where communities have been set up: where a nationwide account's work
    is, so a picker offers their units before the same initials elsewhere in the country."""
    return sorted(OrgUnit.objects.filter(level=Level.COMMUNITY).annotate(
        county=Substr("code", 1, 6)).values_list("county", flat=True).distinct())


def pick(units: QuerySet[OrgUnit], text: str) -> OrgUnit | None:
    """The one unit among ``units`` that picker text names: "岳麓区（430104）", a bare code,
    or a name (or full name) only one of them has; None otherwise."""
    text = text.strip()
    if not text:
        return None
    code = _code_in(text)
    if code is not None:
        return units.filter(code=code).first()
    named = list(units.filter(Q(name=text) | Q(full_name=text))[:2])
    if not named:  # a grid as the picker shows it: 红星社区第一网格
        named = list(units.filter(EndsWith(_run_together(), "".join(text.split())))[:2])
    return named[0] if len(named) == 1 else None


LEVELS = frozenset(Level.values)
