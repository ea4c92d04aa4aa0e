"""Load the real statistical division codes shipped in yibiao/data/divisions.

Idempotent: an upsert keyed by code, level by level so parents exist before children.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from yibiao.values.divisions import SILENT_NAMES
from yibiao.values.pinyin import unit_initials

from .models import Level, OrgUnit

DIVISIONS_DIR = Path(__file__).resolve().parent.parent / "data" / "divisions"

# file, level, parent column
LEVEL_FILES = [
    ("provinces.csv", Level.PROVINCE, None),
    ("cities.csv", Level.CITY, "provinceCode"),
    ("areas.csv", Level.COUNTY, "cityCode"),
    ("streets.csv", Level.TOWNSHIP, "areaCode"),
]


@dataclass(frozen=True)
class DivisionLoadResult:
    units_by_level: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.units_by_level.values())


def read_level(filename: str) -> list[dict[str, str]]:
    with open(DIVISIONS_DIR / filename, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def join_name(parent_full: str, name: str) -> str:
    if name in SILENT_NAMES:
        return parent_full
    return f"{parent_full} / {name}" if parent_full else name


@transaction.atomic
def load_divisions() -> DivisionLoadResult:
    counts: dict[str, int] = {}
    known: dict[str, tuple[int, str]] = {}  # code -> (id, full name)
    for filename, level, parent_column in LEVEL_FILES:
        rows = read_level(filename)
        units = []
        for row in rows:
            parent_id, parent_full = known[row[parent_column]] if parent_column else (None, "")
            units.append(
                OrgUnit(
                    code=row["code"],
                    name=row["name"],
                    level=level,
                    parent_id=parent_id,
                    full_name=join_name(parent_full, row["name"]),
                    initials=unit_initials(row["name"]),
                )
            )
        OrgUnit.objects.bulk_create(
            units,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["code"],
            update_fields=["name", "level", "parent", "full_name", "initials"],
        )
        for code, pk, full in OrgUnit.objects.filter(level=level).values_list(
            "code", "id", "full_name"
        ):
            known[code] = (pk, full)
        counts[level] = len(units)
    return DivisionLoadResult(counts)


def add_unit(code: str, name: str, level: str, parent: OrgUnit) -> OrgUnit:
    """Create or rename a community or grid below a real unit (codes extend the parent's)."""
    if not code.startswith(parent.code):
        raise ValueError(f"代码 {code} 不在上级 {parent.code} 之下")
    unit, _ = OrgUnit.objects.update_or_create(
        code=code,
        defaults={
            "name": name,
            "level": level,
            "parent": parent,
            "full_name": join_name(parent.full_name, name),
            "initials": unit_initials(name),
        },
    )
    return unit
