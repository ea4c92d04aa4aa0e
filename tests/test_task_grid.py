"""The task page as a grid to fill: a bad cell is kept and named while the save's good cells
are stored, optional columns (备注) neither block 确认报送 nor count as work, a row saves on
its own, the preview shows the table the department receives, submitted tasks list their
files, and none of it reaches another community's task."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from yibiao.ledger.models import Fact, Person
from yibiao.ledger.records import PersonInput, write_people
from yibiao.reports import prefill, tasks
from yibiao.reports.models import Task, TaskStatus

from .conftest import PASSWORD
from .sheetfactory import table, write_xlsx

pytestmark = pytest.mark.django_db

LIU, ZHAO = "430104195003040010", "11010519491231002X"
SHEET = table("| 序号 | 姓名 | 公民身份号码 | 联系电话 | 是否独居 | 民族 | 最近一次接种日期 | 新冠疫苗接种剂次 | 备注 |")
# Columns: A 序号, B 姓名, C 公民身份号码, D 联系电话, E 是否独居, F 民族, G 日期, H 剂次, I 备注


@pytest.fixture
def ledger(world):  # noqa: ANN001, ANN201
    """Two residents of 桃花岭社区's first grid, neither with a phone."""
    write_people(world.worker_a, world.grid_a, [
        PersonInput({"person.id_number": LIU, "person.name": "刘兵彬"}),
        PersonInput({"person.id_number": ZHAO, "person.name": "赵秀兰"})], valid_from=dt.date(2026, 1, 1))
    return world


def admit(world, tmp_path, rows, *, name="grid.xlsx", scope=None, title="老年人关爱表"):  # noqa: ANN001, ANN201
    """test_tasks.admit, with the sensitive columns of SHEET decided: each justified, the
    phone masked."""
    from yibiao.gate.tables import workflow

    path = tmp_path / name
    write_xlsx(path, [[title], *rows])
    reason = "老年人关爱服务需要"
    request = workflow.submit(world.officer, path, workflow.NewRequest(
        title=title, department=world.department.name, basis="《通知》（岳卫发〔2026〕1号）",
        frequency="monthly", scope_code=(scope or world.township_a).code, masked=["联系电话"],
        justifications={e: reason for e in ("person.id_number", "person.ethnicity",
                                            "person.last_vaccination_date", "person.vaccine_doses")}))
    return workflow.decide(world.reviewer, request, "admit")


def sheet_task(world, tmp_path, rows=SHEET, name="grid.xlsx") -> Task:  # noqa: ANN001
    request = admit(world, tmp_path, rows, name=name, title="老年人关爱表")
    return Task.objects.get(request=request, org_unit=world.community_a)


def key_of(id_number: str) -> str:
    return f"p:{Person.objects.get(id_number=id_number).pk}"


def every_cell(liu: str, zhao: str, **changes: str) -> dict[str, str]:
    """A whole grid typed: both rows, every required cell, 备注 left empty."""
    form = {}
    for key, phone in ((liu, "13812345678"), (zhao, "13987654321")):
        form.update({f"cell|{key}|D": phone, f"cell|{key}|E": "是", f"cell|{key}|F": "汉族",
                     f"cell|{key}|G": "2026.10", f"cell|{key}|H": "3", f"cell|{key}|I": ""})
    form.update(changes)
    return form


def test_a_bad_cell_is_kept_and_named_while_the_good_cells_are_stored(client, ledger, tmp_path):
    task = sheet_task(ledger, tmp_path)
    liu, zhao = key_of(LIU), key_of(ZHAO)
    client.login(username="worker_a", password=PASSWORD)
    response = client.post(f"/reports/tasks/{task.pk}/complete/",
                           every_cell(liu, zhao, **{f"cell|{liu}|D": "12345"}))
    assert response.status_code == 400
    page = response.content.decode()
    # The refused cell: its typing kept, the reason beside it naming whose phone it is.
    assert 'value="12345"' in page and 'aria-invalid="true"' in page
    error = re.search(r'<p class="error cell-error" role="alert" id="error-row-p-\d+-D">([^<]+)</p>', page)
    assert error and error.group(1) == "刘兵彬 的联系电话：手机号码“12345”有 5 位：应为 11 位"
    assert "其余填写已保存" in page
    # Every other cell of the same save is in the ledger.
    stored = {(f.subject_id, f.element): f.value for f in Fact.objects.filter(source="completion")}
    liu_pk, zhao_pk = int(liu[2:]), int(zhao[2:])
    assert stored[(zhao_pk, "person.phone")] == "13987654321"
    assert stored[(liu_pk, "person.lives_alone")] == "1" and stored[(liu_pk, "person.ethnicity")] == "01"
    assert stored[(liu_pk, "person.last_vaccination_date")] == "2026-10"
    assert (liu_pk, "person.phone") not in stored
    task.refresh_from_db()
    assert task.cells_missing == 1 and task.status == TaskStatus.OPEN
    # Fixed and saved again: nothing left to type.
    client.post(f"/reports/tasks/{task.pk}/complete/", {f"cell|{liu}|D": "13700001111",
                                                        **versions(client, task)})
    task.refresh_from_db()
    assert task.cells_missing == 0 and task.status == TaskStatus.READY


def versions(client, task: Task) -> dict[str, str]:  # noqa: ANN001
    page = client.get(f"/reports/tasks/{task.pk}/").content.decode()
    return dict(re.findall(r'name="(ver\|[^"]+)" value="(\d+)"', page))


def test_every_bad_cell_of_a_save_is_shown_at_once(ledger, tmp_path):
    task = sheet_task(ledger, tmp_path)
    liu, zhao = key_of(LIU), key_of(ZHAO)
    result = tasks.complete(ledger.worker_a, task, {(liu, "D"): "12345", (zhao, "G"): "1950-13",
                                                    (zhao, "H"): "两针", (zhao, "E"): "否"})
    assert set(result.cell_errors) == {(liu, "D"), (zhao, "G"), (zhao, "H")}
    assert result.cell_errors[(zhao, "H")].startswith("赵秀兰 的新冠疫苗接种剂次：")
    assert not result.saved and result.stored == {(zhao, "E")} and result.typed == 1


def test_optional_columns_left_empty_block_nothing_and_are_not_counted(client, ledger, tmp_path):
    task = sheet_task(ledger, tmp_path)
    report = tasks.report_for(task)
    remarks = [row.cells[8].source for row in report.rows]
    assert remarks == [prefill.OPTIONAL, prefill.OPTIONAL]
    # 2 rows x 9 columns, the two empty 备注 cells not asked; 4 typed columns + phone per row missing.
    assert (task.cells_asked, task.cells_missing) == (16, 10)
    client.login(username="worker_a", password=PASSWORD)
    page = client.get(f"/reports/tasks/{task.pk}/").content.decode()
    assert "备注<span class=\"muted\">（选填）</span>" in page and "选填列（备注）可以不填" in page
    client.post(f"/reports/tasks/{task.pk}/complete/", every_cell(key_of(LIU), key_of(ZHAO)))
    task.refresh_from_db()
    assert (task.cells_missing, task.cells_typed, task.status) == (0, 10, TaskStatus.READY)
    assert task.cells_asked == task.cells_from_ledger + task.cells_derived + task.cells_system + 10
    assert client.post(f"/reports/tasks/{task.pk}/submit/").status_code == 302
    task.refresh_from_db()
    assert task.status == TaskStatus.SUBMITTED


def test_a_typed_remark_is_work_counted_like_any_cell(ledger, tmp_path):
    task = sheet_task(ledger, tmp_path)
    asked = task.cells_asked
    tasks.complete(ledger.worker_a, task, {(key_of(LIU), "I"): "行动不便，需上门"})
    task.refresh_from_db()
    assert (task.cells_asked, task.cells_typed) == (asked + 1, 1)


@pytest.mark.parametrize("header", ["备注", "其他说明", "工作单位（选填）", "联系电话（如有）"])
def test_what_makes_a_column_optional(header):
    assert prefill.is_optional({"header": header, "element": None})


@pytest.mark.parametrize("column", [{"header": "联系电话", "element": "person.phone"},
                                    {"header": "说明书编号", "element": None}])
def test_a_column_is_required_unless_marked(column):
    assert not prefill.is_optional(column)


def test_a_column_the_request_marks_optional(ledger, tmp_path):
    task = sheet_task(ledger, tmp_path)
    task.request.columns[7]["optional"] = True  # 新冠疫苗接种剂次
    task.request.save(update_fields=["columns"])
    report = tasks.report_for(task)
    tasks.account(task, report)
    assert task.cells_missing == 8 and all(r.cells[7].source == prefill.OPTIONAL for r in report.rows)


def test_inputs_are_typed_by_their_element(client, ledger, tmp_path):
    task = sheet_task(ledger, tmp_path)
    client.login(username="worker_a", password=PASSWORD)
    page = client.get(f"/reports/tasks/{task.pk}/").content.decode()
    liu = key_of(LIU).replace(":", "-")
    yes_no = re.search(rf'<select[^>]*id="c-row-{liu}-E"[^>]*>(.*?)</select>', page, re.S)
    assert yes_no and re.findall(r"<option[^>]*>([^<]*)</option>", yes_no.group(1)) == ["", "是", "否"]
    ethnic = re.search(rf'<select[^>]*id="c-row-{liu}-F"[^>]*>(.*?)</select>', page, re.S)
    assert ethnic and '<option value="汉族">汉族</option>' in ethnic.group(1) and ethnic.group(1).count("<option") == 57
    date = re.search(rf'<input[^>]*id="c-row-{liu}-G"[^>]*>', page, re.S).group(0)
    assert 'class="date"' in date and 'inputmode="decimal"' in date and 'type="text"' in date
    assert 'inputmode="numeric"' in re.search(rf'<input[^>]*id="c-row-{liu}-H"[^>]*>', page, re.S).group(0)
    assert 'type="tel"' in re.search(rf'<input[^>]*id="c-row-{liu}-D"[^>]*>', page, re.S).group(0)
    # The ledger's values beside them, read-only and masked as everywhere.
    assert '<td data-label="姓名" class="ro">\n  刘兵彬' in page or re.search(r'class="ro"[^>]*>\s*刘兵彬', page)
    assert LIU not in page and "430104********0010" in page


def test_a_row_saved_on_its_own_comes_back_saved_with_the_counts(client, ledger, tmp_path):
    task = sheet_task(ledger, tmp_path)
    liu = key_of(LIU)
    client.login(username="worker_a", password=PASSWORD)
    row = {k: v for k, v in every_cell(liu, key_of(ZHAO)).items() if f"|{liu}|" in k}
    response = client.post(f"/reports/tasks/{task.pk}/rows/", {**row, f"ver|{liu}": "1"},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('class="grid-row saved"') == 1 and "已保存" in body
    assert 'id="task-counts" hx-swap-oob="true"' in body and 'id="submit-area" hx-swap-oob="true"' in body
    assert 'value="13812345678"' in body  # the cells just saved stay open to correct
    task.refresh_from_db()
    assert task.cells_missing == 5 and task.cells_typed == 5


def test_a_row_with_a_bad_cell_comes_back_with_the_reason_beside_it(client, ledger, tmp_path):
    task = sheet_task(ledger, tmp_path)
    liu = key_of(LIU)
    client.login(username="worker_a", password=PASSWORD)
    response = client.post(f"/reports/tasks/{task.pk}/rows/", {
        f"cell|{liu}|D": "12345", f"cell|{liu}|E": "否", f"ver|{liu}": "1"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and 'class="grid-row error"' in body
    assert "刘兵彬 的联系电话：手机号码“12345”有 5 位" in body and 'value="12345"' in body
    assert Fact.objects.filter(element="person.lives_alone", value="0", source="completion").count() == 1


def test_the_preview_is_the_table_the_department_receives(client, ledger, tmp_path):
    task = sheet_task(ledger, tmp_path)
    tasks.complete(ledger.worker_a, task, {(key_of(LIU), "D"): "13812345678", (key_of(LIU), "E"): "是"})
    client.login(username="worker_a", password=PASSWORD)
    page = client.get(f"/reports/tasks/{task.pk}/preview/").content.decode()
    preview = re.search(r'<table class="sheet" id="preview"[^>]*>(.*?)</table>', page, re.S).group(1)
    assert [h for h in re.findall(r'<th scope="col">([^<]*)</th>', preview)][:4] == ["序号", "姓名", "公民身份号码", "联系电话"]
    assert "刘兵彬" in preview and "138****5678" in preview and "13812345678" not in page
    assert LIU not in page  # justified for the department, masked on the screen
    assert 'class="missing"' in preview  # 赵秀兰's cells still to type
    assert f"/reports/requests/{task.request.pk}/download/?org={task.org_code}&period={task.period}" in page


def test_submitted_tasks_are_listed_with_their_files(client, ledger, tmp_path):
    task = sheet_task(ledger, tmp_path)
    tasks.complete(ledger.worker_a, task, {(k, c): v for k in (key_of(LIU), key_of(ZHAO))
                                           for c, v in (("D", "13812345678"), ("E", "否"), ("F", "汉族"),
                                                        ("G", "2026-10-01"), ("H", "2"))})
    tasks.submit(ledger.worker_a, task)
    client.login(username="worker_a", password=PASSWORD)
    page = client.get("/reports/tasks/submitted/").content.decode()
    assert "老年人关爱表" in page and f"/reports/tasks/{task.pk}/" in page
    assert f"/reports/requests/{task.request.pk}/download/?org={task.org_code}" in page
    client.login(username="worker_b", password=PASSWORD)  # 东塘村: another township's community
    assert "老年人关爱表" not in client.get("/reports/tasks/submitted/").content.decode()


@pytest.mark.parametrize("path", ["rows/", "preview/", "complete/"])
def test_another_communitys_task_is_out_of_reach(client, ledger, tmp_path, path):
    task = sheet_task(ledger, tmp_path)
    liu = key_of(LIU)
    facts = Fact.objects.count()
    client.login(username="worker_b", password=PASSWORD)
    url = f"/reports/tasks/{task.pk}/{path}"
    response = (client.get(url) if path == "preview/" else
                client.post(url, {f"cell|{liu}|D": "13812345678", f"ver|{liu}": "1"}, HTTP_HX_REQUEST="true"))
    assert response.status_code in (403, 404)
    assert "刘兵彬" not in response.content.decode()
    assert Fact.objects.count() == facts
    task.refresh_from_db()
    assert task.cells_typed == 0


def test_a_row_of_another_community_in_a_row_save_refuses_it_all(client, ledger, tmp_path):
    """Worker B's own task (a county-wide request), with 刘兵彬's row guessed: nothing stored,
    no name told."""
    from types import SimpleNamespace

    asker = SimpleNamespace(officer=ledger.admin, reviewer=ledger.reviewer, department=ledger.department)
    request = admit(asker, tmp_path, SHEET, scope=ledger.county, name="county.xlsx")
    task_b = Task.objects.get(request=request, org_unit=ledger.community_b)
    liu = key_of(LIU)
    client.login(username="worker_b", password=PASSWORD)
    response = client.post(f"/reports/tasks/{task_b.pk}/rows/", {f"cell|{liu}|D": "12345",
                                                                 f"cell|{liu}|E": "是"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert "刘兵彬" not in response.content.decode() and liu in response.content.decode()
    assert not Fact.objects.filter(source="completion").exists()


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "刘兵彬's 联系电话: mobile number “12345” has 5 digits"), ("zh-hant", "刘兵彬 的聯繫電話：手機號碼“12345”")])
def test_a_refused_cell_speaks_the_pages_language(client, ledger, tmp_path, language, expected):
    task = sheet_task(ledger, tmp_path)
    liu = key_of(LIU)
    client.login(username="worker_a", password=PASSWORD)
    client.cookies["django_language"] = language
    body = client.post(f"/reports/tasks/{task.pk}/rows/", {f"cell|{liu}|D": "12345", f"ver|{liu}": "1"},
                       HTTP_HX_REQUEST="true").content.decode()
    assert expected in html.unescape(body)


@pytest.mark.parametrize(("column", "typed"), [("A", "99"), ("B", "改了名字"), ("C", "110101199003077774")],
                         ids=["序号", "姓名", "公民身份号码"])
def test_a_cell_the_grid_never_offers_refuses_the_save(client, ledger, tmp_path, column, typed):
    """A row save forged with a column the page shows read-only (found posting to a live
    server: 序号 99 was written into the resident's ledger as a fact, and 姓名 renamed them,
    the version the page sent being current). Refused whole, naming the cell, nothing stored."""
    task = sheet_task(ledger, tmp_path)
    liu = key_of(LIU)
    person = Person.objects.get(id_number=LIU)
    client.login(username="worker_a", password=PASSWORD)
    response = client.post(f"/reports/tasks/{task.pk}/rows/", {
        f"cell|{liu}|{column}": typed, f"cell|{liu}|D": "13812345678", f"ver|{liu}": str(person.version)},
        HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert f"{liu}|{column}" in response.content.decode()
    assert not Fact.objects.filter(source="completion").exists()
    person.refresh_from_db()
    assert (person.name, person.id_number) == ("刘兵彬", LIU)


def test_the_grids_own_words_come_from_the_page(client, ledger, tmp_path):
    """What task-grid.js writes in a row's status (未保存, 保存中…) and the paste notice come
    from the template, in the page's language; the script's own Chinese is only a fallback
    (it wrote 未保存 on English pages)."""
    task = sheet_task(ledger, tmp_path)
    client.login(username="worker_a", password=PASSWORD)
    page = client.get(f"/reports/tasks/{task.pk}/").content.decode()
    grid = re.search(r'<div class="grid-wrap" id="grid"[^>]*>', page).group(0)
    words = dict(re.findall(r'data-status-(\w+)="([^"]*)"', grid))
    assert words == {"dirty": "未保存", "saving": "保存中…", "failed": "未保存："}
    assert re.search(r'<p id="paste-left"[^>]* hidden\s+data-text="粘贴的内容有 %\(lines\)s 行', page)


def test_a_page_of_the_grid_saves_whole_under_djangos_field_limit(client, ledger, tmp_path, settings):
    """保存 posts every input of the page; Django refuses a post of more than
    DATA_UPLOAD_MAX_NUMBER_FIELDS fields whole (a bare 400, the typing gone): 200 rows of 5
    inputs are 1,200. The page holds as many rows as fit. Here the limit is 12: the two rows
    of 6 inputs and a version each (16 fields with the token) are two pages of one row."""
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 12
    task = sheet_task(ledger, tmp_path)
    client.login(username="worker_a", password=PASSWORD)
    page = client.get(f"/reports/tasks/{task.pk}/").content.decode()
    names = re.findall(r'form="grid-form"[^>]*name="([^"]+)"', page)
    assert len(names) == 7 and "第 1/2 页" in page
    liu, zhao = key_of(LIU), key_of(ZHAO)
    row = next(k for k in (liu, zhao) if f"ver|{k}" in names)
    typed = {k: v for k, v in every_cell(liu, zhao).items() if k.startswith(f"cell|{row}|")}
    form = {name: typed.get(name, html.unescape(re.search(
        rf'name="{re.escape(name)}" value="([^"]*)"', page).group(1)) if name.startswith("ver|") else "")
        for name in names}
    response = client.post(f"/reports/tasks/{task.pk}/complete/", {**form, "page": "1"})
    assert response.status_code == 302
    assert Fact.objects.filter(source="completion", element="person.phone").count() == 1
