"""Personal data by decision, not by accident: per sensitive column, the full value or masked.

At submission the department decides, for every column that carries sensitive personal
information, whether it needs the full value (and says why, 最小必要) or accepts it masked.
The decision is stored on the request (`justifications` for the full ones, `masked_elements`
for the others), shown in the analysis and the catalogue, and is exactly what the export
and the data API write (reports/delivery.py).

Which columns ask for a decision: an element the dictionary marks sensitive (PIPL art. 28:
ID numbers, health, ethnicity, disability …), and, whatever its flag, an element whose
values are personal numbers masked whole (phones, ID numbers: ledger.masking.MASKERS) —
the department would receive those masked, so it is asked rather than surprised.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.functional import lazy
from django.utils.translation import gettext as _

from yibiao.dictionary.rules import ElementRule, Rules
from yibiao.dictionary.words import shown
from yibiao.matching import normalise
from yibiao.refusals import Reason

FULL, MASKED = "full", "masked"
# A reason shorter than this says nothing ("需要", "核对"): refused, the column named.
MIN_REASON_CHARS = 4
# Value types masked whole wherever they appear (ledger.masking.MASKERS; kept here as a
# literal so the admission app does not import the ledger's audit machinery).
NUMBER_TYPES = frozenset({"id_number", "phone"})


def needs_decision(rule: ElementRule | None) -> bool:
    """Whether a column of this element leaves only by the department's decision."""
    return rule is not None and rule.subject not in ("meta", "org") and (
        rule.sensitive or rule.value_type in NUMBER_TYPES)


def masked_partly(rule: ElementRule | None) -> bool:
    """Masked, a personal number shows its ends (430104********123X, 153****0499); any other
    sensitive value (a health condition, an ethnicity) is withheld: the cell stays empty."""
    return rule is not None and rule.value_type in NUMBER_TYPES


@dataclass(frozen=True)
class Decision:
    """One element's decision, with the template columns it covers."""

    element: str
    name: str
    columns: tuple[str, ...]  # letters
    headers: tuple[str, ...]
    choice: str  # FULL | MASKED | "" (undecided)
    reason: str = ""
    partly: bool = False  # masked, its numbers keep their ends; otherwise withheld

    @property
    def label(self) -> str:
        """第 F 列“联系电话” (and further columns of the same element)."""
        return "、".join(_("第 %(col)s 列“%(header)s”") % {"col": c, "header": h}
                        for c, h in zip(self.columns, self.headers, strict=True))

    def as_dict(self) -> dict[str, object]:
        return {"element": self.element, "name": self.name, "columns": list(self.columns),
                "headers": list(self.headers), "choice": self.choice, "reason": self.reason,
                "partly": self.partly}


# A column's label in the language its refusal is shown in (not the one it was made in).
_label_of = lazy(lambda decision: decision.label, str)
# The column's letter and header say which one; the element's code is no word for people.
_labels_of = lazy(lambda decisions, comma: comma.join(d.label for d in decisions), str)


@dataclass
class Settled:
    """What submission stores, and what it refuses with."""

    justifications: dict[str, str] = field(default_factory=dict)
    masked: list[str] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def undecided(self) -> list[Decision]:
        return [d for d in self.decisions if not d.choice]


def _decided_columns(columns: list[dict], rules: Rules, also: frozenset[str] | set[str] = frozenset()
                     ) -> dict[str, list[dict]]:
    """Element -> its columns, for every sensitive column and any other the department masked."""
    found: dict[str, list[dict]] = {}
    for column in columns:
        element = column.get("element")
        if element and element in rules and not column.get("indicator") and (
                needs_decision(rules.elements[element]) or element in also):
            found.setdefault(element, []).append(column)
    return found


def resolve(key: str, columns: list[dict], rules: Rules) -> str | None:
    """The element a decision names: its code, a column letter (F), the column's header
    (联系电话) or the element's Chinese name; None when nothing in the template answers."""
    key = key.strip()
    if key in rules.elements:
        return key
    for column in columns:
        if column.get("element") and (key.upper() == str(column.get("column", "")).upper()
                                      or normalise(key) == normalise(column.get("header", ""))):
            return column["element"]
    for column in columns:
        rule = rules.elements.get(column.get("element") or "")
        if rule is not None and normalise(key) == normalise(rule.name_zh):
            return rule.code
    return None


def decisions_of(columns: list[dict], rules: Rules, justifications: dict[str, str],
                 masked: list[str]) -> list[Decision]:
    """The stored decisions of a request, one per sensitive element, in column order."""
    out = []
    for element, cols in _decided_columns(columns, rules, set(masked)).items():
        reason = (justifications.get(element) or "").strip()
        choice = MASKED if element in masked else FULL if reason else ""
        rule = rules.elements[element]
        out.append(Decision(element, rule.name_zh, tuple(c["column"] for c in cols),
                            tuple(c["header"] for c in cols), choice,
                            reason if choice == FULL else "", masked_partly(rule)))
    return out


def settle(columns: list[dict], rules: Rules, justifications: dict[str, str], masked: list[str],
           *, required: bool) -> Settled:
    """The department's decisions read against the template's columns.

    Keys may be element codes, column letters or headers. Refused (`problems`, each naming
    the column): a key the template does not have, a column both justified and masked, a
    reason shorter than MIN_REASON_CHARS, and — when the rules require it — any sensitive
    column left undecided; when they do not, an undecided column is masked.
    """
    settled = Settled()
    given: dict[str, str] = {}
    for key, reason in justifications.items():
        if not reason.strip():
            continue
        element = resolve(key, columns, rules)
        if element is None:
            settled.problems.append(Reason("decision_no_column_to_justify", key=key))
        else:
            given[element] = reason.strip()
    masked_given: list[str] = []
    for key in masked:
        element = resolve(key, columns, rules)
        if element is None:
            settled.problems.append(Reason("decision_no_column_to_mask", key=key))
        elif element not in masked_given:
            masked_given.append(element)
    for element in masked_given:
        if element in given:
            name = rules.elements[element].name_zh
            settled.problems.append(Reason("decision_both_full_and_masked", name=name,
                                           name_en=shown(name, language="en")))
    for decision in decisions_of(columns, rules, given, masked_given):
        if decision.choice == FULL and len(decision.reason) < MIN_REASON_CHARS:
            settled.problems.append(Reason("decision_reason_too_short", columns=_label_of(decision),
                                           n=MIN_REASON_CHARS, name=decision.name))
    undecided = [d for d in decisions_of(columns, rules, given, masked_given) if not d.choice]
    if undecided and required:
        settled.problems.append(Reason(
            "decisions_missing", columns=_labels_of(undecided, "、"),
            columns_en=_labels_of(undecided, ", ")))
    elif undecided:
        masked_given += [d.element for d in undecided]  # the safe side: masked
    # Kept: justifications of elements the template has not as a column (a filter's
    # element): harmless, and what the department said.
    settled.justifications = {e: r for e, r in given.items() if e not in masked_given}
    in_template = {c.get("element") for c in columns}
    settled.masked = [e for e in masked_given if e in in_template]  # a code the template lacks: nothing to mask
    settled.decisions = decisions_of(columns, rules, settled.justifications, settled.masked)
    return settled
