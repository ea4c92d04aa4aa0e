"""Who a request's rows are about, as the running system reads it.

The filter language itself is pure (reports/filterlang.py); here it meets the database:
element names and aliases from the dictionary, values parsed by each element's rules
(code lists included), the suggestion read from a submitted template, and the choice
between what the officer typed and what the system suggested.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from yibiao.dictionary.models import Element
from yibiao.dictionary.rules import Rules
from yibiao.reports import filterlang
from yibiao.reports.filterlang import FilterError, Suggestion, Vocabulary

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
    terms = [filterlang.Term(r.code, r.name_zh, r.subject, r.value_type, tuple(aliases.get(r.code) or ()))
             for r in rules.elements.values() if r.subject in ("person", "household", "place")]
    return Vocabulary(terms, parse=lambda code, raw: rules.parse(code, raw)[0], display=rules.display)


def row_subject(subject: str) -> str:
    """What one row is: the matcher's person/household/place; anything else lists people."""
    return subject if subject in ("person", "household", "place") else "person"


def parse(text: str, subject: str, vocab: Vocabulary | None = None) -> dict | None:
    return filterlang.parse(text, vocab or vocabulary(), row_subject(subject))


def describe(stored: object, vocab: Vocabulary | None = None, *, english: bool = False) -> str:
    if not stored:
        return ""
    return filterlang.describe(stored, vocab or vocabulary(), english=english)


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
    from yibiao.reports.periods import period_of
    from yibiao.reports.prefill import selected_subjects

    vocab = vocabulary()
    suggestion = filterlang.suggest(title, [], [], "person", vocab) if title.strip() else None
    result: dict = {"ok": True, "text": "", "count": None,
                    "suggestion": suggestion.as_dict(vocab) if suggestion else None}
    try:
        tree = filterlang.parse(text, vocab)
    except FilterError as problem:
        return {**result, "ok": False, "error": problem.as_dict()}
    result["text"] = describe(tree, vocab)
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
