"""The dictionary as the validators see it: one snapshot of every element's rules.

Loaded once per request, import or command (a few dozen rows), then used for thousands
of values without touching the database again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.apps import apps

from yibiao.values import DateValue, Note, Parsed, ValueProblem, get_code_list, parse_value
from yibiao.values.divisions import division_name
from yibiao.values.normalise import compact
from yibiao.values.parse import within_length

from .models import Element, Sensitivity


@dataclass(frozen=True)
class ElementRule:
    code: str
    name_zh: str
    subject: str
    value_type: str
    code_list: str | None
    unit: str
    sensitivity: str
    derived: bool
    retention_days: int | None
    standard: str = ""
    per_period: bool = False
    max_length: int | None = None  # characters, when a column of its own holds the value

    @property
    def sensitive(self) -> bool:
        return self.sensitivity == Sensitivity.SENSITIVE

    @property
    def personal(self) -> bool:
        return self.sensitivity != Sensitivity.ORDINARY


def canonical(value: object) -> str:
    """The text a fact stores: ISO dates, "1"/"0", plain decimals, code values."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, DateValue | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


# Elements whose value is also kept in a column of its own (besides the fact's unbounded
# text), with the column: a longer value is refused as the value's problem, by name, before
# PostgreSQL refuses the whole write (SQLite never enforces a length, so tests missed it).
# The registration form writes its address to the household too.
COLUMNS = {
    "person.name": "ledger.Person.name",
    "household.number": "ledger.Household.number",
    "household.address": "ledger.Household.address",
    "person.residence_address": "ledger.Household.address",
    "place.address": "ledger.Place.address",
}


def column_length(path: str) -> int | None:
    app_label, model, field = path.split(".")
    return apps.get_model(app_label, model)._meta.get_field(field).max_length


# Value types with few distinct spellings: their parse results are remembered per snapshot.
MEMO_TYPES = {"code", "boolean", "integer", "decimal", "date"}


class Rules:
    def __init__(self, elements: dict[str, ElementRule]) -> None:
        self.elements = elements
        self._memo: dict[tuple[str, object], tuple[str | None, tuple[Note, ...]]] = {}

    @classmethod
    def load(cls) -> Rules:
        rows = Element.objects.select_related("code_list").all()
        return cls({
            e.code: ElementRule(
                code=e.code, name_zh=e.name_zh, subject=e.subject, value_type=e.value_type,
                code_list=e.code_list.key if e.code_list else None, unit=e.unit,
                sensitivity=e.sensitivity, derived=bool(e.derivation),
                retention_days=e.retention_days, standard=e.standard, per_period=e.per_period,
                max_length=column_length(COLUMNS[e.code]) if e.code in COLUMNS else None,
            )
            for e in rows
        })

    def __getitem__(self, code: str) -> ElementRule:
        return self.elements[code]

    def __contains__(self, code: object) -> bool:
        return code in self.elements

    def parse(self, code: str, raw: object) -> tuple[str | None, tuple[Note, ...]]:
        """Canonical text for a raw value of this element, or None when empty.

        Raises ValueProblem whose message names the element, so a row report reads
        "联系电话：…" without the caller composing it.
        """
        rule = self.elements[code]
        if raw.__class__ is str and "\x00" in raw:
            raw = raw.replace("\x00", "")  # never meant, and PostgreSQL refuses it in text
        if rule.value_type == "text" and raw.__class__ is str:
            # Names and addresses are all different: skip the general path (a quarter of a
            # 100,000-row import went there). Same result as parse_value's _text.
            if not compact(raw):
                return None, ()
            return self._fits(rule, raw.strip()) or None, ()
        if rule.value_type in MEMO_TYPES and isinstance(raw, str | int | float):
            key = (code, raw)
            if key not in self._memo:
                self._memo[key] = self._parse(rule, raw)
            return self._memo[key]
        return self._parse(rule, raw)

    def _parse(self, rule: ElementRule, raw: object) -> tuple[str | None, tuple[Note, ...]]:
        code_list = get_code_list(rule.code_list) if rule.code_list else None
        value_type = rule.value_type if code_list or rule.value_type != "code" else "text"
        try:
            parsed: Parsed | None = parse_value(value_type, raw, code_list=code_list,
                                                unit=rule.unit or None)
        except ValueProblem as problem:
            raise ValueProblem(problem.code, f"{rule.name_zh}：{problem.message_zh}",
                               f"{rule.code}: {problem.message_en}") from None
        if parsed is None:
            return None, ()
        return self._fits(rule, canonical(parsed.value)), parsed.warnings

    @staticmethod
    def _fits(rule: ElementRule, text: str) -> str:
        try:
            return within_length(text, rule.max_length)
        except ValueProblem as problem:
            raise ValueProblem(problem.code, f"{rule.name_zh}：{problem.message_zh}",
                               f"{rule.code}: {problem.message_en}") from None

    def display(self, code: str, value: str | None) -> str:
        """What a person sees for a stored value: code names, 是/否."""
        if value is None:
            return ""
        rule = self.elements.get(code)
        if rule is None:
            return value
        if rule.code_list:
            item = get_code_list(rule.code_list).find(value)
            return item.name if item else value
        if rule.value_type == "code" and rule.standard.startswith("GB/T 2260"):
            return division_name(value) or value
        if rule.value_type == "boolean":
            return {"1": "是", "0": "否"}.get(value, value)
        return value
