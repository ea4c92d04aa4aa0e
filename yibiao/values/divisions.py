"""Names of 6-digit division codes (GB/T 2260) as people know them today.

The current names come from the statistical division table shipped in
``yibiao/data/divisions`` (the same table the org-unit tree is built from), so 430104
reads 湖南省长沙市岳麓区 everywhere. python-stdnum's birthplace table also knows codes that
were abolished (110103 崇文区, merged into 东城区 in 2010): ID numbers and old rosters
still carry them, so they are named too, but marked as an old name, never passed off as
a place that exists.
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path

from stdnum import numdb

DIVISIONS_DIR = Path(__file__).resolve().parent.parent / "data" / "divisions"
# Placeholder names that add nothing to a full name (北京市 + 市辖区 + 东城区 → 北京市东城区).
SILENT_NAMES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})
# Appended to a name taken from the historical table: the code no longer exists.
OLD_NAME_MARK = "（旧区划名）"


@functools.cache
def _current_table() -> dict[str, str]:
    """Code → own name for provinces (2 digits), cities (4) and counties (6)."""
    names: dict[str, str] = {}
    for filename in ("provinces.csv", "cities.csv", "areas.csv"):
        with open(DIVISIONS_DIR / filename, encoding="utf-8", newline="") as handle:
            names.update((row["code"], row["name"]) for row in csv.DictReader(handle))
    return names


def current_name(code: str) -> str | None:
    """湖南省长沙市岳麓区 for 430104 (and 湖南省长沙市 for 4301 or 430100); None when the
    code is not in the current table."""
    code = code.strip()
    if not (code.isdigit() and len(code) in (2, 4, 6)):
        return None
    while len(code) > 2 and code.endswith("00"):  # 430100 is the city 4301, 430000 the province
        code = code[:-2]
    table = _current_table()
    if code not in table:
        return None
    parts = [table.get(code[:n]) for n in (2, 4, 6) if n <= len(code)]
    if any(part is None for part in parts):
        return None
    return "".join(part for part in parts if part not in SILENT_NAMES) or table[code]


def historical_name(code: str) -> str | None:
    """The last name stdnum's table gives an abolished code, marked as old; None when the
    code never existed or is still in force there (then it is simply newer than our table)."""
    info: dict[str, str] = {}
    for _part, props in numdb.get("cn/loc").info(code):
        info.update(props)
    if "county" not in info:
        return None
    last = info["county"].split(",")[-1]
    ended = False
    if last.startswith("["):
        span, last = last[1:].split("]", 1)
        ended = bool(span.split("-")[1])
    province = info.get("province", "")
    name = last if last == province else province + last
    return name + OLD_NAME_MARK if ended else name


@functools.lru_cache(maxsize=8192)
def division_name(code: str) -> str | None:
    """The name people know a 6-digit code by: the current table's, else an old name
    marked as such; None when the code never existed."""
    return current_name(code) or historical_name(code)
