#!/usr/bin/env python3
"""A county of N synthetic residents (1,000,000 at BENCH_SCALE=1) for the benchmarks (not a test).

The demo generator (`yibiao.demo.synth.generate_county`: real division codes, valid GB
11643 numbers, realistic households) is called in pieces of `--piece-households`
households, one real township of 岳麓区 (430104) per piece, round robin, seed = piece
number. Each piece's communities get the next free codes under their township, so a
million people make ~16 communities (~5,000 people each) per township. Piece 1 is the same
at every county size: a benchmark can read the same community at 10k and at 1M people.

Rows go to the database as plain tuples through `yibiao.ledger.bulk.insert_rows` (COPY on
PostgreSQL, executemany on SQLite), one transaction per piece; persons, households and
places get their ids here so no row has to be read back. Values are stored canonically,
as the demo loader stores them. Each piece ends by computing its people's states
(`yibiao.ledger.state.refresh_states`), which the bulk insert bypasses.

    .venv/bin/python bench/generate.py --people 1000000 --database-url postgres://postgres@127.0.0.1:5432/bench
    .venv/bin/python bench/generate.py --people 100000   # SQLite at var/bench.sqlite3

The database is initialised (`yibiao init`) and must not hold 430104's people already.
Benchmarks grow a county in one process: `build(0, k, …)`, then `build(k, m, …)` with the
same `Codes`.
"""
from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime as dt
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from yibiao.demo.synth import SynthCounty, generate_county  # noqa: E402

COUNTY = "430104"
COUNTY_NAME = "岳麓区"
PIECE_HOUSEHOLDS = 5000  # ≈ 13,500 people: 2–4 communities of a few thousand each
SINCE = dt.date(2025, 1, 1)
# Ages are drawn at this date; the benchmarks read as of it. The demo's default (2026-11-30)
# is after some days this runs, and the ledger rightly refuses a birth date in the future.
PERIOD_END = dt.date(2026, 6, 30)
SCALE = float(os.environ.get("BENCH_SCALE", "1"))


def townships(county: str = COUNTY) -> list[tuple[str, str]]:
    """The county's real townships and streets, from the shipped division table."""
    path = ROOT / "yibiao" / "data" / "divisions" / "streets.csv"
    with path.open(encoding="utf-8", newline="") as f:
        return [(r["code"], r["name"]) for r in csv.DictReader(f) if r["areaCode"] == county]


def _check_digit(body: str) -> str:
    total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(body))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


@dataclass
class Codes:
    """Next free community/village numbers per township, and every ID body used so far:
    pieces are generated independently, so two may draw the same number."""

    urban: dict[str, int] = dataclasses.field(default_factory=dict)
    village: dict[str, int] = dataclasses.field(default_factory=dict)
    used_ids: set[str] = dataclasses.field(default_factory=set)

    def community(self, township: str, kind: str) -> str:
        table, first = (self.village, 201) if kind == "village" else (self.urban, 1)
        n = table.get(township, first)
        table[township] = n + 1
        if n > (399 if kind == "village" else 199):
            raise ValueError(f"township {township} is full: use bigger pieces")
        return f"{township}{n:03d}"

    def unique_id(self, id_number: str) -> str:
        """The same number, or (on a clash with an earlier piece) the next free sequence
        code of the same parity, so sex and birth date stay what the number says."""
        body = id_number[:17]
        seq = int(body[14:17])
        for step in range(500):
            candidate = f"{body[:14]}{(seq + 2 * step) % 1000:03d}"
            if candidate not in self.used_ids:
                self.used_ids.add(candidate)
                return candidate + _check_digit(candidate)
        raise ValueError(f"no free sequence code for {body[:14]}")


def piece(index: int, households: int, codes: Codes, towns: list[tuple[str, str]],
          county: str = COUNTY, county_name: str = COUNTY_NAME, seed_base: int = 0) -> SynthCounty:
    """Piece `index` (0-based): the demo generator on one township, codes made unique
    (`seed_base` apart for each county of a province, so counties are not copies)."""
    township = towns[index % len(towns)]
    synth = generate_county(county, county_name, [township], seed=seed_base + index + 1, households=households,
                            period_end=PERIOD_END)
    renamed: dict[str, str] = {}
    communities = []
    for c in synth.communities:
        code = codes.community(c.township_code, c.kind)
        renamed[c.code] = code
        grids = [dataclasses.replace(g, code=code + g.code[12:]) for g in c.grids]
        communities.append(dataclasses.replace(c, code=code, grids=grids))

    def recode(code: str) -> str:
        return renamed[code[:12]] + code[12:]

    ids: dict[str, str] = {}
    hh = []
    for h in synth.households:
        members = []
        for m in h.members:
            old = m.facts["person.id_number"]
            new = ids[old] = codes.unique_id(old)
            facts = m.facts
            if new != old:
                facts = {**facts, "person.id_number": new}
                if "person.disability_cert_no" in facts:
                    facts["person.disability_cert_no"] = new + facts["person.disability_cert_no"][18:]
            members.append(dataclasses.replace(m, facts=facts))
        hh.append(dataclasses.replace(h, number=recode(h.number[:12]) + h.number[12:],
                                      community_code=recode(h.community_code),
                                      grid_code=recode(h.grid_code), members=members))
    places = [dataclasses.replace(p, community_code=recode(p.community_code), grid_code=recode(p.grid_code),
                                  owner_id_number=ids.get(p.owner_id_number, p.owner_id_number))
              for p in synth.places]
    return SynthCounty(synth.code, synth.name, communities, hh, places)


@dataclass
class Written:
    pieces: int = 0
    communities: int = 0
    households: int = 0
    people: int = 0
    facts: int = 0
    generate_s: float = 0.0
    write_s: float = 0.0


class Writer:
    """Writes pieces into the configured database (Django set up by the caller)."""

    def __init__(self, county: str = COUNTY) -> None:
        from django.db.models import Max
        from django.utils import timezone

        from yibiao.demo.load import Canonical
        from yibiao.dictionary.rules import Rules
        from yibiao.ledger.models import Household, Person, Place
        from yibiao.orgunits.models import OrgUnit

        self.county = OrgUnit.objects.get(code=county)
        self.townships = {t.code: t for t in self.county.children.all()}
        self.canonical = Canonical(Rules.load())
        self.now = timezone.now()
        self.next_id = {model: (model.objects.aggregate(m=Max("id"))["m"] or 0) + 1
                        for model in (Household, Person, Place)}

    def write(self, synth: SynthCounty) -> int:
        """One piece in one transaction; returns the facts written."""
        from django.db import connection, transaction

        from yibiao.demo.load import write_units
        from yibiao.ledger.bulk import insert_rows
        from yibiao.ledger.models import (
            Fact,
            Household,
            Person,
            Place,
            Residence,
            Source,
            SubjectKind,
        )
        from yibiao.ledger.partitions import ensure_counties
        from yibiao.ledger.snapshot import DERIVED_PERSON
        from yibiao.ledger.state import refresh_states
        from yibiao.values.pinyin import name_initials

        now, demo, canonical = self.now, Source.DEMO, self.canonical
        with transaction.atomic():
            ensure_counties([self.county.code])  # PostgreSQL: the county's partitions
            units = write_units(self.county, synth)
            unit_id = {code: u.pk for code, u in units.items()}
            hid = self.next_id[Household]
            pid = self.next_id[Person]
            lid = self.next_id[Place]
            households, people, residences, facts = [], [], [], []
            phones = {}
            for h in synth.households:
                grid = unit_id[h.grid_code]
                households.append((hid, h.number, grid, h.community_code, h.address, now))
                facts.append((SubjectKind.HOUSEHOLD, hid, "household.address", h.address, SINCE, now,
                              demo, h.grid_code, ""))
                for m in h.members:
                    f = m.facts
                    people.append((pid, f["person.id_number"], f["person.name"], name_initials(f["person.name"]),
                                   grid, hid, 1, now, now))
                    residences.append((pid, hid, grid, h.grid_code, f.get("person.relation_to_head", ""),
                                       SINCE, None, now, demo))
                    phones[f["person.id_number"]] = (f["person.name"], f.get("person.phone", ""))
                    for element, value in f.items():
                        if element in DERIVED_PERSON or value in (None, ""):
                            continue
                        facts.append((SubjectKind.PERSON, pid, element, canonical(element, value), SINCE, now,
                                      demo, h.grid_code, ""))
                    pid += 1
                hid += 1
            places = []
            for p in synth.places:
                places.append((lid, p.address, unit_id[p.grid_code], now))
                owner_name, owner_phone = phones.get(p.owner_id_number, ("", ""))
                values = {"place.address": p.address, "place.is_rental": "1" if p.is_rental else "0",
                          "place.usage": p.usage, "place.owner_name": owner_name, "place.owner_phone": owner_phone}
                for element, value in values.items():
                    if value:
                        facts.append((SubjectKind.PLACE, lid, element, canonical(element, value), SINCE, now,
                                      demo, p.grid_code, ""))
                lid += 1
            insert_rows(Household, ["id", "number", "org_unit", "community_code", "address", "created_at"],
                        households)
            insert_rows(Person, ["id", "id_number", "name", "name_initials", "org_unit", "household",
                                 "version", "created_at", "updated_at"], people)
            insert_rows(Place, ["id", "address", "org_unit", "created_at"], places)
            insert_rows(Residence, ["person", "household", "org_unit", "org_code", "relation_to_head",
                                    "valid_from", "valid_to", "recorded_at", "source"], residences)
            insert_rows(Fact, ["subject_kind", "subject_id", "element", "value", "valid_from",
                               "recorded_at", "source", "org_code", "note"], facts)
            # The bulk insert bypasses the write path that keeps the people's states.
            refresh_states(range(self.next_id[Person], pid))
            if connection.vendor == "postgresql":  # ids given here: move the identity sequences on
                with connection.cursor() as cursor:
                    for model, last in ((Household, hid), (Person, pid), (Place, lid)):
                        table = model._meta.db_table
                        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)",  # noqa: S608
                                       [last - 1])
            self.next_id = {Household: hid, Person: pid, Place: lid}
        return len(facts)


def people_in_county() -> int:
    from yibiao.ledger.models import Person
    from yibiao.orgunits.models import subtree_q

    return Person.objects.filter(subtree_q(COUNTY, "org_unit__code")).count()


def pieces_for(people: int, households: int) -> int:
    """Pieces needed for about `people` residents (2.7 people a household)."""
    return max(1, round(people / (households * 2.7)))


def build(first: int, last: int, households: int, codes: Codes, *, log: bool = True,
          county: str = COUNTY, seed_base: int = 0) -> Written:
    """Generate and write pieces first..last-1 of the county into the configured database."""
    towns = townships(county)
    writer = Writer(county)
    name = writer.county.name
    done = Written()
    for index in range(first, last):
        start = time.perf_counter()
        synth = piece(index, households, codes, towns, county, name, seed_base)
        mid = time.perf_counter()
        done.facts += writer.write(synth)
        end = time.perf_counter()
        done.generate_s += mid - start
        done.write_s += end - mid
        done.pieces += 1
        done.communities += len(synth.communities)
        done.households += len(synth.households)
        done.people += sum(len(h.members) for h in synth.households)
        if log and (done.pieces % 10 == 0 or index == last - 1):
            print(f"  piece {index + 1}/{last}: {done.people:,} people, {done.facts:,} facts "
                  f"(generate {done.generate_s:.1f} s, write {done.write_s:.1f} s)", flush=True)
    return done


def generated_stream(households: int, count: int) -> Iterator[SynthCounty]:
    """The pieces without a database (exports, file benchmarks)."""
    codes, towns = Codes(), townships()
    for index in range(count):
        yield piece(index, households, codes, towns)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=int(1_000_000 * SCALE))
    parser.add_argument("--piece-households", type=int, default=PIECE_HOUSEHOLDS)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", "sqlite:///var/bench.sqlite3"))
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    from yibiao.cli import setup_django

    setup_django()
    from yibiao.ledger.models import Person
    from yibiao.setup import initialise

    started = time.perf_counter()
    initialise()
    if have := people_in_county():
        raise SystemExit(f"{args.database_url} already holds {have:,} people in {COUNTY}: use an empty database")
    last = pieces_for(args.people, args.piece_households)
    print(f"{args.database_url}: {last} pieces of {args.piece_households:,} households")
    done = build(0, last, args.piece_households, Codes())
    total = Person.objects.count()
    print(f"wrote {done.people:,} people, {done.households:,} households, {done.communities} communities, "
          f"{done.facts:,} facts in {time.perf_counter() - started:.1f} s "
          f"(generate {done.generate_s:.1f} s, write {done.write_s:.1f} s); the database holds {total:,} people")


if __name__ == "__main__":
    main()
