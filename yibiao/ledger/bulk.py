"""Bulk reads and writes for imports: COPY on PostgreSQL, executemany elsewhere.

Django's bulk_create builds and resolves an expression per value, and a filter on
`key__in=[…]` prepares every key, which costs more than the database's own work at
100,000 rows. Imports therefore pass plain tuples through the driver, and look rows up
with all keys as one parameter.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from django.db import connection
from django.db.models import DateField, Model


def _prepared(model: type[Model], fields: Sequence[str], rows: Sequence[Sequence[object]]):  # noqa: ANN202
    """Dates and datetimes as the backend stores them (SQLite: naive UTC text); other
    values pass through untouched, which is where the time is saved."""
    meta = model._meta
    dated = [(i, meta.get_field(name)) for i, name in enumerate(fields)
             if isinstance(meta.get_field(name), DateField)]  # DateTimeField is a DateField
    if not dated:
        return rows
    seen: dict[tuple[int, object], object] = {}  # an import repeats one date and one timestamp
    out = []
    for row in rows:
        row = list(row)
        for index, field in dated:
            key = (index, row[index])
            if key not in seen:
                seen[key] = field.get_db_prep_value(row[index], connection)
            row[index] = seen[key]
        out.append(row)
    return out


def insert_rows(model: type[Model], fields: Sequence[str], rows: Sequence[Sequence[object]],
                same: Mapping[str, object] | None = None) -> None:
    """Insert plain value tuples into the model's table, in field order (column names).

    `same` holds values every row shares (the date, the recorder, the source): prepared
    (and on PostgreSQL formatted) once, so a 100,000-fact import converts one date, not
    100,000.
    """
    if not rows:
        return
    meta = model._meta
    rows = _prepared(model, fields, rows)
    same = dict(same or {})
    shared = tuple(_prepared(model, list(same), [list(same.values())])[0]) if same else ()
    columns = [meta.get_field(name).column for name in [*fields, *same]]
    _write_plain(meta.db_table, columns, rows, shared)


def copy_rows(table: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Insert plain value tuples into a table that is no model's (a staging table): values
    as the driver takes them (text, numbers, None)."""
    if rows:
        _write_plain(table, columns, rows, ())


def payload(rows: Sequence[Sequence[object]], postgres: bool) -> str:
    """Plain value tuples (text, numbers, None) as one text for copy_payload: COPY's text
    format, or a JSON array of arrays for SQLite. Built without a database, so on any
    thread; written in one call, so the writing thread gives the GIL up once, not per row
    (sqlite3's executemany does, and a thread reading beside it then holds the writer up
    for a switch interval each time)."""
    if postgres:
        return "".join(["\t".join([_copy_field(v) for v in row]) + "\n" for row in rows])
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":"))


def copy_payload(table: str, columns: Sequence[str], text: str) -> None:
    """Insert what payload() made of some rows into a table that is no model's."""
    table = connection.ops.quote_name(table)
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                copy.write(text)
            return
        values = ", ".join(f"value ->> {i}" for i in range(len(columns)))
        cursor.execute(f"INSERT INTO {table} ({quoted}) SELECT {values} FROM json_each(%s)", [text])  # noqa: S608


def _write_plain(table: str, columns: Sequence[str], rows: Sequence[Sequence[object]],
                 shared: tuple) -> None:
    table = connection.ops.quote_name(table)
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            tail = "".join("\t" + _copy_field(v) for v in shared) + "\n"
            with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                for start in range(0, len(rows), COPY_BLOCK):
                    copy.write("".join(["\t".join([_copy_field(v) for v in row]) + tail
                                        for row in rows[start:start + COPY_BLOCK]]))
            return
        many = [(*row, *shared) for row in rows] if shared else rows
        if len(many) >= ONE_STATEMENT:
            # One statement over the rows as JSON: executemany steps once a row, giving the
            # GIL up each time, and with the import's reading thread beside (records.
            # _prepared_beside) waiting to have it back costs ~0.1 ms a row.
            try:
                text = json.dumps(many, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
            except (TypeError, ValueError):  # a value JSON cannot carry: row by row
                pass
            else:
                values = ", ".join(f"value ->> {i}" for i in range(len(columns)))
                cursor.execute(f"INSERT INTO {table} ({quoted}) SELECT {values} FROM json_each(%s)",  # noqa: S608
                               [text])
                return
        placeholders = ", ".join(["%s"] * len(columns))
        cursor.executemany(f"INSERT INTO {table} ({quoted}) VALUES ({placeholders})", many)  # noqa: S608


ONE_STATEMENT = 200  # rows from which SQLite is written by one statement over JSON


COPY_BLOCK = 5000  # rows per write to the COPY stream
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_field(value: object) -> str:
    """One value in COPY's text format (psycopg's write_row costs twice as much per row)."""
    if value is None:
        return "\\N"
    if value.__class__ is str:
        # Most values hold nothing to escape, and four scans cost less than translate(),
        # which looks every character up (0.3 s for 20,000 people's state as JSON).
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:  # type: ignore[operator]
            return value.translate(_COPY_ESCAPES)  # type: ignore[attr-defined]
        return value  # type: ignore[return-value]
    if value is True or value is False:
        return "t" if value else "f"
    return str(value).translate(_COPY_ESCAPES)  # numbers, dates, aware datetimes


def rows_by_key(model: type[Model], key: str, keys: Sequence[object], fields: Sequence[str],
                same: Mapping[str, object] | None = None) -> list[tuple]:
    """`fields` of the rows whose `key` is one of `keys` (and whose fields equal `same`):
    one query, every key in one parameter (an array on PostgreSQL, a JSON list on SQLite)."""
    if not keys:
        return []
    meta = model._meta
    key_field = meta.get_field(key)
    column = connection.ops.quote_name(key_field.column)
    selected = ", ".join(connection.ops.quote_name(meta.get_field(f).column) for f in fields)
    table = connection.ops.quote_name(meta.db_table)
    if connection.vendor == "postgresql":
        where, param = f"{column} = ANY(%s::{key_field.rel_db_type(connection)}[])", list(keys)
    else:
        where, param = f"{column} IN (SELECT value FROM json_each(%s))", json.dumps(list(keys))  # noqa: S608
    params: list[object] = [param]
    for name, value in (same or {}).items():
        where += f" AND {connection.ops.quote_name(meta.get_field(name).column)} = %s"
        params.append(value)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {selected} FROM {table} WHERE {where}", params)  # noqa: S608
        return cursor.fetchall()


def update_rows(model: type[Model], set_fields: Sequence[str], rows: Sequence[Sequence[object]],
                *, key: str = "id", extra_set: str = "") -> None:
    """UPDATE … SET fields … WHERE key = …, once per row tuple (values…, key)."""
    if not rows:
        return
    meta = model._meta
    table = connection.ops.quote_name(meta.db_table)
    sets = ", ".join(f"{connection.ops.quote_name(meta.get_field(f).column)} = %s" for f in set_fields)
    if extra_set:
        sets = f"{sets}, {extra_set}" if sets else extra_set
    where = connection.ops.quote_name(meta.get_field(key).column)
    rows = _prepared(model, [*set_fields, key], rows)
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET {sets} WHERE {where} = %s", rows)  # noqa: S608


def delete_rows(model: type[Model], key: str, keys: Sequence[object]) -> None:
    """DELETE the rows whose `key` is one of `keys`: one statement, every key in one parameter."""
    if not keys:
        return
    key_field = model._meta.get_field(key)
    column = connection.ops.quote_name(key_field.column)
    table = connection.ops.quote_name(model._meta.db_table)
    if connection.vendor == "postgresql":
        where, param = f"{column} = ANY(%s::{key_field.rel_db_type(connection)}[])", list(keys)
    else:
        where, param = f"{column} IN (SELECT value FROM json_each(%s))", json.dumps(list(keys))  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {where}", [param])  # noqa: S608
