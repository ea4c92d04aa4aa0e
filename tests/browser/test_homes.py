"""Each role's home in a real browser, at a desktop size and on a 390 x 844 phone.

The demo county's accounts sign in and land on their own work: worker1 its to-dos and
inspections, the reviewer the queue, overdue counts and reports waiting, the officer the
department's demands with a completion bar, the administrator the queue and the system's
health. Nothing of another role's home is shown, and on the phone nothing is wider than
the screen. Screenshots go to test-artifacts/ for a person to look at.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .conftest import PHONE_VIEWPORT, OpenPage
from .helpers import login

SECTIONS = ("#tasks", "#inspections", "#review-queue", "#overdue", "#slipped", "#demands", "#health")
HOMES = {  # account, password, the sections its home shows
    "worker1": ("demo-worker1-2026", ("#tasks", "#inspections")),
    "reviewer": ("demo-review-2026", ("#review-queue", "#overdue", "#slipped")),
    "officer": ("demo-officer-2026", ("#demands",)),
    "admin": ("demo-admin-2026", ("#review-queue", "#overdue", "#slipped", "#health")),
}


def check_home(page: Page, username: str) -> None:
    password, shown = HOMES[username]
    login(page, username, password)
    expect(page).to_have_url(re.compile(r"/$"))
    for selector in SECTIONS:
        if selector in shown:
            expect(page.locator(selector)).to_be_visible()
        else:
            expect(page.locator(selector)).to_have_count(0)


@pytest.mark.parametrize("username", list(HOMES))
def test_each_role_lands_on_its_own_work_on_a_desktop(page: Page, artifacts: Path, username: str) -> None:
    check_home(page, username)
    if username == "worker1":
        expect(page.locator("#inspections")).to_contain_text("联合检查")
        expect(page.locator("#tasks li a").first).to_have_attribute("href", re.compile(r"^/(reports/tasks|gate)/\d+/$"))
    if username == "officer":
        expect(page.locator("#demands progress").first).to_be_visible()
    if username in ("reviewer", "admin"):
        expect(page.locator("#review-queue")).to_contain_text("独居老人冬季健康随访")  # the demo's pending task
        expect(page.locator("#overdue")).to_contain_text("个社区")
        expect(page.locator("#overdue tbody tr")).to_have_count(20)  # counts per community, capped
    if username == "admin":
        expect(page.locator("#backup")).to_be_visible()
    page.screenshot(path=artifacts / f"home-{username}-desktop.png", full_page=True)


@pytest.mark.parametrize("username", list(HOMES))
def test_each_role_home_fits_a_phone(open_page: OpenPage, artifacts: Path, username: str) -> None:
    page = open_page(viewport=PHONE_VIEWPORT, is_mobile=True, has_touch=True)
    check_home(page, username)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE_VIEWPORT["width"], f"{username}'s home is {width} px wide on a 390 px phone"
    page.screenshot(path=artifacts / f"home-{username}-phone.png", full_page=True)
