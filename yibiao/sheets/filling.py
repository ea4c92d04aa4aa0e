"""Excel out, the one way in: `fill` writes rows into a copy of a department's template.

It decides which writer runs (`STREAMED_LAYOUTS`) and how every value is written, so both
writers receive the same values: each column the way the template asks (formats.py: its
dropdowns, number formats, notes), and text a spreadsheet would read as a formula quoted
(cells.py). `fill_template` and `fill_template_streaming` stay public for tests and
benchmarks that need one writer in particular.
"""
from __future__ import annotations

import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .cells import safe_cell, safe_row
from .formats import (
    ColumnFormat,
    ElementKind,
    Rendered,
    SheetFormats,
    is_identity,
    plan_for,
    read_formats,
)
from .model import SheetLayout
from .notes import note
from .stream import fill_template_streaming
from .writer import FillResult, fill_template

# Layouts filled by the streaming writer: the template's own package copied, only the data
# rows written as XML, rows consumed one at a time (flat memory at 100,000 rows). Every
# other layout goes through openpyxl in place (`fill_template`): a card (登记表) is one sheet
# per subject, and an aggregate's 合计 row without formulas gets SUMs and a note, which
# only the in-place writer does; an aggregate has one row per unit below, so it is small.
STREAMED_LAYOUTS = frozenset({"list"})


@dataclass(frozen=True)
class FillColumn:
    """One position of a row: the template column it fills (`Column.index`) and what its data
    element is (from the dictionary, for yes/no words, code lists, dates); `index` None: the
    value is written as given (a count under an indicator)."""

    index: int | None
    element: ElementKind | None = None
    cell: str | None = None  # a card's field: its value cell (fields share column letters)


def fill(template: Path, out: Path, layout: SheetLayout, rows: Iterable[Sequence[object]], *,
         blanks: Mapping[str, object] | None = None,
         columns: Sequence[FillColumn] | None = None) -> FillResult:
    """Fill sheet `layout.name` of `template` into `out` with `rows` (any iterable; a list
    layout is streamed, others filled in place) and the 填报单位-style `blanks` (label -> value).

    `columns` says, per position of a row, where its value goes (default: `layout.columns`
    in order, elements unknown). Values the template's format cannot take are left blank
    and noted. An .xls template comes back as .xlsx (the returned path says where).
    """
    sheet = layout.name
    safe_blanks = {label: safe_cell(value) for label, value in (blanks or {}).items()}
    as_asked = _AsAsked(template, layout, columns if columns is not None else
                        [FillColumn(c.index, cell=c.cell) for c in layout.columns])
    # Both writers store text as text already; quoting what a spreadsheet would read as a
    # formula (OWASP) keeps the file safe when the department saves it again as CSV.
    if layout.layout in STREAMED_LAYOUTS:
        result = fill_template_streaming(template, out, sheet=sheet, layout=layout, blanks=safe_blanks,
                                         rows=(safe_row(as_asked.row(list(r))) for r in rows))
    else:
        result = fill_template(template, out, sheet=sheet, layout=layout,
                               rows=[safe_row(as_asked.row(list(r))) for r in rows], blanks=safe_blanks)
    result.notes.extend(as_asked.notes())
    return result


class _AsAsked:
    """Each row's values written the way the template's columns ask (formats.render); what
    cannot be written so is left blank and counted."""

    def __init__(self, template: Path, layout: SheetLayout, columns: Sequence[FillColumn]) -> None:
        try:
            formats = read_formats(template, layout.name, layout)
        except (ValueError, KeyError, OSError, zipfile.BadZipFile):
            formats = SheetFormats()  # nothing inferred: values as given
        self.columns: list[ColumnFormat | None] = []
        # Per column, how a value is written (formats.render, decided once); columns whose
        # values go out as given are skipped: a 100,000-row export pays only for the rest.
        self.plans: list[tuple[int, Callable[[object], Rendered]]] = []
        for i, column in enumerate(columns):
            fmt = formats.of(column.index, column.cell) if column.index is not None else None
            self.columns.append(fmt)
            if fmt is not None:
                plan = plan_for(fmt, column.element)
                if not is_identity(plan):
                    self.plans.append((i, plan))
        self.left: dict[int, Counter[str]] = defaultdict(Counter)

    def row(self, values: list[object]) -> list[object]:
        for i, plan in self.plans:
            if i >= len(values) or values[i] is None or values[i] == "":
                continue
            value, problem = plan(values[i])
            if problem is not None:
                self.left[i][problem] += 1
            values[i] = value
        return values

    def notes(self) -> list[str]:
        out = []
        for i, problems in sorted(self.left.items()):
            fmt = self.columns[i]
            out.append(note("format_left_blank", column=fmt.letter if fmt else i + 1, header=fmt.header if fmt else "",
                            count=sum(problems.values()),
                            problems="；".join(f"{p}（{n} 格）" for p, n in problems.most_common(3))))
        return out
