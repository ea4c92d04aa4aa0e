"""iCalendar (RFC 5545) written by hand: a few dozen lines beat a dependency for all-day events.

Text values escaped (§3.3.11), content lines folded at 75 octets without splitting a
UTF-8 character (§3.1), CRLF line ends, all-day events as VALUE=DATE with an exclusive
DTEND (§3.6.1).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

LIMIT = 75  # octets per line, CRLF excluded


@dataclass
class IcsEvent:
    uid: str
    summary: str
    start: dt.date
    end: dt.date  # inclusive; written as the day after
    description: str = ""
    categories: tuple[str, ...] = ()
    url: str = ""


def escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def fold(line: str) -> list[str]:
    """Split a content line into pieces of at most 75 octets; continuations begin with a space."""
    pieces, current, size = [], "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > LIMIT:
            pieces.append(current)
            current, size = " ", 1
        current += char
        size += width
    pieces.append(current)
    return pieces


def calendar(name: str, events: list[IcsEvent], stamp: dt.datetime) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//yibiao//一表通 联合日历//ZH",
             "CALSCALE:GREGORIAN", "METHOD:PUBLISH", f"X-WR-CALNAME:{escape(name)}",
             "X-WR-TIMEZONE:Asia/Shanghai"]
    utc = stamp.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    for event in events:
        lines += ["BEGIN:VEVENT", f"UID:{event.uid}", f"DTSTAMP:{utc}",
                  f"DTSTART;VALUE=DATE:{event.start:%Y%m%d}",
                  f"DTEND;VALUE=DATE:{event.end + dt.timedelta(days=1):%Y%m%d}",
                  f"SUMMARY:{escape(event.summary)}", "TRANSP:TRANSPARENT"]
        if event.description:
            lines.append(f"DESCRIPTION:{escape(event.description)}")
        if event.categories:
            lines.append("CATEGORIES:" + ",".join(escape(c) for c in event.categories))
        if event.url:
            lines.append(f"URL:{event.url}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(piece + "\r\n" for line in lines for piece in fold(line)).encode("utf-8")
