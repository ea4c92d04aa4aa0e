"""`{{ label|word }}`, `{{ value|word:"family_relation" }}`: the dictionary's words in the
page's language (yibiao.dictionary.words); any other text passes unchanged. A builtin (see
TEMPLATES in settings.py), so every template has it without {% load %}."""

from __future__ import annotations

from django import template

from ..words import shown

register = template.Library()


@register.filter
def word(text: object, code_list: str = "") -> str:
    return shown(text, code_list)
