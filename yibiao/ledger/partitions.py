"""The ledger's fact and residence tables partitioned by county on PostgreSQL (issue 17).

On PostgreSQL, ledger_fact and ledger_residence are declaratively partitioned
`PARTITION BY RANGE (org_code)`: one partition per county, `ledger_fact_430104` holding
the codes from '430104' up to '430105' (every code starting 430104), and a DEFAULT
partition for anything else (a blank or shorter code). Migration 0008 builds them; a
county's partitions appear the first time its rows are written (`ensure_counties`, called
by every write path before it inserts). SQLite keeps plain tables and every function here
does nothing there.

Reads prune to one county when they name it: a residence filtered by a community's code
range already does (subtree_q), and facts, which are read by subject, are filtered by
their county too (`fact_county_q`, `fact_county_bounds`). That is exact because a person's
facts follow them: when a person comes to live in another county, the facts the
destination needs to read them as of any date from the move on are copied there
(`follow_people`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Q

from yibiao.orgunits.models import codes_at_or_above, prefix_upper_bound

COUNTY_LENGTH = 6
TABLES = ("ledger_fact", "ledger_residence")
# A copy made by follow_people: the person page lists the original only.
COPY_NOTE = "随迁复制"

_ready: set[tuple[str, str]] = set()  # (database name, county) whose partitions are committed
_partitioned: dict[str, bool] = {}  # database name -> are the ledger tables partitioned


def county_of(code: str | None) -> str | None:
    """The county (first six digits) of an org code, or None for a shorter or odd one."""
    if code and len(code) >= COUNTY_LENGTH and code[:COUNTY_LENGTH].isdigit():
        return code[:COUNTY_LENGTH]
    return None


def next_county(county: str) -> str:
    """The partition's upper bound: '430104' -> '430105', '430199' -> '430200'."""
    return str(int(county) + 1).zfill(COUNTY_LENGTH)


def fact_county_bounds(code: str) -> tuple[str, str]:
    """The org_code range of the facts a read of `code` needs: its county's (a community's
    facts may have been recorded in another community of the county), or the code's own
    range above a county (a city: all its counties)."""
    prefix = code[:COUNTY_LENGTH] if len(code) >= COUNTY_LENGTH else code
    return prefix, prefix_upper_bound(prefix)


def fact_county_codes(code: str) -> list[str]:
    """Codes outside every county that may still hold the read's facts, all in the DEFAULT
    partition: blank (older rows) and the units above the county."""
    return ["", *codes_at_or_above(code[:COUNTY_LENGTH])[:-1]]


def fact_county_q(code: str, field: str = "org_code") -> Q:
    """The facts a read of `code` needs, as a filter that prunes partitions to the county's
    and the DEFAULT one (a range: LIKE or startswith would not prune). Where the tables are
    not partitioned (SQLite), no filter: every fact stays visible as before."""
    if not partitioned():
        return Q()
    low, high = fact_county_bounds(code)
    return Q(**{f"{field}__gte": low, f"{field}__lt": high}) | Q(**{f"{field}__in": fact_county_codes(code)})


def fact_county_sql(code: str, alias: str = "f") -> tuple[str, list[str]]:
    """fact_county_q as SQL text and parameters for hand-written queries ("TRUE" where the
    tables are not partitioned)."""
    if not partitioned():
        return "TRUE", []
    low, high = fact_county_bounds(code)
    others = fact_county_codes(code)
    column = f"{alias}.org_code"
    return (f"({column} >= %s AND {column} < %s OR {column} IN ({', '.join(['%s'] * len(others))}))",
            [low, high, *others])


def _database() -> str:
    return str(connection.settings_dict["NAME"])


def partitioned() -> bool:
    """Are the ledger tables partitioned here (PostgreSQL after migration 0008)?"""
    if connection.vendor != "postgresql":
        return False
    name = _database()
    if name not in _partitioned:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
                           "WHERE c.relname = ANY(%s) AND pg_table_is_visible(c.oid)", [list(TABLES)])
            found = cursor.fetchone()[0] == len(TABLES)
        if not found:
            return False  # not cached: a migration may yet partition them in this process
        _partitioned[name] = True
    return _partitioned[name]


def forget() -> None:
    """Drop what this process knows (after a migration that changed the tables)."""
    _ready.clear()
    _partitioned.clear()


def ensure_counties(codes: Iterable[str | None]) -> list[str]:
    """Create the missing partitions of the counties of these org codes; returns the counties
    whose partitions were created. Rows of such a county already in the DEFAULT partition
    (written by hand, or before partitioning) are moved into the new partition.

    Creating a partition locks the parent table until the transaction ends, so it happens
    once per county: checked in the catalogue, remembered per process once committed.
    """
    if connection.vendor != "postgresql":
        return []
    database = _database()
    counties = sorted({c for c in map(county_of, codes) if c and (database, c) not in _ready})
    if not counties or not partitioned():
        return []
    created = []
    with transaction.atomic(), connection.cursor() as cursor:
        for county in counties:
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL AND to_regclass(%s) IS NOT NULL",
                           [f"{TABLES[0]}_{county}", f"{TABLES[1]}_{county}"])
            if not cursor.fetchone()[0]:
                # One creator at a time: a second process waits, then finds it made.
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext('ledger partition ' || %s))", [county])
                for table in TABLES:
                    if _create_partition(cursor, table, county):
                        created.append(county)
            transaction.on_commit(lambda key=(database, county): _ready.add(key))
    return sorted(set(created))


def _create_partition(cursor, table: str, county: str) -> bool:  # noqa: ANN001
    name = f"{table}_{county}"
    # Asked of pg_class, not to_regclass: after waiting on the lock for another creator,
    # to_regclass still answered from this backend's catalogue cache that the table was
    # missing, and the second of two first writes into a county failed "already exists".
    cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
                   "ON n.oid = c.relnamespace WHERE c.relname = %s AND n.nspname = current_schema())", [name])
    if cursor.fetchone()[0]:
        return False
    low, high = county, next_county(county)
    default = f"{table}_default"
    # PostgreSQL refuses a partition whose rows sit in the DEFAULT partition: they are
    # taken out first and put back through the parent, which routes them to the new one.
    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {default} WHERE org_code >= %s AND org_code < %s)",  # noqa: S608
                   [low, high])
    strays = cursor.fetchone()[0]
    if strays:
        cursor.execute(f"CREATE TEMPORARY TABLE ledger_partition_strays (LIKE {table})")
        cursor.execute(f"WITH moved AS (DELETE FROM {default} WHERE org_code >= %s AND org_code < %s "  # noqa: S608
                       f"RETURNING *) INSERT INTO ledger_partition_strays SELECT * FROM moved", [low, high])
    cursor.execute(f"CREATE TABLE {name} PARTITION OF {table} FOR VALUES FROM ('{low}') TO ('{high}')")
    if strays:
        cursor.execute(f"INSERT INTO {table} SELECT * FROM ledger_partition_strays")  # noqa: S608
        cursor.execute("DROP TABLE ledger_partition_strays")
    return True


def follow_people(moves: Iterable[tuple[int, str, dt.date]]) -> int:
    """People who came to live in another county: (person id, destination org code, date).

    Each person's facts are read once (by subject, every partition) and the ones a read as
    of any date from the move on needs are copied into the destination, as they were (same
    element, value, valid_from, source, erasure), with org_code = the destination and the
    note COPY_NOTE: per element the latest on or before the move, and every one after it.
    A read pruned to the destination's county then gives what a read of every partition
    gives for any date on or after the move (and any period overlapping it); before the
    move the person lived in the old county, whose partition keeps what it had. A fact
    already there (a person moving back) is not copied twice. Returns the facts copied.
    PostgreSQL with partitioned tables only: elsewhere every read sees every fact.
    """
    moves = [(pk, code, on) for pk, code, on in moves if county_of(code)]
    if not moves or not partitioned():
        return 0
    from .bulk import insert_rows
    from .models import Fact, SubjectKind

    ensure_counties(code for _pk, code, _on in moves)
    history: dict[int, list[tuple]] = {}
    for row in (Fact.objects.filter(subject_kind=SubjectKind.PERSON, subject_id__in=sorted({m[0] for m in moves}))
                .order_by("subject_id", "element", "valid_from", "id")
                .values_list(*COPY_FIELDS)):
        history.setdefault(row[0], []).append(row)
    copies: list[tuple] = []
    for pk, code, on in moves:
        made = copies_for(history.get(pk, []), code, on)
        history.setdefault(pk, []).extend(made)  # a second move of the same person sees them
        copies.extend(made)
    insert_rows(Fact, COPY_FIELDS, copies, same={"subject_kind": SubjectKind.PERSON})
    return len(copies)


# A fact as follow_people reads and writes it (Fact's field names, in this order).
COPY_FIELDS = ["subject_id", "element", "value", "valid_from", "recorded_at", "recorded_by", "source",
               "org_code", "erased_at", "note", "write_id"]


def copies_for(facts: list[tuple], code: str, on: dt.date) -> list[tuple]:
    """The copies one person's facts (COPY_FIELDS tuples ordered by element, valid_from,
    id) need in the county of `code` for reads from `on` (see follow_people)."""
    low, high = fact_county_bounds(code)
    here = {(f[1], f[2], f[3]) for f in facts if low <= f[7] < high}
    latest: dict[str, tuple] = {}
    later: list[tuple] = []
    for fact in sorted(facts, key=lambda f: (f[1], f[3])):  # stable: id order kept within a day
        if fact[3] <= on:
            latest[fact[1]] = fact
        else:
            later.append(fact)
    made = []
    for fact in [*latest.values(), *later]:
        if (fact[1], fact[2], fact[3]) in here:
            continue
        here.add((fact[1], fact[2], fact[3]))
        made.append((*fact[:7], code, fact[8], COPY_NOTE, fact[10]))
    return sorted(made, key=lambda f: (f[1], f[3]))
