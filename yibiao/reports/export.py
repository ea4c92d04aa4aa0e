"""Delivering a report in the department's own template: the layout kept, values typed,
each sensitive column as the department decided at admission (full, or masked with a note on
its header), every export audited."""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

from yibiao import stored
from yibiao.accounts import scope
from yibiao.audit.log import record
from yibiao.audit.models import Action
from yibiao.dictionary.rules import Rules
from yibiao.gate.models import FormRequest, Status
from yibiao.gate.tables.analysis import element_kind
from yibiao.gate.tables.decisions import Decision
from yibiao.orgunits.models import OrgUnit
from yibiao.refusals import Refusal
from yibiao.sheets import FillColumn, FillResult, SheetError, SheetLayout, fill, note, read_workbook
from yibiao.sheets.formats import blank_kind
from yibiao.sheets.header_notes import annotate
from yibiao.values import DateValue

from . import delivery, prefill
from .periods import Period


class ExportError(Refusal):
    """A report that cannot be exported as asked."""


@dataclass(frozen=True)
class ExportResult:
    path: Path
    rows: int
    cells: int
    auto_filled: int
    missing: int
    notes: list[str]

    def as_dict(self) -> dict[str, object]:
        return {"rows": self.rows, "cells": self.cells, "auto_filled": self.auto_filled,
                "missing": self.missing, "file": str(self.path), "notes": self.notes}


def require_export(user: object, request: FormRequest, unit: OrgUnit) -> None:
    scope.require_may(user, scope.VIEW, request)
    scope.require_org_unit(user, unit)
    if request.status != Status.ADMITTED:
        raise ExportError("export_not_admitted")
    if not (request.scope.contains(unit) or unit.contains(request.scope)):
        raise scope.OutOfScope(f"“{unit.name}”不在该报表的准入范围内")


def blank_values(layout_blanks: list, available: dict[str, object]) -> dict[str, object]:
    """The template's own blank labels (填报单位：…, 填表人：…) with the values we know for
    them; 填表人 is the 填报人, 填表日期 the 填报日期 (sheets.formats.BLANK_SYNONYMS)."""
    values: dict[str, object] = {}
    for blank in layout_blanks:
        kind = blank_kind(blank.label)
        value = available.get(kind) if kind else None
        if value not in (None, ""):
            values[blank.label] = value
    return values


def report_blanks(report: prefill.Report) -> dict[str, object]:
    """What the report knows for the blanks around the table, typed so the template's
    pattern can be kept: dates as dates, a monthly period as a year and month."""
    known: dict[str, object] = dict(report.blanks)
    day = known.get("填报日期")
    if isinstance(day, str) and day:
        try:
            known["填报日期"] = dt.date.fromisoformat(day)
        except ValueError:
            pass
    period = report.period
    known["统计时间"] = (DateValue(period.start.year, period.start.month)
                       if re.fullmatch(r"\d{4}-\d{2}", period.key) else period.label)
    known["截止日期"] = period.end
    return known


def _template_file(request: FormRequest) -> AbstractContextManager[Path]:
    """The department's template on this machine's disk, from the storage (yibiao.stored);
    a template missing from it is unreadable, as a missing file was."""
    name = request.template.name
    if not name or not stored.exists(name):
        problem = f"No such file: {name!r}"
        raise ExportError("export_template_unreadable", problem=problem, problem_en=problem)
    return stored.local_copy(name)


def export_report(user: object, request: FormRequest, unit: OrgUnit, period: Period,
                  out: Path, progress: Callable[[str, int], None] | None = None) -> ExportResult:
    """Fill the template for the unit (merged over its communities) as of the period's end."""
    require_export(user, request, unit)
    report_progress = progress or (lambda stage, percent: None)
    report = prefill.build_report(request, unit, period, filled_by=str(user))
    report_progress("填入部门模板", 50)
    with _template_file(request) as template_path:
        try:
            book = read_workbook(template_path)
            layout = book.sheet(request.sheet_name)
        except (SheetError, KeyError, FileNotFoundError) as error:
            raise ExportError("export_template_unreadable", problem=str(error),
                              problem_en=getattr(error, "message_en", str(error))) from None
        out.parent.mkdir(parents=True, exist_ok=True)
        masked = delivery.masked_columns(request)
        with tempfile.TemporaryDirectory(dir=out.parent, prefix=".notes-") as folder:
            template, notes = marked_template(template_path, Path(folder), request.sheet_name,
                                              layout, masked)
            if template.suffix != template_path.suffix:
                out = out.with_suffix(template.suffix)  # a legacy .xls comes back as .xlsx, as the writers do
            result = _fill(template, out, layout, report)
    result.notes[:0] = notes
    auto = report.count(prefill.LEDGER) + report.count(prefill.DERIVED) + report.count(prefill.SYSTEM)
    record(user, Action.EXPORT, subject_kind="form_request", subject_id=request.pk,
           org_code=unit.code, period=period.key, rows=len(report.rows),
           unmasked=sorted(delivery.unmasked_elements(request)), file=result.path.name,
           **({"masked": [d.element for d in masked]} if masked else {}))
    return ExportResult(result.path, len(report.rows), report.cells, auto, report.count(prefill.MISSING),
                        list(result.notes))


def marked_template(template: Path, folder: Path, sheet: str, layout: SheetLayout,
                    masked: list[Decision]) -> tuple[Path, list[str]]:
    """The template to fill, with a note (批注) on the header of every column the department
    receives masked (on the value cell of a card's field), and those notes as text for the
    export's own notes; the template itself when nothing is masked."""
    if not masked:
        return template, []
    cells: dict[tuple[int, int], str] = {}
    texts = []
    for d in masked:
        text = delivery.masked_note(d)
        texts.append(text)
        for column in layout.columns:
            if column.letter not in d.columns:
                continue
            if column.cell:  # a card: the field's value cell
                col, row = coordinate_from_string(column.cell)
                cells[(row, column_index_from_string(col))] = text
            else:
                cells[(layout.header_rows[1], column.index)] = text
    marked = annotate(template, folder / f"template{template.suffix}", sheet, cells)
    converted = [note("converted_xls", file=template.name)] if marked.suffix != template.suffix else []
    return marked, converted + texts


def _fill(template: Path, out: Path, layout: SheetLayout, report: prefill.Report) -> FillResult:
    """The report's rows and blanks handed to `sheets.fill`, which picks the writer and writes
    each value the way the template's column asks; the dictionary says what each column's
    element is. The rows go one at a time: a streamed layout never holds them in a list."""
    blanks = blank_values(layout.blanks, report_blanks(report))
    rules = Rules.load()
    # A card's fields share column letters: each is found by its value cell (stored requests
    # of before carry no cell: it is read from the template's layout by index and header).
    cells = {(c.index, c.header): c.cell for c in layout.columns if c.cell}
    columns = [FillColumn(None if c.get("indicator") else (c.get("index") or 0),
                          element_kind(rules, c.get("element")),
                          cell=c.get("cell") or cells.get((c.get("index"), c.get("header"))))
               for c in report.columns]
    return fill(template, out, layout, delivery.iter_delivered_rows(report, rules), blanks=blanks, columns=columns)
