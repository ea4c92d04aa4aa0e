"""What one read of a spreadsheet may cost: a deadline and a memory allowance.

A file can pass every safety check and still be too much to read on a shared server (a
1,000,000-row roster, a merged range down to row 1,048,576). The readers call
`Budget.check()` inside their loops, every few thousand rows or each chunk, and stop with
a coded SheetError as soon as the deadline passes or the process has grown by more than
the allowance since the read began. Checked in the loops rather than by a signal or a
child process: the web worker, the job worker and the CLI all run the same code, in any
thread.
"""
from __future__ import annotations

import os
import resource
import sys
import time

from .errors import SheetError

MIB = 1024 * 1024
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss_bytes() -> int:
    """The process's resident memory now (Linux), else its peak so far (other systems)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


class Budget:
    """A deadline (`seconds`) and an allowance of memory growth (`memory_bytes`) for one read.

    None means no limit. `file` names the file in refusals (the name the user gave it,
    not where the server keeps it).
    """

    def __init__(self, file: str, *, seconds: float | None = None, memory_bytes: int | None = None) -> None:
        self.file = file
        self.seconds = seconds
        self.memory_bytes = memory_bytes
        self.started = time.monotonic()
        self.deadline = self.started + seconds if seconds is not None else None
        self.baseline = rss_bytes() if memory_bytes is not None else 0

    def check(self, sheet: str = "") -> None:
        """Raise over_time_limit or over_memory_limit if the read has spent its budget."""
        if self.deadline is not None and time.monotonic() > self.deadline:
            spent = time.monotonic() - self.started
            raise SheetError("over_time_limit", {
                "file": self.file, "sheet": sheet, "limit": f"{self.seconds:g} 秒",
                "detail": f"已用 {spent:.1f} 秒", "detail_en": f"{spent:.1f} s spent"})
        if self.memory_bytes is not None:
            grown = rss_bytes() - self.baseline
            if grown > self.memory_bytes:
                self.refuse_memory(sheet, f"已增加 {grown // MIB} MB", f"grew by {grown // MIB} MB")

    def fits(self, estimate: int, sheet: str) -> None:
        """Refuse before a one-shot allocation (a parser's dense grid) the allowance cannot hold."""
        if self.memory_bytes is not None and estimate > self.memory_bytes:
            self.refuse_memory(sheet, f"估计需要 {estimate // MIB} MB", f"an estimated {estimate // MIB} MB")

    def refuse_memory(self, sheet: str, detail: str, detail_en: str) -> None:
        raise SheetError("over_memory_limit", {
            "file": self.file, "sheet": sheet, "limit": f"{self.memory_bytes // MIB} MB",
            "detail": detail, "detail_en": detail_en})

    def rows(self, count: int, limit: int, sheet: str, *, at_least: bool = False) -> None:
        """Refuse a sheet of `count` rows when over `limit` (the row limit of one read)."""
        if count > limit:
            shown = f"{'至少 ' if at_least else ''}{count}"
            raise SheetError("over_row_limit", {
                "file": self.file, "sheet": sheet, "limit": str(limit), "detail": shown,
                "detail_en": f"{'at least ' if at_least else ''}{count}"})
