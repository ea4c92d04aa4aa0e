"""Pick any org unit: every org-unit choice is a search by name, pinyin initials or code
over the whole tree the user may see (no list cut at a count), opening at the user's unit."""

from __future__ import annotations

import pytest

from yibiao.accounts.models import Role, User
from yibiao.accounts.scope import picked_code, visible_org_units
from yibiao.orgunits.models import OrgUnit
from yibiao.orgunits.search import pick, search_units


def codes(client, **params) -> list[str]:  # noqa: ANN001
    response = client.get("/orgunits/search/", params)
    assert response.status_code == 200
    return [unit["code"] for unit in response.json()["results"]]


@pytest.mark.parametrize(("typed", "first"), [
    ("岳麓区", "430104"),  # by name
    ("ylq", "430104"),  # by pinyin initials (among others: 云龙区 reads ylq too)
    ("YLQ", "430104"),
    ("430104", "430104"),  # by code: the unit first, then what lies below it
    ("岳麓区（430104）", "430104"),  # what the picker itself sends back
    ("望月湖", "430104001"),
])
def test_the_administrator_finds_any_unit_of_the_country(client, world, typed, first):
    client.force_login(world.admin)
    found = codes(client, q=typed)
    assert first in found
    if not typed.isalpha() or not typed.isascii():  # a name or a code: the unit comes first
        assert found[0] == first


def test_a_search_reaches_past_any_count_and_says_how_many_more(world):
    found = search_units(visible_org_units(world.admin), "4301", limit=5)
    assert [unit.code for unit in found.units][:2] == ["4301", "430102"]
    assert found.more > 10


def test_levels_narrow_the_search(client, world):
    client.force_login(world.admin)
    assert set(codes(client, q="430104", levels="township")) == set(
        OrgUnit.objects.filter(parent__code="430104").values_list("code", flat=True)[:20])


def test_a_worker_never_finds_another_community(client, world):
    client.force_login(world.worker_a)
    assert codes(client, q="东塘") == []
    assert codes(client, q=world.community_b.code) == []
    assert codes(client, q="ylq") == []  # the county is above the worker's unit
    assert codes(client, q="thl") == [world.community_a.code]  # 桃花岭社区
    assert set(codes(client, q="第一")) == {world.grid_a.code}
    assert picked_code(world.worker_a, f"东塘村（{world.community_b.code}）") != world.community_b.code


def test_the_picker_suggests_options_to_htmx(client, world):
    client.force_login(world.reviewer)
    response = client.get("/orgunits/search/", {"field": "org", "org": "thl"}, HTTP_HX_REQUEST="true")
    assert f"桃花岭社区（{world.community_a.code}）" in response.content.decode()


def test_picker_text_names_one_unit(world):
    units = visible_org_units(world.reviewer)
    assert pick(units, f"桃花岭社区（{world.community_a.code}）") == world.community_a
    assert pick(units, "桃花岭社区") == world.community_a  # a name only one unit has
    assert pick(units, world.community_b.code) == world.community_b
    assert pick(units, "第一网格") == world.grid_a
    assert pick(units, "不存在的社区") is None


def test_the_burden_page_opens_at_the_users_unit_and_switches_by_picker(client, world):
    client.force_login(world.reviewer)
    page = client.get("/burden/").content.decode()
    assert f'value="岳麓区（{world.county.code}）"' in page
    assert "<select id=\"org\"" not in page
    picked = client.get("/burden/", {"org": f"桃花岭社区（{world.community_a.code}）"})
    assert picked.status_code == 200
    assert f'value="桃花岭社区（{world.community_a.code}）"' in picked.content.decode()


def test_the_calendar_switches_by_picker(client, world):
    client.force_login(world.reviewer)
    response = client.get("/calendar/", {"org": f"东塘村（{world.community_b.code}）"})
    assert response.status_code == 302
    assert world.community_b.code in response["Location"]


def test_the_admin_picks_yuelu_and_saves_a_township_user(client, world):
    client.force_login(world.admin)
    found = client.get("/admin/autocomplete/", {
        "term": "岳麓", "app_label": "accounts", "model_name": "user", "field_name": "org_unit"})
    assert found.status_code == 200
    county = OrgUnit.objects.get(code="430104")
    assert str(county.pk) in [r["id"] for r in found.json()["results"]]
    by_code = client.get("/admin/autocomplete/", {
        "term": "430104001", "app_label": "accounts", "model_name": "user", "field_name": "org_unit"})
    township = OrgUnit.objects.get(code="430104001")
    assert by_code.json()["results"][0]["id"] == str(township.pk)  # then what lies below it
    form = client.get("/admin/accounts/user/add/").content.decode()
    assert "admin-autocomplete" in form
    response = client.post("/admin/accounts/user/add/", {
        "username": "township_staff", "usable_password": "true",
        "password1": "a-long-township-password-26", "password2": "a-long-township-password-26",
        "display_name": "街道干部", "role": Role.REVIEWER, "org_unit": township.pk, "department": "",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    assert User.objects.get(username="township_staff").org_unit == township


def test_a_nationwide_account_is_offered_its_deployments_units_before_the_countrys(client, world):
    """Hundreds of units across the country read "yl…"; ranked by code alone the first 20
    were in 北京 and 天津 and 岳麓区's own units never showed."""
    mine = sorted(OrgUnit.objects.filter(code__startswith="430104", initials__startswith="yl")
                  .values_list("code", flat=True))
    everywhere = search_units(visible_org_units(world.admin), "yl")
    assert everywhere.more > 0 and not set(mine) <= {u.code for u in everywhere.units}
    client.force_login(world.admin)
    found = codes(client, q="yl")
    assert mine and found[:len(mine)] == sorted(mine, key=lambda code: (len(code), code))
    assert len(found) == 20  # then the rest of the country, still reachable by typing more


@pytest.mark.parametrize("typed", ["桃花岭社区第一网格", "桃花岭 第一网格", "桃花岭社区 第一网格"])
def test_a_grid_is_found_by_the_name_the_picker_shows_it_by(client, world, typed):
    """Every community has a 第一网格: the picker shows a grid as 桃花岭社区第一网格, so typing
    that (or the community and the grid apart) finds it, and a bare 第一网格 is no way to one
    community's grid among a county's hundreds."""
    client.force_login(world.reviewer)
    assert codes(client, q=typed) == [world.grid_a.code]
    assert pick(visible_org_units(world.reviewer), "桃花岭社区第一网格") == world.grid_a


def test_a_nationwide_account_opens_at_its_deployments_county(client, world):
    """The administrator has no unit of their own: the calendar, the gate's rules and the
    burden page open at the county where the communities are (岳麓区), not at the first code
    of the country (北京市, 东城区 and their empty pages)."""
    client.force_login(world.admin)
    assert client.get("/calendar/").url == f"/calendar/{world.county.code}/"
    assert f"{world.county.name}（{world.county.code}）" in client.get("/gate/rules/").content.decode()
    assert f"{world.county.name}（{world.county.code}）" in client.get("/burden/").content.decode()


def test_the_burden_pages_print_link_carries_only_what_was_asked(client, world):
    client.force_login(world.reviewer)
    assert 'href="?print=1"' in client.get("/burden/").content.decode()  # was ?&print=1
    picked = client.get("/burden/", {"org": world.county.code}).content.decode()
    assert f'href="?org={world.county.code}&amp;print=1"' in picked
