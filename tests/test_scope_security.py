"""Nothing leaks across org units: every role tries to reach outside its scope and fails.

Each later part of the product adds its pages and endpoints to OUT_OF_SCOPE_URLS.
"""

from __future__ import annotations

import pytest

from yibiao.accounts import scope
from yibiao.accounts.scope import OutOfScope
from yibiao.orgunits.models import OrgUnit

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def residents(world):
    """One resident in each community, written by its own worker."""
    from yibiao.ledger.models import Person
    from yibiao.ledger.records import PersonInput, write_people

    write_people(world.worker_a, world.community_a,
                 [PersonInput({"person.id_number": "11010519491231002X", "person.name": "甲"})])
    write_people(world.worker_b, world.community_b,
                 [PersonInput({"person.id_number": "430104199001010019", "person.name": "乙"})])
    return {p.name: p for p in Person.objects.all()}


def out_of_scope_urls(world, user, residents) -> list[str]:
    """Pages and API endpoints of an org unit (and of people) this user must not reach."""
    foreign = {
        "worker_a": world.community_b,
        "worker_b": world.community_a,
        "officer": world.township_b,
        "reviewer": OrgUnit.objects.get(code="430105"),
    }[user.username]
    # Officers and reviewers never see person-level pages, even inside their scope.
    person = residents["甲"] if user.username != "worker_a" else residents["乙"]
    return [
        f"/org/{foreign.code}/",
        f"/api/v1/org-units/{foreign.code}",
        f"/api/v1/org-units/{foreign.code}/children",
        f"/ledger/people/{person.pk}/",
        f"/ledger/people/{person.pk}/edit/",
        f"/ledger/people/{person.pk}/history/",
    ]


@pytest.mark.parametrize("persona", ["worker_a", "worker_b", "officer", "reviewer"])
def test_no_role_reaches_outside_its_scope(client, world, residents, persona):
    user = getattr(world, persona)
    login(client, user)
    for url in out_of_scope_urls(world, user, residents):
        response = client.get(url)
        assert response.status_code == 403, url
    reveal = client.post(f"/ledger/people/{residents['乙'].pk}/reveal/",
                         {"element": "person.id_number", "reason": "越权尝试"})
    assert reveal.status_code == 403 or persona == "worker_b"


@pytest.mark.parametrize("persona", ["officer", "reviewer"])
def test_officers_and_reviewers_see_no_person_lists(client, world, residents, persona):
    login(client, getattr(world, persona))
    for url in ("/ledger/people/", "/ledger/places/", "/ledger/households/new/", "/intake/upload/"):
        assert client.get(url).status_code == 403, url


def test_a_worker_list_holds_only_their_own_residents(client, world, residents):
    login(client, world.worker_a)
    page = client.get("/ledger/people/").content.decode()
    assert "甲" in page and ">乙<" not in page


@pytest.mark.parametrize("persona", ["worker_a", "officer", "reviewer", "admin"])
def test_each_role_reaches_its_own_scope(client, world, persona):
    user = getattr(world, persona)
    login(client, user)
    assert client.get(f"/org/{world.community_a.code}/").status_code == 200
    assert client.get(f"/api/v1/org-units/{world.community_a.code}").json()["name"] == "桃花岭社区"


def test_anonymous_users_reach_nothing(client, world):
    assert client.get(f"/org/{world.community_a.code}/").status_code == 302
    assert client.get("/api/v1/me").status_code == 401
    assert client.get(f"/api/v1/org-units/{world.community_a.code}").status_code == 401


def test_worker_scope_is_their_community_and_its_grids(world):
    codes = set(scope.visible_org_units(world.worker_a).values_list("code", flat=True))
    assert codes == {world.community_a.code, world.grid_a.code}


def test_unknown_and_foreign_units_get_the_same_answer(world):
    with pytest.raises(OutOfScope) as foreign:
        scope.get_visible_org_unit(world.worker_a, world.community_b.code)
    with pytest.raises(OutOfScope) as missing:
        scope.get_visible_org_unit(world.worker_a, "999999999999")
    assert "无权访问" in str(foreign.value) and "无权访问" in str(missing.value)


def test_account_without_org_unit_sees_nothing(world):
    world.worker_a.org_unit = None
    assert not scope.visible_org_units(world.worker_a).exists()


def test_admin_without_org_unit_sees_the_country(world):
    assert scope.visible_org_units(world.admin).count() >= 44703


def test_workers_cannot_review_and_officers_cannot_edit_the_ledger(world):
    assert not scope.can(world.worker_a, "review_requests")
    assert not scope.can(world.officer, "edit_ledger")
    assert scope.can(world.reviewer, "review_requests")
    with pytest.raises(OutOfScope):
        scope.require(world.worker_a, "review_requests")
