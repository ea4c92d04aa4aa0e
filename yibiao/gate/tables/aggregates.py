"""Aggregate templates (统计表) at submission and admission, as the running system reads them.

Reading is pure (sheets/aggregate.py finds what a row is, reports/indicators.py what each
count column counts); here it meets the database: row labels found in the org tree make
a sheet an aggregate, indicators people confirmed before are read as learned, and a
reviewer's admission confirms the suggested ones and teaches them.

A request's aggregate lives in its columns (FormRequest.columns), so nothing else changes
shape: the row column carries `dimension` (org units of a level, or the template's
categories with their indicators), each count column its `indicator` with status and
confidence, and the column's own `status`/`confidence` are the indicator's.
"""

from __future__ import annotations

from yibiao.dictionary.matching import learned_indicators, names_units
from yibiao.dictionary.models import LearnedIndicator
from yibiao.reports.indicators import AUTO, CONFIRMED, SUGGESTED, UNMAPPED, read_aggregate
from yibiao.sheets import SheetLayout
from yibiao.sheets.aggregate import promote


def recognise(layout: SheetLayout) -> None:
    """A sheet read as a list whose first column names units of the org tree, the other
    columns counting, is an aggregate by unit."""
    promote(layout, names_units)


def annotate(layout: SheetLayout, columns: list[dict]) -> None:
    """Give an aggregate's column dicts their indicators and the row column its dimension."""
    if layout.layout != "aggregate":
        return
    reading = read_aggregate(layout, [c.get("element") for c in columns], learned_indicators())
    for column, indicator in zip(columns, reading.columns, strict=True):
        if reading.rows and column["index"] == reading.rows["index"]:
            column["dimension"] = reading.rows
            continue
        if indicator is None:
            continue
        column["element"] = None
        column["status"], column["confidence"] = indicator.status, indicator.confidence
        # An indicator nobody could read is typed by the worker, like a new column.
        column["indicator"] = None if indicator.status == UNMAPPED else indicator.as_dict()


def dimension_of(columns: list[dict]) -> dict | None:
    """The row dimension stored on a request's row column (None for older requests)."""
    return next((c["dimension"] for c in columns if c.get("dimension")), None)


def unsure(columns: list[dict]) -> list[str]:
    """Count columns and category rows whose indicator the system guessed: a person looks first."""
    found = [f"第 {c['column']} 列“{c['header']}”" for c in columns
             if c.get("indicator") and c["indicator"].get("status") == SUGGESTED]
    dimension = dimension_of(columns) or {}
    found += [f"第 {x['row']} 行“{x['label']}”" for x in dimension.get("categories", [])
              if x["indicator"].get("status") == SUGGESTED]
    return found


def confirm(actor: object, columns: list[dict]) -> int:
    """At admission: suggested indicators become confirmed and are learned, so the next
    template with the same header path reads them automatically. Returns how many."""
    learned = 0
    dimension = dimension_of(columns) or {}
    readings = [c["indicator"] for c in columns if c.get("indicator")]
    readings += [x["indicator"] for x in dimension.get("categories", [])]
    for indicator in readings:
        if indicator.get("status") not in (SUGGESTED, AUTO) or not indicator.get("text"):
            continue
        if indicator["status"] == SUGGESTED:
            indicator["status"] = CONFIRMED
            learned += 1
            LearnedIndicator.objects.update_or_create(
                text=indicator["text"][:300],
                defaults={"indicator": {"count": indicator["count"], "filter": indicator["filter"]},
                          "confirmed_by": actor if getattr(actor, "pk", None) else None})
    for column in columns:
        if column.get("indicator") and column.get("status") == SUGGESTED:
            column["status"] = CONFIRMED
    return learned
