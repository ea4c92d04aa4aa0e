"""The burden dashboard as the county's reviewer sees it, and a worker finishing a task on a
phone — in real Chromium against `yibiao serve` on the demo data.

The reviewer sees real charts (drawn from the same figures as the tables), numbers in the
KPIs, at least the one duplicate the demo's gate stopped, an Excel download and a printable
summary. The worker opens a task from the home page, types only what the ledger could not
give, and submits it.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from ..sheetfactory import table, write_xlsx
from .conftest import OpenPage
from .helpers import login

REVIEWER = ("reviewer", "demo-review-2026")
OFFICER = ("officer", "demo-officer-2026")  # 区卫生健康局, may submit requests for the county
WORKER = ("worker1", "demo-worker1-2026")
OWN_COMMUNITY = "430104001001"  # 红星社区, worker1's scope
DASHBOARD = "/burden/?org=430104&from=2026-01&to=2026-12"
NUMBER = re.compile(r"^\d+(\.\d+)?%?$")


# --- 1. the reviewer's dashboard -------------------------------------------------------


def chart(page: Page, selector: str) -> dict[str, object]:
    """What the ECharts instance in `selector` holds and draws."""
    return page.evaluate(
        """selector => {
          const el = document.querySelector(selector);
          const instance = echarts.getInstanceByDom(el);
          const option = instance.getOption();
          const canvas = el.querySelector("canvas, svg");
          return {
            drawn: canvas !== null && canvas.getBoundingClientRect().width > 0
                   && canvas.getBoundingClientRect().height > 0,
            legend: option.legend[0].data,
            categories: option.xAxis[0].data,
            series: option.series.map(s => s.data),
          };
        }""",
        selector,
    )


def test_reviewer_sees_the_burden_dashboard(page: Page, artifacts: Path) -> None:
    login(page, *REVIEWER)
    page.goto(DASHBOARD)
    page.wait_for_function("document.body.dataset.chartsReady === '1'")

    departments = chart(page, "#chart-departments")
    assert departments["drawn"]
    assert departments["legend"] == ["系统自动填", "人工填写"]
    # The bars carry the department table's figures, not an empty axis.
    assert departments["categories"] and all(re.search(r"[\u3400-\u9fff]", c) for c in departments["categories"])
    assert sum(departments["series"][0]) > 0
    trend = chart(page, "#chart-trend")
    assert trend["drawn"] and "系统自动填" in trend["legend"]
    assert trend["categories"] and sum(trend["series"][0]) > 0

    kpis = {name: page.locator(f"#kpi-{name}").inner_text().strip() for name in ("asked", "typed", "share", "duplicates")}
    assert all(NUMBER.match(value) for value in kpis.values()), kpis
    assert int(kpis["duplicates"]) >= 1, "the demo's gate stops one duplicate request"
    assert int(kpis["asked"]) > int(kpis["typed"])
    page.wait_for_timeout(1000)  # ECharts animates the bars in; the screenshot is for a person
    page.screenshot(path=artifacts / "dashboard.png", full_page=True)

    with page.expect_download() as download:
        page.get_by_role("link", name="下载 Excel").click()
    assert download.value.suggested_filename == "burden-430104-2026-01-2026-12.xlsx"
    assert Path(download.value.path()).read_bytes()[:2] == b"PK"  # an .xlsx is a zip

    page.get_by_role("link", name="打印摘要").click()
    expect(page).to_have_url(re.compile(r"print=1"))
    expect(page.locator("h1")).to_have_text("湖南省 / 长沙市 / 岳麓区基层减负工作情况摘要（2026-01 — 2026-12）")
    expect(page.get_by_role("button", name="打印")).to_be_visible()


# --- 2. a worker's task on a phone -----------------------------------------------------

NEW_REQUEST = table("""
| 序号 | 姓名 | 性别 | 年龄 | 联系电话 | 是否接种流感疫苗 | 备注 |
""")


def admit_a_request_for_the_workers_community(open_page: OpenPage, tmp_path: Path) -> None:
    """The health bureau asks 红星社区 for something the ledger lacks, and the reviewer admits it.

    A request of the test's own, so what it types never meets the demo's open tasks (the
    demo leaves each table's latest period open for the workers: yibiao/demo/requests.py).
    """
    template = tmp_path / "流感疫苗接种情况表.xlsx"
    write_xlsx(template, [["流感疫苗接种情况表"], *NEW_REQUEST])
    officer = open_page()
    login(officer, *OFFICER)
    officer.goto("/gate/new/table/")
    officer.set_input_files("#template", template)
    officer.fill("#title", "流感疫苗接种情况表")
    officer.fill("#basis", "《关于做好2026—2027年度流感疫苗接种工作的通知》（岳卫发〔2026〕9号）")
    officer.select_option("#frequency", "monthly")
    officer.fill("#scope", OWN_COMMUNITY)  # the org-unit picker takes a code
    with officer.expect_navigation():
        officer.get_by_role("button", name="提交").click()
    # The phone column needs the department's decision: the form comes back asking, the
    # officer chooses masked and sends the template again.
    officer.locator("input[name='decision:person.phone'][value='masked']").check()
    officer.set_input_files("#template", template)
    with officer.expect_navigation():
        officer.get_by_role("button", name="提交").click()
    expect(officer.locator("h1 .badge")).to_have_text("待审核")
    request_url = officer.url

    reviewer = open_page()
    login(reviewer, *REVIEWER)
    reviewer.goto(request_url)
    with reviewer.expect_navigation():
        reviewer.get_by_role("button", name="准入", exact=True).click()
    expect(reviewer.locator("h1 .badge")).to_have_text("已准入")


def plausible(field: Locator, label: str, number: int) -> str:
    """A value the column accepts, chosen the way a worker would from the column's header."""
    if field.get_attribute("type") == "tel" or "电话" in label:
        return f"1380013{number:04d}"  # valid mobiles, one per person
    if label.startswith("是否"):
        return "是"
    if field.get_attribute("inputmode") == "decimal" or re.search(r"(次数|人数|数量)$", label):
        return "2"
    if "日期" in label:
        return "2026-11-15"
    return "无"


def test_worker_completes_and_submits_a_task_on_a_phone(
    open_page: OpenPage, phone_page: Page, artifacts: Path, tmp_path: Path
) -> None:
    admit_a_request_for_the_workers_community(open_page, tmp_path)
    page = phone_page
    login(page, *WORKER)

    to_fill = page.locator("#tasks li").filter(has=page.locator(".badge:not(.ok)")).first
    expect(to_fill).to_contain_text("还需填")
    with page.expect_navigation():
        to_fill.locator("a[href*='/reports/tasks/']").click()
    expect(page).to_have_url(re.compile(r"/reports/tasks/\d+/$"))
    assert int(page.locator("#cells-missing").inner_text()) > 0
    expect(page.get_by_role("button", name="确认报送")).to_be_disabled()

    typed = 0
    missing = int(page.locator("#cells-missing").inner_text())
    while missing:  # long reports come a page of rows at a time; 备注 (optional) is left empty
        fields = page.locator("#grid td.in:not(.optional) [name^='cell|']")
        assert fields.count() > 0
        for field in fields.all():
            label = field.locator("xpath=ancestor::td[1]").get_attribute("data-label") or ""
            typed += 1
            if field.evaluate("element => element.tagName") == "SELECT":
                field.select_option(label="是")
            else:
                field.fill(plausible(field, label, typed))
        with page.expect_navigation():
            page.get_by_role("button", name="保存", exact=True).click()
        expect(page.locator(".error")).to_have_count(0)
        now_missing = int(page.locator("#cells-missing").inner_text())
        assert now_missing < missing, "saving typed values must reduce what is missing"
        missing = now_missing

    expect(page.locator("#cells-missing")).to_have_text("0")
    submit = page.get_by_role("button", name="确认报送")
    expect(submit).to_be_enabled()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    page.screenshot(path=artifacts / "task-390.png", full_page=True)
    with page.expect_navigation():
        submit.click()
    expect(page.locator("#task-status")).to_have_text("已报送")
