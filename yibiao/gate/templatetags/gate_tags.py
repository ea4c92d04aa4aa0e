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
    the Traditional converted (OpenCC, as the catalogues are). An analysis stored before
    there was English has it said now from its own figures (pure, no query, nothing written:
    cheaper and safer than a migration re-running every analysis on today's ledger)."""
    from django.utils.translation import get_language

    from yibiao.refusals import language_of, to_traditional

    analysis = analysis or {}
    text = analysis.get("verdict", "")
    language = language_of(get_language())
    if language == "en":
        return analysis.get("verdict_en") or (english_verdict(analysis) if text else "")
    return to_traditional(text) if language == "zh-hant" else text


def english_verdict(analysis: dict) -> str:
    """The English of a stored table's or work item's analysis (by its shape)."""
    from yibiao.gate.tables.analysis import english_verdict as of_table
    from yibiao.gate.work.analysis import english_verdict as of_work

    try:
        return of_work(analysis) if "load" in analysis else of_table(analysis)
    except (KeyError, TypeError, ValueError):  # a shape older still: its Chinese, not a broken page
        return analysis.get("verdict", "")


@register.filter
def said(stored: object) -> str:
    """A reason the analysis kept ({"code", "context"}: a column to confirm, a template's
    format problem or notice) in the page's language; Chinese text stored before it had a
    code shows as it is (Traditional through OpenCC)."""
    from yibiao.refusals import said as say

    return say(stored)
