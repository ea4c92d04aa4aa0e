"""Export into the department's own template: layout kept above the data, values from the
ledger as of the period, merged for a township, opened by LibreOffice."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.datavalidation import DataValidation

from yibiao.audit.models import Action, AuditEntry
from yibiao.gate.tables import workflow
from yibiao.ledger.records import PersonInput, write_people
from yibiao.orgunits.divisions import add_unit
from yibiao.orgunits.models import Level
from yibiao.reports.export import export_report
from yibiao.reports.periods import parse_period

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db
THIN = Side(style="thin")


def department_template(path: Path) -> Path:
    """Title, 填报单位 line, two merged header rows, a styled sample row, 合计, a note, a dropdown."""
    book = Workbook()
    ws = book.active
    ws.title = "花名册"
    ws["A1"] = "辖区居民花名册"
    ws.merge_cells("A1:F1")
    ws["A1"].font = Font(bold=True, size=16)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws["A2"] = "填报单位："
    ws["D2"] = "填报日期："
    ws["A3"], ws["B3"], ws["E3"] = "序号", "基本情况", "联系方式"
    ws.merge_cells("B3:D3")
    ws.merge_cells("E3:F3")
    ws.merge_cells("A3:A4")
    for col, text in zip("BCDEF", ["姓名", "公民身份号码", "年龄", "联系电话", "是否独居"], strict=True):
        ws[f"{col}4"] = text
    for row in (3, 4):
        for col in "ABCDEF":
            ws[f"{col}{row}"].font = Font(bold=True)
            ws[f"{col}{row}"].fill = PatternFill("solid", fgColor="DDEBF7")
            ws[f"{col}{row}"].border = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
    for col in "ABCDEF":
        ws[f"{col}5"].border = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
    ws["A6"] = "合计"
    ws["D6"] = "=COUNTA(B5:B5)"
    ws["A7"] = "注：年龄按报告期末计算。"
    dropdown = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
    ws.add_data_validation(dropdown)
    dropdown.add("F5:F5")
    ws.column_dimensions["C"].width = 22
    ws.freeze_panes = "A5"
    book.save(path)
    return path


@pytest.fixture
def admitted(world, tmp_path):
    second = add_unit(world.township_a.code + "002", "白鹤社区", Level.COMMUNITY, world.township_a)
    worker_second = type(world.worker_a).objects.create(username="w2", role="worker", org_unit=second)
    write_people(world.worker_a, world.community_a, [
        PersonInput({"person.id_number": "11010519491231002X", "person.name": "王秀英",
                     "person.phone": "13812345678", "person.lives_alone": "是"}),
        PersonInput({"person.id_number": "430104199001010019", "person.name": "李明",
                     "person.lives_alone": "否"}),
    ], valid_from=dt.date(2026, 1, 1))
    write_people(worker_second, second, [
        PersonInput({"person.id_number": "430104198507150030", "person.name": "张伟",
                     "person.lives_alone": "否"})], valid_from=dt.date(2026, 1, 1))
    template = department_template(tmp_path / "花名册.xlsx")
    request = workflow.submit(world.officer, template, workflow.NewRequest(
        title="辖区居民花名册", department=world.department.name, basis="《通知》（岳卫〔2026〕7号）",
        frequency="monthly", scope_code=world.township_a.code,
        justifications={"person.id_number": "核对身份"}, masked=["联系电话"]))
    workflow.decide(world.reviewer, request, "admit")
    request.refresh_from_db()
    return world, request, template, second


def test_the_header_block_is_kept_cell_by_cell_and_values_come_from_the_ledger(admitted, tmp_path):
    world, request, template, _ = admitted
    result = export_report(world.officer, request, world.community_a, parse_period("2026-11"),
                           tmp_path / "out.xlsx")
    assert (result.rows, result.missing) == (2, 1)  # 李明 has no phone in the ledger
    before, after = load_workbook(template).active, load_workbook(result.path).active
    for row in (1, 3, 4):
        for col in "ABCDEF":
            a, b = before[f"{col}{row}"], after[f"{col}{row}"]
            assert (a.value, a.font.b, a.fill.fgColor.rgb, a.border.left.style) == \
                   (b.value, b.font.b, b.fill.fgColor.rgb, b.border.left.style), f"{col}{row}"
    assert {str(r) for r in before.merged_cells.ranges} <= {str(r) for r in after.merged_cells.ranges}
    assert after.column_dimensions["C"].width == 22 and after.freeze_panes == "A5"
    assert "桃花岭社区" in after["A2"].value
    rows = {after[f"B{r}"].value: r for r in (5, 6)}
    wang = rows["王秀英"]
    assert after[f"C{wang}"].value == "11010519491231002X" and after[f"C{wang}"].data_type == "s"
    assert after[f"D{wang}"].value == 76
    assert after[f"E{wang}"].value == "138****5678"  # not justified at admission
    assert after[f"F{wang}"].value == "是"
    assert after["A7"].value == "合计" and after["D7"].value == "=COUNTA(B5:B6)"
    assert after["A8"].value.startswith("注")
    assert any("F5:F6" in str(v.sqref) for v in after.data_validations.dataValidation)
    assert AuditEntry.objects.filter(action=Action.EXPORT, subject_id=str(request.pk)).exists()


def test_a_township_gets_every_communitys_rows_in_one_file(admitted, tmp_path):
    world, request, _, second = admitted
    result = export_report(world.reviewer, request, world.township_a, parse_period("2026-11"),
                           tmp_path / "township.xlsx")
    sheet = load_workbook(result.path).active
    names = [sheet[f"B{r}"].value for r in range(5, 8)]
    assert sorted(names) == ["张伟", "李明", "王秀英"] and sheet["D8"].value == "=COUNTA(B5:B7)"


def test_a_worker_cannot_export_another_communitys_report(admitted, tmp_path):
    world, request, _, second = admitted
    from yibiao.accounts.scope import OutOfScope

    with pytest.raises(OutOfScope):
        export_report(world.worker_a, request, second, parse_period("2026-11"), tmp_path / "x.xlsx")


def test_libreoffice_opens_the_export_and_the_values_survive(admitted, tmp_path):
    world, request, _, _ = admitted
    result = export_report(world.officer, request, world.township_a, parse_period("2026-11"),
                           tmp_path / "lo.xlsx")
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice is a requirement of the suite: make system-deps"
    outdir = tmp_path / "csv"
    subprocess.run([soffice, f"-env:UserInstallation=file:///tmp/lo-{uuid.uuid4().hex}", "--headless",
                    "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true",
                    "--outdir", str(outdir), str(result.path)], check=True, timeout=180,
                   capture_output=True)
    rows = list(csv.reader((outdir / "lo.csv").open(encoding="utf-8")))
    flat = [cell for row in rows for cell in row]
    assert "11010519491231002X" in flat  # an ID stays text, not 1.1E+17
    totals = next(row for row in rows if row and row[0] == "合计")
    assert totals[3] == "3"  # LibreOffice computed the COUNTA over the data


def test_the_download_page_serves_the_filled_template(client, admitted):
    world, request, _, _ = admitted
    client.login(username="officer", password=PASSWORD)
    response = client.get(f"/reports/requests/{request.pk}/download/",
                          {"org": world.township_a.code, "period": "2026-11"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    bad = client.get(f"/reports/requests/{request.pk}/download/",
                     {"org": world.township_a.code, "period": "十一月"})
    assert bad.status_code == 400 and "报告期" in bad.content.decode()


def test_a_big_export_runs_as_a_background_job_with_progress(client, admitted, settings):
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    from yibiao.reports.models import ExportJob

    world, request, _, _ = admitted
    settings.YIBIAO_BACKGROUND_EXPORT_ROWS = 1  # three residents count as big here
    client.login(username="officer", password=PASSWORD)
    response = client.get(f"/reports/requests/{request.pk}/download/",
                          {"org": world.township_a.code, "period": "2026-11"})
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/reports/jobs/{job.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "排队中" in page and 'hx-trigger="every 2s"' in page
    # The worker's own task runner, on the queued row (the db_worker loop would close the
    # test's transaction-bound connection between tasks).
    worker = Worker(queue_names=["*"], interval=1, batch=True, backend_name="default",
                    startup_delay=False, max_tasks=None, worker_id="test",
                    excluded_queue_names=[])
    queued = DBTaskResult.objects.get()
    assert queued.args_kwargs["args"] == [job.pk]
    worker.run_task(queued)
    job.refresh_from_db()
    assert (job.status, job.progress, job.rows) == ("done", 100, 3)
    done = client.get(f"/reports/jobs/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "下载（3 行）" in done and "every 2s" not in done
    file = client.get(f"/reports/jobs/{job.pk}/file/")
    assert file.status_code == 200
    client.login(username="reviewer", password=PASSWORD)  # someone else's job
    assert client.get(f"/reports/jobs/{job.pk}/file/").status_code == 403


# --- which writer fills the template --------------------------------------------------------

@pytest.fixture
def writers(monkeypatch):
    """Records which writer each export used, and what it was given, calling it through."""
    from yibiao.sheets import filling

    calls: list[tuple[str, object]] = []

    def spy(name, real):
        def call(*args, **kwargs):
            calls.append((name, kwargs["rows"]))
            return real(*args, **kwargs)
        monkeypatch.setattr(filling, name, call)

    spy("fill_template", filling.fill_template)
    spy("fill_template_streaming", filling.fill_template_streaming)
    return calls


def cell_facts(cell) -> tuple:
    """What a department sees of one cell: value, type, number format, font, fill, border, alignment."""
    return (cell.value, cell.data_type, cell.number_format,
            *(repr(part) for part in (cell.font, cell.fill, cell.border, cell.alignment)))


def as_csv(tmp_path: Path, *books: Path) -> dict[str, list[list[str]]]:
    """The first sheet of each book as LibreOffice shows it, converted in one soffice run."""
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice is a requirement of the suite: make system-deps"
    outdir = tmp_path / "csv"
    subprocess.run([soffice, f"-env:UserInstallation=file:///tmp/lo-{uuid.uuid4().hex}", "--headless",
                    "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true",
                    "--outdir", str(outdir), *map(str, books)], check=True, timeout=180, capture_output=True)
    return {book.stem: list(csv.reader((outdir / f"{book.stem}.csv").open(encoding="utf-8"))) for book in books}


def test_a_list_export_is_streamed_and_comes_back_as_the_in_place_writer_wrote_it(
        admitted, tmp_path, writers, monkeypatch):
    from collections.abc import Iterator

    from yibiao.sheets import filling

    world, request, _, _ = admitted
    period = parse_period("2026-11")
    streamed = export_report(world.officer, request, world.township_a, period, tmp_path / "streamed.xlsx")
    monkeypatch.setattr(filling, "STREAMED_LAYOUTS", frozenset())  # the writer every export used before
    in_place = export_report(world.officer, request, world.township_a, period, tmp_path / "in_place.xlsx")
    assert [name for name, _ in writers] == ["fill_template_streaming", "fill_template"]
    assert isinstance(writers[0][1], Iterator)  # rows consumed one at a time, never listed twice

    assert (streamed.rows, streamed.cells, streamed.auto_filled, streamed.missing, streamed.notes) == \
           (in_place.rows, in_place.cells, in_place.auto_filled, in_place.missing, in_place.notes) == \
           (3, in_place.cells, in_place.auto_filled, 2,  # 李明 and 张伟 have no phone
            ["“联系电话”列按准入决定遮蔽（号码只显示前后几位）"])  # and the department chose it masked
    audits = AuditEntry.objects.filter(action=Action.EXPORT, subject_id=str(request.pk)).order_by("id")
    assert [a.detail for a in audits] == [
        {"period": "2026-11", "rows": 3, "unmasked": ["person.id_number"], "file": name,
         "masked": ["person.phone"]} for name in ("streamed.xlsx", "in_place.xlsx")]

    got, before = load_workbook(streamed.path).active, load_workbook(in_place.path).active
    assert got.max_row == before.max_row == 9 and got.max_column == before.max_column
    for row in got.iter_rows(min_row=1, max_row=9, max_col=6):
        for cell in row:
            assert cell_facts(cell) == cell_facts(before[cell.coordinate]), cell.coordinate
    assert {str(m) for m in got.merged_cells.ranges} == {str(m) for m in before.merged_cells.ranges}
    assert [str(v.sqref) for v in got.data_validations.dataValidation] == ["F5:F7"]
    assert got.freeze_panes == "A5" and got.column_dimensions["C"].width == 22
    # The values themselves, not only their agreement: the ledger's, masked as admitted.
    people = {got[f"B{r}"].value: r for r in (5, 6, 7)}
    assert sorted(people) == ["张伟", "李明", "王秀英"]
    wang = people["王秀英"]
    assert got[f"C{wang}"].value == "11010519491231002X" and got[f"C{wang}"].data_type == "s"  # justified
    assert got[f"E{wang}"].value == "138****5678"  # the phone was not: masked
    assert (got[f"D{wang}"].value, got[f"F{wang}"].value, got[f"F{people['李明']}"].value) == (76, "是", "否")
    assert [got[f"A{r}"].value for r in (5, 6, 7)] == [1, 2, 3]
    assert got[f"C{wang}"].border.left.style == "thin"  # the sample row's ruling on every row
    assert (got["A8"].value, got["D8"].value) == ("合计", "=COUNTA(B5:B7)")
    assert got["A2"].value == f"填报单位：{world.township_a.name}"

    sheets = as_csv(tmp_path, streamed.path, in_place.path)
    assert sheets["streamed"] == sheets["in_place"]
    lines = sheets["streamed"]
    by_name = {line[1]: line for line in lines[4:7]}
    assert by_name["王秀英"][2:6] == ["11010519491231002X", "76", "138****5678", "是"]  # never 1.1E+17
    assert lines[7][0] == "合计" and lines[7][3] == "3"  # LibreOffice computed the COUNTA


CARD = """
| 居民基本信息登记表 |      |          |      |
| 姓名               |      | 性别     |      |
| 出生日期           |      | 民族     |      |
| 身份证号           |      |          |      |
| 联系电话           |      |          |      |
| 填表人：           |      | 日期：   |      |
"""


def test_a_card_request_is_exported_through_the_in_place_writer_one_sheet_per_person(
        world, tmp_path, writers):
    from tests.sheetfactory import table, write_xlsx

    write_people(world.worker_a, world.community_a, [
        PersonInput({"person.id_number": "11010519491231002X", "person.name": "王秀英",
                     "person.phone": "13812345678"}),
        PersonInput({"person.id_number": "430104199001010019", "person.name": "李明"}),
    ], valid_from=dt.date(2026, 1, 1))
    template = write_xlsx(tmp_path / "登记表.xlsx", table(CARD), merges=["A1:D1", "B4:D4", "B5:D5"])
    request = workflow.submit(world.officer, template, workflow.NewRequest(
        title="居民基本信息登记表", department=world.department.name, basis="《通知》（岳卫〔2026〕8号）",
        frequency="once", scope_code=world.community_a.code,
        justifications={"person.id_number": "核对身份", "person.ethnicity": "民族政策落实"}, masked=["person.phone"]))
    workflow.decide(world.reviewer, request, "admit")
    request.refresh_from_db()
    assert request.layout == "card"

    result = export_report(world.officer, request, world.community_a, parse_period("2026-11"),
                           tmp_path / "cards.xlsx")
    assert [name for name, _ in writers] == ["fill_template"]
    assert isinstance(writers[0][1], list)
    assert result.rows == 2
    book = load_workbook(result.path)
    assert len(book.sheetnames) == 2
    cards = {ws["B2"].value: ws for ws in book.worksheets}
    wang, li = cards["王秀英"], cards["李明"]
    assert (wang["D2"].value, li["D2"].value) == ("女性", "男性")  # derived from the ID number
    assert wang["B3"].value == dt.datetime(1949, 12, 31) and wang["B3"].is_date
    assert wang["B4"].value == "11010519491231002X" and wang["B4"].data_type == "s"  # justified
    assert wang["B5"].value == "138****5678"  # not justified: masked
    assert li["B5"].value is None
    assert {"A1:D1", "B4:D4", "B5:D5"} <= {str(m) for m in wang.merged_cells.ranges}
    entry = AuditEntry.objects.get(action=Action.EXPORT, subject_id=str(request.pk))
    assert entry.detail["rows"] == 2 and entry.detail["file"] == "cards.xlsx"
