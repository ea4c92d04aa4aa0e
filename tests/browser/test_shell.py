"""The shell every page shares, as worker1 of 红星社区 sees it in a real browser.

Chinese by default, English and Traditional Chinese on request, usable on a 390 px
phone, and the fence around the worker's own community holding in page and API alike.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from .helpers import login, switch_language

WORKER = ("worker1", "demo-worker1-2026")
OWN_COMMUNITY = "430104001001"  # 红星社区, worker1's scope
OTHER_COMMUNITY = "430104002001"  # 东风岭社区, worker2's: out of worker1's reach
HAN = re.compile(r"[\u3400-\u9fff]")


def fetch_json(page: Page, url: str) -> tuple[int, dict[str, object]]:
    """GET from inside the page, so the request carries the page's own session cookie."""
    status, body = page.evaluate(
        "async url => { const r = await fetch(url); return [r.status, await r.json()]; }", url
    )
    return status, body


def test_worker_lands_on_a_chinese_home_page(page: Page) -> None:
    login(page, *WORKER)

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("#role")).to_have_text("社区（网格）工作者")
    expect(page.locator("#scope")).to_contain_text("红星社区")
    expect(page.locator("#scope")).to_contain_text(OWN_COMMUNITY)
    expect(page.locator("nav.nav").get_by_role("link", name="首页")).to_be_visible()
    expect(page.get_by_role("button", name="退出")).to_be_visible()


def test_switching_to_english_translates_the_shell(page: Page) -> None:
    login(page, *WORKER)
    switch_language(page, "en")

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    # Needs the English catalogue (yibiao/locale/en): nav, role label, log-out button.
    expect(page.locator("nav.nav").get_by_role("link", name="Home")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.locator("#role")).not_to_have_text(HAN)
    # The choice outlives the session: logging out lands on an English login page.
    with page.expect_navigation():
        page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login/"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("main")).not_to_have_text(HAN)


def test_switching_to_traditional_chinese(page: Page) -> None:
    login(page, *WORKER)
    switch_language(page, "zh-hant")

    expect(page.locator("html")).to_have_attribute("lang", "zh-hant")
    # Needs the Traditional catalogue (yibiao/locale/zh_Hant).
    expect(page.locator("nav.nav").get_by_role("link", name="首頁")).to_be_visible()
    expect(page.locator("nav.nav")).not_to_contain_text("首页")


def test_home_fits_a_390px_phone(phone_page: Page, artifacts: Path) -> None:
    page = phone_page
    login(page, *WORKER)
    expect(page.locator("#role")).to_have_text("社区（网格）工作者")
    page.screenshot(path=artifacts / "home-390.png", full_page=True)

    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    home_link = page.locator("nav.nav").get_by_role("link", name="首页")
    log_out = page.get_by_role("button", name="退出")
    language = page.locator("select[name=language]")
    for control in (home_link, log_out, language):
        expect(control).to_be_in_viewport()
        box = control.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    # Usable means a thumb can use it: tapping the nav, the language and log-out all work.
    with page.expect_navigation():
        home_link.tap()
    expect(page.locator("#scope")).to_contain_text("红星社区")
    # English labels run longer than Chinese ones; they must still fit.
    switch_language(page, "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    page.screenshot(path=artifacts / "home-390-en.png", full_page=True)
    with page.expect_navigation():
        page.get_by_role("button", name="Log out").tap()
    expect(page).to_have_url(re.compile(r"/login/"))


def test_worker_cannot_open_another_community(page: Page) -> None:
    login(page, *WORKER)

    response = page.goto(f"/org/{OTHER_COMMUNITY}/")
    assert response is not None and response.status == 403
    expect(page.locator("main h1")).to_have_text("无权访问")
    expect(page.locator("main .error")).to_have_text(
        f"无权访问代码为 {OTHER_COMMUNITY} 的组织，或该组织不存在。"
    )
    expect(page.locator("#role")).to_have_count(0)
    assert "东风岭" not in page.content()


def test_api_refuses_another_community_to_the_same_session(page: Page) -> None:
    login(page, *WORKER)

    # The session works: the API knows who this is and serves their own community.
    assert fetch_json(page, "/api/v1/me")[1]["username"] == "worker1"
    status, own = fetch_json(page, f"/api/v1/org-units/{OWN_COMMUNITY}")
    assert (status, own["name"]) == (200, "红星社区")
    # ...and refuses the neighbour's, saying so in Chinese without naming it.
    status, other = fetch_json(page, f"/api/v1/org-units/{OTHER_COMMUNITY}")
    assert status == 403
    assert other == {"detail": f"无权访问代码为 {OTHER_COMMUNITY} 的组织，或该组织不存在。"}


def test_wrong_password_is_refused_in_chinese(page: Page) -> None:
    login(page, WORKER[0], "not-the-password")

    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page.locator("main .error")).to_have_text("账号或密码不正确，请重新输入。")
    expect(page.locator("input[name=username]")).to_be_visible()
    expect(page.locator("#role")).to_have_count(0)
