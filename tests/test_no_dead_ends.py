"""No dead ends: every link a page shows is one the viewer may open (issue 16, item 5).

Each demo account (`yibiao demo`'s county, as tests/test_demo.py builds it) and each
persona of tests/test_scope_security.py's scene signs in and follows every link from the
home page and the navigation (tests/crawl.py): 0 responses of 403, 404 or 500. Downloads
are fetched for their status. Errors a person can still meet (a stale upload link, a bad
export period, a page outside their scope) render in the product's layout with a way back.
"""

from __future__ import annotations

import pytest
from django.test import Client

from yibiao.accounts.models import User
from yibiao.demo.load import load_demo

from . import test_scope_security as security
from .crawl import crawl

pytestmark = pytest.mark.django_db

scene = security.scene  # the fixture: both sides, pending and admitted work, uploads, jobs
DEMO_ROLES = ["admin", "reviewer", "officer", "worker1", "worker2"]


def signed_in(user: User) -> Client:
    client = Client(raise_request_exception=False)  # a 500 is a status to count, not a crash
    client.force_login(user)
    return client


def crawled(user: User) -> tuple[str, list[str]]:
    found = crawl(signed_in(user))
    figures = (f"{user.username}: {found.pages} responses ({found.html} pages, {found.downloads} "
               f"downloads), {found.links} links, {dict(found.statuses)}")
    print(figures)  # noqa: T201 - the crawl's figures, for the report (-s)
    assert found.html > 5, figures  # it did walk: the home page links to more than itself
    return figures, found.dead


def test_every_demo_account_follows_every_link_without_a_dead_end(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    load_demo(seed=7, households=120)
    dead = []
    for username in DEMO_ROLES:
        _, found = crawled(User.objects.get(username=username))
        dead += [f"{username}: {line}" for line in found]
    assert dead == []


def test_every_persona_of_the_scope_scene_follows_every_link_without_a_dead_end(scene):
    dead = []
    for persona, user in scene.users.items():
        _, found = crawled(user)
        dead += [f"{persona}: {line}" for line in found]
    assert dead == []


# --- errors a person can still meet say what happened and where to go ---------------------


def in_layout(page: str) -> None:
    assert 'class="topbar"' in page and 'href="/"' in page, page[:300]


def test_a_stale_upload_link_says_what_happened_and_offers_a_new_upload(client, scene):
    client.force_login(scene.users["worker_a"])
    response = client.get("/intake/no-such-upload/")
    page = response.content.decode()
    assert response.status_code == 404
    in_layout(page)
    assert "没有找到这次上传，请重新上传文件。" in page and 'href="/intake/upload/"' in page


def test_a_path_that_leads_nowhere_is_a_404_in_the_layout(client, scene):
    client.force_login(scene.users["officer"])
    response = client.get("/gate/999999/nowhere/")
    page = response.content.decode()
    assert response.status_code == 404
    in_layout(page)
    assert "这个链接没有对应的页面" in page and 'href="/gate/"' in page


def test_a_bad_export_period_is_a_400_in_the_layout_with_a_way_back(client, scene):
    client.force_login(scene.users["officer"])
    request = scene.obj["request"]["a"]
    response = client.get(f"/reports/requests/{request.pk}/download/",
                          {"org": scene.obj["unit"]["township_a"].code, "period": "2026-13"})
    page = response.content.decode()
    assert response.status_code == 400 and response["Content-Type"].startswith("text/html")
    in_layout(page)
    assert 'id="error-message"' in page and "返回首页" in page


def test_a_refusal_offers_the_viewers_own_list(client, scene):
    client.force_login(scene.users["worker_a"])
    response = client.get(f"/gate/{scene.obj['pending']['a'].pk}/")  # pending: not a worker's
    page = response.content.decode()
    assert response.status_code == 403
    in_layout(page)
    assert 'href="/gate/catalogue/"' in page and 'href="/gate/"' not in page.split("<main", 1)[1]


def test_breadcrumbs_link_only_units_the_viewer_may_open(client, scene):
    client.force_login(scene.users["worker_a"])
    community = scene.obj["unit"]["community_a"]
    page = client.get(f"/org/{community.code}/").content.decode()
    crumbs = page.split('<nav class="crumbs">', 1)[1].split("</nav>", 1)[0]
    assert 'href="/org/43/"' not in crumbs and "湖南省" in crumbs
    assert client.get(f"/org/{community.code}/").status_code == 200


def test_a_joint_inspection_names_merged_inspections_without_linking_what_the_worker_cannot_open(
        client, scene):
    from yibiao.gate.work import workflow

    reviewer, officer = scene.users["reviewer"], scene.users["officer"]
    unit = scene.obj["unit"]["township_a"]
    first = security._item(officer, "卫健燃气检查", unit, "inspection", ["rental_houses"])
    second = security._item(officer, "卫健消防复查", unit, "inspection", ["rental_houses"])
    joint = workflow.merge(reviewer, first, second, "同一批出租房屋，合并为一次联合检查")
    client.force_login(scene.users["worker_a"])
    page = client.get(f"/gate/{joint.pk}/").content.decode()
    assert "卫健燃气检查" in page
    assert f'href="/gate/{first.pk}/"' not in page and f'href="/gate/{second.pk}/"' not in page
    assert client.get(f"/gate/{first.pk}/").status_code == 403  # why it is not a link
