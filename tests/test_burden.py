"""The burden ledger: exact figures for a small hand-built scenario, the same on every path."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from yibiao.burden.ledger import figures
from yibiao.gate.tables import workflow
from yibiao.ledger.records import PersonInput, write_people
from yibiao.reports import tasks
from yibiao.reports.models import Task
from yibiao.reports.periods import parse_period

from .conftest import PASSWORD
from .sheetfactory import table, write_xlsx

pytestmark = pytest.mark.django_db
VACCINE = table("| 序号 | 姓名 | 公民身份号码 | 是否接种流感疫苗 |")


@pytest.fixture
def scenario(world, tmp_path, settings):
    """Two residents; request 1 (new column) admitted, request 2 the same template: a
    duplicate, rejected; the worker types the 2 missing cells."""
    settings.YIBIAO_SECONDS_PER_CELL = 6
    settings.YIBIAO_SECONDS_PER_FORM = 300
    write_people(world.worker_a, world.community_a, [
        PersonInput({"person.id_number": "11010519491231002X", "person.name": "王秀英"}),
        PersonInput({"person.id_number": "430104199001010019", "person.name": "李明"}),
    ], valid_from=dt.date(2026, 1, 1))
    paths = []
    for name in ("a.xlsx", "b.xlsx"):
        paths.append(tmp_path / name)
        write_xlsx(paths[-1], [["疫苗接种"], *VACCINE])
    new = workflow.NewRequest(title="疫苗接种", department=world.department.name,
                              basis="《通知》（岳卫〔2026〕5号）", frequency="monthly",
                              scope_code=world.community_a.code,
                              justifications={"person.id_number": "核对身份"})
    first = workflow.decide(world.reviewer, workflow.submit(world.officer, paths[0], new), "admit")
    duplicate = workflow.submit(world.officer, paths[1], new)
    workflow.decide(world.reviewer, duplicate, "reject", "与第一张重复")
    task = Task.objects.get(request=first)
    keys = [r.key for r in tasks.report_for(task).rows]
    tasks.complete(world.worker_a, task, {(k, "D"): "是" for k in keys})
    return world, task


def test_the_figures_are_exact(scenario):
    world, task = scenario
    period = parse_period(task.period)
    result = figures(world.reviewer, world.community_a, period, period)
    t, g = result.total, result.gate
    assert (g.received, g.admitted, g.rejected, g.duplicates_stopped) == (2, 1, 1, 1)
    assert (t.tasks, t.cells_asked, t.cells_typed, t.cells_empty) == (1, 8, 2, 0)
    assert t.cells_auto == 6  # 序号 ×2 system, 姓名 ×2 ledger, 证号 ×2 derived
    assert t.share_auto == 0.75
    assert t.hours_spent == round((2 * 6 + 300) / 3600, 2)
    assert t.hours_by_hand == round((8 * 6 + 300) / 3600, 2)
    assert g.stopped_cells_per_year == 8 * 12  # the duplicate by hand, monthly
    assert result.by_department[0].label == world.department.name


def test_the_command_line_agrees_with_the_dashboard(client, scenario, capsys):
    world, task = scenario
    from yibiao.cli import main

    code = main(["burden", "--org", world.community_a.code, "--from", task.period,
                 "--to", task.period, "--json", "--user", "reviewer"])
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    client.login(username="reviewer", password=PASSWORD)
    page = client.get("/burden/", {"org": world.community_a.code, "from": task.period,
                                   "to": task.period}).content.decode()
    assert f'id="kpi-typed">{printed["total"]["cells_typed"]}<' in page
    assert f'id="kpi-asked">{printed["total"]["cells_asked"]}<' in page
    assert f'id="kpi-duplicates">{printed["gate"]["duplicates_stopped"]}<' in page
    xlsx = client.get("/burden/download.xlsx", {"org": world.community_a.code, "from": task.period,
                                                "to": task.period})
    assert xlsx.status_code == 200 and xlsx["Content-Disposition"].endswith('.xlsx"')
    csv = client.get("/burden/download.csv", {"org": world.community_a.code, "from": task.period,
                                              "to": task.period}).content.decode("utf-8-sig")
    assert "测算依据：每格 6 秒" in csv


def test_a_worker_cannot_see_another_communitys_ledger(client, scenario):
    world, task = scenario
    client.login(username="worker_b", password=PASSWORD)
    assert client.get("/burden/", {"org": world.community_a.code}).status_code == 403


def test_every_cell_is_counted_exactly_once(scenario):
    _, task = scenario
    task.refresh_from_db()
    assert task.cells_asked == (task.cells_system + task.cells_derived + task.cells_from_ledger
                                + task.cells_typed + task.cells_missing)
