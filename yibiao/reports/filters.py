"""Which subjects a report lists, and what an aggregate column counts — as data.

A condition is {"element": "person.age", "op": ">=", "value": "60"}; values may name the
period ("{period_start}", "{period_end}") so "in quarantine during the period" is two
conditions. Aggregate headers people write (60岁以上老人数, 独居老人, 低保户数) are read
into the same conditions by reports/indicators.py, from tables, not by code per form.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation

from .periods import Period

Condition = dict[str, str]


def _number(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except (InvalidOperation, TypeError, ValueError):
        return None


def _compare(op: str) -> Callable[[str, str], bool]:
    def compare(left: str, right: str) -> bool:
        a, b = _number(left), _number(right)
        x, y = (a, b) if a is not None and b is not None else (left, right)
        return {"=": x == y, "!=": x != y, ">=": x >= y, "<=": x <= y, ">": x > y,
                "<": x < y}[op]
    return compare


OPS: dict[str, Callable[[str | None, str], bool]] = {
    **{op: (lambda f: lambda v, ref: v not in (None, "") and f(v, ref))(_compare(op))
       for op in ("=", "!=", ">=", "<=", ">", "<")},
    "present": lambda v, _: v not in (None, "", "0"),
    "absent": lambda v, _: v in (None, "", "0"),
    "in": lambda v, ref: v in ref.split("|"),
}


def resolve(value: str, period: Period) -> str:
    return (value.replace("{period_start}", period.start.isoformat())
            .replace("{period_end}", period.end.isoformat()))


def _in_quarantine(values: Mapping[str, str | None], period: Period) -> str:
    """Quarantined at some time in the period: began by its end, had not ended before its
    start (no end date yet counts as still in quarantine)."""
    start, end = values.get("person.quarantine_start"), values.get("person.quarantine_end")
    during = bool(start) and start <= period.end.isoformat() and (
        not end or end >= period.start.isoformat())
    return "1" if during else "0"


# Elements a filter may name that no ledger stores: computed from stored ones and the
# period, here, so the report, the analysis and the API compute them alike.
# code -> (name, subject, value type, other spellings, elements read, function).
DERIVED_FILTER_ELEMENTS: dict[str, tuple[str, str, str, tuple[str, ...], tuple[str, ...],
                                         Callable[[Mapping[str, str | None], Period], str]]] = {
    "person.in_quarantine": ("隔离中", "person", "boolean",
                             ("在隔离期", "隔离期间", "正在隔离", "处于隔离期", "本期隔离", "quarantined"),
                             ("person.quarantine_start", "person.quarantine_end"), _in_quarantine),
}


def _value(values: Mapping[str, str | None], element: str, period: Period) -> str | None:
    derived = DERIVED_FILTER_ELEMENTS.get(element)
    if derived is not None and element not in values:
        return derived[5](values, period)
    return values.get(element)


def condition_holds(values: Mapping[str, str | None], condition: Mapping, period: Period) -> bool:
    """One leaf: {"element", "op", "value"}; a list value (op "in") is the accepted values."""
    value = _value(values, condition["element"], period)
    reference = condition.get("value", "")
    if isinstance(reference, list):
        return value in {resolve(str(r), period) for r in reference}
    return OPS[condition["op"]](value, resolve(reference, period))


def evaluate(tree: Mapping, values: Mapping[str, str | None], period: Period) -> bool:
    """A filter tree: {"and": [...]}, {"or": [...]}, {"not": node} or a leaf."""
    if "and" in tree:
        return all(evaluate(node, values, period) for node in tree["and"])
    if "or" in tree:
        return any(evaluate(node, values, period) for node in tree["or"])
    if "not" in tree:
        return not evaluate(tree["not"], values, period)
    return condition_holds(values, tree, period)


def matches(values: Mapping[str, str | None], conditions: list[Condition] | Mapping | None,
            period: Period) -> bool:
    """Whether a subject's values meet a filter: a tree (reports/filterlang.py), or the older
    flat list of leaves that all must hold (indicators, requests stored before the trees).
    Empty: everyone."""
    if not conditions:
        return True
    if isinstance(conditions, Mapping):
        return evaluate(conditions, values, period)
    return all(condition_holds(values, c, period) for c in conditions)


# Words that make a column of a list about what happened in the period (a visit, a check),
# not about a lasting state: such values are asked again each period. 迁入时间 (a date that
# stays true) is a state, so move words are not here.
PER_PERIOD = re.compile(r"本月|本季|本年|本期|当月|当季|次数|走访|探访|随访|巡查|核实|核签|核查")
# A form that records visits or services (走访记录, 探访服务记录, 入户走访登记表): each of its
# own columns describes that period's visit, whatever the column is called (方式, 参与人员).
ACTIVITY_FORM = re.compile(r"走访|探访|随访|巡查|服务记录|记录表|记录$")

# Words that make a count about change or activity, which the ledger's state cannot give:
# such columns are typed (本月新增流动人口 is not the number of 流动人口).
NOT_A_STATE = re.compile(r"新增|减少|增减|变动|迁入|迁出|本月|本季|本年|次数|走访|探访|办理|发放")


def indicator_for(header: str, path: list[str] | None = None) -> dict | None:
    """What an aggregate column counts, read from its header (and its group path): see
    reports/indicators.py, which reads it with a status and confidence; None when nothing
    in the header was understood."""
    from .indicators import UNMAPPED, read_indicator

    words = [*(path or [])[:-1], header]
    found = read_indicator(words)
    return None if found.status == UNMAPPED else {"count": found.count, "filter": found.filter}
