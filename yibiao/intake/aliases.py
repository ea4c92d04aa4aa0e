"""Learned header spellings: read for matching, written when a person confirms a column."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from django.db import DatabaseError

from yibiao.matching import LearnedAlias, learn_alias

if TYPE_CHECKING:
    from .importer import ColumnPlan


def learned_aliases() -> list[LearnedAlias]:
    """Every confirmed spelling, as the matcher takes them."""
    from yibiao.dictionary.models import LearnedAlias as Row

    return [LearnedAlias(text=text, code=code, subject=subject)
            for text, code, subject in Row.objects.values_list("text", "element__code",
                                                                "context_subject")]


def learned_aliases_if_any() -> list[LearnedAlias]:
    """The same, or none when there is no migrated database (a bare `template inspect`)."""
    from django.conf import settings
    from django.db import connection

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3") and not _exists(db["NAME"]):
        return []  # connecting would create an empty database file
    try:
        if "dictionary_learnedalias" not in connection.introspection.table_names():
            return []
        return learned_aliases()
    except DatabaseError:
        return []


def _exists(name: object) -> bool:
    from pathlib import Path

    return str(name) == ":memory:" or Path(str(name)).exists()


def save_confirmations(actor: object, columns: Iterable[ColumnPlan], subject: str) -> int:
    """Store each column a person confirmed differently from what matching was sure of.

    A confirmed auto mapping teaches nothing new; a confirmed suggestion, a correction or a
    confirmed "not this" makes the same wording map that way next time.
    """
    from yibiao.dictionary.models import Element
    from yibiao.dictionary.models import LearnedAlias as Row

    confirmed = [c for c in columns if c.confirmed and not (c.status == "auto" and c.chosen == c.element)]
    if not confirmed:
        return 0
    elements = {e.code: e for e in Element.objects.filter(code__in={c.chosen for c in confirmed if c.chosen})}
    user = actor if getattr(actor, "pk", None) else None
    saved = 0
    for column in confirmed:
        alias = learn_alias(column.header, column.chosen, subject)
        if not alias.text:
            continue
        Row.objects.update_or_create(
            text=alias.text, context_subject=alias.subject,
            defaults={"element": elements.get(alias.code) if alias.code else None,
                      "confirmed_by": user})
        saved += 1
    return saved


def unit_names_check_if_any() -> Callable[[list[str]], bool]:
    """Whether row labels name the org tree's units (dictionary.matching.names_units); never,
    without a migrated database."""
    from django.conf import settings
    from django.db import connection

    from yibiao.dictionary.matching import names_units

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3") and not _exists(db["NAME"]):
        return lambda names: False
    try:
        if "orgunits_orgunit" not in connection.introspection.table_names():
            return lambda names: False
    except DatabaseError:
        return lambda names: False
    return names_units


def learned_indicators_if_any() -> dict[str, dict]:
    """Confirmed aggregate indicators, or none without a migrated database."""
    from django.conf import settings
    from django.db import connection

    from yibiao.dictionary.matching import learned_indicators

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3") and not _exists(db["NAME"]):
        return {}
    try:
        if "dictionary_learnedindicator" not in connection.introspection.table_names():
            return {}
        return learned_indicators()
    except DatabaseError:
        return {}
