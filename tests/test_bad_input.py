"""Malformed ids, versions, periods and months get the 400 page in the product's layout,
naming what was wrong; never a 500."""

from __future__ import annotations

import datetime as dt

import pytest

from yibiao.ledger.models import Person
from yibiao.ledger.records import PersonInput, write_people
from yibiao.params import BadInput, date_param, id_param, int_param, month_param

from .sheetfactory import write_xlsx
from .test_tasks import LIST, admit
from .test_workload_gate import inspection, next_month

TODAY = dt.date(2026, 12, 6)


@pytest.mark.parametrize(("data", "expected"), [
    ({"v": "3"}, 3), ({"v": " 7 "}, 7), ({}, 0), ({"v": ""}, 0),
    ({"v": "abc"}, BadInput), ({"v": "-1"}, BadInput), ({"v": "9" * 30}, BadInput),
    ({"v": "0x"}, BadInput), ({"v": "1.5"}, BadInput), ({"v": "😀"}, BadInput),
])
def test_int_param(data, expected):
    if expected is BadInput:
        with pytest.raises(BadInput, match="v"):
            int_param(data, "v", 0)
    else:
        assert int_param(data, "v", 0) == expected


def test_an_id_is_one_or_more_and_required():
    assert id_param({"id": "12"}, "id") == 12
    for data in ({}, {"id": "0"}, {"id": str(2**63)}):
        with pytest.raises(BadInput):
            id_param(data, "id")


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-12", (2026, 12)), ("2026-1", (2026, 1)), ("", (2026, 12)),
    ("9999-12", BadInput), ("2026-13", BadInput), ("abc", BadInput), ("2026", BadInput),
    ("0000-00", BadInput), ("２０２６-1３", BadInput),
])
def test_month_param(text, expected):
    if expected is BadInput:
        with pytest.raises(BadInput):
            month_param({"month": text}, "month", (2026, 12))
    else:
        assert month_param({"month": text}, "month", (2026, 12)) == expected


@pytest.mark.parametrize("text", ["9999-12-31", "0001-01-01", "2026-02-30", "abc", "2026-1-1x"])
def test_date_param_refuses_dates_outside_any_calendar(text):
    with pytest.raises(BadInput):
        date_param({"date": text}, "date", TODAY)
    assert date_param({}, "date", TODAY) == TODAY


# --- pages ----------------------------------------------------------------------------


def assert_400_page(response, *words: str) -> None:  # noqa: ANN001
    assert response.status_code == 400
    page = response.content.decode()
    assert "请求有误" in page and 'class="topbar"' in page, page[:300]  # the product's layout
    for word in words:
        assert word in page


@pytest.mark.django_db
def test_a_malformed_version_on_a_person_edit(client, world):
    write_people(world.worker_a, world.grid_a, [PersonInput({
        "person.id_number": "11010519491231002X", "person.name": "王秀英"})])
    person = Person.objects.get()
    client.force_login(world.worker_a)
    for version in ("abc", "-1", "9" * 30):
        response = client.post(f"/ledger/people/{person.pk}/edit/",
                               {"person.name": "王秀英", "version": version})
        assert_400_page(response, "version")
    person.refresh_from_db()
    assert person.name == "王秀英"


@pytest.mark.django_db
def test_a_malformed_merge_partner(client, world):
    police = world.officer
    first, last = next_month()
    item = inspection(police, world, "出租房屋检查", start=first, end=last)
    client.force_login(world.reviewer)
    assert_400_page(client.post(f"/gate/{item.pk}/merge/", {"other": "abc"}), "other")
    assert_400_page(client.post(f"/gate/{item.pk}/merge/", {"other": "9" * 30}))


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["month=9999-12", "month=abc", "month=2026-13", "month=0000-01"])
def test_a_malformed_calendar_month(client, world, query):
    client.force_login(world.worker_a)
    url = f"/calendar/{world.community_a.code}/"
    assert client.get(url).status_code == 200
    assert client.get(url + "?month=2026-12").status_code == 200
    assert_400_page(client.get(f"{url}?{query}"), "month")


@pytest.mark.django_db
def test_a_malformed_calendar_week(client, world):
    client.force_login(world.worker_a)
    url = f"/calendar/{world.community_a.code}/week/"
    assert client.get(url + "?date=2026-12-07").status_code == 200
    assert_400_page(client.get(url + "?date=9999-12-31"), "date")


@pytest.mark.django_db
def test_a_malformed_export_period_is_the_400_page_not_bare_text(client, world, tmp_path):
    request = admit(world, tmp_path, LIST)
    client.force_login(world.officer)
    response = client.get(f"/reports/requests/{request.pk}/download/",
                          {"org": world.community_a.code, "period": "2026-13"})
    assert_400_page(response, "报告期")
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
@pytest.mark.parametrize("query", [{"from": "abc"}, {"to": "2026-13"}, {"from": "0000"}])
def test_a_malformed_burden_period(client, world, query):
    client.force_login(world.reviewer)
    assert client.get("/burden/").status_code == 200
    assert_400_page(client.get("/burden/", query))
    assert_400_page(client.get("/burden/download.csv", query))


@pytest.mark.django_db
def test_malformed_deadline_days_on_a_new_request(client, world, tmp_path):
    template = write_xlsx(tmp_path / "表.xlsx", [["表"], *LIST])
    client.force_login(world.officer)
    response = client.post("/gate/new/table/", {"title": "表", "deadline_days": "abc",
                                              "template": template.open("rb")})
    assert_400_page(response, "deadline_days")


@pytest.mark.django_db
def test_a_nul_character_anywhere_is_refused_before_any_view(client, world):
    """PostgreSQL cannot store NUL in text or JSON: one middleware refuses it everywhere."""
    client.force_login(world.worker_a)
    assert_400_page(client.get("/ledger/people/", {"q": "王\x00"}), "NUL")
    assert_400_page(client.post("/ledger/households/new/", {"address": "a\x00b"}))
    assert_400_page(client.get("/org/4301\x00/"))
    assert client.get("/ledger/people/", {"q": "王"}).status_code == 200
