"""Who a request's rows are about, as the running system reads it.

The filter language itself is pure (reports/filterlang.py); here it meets the database:
element names and aliases from the dictionary, values parsed by each element's rules
(code lists included), the suggestion read from a submitted template, and the choice
between what the officer typed and what the system suggested.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from yibiao.dictionary import words
from yibiao.dictionary.models import Element
from yibiao.dictionary.rules import Rules
from yibiao.reports import filterlang
from yibiao.reports.filterlang import FilterError, Suggestion, Vocabulary
from yibiao.values import get_code_list

# Where a filter came from (FormRequest.filter_status), as people read it.
STATUS_NAMES = {
    "auto": _("系统建议，已自动采用"),
    "suggested": _("系统建议，尚未采用"),
    "confirmed": _("系统建议，已确认"),
    "officer": _("部门设定"),
    "reviewer": _("审核时修改"),
    "cleared": _("不筛选（已取消系统建议）"),
    "": _("不筛选"),
}


def vocabulary(rules: Rules | None = None) -> Vocabulary:
    """Every person, household and place element of the dictionary, with its aliases;
    values parsed and shown by the dictionary's rules."""
    rules = rules or Rules.load()
    aliases = dict(Element.objects.values_list("code", "aliases"))
    terms = [filterlang.Term(r.code, r.name_zh, r.subject, r.value_type, tuple(aliases.get(r.code) or ()),
                             filterlang.english_name(r.name_zh))
             for r in rules.elements.values() if r.subject in ("person", "household", "place")]

    def values_en(code: str) -> dict[str, str]:
        """A coded element's values by their English names (those the dictionary's table has)."""
        rule = rules.elements.get(code)
        if rule is None or not rule.code_list:
            return {}
        found = {}
        for item in get_code_list(rule.code_list):
            english = words.shown(item.name, rule.code_list, "en")
            if english != item.name:
                found[item.code] = english
        return found

    return Vocabulary(terms, parse=lambda code, raw: rules.parse(code, raw)[0], display=rules.display,
                      values_en=functools.cache(values_en))


def row_subject(subject: str) -> str:
    """What one row is: the matcher's person/household/place; anything else lists people."""
    return subject if subject in ("person", "household", "place") else "person"


def parse(text: str, subject: str, vocab: Vocabulary | None = None) -> dict | None:
    return filterlang.parse(text, vocab or vocabulary(), row_subject(subject))


def describe(stored: object, vocab: Vocabulary | None = None, *, english: bool = False,
             language: str = "zh-hans") -> str:
    """The filter as text in `language` (zh-hans, zh-hant, en): each reads back the same."""
    if not stored:
        return ""
    return filterlang.describe(stored, vocab or vocabulary(), english=english, language=language)


def shown(stored: object, vocab: Vocabulary | None = None) -> str:
    """The filter in the page's language (the one active)."""
    from yibiao.refusals import language_of

    return describe(stored, vocab, language=language_of())


def suggestion_reason(suggestion: dict, language: str | None = None, *, html: bool = False) -> str:
    """Why the system suggested a filter, in `language` (the active one by default; `html`:
    escaped, the title's words marked as data). A suggestion stored with its reasons as data
    says them in any language; one stored before holds its Chinese text, read back into those
    parts (or else shown as it is, in Traditional through OpenCC)."""
    from django.utils.html import escape, format_html
    from django.utils.safestring import mark_safe

    from yibiao.refusals import language_of, to_traditional

    language = language_of(language)
    reason = suggestion.get("reason", "")
    parts = suggestion.get("reasons") or _reasons_of(reason)
    if parts and html:
        # The title's words are data: marked so (screen readers, the language crawl).
        return mark_safe(filterlang.reason_in(  # noqa: S308 - each piece escaped by format_html
            parts, language, lambda text: format_html('<span lang="zh-Hans">{}</span>', text)))
    if parts:
        return filterlang.reason_in(parts, language)
    text = to_traditional(reason) if language == "zh-hant" else reason
    return escape(text) if html else text


# A reason as suggestions stored it before they kept its parts: 表名“…”中的“…”；表头“…”中的“…”
STORED_REASON = re.compile(r"(表名|表头)“(.*?)”中的“(.*?)”")


def _reasons_of(reason: str) -> list[dict]:
    """The parts of a reason stored as Chinese text (filterlang.reason_in wrote it), read back
    so that it too is said in any language; [] when it is not all such parts."""
    pieces = reason.split("；") if reason else []
    found = [STORED_REASON.fullmatch(piece) for piece in pieces]
    if not pieces or not all(found):
        return []
    return [{"where": "title" if m[1] == "表名" else "header", "text": m[2], "words": m[3]}
            for m in found if m]


def suggest(title: str, sheet_names: list[str], headers: list[str], subject: str, layout: str,
            vocab: Vocabulary) -> Suggestion | None:
    """The system's reading of the template's words; none for an aggregate, whose rows are
    org units or categories counted by indicators (reports/filters.py)."""
    if layout == "aggregate":
        return None
    return filterlang.suggest(title, sheet_names, headers, row_subject(subject), vocab)


@dataclass
class Choice:
    stored: dict | list
    status: str


def choose(text: str | None, legacy: list | dict | None, suggestion: Suggestion | None,
           subject: str, vocab: Vocabulary, layout: str = "list") -> Choice:
    """What a new request's filter is.

    Typed text wins (empty text: no filter, the suggestion declined); then a filter given
    as data (the demo's); then an `auto` suggestion, applied. A `suggested` one waits for a
    click and filters nothing meanwhile.
    """
    if text is not None:
        tree = parse(text, subject, vocab)
        if tree is not None and layout == "aggregate":
            raise FilterError("aggregate", None)
        if tree is None:
            return Choice([], "cleared" if suggestion else "")
        if suggestion and filterlang.same(tree, suggestion.tree):
            return Choice(tree, "auto" if suggestion.status == "auto" else "confirmed")
        return Choice(tree, "officer")
    if legacy:
        return Choice(legacy, "officer")
    if suggestion is None:
        return Choice([], "")
    if suggestion.status == "auto":
        return Choice(suggestion.tree, "auto")
    return Choice([], "suggested")


def check(actor: object, text: str, *, title: str = "", scope_code: str = "",
          frequency: str = "monthly") -> dict:
    """What the new-request form shows as the officer types: the filter read back (or the
    problem and where it is), the suggestion the title implies, and how many subjects of
    the chosen scope it selects at the end of the current period."""
    from django.utils import timezone

    from yibiao.accounts import scope
    from yibiao.gate.models import FormRequest
    from yibiao.refusals import language_of, to_traditional
    from yibiao.reports.periods import period_of
    from yibiao.reports.prefill import selected_subjects

    language = language_of()  # said in the page's language; typed in any of the three
    vocab = vocabulary()
    suggestion = filterlang.suggest(title, [], [], "person", vocab) if title.strip() else None
    result: dict = {"ok": True, "text": "", "count": None,
                    "suggestion": suggestion.as_dict(vocab, language) if suggestion else None}
    try:
        tree = filterlang.parse(text, vocab)
    except FilterError as problem:
        error = problem.as_dict()
        error["message"] = (problem.message_en if language == "en" else
                            to_traditional(problem.message_zh) if language == "zh-hant" else problem.message_zh)
        return {**result, "ok": False, "error": error}
    result["text"] = describe(tree, vocab, language=language)
    if not scope_code:
        return result
    try:
        unit = scope.get_visible_org_unit(actor, scope_code)
    except scope.OutOfScope as refusal:
        return {**result, "ok": False, "error": {"message": str(refusal), "position": None}}
    kinds = {vocab.terms[c].subject for c in filterlang.elements_of(tree)}
    probe = FormRequest(subject="place" if kinds == {"place"} else "person", columns=[],
                        subject_filter=tree or [], frequency=frequency)
    period = period_of(frequency if frequency in ("weekly", "monthly", "quarterly", "yearly", "once")
                       else "monthly", timezone.localdate())
    result["count"] = len(selected_subjects(probe, unit, period))
    result["subject"] = probe.subject
    result["as_of"] = period.end.isoformat()
    return result


__all__ = ["STATUS_NAMES", "Choice", "FilterError", "choose", "describe", "parse", "suggest",
           "vocabulary"]
