"""The task page's grid: the department's own sheet, a row per subject, the cells the ledger
could not fill as inputs typed by their element, everything else shown read-only (masked as
every page masks it).

Built from the report (prefill.build_report) and what a refused save sent back: typed
values, the reason beside each refused cell, conflicts with both values. The same rows are
rendered for the whole page and, after a row is saved on its own, for that row alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.conf import settings

from yibiao.dictionary.rules import ElementRule, Rules
from yibiao.ledger.masking import mask
from yibiao.orgunits.models import OrgUnit
from yibiao.values import get_code_list

from . import prefill
from .models import Task
from .tasks import CellConflict, version_key

# A code list longer than this is typed (with its names suggested), not picked from a select.
SELECT_LIMIT = 80
YES_NO = ["是", "否"]
# Rows a task can store: people of a list, units of an aggregate table ("h:", "l:" and the
# category rows "c:" are filled in the ledger or in the file).
EDITABLE_ROWS = ("p:", "o:")
PAGE = 200  # rows per page


@dataclass(frozen=True)
class GridColumn:
    column: str  # the template's column letter
    header: str
    element: str | None
    kind: str  # the input: select | date | integer | decimal | tel | text
    choices: tuple[str, ...] = ()
    optional: bool = False


@dataclass
class GridCell:
    column: GridColumn
    value: str  # shown read-only, or what the input holds
    editable: bool
    error: str | None = None
    conflict: CellConflict | None = None
    version: tuple[str, int] | None = None  # an aggregate cell's own version field
    foreign_choice: bool = False  # a select holding a typed value none of its options is


@dataclass
class GridRow:
    key: str
    label: str
    cells: list[GridCell]
    version: tuple[str, int] | None = None
    status: str = ""  # "" | saved | error | conflict
    required_left: int = 0  # required cells still empty

    @property
    def dom_id(self) -> str:
        return "row-" + self.key.replace(":", "-")

    @property
    def problems(self) -> list[GridCell]:
        return [c for c in self.cells if c.error or c.conflict]


@dataclass
class Grid:
    columns: list[GridColumn]
    rows: list[GridRow] = field(default_factory=list)
    total_rows: int = 0
    page: int = 1
    pages: int = 1
    fill_columns: set[str] = field(default_factory=set)  # letters with an input in some row


def column_of(column: dict, rules: Rules) -> GridColumn:
    """How a column is typed: yes/no and code lists (or the template's own dropdown) as a
    select, dates as text read by the date rules (1950.01), numbers with a numeric keyboard."""
    element = column.get("element")
    rule: ElementRule | None = rules.elements.get(element) if element else None
    fmt = column.get("format") or {}
    kind, choices = "text", ()
    if rule is not None and rule.value_type == "boolean" or column.get("derive") == "present":
        kind, choices = "select", tuple(YES_NO)
    elif rule is not None and rule.code_list:
        items = get_code_list(rule.code_list).items
        if len(items) <= SELECT_LIMIT:
            kind, choices = "select", tuple(i.name for i in items)
    elif fmt.get("choices") and (rule is None or rule.value_type in ("text", "code")):
        kind, choices = "select", tuple(str(c) for c in fmt["choices"])
    elif fmt.get("yes_no") and (rule is None or rule.value_type == "text"):
        words = fmt["yes_no"] if isinstance(fmt["yes_no"], list) else YES_NO
        kind, choices = "select", tuple(words)
    elif rule is not None and rule.value_type in ("date", "integer", "decimal"):
        kind = rule.value_type
    elif rule is not None and rule.value_type == "phone":
        kind = "tel"
    return GridColumn(column["column"], column["header"], element, kind, choices, prefill.is_optional(column))


def row_label(row: prefill.Row, units: Mapping[str, OrgUnit]) -> str:
    """How a worker recognises the row: the name (and masked ID) for a person, the unit's
    name for a unit's row (a grid with its community: every community has a 第一网格)."""
    named = {c.element: c.value for c in row.cells if c.element}
    if "person.name" in named or "person.id_number" in named:
        return " ".join(filter(None, [named.get("person.name"),
                                      mask("id_number", named.get("person.id_number"))]))
    unit = units.get(row.key[2:]) if row.key.startswith("o:") else None
    if unit is not None:
        return unit.label
    return next((str(c.value) for c in row.cells if c.value), row.org_code)


def shown(rules: Rules, cell: prefill.Cell, row_key: str) -> str:
    """A stored value as the page shows it: code names, 是/否, personal numbers masked."""
    if cell.value in (None, ""):
        return ""
    element = cell.element
    if not row_key.startswith(("p:", "h:", "l:")) or cell.source == prefill.SYSTEM or not element:
        return str(cell.value)
    rule = rules.elements.get(element)
    if rule is None:
        return mask("text", str(cell.value))
    return mask(rule.value_type, rules.display(element, str(cell.value)))


def build(task: Task, report: prefill.Report, rules: Rules, versions: Mapping[str, int], *,
          typed: Mapping[tuple[str, str], str] | None = None,
          errors: Mapping[tuple[str, str], str] | None = None,
          conflicts: Iterable[CellConflict] = (), keep_open: Iterable[tuple[str, str]] = (),
          only: set[str] | None = None, page: int = 1, status: str = "") -> Grid:
    """The grid of a task's report.

    A cell is an input when it is empty (missing, or an optional one), refused, in conflict,
    or in `keep_open` (the cells of a row just saved on its own, so the worker can still
    correct them). `only` keeps those rows (a row saved); otherwise the rows with something
    to type, refused rows first, then those with required cells empty, in the sheet's order,
    a page at a time. `status` marks the rows of `only` (saved).
    """
    typed, errors = typed or {}, errors or {}
    clashes = {(c.row_key, c.column): c for c in conflicts}
    keep = set(keep_open)
    columns = [column_of(c, rules) for c in task.request.columns]
    codes = [r.key[2:] for r in report.rows if r.key.startswith("o:")]
    units = {u.code: u for u in OrgUnit.objects.filter(code__in=codes).select_related("parent")} if codes else {}
    rows = []
    for row in report.rows:
        if only is not None and row.key not in only:
            continue
        storable = row.key.startswith(EDITABLE_ROWS)
        cells = []
        for column, cell in zip(columns, row.cells, strict=True):
            key = (row.key, column.column)
            empty = cell.source in (prefill.MISSING, prefill.OPTIONAL)
            editable = storable and (column.element is not None or row.key.startswith("o:")) and (
                empty or key in clashes or key in errors or key in keep)
            # An input holds only what was typed into it, never a stored (masked) value.
            value = typed.get(key, "") if editable else shown(rules, cell, row.key)
            version_of = version_key(*key)
            cells.append(GridCell(
                column, value, editable, errors.get(key), clashes.get(key),
                (f"ver|{version_of}", versions.get(version_of, 0))
                if editable and version_of != row.key else None,
                editable and column.kind == "select" and bool(value) and value not in column.choices))
        required_left = sum(1 for col, c in zip(columns, row.cells, strict=True)
                            if c.source == prefill.MISSING and not col.optional)
        if only is None and not any(c.editable for c in cells):
            continue
        problem = any(c.error or c.conflict for c in cells)
        rows.append(GridRow(row.key, row_label(row, units), cells,
                            (f"ver|{row.key}", versions[row.key]) if row.key in versions else None,
                            "conflict" if any(c.conflict for c in cells) else "error" if problem else status,
                            required_left))
    if only is None:
        # Refused rows first (the worker decides those before anything else), then the rows
        # with required cells left, in the sheet's own order.
        rows.sort(key=lambda r: (not r.problems, r.required_left == 0))
    grid = Grid(columns, total_rows=len(rows))
    size = page_size(rows)
    grid.pages = max(1, -(-len(rows) // size))
    grid.page = min(max(1, page), grid.pages)
    grid.rows = rows[(grid.page - 1) * size:grid.page * size] if only is None else rows
    grid.fill_columns = {c.column.column for r in grid.rows for c in r.cells if c.editable}
    return grid


def page_size(rows: list[GridRow]) -> int:
    """Rows per page: PAGE, or fewer when 保存 posting the whole page (each input, its own
    version field, the row's version) would pass DATA_UPLOAD_MAX_NUMBER_FIELDS, which
    refuses such a post whole, the typing with it (200 rows of 5 inputs are 1,200 fields)."""
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    if limit is None or not rows:
        return PAGE
    widest = max(sum(1 + (c.version is not None) for c in r.cells if c.editable) + (r.version is not None)
                 for r in rows)
    return max(1, min(PAGE, (limit - 10) // max(1, widest)))  # 10: the token, the page number, spare
