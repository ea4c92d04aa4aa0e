"""The matcher as the running system sees it: the built-in dictionary, plus elements added
since (by administrators or admitted department forms), plus aliases people confirmed."""

from __future__ import annotations

from yibiao.matching import Dictionary, ElementSpec, LearnedAlias, Matcher, load_builtin_dictionary
from yibiao.matching.dictionary import SUGGEST_ONLY, read_alias_file

from .models import Element
from .models import LearnedAlias as LearnedAliasRow


def database_dictionary() -> Dictionary:
    builtin = load_builtin_dictionary()
    added = [
        ElementSpec(code=e.code, name_zh=e.name_zh, subject=e.subject, value_type=e.value_type,
                    aliases=tuple(e.aliases))
        for e in Element.objects.filter(core=False)
    ]
    if not added:
        return builtin
    return Dictionary.build([*builtin.elements.values(), *added], read_alias_file(SUGGEST_ONLY))


def learned_aliases() -> list[LearnedAlias]:
    return [LearnedAlias(text, code, subject) for text, code, subject in
            LearnedAliasRow.objects.values_list("text", "element__code", "context_subject")]


def learned_indicators() -> dict[str, dict]:
    """Count columns' header paths people confirmed on aggregate tables (reports/indicators.py)."""
    from .models import LearnedIndicator

    return dict(LearnedIndicator.objects.values_list("text", "indicator"))


def names_units(names: list[str]) -> bool:
    """Whether most of these row labels are names of org units the system holds: a sheet
    whose first column lists them is an aggregate by unit (sheets.aggregate.promote)."""
    from yibiao.orgunits.models import OrgUnit

    wanted = {n.strip() for n in names if n and n.strip()}
    if len(wanted) < 2:
        return False
    known = set(OrgUnit.objects.filter(name__in=wanted).values_list("name", flat=True))
    return len(known) >= 0.6 * len(wanted)


def database_matcher() -> Matcher:
    return Matcher(database_dictionary(), learned_aliases())
