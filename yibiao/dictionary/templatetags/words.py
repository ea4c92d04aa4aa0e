"""`{{ label|word }}`, `{{ value|word:"family_relation" }}`: the dictionary's words in the
page's language (yibiao.dictionary.words); any other text passes unchanged. `{{ key|period }}`:
a stored period key (2026Q4) as people say it in the page's language (2026年第4季度, 2026 Q4).
`{% colon %}`: the colon after a label in the page's language (“：” in Chinese, “: ” in English).
`{{ text|tag }}`: a kind's tag (【检查】, "[Inspection] "). `{{ hours|effort }}`: 约 5 分钟 / 约 1.5 小时.
`{{ text|paren }}`: text in brackets as the language writes them (（月度） or " (Monthly)").
`{{ text|ui }}`: an interface message stored as its Simplified msgid (a work item's overlap
suggestion, a subject's label) in the page's language through the catalogues.
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


@register.simple_tag
def colon() -> str:
    from yibiao.refusals import language_of

    return ": " if language_of() == "en" else "："


@register.filter
def ui(text: object) -> str:
    from django.utils.translation import gettext

    return gettext(str(text)) if text else ""


@register.filter
def ui_list(texts: object) -> str:
    """Each text through `ui`, joined as the language lists things (、 or , )."""
    from yibiao.refusals import language_of

    return (", " if language_of() == "en" else "、").join(ui(t) for t in texts or ())


@register.filter
def tag(text: object) -> str:
    """A kind's tag before a title: 【检查】 in Chinese, "[Inspection] " in English."""
    from yibiao.refusals import language_of

    if text in (None, ""):
        return ""
    return f"[{text}] " if language_of() == "en" else f"【{text}】"


@register.filter
def effort(hours: object) -> str:
    """Expected work as people say it: minutes under an hour (约 5 分钟), else hours."""
    from django.utils.translation import gettext

    try:
        hours = float(hours)
    except (TypeError, ValueError):
        return ""
    if hours < 1:
        return gettext("约 %(m)s 分钟") % {"m": max(1, round(hours * 60))}
    return gettext("约 %(h)s 小时") % {"h": f"{hours:.1f}".rstrip("0").rstrip(".")}


@register.filter
def paren(text: object) -> str:
    from yibiao.refusals import language_of

    if text in (None, ""):
        return ""
    return f" ({text})" if language_of() == "en" else f"（{text}）"
