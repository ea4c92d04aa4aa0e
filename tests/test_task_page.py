"""The task page a worker fills: rows named as people name them, values checked by type
beside their cell, counts that add up, the right promise after a save, a visibly disabled
submit button with its reason."""

from __future__ import annotations

import pytest

from yibiao.reports import tasks
from yibiao.reports.models import Task, TaskValue

from .conftest import PASSWORD
from .sheetfactory import table
from .test_tasks import NOV, admit, task_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(world):  # noqa: ANN001, ANN201
    """test_tasks' two residents of 桃花岭社区's first grid."""
    import datetime as dt

    from yibiao.ledger.records import PersonInput, write_people

    write_people(world.worker_a, world.grid_a, [
        PersonInput({"person.id_number": "11010519491231002X", "person.name": "王秀英"}),
        PersonInput({"person.id_number": "430104199001010019", "person.name": "李明"})],
        valid_from=dt.date(2026, 1, 1))
    return world
GRIDS = table("| 网格 | 总人口 | 60岁以上老人数 | 本月走访次数 |")
VISITS = table("| 序号 | 姓名 | 公民身份号码 | 本月探访次数 |")
STATE = table("| 序号 | 姓名 | 公民身份号码 | 是否接种流感疫苗 |")


def grid_task(world, tmp_path) -> Task:  # noqa: ANN001
    return Task.objects.get(request=admit(world, tmp_path, GRIDS, name="agg.xlsx",
                                          title="走访统计表", scope=world.community_a))


def test_an_aggregate_row_is_named_by_its_unit_and_community(client, ledger, tmp_path):
    task = grid_task(ledger, tmp_path)
    client.login(username="worker_a", password=PASSWORD)
    page = client.get(f"/reports/tasks/{task.pk}/").content.decode()
    assert f'<th scope="row" class="label">{ledger.community_a.name}{ledger.grid_a.name}<' in page
    assert f'<th scope="row" class="label">{ledger.grid_a.code}<' not in page


def test_a_count_typed_in_words_is_refused_beside_its_cell(client, ledger, tmp_path):
    task = grid_task(ledger, tmp_path)
    cell = f"cell|o:{ledger.grid_a.code}|D"
    client.login(username="worker_a", password=PASSWORD)
    response = client.post(f"/reports/tasks/{task.pk}/complete/", {cell: "两次"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'value="两次"' in page and 'aria-invalid="true"' in page  # the typing is kept
    label = f"{ledger.community_a.name}{ledger.grid_a.name} 的本月走访次数：“两次”不是数字"
    assert label in page and "本次填写的内容均未保存" in page
    assert not TaskValue.objects.exists()
    assert client.post(f"/reports/tasks/{task.pk}/complete/", {cell: "3"}).status_code == 302
    assert TaskValue.objects.get().value == "3"


def test_a_count_column_a_department_introduced_is_a_number_for_people_too(ledger, tmp_path):
    request = admit(ledger, tmp_path, VISITS, name="v.xlsx", title="老年人关爱情况表")
    task = task_for(request, NOV)
    key = tasks.report_for(task).rows[0].key
    refused = tasks.complete(ledger.worker_a, task, {(key, "D"): "两次"})
    assert not refused.saved and (key, "D") in refused.cell_errors
    assert tasks.complete(ledger.worker_a, task, {(key, "D"): "2"}).saved


def test_the_save_message_promises_not_to_ask_again_only_for_lasting_values(client, ledger, tmp_path):
    visits = task_for(admit(ledger, tmp_path, VISITS, name="v.xlsx", title="老年人关爱情况表"), NOV)
    client.login(username="worker_a", password=PASSWORD)
    key = tasks.report_for(visits).rows[0].key
    page = client.post(f"/reports/tasks/{visits.pk}/complete/", {f"cell|{key}|D": "2"},
                       follow=True).content.decode()
    assert "下一期仍需填写" in page and "不再重复询问" not in page

    state = Task.objects.get(request=admit(ledger, tmp_path, STATE, name="s.xlsx", title="接种表"))
    key = tasks.report_for(state).rows[0].key
    page = client.post(f"/reports/tasks/{state.pk}/complete/", {f"cell|{key}|D": "是"},
                       follow=True).content.decode()
    assert "以后的报表不再重复询问" in page


def test_the_count_line_adds_up_with_the_cells_typed(client, ledger, tmp_path):
    task = grid_task(ledger, tmp_path)
    tasks.complete(ledger.worker_a, task, {(f"o:{ledger.grid_a.code}", "D"): "3"})
    task.refresh_from_db()
    client.login(username="worker_a", password=PASSWORD)
    page = client.get(f"/reports/tasks/{task.pk}/").content.decode()
    auto = task.cells_from_ledger + task.cells_derived + task.cells_system
    assert f"系统已填 {auto} 个，您已填写 1 个，还需填写" in page
    assert auto + 1 + task.cells_missing == task.cells_asked


def test_a_disabled_submit_button_looks_disabled_and_says_why(client, ledger, tmp_path):
    from django.contrib.staticfiles import finders

    task = grid_task(ledger, tmp_path)
    client.login(username="worker_a", password=PASSWORD)
    page = client.get(f"/reports/tasks/{task.pk}/").content.decode()
    assert 'disabled aria-describedby="submit-why"' in page
    assert f"还有 {task.cells_missing} 个单元格未填写" in page
    css = open(finders.find("yibiao/app.css"), encoding="utf-8").read()
    assert "button.primary:disabled" in css and "cursor:not-allowed" in css
