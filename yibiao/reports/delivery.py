"""What a department receives: the report's values typed for a spreadsheet or JSON, and
each sensitive column as the department decided at submission (admission/decisions.py):
the full value where it justified it, masked otherwise — a personal number keeps its ends
(153****0499), any other sensitive value is withheld (empty). Numbers inside other values
(an ID in a certificate number, a mobile in a remark) are masked unless that column was
justified. `masked_columns` says which columns, so every file can say so in its header."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

from django.utils.translation import gettext as _

from yibiao.dictionary.rules import Rules
from yibiao.gate.models import FormRequest
from yibiao.gate.tables.decisions import Decision, decisions_of
from yibiao.ledger.masking import mask

from .prefill import Report, Row


def unmasked_elements(request: FormRequest) -> set[str]:
    """Elements whose full value the department justified at submission (最小必要)."""
    masked = set(request.masked_elements)
    return {element for element, reason in request.justifications.items()
            if reason.strip() and element not in masked}


def masked_columns(request: FormRequest, rules: Rules | None = None) -> list[Decision]:
    """The columns that leave masked: decided so, or (a request from before decisions were
    asked) never decided — the safe side."""
    rules = rules or Rules.load()
    unmasked = unmasked_elements(request)
    return [d for d in decisions_of(request.columns, rules, request.justifications, request.masked_elements)
            if d.element not in unmasked]


def column_decisions(request: FormRequest, rules: Rules | None = None) -> dict[str, str]:
    """Column letter -> "full" | "masked", for every column the decision applies to."""
    rules = rules or Rules.load()
    unmasked = unmasked_elements(request)
    return {letter: "full" if d.element in unmasked else "masked"
            for d in decisions_of(request.columns, rules, request.justifications, request.masked_elements)
            for letter in d.columns}


def masked_note(decision: Decision) -> str:
    """What a file says about one masked column (its header's note, the export's notes)."""
    how = _("号码只显示前后几位") if decision.partly else _("不提供，留空")
    return _("“%(header)s”列按准入决定遮蔽（%(how)s）") % {"header": "、".join(decision.headers), "how": how}


def typed(rules: Rules, element: str | None, value: str | None, unmasked: set[str],
          withheld: frozenset[str] | set[str] = frozenset()) -> object:
    """One value as delivered; `withheld` elements (masked, not numbers) give None."""
    if value is None or value == "" or element in withheld:
        return None  # a health condition, an ethnicity … masked: withheld, not half-shown
    rule = rules.elements.get(element) if element else None
    if rule is None:
        return value if element in unmasked else mask("text", value)
    if rule.value_type == "integer":
        try:
            return int(value)
        except ValueError:
            return value
    if rule.value_type == "decimal":
        return Decimal(value)
    if rule.value_type == "date":
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return rules.display(element, value)  # a year-month such as 1949-12
    shown = rules.display(element, value)
    # ID numbers and phones, in their own columns or inside another value (残疾人证号),
    # masked unless the department justified this element at submission (最小必要).
    return shown if element in unmasked else mask(rule.value_type, shown)


def delivered_rows(report: Report, rules: Rules | None = None) -> list[list[object]]:
    return list(iter_delivered_rows(report, rules))


def iter_delivered_rows(report: Report, rules: Rules | None = None) -> Iterator[list[object]]:
    """The rows one at a time, so a streamed export never holds them beside the report's own."""
    rules = rules or Rules.load()  # loaded now, not at the first row: a failure surfaces here
    unmasked = unmasked_elements(report.request)
    withheld = {d.element for d in masked_columns(report.request, rules) if not d.partly}
    return (_delivered(report.columns, row, rules, unmasked, withheld) for row in report.rows)


def _delivered(columns: list[dict], row: Row, rules: Rules, unmasked: set[str],
               withheld: set[str]) -> list[object]:
    values: list[object] = []
    for column, cell in zip(columns, row.cells, strict=True):
        element = cell.element or column.get("element")
        if element == "meta.reporting_date" and cell.value:
            values.append(dt.date.fromisoformat(cell.value))
        elif column.get("indicator") or element is None or element.startswith(("meta.", "org.")):
            values.append(_number_or_text(cell.value))
        else:
            values.append(typed(rules, element, cell.value, unmasked, withheld))
    return values


def _number_or_text(value: str | None) -> object:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        try:
            return Decimal(value)
        except ArithmeticError:
            return value
