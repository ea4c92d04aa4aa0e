"""Delivering a report in the department's own template: the layout kept, values typed,
personal numbers masked unless justified, every export audited."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from yibiao.accounts import scope
from yibiao.admission.models import FormRequest, Status
from yibiao.audit.log import record
from yibiao.audit.models import Action
from yibiao.orgunits.models import OrgUnit
from yibiao.sheets import (
    FillResult,
    SheetError,
    SheetLayout,
    fill_template,
    fill_template_streaming,
    read_workbook,
)
from yibiao.sheets.cells import safe_cell, safe_row

from . import delivery, prefill
from .periods import Period


class ExportError(Exception):
    pass


# Layouts filled by the streaming writer: the template's own package copied, only the data
# rows written as XML, rows consumed one at a time (flat memory at 100,000 rows). Every
# other layout goes through openpyxl in place (`fill_template`): a card (登记表) is one sheet
# per subject, and an aggregate's 合计 row without formulas gets SUMs and a note, which
# only the in-place writer does; an aggregate has one row per unit below, so it is small.
STREAMED_LAYOUTS = frozenset({"list"})


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
        raise ExportError("只有经准入的报表才能导出交付")
    if not (request.scope.contains(unit) or unit.contains(request.scope)):
        raise scope.OutOfScope(f"“{unit.name}”不在该报表的准入范围内")


def blank_values(layout_blanks: list, available: dict[str, str]) -> dict[str, object]:
    """The template's own blank labels (填报单位：…) with the values we know for them."""
    values: dict[str, object] = {}
    for blank in layout_blanks:
        for label, value in available.items():
            if label in blank.label and value:
                values[blank.label] = value
    return values


def export_report(user: object, request: FormRequest, unit: OrgUnit, period: Period,
                  out: Path, progress: Callable[[str, int], None] | None = None) -> ExportResult:
    """Fill the template for the unit (merged over its communities) as of the period's end."""
    require_export(user, request, unit)
    report_progress = progress or (lambda stage, percent: None)
    report = prefill.build_report(request, unit, period, filled_by=str(user))
    report_progress("填入部门模板", 50)
    try:
        book = read_workbook(Path(request.template.path))
        layout = book.sheet(request.sheet_name)
    except (SheetError, KeyError, FileNotFoundError) as error:
        raise ExportError(f"读取部门模板失败：{error}") from None
    out.parent.mkdir(parents=True, exist_ok=True)
    result = _fill(Path(request.template.path), out, request.sheet_name, layout, report)
    auto = report.count(prefill.LEDGER) + report.count(prefill.DERIVED) + report.count(prefill.SYSTEM)
    record(user, Action.EXPORT, subject_kind="form_request", subject_id=request.pk,
           org_code=unit.code, period=period.key, rows=len(report.rows),
           unmasked=sorted(delivery.unmasked_elements(request)), file=result.path.name)
    return ExportResult(result.path, len(report.rows), report.cells, auto, report.count(prefill.MISSING),
                        list(result.notes))


def _fill(template: Path, out: Path, sheet: str, layout: SheetLayout, report: prefill.Report) -> FillResult:
    """The one place that decides which writer fills the template (`STREAMED_LAYOUTS`)."""
    # Both writers store text as text already; quoting what a spreadsheet would read as a
    # formula (OWASP) keeps the file safe when the department saves it again as CSV.
    blanks = {label: safe_cell(value) for label, value in blank_values(layout.blanks, report.blanks).items()}
    if layout.layout in STREAMED_LAYOUTS:
        return fill_template_streaming(template, out, sheet=sheet, layout=layout, blanks=blanks,
                                       rows=(safe_row(r) for r in delivery.iter_delivered_rows(report)))
    return fill_template(template, out, sheet=sheet, layout=layout,
                         rows=[safe_row(r) for r in delivery.delivered_rows(report)], blanks=blanks)
