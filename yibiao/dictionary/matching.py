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


def database_matcher() -> Matcher:
    return Matcher(database_dictionary(), learned_aliases())
