"""A worker on a 390 px phone reports a table that reached them outside the gate — a WeChat
message, a photo of it — in a handful of taps; the reviewer finds it; the joint calendar
renders. Real Chromium against `yibiao serve` on the demo data."""

from __future__ import annotations

import re
import struct
import zlib

from playwright.sync_api import expect

from .conftest import OpenPage
from .helpers import login

WORKER1 = ("worker1", "demo-worker1-2026")  # 红星社区 430104001001
REVIEWER = ("reviewer", "demo-review-2026")
OWN_COMMUNITY = "430104001001"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
MOST_STEPS = 5  # open the form, name the department, attach the photo, write a line, submit


def screenshot_png() -> bytes:
    """A tiny real PNG standing in for the photo of a WeChat group message."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\x07\xc1\x60" * 8 for _ in range(8))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_a_worker_reports_an_unadmitted_table_from_a_phone(open_page: OpenPage) -> None:
    page = open_page(**PHONE)
    login(page, *WORKER1)
    steps = []

    def step(name: str) -> None:
        steps.append(name)

    page.goto("/slipped/new/")
    step("open")
    expect(page.get_by_label("报表")).to_be_checked()  # the common case is preselected
    expect(page.get_by_label("微信群")).to_be_checked()
    page.fill("#department", "区民政局")
    step("department")
    page.set_input_files("#attachment", {"name": "微信群截图.png", "mimeType": "image/png",
                                         "buffer": screenshot_png()})
    step("photo")
    page.fill("#description", "微信群里要求今天下班前报高龄老人名单")
    step("description")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    with page.expect_navigation():
        page.get_by_role("button", name="提交报告").tap()
    step("submit")
    expect(page.locator("#report-done h1")).to_have_text("已收到报告")
    expect(page.locator("#report-done")).to_contain_text("区民政局")
    assert len(steps) <= MOST_STEPS, steps
    number = re.search(r"第 (\d+) 号", page.locator("#report-done").inner_text())
    assert number

    reviewer = open_page()
    login(reviewer, *REVIEWER)
    reviewer.goto("/slipped/")
    row = reviewer.locator("#reports tbody tr").filter(has_text="区民政局")
    expect(row).to_contain_text("微信群")
    with reviewer.expect_navigation():
        row.get_by_role("link", name=number.group(1)).click()
    expect(reviewer.locator("main img")).to_be_visible()  # the photo came through


def test_the_joint_calendar_month_view_renders_on_a_phone(open_page: OpenPage) -> None:
    page = open_page(**PHONE)
    login(page, *WORKER1)
    page.goto("/calendar/")
    expect(page).to_have_url(re.compile(rf"/calendar/{OWN_COMMUNITY}/$"))
    expect(page.locator("#month tbody tr").first).to_be_visible()
    assert page.locator("#month tbody td").count() % 7 == 0
    expect(page.locator("main h1")).to_contain_text("联合日历")
    expect(page.get_by_role("link", name="导出到手机日历（iCalendar）")).to_be_visible()
    page.goto(f"/calendar/{OWN_COMMUNITY}/week/")
    assert page.locator(".week .day").count() == 7
