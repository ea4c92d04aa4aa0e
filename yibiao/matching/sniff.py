"""What sample values look like: a column of valid ID numbers is an ID column.

Kinds are checked in order; the first that fits wins. ID numbers need a valid GB 11643
check digit, so a 18-digit order number does not pass as one.
"""
from __future__ import annotations

import re
from collections import Counter

from yibiao.values import ValueProblem, parse_id_number

_MOBILE = re.compile(r"^(?:\+?86)?1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^(?:0\d{2,3}-?)?[2-9]\d{6,7}(?:-\d{1,5})?$")
_DATE = re.compile(
    r"^(?:19|20)\d{2}(?:[-/.年]\d{1,2}(?:[-/.月]\d{1,2}日?)?月?|\d{2}\d{2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$"
)
_INTEGER = re.compile(r"^-?\d{1,6}$")
_DECIMAL = re.compile(r"^-?\d+\.\d+$")

# value_type of an element -> the sample kinds that agree with it
AGREES: dict[str, frozenset[str]] = {
    "id_number": frozenset({"id_number"}),
    "phone": frozenset({"mobile", "landline"}),
    "date": frozenset({"date"}),
    "integer": frozenset({"integer"}),
    "decimal": frozenset({"integer", "decimal"}),
}
# kinds so specific that a text element holding them is the wrong match
TELLING = frozenset({"id_number", "mobile", "date"})
# what an unmatched column whose values are all of one kind probably is
KIND_GUESS: dict[str, str] = {"id_number": "person.id_number", "mobile": "person.phone"}


def _is_id(s: str) -> bool:
    """The ledger's own rule (check digit, birth date, any division code that ever existed):
    stdnum's is_valid also rejects a code not yet in force in the birth year, which would
    make a real ID column look like text."""
    if len(s) != 18:
        return False
    try:
        parse_id_number(s)
    except ValueProblem:
        return False
    return True


def kind_of(value: str) -> str:
    """id_number | mobile | landline | date | integer | decimal | text."""
    s = value.strip().replace(" ", "")
    if not s:
        return "empty"
    if _is_id(s.upper()):
        return "id_number"
    if _MOBILE.match(s):
        return "mobile"
    if _DATE.match(s):
        return "date"
    if _INTEGER.match(s):
        return "integer"
    if _LANDLINE.match(s):
        return "landline"
    if _DECIMAL.match(s):
        return "decimal"
    return "text"


def dominant_kind(samples: list[str], share: float = 0.6) -> str | None:
    """The kind most samples share, if at least two samples and `share` of them agree."""
    kinds = [k for k in (kind_of(s) for s in samples) if k != "empty"]
    if len(kinds) < 2:
        return None
    kind, n = Counter(kinds).most_common(1)[0]
    return kind if n >= share * len(kinds) else None
