"""A report for one org unit and period, filled from the ledger as it stood at the period's end.

Every cell says where its value came from — the ledger, derivation, the system (序号,
填报单位, 所属社区) — or that it is missing and a worker must supply it. The same
structure feeds the worker's completion page, the export into the department's template,
the data API and the burden accounting, so they can never disagree.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from yibiao.dictionary.models import Element
from yibiao.gate.models import FormRequest
from yibiao.ledger.models import Household, Place, SubjectKind
from yibiao.ledger.snapshot import (
    DERIVED_HOUSEHOLD,
    DERIVED_PERSON,
    facts_within,
    household_values,
    latest_facts,
    people_as_of,
)
from yibiao.orgunits.models import Level, OrgUnit, subtree_q

from .filters import matches
from .models import TaskValue
from .periods import Period
from .rollup import rollup

LEDGER, DERIVED, SYSTEM, MISSING, TYPED = "ledger", "derived", "system", "missing", "typed"
# An empty cell of an optional column (备注): offered to the worker, never asked of them — it
# blocks no submission and is not counted as a cell asked, missing or typed while empty.
OPTIONAL = "optional"

# Columns a worker may leave empty: remarks by their element or header, a header the template
# marks (选填, 非必填, 如有), or a column the request marks {"optional": true}.
OPTIONAL_ELEMENTS = frozenset({"person.remarks"})
OPTIONAL_HEADER = re.compile(r"^(?:备注|说明|附注|备注说明|其他说明|其它说明)$|选填|非必填|可不填|可选填|[（(]如有[)）]")


def is_optional(column: dict) -> bool:
    """Whether a request's column may be left empty (see OPTIONAL)."""
    if column.get("optional"):
        return True
    if column.get("element") in OPTIONAL_ELEMENTS:
        return True
    header = re.sub(r"\s+", "", str(column.get("header") or ""))
    return bool(OPTIONAL_HEADER.search(header))


@dataclass
class Cell:
    value: str | None
    source: str
    element: str | None = None


@dataclass
class Row:
    key: str  # p:<person id>, h:<household id>, l:<place id>, o:<org code>
    org_code: str
    cells: list[Cell]


@dataclass
class Report:
    request: FormRequest
    org_unit: OrgUnit
    period: Period
    rows: list[Row] = field(default_factory=list)
    blanks: dict[str, str] = field(default_factory=dict)

    @property
    def columns(self) -> list[dict]:
        return self.request.columns

    def count(self, source: str) -> int:
        return sum(1 for row in self.rows for cell in row.cells if cell.source == source)

    @property
    def cells_asked(self) -> int:
        """The cells a worker is accountable for: every cell but an optional one left empty."""
        return self.cells - self.count(OPTIONAL)

    @property
    def cells(self) -> int:
        return sum(len(row.cells) for row in self.rows)


def units_around(unit: OrgUnit) -> dict[str, OrgUnit]:
    """The unit, everything below it and its ancestors, by code: rows name their township,
    community and grid from here without a query per row."""
    below = OrgUnit.objects.filter(subtree_q(unit.code))
    return {u.code: u for u in (*below, *unit.ancestors())}


LEVEL_OF_ELEMENT = {"org.township": Level.TOWNSHIP, "org.community": Level.COMMUNITY,
                    "org.grid": Level.GRID}
CODE_LENGTH = {Level.TOWNSHIP: 9, Level.COMMUNITY: 12, Level.GRID: 15}


def system_value(element: str, unit: OrgUnit, units: dict[str, OrgUnit], row_code: str,
                 seq: int, filled_by: str, today: dt.date) -> str | None:
    """序号, 填报单位, 填报日期, 填报人 and the row's own org units: never typed."""
    if element in LEVEL_OF_ELEMENT:
        code = row_code[:CODE_LENGTH[LEVEL_OF_ELEMENT[element]]]
        own = units.get(code)
        return own.name if own is not None and len(code) <= len(row_code) else None
    return {
        "meta.seq": str(seq),
        "meta.reporting_unit": unit.name,
        "meta.reporting_date": today.isoformat(),
        "meta.filled_by": filled_by or None,
    }.get(element)


def typed_values(request: FormRequest, unit: OrgUnit, period: Period) -> dict[tuple[str, str], str]:
    """Values workers typed on tasks that are not ledger facts (aggregate counts)."""
    rows = TaskValue.objects.filter(subtree_q(unit.code, "task__org_code"), task__request=request,
                                    task__period=period.key)
    return {(v.row_key, v.column): v.value for v in rows}


def build_report(request: FormRequest, unit: OrgUnit, period: Period, *, filled_by: str = "",
                 today: dt.date | None = None) -> Report:
    today = today or dt.date.today()
    report = Report(request, unit, period)
    units = units_around(unit)
    if request.layout == "aggregate":
        _aggregate_rows(report, units, filled_by, today)
    else:
        _subject_rows(report, units, filled_by, today)
    report.blanks = {
        "填报单位": unit.name, "填报日期": today.isoformat(), "填报人": filled_by,
        "统计时间": period.label, "报告期": period.label,
    }
    return report


def selected_subjects(request: FormRequest, unit: OrgUnit, period: Period) -> list[tuple[str, str, dict]]:
    """(row key, org code, values) of every subject the request's rows are about, in the
    unit as of the period's end: its subject (people, households, places) under its filter.
    The report, and so tasks, the worker's page, exports and the data API, and the
    admission analysis all select rows here."""
    as_of = period.end
    subject = request.subject or "person"
    elements = [c.get("element") for c in request.columns]
    if subject == "household":
        subjects = _households(unit, as_of)
    elif subject == "place":
        subjects = _places(unit, as_of)
    else:
        people = people_as_of(unit.code, as_of)
        households = household_values(people)
        per_period = list(Element.objects.filter(code__in=[e for e in elements if e],
                                                 per_period=True).values_list("code", flat=True))
        this_period = facts_within(SubjectKind.PERSON, [p.person_id for p in people],
                                   period.start, period.end, per_period,
                                   within=unit.code) if per_period else {}
        subjects = []
        for person in people:
            values = dict(person.values)
            values.update(households.get(person.household_id, {}))
            for element in per_period:  # asked again each period, never carried over
                values[element] = this_period.get(person.person_id, {}).get(element)
            subjects.append((f"p:{person.person_id}", person.org_code, values))
    return [s for s in subjects if matches(s[2], request.subject_filter, period)]


def _subject_rows(report: Report, units: dict[str, OrgUnit], filled_by: str, today: dt.date) -> None:
    request, unit, period = report.request, report.org_unit, report.period
    elements = [c.get("element") for c in request.columns]
    empty = [OPTIONAL if is_optional(c) else MISSING for c in request.columns]
    seq = 0
    for key, org_code, values in selected_subjects(request, unit, period):
        seq += 1
        cells = []
        for position, element in enumerate(elements):
            system = system_value(element, unit, units, org_code, seq, filled_by, today) \
                if element and element.split(".")[0] in ("meta", "org") else None
            if element and element.split(".")[0] in ("meta", "org"):
                cells.append(Cell(system, SYSTEM, element))
            elif element is None:
                cells.append(Cell(None, empty[position], None))
            elif values.get(element) not in (None, ""):
                derived = element in DERIVED_PERSON or element in DERIVED_HOUSEHOLD
                cells.append(Cell(values[element], DERIVED if derived else LEDGER, element))
            else:
                cells.append(Cell(None, empty[position], element))
        report.rows.append(Row(key, org_code, cells))


def _households(unit: OrgUnit, as_of: dt.date) -> list[tuple[str, str, dict]]:
    people = people_as_of(unit.code, as_of)
    derived = household_values(people)
    codes = {p.household_id: p.org_code for p in people if p.household_id}
    stored = latest_facts(SubjectKind.HOUSEHOLD, list(derived), as_of, within=unit.code)
    ordered = Household.objects.filter(pk__in=list(derived)).order_by("number").values_list("pk", flat=True)
    return [(f"h:{pk}", codes[pk], {**stored.get(pk, {}), **derived[pk]}) for pk in ordered]


def _places(unit: OrgUnit, as_of: dt.date) -> list[tuple[str, str, dict]]:
    places = list(Place.objects.filter(subtree_q(unit.code, "org_unit__code"), created_at__date__lte=as_of)
                  .order_by("org_unit__code", "address").values_list("pk", "org_unit__code"))
    stored = latest_facts(SubjectKind.PLACE, [pk for pk, _ in places], as_of, within=unit.code)
    return [(f"l:{pk}", code, stored.get(pk, {})) for pk, code in places]


# Code length of the units an aggregate's row column names (sheets/aggregate.py ORG_HEADERS).
ROW_LEVEL_LENGTH = {"county": 6, "township": 9, "community": 12, "grid": 15}


def aggregate_units(unit: OrgUnit, units: dict[str, OrgUnit], level: str | None = None) -> list[OrgUnit]:
    """Rows of an aggregate report by org unit.

    The row column's header names a level (社区（村）, 乡镇（街道）, 网格): one row per unit of
    that level below the unit filled — a township's communities, a county's communities —
    or the unit itself as its one row when it is at that level or below (a community filled
    alone under 社区（村）: itself, not its grids, whose names would sit under a header
    that says 社区). A header naming no level (单位, 地区; `level` None or "child"): the
    unit's children (grids of a community, communities of a township …), or the unit
    itself when it has none.
    """
    length = ROW_LEVEL_LENGTH.get(level or "")
    if length is not None:
        if len(unit.code) >= length:
            return [unit]
        below = sorted((u for u in units.values() if len(u.code) == length and u.code.startswith(unit.code)),
                       key=lambda u: u.code)
        return below or [unit]
    children = sorted((u for u in units.values() if u.parent_id == unit.pk and u.code != unit.code),
                      key=lambda u: u.code)
    return children or [unit]


def _aggregate_rows(report: Report, units: dict[str, OrgUnit], filled_by: str, today: dt.date) -> None:
    request, unit, period = report.request, report.org_unit, report.period
    dimension = next((c["dimension"] for c in request.columns if c.get("dimension")), None)
    if dimension and dimension.get("kind") == "category":
        _category_rows(report, dimension, units, filled_by, today)
        return
    row_units = aggregate_units(unit, units, dimension.get("level") if dimension else None)
    typed = typed_values(request, unit, period)
    # Every indicator column for every row unit in one query (reports/rollup.py).
    counted = [i for i, column in enumerate(request.columns)
               if column.get("indicator") and not is_system(column.get("element"))]
    figures = rollup(unit, period, [request.columns[i]["indicator"] for i in counted],
                     lengths=sorted({len(u.code) for u in row_units})) if counted else None
    for seq, row_unit in enumerate(row_units, start=1):
        counts = dict(zip(counted, figures.of(row_unit.code), strict=True)) if figures else {}
        cells = []
        for position, column in enumerate(request.columns):
            element = column.get("element")
            if column.get("dimension"):  # the row's own name, whatever level the header names
                cells.append(Cell(row_unit.name, SYSTEM, element))
            elif is_system(element):
                value = system_value(element, unit, units, row_unit.code, seq, filled_by, today)
                cells.append(Cell(value, SYSTEM, element))
            elif position in counts:
                cells.append(Cell(str(counts[position]), DERIVED))
            elif (value := rolled_up(typed, row_unit.code, column["column"])) is not None:
                cells.append(Cell(value, TYPED))
            else:
                cells.append(Cell(None, OPTIONAL if is_optional(column) else MISSING))
        report.rows.append(Row(f"o:{row_unit.code}", row_unit.code, cells))


def _category_rows(report: Report, dimension: dict, units: dict[str, OrgUnit], filled_by: str,
                   today: dt.date) -> None:
    """A table by category (年龄段 × 男/女): the template's own rows, in its order, each
    cell counting the row's condition and the column's together over the unit filled."""
    from .indicators import Indicator, combine

    request, unit, period = report.request, report.org_unit, report.period
    categories = dimension.get("categories", [])
    cells_asked: list[tuple[int, int]] = []
    indicators: list[dict] = []
    for r, category in enumerate(categories):
        row = category.get("indicator") or {}
        if row.get("status") == "unmapped":
            continue
        for position, column in enumerate(request.columns):
            if column.get("indicator") and not is_system(column.get("element")):
                both = combine(Indicator(**row), Indicator(**column["indicator"]))
                cells_asked.append((r, position))
                indicators.append({"count": both.count, "filter": both.filter})
    figures = rollup(unit, period, indicators, lengths=[len(unit.code)]).of(unit.code) if indicators else []
    counts = dict(zip(cells_asked, figures, strict=True))
    for r, category in enumerate(categories):
        cells = []
        for position, column in enumerate(request.columns):
            element = column.get("element")
            if column.get("dimension"):
                cells.append(Cell(category["label"], SYSTEM, element))
            elif is_system(element):
                value = system_value(element, unit, units, unit.code, r + 1, filled_by, today)
                cells.append(Cell(value, SYSTEM, element))
            elif (r, position) in counts:
                cells.append(Cell(str(counts[(r, position)]), DERIVED))
            else:
                cells.append(Cell(None, OPTIONAL if is_optional(column) else MISSING))
        # One key per category row; typing into a category row is not supported (tasks
        # take unit rows "o:"), so its uncounted cells stay to be filled in the file.
        report.rows.append(Row(f"c:{unit.code}:{r + 1}", unit.code, cells))


def is_system(element: str | None) -> bool:
    """An element the system fills (序号, the unit's name and code, the filling date): never typed."""
    return bool(element) and element.split(".")[0] in ("meta", "org")


def rolled_up(typed: dict[tuple[str, str], str], code: str, column: str) -> str | None:
    """A typed count for a unit: its own, or the sum over the units below it (grid →
    community → township)."""
    values = [v for (key, col), v in typed.items() if col == column and key.startswith(code)]
    if not values:
        return None
    try:
        total = sum(Decimal(v) for v in values)
    except InvalidOperation:
        return "、".join(values)
    return format(total.normalize(), "f")
