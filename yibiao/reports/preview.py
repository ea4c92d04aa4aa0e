"""The whole table as the department will receive it, for the worker to look over before
确认报送: the values the file will hold (delivery.iter_delivered_rows, the department's
masking decisions applied), written as the file writes them, with personal numbers masked
on the screen as every page masks them, and the cells still empty marked."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from yibiao.dictionary.rules import Rules
from yibiao.ledger.masking import mask

from . import delivery, prefill

LIMIT = 2000  # rows shown; the file holds them all


def _text(value: object, value_type: str) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return mask(value_type, str(value))


def table(report: prefill.Report) -> dict[str, object]:
    """headers, rows (each a list of (text, empty, optional)), blanks and whether rows were
    left off, for the preview page."""
    rules = Rules.load()
    columns = report.columns
    kinds = []
    for column in columns:
        element = column.get("element")
        rule = rules.elements.get(element) if element else None
        system = not element or element.startswith(("meta.", "org.")) or column.get("indicator")
        kinds.append("system" if system else rule.value_type if rule else "text")
    optional = [prefill.is_optional(c) for c in columns]
    rows = []
    for number, (row, values) in enumerate(zip(report.rows, delivery.iter_delivered_rows(report, rules),
                                                strict=True)):
        if number >= LIMIT:
            break
        rows.append([(_text(v, kind), cell.source in (prefill.MISSING, prefill.OPTIONAL) and v in (None, ""),
                      opt) for v, cell, kind, opt in zip(values, row.cells, kinds, optional, strict=True)])
    return {"headers": [c["header"] for c in columns], "rows": rows,
            "left_off": max(0, len(report.rows) - LIMIT),
            "blanks": {k: v for k, v in report.blanks.items() if v}}
