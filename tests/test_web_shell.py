"""The Chinese web shell: login, a home page with role and scope, no CDN anywhere."""

from __future__ import annotations

import re

import pytest

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_login_then_home_shows_role_and_scope(client, world):
    response = client.post("/login/", {"username": "worker_a", "password": PASSWORD}, follow=True)
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == "/"
    assert "社区（网格）工作者" in page and "桃花岭社区" in page
    assert 'lang="zh-hans"' in page


def test_wrong_password_is_refused_in_chinese(client, world):
    response = client.post("/login/", {"username": "worker_a", "password": "nope"})
    assert "账号或密码不正确" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_pages_load_nothing_from_other_hosts(client, world):
    client.login(username="worker_a", password=PASSWORD)
    for url in ("/", "/login/", f"/org/{world.community_a.code}/"):
        page = client.get(url).content.decode()
        external = re.findall(r'(?:src|href)="(https?:)?//', page)
        assert external == [], url


def test_static_files_are_served_by_the_app(client, world):
    assert client.get("/static/yibiao/app.css").status_code == 200
    assert client.get("/static/django_htmx/htmx-2.min.js").status_code == 200


def test_openapi_schema_is_served(client, world):
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["info"]["title"].startswith("yibiao")
    assert "/api/v1/me" in schema["paths"]


def test_language_switch_to_english(client, world):
    client.login(username="worker_a", password=PASSWORD)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/").content.decode()
    assert 'lang="en"' in page and "Community (grid) worker" in page and "Log out" in page
