"""Tasks: admitted requests become pre-filled work; workers type only what is missing."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest

from yibiao.audit.models import Action, AuditEntry
from yibiao.gate.tables import workflow
from yibiao.ledger.models import EditConflict, Fact, Person, Residence, Source
from yibiao.ledger.records import PersonInput, write_people
from yibiao.reports import tasks
from yibiao.reports.models import Task, TaskStatus, TaskValue
from yibiao.reports.periods import parse_period
from yibiao.reports.prefill import DERIVED, LEDGER, MISSING, SYSTEM, build_report

from .conftest import PASSWORD
from .sheetfactory import table, write_xlsx

pytestmark = pytest.mark.django_db
NOV = parse_period("2026-11")
DEC = parse_period("2026-12")


@pytest.fixture
def ledger(world):
    write_people(world.worker_a, world.grid_a, [
        PersonInput({"person.id_number": i, "person.name": n, "person.phone": p})
        for i, n, p in [("11010519491231002X", "王秀英", "13812345678"),
                        ("430104199001010019", "李明", None)]], valid_from=dt.date(2026, 1, 1))
    return world


def admit(world, tmp_path, rows, *, name="t.xlsx", direct=False, scope=None, title="表", **extra):
    path = tmp_path / name
    write_xlsx(path, [[title], *rows])
    # The department decides its phone column (masked), as every submission must (f342a87).
    headers = {str(cell).strip() for row in rows for cell in row if cell}
    extra.setdefault("masked", [h for h in ("联系电话",) if h in headers])
    request = workflow.submit(world.officer, path, workflow.NewRequest(
        title=title, department=world.department.name, basis="《通知》（岳卫发〔2026〕1号）",
        frequency="monthly", scope_code=(scope or world.township_a).code,
        justifications={"person.id_number": "核对身份"}, **extra))
    return workflow.decide(world.reviewer, request, "admit", direct_delivery=direct)


def task_for(request, period):
    """The request's task for a period, whichever period admission happened to create."""
    tasks.create_tasks(request, period)
    return Task.objects.get(request=request, period=period.key, org_unit__name="桃花岭社区")


LIST = table("""
| 序号 | 所属社区 | 姓名 | 性别 | 年龄 | 公民身份号码 | 联系电话 | 是否接种流感疫苗 |
""")


def test_admitting_creates_a_prefilled_task_per_community(ledger, tmp_path):
    request = admit(ledger, tmp_path, LIST)
    task = Task.objects.get(request=request)
    assert task.org_unit == ledger.community_a and task.rows == 2
    report = build_report(request, ledger.community_a, parse_period(task.period))
    wang = next(r for r in report.rows if r.cells[2].value == "王秀英")
    sources = [c.source for c in wang.cells]
    assert sources == [SYSTEM, SYSTEM, LEDGER, DERIVED, DERIVED, DERIVED, LEDGER, MISSING]
    assert wang.cells[1].value == "桃花岭社区" and wang.cells[3].value == "2"
    assert task.cells_missing == 2 + 1  # two vaccine cells, 李明's phone
    assert task.status == TaskStatus.OPEN


def test_a_request_served_by_the_ledger_is_ready_at_once_or_delivered(ledger, tmp_path):
    served = table("| 序号 | 姓名 | 公民身份号码 | 性别 | 出生日期 |")
    ready = Task.objects.get(request=admit(ledger, tmp_path, served))
    assert ready.cells_missing == 0 and ready.status == TaskStatus.READY
    direct = Task.objects.get(request=admit(ledger, tmp_path, served, name="d.xlsx", direct=True))
    assert direct.status == TaskStatus.DELIVERED


def test_only_admitted_requests_reach_the_workers_list(client, ledger, tmp_path):
    path = tmp_path / "pending.xlsx"
    write_xlsx(path, [["待审核表"], *LIST])
    workflow.submit(ledger.officer, path, workflow.NewRequest(
        title="待审核表", department=ledger.department.name, basis="《通知》（1号）", frequency="monthly",
        scope_code=ledger.township_a.code, justifications={"person.id_number": "核对身份"},
        masked=["联系电话"]))
    admit(ledger, tmp_path, LIST, title="已准入表", name="ok.xlsx")
    client.login(username="worker_a", password=PASSWORD)
    home = client.get("/").content.decode()
    assert "已准入表" in home and "待审核表" not in home and "还需填 3 格" in home
    client.login(username="worker_b", password=PASSWORD)  # township B: out of the scope
    assert "已准入表" not in client.get("/").content.decode()


def test_what_a_worker_types_goes_into_the_ledger_and_next_period_is_prefilled(client, ledger, tmp_path):
    request = admit(ledger, tmp_path, LIST)
    task = Task.objects.get(request=request)
    report = tasks.report_for(task)
    keys = [r.key for r in report.rows]
    client.login(username="worker_a", password=PASSWORD)
    page = client.get(f"/reports/tasks/{task.pk}/").content.decode()
    assert "是否接种流感疫苗" in page and "王秀英" in page and "11010519491231002X" not in page
    form = {f"cell|{k}|H": "是" for k in keys}
    li = next(r.key for r in report.rows if r.cells[2].value == "李明")
    form[f"cell|{li}|G"] = "13700001111"
    client.post(f"/reports/tasks/{task.pk}/complete/", form)
    task.refresh_from_db()
    assert task.cells_missing == 0 and task.cells_typed == 3 and task.status == TaskStatus.READY
    vaccine = request.columns[7]["element"]
    facts = Fact.objects.filter(element=vaccine)
    assert facts.count() == 2 and {f.source for f in facts} == {Source.COMPLETION}
    # The next period asks nothing again.
    next_period = tasks.create_tasks(request, parse_period("2027-01"))[0]
    assert next_period.cells_missing == 0
    client.post(f"/reports/tasks/{task.pk}/submit/")
    task.refresh_from_db()
    assert task.status == TaskStatus.SUBMITTED


def test_a_bad_value_is_refused_beside_its_cell_and_the_rest_is_stored(client, ledger, tmp_path):
    request = admit(ledger, tmp_path, LIST)
    task = Task.objects.get(request=request)
    li = next(r.key for r in tasks.report_for(task).rows if r.cells[2].value == "李明")
    client.login(username="worker_a", password=PASSWORD)
    response = client.post(f"/reports/tasks/{task.pk}/complete/",
                           {f"cell|{li}|G": "12345", f"cell|{li}|H": "是"}, follow=True)
    assert "李明 的联系电话：手机号码“12345”" in response.content.decode()
    assert not Fact.objects.filter(element="person.phone", value="12345").exists()
    assert Fact.objects.filter(element=request.columns[7]["element"]).count() == 1


def test_submitting_with_gaps_is_refused(ledger, tmp_path):
    task = Task.objects.get(request=admit(ledger, tmp_path, LIST))
    with pytest.raises(tasks.TaskError, match="未填"):
        tasks.submit(ledger.worker_a, task)


def test_another_communitys_worker_cannot_complete_or_see_the_task(client, ledger, tmp_path):
    task = Task.objects.get(request=admit(ledger, tmp_path, LIST))
    client.login(username="worker_b", password=PASSWORD)
    assert client.get(f"/reports/tasks/{task.pk}/").status_code == 403
    assert client.post(f"/reports/tasks/{task.pk}/complete/", {}).status_code == 403


def test_an_aggregate_table_counts_from_the_ledger_per_grid(ledger, tmp_path):
    rows = table("| 网格 | 总人口 | 60岁以上老人数 | 本月走访次数 |")
    request = admit(ledger, tmp_path, rows, name="agg.xlsx", title="人口统计表",
                    scope=ledger.community_a)
    assert request.layout == "aggregate"
    assert request.columns[2]["indicator"]["filter"][0]["element"] == "person.age"
    report = build_report(request, ledger.community_a, NOV)
    grid = report.rows[0]
    assert [c.value for c in grid.cells][:3] == ["第一网格", "2", "1"]
    assert grid.cells[3].source == MISSING


def test_the_period_end_decides_age_and_membership(ledger, tmp_path):
    request = admit(ledger, tmp_path, LIST)
    nov = build_report(request, ledger.community_a, NOV)
    dec = build_report(request, ledger.community_a, DEC)
    age = {r.cells[2].value: r.cells[4].value for r in nov.rows}
    age_dec = {r.cells[2].value: r.cells[4].value for r in dec.rows}
    assert age["王秀英"] == "76" and age_dec["王秀英"] == "77"


def test_a_period_activity_is_asked_again_each_period_and_a_state_is_not(ledger, tmp_path):
    rows = table("| 序号 | 姓名 | 公民身份号码 | 是否接种流感疫苗 | 本月探访次数 |")
    request = admit(ledger, tmp_path, rows, name="visits.xlsx", title="老年人关爱情况表")
    november = task_for(request, NOV)
    keys = [r.key for r in tasks.report_for(november).rows]
    tasks.complete(ledger.worker_a, november, {**{(k, "D"): "是" for k in keys},
                                               **{(k, "E"): "2" for k in keys}})
    december = task_for(request, DEC)
    report = tasks.report_for(december)
    assert [c.source for c in report.rows[0].cells][3:] == [LEDGER, MISSING]
    assert december.cells_missing == len(keys)  # only the visits, again


def test_typing_in_one_task_updates_the_counts_of_the_communitys_other_tasks(ledger, tmp_path):
    first = Task.objects.get(request=admit(ledger, tmp_path, LIST, name="one.xlsx", title="甲表"))
    second = Task.objects.get(request=admit(ledger, tmp_path, LIST, name="two.xlsx", title="乙表"))
    li = next(r.key for r in tasks.report_for(first).rows if r.cells[2].value == "李明")
    assert second.cells_missing == 3
    tasks.complete(ledger.worker_a, first, {(li, "G"): "13700001111"})
    second.refresh_from_db()
    assert second.cells_missing == 2  # 李明's phone now comes from the ledger


def test_every_new_column_of_a_visit_record_form_is_asked_each_period(ledger, tmp_path):
    rows = table("| 序号 | 姓名 | 公民身份号码 | 方式 | 参与人员 |")
    request = admit(ledger, tmp_path, rows, name="log.xlsx", title="空巢老人走访记录")
    november = task_for(request, NOV)
    keys = [r.key for r in tasks.report_for(november).rows]
    tasks.complete(ledger.worker_a, november, {**{(k, "D"): "入户" for k in keys},
                                               **{(k, "E"): "王丽" for k in keys}})
    assert task_for(request, DEC).cells_missing == 2 * len(keys)


def test_the_same_activity_value_as_last_period_is_still_stored_for_this_period(ledger, tmp_path):
    rows = table("| 序号 | 姓名 | 公民身份号码 | 本月探访次数 |")
    request = admit(ledger, tmp_path, rows, name="same.xlsx", title="老年人关爱情况表")
    november, december = task_for(request, NOV), task_for(request, DEC)
    keys = [r.key for r in tasks.report_for(november).rows]
    tasks.complete(ledger.worker_a, november, {(k, "D"): "2" for k in keys})
    tasks.complete(ledger.worker_a, december, {(k, "D"): "2" for k in keys})  # same count again
    december.refresh_from_db()
    assert december.cells_missing == 0


# --- Saving cells: only the task's own rows, never over a newer value ------------------

def county_task(world, tmp_path, who):
    """A task of a county-wide request for `who`'s community (an administrator asks)."""
    asker = SimpleNamespace(officer=world.admin, reviewer=world.reviewer,
                            department=world.department)
    request = admit(asker, tmp_path, LIST, scope=world.county, name="county.xlsx")
    return Task.objects.get(request=request, org_unit=who.org_unit)


def page_versions(page: str) -> dict[str, str]:
    return dict(re.findall(r'name="(ver\|[^"]+)" value="(\d+)"', page))


def test_a_row_about_another_communitys_resident_is_refused_and_nothing_moves(client, ledger, tmp_path):
    """Worker B's own task, a cell of community A's resident by guessing the id: refused."""
    wang = Person.objects.get(id_number="11010519491231002X")
    facts = list(Fact.objects.filter(subject_id=wang.pk).values_list("element", "value"))
    task = county_task(ledger, tmp_path, ledger.worker_b)
    client.login(username="worker_b", password=PASSWORD)
    response = client.post(f"/reports/tasks/{task.pk}/complete/", {
        f"cell|p:{wang.pk}|G": "13700001111", f"cell|p:{wang.pk}|H": "是", "ver|p:1": "1"})
    page = response.content.decode()
    assert response.status_code == 400
    assert f"行“p:{wang.pk}”" in page and "不在“东塘村”居住" in page and "均未保存" in page
    assert "王秀英" not in page and "已保存" not in page
    wang.refresh_from_db()
    assert (wang.name, wang.org_unit, wang.version) == ("王秀英", ledger.grid_a, 1)
    assert list(Residence.objects.filter(person=wang).values_list("org_unit", flat=True)) == [ledger.grid_a.pk]
    assert list(Fact.objects.filter(subject_id=wang.pk).values_list("element", "value")) == facts
    task.refresh_from_db()
    assert task.cells_typed == 0
    assert AuditEntry.objects.filter(action=Action.DENIED, subject_kind="task", subject_id=str(task.pk),
                                     actor=ledger.worker_b).exists()


def test_an_aggregate_row_of_another_unit_is_refused(ledger, tmp_path):
    rows = table("| 网格 | 总人口 | 60岁以上老人数 | 本月走访次数 |")
    request = admit(ledger, tmp_path, rows, name="agg.xlsx", title="走访统计表", scope=ledger.community_a)
    task = Task.objects.get(request=request)
    result = tasks.complete(ledger.worker_a, task, {(f"o:{ledger.grid_a.code}", "D"): "3",
                                                    (f"o:{ledger.community_b.code}", "D"): "9"})
    assert task.request.layout == "aggregate" and not result.saved
    assert result.problems[0] == f"行“o:{ledger.community_b.code}”：不是“桃花岭社区”或其下属网格，不能在本任务中填写。"
    assert not TaskValue.objects.exists()  # the good row is not kept either: all or nothing


@pytest.mark.parametrize("key", ["cell|p:abc|G", "cell|p:99999999999999999999999|G", "cell|h:7|G",
                                 "cell|q:1|G"])
def test_a_row_that_is_no_row_of_the_task_is_refused_naming_it(client, ledger, tmp_path, key):
    task = Task.objects.get(request=admit(ledger, tmp_path, LIST))
    client.login(username="worker_a", password=PASSWORD)
    response = client.post(f"/reports/tasks/{task.pk}/complete/", {key: "是"})
    assert response.status_code == 400 and key.split("|")[1] in response.content.decode()


@pytest.mark.parametrize("form", [{"cell|x": "1"}, {"cell||": "1"}, {"ver|p:1": "abc"}])
def test_a_malformed_field_is_a_400_not_a_500(client, ledger, tmp_path, form):
    task = Task.objects.get(request=admit(ledger, tmp_path, LIST))
    client.login(username="worker_a", password=PASSWORD)
    assert client.post(f"/reports/tasks/{task.pk}/complete/", form).status_code == 400


def test_a_save_over_a_newer_value_is_a_conflict_showing_both_and_keeping_the_typing(
        client, ledger, tmp_path):
    request = admit(ledger, tmp_path, LIST)
    task = Task.objects.get(request=request)
    li = next(r.key for r in tasks.report_for(task).rows if r.cells[2].value == "李明")
    client.login(username="worker_a", password=PASSWORD)
    opened = page_versions(client.get(f"/reports/tasks/{task.pk}/").content.decode())
    assert opened[f"ver|{li}"] == "1"
    # A colleague saves 李明's vaccination first, from a page opened at the same time.
    assert tasks.complete(ledger.worker_a, task, {(li, "H"): "否"}, {li: 1}).saved
    response = client.post(f"/reports/tasks/{task.pk}/complete/",
                           {f"cell|{li}|H": "是", f"cell|{li}|G": "13700001111", **opened})
    page = response.content.decode()
    assert response.status_code == 409 and "其他人已保存了 1 个单元格" in page
    assert "他人已保存：<strong>否</strong>；您填写的：<strong>是</strong>" in page
    assert '<option value="是" selected>是</option>' in page and 'value="13700001111"' in page  # the typing is still there
    vaccine = request.columns[7]["element"]
    assert list(Fact.objects.filter(element=vaccine).values_list("value", flat=True)) == ["否"]
    assert not Fact.objects.filter(element="person.phone", value="13700001111").exists()
    conflict = EditConflict.objects.get()
    assert conflict.attempted_values == {vaccine: "是", "person.phone": "13700001111"}
    # Saving again from the conflict page (it carries the version now) keeps the worker's value.
    again = page_versions(page)
    assert again[f"ver|{li}"] == "2"
    client.post(f"/reports/tasks/{task.pk}/complete/", {f"cell|{li}|H": "是", **again})
    assert next(r for r in tasks.report_for(task).rows if r.key == li).cells[7].value == "是"


def test_typing_the_stored_value_again_or_an_empty_cell_is_no_conflict(ledger, tmp_path):
    task = Task.objects.get(request=admit(ledger, tmp_path, LIST))
    li = next(r.key for r in tasks.report_for(task).rows if r.cells[2].value == "李明")
    first = tasks.complete(ledger.worker_a, task, {(li, "H"): "是"}, {li: 1})
    twice = tasks.complete(ledger.worker_a, task, {(li, "H"): "是"}, {li: 1})  # a double click
    other = tasks.complete(ledger.worker_a, task, {(li, "G"): "13700001111"}, {li: 1})  # still empty
    assert (first.typed, twice.saved, twice.typed, other.saved, other.typed) == (1, True, 0, True, 1)
    task.refresh_from_db()
    assert task.cells_typed == 2


def test_an_aggregate_cell_carries_its_own_version(ledger, tmp_path):
    rows = table("| 网格 | 总人口 | 60岁以上老人数 | 本月走访次数 |")
    task = Task.objects.get(request=admit(ledger, tmp_path, rows, name="agg.xlsx", title="走访统计表",
                                          scope=ledger.community_a))
    cell = (f"o:{ledger.grid_a.code}", "D")
    assert tasks.complete(ledger.worker_a, task, {cell: "3"}, {}).saved
    stale = tasks.complete(ledger.worker_a, task, {cell: "5"}, {})  # opened before the "3"
    assert [(c.stored, c.typed, c.version) for c in stale.conflicts] == [("3", "5", 1)]
    assert tasks.complete(ledger.worker_a, task, {cell: "5"}, {tasks.version_key(*cell): 1}).saved
    value = TaskValue.objects.get()
    assert (value.value, value.version) == ("5", 2)
    task.refresh_from_db()
    assert task.cells_typed == 2


def test_a_nul_typed_into_a_cell_is_dropped_not_a_database_error(ledger, tmp_path):
    rows = table("| 网格 | 总人口 | 60岁以上老人数 | 本月走访次数 |")
    task = Task.objects.get(request=admit(ledger, tmp_path, rows, name="agg.xlsx", title="走访统计表",
                                          scope=ledger.community_a))
    assert tasks.complete(ledger.worker_a, task, {(f"o:{ledger.grid_a.code}", "D"): "3\x00"}).saved
    assert TaskValue.objects.get().value == "3"


def test_a_submitted_task_refuses_a_save(client, ledger, tmp_path):
    served = table("| 序号 | 姓名 | 公民身份号码 | 联系电话 |")
    task = Task.objects.get(request=admit(ledger, tmp_path, served, name="s.xlsx"))
    li = next(r.key for r in tasks.report_for(task).rows if r.cells[1].value == "李明")
    tasks.complete(ledger.worker_a, task, {(li, "D"): "13700001111"})
    tasks.submit(ledger.worker_a, task)
    client.login(username="worker_a", password=PASSWORD)
    response = client.post(f"/reports/tasks/{task.pk}/complete/", {f"cell|{li}|D": "13900002222"},
                           follow=True)
    assert "任务已报送，不能再修改" in response.content.decode()
    task.refresh_from_db()
    assert task.status == TaskStatus.SUBMITTED and task.submitted_by == ledger.worker_a
    assert not Fact.objects.filter(value="13900002222").exists()
