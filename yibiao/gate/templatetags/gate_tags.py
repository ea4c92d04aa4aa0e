"""`{{ column|column_optional }}`, `{{ column|optional_by_header }}`: a table's column as the
grid and the burden see it (reports.prefill.is_optional), for the gate's pages."""

from __future__ import annotations

from django import template

from yibiao.reports.prefill import is_optional

register = template.Library()


@register.filter
def column_optional(column: dict) -> bool:
    return is_optional(column)


@register.filter
def optional_by_header(column: dict) -> bool:
    """Optional whatever the request says: by its header (备注, 选填, 如有) or its element."""
    return is_optional({k: v for k, v in column.items() if k != "optional"})


@register.filter
def verdict(analysis: dict) -> str:
    """A stored analysis's verdict in the page's language: the English written beside it,
    the Traditional converted (OpenCC, as the catalogues are); older analyses stored before
    there was English show the Chinese until they are analysed again."""
    from django.utils.translation import get_language

    from yibiao.refusals import language_of, to_traditional

    text = (analysis or {}).get("verdict", "")
    language = language_of(get_language())
    if language == "en":
        return (analysis or {}).get("verdict_en") or text
    return to_traditional(text) if language == "zh-hant" else text
