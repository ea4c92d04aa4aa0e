"""Bulk writes for imports: COPY on PostgreSQL, executemany elsewhere.

Django's bulk_create builds and resolves an expression per value, which costs more than
the database's own work at 100,000 rows. Append-only tables (facts, residences) take rows
as plain tuples through the driver instead; identity rows still go through the ORM.
"""

from __future__ import annotations

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
    once and appended to each tuple, so a 100,000-fact import converts one date, not
    100,000.
    """
    if not rows:
        return
    meta = model._meta
    rows = _prepared(model, fields, rows)
    same = dict(same or {})
    if same:
        shared = tuple(_prepared(model, list(same), [list(same.values())])[0])
        fields = [*fields, *same]
        rows = [(*row, *shared) for row in rows]
    columns = [meta.get_field(name).column for name in fields]
    table = connection.ops.quote_name(meta.db_table)
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        placeholders = ", ".join(["%s"] * len(columns))
        cursor.executemany(f"INSERT INTO {table} ({quoted}) VALUES ({placeholders})", rows)  # noqa: S608


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
