"""A deterministic synthetic county: communities, grids, households, people and houses.

The demo, the benchmarks and screenshots need a ledger that looks like a real county's
(names by real surname frequency, valid ID numbers, an ageing population, special
groups in plausible shares) without holding a single real person. Pure Python, no
Django: the loader in ``yibiao.demo.load`` turns the result into rows.

Everything is drawn from one ``random.Random(seed)``; the same arguments give the same
county, byte for byte.
"""

from __future__ import annotations

import csv
import datetime
import functools
import math
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from stdnum import numdb

from yibiao.demo import names as words

_T = TypeVar("_T")

DIVISIONS = Path(__file__).resolve().parent.parent / "data" / "divisions"


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class SynthPerson:
    """One resident; ``facts`` maps core element codes to canonical strings."""

    facts: dict[str, str]


@dataclass(frozen=True)
class SynthGrid:
    code: str
    name: str


@dataclass(frozen=True)
class SynthCommunity:
    code: str
    name: str
    township_code: str
    kind: str  # "community" (居委会/社区) or "village" (村委会)
    streets: list[str]
    grids: list[SynthGrid]


@dataclass(frozen=True)
class SynthHousehold:
    number: str
    community_code: str
    grid_code: str
    address: str
    members: list[SynthPerson]


@dataclass(frozen=True)
class SynthPlace:
    address: str
    community_code: str
    grid_code: str
    owner_id_number: str
    is_rental: bool
    usage: str


@dataclass(frozen=True)
class SynthCounty:
    code: str
    name: str
    communities: list[SynthCommunity]
    households: list[SynthHousehold]
    places: list[SynthPlace]


# ---------------------------------------------------------------- tables

# Household kinds with their share of households. Tuned so that, for a county of
# mixed streets and towns, ~21% of people are 60+, ~10% of those live alone and the
# mean household size is ~2.6 (the 2020 census gave 2.62).
HOUSEHOLD_KINDS: tuple[tuple[str, float], ...] = (
    ("elderly_alone", 0.055),
    ("elderly_couple", 0.145),
    ("elderly_with_child", 0.05),
    ("young_single", 0.13),
    ("couple_no_kids", 0.11),
    ("nuclear", 0.31),
    ("three_gen_up", 0.085),
    ("three_gen_down", 0.055),
    ("single_parent", 0.06),
)

# Chance that a household of this kind is a migrant one (外地户籍, 流动), in a street
# community; villages attract a third as many.
MIGRANT_SHARE = {
    "young_single": 0.45,
    "couple_no_kids": 0.28,
    "nuclear": 0.15,
    "single_parent": 0.10,
}

# Provinces that send the most migrants, with rough weights; the county's own
# province always gets the larger share (see _origin_code).
SENDING_PROVINCES = (
    ("51", 10), ("41", 10), ("34", 8), ("42", 7), ("36", 7), ("45", 6),
    ("52", 6), ("43", 8), ("50", 5), ("44", 4), ("37", 4), ("13", 3),
)
# Where locals who are registered here but work away (户在人不在) actually live.
WORK_AWAY_AREAS = ("440306", "440305", "441900", "442000", "440106", "330106", "310115", "320506")

# Disability: yearly chance by age band, then category and grade.
# GB/T 26341-2010 categories: 1 视力 2 听力 3 言语 4 肢体 5 智力 6 精神 7 多重.
DISABILITY_BY_AGE = ((18, 0.015), (45, 0.035), (60, 0.07), (70, 0.11), (80, 0.16), (200, 0.24))
DISABILITY_CATEGORY_CHILD = (("5", 35), ("7", 20), ("2", 15), ("4", 15), ("6", 5), ("1", 5), ("3", 5))
DISABILITY_CATEGORY_ADULT = (("4", 30), ("2", 22), ("1", 15), ("7", 14), ("6", 9), ("5", 6), ("3", 4))
DISABILITY_GRADE = (("1", 10), ("2", 22), ("3", 30), ("4", 38))

# GB/T 4658-2006 top-level education by birth cohort (upper bound of birth year).
EDUCATION_LADDER = ("10", "20", "30", "40", "60", "70", "80", "90")
EDUCATION_BY_COHORT = (
    (1950, (("80", 40), ("90", 25), ("70", 25), ("60", 8), ("40", 2))),
    (1965, (("70", 40), ("80", 25), ("60", 20), ("40", 8), ("30", 4), ("90", 3))),
    (1980, (("70", 38), ("60", 22), ("40", 12), ("30", 12), ("20", 10), ("80", 6))),
    (1995, (("20", 25), ("30", 25), ("70", 20), ("60", 15), ("40", 10), ("10", 5))),
    (3000, (("20", 35), ("30", 30), ("60", 12), ("70", 10), ("40", 8), ("10", 5))),
)

# Minority nationalities seen in a central-southern county (GB/T 3304 codes).
ETHNICITY = (("01", 970), ("15", 10), ("06", 8), ("12", 4), ("13", 3), ("03", 3), ("08", 2))

# GB/T 4761 relations that descend from the head or the head's parents.
BLOOD_RELATIONS = frozenset({"02", "20", "30", "41", "42", "43", "44", "51", "52"})

# Mobile number prefixes in use across the three carriers.
PHONE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
    "153", "155", "156", "157", "158", "159", "166", "176", "177", "180", "181", "182",
    "183", "185", "186", "187", "188", "189", "191", "195", "198", "199",
)

LOW_INCOME_SHARE = 0.03
EXTREME_POVERTY_SHARE = 0.003
RENTAL_SHARE_LOCAL = 0.03  # locals who rent rather than own where they live


# ---------------------------------------------------------------- division data


@dataclass(frozen=True)
class _Divisions:
    areas: dict[str, str]  # 6-digit code -> name
    cities: dict[str, str]  # 4-digit code -> name
    provinces: dict[str, str]  # 2-digit code -> name
    by_province: dict[str, list[str]]  # province -> its GB/T 2260 county codes, sorted


@functools.cache
def _divisions() -> _Divisions:
    def read(name: str) -> dict[str, str]:
        with (DIVISIONS / name).open(encoding="utf-8", newline="") as f:
            return {row["code"]: row["name"] for row in csv.DictReader(f)}

    areas = read("areas.csv")
    by_province: dict[str, list[str]] = {}
    for code in sorted(areas):
        # x7x codes are development zones the statistics bureau numbers; they are not
        # GB/T 2260 counties and never start an ID number.
        if code[4] != "7":
            by_province.setdefault(code[:2], []).append(code)
    return _Divisions(areas, read("cities.csv"), read("provinces.csv"), by_province)


@functools.cache
def _code_years(code: str) -> tuple[tuple[int, int], ...]:
    """Years in which an area code could be issued, per python-stdnum's GB 2260 history.

    ID numbers are validated against the code's life span, so a 1950 birth cannot carry
    a district code created in 1996.
    """
    info = {k: v for _, props in numdb.get("cn/loc").info(code) for k, v in props.items()}
    if "county" not in info:
        return ()
    spans = []
    for county in info["county"].split(","):
        if not county.startswith("["):
            return ((0, 9999),)
        start, end = county[1:].split("]")[0].split("-")
        spans.append((int(start or 0), int(end or 9999)))
    return tuple(spans)


@functools.cache
def _valid_in(code: str, year: int) -> bool:
    # Cached: _fallbacks walks every county code of a province (or the country) per year.
    return any(start <= year <= end for start, end in _code_years(code))


@functools.cache
def _fallbacks(code: str, year: int) -> tuple[str, ...]:
    """Codes near ``code`` (same city, else province) that existed in ``year``."""
    div = _divisions()
    same_province = div.by_province.get(code[:2], [])
    for prefix in (code[:4], code[:2]):
        found = tuple(c for c in same_province if c.startswith(prefix) and _valid_in(c, year))
        if found:
            return found
    return tuple(c for cs in div.by_province.values() for c in cs if _valid_in(c, year))


def _area_label(code: str) -> str:
    """Province + city + county name, e.g. 四川省南充市阆中市."""
    div = _divisions()
    city = div.cities.get(code[:4], "")
    if city in ("市辖区", "县") or city.startswith("省直辖") or city.startswith("自治区直辖"):
        city = ""
    area = div.areas.get(code, "")
    return div.provinces.get(code[:2], "") + city + ("" if area == city else area)


# ---------------------------------------------------------------- the generator


def generate_county(
    county_code: str,
    county_name: str,
    townships: list[tuple[str, str]],
    *,
    seed: int = 1,
    households: int = 3000,
    period_end: datetime.date = datetime.date(2026, 11, 30),
) -> SynthCounty:
    """Generate a county of about ``households`` households under the given townships.

    ``townships`` are the county's real (9-digit code, name) pairs; communities and
    villages get statistical codes under them. Ages are whole years at ``period_end``.
    """
    if len(county_code) != 6 or not county_code.isdigit():
        raise ValueError(f"county_code must be 6 digits, got {county_code!r}")
    if not townships:
        raise ValueError("a county needs at least one township")
    if households < 1:
        raise ValueError("households must be positive")
    return _Generator(county_code, county_name, townships, seed, households, period_end).run()


@dataclass
class _Member:
    """A person while their household is being built; facts are written at the end."""

    sex: str
    age: int
    relation: str
    surname: str = ""
    marital: str = "10"
    migrant: bool = False
    origin: str = ""  # area code the ID number starts with (before the birth-year check)
    away: str = ""  # area code where a 户在人不在 local lives
    facts: dict[str, str] = field(default_factory=dict)


@dataclass
class _Slot:
    """A dwelling: its address, sort key (to draw grids over adjacent buildings), grid."""

    key: tuple[int, ...]
    address: str
    grid_code: str = ""


@dataclass
class _CommunityPlan:
    community: SynthCommunity
    township_name: str
    slots: list[_Slot]


class _Generator:
    def __init__(
        self,
        county_code: str,
        county_name: str,
        townships: list[tuple[str, str]],
        seed: int,
        households: int,
        period_end: datetime.date,
    ) -> None:
        self.code = county_code
        self.name = county_name
        self.townships = list(townships)
        self.rng = random.Random(seed)
        self.target = households
        self.period_end = period_end
        self.used_ids: set[str] = set()
        self.used_phones: set[str] = set()
        self.used_names: set[str] = set()  # community, village and street names
        self.employers = self._employers()
        self.surnames = [s for s, _ in words.SURNAMES]
        self.surname_cum = list(_cumulative(w for _, w in words.SURNAMES))

    # ------------------------------------------------------------ top level

    def run(self) -> SynthCounty:
        plans = self._plan_communities()
        sizes = self._allocate(len(plans))
        for plan, size in zip(plans, sizes, strict=True):
            plan.slots = self._dwellings(plan, size)
        households: list[SynthHousehold] = []
        kinds: list[str] = []
        members_of: list[list[_Member]] = []
        # Quotas, not independent draws: the shares of 60+ and of people living alone
        # then hold for every seed instead of wandering by a few points.
        quota = _quotas(HOUSEHOLD_KINDS, self.target)
        self.rng.shuffle(quota)
        for plan in plans:
            community = plan.community
            for i, slot in enumerate(plan.slots):
                kind = quota[len(kinds)]
                share = MIGRANT_SHARE.get(kind, 0.02)
                if community.kind == "village":
                    share /= 3
                members = self._household(kind, migrant=self.rng.random() < share,
                                          village=community.kind == "village")
                number = f"{community.code}{i + 1:04d}"
                households.append(SynthHousehold(number, community.code, slot.grid_code,
                                                 slot.address, []))
                kinds.append(kind)
                members_of.append(members)
        self._special_groups(kinds, members_of, plans)
        finished = [
            SynthHousehold(h.number, h.community_code, h.grid_code, h.address,
                           [SynthPerson(m.facts) for m in ms])
            for h, ms in zip(households, members_of, strict=True)
        ]
        places = self._places(finished, members_of)
        return SynthCounty(self.code, self.name, [p.community for p in plans], finished, places)

    # ------------------------------------------------------------ org units

    def _plan_communities(self) -> list[_CommunityPlan]:
        plans = []
        for township_code, township_name in self.townships:
            rural = township_name.endswith(("镇", "乡"))
            count = self.rng.randint(2, 4)
            next_urban, next_village = 1, 201
            for i in range(count):
                # A town keeps one residents' committee at its seat; a street office
                # now and then still has a village on its edge.
                village = (i > 0) if rural else self.rng.random() < 0.12
                if village:
                    stem = self._unique(lambda: self.rng.choice(words.VILLAGE_FIRST)
                                        + self.rng.choice(words.VILLAGE_SECOND), "村")
                    name = stem + "村"
                    code = f"{township_code}{next_village:03d}"
                    next_village += 1
                else:
                    stem = self._unique(lambda: self.rng.choice(words.COMMUNITY_STEMS)
                                        + self.rng.choice(words.COMMUNITY_LANDFORMS), "社区")
                    name = stem + "社区"
                    code = f"{township_code}{next_urban:03d}"
                    next_urban += 1
                streets = self._streets(stem, 1 if village else self.rng.randint(2, 4))
                grid_count = self.rng.randint(2, 5)
                grids = [SynthGrid(f"{code}{g + 1:03d}", f"第{words.CHINESE_NUMERALS[g]}网格")
                         for g in range(grid_count)]
                community = SynthCommunity(code, name, township_code,
                                           "village" if village else "community", streets, grids)
                plans.append(_CommunityPlan(community, township_name, []))
        return plans

    def _unique(self, draw: Callable[[], str], suffix: str) -> str:
        """Draw a stem until ``stem + suffix`` is new in this county."""
        for _ in range(100):
            stem = draw()
            if stem + suffix not in self.used_names:
                self.used_names.add(stem + suffix)
                return stem
        # The vocabularies hold hundreds of combinations; running out means a county far
        # larger than the demo needs. Prefix 新 (then number) rather than loop forever.
        stem, n = "新" + stem, 2
        while stem + suffix in self.used_names:
            stem, n = f"{stem.rstrip('0123456789')}{n}", n + 1
        self.used_names.add(stem + suffix)
        return stem

    def _streets(self, stem: str, count: int) -> list[str]:
        """Road names, distinct in the county; the first usually shares the community's
        name (枫林社区 on 枫林路)."""
        streets = []
        for kind in self.rng.sample(("路", "街"), 2):
            if stem[:2] + kind not in self.used_names:
                self.used_names.add(stem[:2] + kind)
                streets.append(stem[:2] + kind)
                break
        while len(streets) < count:
            streets.append(self._unique(lambda: self.rng.choice(words.STREET_STEMS)
                                        + self.rng.choice(words.STREET_DIRECTIONS)
                                        + self.rng.choice(words.STREET_KINDS), ""))
        return streets

    def _allocate(self, n: int) -> list[int]:
        """Split the households over communities by uneven weights, summing exactly."""
        weighted = tuple((str(i), self.rng.uniform(0.5, 1.6)) for i in range(n))
        counts = [0] * n
        for i in _quotas(weighted, self.target):
            counts[int(i)] += 1
        return counts

    def _dwellings(self, plan: _CommunityPlan, count: int) -> list[_Slot]:
        """Distinct addresses for ``count`` households; grids cover adjacent buildings."""
        c = plan.community
        slots: dict[tuple[int, ...], _Slot] = {}
        if c.kind == "village":
            groups = self.rng.randint(max(3, len(c.grids)), 12)
            while len(slots) < count:
                group = self.rng.randrange(groups)
                number = self.rng.randint(1, 60 + count // groups)
                key = (group, number)
                if key not in slots:
                    address = (f"{self.name}{plan.township_name}{c.name}"
                               f"{words.CHINESE_NUMERALS[group]}组{number}号")
                    slots[key] = _Slot(key, address)
        else:
            # Each street has a few compounds (小区) at house numbers, each of several
            # buildings; older walk-ups have 6-7 floors, newer towers up to 30.
            compounds = [(s, self.rng.randrange(1, 200), self.rng.choice((7, 7, 11, 18, 26, 32)))
                         for s in range(len(c.streets)) for _ in range(self.rng.randint(1, 3))]
            # Too few compounds for the households drawn here (a big community: thousands
            # of households under few townships) would loop forever; only then, add more.
            # Whenever the loop below could finish, nothing is drawn here, so every county
            # that generated before generates the same.
            while _capacity(compounds) < count:
                compounds.append((self.rng.randrange(len(c.streets)), self.rng.randrange(1, 200),
                                  self.rng.choice((7, 7, 11, 18, 26, 32))))
            while len(slots) < count:
                street, number, floors = self.rng.choice(compounds)
                building = self.rng.randint(1, 12)
                unit = self.rng.randint(1, 3)
                floor = self.rng.randint(1, floors - 1)
                room = self.rng.randint(1, 4)
                key = (street, number, building, unit, floor, room)
                if key not in slots:
                    address = (f"{self.name}{c.name}{c.streets[street]}{number}号"
                               f"{building}栋{unit}单元{floor}{room:02d}室")
                    slots[key] = _Slot(key, address)
        ordered = sorted(slots.values(), key=lambda s: s.key)
        for i, slot in enumerate(ordered):
            slot.grid_code = c.grids[i * len(c.grids) // len(ordered)].code
        self.rng.shuffle(ordered)
        return ordered

    # ------------------------------------------------------------ households

    def _household(self, kind: str, *, migrant: bool, village: bool) -> list[_Member]:
        """Members of one household of the given kind; the head first (relation 02)."""
        rng = self.rng
        origin = self._origin_code() if migrant else self.code
        members: list[_Member] = []

        def add(sex: str, age: int, relation: str, marital: str = "10") -> _Member:
            m = _Member(sex, max(age, 0), relation, marital=marital, migrant=migrant, origin=origin)
            members.append(m)
            return m

        def couple(head_age: int, head_male: bool = True) -> tuple[_Member, _Member]:
            diff = round(rng.gauss(2, 2.5))
            husband_age, wife_age = (head_age, head_age - diff) if head_male else (head_age + diff, head_age)
            head = add("1" if head_male else "2", head_age, "02", "20")
            spouse = add("2" if head_male else "1", wife_age if head_male else husband_age, "10", "20")
            return head, spouse

        def children(mother_age: int, n: int, *, min_age: int = 0, grand: bool = False,
                     sons_line: bool = True) -> None:
            for _ in range(n):
                latest = min(38, mother_age - min_age)  # mother's age at the birth
                if latest < 21:
                    continue
                age = mother_age - rng.randint(21, latest)
                sex = rng.choice("12")
                if grand:
                    relation = ("41" if sex == "1" else "42") if sons_line else ("43" if sex == "1" else "44")
                else:
                    relation = "20" if sex == "1" else "30"
                add(sex, age, relation)

        def kids_count() -> int:
            return self._pick(((1, 50), (2, 42), (3, 8))) if village else self._pick(((1, 62), (2, 35), (3, 3)))

        head_male = rng.random() < 0.78
        if kind == "elderly_alone":
            sex = "2" if rng.random() < 0.62 else "1"  # women outlive men
            add(sex, self._elderly_age(older=True), "02",
                self._pick((("30", 75), ("40", 10), ("10", 6), ("20", 9))))
        elif kind == "elderly_couple":
            couple(self._elderly_age(), head_male=rng.random() < 0.9)
        elif kind == "elderly_with_child":
            head = add(rng.choice("12"), self._elderly_age(older=True), "02",
                       self._pick((("30", 80), ("40", 20))))
            children(head.age if head.sex == "2" else head.age - 2, 1, min_age=22)
            if len(members) > 1:
                members[1].marital = self._pick((("10", 60), ("40", 40)))
        elif kind == "young_single":
            age = rng.randint(20, 45)
            add(rng.choice("1112"), age, "02", "40" if age >= 28 and rng.random() < 0.2 else "10")
        elif kind == "couple_no_kids":
            age = rng.randint(23, 36) if rng.random() < 0.55 else rng.randint(45, 59)
            couple(age, head_male)
        elif kind == "nuclear":
            head, spouse = couple(rng.randint(26, 58), head_male)
            mother = spouse if spouse.sex == "2" else head
            children(mother.age, kids_count())
        elif kind == "three_gen_up":
            head, spouse = couple(rng.randint(28, 52), head_male)
            mother = spouse if spouse.sex == "2" else head
            children(mother.age, min(kids_count(), 2))  # at most six people
            parent_age = head.age + rng.randint(23, 33)
            own_side = rng.random() < 0.8
            if own_side:
                father, mother_rel = "51", "52"
            elif head.sex == "2":
                father, mother_rel = "53", "54"  # 公公, 婆婆: the husband's parents
            else:
                father, mother_rel = "55", "56"  # 岳父, 岳母: the wife's parents
            if rng.random() < 0.45 and parent_age < 88:
                add("1", parent_age + 2, father, "20")
                add("2", parent_age, mother_rel, "20")
            elif rng.random() < 0.65:  # widowed; mothers outlive fathers
                add("2", parent_age, mother_rel, "30")
            else:
                add("1", parent_age, father, "30")
        elif kind == "three_gen_down":
            head, spouse = couple(self._elderly_age(), head_male=True)
            child_age = spouse.age - rng.randint(23, 33)
            son_line = rng.random() < 0.8
            if son_line:
                add("1", child_age, "20", "20")
                add("2", child_age - rng.randint(0, 4), "38", "20")
            else:
                add("2", child_age, "30", "20")
                add("1", child_age + rng.randint(0, 4), "28", "20")
            mother = members[-1] if son_line else members[-2]
            children(mother.age, rng.randint(1, 2), grand=True, sons_line=son_line)
        elif kind == "single_parent":
            head = add("2" if rng.random() < 0.7 else "1", rng.randint(28, 55), "02",
                       self._pick((("40", 75), ("30", 20), ("10", 5))))
            children(head.age if head.sex == "2" else head.age - 2, rng.randint(1, 2))
        else:  # pragma: no cover - the table and this chain are kept in step
            raise AssertionError(kind)

        self._finish_household(members, village=village)
        return members

    def _elderly_age(self, *, older: bool = False) -> int:
        """An age of 60+, thinning out with survival; people alone skew older."""
        scale = 11.0 if older else 8.0
        start = 63 if older else 60
        while True:
            age = start + int(self.rng.expovariate(1 / scale))
            if age <= 100:
                return age

    def _origin_code(self) -> str:
        """A real county a migrant household comes from: mostly the same province."""
        div = _divisions()
        province = self.code[:2]
        if self.rng.random() >= 0.5:
            choices = [(p, w) for p, w in SENDING_PROVINCES if p != province]
            province = self._pick(choices)
        codes = div.by_province.get(province) or div.by_province[self.code[:2]]
        while True:
            code = self.rng.choice(codes)
            if code != self.code:
                return code

    # ------------------------------------------------------------ people

    def _finish_household(self, members: list[_Member], *, village: bool) -> None:
        """Names, ID numbers and the facts of every member, consistent across the family."""
        rng = self.rng
        self._surnames(members)
        # Blood relatives share the head's nationality; spouses and in-laws bring theirs.
        family_ethnicity = self._pick(ETHNICITY)
        for m in members:
            birth = self._birth_date(m.age)
            origin = m.origin
            if not m.migrant and m.relation in ("10", "38", "28", "53", "54", "55", "56") and rng.random() < 0.3:
                origin = self._origin_code()  # married in from elsewhere
            elif not m.migrant and m.age >= 18 and rng.random() < 0.08:
                origin = self._origin_code()
            if village and not m.migrant and 20 <= m.age <= 50 and rng.random() < 0.2:
                m.away = rng.choice(WORK_AWAY_AREAS)
            ethnicity = family_ethnicity if m.relation in BLOOD_RELATIONS else self._pick(ETHNICITY)
            m.facts = self._person_facts(m, birth, origin, ethnicity, village=village)

    def _surnames(self, members: list[_Member]) -> None:
        """Surnames as Chinese families have them: children take the father's, wives keep
        their own, and each in-law brings another family's."""
        head = members[0]
        head.surname = self._surname()
        spouse = next((m for m in members if m.relation == "10"), None)
        if spouse is not None:
            spouse.surname = self._surname()
        # The father of the head's children: the head, the husband, or a former partner.
        if head.sex == "1":
            father = head.surname
        elif spouse is not None:
            father = spouse.surname
        else:
            father = self._surname() if self.rng.random() < 0.85 else head.surname
        son_in_law = ""
        for m in members[1:]:
            if m.relation in ("20", "30"):
                m.surname = father if self.rng.random() < 0.95 else head.surname
            elif m.relation == "51":
                m.surname = head.surname
            elif m.relation == "53" and spouse is not None:
                m.surname = spouse.surname
            elif m.relation == "55" and spouse is not None:
                m.surname = spouse.surname
            elif m.relation == "28":
                son_in_law = m.surname = self._surname()
            elif m.relation in ("41", "42"):
                son = next((x for x in members if x.relation == "20"), head)
                m.surname = son.surname
            elif m.relation in ("43", "44"):
                m.surname = son_in_law or self._surname()
            elif m is not spouse:
                m.surname = self._surname()

    def _surname(self) -> str:
        return self.rng.choices(self.surnames, cum_weights=self.surname_cum)[0]

    def _given_name(self, sex: str, birth_year: int) -> str:
        cohort = ("old" if birth_year < 1955 else "mid" if birth_year < 1980
                  else "young" if birth_year < 2008 else "new")
        chars = words.GIVEN_CHARS[(sex, cohort)]
        if self.rng.random() < words.SINGLE_CHAR_SHARE[cohort]:
            return self.rng.choice(chars)
        first, second = self.rng.sample(range(len(chars)), 2)
        return chars[first] + chars[second]

    def _birth_date(self, age: int) -> datetime.date:
        """A birth date giving exactly ``age`` whole years at the period end."""
        end = self.period_end
        try:
            latest = end.replace(year=end.year - age)
        except ValueError:  # 29 February
            latest = end.replace(year=end.year - age, day=28)
        return latest - datetime.timedelta(days=self.rng.randint(0, 364))

    def _id_number(self, origin: str, birth: datetime.date, sex: str) -> str:
        """A unique, valid GB 11643 number; the area code must have existed at birth."""
        if not _valid_in(origin, birth.year):
            origin = self.rng.choice(_fallbacks(origin, birth.year))
        stem = origin + birth.strftime("%Y%m%d")
        while True:
            order = self.rng.randrange(0, 500) * 2 + (1 if sex == "1" else 0)
            body = f"{stem}{order:03d}"
            if body not in self.used_ids:
                self.used_ids.add(body)
                return body + _check_digit(body)

    def _phone(self) -> str:
        while True:
            number = self.rng.choice(PHONE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.used_phones:
                self.used_phones.add(number)
                return number

    def _person_facts(self, m: _Member, birth: datetime.date, origin: str, ethnicity: str, *,
                      village: bool) -> dict[str, str]:
        rng = self.rng
        age = m.age
        id_number = self._id_number(origin, birth, m.sex)
        facts = {
            "person.name": m.surname + self._given_name(m.sex, birth.year),
            "person.id_type": "01",
            "person.id_number": id_number,
            "person.sex": m.sex,
            "person.birth_date": birth.isoformat(),
            "person.ethnicity": ethnicity,
        }
        # Phones: teenagers on, the very old sometimes without one.
        if age >= 14 and (age < 80 or rng.random() < 0.6):
            facts["person.phone"] = self._phone()
        if m.away:
            facts["person.residence_address"] = _area_label(m.away)
        if m.migrant:
            facts["person.hukou_type"] = "外地户籍"
            facts["person.registered_division"] = m.origin
            facts["person.residence_status"] = "流动"
        else:
            facts["person.hukou_type"] = "本地户籍"
            facts["person.registered_division"] = self.code
            facts["person.residence_status"] = "户在人不在" if m.away else "常住"
        facts["person.relation_to_head"] = m.relation
        facts["person.marital_status"] = m.marital
        education = self._education(age, birth.year, village)
        if education:
            facts["person.education"] = education
        if age >= 14:
            facts["person.political_status"] = self._political(age)
        self._work(facts, age, village, m)
        if age >= 18:
            veteran_chance = (0.075 if age >= 40 else 0.02) if m.sex == "1" else 0.002
            veteran = rng.random() < veteran_chance
            facts["person.veteran"] = "1" if veteran else "0"
            if veteran and facts.get("person.political_status") == "13" and rng.random() < 0.4:
                facts["person.political_status"] = "01"
        bands = DISABILITY_BY_AGE
        chance = next(p for upper, p in bands if age < upper)
        if rng.random() < chance:
            category = self._pick(DISABILITY_CATEGORY_CHILD if age < 18 else DISABILITY_CATEGORY_ADULT)
            grade = self._pick(DISABILITY_GRADE)
            facts["person.disability_category"] = category
            facts["person.disability_grade"] = grade
            # 残疾人证号: the holder's ID number followed by category and grade digits.
            facts["person.disability_cert_no"] = id_number + category + grade
        facts["person.low_income"] = "0"
        facts["person.extreme_poverty"] = "0"
        return facts

    def _education(self, age: int, birth_year: int, village: bool) -> str:
        """GB/T 4658 level completed or being attended; none before school age."""
        if age < 6:
            return ""
        if age < 12:
            return "80"
        if age < 15:
            return "70"
        if age < 18:
            return "40" if self.rng.random() < 0.25 else "60"
        table = next(t for upper, t in EDUCATION_BY_COHORT if birth_year < upper)
        level = self._pick(table)
        if village and self.rng.random() < 0.4:
            step = EDUCATION_LADDER.index(level)
            level = EDUCATION_LADDER[min(step + 1, len(EDUCATION_LADDER) - 1)]
        return level

    def _political(self, age: int) -> str:
        """GB/T 4762: 01 中共党员, 03 共青团员, 13 群众."""
        party = 0.05 if age < 30 else 0.09 if age < 60 else 0.12
        if age >= 18 and self.rng.random() < party:
            return "01"
        league = 0.6 if age < 19 else 0.3 if age <= 28 else 0.0
        return "03" if self.rng.random() < league else "13"

    def _employers(self) -> list[tuple[tuple[str, tuple[str, ...]], float]]:
        """The county's employers with weights: firms employ most people, and a
        hospital more than a government office."""
        rng = self.rng
        found = []
        for template, jobs in words.PUBLIC_EMPLOYERS:
            township = rng.choice(self.townships)[1]
            found.append(((template.format(county=self.name, township=township), jobs),
                          0.5 if "公务员" in jobs else 1.0))
        brands = list(words.COMPANY_BRANDS)
        rng.shuffle(brands)
        for i, brand in enumerate(brands[:16]):
            trade, jobs = words.COMPANY_TRADES[i % len(words.COMPANY_TRADES)]
            found.append(((brand + trade, jobs), 2.5))
        return found

    def _work(self, facts: dict[str, str], age: int, village: bool, m: _Member) -> None:
        """Work unit and occupation for working ages; students and the retired differ."""
        rng = self.rng
        if m.away and age >= 18:
            facts["person.occupation"] = "外出务工"
            return
        if 6 <= age <= 17 or (18 <= age <= 21 and facts.get("person.education") in ("20", "30")
                              and rng.random() < 0.8):
            facts["person.occupation"] = "学生"
            return
        if not 18 <= age <= 59:
            return
        roll = rng.random()
        if roll < 0.07:
            facts["person.occupation"] = "无业"
            return
        if village and roll < 0.5:
            facts["person.occupation"] = rng.choice(words.SELF_EMPLOYED_RURAL)
            return
        if roll < 0.2:
            facts["person.occupation"] = rng.choice(words.SELF_EMPLOYED_URBAN)
            return
        unit, jobs = self._pick(self.employers)
        facts["person.work_unit"] = unit
        facts["person.occupation"] = rng.choice(jobs)

    # ------------------------------------------------------------ special groups

    def _special_groups(self, kinds: list[str], households: list[list[_Member]],
                        plans: list[_CommunityPlan]) -> None:
        """Household-level facts: addresses, elderly care flags, 低保 and 特困."""
        rng = self.rng
        index = 0
        for plan in plans:
            for slot in plan.slots:
                members = households[index]
                kind = kinds[index]
                index += 1
                home = self._origin_address(members[0].origin) if members[0].migrant else slot.address
                for m in members:
                    f = m.facts
                    f.setdefault("person.residence_address", slot.address)
                    f["person.registered_address"] = home
                    if m.age >= 60:
                        f["person.lives_alone"] = "1" if len(members) == 1 else "0"
                        f["person.empty_nester"] = "1" if kind in ("elderly_alone", "elderly_couple") else "0"
                        self._emergency_contact(f, m, members)
        persons = sum(len(ms) for ms in households)
        # 低保 is granted to a household; the poorer kinds are likelier to hold it.
        weights = []
        for kind, members in zip(kinds, households, strict=True):
            if members[0].migrant:
                weights.append(0.0)
                continue
            w = {"elderly_alone": 4.0, "single_parent": 4.0, "elderly_with_child": 2.5}.get(kind, 1.0)
            if any("person.disability_category" in m.facts for m in members):
                w *= 3
            weights.append(w)
        chosen = _weighted_order(rng, weights)
        covered = 0
        goal = round(persons * LOW_INCOME_SHARE)
        low_income = set()
        for i in chosen:
            if covered >= goal:
                break
            if covered + len(households[i]) > goal * 1.05 and len(households[i]) > 2:
                continue
            low_income.add(i)
            covered += len(households[i])
            for m in households[i]:
                m.facts["person.low_income"] = "1"
        # 特困: people with no one to support them, outside 低保 households.
        pool = [i for i, ms in enumerate(households)
                if i not in low_income and not ms[0].migrant and len(ms) == 1
                and (ms[0].age >= 60 or ms[0].facts.get("person.disability_grade") in ("1", "2"))]
        rng.shuffle(pool)
        for i in pool[: max(1, round(persons * EXTREME_POVERTY_SHARE))]:
            households[i][0].facts["person.extreme_poverty"] = "1"

    def _origin_address(self, code: str) -> str:
        """A plausible registered address back home: county, a village, a group, a number."""
        rng = self.rng
        village = rng.choice(words.VILLAGE_FIRST) + rng.choice(words.VILLAGE_SECOND)
        group = words.CHINESE_NUMERALS[rng.randrange(10)]
        return f"{_area_label(code)}{village}村{group}组{rng.randint(1, 80)}号"

    def _emergency_contact(self, f: dict[str, str], m: _Member, members: list[_Member]) -> None:
        """Elderly people's contact: a grown child at home, else one living elsewhere."""
        for other in members:
            if other.age <= m.age - 18 and "person.phone" in other.facts:
                f["person.emergency_contact"] = other.facts["person.name"]
                f["person.emergency_phone"] = other.facts["person.phone"]
                return
        child_year = int(f["person.birth_date"][:4]) + self.rng.randint(22, 34)
        sex = self.rng.choice("12")
        surname = f["person.name"][0] if m.sex == "1" else self._surname()
        f["person.emergency_contact"] = surname + self._given_name(sex, child_year)
        f["person.emergency_phone"] = self._phone()

    # ------------------------------------------------------------ houses

    def _places(self, households: list[SynthHousehold],
                members_of: list[list[_Member]]) -> list[SynthPlace]:
        """One house per household; tenants' houses belong to a local in the community."""
        rng = self.rng
        owners_by_community: dict[str, list[str]] = {}
        for h, ms in zip(households, members_of, strict=True):
            for m in ms:
                if not m.migrant and m.age >= 30 and m.relation in ("02", "10"):
                    owners_by_community.setdefault(h.community_code, []).append(
                        m.facts["person.id_number"])
        all_owners = [o for os in owners_by_community.values() for o in os]
        # Where each owner sits in its community's list: "the owners but this household"
        # becomes a view (_Without) instead of a copy per household, which was quadratic
        # in the community's size. rng.choice sees the same length and the same items.
        position = {o: i for os in owners_by_community.values() for i, o in enumerate(os)}
        places = []
        for h, ms in zip(households, members_of, strict=True):
            head = ms[0]
            tenant = rng.random() < (0.85 if head.migrant else RENTAL_SHARE_LOCAL)
            own_ids = {m.facts["person.id_number"] for m in ms}
            community_owners = owners_by_community.get(h.community_code, [])
            landlords: _Without | list[str] = _Without(community_owners, sorted(
                position[o] for o in own_ids
                if o in position and position[o] < len(community_owners)
                and community_owners[position[o]] == o))
            if tenant and not landlords:  # a community with no one to rent from
                landlords = [o for o in all_owners if o not in own_ids]
            if tenant and landlords:
                owner = rng.choice(landlords)
            else:
                tenant = False
                spouse = next((m for m in ms if m.relation == "10" and m.age >= 18), None)
                who = spouse if spouse is not None and rng.random() < 0.3 else head
                owner = who.facts["person.id_number"]
            places.append(SynthPlace(h.address, h.community_code, h.grid_code, owner, tenant,
                                     "出租" if tenant else "自住"))
        return places

    # ------------------------------------------------------------ helpers

    def _pick(self, table: Iterable[tuple[_T, float]]) -> _T:
        """One value from ``((value, weight), ...)``."""
        pairs = list(table)
        return self.rng.choices([v for v, _ in pairs], weights=[w for _, w in pairs])[0]


class _Without:
    """``items`` minus the positions in ``skip`` (sorted), as a read-only sequence."""

    def __init__(self, items: list[str], skip: list[int]) -> None:
        self.items = items
        self.skip = skip

    def __len__(self) -> int:
        return len(self.items) - len(self.skip)

    def __getitem__(self, k: int) -> str:
        if not 0 <= k < len(self):
            raise IndexError(k)
        for s in self.skip:  # a household has a handful of members: a short walk
            if s <= k:
                k += 1
        return self.items[k]


def _capacity(compounds: list[tuple[int, int, int]]) -> int:
    """Distinct dwellings the compounds can hold (12 buildings × 3 units × 4 rooms a floor);
    two compounds drawn at the same street and number share their dwellings."""
    floors: dict[tuple[int, int], int] = {}
    for street, number, top in compounds:
        floors[(street, number)] = max(floors.get((street, number), 0), top - 1)
    return sum(12 * 3 * 4 * f for f in floors.values())


def _quotas(table: tuple[tuple[str, float], ...], total: int) -> list[str]:
    """``total`` values in the table's proportions (largest remainder), in table order."""
    weight = sum(w for _, w in table)
    exact = [total * w / weight for _, w in table]
    counts = [int(x) for x in exact]
    for i in sorted(range(len(table)), key=lambda i: counts[i] - exact[i])[: total - sum(counts)]:
        counts[i] += 1
    return [value for (value, _), n in zip(table, counts, strict=True) for _ in range(n)]


def _cumulative(weights: Iterable[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def _weighted_order(rng: random.Random, weights: list[float]) -> list[int]:
    """Indexes with positive weight in a weighted random order (Efraimidis-Spirakis keys)."""
    keyed = [(math.log(rng.random() or 1e-300) / w, i) for i, w in enumerate(weights) if w > 0]
    keyed.sort(reverse=True)
    return [i for _, i in keyed]


def _check_digit(body: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits (GB 11643-1999)."""
    total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(body))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)
