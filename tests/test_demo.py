"""The demo county: real codes, synthetic but valid people, one account per role."""

from __future__ import annotations

import datetime as dt

import pytest
from stdnum.cn import ric

from yibiao.accounts.models import Role, User
from yibiao.demo.load import DEMO_COUNTY, load_demo
from yibiao.ledger.models import Fact, Household, Person, Residence
from yibiao.ledger.snapshot import household_values, people_as_of
from yibiao.orgunits.models import Level, OrgUnit

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    return load_demo(seed=7, households=120)


def test_communities_hang_below_the_real_townships(demo):
    county = OrgUnit.objects.get(code=DEMO_COUNTY)
    townships = set(county.children.values_list("code", flat=True))
    assert len(townships) == 19
    communities = OrgUnit.objects.subtree(DEMO_COUNTY).filter(level=Level.COMMUNITY)
    assert communities.count() == demo.communities > 0
    for community in communities:
        assert len(community.code) == 12 and community.code[:9] in townships
        assert community.parent.code == community.code[:9]
    grids = OrgUnit.objects.subtree(DEMO_COUNTY).filter(level=Level.GRID)
    assert all(len(g.code) == 15 and g.parent.code == g.code[:12] for g in grids)


def test_every_demo_community_and_grid_is_found_by_its_pinyin_initials(demo):
    """The org-unit picker finds 红星社区 by typing hxsq (the bulk-made units had no initials)."""
    from yibiao.orgunits.search import search_units

    units = OrgUnit.objects.subtree(DEMO_COUNTY).filter(level__in=[Level.COMMUNITY, Level.GRID])
    assert units.exists() and not units.filter(initials="").exists()
    community = units.filter(level=Level.COMMUNITY).first()
    found = search_units(OrgUnit.objects.subtree(community.code[:9]), community.initials)
    assert community in found.units


def test_every_resident_has_a_valid_id_number_and_a_household(demo):
    people = Person.objects.all()
    assert people.count() == demo.people > 200
    assert all(ric.is_valid(p.id_number) for p in people)
    assert Residence.objects.filter(valid_to__isnull=True).count() == demo.people
    assert Household.objects.count() == 120


def test_loading_again_changes_nothing(demo):
    facts = Fact.objects.count()
    again = load_demo(seed=7, households=120)
    assert not again.created
    assert Fact.objects.count() == facts


def test_same_seed_same_people_after_reset(demo):
    before = sorted(Person.objects.values_list("id_number", flat=True))
    load_demo(seed=7, households=120, reset=True)
    assert sorted(Person.objects.values_list("id_number", flat=True)) == before


def test_one_account_per_role_and_two_workers_in_different_townships(demo):
    roles = {u.username: u for u in User.objects.all()}
    assert {roles[a.username].role for a in demo.accounts} == set(Role.values)
    worker1, worker2 = roles["worker1"], roles["worker2"]
    assert worker1.org_unit.level == worker2.org_unit.level == Level.COMMUNITY
    assert worker1.org_unit.parent_id != worker2.org_unit.parent_id
    assert worker1.check_password("demo-worker1-2026")


def test_a_community_reads_back_as_of_a_date_with_derived_values(demo):
    community = OrgUnit.objects.subtree(DEMO_COUNTY).filter(level=Level.COMMUNITY).first()
    rows = people_as_of(community.code, dt.date(2026, 11, 30))
    assert rows
    for row in rows:
        parsed_sex = "1" if int(row.values["person.id_number"][16]) % 2 else "2"
        assert row.values["person.sex"] == parsed_sex
        assert row.values["person.name"]
    households = household_values(rows)
    assert sum(int(h["household.size"]) for h in households.values()) == len(rows)
    assert all(h["household.head_name"] for h in households.values())
    # Before the ledger was bootstrapped nobody lived there.
    assert people_as_of(community.code, dt.date(2024, 12, 31)) == []
