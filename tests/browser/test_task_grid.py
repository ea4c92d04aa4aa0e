"""A worker fills a department's table through the task page's grid, in real Chromium against
`yibiao serve` on the demo data: by keyboard (Tab, Enter, arrows, a digit for yes/no), with a
bad value (a 5-digit phone, a temperature in words) that comes back beside its cell naming
the resident while the row's other cells are stored, then the rest by pasting Excel's
tab-separated text; 备注 is left empty and 确认报送 goes through after the preview. Once on a
desktop, once at 390×844, where rows are cards.

The department's request is made and admitted from the command line beside the server, so
each test has a fresh task of its own (see DESKTOP and PHONE)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from openpyxl import Workbook
from playwright.sync_api import Page, expect

from .conftest import PHONE_VIEWPORT, OpenPage, YibiaoCommand
from .helpers import login

WORKER1 = ("worker1", "demo-worker1-2026")  # 红星社区 430104001001
COMMUNITY = "430104001001"


@dataclass(frozen=True)
class Sheet:
    """A department's table and how the test fills it: four columns to type side by side
    (a checked one first, then yes/no, a date, one more), 备注 last and left empty."""

    title: str
    headers: list[str]
    ages: str | None  # the request's filter on 年龄
    typed: tuple[str, str, str, str]  # the letters of the four columns to type
    bad: str  # typed into the first column of row 1: refused
    refused: str  # the reason's start after "<name> 的"
    fixed: str  # typed again
    pasted: Callable[[int], tuple[str, str, str, str]]  # row n's four values, pasted from Excel
    shown: str  # in the preview, as the department receives it and the screen masks it


# Residents under 40 have no emergency contact's phone in the demo ledger (only the elderly
# do); nobody has a temperature, a pregnancy or a nucleic test: two tables of disjoint
# elements, so what one test types never fills the other's cells.
DESKTOP = Sheet(
    "儿童青年接种登记表", ["序号", "姓名", "公民身份号码", "民族", "紧急联系人电话", "是否密切接触者",
                    "最近一次接种日期", "新冠疫苗接种剂次", "备注"], "年龄 < 40",
    ("E", "F", "G", "H"), "12345", "紧急联系人电话：手机号码“12345”有 5 位：应为 11 位", "13812345678",
    lambda n: (f"1390000{n:04d}", "否" if n % 2 else "是", f"2020-03-{n:02d}", str(n % 4)), "138****5678")
PHONE = Sheet(
    "居民健康监测表", ["序号", "姓名", "公民身份号码", "民族", "体温", "是否孕产妇", "核酸检测日期",
                  "未接种原因", "备注"], None,
    ("E", "F", "G", "H"), "三十六度", "体温：“三十六度”不是数字", "36.6",
    lambda n: (f"36.{n % 10}", "否", f"2026-11-{n:02d}", "外出务工"), "36.6")
REMARK = "I"


def admitted_task(yibiao_cli: YibiaoCommand, folder: Path, sheet: Sheet) -> None:
    """The department's table for 红星社区, submitted and admitted: its task is open."""
    book = Workbook()
    book.active.append([sheet.title])
    book.active.append(sheet.headers)
    path = folder / f"{sheet.title}.xlsx"
    book.save(path)
    scope = ["--filter", sheet.ages] if sheet.ages else ["--no-filter"]
    letters = ["C", "D", *sheet.typed]
    created = yibiao_cli(
        "request", "create", "--template", str(path), "--department", "区卫生健康局", "--title", sheet.title,
        "--basis", "《居民健康管理工作规范》（卫健发〔2026〕3号）", "--frequency", "monthly",
        "--scope", COMMUNITY, *scope, "--json", "--user", "officer",
        *[arg for letter in letters if letter != "E" or sheet is PHONE
          for arg in ("--justify", f"{letter}=居民健康服务需要")],
        *(["--mask", "E"] if sheet is DESKTOP else []))
    request_id = json.loads(created.stdout)["id"]
    yibiao_cli("request", "review", str(request_id), "admit", "--mappings-checked", "--user", "reviewer")


def open_task(page: Page, title: str) -> None:
    login(page, *WORKER1)
    page.goto("/")
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile(re.escape(title))).first.click()
    expect(page.locator("main h1")).to_have_text(title)


def field(page: Page, row: int, column: str):  # noqa: ANN201
    return page.locator("#grid tbody tr.grid-row").nth(row).locator(f'[data-col="{column}"]')


def status(page: Page, row: int):  # noqa: ANN201
    return page.locator("#grid tbody tr.grid-row").nth(row).locator("td.status")


def fill_by_keyboard_and_paste(page: Page, sheet: Sheet, *, phone: bool) -> int:
    """The whole flow on the grid; the number of rows filled."""
    first, yes_no, date, last = sheet.typed
    rows = page.locator("#grid tbody tr.grid-row")
    count = rows.count()
    assert count >= 2, "the demo community has residents of these ages"
    name = rows.nth(0).locator("th.label").inner_text().split()[0]
    expect(field(page, 0, yes_no)).to_have_js_property("tagName", "SELECT")
    expect(field(page, 0, date)).to_have_attribute("placeholder", "如 1950.01")

    # Row 1 by keyboard: a bad value, 是 by its digit, a date as 2021.05, one more value.
    field(page, 0, first).click()
    page.keyboard.type(sheet.bad)
    page.keyboard.press("Enter" if phone else "Tab")  # a phone's Enter goes to the next field
    expect(field(page, 0, yes_no)).to_be_focused()
    page.keyboard.press("1")
    expect(field(page, 0, yes_no)).to_have_value("是")
    page.keyboard.press("Tab")
    page.keyboard.type("2021.05")
    page.keyboard.press("Tab")
    expect(field(page, 0, last)).to_be_focused()
    page.keyboard.type("2")
    page.keyboard.press("ArrowDown")  # leaves the row: it is saved
    expect(field(page, 1, last)).to_be_focused()

    # The bad value comes back beside its cell, naming the resident; the typing is still there.
    expect(status(page, 0)).to_have_text("有误，未保存")
    expect(rows.nth(0).locator(".cell-error")).to_have_text(f"{name} 的{sheet.refused}", use_inner_text=True)
    expect(field(page, 0, first)).to_have_value(sheet.bad)
    expect(field(page, 0, yes_no)).to_have_value("是")
    expect(field(page, 0, date)).to_have_value("2021.05")

    # Fixed: up with the arrow keys, the value typed again, Enter leaves the row.
    page.keyboard.press("ArrowUp")
    expect(field(page, 0, last)).to_be_focused()
    field(page, 0, first).click()
    page.keyboard.press("Control+A")
    page.keyboard.type(sheet.fixed)
    if phone:
        field(page, 1, first).click()
    else:
        page.keyboard.press("Enter")  # down to row 2
    expect(field(page, 1, first)).to_be_focused()
    expect(status(page, 0)).to_have_text("已保存")
    expect(rows.nth(0).locator(".cell-error")).to_have_count(0)

    # The other rows pasted from Excel at once, from row 2's first column.
    block = "\r\n".join("\t".join(sheet.pasted(n)) for n in range(2, count + 1)) + "\r\n"
    page.evaluate("text => navigator.clipboard.writeText(text)", block)
    page.keyboard.press("Control+V")
    expect(field(page, count - 1, first)).to_have_value(sheet.pasted(count)[0])
    expect(field(page, 1, yes_no)).to_have_value(sheet.pasted(2)[1])
    expect(field(page, count - 1, date)).to_have_value(sheet.pasted(count)[2])
    page.locator("main h1").click()  # the focus leaves the grid: its row is saved too
    for n in range(count):
        expect(status(page, n)).to_have_text("已保存")
    expect(field(page, 0, REMARK)).to_have_value("")  # 备注: left empty
    # The last row's save may still be on its way on a loaded machine: wait for its counts.
    expect(page.locator("#cells-missing")).to_have_text("0", timeout=30_000)
    return count


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_a_worker_fills_a_task_through_the_grid_and_submits_it(
        open_page: OpenPage, yibiao_cli: YibiaoCommand, tmp_path: Path, artifacts: Path, phone: bool) -> None:
    sheet = PHONE if phone else DESKTOP
    title = sheet.title
    admitted_task(yibiao_cli, tmp_path, sheet)
    options = {"viewport": PHONE_VIEWPORT, "is_mobile": True, "has_touch": True} if phone else \
        {"viewport": {"width": 1400, "height": 900}}
    page = open_page(permissions=["clipboard-read", "clipboard-write"], **options)
    open_task(page, title)
    if phone:  # one card per row, nothing wider than the screen
        expect(page.locator("#grid thead")).to_be_hidden()
        assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE_VIEWPORT["width"]
    count = fill_by_keyboard_and_paste(page, sheet, phone=phone)
    page.screenshot(path=artifacts / f"task-grid-{'phone' if phone else 'desktop'}.png", full_page=True)

    # What was stored is what the department gets: the preview, before 确认报送.
    with page.expect_navigation():
        page.get_by_role("link", name="预览报送的表格").click()
    preview = page.locator("#preview tbody tr")
    expect(preview).to_have_count(count)
    expect(page.locator("#preview")).to_contain_text(sheet.shown)
    expect(page.locator("#preview td.missing")).to_have_count(0)  # 备注 empty is no gap
    with page.expect_navigation():
        page.get_by_role("button", name="确认报送").click()
    expect(page.locator("#task-status")).to_have_text("已报送")

    # And it is listed with its file.
    page.goto("/reports/tasks/submitted/")
    line = page.locator("#submitted tbody tr").filter(has_text=title)
    expect(line).to_have_count(1)
    expect(line.get_by_role("link", name="下载")).to_have_attribute(
        "href", re.compile(rf"/reports/requests/\d+/download/\?org={COMMUNITY}&period="))


WIDE = ["序号", "姓名", "公民身份号码", "性别", "民族", "出生日期", "联系电话", "家庭住址", "户籍地址",
        "工作单位", "职业", "文化程度", "婚姻状况", "政治面貌", "与户主关系", "未接种原因"]


def test_a_sheet_wider_than_the_screen_opens_at_its_first_column_to_fill(
        page: Page, yibiao_cli: YibiaoCommand, tmp_path: Path, artifacts: Path) -> None:
    """Found walking the demo at 1280 px: the one column to fill sat at the far right, behind
    fourteen read-only ones. The grid now opens scrolled to it, 填报对象 still beside it."""
    book = Workbook()
    book.active.append(["居民基本情况核对表"])
    book.active.append(WIDE)
    path = tmp_path / "居民基本情况核对表.xlsx"
    book.save(path)
    created = yibiao_cli(
        "request", "create", "--template", str(path), "--department", "区卫生健康局",
        "--title", "居民基本情况核对表", "--basis", "《居民健康管理工作规范》（卫健发〔2026〕3号）",
        "--frequency", "monthly", "--scope", COMMUNITY, "--filter", "年龄 >= 70", "--json", "--user", "officer",
        *[arg for letter in "CEGHIJP" for arg in ("--justify", f"{letter}=居民健康服务需要")])
    request_id = json.loads(created.stdout)["id"]
    yibiao_cli("request", "review", str(request_id), "admit", "--mappings-checked", "--user", "reviewer")
    open_task(page, "居民基本情况核对表")
    grid = page.locator("#grid").bounding_box()
    fill = page.locator("#grid thead th[data-fill]").first
    beyond = fill.evaluate("th => th.offsetLeft + th.offsetWidth > th.closest('#grid').clientWidth")
    assert beyond, "the first column to fill lies past the screen's right edge when unscrolled"
    box = fill.bounding_box()
    assert grid and box and grid["x"] <= box["x"] and box["x"] + box["width"] <= grid["x"] + grid["width"] + 1
    label = page.locator("#grid thead th.label").bounding_box()
    assert label and abs(label["x"] - grid["x"]) <= 2  # the sticky 填报对象 column stays at the left
    page.screenshot(path=artifacts / "task-grid-wide.png")
