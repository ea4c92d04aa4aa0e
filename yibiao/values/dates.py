"""Dates in the shapes people type them, plus Excel's serial numbers and 出生年月 (year-month)."""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Literal

from .messages import Note, ValueProblem
from .normalise import compact, halfwidth

# Excel's 1900 date system counts day 1 = 1900-01-01 and, copying Lotus 1-2-3, a
# 1900-02-29 that never existed (serial 60). After it, serial n is 1899-12-30 + n days.
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_EXCEL_FAKE_LEAP_DAY = 60
_EXCEL_MAX_SERIAL = 2958465  # 9999-12-31
_USUAL_YEARS = range(1900, 2101)

# Day precision first, then year-month; the order matters ("2026.11" is a month, not a serial).
_PATTERNS: tuple[tuple[re.Pattern[str], Literal["day", "month"]], ...] = (
    (re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"), "day"),
    (re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})[日号]?$"), "day"),
    (re.compile(r"^(\d{4})(\d{2})(\d{2})$"), "day"),
    (re.compile(r"^(\d{4})年(\d{1,2})月?$"), "month"),
    (re.compile(r"^(\d{4})[-/.](\d{1,2})$"), "month"),
    (re.compile(r"^(\d{4})(\d{2})$"), "month"),
)
_YEAR_ONLY = re.compile(r"^(\d{4})年?$")
_SERIAL = re.compile(r"^\d{1,7}(\.\d+)?$")
# A time after the date, as exported by databases and Excel: "2026-11-01 08:30:00".
_TIME = re.compile(r"^(.+?)(?:\s+|T)(\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)$")


@dataclass(frozen=True)
class DateValue:
    """A calendar date, or a year and month when that is all the form asks (出生年月)."""

    year: int
    month: int
    day: int | None = None

    @property
    def precision(self) -> Literal["day", "month"]:
        return "month" if self.day is None else "day"

    @property
    def date(self) -> dt.date:
        """The date itself; for a year-month, its first day (for sorting and age sums)."""
        return dt.date(self.year, self.month, self.day or 1)

    def isoformat(self) -> str:
        """2026-11-01, or 2026-11 for a year-month."""
        ym = f"{self.year:04d}-{self.month:02d}"
        return ym if self.day is None else f"{ym}-{self.day:02d}"

    def display_zh(self) -> str:
        """2026年11月1日 or 1949年12月, as printed on forms."""
        ym = f"{self.year}年{self.month}月"
        return ym if self.day is None else f"{ym}{self.day}日"

    @classmethod
    def of(cls, day: dt.date) -> DateValue:
        return cls(day.year, day.month, day.day)


@dataclass(frozen=True)
class DateResult:
    value: DateValue
    notes: tuple[Note, ...] = ()


def _build(shown: str, year: int, month: int, day: int | None) -> DateValue:
    if not 1 <= month <= 12:
        raise ValueProblem.make("date_bad_month", value=shown, month=month)
    if year < 1:
        raise ValueProblem.make("date_bad", value=shown)
    if day is not None:
        days = calendar.monthrange(year, month)[1]
        if not 1 <= day <= days:
            raise ValueProblem.make("date_bad_day", value=shown, year=year, month=month, days=days)
    return DateValue(year, month, day)


def from_excel_serial(serial: float, shown: str | None = None) -> dt.date:
    """The date of an Excel serial number (1900 system); the time of day is dropped."""
    shown = shown if shown is not None else str(serial)
    whole = math.floor(serial)
    if not 1 <= whole <= _EXCEL_MAX_SERIAL:
        raise ValueProblem.make("date_excel_range", value=shown)
    if whole == _EXCEL_FAKE_LEAP_DAY:
        raise ValueProblem.make("date_excel_1900_02_29", value=shown)
    offset = whole + 1 if whole < _EXCEL_FAKE_LEAP_DAY else whole
    return _EXCEL_EPOCH + dt.timedelta(days=offset)


def _from_number(raw: int | float, shown: str) -> DateResult:
    """A number from a spreadsheet cell: YYYYMMDD, YYYYMM, a year.month, or a serial."""
    if isinstance(raw, float) and not raw.is_integer() and 1800 <= raw < 2200:
        # A year.month typed into a number cell: Excel stores 1949.10 as 1949.1.
        year, _, fraction = repr(raw).partition(".")
        notes: tuple[Note, ...] = ()
        if fraction == "1":
            notes = (Note.make("date_month_maybe_10", value=shown, year=year),)
        return DateResult(_build(shown, int(year), int(fraction), None), notes)
    if float(raw).is_integer():
        return _from_text(str(int(raw)), shown, numeric=True)
    return DateResult(DateValue.of(from_excel_serial(raw, shown)))


def _from_text(text: str, shown: str, *, numeric: bool = False) -> DateResult:
    notes: list[Note] = []
    timed = _TIME.match(text)
    if timed:
        text, clock = timed.group(1), timed.group(2)
        if re.search(r"[1-9]", clock):  # only midnight is "no time at all"
            notes.append(Note.make("date_time_dropped", value=shown, time=clock))
    text = compact(text)
    for pattern, precision in _PATTERNS:
        match = pattern.match(text)
        if match and not (numeric and precision == "month" and not 1 <= int(match.group(2)) <= 12):
            groups = [int(g) for g in match.groups()]
            value = _build(shown, groups[0], groups[1], groups[2] if precision == "day" else None)
            if value.year not in _USUAL_YEARS:
                notes.append(Note.make("date_year_unusual", value=shown, year=value.year))
            return DateResult(value, tuple(notes))
    year_only = _YEAR_ONLY.match(text)
    if year_only:
        raise ValueProblem.make("date_year_only", value=year_only.group(1))
    if _SERIAL.match(text):
        return DateResult(DateValue.of(from_excel_serial(float(text), shown)), tuple(notes))
    raise ValueProblem.make("date_bad", value=shown)


def parse_date_with_notes(raw: object) -> DateResult:
    """Like :func:`parse_date`, also returning the remarks made on the way."""
    if isinstance(raw, dt.datetime):
        notes: tuple[Note, ...] = ()
        if raw.time() != dt.time():
            notes = (Note.make("date_time_dropped", value=str(raw), time=raw.time().isoformat()),)
        return DateResult(DateValue.of(raw.date()), notes)
    if isinstance(raw, dt.date):
        return DateResult(DateValue.of(raw))
    if isinstance(raw, DateValue):
        return DateResult(raw)
    if isinstance(raw, bool):
        raise ValueProblem.make("date_bad", value=str(raw))
    if isinstance(raw, int | float):
        return _from_number(raw, str(raw))
    shown = str(raw).strip()
    text = halfwidth(shown).strip()
    if not text:
        raise ValueProblem.make("empty")
    return _from_text(text, shown)


def parse_date(raw: object) -> DateValue:
    """Parse 2026-11-01, 2026/11/1, 2026.11.01, 20261101, 2026年11月1日, 2026年11月 (month
    precision), Excel serials, date/datetime objects; raise :class:`ValueProblem` if impossible."""
    return parse_date_with_notes(raw).value
