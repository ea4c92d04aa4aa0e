"""Excel in: read department templates (header block, layout kind) and data rows safely.

Pure Python, no Django: usable from the CLI, the web app and tests alike.
"""
from __future__ import annotations

from .errors import MESSAGES_EN, MESSAGES_ZH, SheetError, SheetWarning
from .model import LAYOUTS, Blank, Column, Note, SheetLayout, Workbook
from .reader import iter_rows, read_workbook
from .safety import DEFAULT_LIMITS, Limits, inspect_file

__all__ = [
    "DEFAULT_LIMITS", "LAYOUTS", "MESSAGES_EN", "MESSAGES_ZH", "Blank", "Column", "Limits",
    "Note", "SheetError", "SheetLayout", "SheetWarning", "Workbook", "inspect_file",
    "iter_rows", "read_workbook",
]

# Excel out: fill a department's template (appended; the names above are the reading side).
# `fill` is the entry; the two writers it chooses between stay public for tests and benches.
from .filling import STREAMED_LAYOUTS, FillColumn, fill  # noqa: E402
from .notes import NOTES, note, note_en  # noqa: E402
from .stream import fill_template_streaming  # noqa: E402
from .writer import FillResult, fill_template  # noqa: E402

__all__ += ["NOTES", "STREAMED_LAYOUTS", "FillColumn", "FillResult", "fill", "fill_template",
            "fill_template_streaming", "note", "note_en"]
