"""A paste bigger than the grid: a worker copies a whole column block from Excel (more lines
than the page has rows left, more columns than there are cells to fill) into the task grid.
What fits is filled; what did not fit is said under the grid, never dropped unseen (found
pasting 10,000 lines into a five-row grid on the demo: five rows filled, nothing said)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from openpyxl import Workbook
from playwright.sync_api import expect

from .conftest import OpenPage, YibiaoCommand
from .helpers import login

TITLE = "居民走访问题登记表"
HEADERS = ["序号", "姓名", "公民身份号码", "探访发现的问题", "本月探访次数", "备注"]  # D, E, F (备注 optional)


def test_a_paste_too_big_for_the_grid_says_what_was_left_out(
        open_page: OpenPage, yibiao_cli: YibiaoCommand, tmp_path: Path) -> None:
    book = Workbook()
    book.active.append([TITLE])
    book.active.append(HEADERS)
    book.save(tmp_path / "visit.xlsx")
    created = yibiao_cli(
        "request", "create", "--template", str(tmp_path / "visit.xlsx"), "--department", "区卫生健康局",
        "--title", TITLE, "--basis", "《社区工作规范》（2026）5号", "--frequency", "monthly",
        "--scope", "430104001001", "--filter", "年龄 < 40", "--json", "--user", "officer",
        "--justify", "C=走访需要")
    yibiao_cli("request", "review", str(json.loads(created.stdout)["id"]), "admit", "--mappings-checked",
               "--user", "reviewer")

    page = open_page(permissions=["clipboard-read", "clipboard-write"], viewport={"width": 1400, "height": 900})
    login(page, "worker1", "demo-worker1-2026")
    page.goto("/")
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile(TITLE)).first.click()
    rows = page.locator("#grid tbody tr.grid-row")
    count = rows.count()
    note = page.locator("#paste-left")
    expect(note).to_be_hidden()

    # Three lines more than the rows, two values each: six values fall past the last row.
    block = "\r\n".join(f"楼道堆物{n}\t{n % 5}" for n in range(count + 3)) + "\r\n"
    rows.nth(0).locator('[data-col="D"]').click()
    page.evaluate("text => navigator.clipboard.writeText(text)", block)
    page.keyboard.press("Control+V")
    expect(rows.nth(count - 1).locator('[data-col="D"]')).to_have_value(f"楼道堆物{count - 1}")
    expect(note).to_be_visible()
    expect(note).to_contain_text(f"粘贴的内容有 {count + 3} 行、{2 * (count + 3)} 个值，其中 6 个值超出了")

    # A block that fits (from the last row's 备注 column, one value) says nothing.
    rows.nth(count - 1).locator('[data-col="E"]').click()
    page.evaluate("text => navigator.clipboard.writeText(text)", "2\t已走访\r\n")
    page.keyboard.press("Control+V")
    expect(rows.nth(count - 1).locator('[data-col="F"]')).to_have_value("已走访")
    expect(note).to_be_hidden()


def test_a_row_saved_after_the_login_changed_says_why_in_words(
        open_page: OpenPage, yibiao_cli: YibiaoCommand, tmp_path: Path) -> None:
    """The worker logs in again elsewhere (the CSRF cookie changes) and leaves a row: the
    row stays typed and unsaved, its status the sentence, not the error page's HTML source."""
    title = "居民走访问题登记表（二）"
    book = Workbook()
    book.active.append([title])
    book.active.append(HEADERS)
    book.save(tmp_path / "visit2.xlsx")
    created = yibiao_cli(
        "request", "create", "--template", str(tmp_path / "visit2.xlsx"), "--department", "区卫生健康局",
        "--title", title, "--basis", "《社区工作规范》（2026）6号", "--frequency", "monthly",
        "--scope", "430104001001", "--filter", "年龄 < 40", "--json", "--user", "officer",
        "--justify", "C=走访需要")
    yibiao_cli("request", "review", str(json.loads(created.stdout)["id"]), "admit", "--mappings-checked",
               "--user", "reviewer")
    page = open_page(viewport={"width": 1400, "height": 900})
    login(page, "worker1", "demo-worker1-2026")
    page.goto("/")
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile(re.escape(title))).first.click()
    row = page.locator("#grid tbody tr.grid-row").nth(0)
    cookie = next(c for c in page.context.cookies() if c["name"] == "csrftoken")
    page.context.add_cookies([{**cookie, "value": "x" * 32}])  # what another login would leave
    cell = row.locator("input[data-col]").first  # the first test may have filled 探访发现的问题
    cell.fill("楼道堆物")
    page.locator("main h1").click()
    expect(row.locator("td.status")).to_contain_text("未保存：这次提交没有保存")
    assert "<" not in row.locator("td.status").inner_text()
    expect(cell).to_have_value("楼道堆物")

    # An error page (here the 400 for a NUL pasted from a broken file) is read for its message.
    page.context.add_cookies([cookie])
    cell.evaluate("el => { el.value = '楼道\\u0000堆物'; el.dispatchEvent(new Event('input', {bubbles: true})); }")
    cell.focus()
    page.locator("main h1").click()
    expect(row.locator("td.status")).to_contain_text("未保存：提交的内容含有无法保存的空字符")
    assert "<" not in row.locator("td.status").inner_text()
