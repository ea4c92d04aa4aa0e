"""Reporting periods as people write them: 2026-11, 2026W48, 2026Q4, 2026."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from yibiao.refusals import Refusal


class PeriodError(Refusal, ValueError):
    """A reporting period that cannot be read: bad input (400), a ValueError too, as before."""

    status = 400


@dataclass(frozen=True, order=True)
class Period:
    start: dt.date
    end: dt.date
    key: str

    @property
    def shown(self) -> str:
        """The period in the page's language (2026年第4季度, 2026年第4季度, 2026 Q4); `label`
        stays Simplified Chinese, as it is written into the department's file."""
        if "W" in self.key:
            year, week = self.key.split("W")
            return _("%(year)s年第%(week)s周") % {"year": year, "week": int(week)}
        if "Q" in self.key:
            year, quarter = self.key.split("Q")
            return _("%(year)s年第%(quarter)s季度") % {"year": year, "quarter": quarter}
        if "-" in self.key:
            year, month = self.key.split("-")
            return _("%(year)s年%(month)s月") % {"year": year, "month": int(month)}
        return _("%(year)s年") % {"year": self.key}

    @property
    def label(self) -> str:
        if "W" in self.key:
            year, week = self.key.split("W")
            return f"{year}年第{int(week)}周"
        if "Q" in self.key:
            year, quarter = self.key.split("Q")
            return f"{year}年第{quarter}季度"
        if "-" in self.key:
            year, month = self.key.split("-")
            return f"{year}年{int(month)}月"
        return f"{self.key}年"


_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.I)
_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.I)
_YEAR = re.compile(r"^(\d{4})$")


# Years a reporting period can fall in; beyond them dates overflow (year 0, 9999 + a week).
YEARS = range(1900, 3000)


def parse_period(text: str) -> Period:
    text = text.strip()
    if (year := re.match(r"^(\d{4})", text)) and int(year[1]) not in YEARS:
        raise PeriodError("period_year", text=text, first=YEARS.start, last=YEARS.stop - 1)
    if m := _MONTH.match(text):
        year, month = int(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise PeriodError("period_month", text=text)
        last = calendar.monthrange(year, month)[1]
        return Period(dt.date(year, month, 1), dt.date(year, month, last), f"{year}-{month:02d}")
    if m := _WEEK.match(text):
        year, week = int(m[1]), int(m[2])
        try:
            start = dt.date.fromisocalendar(year, week, 1)
        except ValueError:
            raise PeriodError("period_week", text=text) from None
        return Period(start, start + dt.timedelta(days=6), f"{year}W{week:02d}")
    if m := _QUARTER.match(text):
        year, quarter = int(m[1]), int(m[2])
        first = 3 * quarter - 2
        last_month = first + 2
        return Period(dt.date(year, first, 1),
                      dt.date(year, last_month, calendar.monthrange(year, last_month)[1]),
                      f"{year}Q{quarter}")
    if m := _YEAR.match(text):
        year = int(m[1])
        return Period(dt.date(year, 1, 1), dt.date(year, 12, 31), str(year))
    raise PeriodError("period_unreadable", text=text)


def period_of(frequency: str, day: dt.date) -> Period:
    """The period of this frequency that contains the day (once: the day's month)."""
    if frequency == "weekly":
        year, week, _ = day.isocalendar()
        return parse_period(f"{year}W{week}")
    if frequency == "quarterly":
        return parse_period(f"{day.year}Q{(day.month - 1) // 3 + 1}")
    if frequency == "yearly":
        return parse_period(str(day.year))
    return parse_period(f"{day.year}-{day.month}")


def previous(period: Period, frequency: str) -> Period:
    return period_of(frequency, period.start - dt.timedelta(days=1))
