"""PostgreSQL: ledger_fact and ledger_residence partitioned by county (issue 17).

Each table becomes `PARTITION BY RANGE (org_code)` with one partition per county that has
rows (ledger_fact_430104: codes from '430104' to '430105', i.e. every code starting 430104)
and a DEFAULT partition (ledger_fact_default) for anything else. New counties get theirs
when first written (yibiao.ledger.partitions.ensure_counties).

How: the old table is renamed, the partitioned one created with the same columns and
defaults, its partitions made, the rows copied (INSERT … SELECT), the old table dropped,
then the same indexes and foreign keys recreated under the same names. A partitioned
table's primary key must hold the partition key: (id, org_code) in the database, while
Django keeps `id` as the model's primary key (nothing references these tables). Identity
columns cannot be declared on a partitioned table before PostgreSQL 17, so `id` takes its
default from a sequence owned by the column (Django's sequence reset finds it through
pg_get_serial_sequence), continuing from where the old one stood.

Reversed, the tables become plain again, every row kept. SQLite: nothing to do.
This SQL is self-contained on purpose: a migration must not change when app code does.
"""

import re

from django.db import migrations

TABLES = ("ledger_fact", "ledger_residence")


def _county_bounds(county: str) -> tuple[str, str]:
    return county, str(int(county) + 1).zfill(6)


def _indexes_and_fks(cursor, table: str) -> tuple[list[str], list[tuple[str, str]]]:
    """CREATE INDEX statements (the primary key's aside) and (name, definition) of foreign keys."""
    cursor.execute(
        "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
        "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
        "WHERE t.relname = %s AND pg_table_is_visible(t.oid) AND NOT x.indisprimary ORDER BY i.relname",
        [table])
    indexes = [definition for _name, definition in cursor.fetchall()]
    cursor.execute(
        "SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
        "WHERE t.relname = %s AND pg_table_is_visible(t.oid) AND c.contype = 'f' ORDER BY c.conname", [table])
    return indexes, cursor.fetchall()


def _rebuild(cursor, table: str, partition: bool) -> None:
    """Rebuild `table` as a partitioned table (partition=True) or a plain one, rows kept."""
    old = f"{table}_before"
    # Foreign keys checked at commit would keep the old table from being dropped: now.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    indexes, fks = _indexes_and_fks(cursor, table)
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    sequence = cursor.fetchone()[0]
    last_value, is_called = None, False
    if sequence:
        cursor.execute(f"SELECT last_value, is_called FROM {sequence}")  # noqa: S608
        last_value, is_called = cursor.fetchone()
    cursor.execute(f"ALTER TABLE {table} RENAME TO {old}")
    if partition:
        cursor.execute(f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS) PARTITION BY RANGE (org_code)")
        cursor.execute(f"CREATE TABLE {table}_default PARTITION OF {table} DEFAULT")
        cursor.execute(f"SELECT DISTINCT substr(org_code, 1, 6) FROM {old} "  # noqa: S608
                       f"WHERE org_code ~ '^[0-9]{{6}}' ORDER BY 1")
        for (county,) in cursor.fetchall():
            low, high = _county_bounds(county)
            cursor.execute(f"CREATE TABLE {table}_{county} PARTITION OF {table} "
                           f"FOR VALUES FROM ('{low}') TO ('{high}')")
    else:
        cursor.execute(f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS)")
    # The id's default names the old sequence (or none, from an identity): a new one.
    cursor.execute(f"ALTER TABLE {table} ALTER COLUMN id DROP DEFAULT")
    cursor.execute(f"CREATE SEQUENCE {table}_id_seq_new AS bigint OWNED BY {table}.id")
    if last_value is not None:
        cursor.execute("SELECT setval(%s, %s, %s)", [f"{table}_id_seq_new", last_value, is_called])
    cursor.execute(f"ALTER TABLE {table} ALTER COLUMN id SET DEFAULT nextval('{table}_id_seq_new')")
    cursor.execute(f"INSERT INTO {table} SELECT * FROM {old}")  # noqa: S608
    # Never past the highest id (rows inserted with explicit ids leave the sequence behind).
    cursor.execute(f"SELECT setval('{table}_id_seq_new', max(id)) FROM {table} "  # noqa: S608
                   f"HAVING max(id) > (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END "
                   f"FROM {table}_id_seq_new)")
    cursor.execute(f"DROP TABLE {old}")  # its indexes, constraints and sequence go with it
    cursor.execute(f"ALTER SEQUENCE {table}_id_seq_new RENAME TO {table}_id_seq")
    key = "id, org_code" if partition else "id"
    cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY ({key})")
    for definition in indexes:  # on a partitioned table, created on every partition too
        cursor.execute(re.sub(rf" ON (ONLY )?(\S+\.)?{old} ", f" ON {table} ", definition, count=1))
    for name, definition in fks:
        cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
    cursor.execute(f"ANALYZE {table}")


def _is_partitioned(cursor, table: str) -> bool:
    cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
                   "WHERE c.relname = %s AND pg_table_is_visible(c.oid))", [table])
    return cursor.fetchone()[0]


COPY_NOTE = "随迁复制"  # as yibiao.ledger.partitions.COPY_NOTE
COLUMNS = "subject_id, element, value, valid_from, recorded_at, recorded_by_id, source, org_code, erased_at, note, write_id"


def _follow_earlier_moves(cursor) -> None:
    """People who moved between counties before the partitions existed: the facts a read of
    each later county needs are copied there, as ledger.partitions.follow_people does on
    every move from now on (per element the latest on or before the move, and every later
    one; none twice)."""
    cursor.execute("SELECT person_id FROM ledger_residence GROUP BY person_id "
                   "HAVING count(DISTINCT substr(org_code, 1, 6)) > 1")
    movers = [row[0] for row in cursor.fetchall()]
    for start in range(0, len(movers), 1000):
        chunk = movers[start:start + 1000]
        cursor.execute("SELECT person_id, org_code, valid_from FROM ledger_residence WHERE person_id = ANY(%s) "
                       "ORDER BY person_id, valid_from, id", [chunk])
        homes: dict[int, list[tuple[str, object]]] = {}
        for pk, code, since in cursor.fetchall():
            homes.setdefault(pk, []).append((code, since))
        cursor.execute(f"SELECT {COLUMNS} FROM ledger_fact WHERE subject_kind = 'person' "  # noqa: S608
                       f"AND subject_id = ANY(%s) ORDER BY subject_id, element, valid_from, id", [chunk])
        facts: dict[int, list[tuple]] = {}
        for row in cursor.fetchall():
            facts.setdefault(row[0], []).append(row)
        copies = []
        for pk, stays in homes.items():
            held = facts.get(pk, [])
            for (before, _), (code, on) in zip(stays, stays[1:]):
                if before[:6] == code[:6] or len(code) < 6:
                    continue
                here = {(f[1], f[2], f[3]) for f in held if f[7][:6] == code[:6]}
                latest, later = {}, []
                for fact in sorted(held, key=lambda f: (f[1], f[3])):
                    if fact[3] <= on:
                        latest[fact[1]] = fact
                    else:
                        later.append(fact)
                made = []
                for fact in [*latest.values(), *later]:
                    if (fact[1], fact[2], fact[3]) not in here:
                        here.add((fact[1], fact[2], fact[3]))
                        made.append((*fact[:7], code, fact[8], COPY_NOTE, fact[10]))
                held = held + made
                copies.extend(sorted(made, key=lambda f: (f[1], f[3])))
        if copies:
            cursor.executemany(f"INSERT INTO ledger_fact (subject_kind, {COLUMNS}) "  # noqa: S608
                               f"VALUES ('person', {', '.join(['%s'] * 11)})", copies)


def forwards(apps, schema_editor) -> None:  # noqa: ANN001
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for table in TABLES:
            if not _is_partitioned(cursor, table):
                _rebuild(cursor, table, partition=True)
        _follow_earlier_moves(cursor)
    _forget()


def backwards(apps, schema_editor) -> None:  # noqa: ANN001
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for table in TABLES:
            if _is_partitioned(cursor, table):
                _rebuild(cursor, table, partition=False)
    _forget()


def _forget() -> None:
    """What a running process cached about the tables (tests migrate inside one)."""
    try:
        from yibiao.ledger import partitions
    except ImportError:  # the module may be gone one day; the migration stays
        return
    partitions.forget()


class Migration(migrations.Migration):

    dependencies = [
        ("ledger", "0007_personstate_row_digest"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
