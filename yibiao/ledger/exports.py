"""`yibiao ledger export`: a community's ledger as of a date, masked unless justified.

Safe to open: ID numbers and phones masked (inside any value, not only in their own
columns), numbers written as numbers, and text that a spreadsheet would read as a formula
quoted (`sheets.cells.safe_cell`).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from yibiao.accounts import scope
from yibiao.audit.log import record
from yibiao.audit.models import Action
from yibiao.dictionary.rules import Rules
from yibiao.orgunits.models import OrgUnit
from yibiao.sheets.cells import safe_row

from .masking import mask
from .models import Household
from .records import LedgerError
from .snapshot import people_as_of

LEADING = ["person.name", "person.id_number", "person.sex", "person.birth_date", "person.age",
           "person.relation_to_head"]


@dataclass(frozen=True)
class ExportResult:
    path: Path
    rows: int
    columns: int
    masked: bool


def export_ledger(actor: object, org_unit: OrgUnit, as_of: dt.date, path: Path, *,
                  unmask: bool = False, reason: str = "") -> ExportResult:
    scope.require(actor, "view_ledger")
    scope.require_org_unit(actor, org_unit)
    if unmask:
        scope.require(actor, "reveal_personal")
        if len(reason.strip()) < 2:
            raise LedgerError("export_reason_required")
    if path.suffix.lower() not in (".xlsx", ".csv"):
        raise LedgerError("export_format")
    rules = Rules.load()
    rows = people_as_of(org_unit.code, as_of)
    present = {e for row in rows for e, v in row.values.items() if v not in (None, "")}
    elements = LEADING + sorted(
        (e for e in present if e not in LEADING and e in rules),
        key=lambda e: list(rules.elements).index(e))
    numbers = dict(Household.objects.filter(pk__in={r.household_id for r in rows})
                   .values_list("pk", "number"))
    header = ["序号", *(rules[e].name_zh for e in elements), "户号", "所属"]
    table = []
    for seq, row in enumerate(rows, start=1):
        cells: list[object] = [seq]
        for element in elements:
            cells.append(_cell(rules, element, row.values.get(element), unmask))
        cells += [numbers.get(row.household_id, ""), row.org_code]
        table.append(cells)
    _write(path, header, table)
    record(actor, Action.EXPORT, subject_kind="org_unit", subject_id=org_unit.code,
           org_code=org_unit.code, reason=reason.strip(), rows=len(table),
           as_of=as_of.isoformat(), unmasked=unmask, file=path.name)
    return ExportResult(path, len(table), len(header), not unmask)


def _cell(rules: Rules, element: str, value: str | None, unmask: bool) -> object:
    """One exported value: numbers as numbers, everything else as displayed, masked unless
    the export is unmasked."""
    if value in (None, ""):
        return ""
    value_type = rules[element].value_type
    if value_type in ("integer", "decimal"):
        try:
            return int(value) if value_type == "integer" else Decimal(value)
        except (ValueError, InvalidOperation):
            pass  # a stored value that is not a number after all: written as text below
    shown = rules.display(element, value)
    return shown if unmask else mask(value_type, shown)


# A spreadsheet opening a CSV reads a run of digits as a number: an unmasked ID number
# 430104200001027123 became 4.30104200001027E+17, its last digits lost past 15 significant
# ones (LibreOffice, as Excel and WPS), a 户号 of 16 digits the same, a leading 0 dropped.
# Such a value is written after a tab, which Excel, WPS and LibreOffice keep as text (the
# usual way; the .xlsx holds them as text cells already). Only digits follow the tab, so it
# opens no formula, unlike the text safe_row quotes.
KEPT_AS_TEXT = re.compile(r"\d{16,}|0\d+")


def _kept_as_text(value: object) -> object:
    return f"\t{value}" if isinstance(value, str) and KEPT_AS_TEXT.fullmatch(value) else value


def _write(path: Path, header: list[str], table: list[list[object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        # UTF-8 with BOM: Excel on Windows opens it as Chinese, not mojibake.
        with open(path, "w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(safe_row(header))
            writer.writerows([_kept_as_text(cell) for cell in safe_row(row)] for row in table)
        return
    book = Workbook(write_only=False)
    sheet = book.active
    sheet.title = "台账"
    sheet.append(safe_row(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table:
        sheet.append(safe_row(row))
    for index, title in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(8, min(30, len(title) * 2 + 4))
    sheet.freeze_panes = "B2"
    book.save(path)
