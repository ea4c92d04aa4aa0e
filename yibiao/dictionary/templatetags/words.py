"""`{{ label|word }}`, `{{ value|word:"family_relation" }}`: the dictionary's words in the
page's language (yibiao.dictionary.words); any other text passes unchanged. `{{ key|period }}`:
a stored period key (2026Q4) as people say it in the page's language (2026年第4季度, 2026 Q4).
Builtins (see TEMPLATES in settings.py), so every template has them without {% load %}."""

from __future__ import annotations

from django import template

from ..words import shown

register = template.Library()


@register.filter
def word(text: object, code_list: str = "") -> str:
    return shown(text, code_list)


@register.filter
def period(key: object) -> str:
    from yibiao.reports.periods import PeriodError, parse_period

    try:
        return parse_period(str(key)).shown
    except (PeriodError, ValueError):
        return str(key)
