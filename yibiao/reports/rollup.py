"""Aggregate indicators counted in the database, for every unit at every level at once.

An aggregate column counts people (or households) whose values as of the period's end
meet its conditions (reports/filters.py). The Python path reads every resident's values
(`people_as_of`) and tests every condition per person per row unit; here the same rules
are one SQL query: each resident's values on the date — read from the person's state
(ledger_personstate) when nothing about them changed after the date, else from the
residences on the date and each resident's latest stored fact per element (ties: the
latest recorded) — sex, birth date and age from the ID number, each
condition a `CASE WHEN` inside `SUM` (people) or `COUNT(DISTINCT household)` (households),
grouped by the code prefix of every level below the unit. PostgreSQL groups by `ROLLUP`;
SQLite, which has none, by a `UNION ALL` of one grouping per level.

The SQL is built from this module's own text; every value — codes, dates, element codes,
condition values — is a bound parameter, and element codes must be person elements the
dictionary knows (or the derived ones). Comparisons follow filters._compare: numbers as
numbers when both sides read as numbers, else text by code point. SQLite evaluates such a
comparison with the filters' own function; PostgreSQL reads a value as a number when it
is written the plain way (`-12`, `0.5`, `1e3`, spaces around) — values Decimal also reads
but the ledger never stores (`1_000`, full-width digits, `NaN`) compare there as text. An
indicator the SQL cannot express (another subject's element, an unknown element, a value
PostgreSQL cannot hold) is counted by the Python path instead, and said so.
"""

# ruff: noqa: S608 - SQL text is this module's own; every value is bound as a parameter
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection

from yibiao.dictionary.models import Element, Subject
from yibiao.ledger.models import SubjectKind
from yibiao.ledger.partitions import fact_county_sql
from yibiao.ledger.snapshot import DERIVED_PERSON, people_as_of
from yibiao.orgunits.models import (
    CODE_LENGTH,
    LEVEL_BY_LENGTH,
    Level,
    OrgUnit,
    prefix_upper_bound,
    subtree_q,
)
from yibiao.replica import read_connection

from .filters import OPS, _number, matches, resolve
from .periods import Period

LEVEL_LENGTHS = sorted(CODE_LENGTH.values())  # 2, 4, 6, 9, 12, 15
ORDERING = {">=", "<=", ">", "<"}
COMPARISONS = {"=", "!="} | ORDERING
# A number as PostgreSQL's numeric and Python's Decimal both read it; the exponent and the
# length are bounded so that no stored value can overflow numeric and fail the query.
_PLAIN_NUMBER = r"[ \t\n\r\f\v]*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?[ \t\n\r\f\v]*"
PG_NUMBER = f"^{_PLAIN_NUMBER}$"
PLAIN_NUMBER = re.compile(_PLAIN_NUMBER)
MAX_NUMBER_LENGTH = 1000
# Ages and sex codes are small integers; a bound beyond this changes no comparison.
INT_BOUND = 10**9
SQLITE_COMPARE = "yibiao_compare"
DIGITS = "0123456789"


class Unsupported(Exception):  # noqa: N818 - a reason, not an error: the column is counted in Python
    """The SQL cannot express this indicator; the message says why."""


@dataclass
class Rollup:
    """Counts per unit code: one figure per indicator, in the order asked."""

    org_code: str
    lengths: list[int]
    indicators: list[dict]
    figures: dict[str, list[int]] = field(default_factory=dict)
    in_python: dict[int, str] = field(default_factory=dict)  # indicator position → why
    queries: int = 0

    def of(self, code: str) -> list[int]:
        """A unit's figures; zeros for a unit nobody lives in."""
        return self.figures.get(code) or [0] * len(self.indicators)

    @property
    def warnings(self) -> list[str]:
        return [f"第{i + 1}项指标在数据库中无法计算，改用逐人计算：{why}" for i, why in self.in_python.items()]


def rollup(unit: OrgUnit | str, period: Period, indicators: list[dict],
           lengths: list[int] | None = None) -> Rollup:
    """Every indicator for the unit and every unit below it, as of the period's end.

    `lengths` picks the levels by code length (9: townships, 12: communities, 15: grids);
    by default the unit's own and every level below it.
    """
    code = unit if isinstance(unit, str) else unit.code
    lengths = sorted(set(lengths or [n for n in LEVEL_LENGTHS if n >= len(code)]))
    if not set(lengths) <= set(LEVEL_LENGTHS) or lengths[0] < len(code):
        raise ValueError(f"levels {lengths} are not code lengths at or below {code}")
    result = Rollup(code, lengths, indicators)
    known = known_elements()
    aggregates: dict[int, Sql] = {}
    builder = _Builder(period, connection.vendor)
    for position, indicator in enumerate(indicators):
        try:
            aggregates[position] = builder.aggregate(indicator, known)
        except Unsupported as why:
            result.in_python[position] = str(why)
    zeros = [0] * len(indicators)
    levels = [LEVEL_BY_LENGTH[n] for n in lengths]
    for unit_code in OrgUnit.objects.filter(subtree_q(code), level__in=levels).values_list("code", flat=True):
        result.figures[unit_code] = list(zeros)
    if aggregates:
        for unit_code, values in _run(builder, code, lengths, aggregates).items():
            row = result.figures.setdefault(unit_code, list(zeros))
            for position, value in values.items():
                row[position] = value
        result.queries += 1
    if result.in_python:
        _count_in_python(result, period)
    return result


def count(indicator: dict, people: list, households: dict, period: Period) -> int:
    """The Python path: one indicator over residents read by `people_as_of`."""
    conditions = indicator.get("filter", [])
    if indicator.get("count") == "household":
        ids = {p.household_id for p in people if p.household_id and matches(p.values, conditions, period)}
        return len(ids & set(households))
    return sum(1 for p in people if matches(p.values, conditions, period))


def _count_in_python(result: Rollup, period: Period) -> None:
    people = people_as_of(result.org_code, period.end)
    households = dict.fromkeys(p.household_id for p in people if p.household_id)
    by_unit: dict[str, list] = {}
    for person in people:
        for n in result.lengths:
            if len(person.org_code) >= n:
                by_unit.setdefault(person.org_code[:n], []).append(person)
    for unit_code, mine in by_unit.items():
        row = result.figures.setdefault(unit_code, [0] * len(result.indicators))
        for position in result.in_python:
            row[position] = count(result.indicators[position], mine, households, period)


def known_elements() -> set[str]:
    """Person elements a condition may name: the dictionary's, and those derived on read."""
    stored = Element.objects.filter(subject=Subject.PERSON).values_list("code", flat=True)
    return {c for c in stored if c.startswith("person.")} | DERIVED_PERSON


@dataclass
class Sql:
    text: str
    params: list = field(default_factory=list)
    distinct: bool = False  # an aggregate counting distinct households: not a sum of its parts


class _Builder:
    """Condition and aggregate SQL over the relation p(k0…, household_id, id_number,
    relation, age, sex, v0…): stored elements become columns v0, v1 … in the order met."""

    def __init__(self, period: Period, vendor: str) -> None:
        self.period = period
        self.postgres = vendor == "postgresql"
        self.stored: list[str] = []
        self.derived: set[str] = set()

    def aggregate(self, indicator: dict, known: set[str]) -> Sql:
        conditions = indicator.get("filter", [])
        if not isinstance(conditions, list):
            raise Unsupported("条件不是列表")
        before = list(self.stored), set(self.derived)
        try:
            parts = [self.condition(c, known) for c in conditions]
        except Unsupported:
            self.stored, self.derived = before  # no column for an indicator counted in Python
            raise
        cond = Sql(" AND ".join(f"({p.text})" for p in parts) or "1 = 1", [x for p in parts for x in p.params])
        if indicator.get("count") == "household":
            return Sql(f"COUNT(DISTINCT CASE WHEN {cond.text} THEN household_id END)", cond.params, distinct=True)
        if not parts:
            return Sql("COUNT(*)")
        return Sql(f"SUM(CASE WHEN {cond.text} THEN 1 ELSE 0 END)", cond.params)

    def condition(self, condition: object, known: set[str]) -> Sql:
        if not isinstance(condition, dict):
            raise Unsupported("条件格式不对")
        element, op, raw = condition.get("element"), condition.get("op"), condition.get("value", "")
        if not isinstance(element, str) or element not in known:
            raise Unsupported(f"不认识的数据元 {element!r}")
        if op not in OPS:
            raise Unsupported(f"不认识的比较 {op!r}")
        if not isinstance(raw, str):
            raise Unsupported("条件的值不是文字")
        ref = resolve(raw, self.period)
        if "\x00" in ref or not _encodable(ref):
            raise Unsupported("条件的值含有数据库不能保存的字符")
        column, is_int = self.value(element)
        value = f"CAST({column} AS TEXT)" if is_int else column
        number = _number(ref) if op in COMPARISONS else None
        if number is not None and not number.is_finite():
            raise Unsupported(f"条件的值 {ref!r} 不是有限的数")
        if (self.postgres and number is not None and not is_int
                and (not PLAIN_NUMBER.fullmatch(ref) or len(ref) > MAX_NUMBER_LENGTH)):
            raise Unsupported(f"条件的值 {ref!r} 在数据库中无法按数比较")
        if op == "present":
            return Sql(f"{value} IS NOT NULL AND {value} NOT IN (%s, %s)", ["", "0"])
        if op == "absent":
            return Sql(f"{value} IS NULL OR {value} IN (%s, %s)", ["", "0"])
        if op == "in":
            items = ref.split("|")
            return Sql(f"{value} IN ({', '.join(['%s'] * len(items))})", items)
        if is_int:
            if number is not None:
                return _int_compare(column, op, number)
            return Sql(f"{value}{self.collate} {op} %s", [ref])
        if number is None:  # text on both sides, whatever the value
            return Sql(f"{value} <> %s AND {value}{self.collate} {op} %s", ["", ref])
        # Most stored values are one digit (codes, yes/no): those are decided by a list of
        # the digits that hold, worked out here by the filters' own comparison, before the
        # number test (a regular expression on PostgreSQL, a Python call on SQLite) that
        # cost the roll-up a third of its time. Bytewise, a one-character string between
        # '0' and '9' is an ASCII digit.
        holds = [d for d in DIGITS if OPS[op](d, ref)]
        digit = Sql(f"length({value}) = 1 AND {value}{self.collate} BETWEEN %s AND %s "
                    f"THEN {value} IN ({', '.join(['%s'] * len(holds))})" if holds else
                    f"length({value}) = 1 AND {value}{self.collate} BETWEEN %s AND %s THEN 1 = 0",
                    ["0", "9", *holds])
        if not self.postgres:
            return Sql(f"CASE WHEN {digit.text} ELSE {SQLITE_COMPARE}(%s, {value}, %s) = 1 END",
                       [*digit.params, op, ref])
        return Sql(f"{value} <> %s AND CASE WHEN {digit.text} WHEN {value} ~ %s AND length({value}) <= %s "
                   f"THEN CAST({value} AS numeric) {op} %s ELSE {value}{self.collate} {op} %s END",
                   ["", *digit.params, PG_NUMBER, MAX_NUMBER_LENGTH, number, ref])

    @property
    def collate(self) -> str:
        # Python compares text by code point; PostgreSQL's "C" collation by UTF-8 bytes,
        # which is the same order (SQLite's default BINARY is too).
        return ' COLLATE "C"' if self.postgres else ""

    def value(self, element: str) -> tuple[str, bool]:
        """The column holding the element's value in p, and whether it is an integer."""
        derived = {"person.age": ("age", True), "person.sex": ("sex", True),
                   "person.id_number": ("id_number", False),
                   "person.relation_to_head": ("relation", False),
                   "person.birth_date": ("birth_date", False)}
        if element in derived:
            self.derived.add(derived[element][0])
            return derived[element]
        if element not in self.stored:
            self.stored.append(element)
        return f"v{self.stored.index(element)}", False


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _int_compare(column: str, op: str, number: Decimal) -> Sql:
    """An integer against a decimal, exactly: age >= 60.5 is age >= 61."""
    bounded = max(min(number, INT_BOUND), -INT_BOUND)
    integral = bounded == bounded.to_integral_value()
    if op == "=":
        return Sql(f"{column} = %s", [int(bounded)]) if integral else Sql("1 = 0")
    if op == "!=":
        return Sql(f"{column} <> %s", [int(bounded)]) if integral else Sql("1 = 1")
    ceil, floor = math.ceil(bounded), math.floor(bounded)
    return {">=": Sql(f"{column} >= %s", [ceil]), ">": Sql(f"{column} > %s", [floor]),
            "<=": Sql(f"{column} <= %s", [floor]), "<": Sql(f"{column} < %s", [ceil])}[op]


# A residence on the date, in the unit or below (r: the residence table's alias).
RESIDENT = ("{r}.org_code >= %s AND {r}.org_code < %s AND {r}.valid_from <= %s "
            "AND ({r}.valid_to IS NULL OR {r}.valid_to > %s)")
# The values derived on read, as columns of p (res: one row per resident, from a state or
# from residence, person and facts as of the date).
DERIVED_SQL = {
    # Whole years by arithmetic on yyyymmdd: (20260630 - 19491231) / 10000 = 76; the offset
    # keeps the division a floor for someone born after the date (age -1, as in Python).
    "age": "(%s - CAST(substr(res.id_number, 7, 8) AS INTEGER) + 100000000) / 10000 - 10000",
    "sex": "2 - CAST(substr(res.id_number, 17, 1) AS INTEGER) %% 2",  # odd 17th digit: 1 男
    "birth_date": ("substr(res.id_number, 7, 4) || '-' || substr(res.id_number, 11, 2) || '-' || "
                   "substr(res.id_number, 13, 2)"),
    "id_number": "res.id_number",
    "relation": "res.relation",
}


def _state_value(builder: _Builder, element: str) -> Sql:
    """An element's value in a PersonState row (st): the path is a bound parameter."""
    if builder.postgres:
        return Sql('st."values" ->> CAST(%s AS TEXT)', [element])
    return Sql('json_extract(st."values", %s)', ['$."' + element + '"'])


def _relation(builder: _Builder, code: str, lengths: list[int], as_of: dt.date) -> Sql:
    """WITH … p: one row per resident on the date, with its level keys and values.

    A person whose state (ledger_personstate) has not changed since the date is that
    state: one row, no facts read. The others — who moved, got new facts or had values
    erased after the date — are read as of the date from their residences and facts
    (ties: the latest recorded). For a recent period they are few; for an old one most
    people are, and the query costs what it did before the state existed. Measured on
    100,000 residents (bench_rollup's county, a busy machine, old → new): the county
    0.95 → 0.38 s, a township 112 → 23 ms; with every state changed after the date,
    0.96 → 0.96 s and 116 → 108 ms.
    """
    bounds = [code, prefix_upper_bound(code)]
    # Who is read as of the date: residents whose state changed after it. Every person has
    # a state (the write paths, loaders and migration keep one), so the index on
    # changed_on finds them, and the planner knows from its statistics how many they are.
    changed = (f"FROM ledger_personstate st JOIN ledger_residence r ON r.person_id = st.person_id "
               f"WHERE st.changed_on > %s AND {RESIDENT.format(r='r')}")
    changed_params = [as_of, *bounds, as_of, as_of]
    text = f"""WITH asof AS (
  SELECT r.person_id, r.household_id, r.org_code, NULLIF(r.relation_to_head, '') AS relation, st.id_number
  {changed})"""
    params: list = list(changed_params)
    stored = builder.stored
    # Below a county, each of them looks their facts up by the (subject, element,
    # valid_from) index, as before the state existed: the planner cannot tell when that
    # beats a pass over the county's facts (it prices each probe as a disk read).
    lookup = builder.postgres and len(code) > CODE_LENGTH[Level.COUNTY]
    join, join_params = "", []
    if stored:
        # Elements as small integers: the sort that picks each latest fact compares numbers,
        # not text under the database's collation.
        numbered = " ".join(f"WHEN %s THEN {i}" for i in range(len(stored)))
        # PostgreSQL: the county's partitions only (ledger/partitions.py).
        county, county_params = fact_county_sql(code)
        facts = (f"SELECT f.subject_id, CASE f.element {numbered} END AS e, f.valid_from, f.id, f.value "
                 f"FROM ledger_fact f WHERE {county} AND f.subject_kind = %s "
                 f"AND f.element IN ({', '.join(['%s'] * len(stored))}) AND f.valid_from <= %s AND ")
        fact_params = [*stored, *county_params, SubjectKind.PERSON, *stored, as_of]
        pivot = ", ".join(f"MAX(CASE WHEN e = {i} THEN value END) AS v{i}" for i in range(len(stored)))
        if lookup:
            join = (f" LEFT JOIN LATERAL (SELECT {pivot} FROM (SELECT DISTINCT ON (e) e, value FROM "
                    f"({facts}f.subject_id = a.person_id) AS f ORDER BY e, valid_from DESC, id DESC) AS latest"
                    f") AS s ON TRUE")
            join_params = fact_params
        else:
            # For a county (and on SQLite), a semi-join: the planner probes the index for a
            # few people, hashes the county's facts for many. Written out, not read from
            # asof: a CTE's rows carry no statistics.
            facts += f"f.subject_id IN (SELECT r.person_id {changed})"
            fact_params += changed_params
            if builder.postgres:
                latest = (f"SELECT DISTINCT ON (subject_id, e) subject_id, e, value FROM ({facts}) AS f "
                          f"ORDER BY subject_id, e, valid_from DESC, id DESC")
            else:
                latest = (f"SELECT subject_id, e, value FROM (SELECT subject_id, e, value, ROW_NUMBER() OVER "
                          f"(PARTITION BY subject_id, e ORDER BY valid_from DESC, id DESC) AS n FROM ({facts}) AS f) "
                          f"AS ranked WHERE n = 1")
            # Materialized: a parallel plan would otherwise build it once in every worker.
            materialized = "MATERIALIZED " if builder.postgres else ""
            text += f""",
latest AS ({latest}),
stored AS {materialized}(SELECT subject_id, {pivot} FROM latest GROUP BY subject_id)"""
            params += fact_params
            join = " LEFT JOIN stored s ON s.subject_id = a.person_id"
    from_state = [_state_value(builder, "person.relation_to_head"), *(_state_value(builder, e) for e in stored)]
    asof_values = "".join(f", s.v{i}" for i in range(len(stored)))
    state_values = "".join(f", {v.text} AS v{i}" for i, v in enumerate(from_state[1:]))
    text += f""",
res AS (
  SELECT a.person_id, a.household_id, a.org_code, a.relation, a.id_number{asof_values} FROM asof a{join}
  UNION ALL
  SELECT st.person_id, st.household_id, st.org_code, {from_state[0].text} AS relation, st.id_number{state_values}
  FROM ledger_personstate st WHERE st.org_code >= %s AND st.org_code < %s AND st.changed_on <= %s)"""
    params += join_params + [x for v in from_state for x in v.params] + [*bounds, as_of]
    collate = ' COLLATE "C"' if builder.postgres else ""  # sorted bytewise, not by locale
    columns = [f"substr(res.org_code, 1, {n}){collate} AS k{i}" for i, n in enumerate(lengths)]
    columns.append("res.household_id")
    for name in sorted(builder.derived):
        columns.append(f"{DERIVED_SQL[name]} AS {name}")
        if name == "age":
            params.append(as_of.year * 10000 + as_of.month * 100 + as_of.day)
    columns += [f"res.v{i}" for i in range(len(stored))]
    text += f""",
p AS (
  SELECT {', '.join(columns)}
  FROM res)
"""
    return Sql(text, params)


def _run(builder: _Builder, code: str, lengths: list[int],
         aggregates: dict[int, Sql]) -> dict[str, dict[int, int]]:
    """{unit code: {indicator position: figure}} from one query (on the replica where the
    caller's reads may lag: yibiao/replica.py)."""
    connection = read_connection()
    relation = _relation(builder, code, lengths, builder.period.end)
    positions = list(aggregates)
    select = ", ".join(aggregates[i].text for i in positions)
    select_params = [x for i in positions for x in aggregates[i].params]
    keys = [f"k{i}" for i in range(len(lengths))]
    if builder.postgres:
        # ROLLUP (k0, k1 …) groups by k0, by k0 and k1 …; GROUPING(…) tells which: its low
        # bits are set for the keys left out.
        sql = (f"{relation.text}SELECT GROUPING({', '.join(keys)}), {', '.join(keys)}, {select} "
               f"FROM p GROUP BY ROLLUP ({', '.join(keys)})")
        params = relation.params + select_params
    else:
        sql, params = _sqlite_levels(relation, keys, lengths, aggregates)
    out: dict[str, dict[int, int]] = {}
    with connection.cursor() as cursor:
        if not builder.postgres:
            connection.connection.create_function(SQLITE_COMPARE, 3, _sqlite_compare, deterministic=True)
        cursor.execute(sql, params)
        for grouping, *rest in cursor.fetchall():
            key_values, figures = rest[:len(keys)], rest[len(keys):]
            if grouping == SUMMED:  # SQLite: the sums of a group of people, added to every level
                for level, unit_code in enumerate(key_values):
                    if unit_code is not None and len(unit_code) == lengths[level]:
                        row = out.setdefault(unit_code, dict.fromkeys(positions, 0))
                        for i, v in zip(positions, figures, strict=True):
                            if not aggregates[i].distinct:
                                row[i] += int(v or 0)
                continue
            level = (len(keys) - bin(grouping).count("1") - 1) if builder.postgres else grouping
            if level < 0:
                continue  # ROLLUP's grand total: the unit's own row is k0's
            unit_code = key_values[level]
            if unit_code is None or len(unit_code) != lengths[level]:
                continue  # someone living above this level (a community without grids)
            if builder.postgres:
                out[unit_code] = {i: int(v or 0) for i, v in zip(positions, figures, strict=True)}
            else:  # SQLite: the distinct households of one level's unit
                row = out.setdefault(unit_code, dict.fromkeys(positions, 0))
                for i, v in zip(positions, figures, strict=True):
                    if aggregates[i].distinct:
                        row[i] = int(v or 0)
    return out


SUMMED = -1


def _sqlite_levels(relation: Sql, keys: list[str], lengths: list[int],
                   aggregates: dict[int, Sql]) -> tuple[str, list]:
    """SQLite has no ROLLUP: the people are grouped once by every level's key (the finest
    groups), and their sums added up to each level in Python (rows marked SUMMED); only
    households, which a sum would count once per group they have people in, are counted
    per level, one GROUP BY each. Measured on bench_rollup's county (10 indicators, one of
    them households): a GROUP BY per level for every indicator cost 3.5× DuckDB."""
    positions = list(aggregates)
    summed = [i for i in positions if not aggregates[i].distinct]
    distinct = [i for i in positions if aggregates[i].distinct]
    parts, params = [], list(relation.params)

    def select(chosen: list[int]) -> str:
        params.extend(x for i in positions if i in chosen for x in aggregates[i].params)
        return ", ".join(aggregates[i].text if i in chosen else "NULL" for i in positions)

    if summed:
        parts.append(f"SELECT {SUMMED}, {', '.join(keys)}, {select(summed)} FROM p GROUP BY {', '.join(keys)}")
    if distinct:
        for level, key in enumerate(keys):
            parts.append(f"SELECT {level}, {', '.join(k if k == key else 'NULL' for k in keys)}, "
                         f"{select(distinct)} FROM p WHERE length({key}) = {lengths[level]} GROUP BY {key}")
    return relation.text + "\nUNION ALL\n".join(parts), params


def _sqlite_compare(op: str, value: str | None, ref: str) -> int:
    return int(OPS[op](value, ref))
