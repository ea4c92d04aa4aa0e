"""Around the ledger in real Chromium (issue 16, items 1 and 8): the household form keeps
everything typed when a save is refused and says beside each field whose value is wrong;
the registered household prints as one clean page; the import button is disabled while it
runs and stays so once the roster is imported, and the import can be undone.

Residents here are born in 1932 with sequence numbers 99x, which the demo never generates.
"""

from __future__ import annotations

import re
from pathlib import Path

from openpyxl import Workbook
from playwright.sync_api import Page, expect

from yibiao.values.ids import check_digit

from .helpers import login

# worker2's community, not worker1's: the browser tests share one served demo, and the grid's
# test fills every row of worker1's task (the people registered or imported here would be more).
WORKER2 = ("worker2", "demo-worker2-2026")  # 东风岭社区 430104002001


def id_number(body: str) -> str:
    return body + check_digit(body)


LIU = id_number("43010419320101991")
WIFE = id_number("43010419320202992")
ROSTER_PERSON = id_number("43010419320303993")


def pages_of(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


def test_a_refused_household_keeps_typing_and_names_whose_value_is_wrong(page: Page, artifacts: Path) -> None:
    login(page, *WORKER2)
    page.goto("/ledger/households/new/")
    page.fill("#address", "枫林路99号1栋101室")
    page.fill("#name_0", "刘兵彬")
    page.fill("#id_number_0", LIU)
    page.select_option("#relation_0", "02")
    page.fill("#phone_0", "12345")
    page.fill("#name_1", "陈桂芳")
    page.fill("#id_number_1", WIFE[:-1] + ("0" if WIFE[-1] != "0" else "1"))  # a wrong check digit
    page.fill("#phone_1", "13912340000")
    with page.expect_navigation():
        page.click("form.household-form button[type=submit]")

    # Every problem at once, beside its field, naming the member; the typing is all there.
    expect(page.locator("#phone_0-error")).to_have_text("刘兵彬 的联系电话：手机号码“12345”有 5 位：应为 11 位")
    expect(page.locator("#id_number_1-error")).to_contain_text("陈桂芳 的公民身份号码")
    expect(page.locator("#form-problems li")).to_have_count(2)
    for selector, typed in (("#address", "枫林路99号1栋101室"), ("#name_0", "刘兵彬"), ("#id_number_0", LIU),
                            ("#phone_0", "12345"), ("#name_1", "陈桂芳"), ("#phone_1", "13912340000")):
        expect(page.locator(selector)).to_have_value(typed)
    expect(page.locator("#relation_0")).to_have_value("02")
    expect(page.locator("#phone_0")).to_have_attribute("aria-invalid", "true")
    page.screenshot(path=artifacts / "household-refused-keeps-typing.png", full_page=True)

    # Fixing only the two wrong boxes saves the household.
    page.fill("#phone_0", "13912345678")
    page.fill("#id_number_1", WIFE)
    with page.expect_navigation():
        page.click("form.household-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/ledger/households/\d+/$"))
    expect(page.locator("main")).to_contain_text("刘兵彬")
    expect(page.locator("main")).to_contain_text("陈桂芳")
    expect(page.locator("form.undo button")).to_be_visible()

    # The browser's print: one page, no navigation, no buttons.
    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.locator("form.undo")).to_be_hidden()
    expect(page.locator(".print-only")).to_be_visible()
    assert pages_of(page.pdf(format="A4")) == 1
    page.emulate_media(media="screen")
    page.locator("main a", has_text="刘兵彬").click()
    expect(page.locator("main h1")).to_have_text("刘兵彬")
    page.emulate_media(media="print")
    expect(page.locator("form.reveal").first).to_be_hidden()
    assert pages_of(page.pdf(format="A4")) == 1


def upload_as_worker2(page: Page, roster: Path, rows: list[list[object]]) -> None:
    """The roster saved, uploaded by worker2: the page is its column mapping."""
    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(roster)
    login(page, *WORKER2)
    page.goto("/intake/upload/")
    page.set_input_files("#file", str(roster))
    with page.expect_navigation():
        page.click("main form button[type=submit]")


def test_the_import_button_cannot_be_pressed_twice_and_the_import_can_be_undone(
        page: Page, tmp_path: Path) -> None:
    upload_as_worker2(page, tmp_path / "花名册-浏览器.xlsx",
                      [["姓名", "公民身份号码", "联系电话"], ["周浏览", ROSTER_PERSON, "13800009993"]])
    expect(page.locator("h1")).to_have_text("确认列映射")
    other_tab = page.context.new_page()  # the same upload's mapping, open before the import
    other_tab.goto(page.url)

    # What the buttons were when the request left (htmx disables them before it sends).
    page.evaluate("""() => {
        window.buttonsWhenSent = null;
        document.body.addEventListener('htmx:beforeSend', () => {
            window.buttonsWhenSent = [...document.querySelectorAll('#import-actions button')].map(b => b.disabled);
        });
    }""")
    importing = page.locator("#import-actions button[value=import]")
    importing.click()
    expect(page.locator("#result")).to_contain_text("导入完成")
    assert page.evaluate("window.buttonsWhenSent") == [True, True]
    # Done: both stay disabled, the primary one says so.
    expect(page.locator("#import-actions button.primary")).to_be_disabled()
    expect(page.locator("#import-actions button.primary")).to_have_text("已导入")
    # The server refuses the same upload again, whatever the page does.
    status = page.evaluate("""async () => {
        const form = document.querySelector('form.import-form');
        const data = new FormData(form); data.set('action', 'import');
        const response = await fetch(form.action, {method: 'POST', body: data});
        return [response.status, await response.text()];
    }""")
    assert status[0] == 409 and "已经导入过了" in status[1]
    # and the other tab says so where its result goes (htmx swapped no 4xx: nothing showed)
    other_tab.locator("#import-actions button[value=import]").click()
    expect(other_tab.locator("#result")).to_contain_text("已经导入过了")
    other_tab.close()

    # Undo within the day: a reversing entry, the resident gone from the list.
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.locator("#result form.undo button").click()
    expect(page.locator(".messages")).to_contain_text("已撤销")
    expect(page.locator("main table")).to_contain_text("已于")
    page.goto(f"/ledger/people/?q={ROSTER_PERSON[-4:]}")
    expect(page.locator("#people-rows")).not_to_contain_text("周浏览")


def test_an_import_the_server_fails_or_never_gets_says_so(page: Page, tmp_path: Path) -> None:
    """A 500 (or a broken connection) on 导入 swapped nothing: the button came back and the
    page said nothing, as if the click had been lost (found by this session's new user). The
    server's answer is replaced in the browser: a real 500 cannot be had on demand."""
    upload_as_worker2(page, tmp_path / "花名册-失败.xlsx",
                      [["姓名", "公民身份号码"], ["周失败", id_number("43010419800101009")]])
    banner = page.locator("#request-failed")
    expect(banner).to_be_hidden()
    page.route("**/run/", lambda route: route.fulfill(status=500, body="Server Error"))
    page.locator("#import-actions button[value=dry_run]").click()
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("服务器没能完成这次操作")
    page.unroute("**/run/")
    page.route("**/run/", lambda route: route.abort())
    page.locator("#import-actions button[value=dry_run]").click()
    expect(banner).to_be_visible()
    page.unroute("**/run/")
    page.locator("#import-actions button[value=dry_run]").click()  # the server answers again
    expect(page.locator("#result")).to_contain_text("试导入")
    expect(banner).to_be_hidden()
