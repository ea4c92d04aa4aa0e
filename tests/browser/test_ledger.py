"""The resident ledger on a worker's phone: find a person, see them masked, reveal with a
reason, correct a phone number, register a household at the door, and stay inside one's
own community — in real Chromium at 390 px, against `yibiao serve` on the demo data.

Each test works on a different resident, so the order they run in does not matter.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Locator, Page, expect

from yibiao.values.ids import check_digit
from yibiao.values.pinyin import name_initials

from .conftest import OpenPage
from .helpers import login

WORKER1 = ("worker1", "demo-worker1-2026")  # 红星社区 430104001001
WORKER1_NAME = "王丽"  # how the history names worker1 (yibiao/demo/load.py)
WORKER2 = ("worker2", "demo-worker2-2026")  # 东风岭社区 430104002001
ADMIN = ("admin", "demo-admin-2026")
PHONE_WIDTH = 390

MASKED_ID = re.compile(r"^\d{6}\*{8}\d{3}[\dX]$")
MASKED_PHONE = re.compile(r"^(1\d{2}|0\d{2,3}-)\*{4}\d{4}$")  # 138****5678, 0731-****8888
FULL_ID = re.compile(r"^\d{17}[\dX]$")
# An unmasked ID number anywhere in running text (not part of a longer digit run).
ANY_FULL_ID = re.compile(r"(?<!\d)\d{17}[\dX](?!\d)")
PERSON_URL = re.compile(r"/ledger/people/(\d+)/$")
HOUSEHOLD_URL = re.compile(r"/ledger/households/(\d+)/$")


# --- what the tests read off the pages ------------------------------------------------


def rows(page: Page) -> Locator:
    """The resident rows of the list (the empty-result row has no link)."""
    return page.locator("#people-rows tbody tr").filter(has=page.locator("a"))


def total(page: Page) -> int:
    """The list's "共 N 人"."""
    text = page.locator("#people-rows > p.muted").inner_text()
    match = re.search(r"共 (\d+) 人", text)
    assert match, text
    return int(match.group(1))


def query_of(url: str) -> str | None:
    """The search box's q= in a URL htmx pushed, decoded."""
    return parse_qs(urlsplit(url).query).get("q", [None])[0]


def fits_phone(page: Page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth") <= PHONE_WIDTH


def open_person(page: Page, row: int) -> tuple[int, str]:
    """Tap the name in one row of the list; return the person's id and name."""
    link = rows(page).nth(row).locator("a")
    name = link.inner_text().strip()
    with page.expect_navigation():
        link.tap()
    expect(page.locator("main h1")).to_have_text(name)
    match = PERSON_URL.search(page.url)
    assert match, page.url
    return int(match.group(1)), name


def mask_mobile(number: str) -> str:
    return number[:3] + "****" + number[-4:]


def mask_id(number: str) -> str:
    return number[:6] + "*" * 8 + number[-4:]


def id_number(division: str, birth: str, sequence: int) -> str:
    """A valid GB 11643 number: division, yyyymmdd, 3-digit sequence (odd = 男), check digit."""
    first17 = f"{division}{birth}{sequence:03d}"
    return first17 + check_digit(first17)


def wrong_check_digit(number: str) -> str:
    right = number[-1]
    return number[:-1] + ("1" if right != "1" else "2")


# --- 1. the list ----------------------------------------------------------------------


def test_resident_list_fits_a_phone_and_masks_every_id(phone_page: Page, artifacts: Path) -> None:
    page = phone_page
    login(page, *WORKER1)
    page.goto("/ledger/people/")

    expect(page.locator("main h1")).to_have_text("居民台账")
    expect(rows(page).first).to_be_visible()
    page.screenshot(path=artifacts / "ledger-list-390.png", full_page=True)

    assert fits_phone(page), page.evaluate("document.scrollingElement.scrollWidth")
    ids = page.locator("#people-rows td.idno").all_inner_texts()
    assert len(ids) == rows(page).count() > 0
    for shown in ids:
        assert MASKED_ID.match(shown.strip()), shown
    phones = [p.strip() for p in page.locator("#people-rows td[data-label='联系电话']").all_inner_texts()]
    phones = [p for p in phones if p != "—"]  # a resident without a phone shows a dash
    assert any(phones), "the demo gives most residents a phone"
    for shown in phones:
        assert MASKED_PHONE.search(shown), shown
    body = page.locator("body").inner_text()
    assert not ANY_FULL_ID.search(body), ANY_FULL_ID.search(body)


# --- 2. live search -------------------------------------------------------------------


def test_live_search_narrows_the_list_without_reloading(phone_page: Page) -> None:
    page = phone_page
    login(page, *WORKER1)
    page.goto("/ledger/people/")
    everyone = total(page)
    names = [n.strip() for n in rows(page).locator("a").all_inner_texts()]
    # A three-character name, so "surname + first given character" is a real prefix; the
    # one whose prefix and initials are shared least, so both searches must narrow.
    name = min((n for n in names if len(n) == 3),
               key=lambda n: sum(m.startswith(n[:2]) or name_initials(m).startswith(name_initials(n))
                                 for m in names))
    box = page.get_by_role("searchbox", name="搜索居民")
    # Survives only if the page is never reloaded: htmx swaps rows, nothing more.
    page.evaluate("window.__sameDocument = 'still here'")

    box.tap()
    box.press_sequentially(name[:2])

    page.wait_for_url(lambda url: query_of(url) == name[:2])
    expect(rows(page).filter(has_text=name)).to_have_count(1)
    expect(page.locator("#people-rows > p.muted")).not_to_have_text(f"共 {everyone} 人")
    narrowed = total(page)
    assert 0 < narrowed < everyone
    for found in rows(page).locator("a").all_inner_texts():
        assert name[:2] in found, found
    assert page.evaluate("window.__sameDocument") == "still here"

    initials = name_initials(name)
    box.fill("")
    box.press_sequentially(initials)

    page.wait_for_url(lambda url: query_of(url) == initials)
    expect(rows(page).filter(has_text=name)).to_have_count(1)
    expect(page.locator("#people-rows > p.muted")).not_to_have_text(f"共 {everyone} 人")
    for found in rows(page).locator("a").all_inner_texts():
        assert name_initials(found).startswith(initials), (found, initials)
    assert page.evaluate("window.__sameDocument") == "still here"
    assert fits_phone(page)


# --- 3. reveal, audited ---------------------------------------------------------------


def test_revealing_an_id_number_shows_it_in_place_and_admin_sees_the_reason(
    phone_page: Page, open_page: OpenPage, artifacts: Path
) -> None:
    page = phone_page
    login(page, *WORKER1)
    page.goto("/ledger/people/")
    person_id, _name = open_person(page, 1)
    card_url = page.url

    id_cell = page.locator("#reveal-person-id_number")
    masked = id_cell.evaluate("dd => dd.firstChild.textContent").strip()
    assert MASKED_ID.match(masked), masked
    assert not ANY_FULL_ID.search(page.locator("body").inner_text())
    page.screenshot(path=artifacts / "person-card-390.png", full_page=True)
    assert fits_phone(page), page.evaluate("document.scrollingElement.scrollWidth")

    reason = f"入户核实身份（浏览器测试 {person_id}）"
    page.evaluate("window.__sameDocument = 'still here'")
    id_cell.get_by_role("textbox", name="查看事由").fill(reason)
    id_cell.get_by_role("button", name="查看完整").tap()

    revealed = id_cell.locator(".revealed")
    expect(revealed).to_have_text(FULL_ID)
    full = revealed.inner_text()
    assert (full[:6], full[-4:]) == (masked[:6], masked[-4:])
    expect(id_cell).to_contain_text("已记入审计日志")
    assert page.url == card_url
    assert page.evaluate("window.__sameDocument") == "still here"

    admin = open_page()
    login(admin, *ADMIN)
    admin.goto("/audit/?user=worker1&action=reveal")
    entry = admin.locator("table.audit tbody tr").filter(has_text=reason)
    expect(entry).to_have_count(1)
    expect(entry.locator("td[data-label='动作']")).to_have_text("查看完整敏感信息")
    expect(entry.locator("td[data-label='操作人']")).to_have_text("worker1")
    expect(entry.locator("td[data-label='对象']")).to_have_text(f"person {person_id}")
    expect(entry.locator("td[data-label='组织代码']")).to_have_text(re.compile(r"^430104001001"))


# --- 4. edit a phone ------------------------------------------------------------------


def test_editing_the_phone_saves_a_version_and_a_bad_number_saves_nothing(phone_page: Page) -> None:
    page = phone_page
    login(page, *WORKER1)
    page.goto("/ledger/people/")
    person_id, _name = open_person(page, 2)
    new_phone = f"1997310{person_id % 10000:04d}"

    with page.expect_navigation():
        page.get_by_role("link", name="修改").tap()
    page.locator("#f-personphone").fill(new_phone)
    with page.expect_navigation():
        page.get_by_role("button", name="保存").tap()

    expect(page).to_have_url(re.compile(rf"/ledger/people/{person_id}/$"))
    expect(page.locator("ul.messages li.success")).to_contain_text("已保存")
    expect(page.locator("#reveal-personphone")).to_contain_text(mask_mobile(new_phone))
    assert new_phone not in page.locator("body").inner_text()

    with page.expect_navigation():
        page.get_by_role("link", name="变更记录").tap()
    phone_lines = page.locator("table.history tbody tr").filter(
        has=page.locator("td[data-label='项目']", has_text=re.compile(r"^联系电话$")))
    newest = phone_lines.first
    expect(newest.locator("td[data-label='值']")).to_have_text(mask_mobile(new_phone))
    expect(newest.locator("td[data-label='来源']")).to_have_text("录入")
    expect(newest.locator("td[data-label='记录人']")).to_have_text(WORKER1_NAME)
    versions = phone_lines.count()

    page.goto(f"/ledger/people/{person_id}/edit/")
    bad_phone = "1381234567"  # ten digits
    page.locator("#f-personphone").fill(bad_phone)
    with page.expect_navigation():
        page.get_by_role("button", name="保存").tap()

    expect(page).to_have_url(re.compile(rf"/ledger/people/{person_id}/edit/$"))
    expect(page.locator("#form-problems")).to_contain_text("尚未保存")
    field_error = page.locator("#f-personphone ~ p.error").first
    expect(field_error).to_contain_text("应为 11 位")
    expect(page.locator("#f-personphone")).to_have_value(bad_phone)
    assert fits_phone(page)

    page.goto(f"/ledger/people/{person_id}/")
    expect(page.locator("#reveal-personphone")).to_contain_text(mask_mobile(new_phone))
    page.goto(f"/ledger/people/{person_id}/history/")
    expect(phone_lines).to_have_count(versions)
    expect(phone_lines.first.locator("td[data-label='值']")).to_have_text(mask_mobile(new_phone))


# --- 5. door-to-door registration -----------------------------------------------------


def fill_member(page: Page, index: int, name: str, number: str, relation: str, phone: str) -> None:
    member = page.locator("fieldset.member").nth(index)
    member.get_by_label("姓名").fill(name)
    member.get_by_label("公民身份号码").fill(number)
    member.get_by_label("与户主关系").select_option(label=relation)
    member.get_by_label("联系电话").fill(phone)


def test_door_to_door_registration_of_a_household(phone_page: Page) -> None:
    page = phone_page
    # worker2's community: the browser tests share one served demo, and the grid's test fills
    # every resident of worker1's (a household registered there would be rows it never typed).
    login(page, *WORKER2)
    page.goto("/ledger/households/new/")
    assert fits_phone(page)
    address = "长沙市芙蓉区红星路 88 号 3 栋 201 室"
    head = ("柳青山", id_number("430104", "19610723", 917), "户主", "13973101917")
    spouse = ("柳晓雨", id_number("430104", "19630214", 928), "配偶", "13973101928")

    page.get_by_label("家庭住址").fill(address)
    fill_member(page, 0, *head)
    fill_member(page, 1, *spouse)
    with page.expect_navigation():
        page.get_by_role("button", name="登记").tap()

    expect(page).to_have_url(HOUSEHOLD_URL)
    expect(page.locator("ul.messages li.success")).to_have_text("已登记 2 人。")
    expect(page.locator("dl.facts")).to_contain_text(address)
    members = page.locator("table.stack tbody tr")
    expect(members).to_have_count(2)
    for (name, number, _relation, _phone), row in zip((head, spouse), members.all(), strict=True):
        expect(row.locator("td[data-label='姓名']")).to_have_text(name)
        expect(row.locator("td[data-label='公民身份号码']")).to_have_text(mask_id(number))
    expect(members.nth(0).locator("td[data-label='性别']")).to_have_text("男")
    expect(members.nth(1).locator("td[data-label='性别']")).to_have_text("女")
    body = page.locator("body").inner_text()
    assert head[1] not in body and spouse[1] not in body
    assert fits_phone(page)

    # The next door: one digit wrong in the second member's number.
    page.goto("/ledger/households/new/")
    address2 = "长沙市芙蓉区红星路 90 号 1 栋 102 室"
    first = ("欧阳明", id_number("430104", "19780305", 933), "户主", "13973101933")
    typo = wrong_check_digit(id_number("430104", "19800918", 944))
    second = ("欧阳婷", typo, "配偶", "13973101944")
    page.get_by_label("家庭住址").fill(address2)
    fill_member(page, 0, *first)
    fill_member(page, 1, *second)
    with page.expect_navigation():
        page.get_by_role("button", name="登记").tap()

    expect(page).to_have_url(re.compile(r"/ledger/households/new/$"))
    problem = page.locator("#form-problems li")
    expect(problem).to_have_count(1)
    expect(problem).to_contain_text("欧阳婷 的公民身份号码")  # the member, by the name typed
    expect(problem).to_contain_text("校验码")
    expect(page.locator("#id_number_1-error")).to_have_text(problem.inner_text())  # and beside the box
    expect(page.get_by_label("家庭住址")).to_have_value(address2)
    for index, (name, number, relation, phone) in enumerate((first, second)):
        member = page.locator("fieldset.member").nth(index)
        expect(member.get_by_label("姓名")).to_have_value(name)
        expect(member.get_by_label("公民身份号码")).to_have_value(number)
        expect(member.get_by_label("与户主关系").locator("option:checked")).to_have_text(relation)
        expect(member.get_by_label("联系电话")).to_have_value(phone)
    # Nothing of the rejected household was written.
    page.goto("/ledger/people/?q=欧阳明")
    expect(page.locator("#people-rows")).to_contain_text("没有找到符合条件的居民。")


# --- 6. the fence ---------------------------------------------------------------------


def test_worker_cannot_open_a_person_of_another_community(
    phone_page: Page, open_page: OpenPage
) -> None:
    neighbour = open_page()
    login(neighbour, *WORKER2)
    neighbour.goto("/ledger/people/")
    link = rows(neighbour).first.locator("a")
    name = link.inner_text().strip()
    href = link.get_attribute("href")
    assert href and PERSON_URL.search(href), href
    neighbour.goto(href)
    expect(neighbour.locator("dl.facts").first).to_contain_text("东风岭社区")

    page = phone_page
    login(page, *WORKER1)
    for url in (href, href + "edit/", href + "history/"):
        response = page.goto(url)
        assert response is not None and response.status == 403, url
        expect(page.locator("main h1")).to_have_text("无权访问")
        expect(page.locator("main .error")).to_have_text("无权查看该人员，或该人员不存在。")
        assert name not in page.content()
