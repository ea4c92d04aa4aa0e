"""What reading a template returns: plain dataclasses, serialisable with `asdict`."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .errors import SheetWarning

LAYOUTS = ("list", "aggregate", "card")


@dataclass
class Column:
    """One header column (list/aggregate) or one labelled field (card).

    `index`/`letter` are the data column; for a card they point at the value cell beside
    the label and `cell` holds its address. `header` is the leaf text exactly as in the file.
    """

    index: int
    letter: str
    header: str
    path: list[str]
    hidden: bool = False
    samples: list[str] = field(default_factory=list)
    cell: str | None = None


@dataclass
class Blank:
    """A 填报单位/填报日期/填报人-style blank outside the table: label and where it sits."""

    label: str
    cell: str
    text: str
    value: str = ""


@dataclass
class Note:
    row: int
    text: str


@dataclass
class RowDimension:
    """What the rows of an aggregate (统计表) are: org units or categories.

    `kind` is "org" (one row per org unit: `level` is township | community | grid, or
    "child" for a column that names no level, 单位/地区) or "category" (the template's own
    row labels, `labels`, each a condition such as 0-17岁 or 男). `column` is the 1-based
    index of the column holding the row's name; `reason` says what gave it away.
    """

    kind: str
    column: int
    letter: str
    header: str
    level: str | None = None
    labels: list[str] = field(default_factory=list)
    label_rows: list[int] = field(default_factory=list)
    reason: str = ""


@dataclass
class SheetLayout:
    name: str
    layout: str
    header_rows: tuple[int, int]
    data_start_row: int
    title: str = ""
    columns: list[Column] = field(default_factory=list)
    blanks: list[Blank] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    totals_rows: list[int] = field(default_factory=list)
    hidden_rows: list[int] = field(default_factory=list)
    hidden_columns: list[int] = field(default_factory=list)
    sample_rows: list[int] = field(default_factory=list)
    data_end_row: int = 0
    hidden: bool = False
    rows: RowDimension | None = None  # aggregates: what one row is (sheets/aggregate.py)


@dataclass
class Workbook:
    path: Path
    format: str  # "xlsx" | "xls"
    sheets: list[SheetLayout] = field(default_factory=list)
    warnings: list[SheetWarning] = field(default_factory=list)

    def sheet(self, name: str) -> SheetLayout:
        """The sheet called `name` (KeyError if absent)."""
        for s in self.sheets:
            if s.name == name:
                return s
        raise KeyError(name)
