"""`inspect_files`: the JSON contract the CLI (`yibiao template inspect --json`) prints."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from ..sheets import SheetLayout, Workbook, read_workbook
from .dictionary import Dictionary
from .matcher import LearnedAlias, Matcher, SheetMatch


def match_layout(matcher: Matcher, sheet: SheetLayout) -> SheetMatch:
    """Match one read sheet: header paths, title (or sheet name) and sample values."""
    title = sheet.title or sheet.name
    return matcher.match_sheet([c.path for c in sheet.columns], title, [c.samples for c in sheet.columns],
                               sheet.layout)


def sheet_json(sheet: SheetLayout, match: SheetMatch, learned_indicators: dict | None = None) -> dict:
    """An aggregate adds `rows` (what one row is: org units of a level, or categories) and
    each count column's `indicator` (reports/indicators.py)."""
    indicators: list = [None] * len(sheet.columns)
    rows = None
    if sheet.layout == "aggregate":
        from yibiao.reports.indicators import read_aggregate  # pure; imported when used

        reading = read_aggregate(sheet, [m.element for m in match.columns], learned_indicators)
        rows, indicators = reading.rows, [i.as_dict() if i else None for i in reading.columns]
    return {
        "name": sheet.name,
        "layout": sheet.layout,
        "header_rows": list(sheet.header_rows),
        "data_start_row": sheet.data_start_row,
        **({"rows": rows} if sheet.layout == "aggregate" else {}),
        "columns": [
            {"column": c.letter, "index": c.index, "header": c.header, "path": list(c.path),
             "element": m.element, "confidence": m.confidence, "status": m.status,
             **({"cell": c.cell} if c.cell else {}), **({"derive": m.derive} if m.derive else {}),
             **({"indicator": indicator} if sheet.layout == "aggregate" else {})}
            for c, m, indicator in zip(sheet.columns, match.columns, indicators, strict=True)
        ],
    }


def inspect_files(paths: Sequence[str | Path], dictionary: Dictionary | None = None,
                  learned: Iterable[LearnedAlias] = ()) -> list[dict]:
    """Read and match each file; the dictionary is loaded once for all of them.

    A refused file (SheetError) propagates: the caller decides whether one bad file stops
    the batch. Hidden sheets are included; callers may filter on the layout's `hidden`.
    """
    matcher = Matcher(dictionary, learned)
    out = []
    for path in paths:
        book = read_workbook(path)
        out.append({"file": str(path),
                    "sheets": [sheet_json(s, match_layout(matcher, s)) for s in book.sheets],
                    **warnings_json(book)})
    return out


def warnings_json(book: Workbook) -> dict:
    """The file's notices (macros not run, formulas without results …), when it has any."""
    if not book.warnings:
        return {}
    return {"warnings": [{"code": w.code, "message": w.message, "message_en": w.message_en}
                         for w in book.warnings]}
