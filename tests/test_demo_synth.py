"""The synthetic county looks like a real one and never varies for a given seed.

Pure: no database. One county of 3,000 households (430104 岳麓区, its real townships)
is generated once for the module; smaller ones check determinism.
"""

from __future__ import annotations

import csv
import datetime
import re
from collections import Counter
from pathlib import Path

import pytest
from stdnum.cn import ric

from yibiao.demo.synth import SynthCounty, generate_county

DATA = Path(__file__).resolve().parent.parent / "yibiao" / "data"
COUNTY, COUNTY_NAME = "430104", "岳麓区"
PERIOD_END = datetime.date(2026, 11, 30)


def townships(county: str = COUNTY) -> list[tuple[str, str]]:
    with (DATA / "divisions" / "streets.csv").open(encoding="utf-8", newline="") as f:
        return [(r["code"], r["name"]) for r in csv.DictReader(f) if r["areaCode"] == county]


def codes(name: str) -> set[str]:
    with (DATA / "codes" / name).open(encoding="utf-8", newline="") as f:
        return {r["code"] for r in csv.DictReader(f)}


def age(facts: dict[str, str]) -> int:
    born = datetime.date.fromisoformat(facts["person.birth_date"])
    return PERIOD_END.year - born.year - ((PERIOD_END.month, PERIOD_END.day) < (born.month, born.day))


@pytest.fixture(scope="module")
def county() -> SynthCounty:
    return generate_county(COUNTY, COUNTY_NAME, townships(), seed=1)


@pytest.fixture(scope="module")
def people(county: SynthCounty) -> list[dict[str, str]]:
    return [m.facts for h in county.households for m in h.members]


# ---------------------------------------------------------------- determinism


def test_same_seed_gives_the_same_county() -> None:
    first = generate_county(COUNTY, COUNTY_NAME, townships(), seed=7, households=300)
    second = generate_county(COUNTY, COUNTY_NAME, townships(), seed=7, households=300)
    assert first == second


def test_another_seed_gives_other_people() -> None:
    one = generate_county(COUNTY, COUNTY_NAME, townships(), seed=1, households=300)
    two = generate_county(COUNTY, COUNTY_NAME, townships(), seed=2, households=300)
    ids = lambda c: {m.facts["person.id_number"] for h in c.households for m in h.members}  # noqa: E731
    assert len(ids(one) & ids(two)) < 5
    assert [c.name for c in one.communities] != [c.name for c in two.communities]


def test_the_requested_number_of_households_is_exact() -> None:
    # Speed is measured in bench/, never asserted here.
    county = generate_county(COUNTY, COUNTY_NAME, townships(), seed=3)
    assert len(county.households) == 3000


def test_another_county_works_too() -> None:
    county = generate_county("110105", "朝阳区", townships("110105"), seed=1, households=500)
    assert len(county.households) == 500
    assert all(ric.is_valid(m.facts["person.id_number"]) for h in county.households for m in h.members)


def test_no_townships_is_the_callers_bug() -> None:
    with pytest.raises(ValueError):
        generate_county(COUNTY, COUNTY_NAME, [])


# ---------------------------------------------------------------- ID numbers


def test_every_id_number_is_valid_and_matches_birth_date_and_sex(people: list[dict[str, str]]) -> None:
    for f in people:
        number = f["person.id_number"]
        assert ric.is_valid(number), number
        assert ric.get_birth_date(number).isoformat() == f["person.birth_date"]
        assert int(number[16]) % 2 == (1 if f["person.sex"] == "1" else 0), number


def test_id_numbers_are_unique(people: list[dict[str, str]]) -> None:
    ids = [f["person.id_number"] for f in people]
    assert len(set(ids)) == len(ids)


def test_most_ids_are_the_countys_and_migrants_come_from_elsewhere(people: list[dict[str, str]]) -> None:
    local = [f for f in people if f["person.hukou_type"] == "本地户籍"]
    born_here = sum(f["person.id_number"].startswith(COUNTY) for f in local if age(f) < 40)
    assert born_here / sum(1 for f in local if age(f) < 40) > 0.7
    migrants = [f for f in people if f["person.hukou_type"] == "外地户籍"]
    assert 0.04 < len(migrants) / len(people) < 0.2
    assert all(f["person.registered_division"] != COUNTY for f in migrants)
    assert len({f["person.id_number"][:2] for f in migrants}) >= 5  # several provinces


# ---------------------------------------------------------------- org units


def test_community_and_grid_codes_nest_under_real_townships(county: SynthCounty) -> None:
    township_codes = {code for code, _ in townships()}
    for c in county.communities:
        assert c.township_code in township_codes
        assert re.fullmatch(re.escape(c.township_code) + r"\d{3}", c.code)
        # Statistical convention: 居委会 001-199, 村委会 200-399.
        assert (c.code[-3] == "2") == (c.kind == "village"), c
        assert c.name.endswith("村" if c.kind == "village" else "社区")
        assert 2 <= len(c.grids) <= 5
        for g in c.grids:
            assert re.fullmatch(re.escape(c.code) + r"\d{3}", g.code)
    per_township = Counter(c.township_code for c in county.communities)
    assert set(per_township) == township_codes
    assert all(2 <= n <= 4 for n in per_township.values())


def test_names_of_communities_and_streets_are_distinct(county: SynthCounty) -> None:
    names = [c.name for c in county.communities]
    streets = [s for c in county.communities for s in c.streets]
    assert len(set(names)) == len(names)
    assert len(set(streets)) == len(streets)
    assert all(re.search(r"(路|街|巷|大道)$", s) for s in streets)


def test_households_sit_in_their_communitys_grids(county: SynthCounty) -> None:
    grids = {g.code: c.code for c in county.communities for g in c.grids}
    used = Counter(h.grid_code for h in county.households)
    for h in county.households:
        assert grids[h.grid_code] == h.community_code
        assert h.number.startswith(h.community_code) and len(h.number) == 16
    assert len({h.number for h in county.households}) == len(county.households)
    assert set(used) == set(grids)  # no empty grid


# ---------------------------------------------------------------- households


def test_each_household_has_exactly_one_head(county: SynthCounty) -> None:
    for h in county.households:
        relations = [m.facts["person.relation_to_head"] for m in h.members]
        assert relations.count("02") == 1, h.number
        assert relations[0] == "02"
        assert 1 <= len(h.members) <= 6


def test_household_sizes_look_like_a_census(county: SynthCounty, people: list[dict[str, str]]) -> None:
    assert 2.4 < len(people) / len(county.households) < 3.0
    sizes = Counter(len(h.members) for h in county.households)
    assert set(sizes) == {1, 2, 3, 4, 5, 6}


def test_addresses_follow_the_communitys_streets(county: SynthCounty) -> None:
    communities = {c.code: c for c in county.communities}
    for h in county.households:
        c = communities[h.community_code]
        assert h.address.startswith(COUNTY_NAME) and c.name in h.address
        if c.kind == "community":
            assert any(s in h.address for s in c.streets), h.address
            assert re.search(r"\d+号\d+栋\d+单元\d+室$", h.address), h.address
        else:
            assert re.search(r"[一二三四五六七八九十]+组\d+号$", h.address), h.address
    assert len({h.address for h in county.households}) == len(county.households)


def test_residents_live_at_the_household_address(county: SynthCounty) -> None:
    for h in county.households:
        for m in h.members:
            if m.facts["person.residence_status"] != "户在人不在":
                assert m.facts["person.residence_address"] == h.address


# ---------------------------------------------------------------- facts


def test_fact_keys_are_core_elements_and_values_are_canonical(people: list[dict[str, str]]) -> None:
    with (DATA / "core-elements.tsv").open(encoding="utf-8") as f:
        elements = {row["code"] for row in csv.DictReader(f, delimiter="\t")}
    sexes, nations = codes("GB_T_2261_1_sex.csv"), codes("GB_T_3304_ethnic_groups.csv")
    relations = codes("GB_T_4761_family_relation.csv")
    for f in people:
        assert set(f) <= elements, set(f) - elements
        assert all(isinstance(v, str) and v for v in f.values())
        assert f["person.sex"] in sexes and f["person.ethnicity"] in nations
        assert f["person.relation_to_head"] in relations
        assert f["person.marital_status"] in {"10", "20", "30", "40"}
        assert f.get("person.education", "10") in {"10", "20", "30", "40", "60", "70", "80", "90"}
        assert f.get("person.political_status", "13") in {"01", "03", "13"}
        assert f["person.hukou_type"] in {"本地户籍", "外地户籍"}
        assert f["person.residence_status"] in {"常住", "流动", "户在人不在", "人在户不在"}
        for flag in ("low_income", "extreme_poverty", "veteran", "lives_alone", "empty_nester"):
            assert f.get(f"person.{flag}", "0") in {"0", "1"}


def test_phones_are_mobile_numbers_and_children_have_none(people: list[dict[str, str]]) -> None:
    phones = [f["person.phone"] for f in people if "person.phone" in f]
    assert all(re.fullmatch(r"1[3-9]\d{9}", p) for p in phones)
    assert len(set(phones)) == len(phones)
    assert not any("person.phone" in f for f in people if age(f) < 14)


def test_facts_that_do_not_apply_are_left_out(people: list[dict[str, str]]) -> None:
    children = [f for f in people if age(f) < 16]
    assert children and not any("person.work_unit" in f or "person.veteran" in f for f in children)
    assert not any("person.lives_alone" in f for f in people if age(f) < 60)
    elderly = [f for f in people if age(f) >= 60]
    assert all("person.emergency_contact" in f and "person.emergency_phone" in f for f in elderly)
    workers = [f for f in people if 25 <= age(f) <= 55]
    assert sum("person.work_unit" in f for f in workers) / len(workers) > 0.4


def test_disability_certificate_is_the_id_number_plus_category_and_grade(
    people: list[dict[str, str]],
) -> None:
    disabled = [f for f in people if "person.disability_category" in f]
    for f in disabled:
        assert f["person.disability_category"] in "1234567"
        assert f["person.disability_grade"] in "1234"
        assert f["person.disability_cert_no"] == (
            f["person.id_number"] + f["person.disability_category"] + f["person.disability_grade"]
        )
    assert len({f["person.disability_category"] for f in disabled}) == 7


def test_surnames_follow_real_frequency(people: list[dict[str, str]]) -> None:
    surnames = Counter(f["person.name"][0] for f in people)
    assert {s for s, _ in surnames.most_common(5)} <= set("王李张刘陈杨")
    assert len(surnames) > 80
    assert all(2 <= len(f["person.name"]) <= 3 for f in people)


def test_children_of_a_male_head_carry_his_surname(county: SynthCounty) -> None:
    sons = [(h.members[0].facts, m.facts) for h in county.households for m in h.members
            if h.members[0].facts["person.sex"] == "1" and m.facts["person.relation_to_head"] == "20"]
    assert sum(s["person.name"][0] == f["person.name"][0] for f, s in sons) / len(sons) > 0.9


# ---------------------------------------------------------------- shares


SHARES = [
    # name, who counts, of whom, band
    ("aged 60+", lambda f: age(f) >= 60, lambda f: True, (0.19, 0.24)),
    ("living alone, of 60+", lambda f: f.get("person.lives_alone") == "1", lambda f: age(f) >= 60, (0.08, 0.12)),
    ("empty nesters, of 60+", lambda f: f.get("person.empty_nester") == "1", lambda f: age(f) >= 60, (0.3, 0.7)),
    ("disabled", lambda f: "person.disability_category" in f, lambda f: True, (0.045, 0.075)),
    ("low income (低保)", lambda f: f["person.low_income"] == "1", lambda f: True, (0.02, 0.04)),
    ("extreme poverty (特困)", lambda f: f["person.extreme_poverty"] == "1", lambda f: True, (0.001, 0.006)),
    ("veterans", lambda f: f.get("person.veteran") == "1", lambda f: True, (0.012, 0.03)),
    ("men among veterans", lambda f: f["person.sex"] == "1", lambda f: f.get("person.veteran") == "1", (0.9, 1.0)),
    ("40+ among veterans", lambda f: age(f) >= 40, lambda f: f.get("person.veteran") == "1", (0.65, 1.0)),
    ("children under 15", lambda f: age(f) < 15, lambda f: True, (0.12, 0.2)),
]


@pytest.mark.parametrize(("name", "counts", "base", "band"), SHARES, ids=[s[0] for s in SHARES])
def test_shares_are_plausible(people: list[dict[str, str]], name: str, counts, base, band) -> None:
    pool = [f for f in people if base(f)]
    share = sum(1 for f in pool if counts(f)) / len(pool)
    low, high = band
    assert low <= share <= high, f"{name}: {share:.3f}"


def test_low_income_and_extreme_poverty_never_overlap(people: list[dict[str, str]]) -> None:
    assert not any(f["person.low_income"] == "1" == f["person.extreme_poverty"] for f in people)


# ---------------------------------------------------------------- houses


def test_each_household_lives_in_one_house(county: SynthCounty) -> None:
    assert [p.address for p in county.places] == [h.address for h in county.households]
    for p, h in zip(county.places, county.households, strict=True):
        assert (p.community_code, p.grid_code) == (h.community_code, h.grid_code)
        assert p.usage == ("出租" if p.is_rental else "自住")


def test_some_owners_rent_out_a_second_house(county: SynthCounty, people: list[dict[str, str]]) -> None:
    ids = {f["person.id_number"] for f in people}
    share = sum(p.is_rental for p in county.places) / len(county.places)
    assert 0.10 <= share <= 0.15
    for p, h in zip(county.places, county.households, strict=True):
        assert p.owner_id_number in ids
        members = {m.facts["person.id_number"] for m in h.members}
        assert (p.owner_id_number not in members) == p.is_rental
