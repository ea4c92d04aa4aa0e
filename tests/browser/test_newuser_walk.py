"""What a new user meets walking the demo in Chromium, beyond the flows other browser tests
already walk (issue 16's checks, walked again from outside)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from openpyxl import Workbook
from playwright.sync_api import Page, expect

from .conftest import YibiaoCommand
from .helpers import login

COMMUNITY = "430104001001"  # 红星社区, worker1's
TITLE = "高龄老人健康状况登记表"


def test_the_submit_button_works_right_after_the_grid_is_filled(
        page: Page, yibiao_cli: YibiaoCommand, tmp_path: Path) -> None:
    """Each row saved through the grid sends 确认报送 back with the counts; the button must stay
    inside its form, so that once the last cell is saved a press submits, without a reload or
    a detour through the preview. (htmx parses the rows' response in a table's context, where
    a bare <form> is dropped by the HTML parser and its button left with no form.)"""
    book = Workbook()
    book.active.append([TITLE])
    book.active.append(["序号", "姓名", "公民身份号码", "健康状况", "备注"])
    path = tmp_path / f"{TITLE}.xlsx"
    book.save(path)
    created = yibiao_cli(
        "request", "create", "--template", str(path), "--department", "区卫生健康局", "--title", TITLE,
        "--basis", "《居民健康管理工作规范》（卫健发〔2026〕3号）", "--frequency", "monthly",
        "--scope", COMMUNITY, "--no-filter", "--justify", "C=居民健康服务需要",
        "--justify", "D=居民健康服务需要", "--json", "--user", "officer")
    request_id = json.loads(created.stdout)["id"]
    yibiao_cli("request", "review", str(request_id), "admit", "--mappings-checked", "--user", "reviewer")

    login(page, "worker1", "demo-worker1-2026")
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile(TITLE)).first.click()
    rows = page.locator("#grid tbody tr.grid-row")
    count = rows.count()
    assert count >= 1, "the demo community has residents"
    for n in range(count):
        rows.nth(n).locator('[data-col="D"]').fill("良好")
    page.locator("main h1").click()  # the focus leaves the grid: the last row is saved too
    expect(page.locator("#cells-missing")).to_have_text("0", timeout=30_000)

    button = page.get_by_role("button", name="确认报送")
    expect(button).to_be_enabled()
    assert button.evaluate("b => b.form && b.form.id") == "submit-form"
    with page.expect_navigation():
        button.click()
    expect(page.locator("#task-status")).to_have_text("已报送")
