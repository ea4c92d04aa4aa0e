"""What a department receives: the report's values typed for a spreadsheet or JSON, and
personal numbers masked unless the admitted request justified the full value."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

from yibiao.admission.models import FormRequest, Status
from yibiao.dictionary.rules import Rules
from yibiao.ledger.masking import mask

from .prefill import Report, Row


def unmasked_elements(request: FormRequest) -> set[str]:
    """Elements whose full value the department justified at admission (最小必要)."""
    return {element for element, reason in request.justifications.items() if reason.strip()}


def typed(rules: Rules, element: str | None, value: str | None, unmasked: set[str]) -> object:
    if value is None or value == "":
        return None
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
    # masked unless the department justified this element at admission (最小必要).
    return shown if element in unmasked else mask(rule.value_type, shown)


def delivered_rows(report: Report, rules: Rules | None = None) -> list[list[object]]:
    return list(iter_delivered_rows(report, rules))


def iter_delivered_rows(report: Report, rules: Rules | None = None) -> Iterator[list[object]]:
    """The rows one at a time, so a streamed export never holds them beside the report's own."""
    rules = rules or Rules.load()  # loaded now, not at the first row: a failure surfaces here
    unmasked = unmasked_elements(report.request)
    return (_delivered(report.columns, row, rules, unmasked) for row in report.rows)


def _delivered(columns: list[dict], row: Row, rules: Rules, unmasked: set[str]) -> list[object]:
    values: list[object] = []
    for column, cell in zip(columns, row.cells, strict=True):
        element = cell.element or column.get("element")
        if element == "meta.reporting_date" and cell.value:
            values.append(dt.date.fromisoformat(cell.value))
        elif column.get("indicator") or element is None or element.startswith(("meta.", "org.")):
            values.append(_number_or_text(cell.value))
        else:
            values.append(typed(rules, element, cell.value, unmasked))
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


def require_admitted(request: FormRequest) -> None:
    if request.status != Status.ADMITTED:
        raise PermissionError("只有经准入的报表才能交付")
