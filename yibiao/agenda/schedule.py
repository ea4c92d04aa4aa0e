"""When a work item happens: its occurrences, and the weeks and quarters load is counted in.

Pure date arithmetic, no database: a one-off item is one window (start–end); a recurring
one is one window per period of its frequency, clipped to start–end.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from yibiao.reports.periods import period_of

DAY = dt.timedelta(days=1)


@dataclass(frozen=True, order=True)
class Window:
    start: dt.date
    end: dt.date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def overlap_days(self, other: Window) -> int:
        first, last = max(self.start, other.start), min(self.end, other.end)
        return max(0, (last - first).days + 1)

    def overlaps(self, other: Window) -> bool:
        return self.overlap_days(other) > 0


def occurrences(start: dt.date, end: dt.date, frequency: str,
                within: Window | None = None) -> list[Window]:
    """The item's windows (optionally only those touching `within`)."""
    if end < start:
        return []
    if frequency in ("once", ""):
        windows = [Window(start, end)]
    else:
        windows = []
        day = start
        while day <= end:
            period = period_of(frequency, day)
            windows.append(Window(max(start, period.start), min(end, period.end)))
            day = period.end + DAY
    if within is not None:
        windows = [w for w in windows if w.overlaps(within)]
    return windows


def weeks(window: Window) -> Iterator[Window]:
    """ISO weeks (Monday–Sunday) touching the window."""
    monday = window.start - dt.timedelta(days=window.start.weekday())
    while monday <= window.end:
        yield Window(monday, monday + dt.timedelta(days=6))
        monday += dt.timedelta(days=7)


def quarters(window: Window) -> Iterator[Window]:
    day = window.start
    while day <= window.end:
        period = period_of("quarterly", day)
        yield Window(period.start, period.end)
        day = period.end + DAY


def quarter_key(window: Window) -> str:
    return f"{window.start.year}Q{(window.start.month - 1) // 3 + 1}"
