"""Personal data by decision, not by accident (issue 14, item 5).

At submission the department decides, per sensitive column (ID number, phone, health,
ethnicity …), the full value with a reason or masked; a submission missing a decision is
refused naming the columns (workflow, CLI, web form); the analysis, the detail page and the
catalogue (page and xlsx) show the decisions; the export, the data API (JSON and CSV)
write exactly that and mark each masked column in the file: a note (批注) on its header.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import uuid
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment

from yibiao.accounts import tokens
from yibiao.audit.models import Action, AuditEntry
from yibiao.gate.catalogue import export_catalogue
from yibiao.gate.models import FormRequest
from yibiao.gate.tables import workflow
from yibiao.ledger.records import PersonInput, write_people
from yibiao.reports.export import export_report
from yibiao.reports.periods import parse_period
from yibiao.sheets import fill_template, fill_template_streaming, read_workbook
from yibiao.sheets.header_notes import annotate

from .conftest import PASSWORD
from .sheetfactory import table, write_xlsx

WANG_ID, WANG_PHONE = "11010519491231002X", "13812345678"
HEADER = "| 序号 | 姓名 | 公民身份号码 | 联系电话 | 民族 | 年龄 |"
BASIS = "《关于做好居民健康管理工作的通知》（岳卫发〔2026〕3号）"


def template(tmp_path: Path, name: str = "居民表.xlsx") -> Path:
    path = tmp_path / name
    write_xlsx(path, [["居民健康管理表"], *table(HEADER)])
    return path


def new(world, **decided) -> workflow.NewRequest:  # noqa: ANN001
    return workflow.NewRequest(title="居民健康管理表", department=world.department.name, basis=BASIS,
                               frequency="monthly", scope_code=world.township_a.code, **decided)


@pytest.fixture
def ledger(world):
    write_people(world.worker_a, world.community_a, [
        PersonInput({"person.id_number": WANG_ID, "person.name": "王秀英", "person.phone": WANG_PHONE,
                     "person.ethnicity": "01"}),
        PersonInput({"person.id_number": "430104199001010019", "person.name": "李明",
                     "person.phone": "13912345678"}),
    ], valid_from=dt.date(2026, 1, 1))
    return world


@pytest.fixture
def admitted(ledger, tmp_path):
    """ID justified, phone and ethnicity masked; admitted."""
    request = workflow.submit(ledger.officer, template(tmp_path), new(
        ledger, justifications={"person.id_number": "核实老人身份，避免重复统计"},
        masked=["联系电话", "E"]))  # by header and by column letter
    return workflow.decide(ledger.reviewer, request, "admit")


# --- submission: every sensitive column decided, or refused naming it ---------------------

@pytest.mark.django_db
def test_a_submission_without_decisions_is_refused_naming_every_sensitive_column(ledger, tmp_path):
    with pytest.raises(workflow.GateRefused) as refused:
        workflow.submit(ledger.officer, template(tmp_path), new(ledger))
    message = str(refused.value)
    for named in ("第 C 列“公民身份号码”", "第 D 列“联系电话”", "第 E 列“民族”"):
        assert named in message
    assert "第 F 列" not in message and "姓名" not in message  # age and name need no decision
    assert [d.element for d in refused.value.decisions] == ["person.id_number", "person.phone", "person.ethnicity"]
    assert not FormRequest.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("justify", "mask", "problem"), [
    ({"person.id_number": "核对"}, ["D", "E"], "至少 4 个字"),  # a reason that says nothing
    ({"C": "核实老人身份", "D": "电话随访老人"}, ["D", "E"], "既说明了理由又选择遮蔽"),
    ({"C": "核实老人身份"}, ["D", "E", "微信号"], "模板中没有“微信号”这一列"),
    ({"C": "核实老人身份"}, ["D"], "第 E 列“民族”"),
])
def test_each_bad_decision_is_refused_with_the_column_named(ledger, tmp_path, justify, mask, problem):
    with pytest.raises(workflow.GateRefused) as refused:
        workflow.submit(ledger.officer, template(tmp_path), new(ledger, justifications=justify, masked=mask))
    assert problem in str(refused.value)


@pytest.mark.django_db
def test_decisions_are_stored_and_shown_in_the_analysis(admitted):
    assert admitted.justifications == {"person.id_number": "核实老人身份，避免重复统计"}
    assert admitted.masked_elements == ["person.phone", "person.ethnicity"]
    columns = {c["column"]: c for c in admitted.analysis["columns"]}
    assert (columns["C"]["decision"], columns["C"]["reason"]) == ("full", "核实老人身份，避免重复统计")
    assert (columns["D"]["decision"], columns["D"]["masked_how"]) == ("masked", "partly")
    assert (columns["E"]["decision"], columns["E"]["masked_how"]) == ("masked", "withheld")
    assert columns["F"]["decision"] == "" and not columns["F"]["sensitive"]
    assert admitted.analysis["undecided_sensitive"] == []


@pytest.mark.django_db
def test_the_cli_refuses_without_decisions_and_takes_justify_and_mask(ledger, tmp_path, capsys):
    from yibiao.cli import main

    args = ["request", "create", "--template", str(template(tmp_path)), "--department", ledger.department.name,
            "--title", "居民健康管理表", "--basis", BASIS, "--frequency", "monthly",
            "--scope", ledger.township_a.code, "--user", ledger.officer.username]
    assert main([*args, "--justify", "person.id_number=核实老人身份"]) != 0
    err = capsys.readouterr().err
    assert "第 D 列“联系电话”" in err and "person.phone" not in err and "第 E 列“民族”" in err and "公民身份号码" not in err
    assert main([*args, "--justify", "公民身份号码=核实老人身份", "--mask", "联系电话", "--mask", "person.ethnicity",
                 "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["masked"] == ["person.phone", "person.ethnicity"]
    assert shown["justifications"] == {"person.id_number": "核实老人身份"}
    assert main(["request", "analyse", str(shown["id"]), "--user", ledger.officer.username]) == 0
    out = capsys.readouterr().out
    assert "公民身份号码" in out and "完整提供（理由：核实老人身份）" in out and "遮蔽提供" in out


@pytest.mark.django_db
def test_the_web_form_asks_per_column_with_the_two_choices(client, ledger, tmp_path):
    client.login(username=ledger.officer.username, password=PASSWORD)
    form = {"title": "居民健康管理表", "department": ledger.department.name, "basis": BASIS,
            "frequency": "monthly", "scope": ledger.township_a.code}
    with open(template(tmp_path), "rb") as handle:
        page = client.post("/gate/new/table/", {**form, "template": handle}).content.decode()
    assert "第 D 列“联系电话”" in page and "第 E 列“民族”" in page and "第 C 列“公民身份号码”" in page
    for code in ("person.id_number", "person.phone", "person.ethnicity"):
        assert f'name="decision:{code}" value="full"' in page and f'name="decision:{code}" value="masked"' in page
    assert not FormRequest.objects.exists()
    with open(template(tmp_path), "rb") as handle:
        response = client.post("/gate/new/table/", {
            **form, "template": handle, "decision:person.id_number": "full",
            "justify:person.id_number": "核实老人身份", "decision:person.phone": "masked",
            "justify:person.phone": "", "decision:person.ethnicity": "masked"})
    assert response.status_code == 302
    request = FormRequest.objects.get()
    assert request.masked_elements == ["person.phone", "person.ethnicity"]
    assert request.justifications == {"person.id_number": "核实老人身份"}


# --- the reviewer sees them, may return; the department changes them ----------------------

@pytest.mark.django_db
def test_the_reviewer_sees_the_decisions_returns_and_the_department_changes_them(client, ledger, tmp_path):
    request = workflow.submit(ledger.officer, template(tmp_path), new(
        ledger, justifications={"C": "核实老人身份"}, masked=["D", "E"]))
    client.login(username=ledger.reviewer.username, password=PASSWORD)
    page = client.get(f"/gate/{request.pk}/").content.decode()
    assert 'id="personal-decisions"' in page and "核实老人身份" in page
    assert "遮蔽提供（只显示前后几位）" in page and "遮蔽提供（不提供，留空）" in page
    assert 'id="decisions-form"' not in page  # the department decides, not the reviewer
    client.post(f"/gate/{request.pk}/decide/", {"action": "return", "reason": "民族一项请说明是否确需"})
    request.refresh_from_db()
    assert request.status == "returned"
    client.login(username=ledger.officer.username, password=PASSWORD)
    assert 'id="decisions-form"' in client.get(f"/gate/{request.pk}/").content.decode()
    client.post(f"/gate/{request.pk}/decisions/", {
        "decision:person.id_number": "full", "justify:person.id_number": "核实老人身份",
        "decision:person.phone": "full", "justify:person.phone": "电话预约上门随访",
        "decision:person.ethnicity": "masked", "reason": "按审核意见"})
    request.refresh_from_db()
    assert request.justifications == {"person.id_number": "核实老人身份", "person.phone": "电话预约上门随访"}
    assert request.masked_elements == ["person.ethnicity"]
    assert AuditEntry.objects.filter(action=Action.CHANGE, subject_id=str(request.pk),
                                     detail__field="personal_decisions").exists()
    workflow.decide(ledger.officer, request, "resubmit")
    assert workflow.decide(ledger.reviewer, request, "admit").status == "admitted"
    # Admitted: decisions are what was admitted.
    with pytest.raises(workflow.GateRefused):
        workflow.set_decisions(ledger.officer, request, {"C": "核实老人身份"}, ["D", "E"])


# --- what leaves: the export, the data API ----------------------------------------------

def header_notes(path: Path) -> dict[str, str]:
    sheet = load_workbook(path).active
    return {cell.coordinate: cell.comment.text for row in sheet.iter_rows() for cell in row if cell.comment}


@pytest.fixture
def exported(ledger, admitted, tmp_path):
    result = export_report(ledger.officer, admitted, ledger.community_a, parse_period("2026-11"),
                           tmp_path / "out.xlsx")
    return ledger, admitted, result


@pytest.mark.django_db
def test_the_export_has_masked_phones_full_ids_and_a_note_on_each_masked_header(exported):
    world, request, result = exported
    sheet = load_workbook(result.path).active
    rows = {sheet[f"B{r}"].value: r for r in range(3, sheet.max_row + 1) if sheet[f"B{r}"].value}
    wang = rows["王秀英"]
    assert sheet[f"C{wang}"].value == WANG_ID  # justified: the full value
    assert sheet[f"D{wang}"].value == "138****5678"  # masked: the number's ends
    assert sheet[f"E{wang}"].value is None  # ethnicity masked: withheld, not half-shown
    assert sheet[f"F{wang}"].value == 76
    assert sheet[f"D{rows['李明']}"].value == "139****5678"
    notes = header_notes(result.path)
    assert notes == {"D2": "“联系电话”列按准入决定遮蔽（号码只显示前后几位）",
                     "E2": "“民族”列按准入决定遮蔽（不提供，留空）"}
    assert notes["D2"] in result.notes and notes["E2"] in result.notes
    entry = AuditEntry.objects.filter(action=Action.EXPORT, subject_id=str(request.pk)).latest("pk")
    assert entry.detail["masked"] == ["person.phone", "person.ethnicity"]
    assert entry.detail["unmasked"] == ["person.id_number"]


@pytest.mark.django_db
def test_the_data_api_json_and_csv_give_the_same_values_and_say_which_columns_are_masked(client, exported):
    world, request, _ = exported
    key = tokens.issue(world.admin, world.officer, "卫健随访系统")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    url = f"/api/v1/data/requests/{request.pk}/rows"
    body = client.get(url, {"org": world.community_a.code, "period": "2026-11"}, **auth).json()
    wang = next(r for r in body["rows"] if r[1] == "王秀英")
    assert wang[2:6] == [WANG_ID, "138****5678", None, 76]
    assert [c["decision"] for c in body["columns"]] == [None, None, "full", "masked", "masked", None]
    assert "“联系电话”列按准入决定遮蔽（号码只显示前后几位）" in body["notes"]
    text = client.get(url + ".csv", {"org": world.community_a.code, "period": "2026-11"},
                      **auth).content.decode("utf-8-sig")
    header, *lines = text.splitlines()
    assert header == "序号,姓名,公民身份号码,联系电话（按准入决定遮蔽）,民族（按准入决定遮蔽）,年龄"
    assert any(f"王秀英,{WANG_ID},138****5678,,76" in line for line in lines)
    assert WANG_PHONE not in text


@pytest.mark.django_db
def test_a_request_from_before_decisions_leaves_its_undecided_columns_masked_and_says_so(admitted, ledger, tmp_path):
    FormRequest.objects.filter(pk=admitted.pk).update(masked_elements=[])  # as stored before
    admitted.refresh_from_db()
    result = export_report(ledger.officer, admitted, ledger.community_a, parse_period("2026-11"),
                           tmp_path / "old.xlsx")
    sheet = load_workbook(result.path).active
    assert sheet["D3"].value.count("*") == 4 or sheet["D4"].value.count("*") == 4
    assert set(header_notes(result.path)) == {"D2", "E2"}


# --- the catalogue -------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_catalogue_page_and_xlsx_show_the_decisions(client, ledger, admitted, tmp_path):
    expected = "公民身份号码：完整提供（理由：核实老人身份，避免重复统计）；联系电话：遮蔽提供；民族：遮蔽提供（不提供）"
    client.login(username=ledger.worker_a.username, password=PASSWORD)
    page = client.get("/gate/catalogue/").content.decode()
    assert "敏感个人信息的提供方式" in page and expected in page
    out = tmp_path / "catalogue.xlsx"
    assert export_catalogue(ledger.worker_a, out) == 1
    sheet = load_workbook(out).active
    header = [c.value for c in sheet[2]]
    column = header.index("敏感个人信息的提供方式")
    assert sheet.cell(row=3, column=column + 1).value == expected


# --- the note on the header, whichever writer fills the template --------------------------

def _template_with_own_note(path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = "名单"
    sheet.append(["居民名单"])
    sheet.merge_cells("A1:C1")
    sheet.append(["序号", "联系方式", None])
    sheet.merge_cells("B2:C2")
    sheet.append([None, "联系电话", "身份证号"])
    sheet.merge_cells("A2:A3")
    sheet.append([None, None, None])
    sheet["C3"].comment = Comment("填18位身份证号", "部门")
    book.save(path)
    return path


@pytest.mark.parametrize("writer", ["streaming", "in_place"])
def test_a_note_reaches_the_filled_file_and_the_templates_own_notes_stay(tmp_path, writer):
    source = _template_with_own_note(tmp_path / "名单.xlsx")
    marked = annotate(source, tmp_path / "marked.xlsx", "名单",
                      {(3, 2): "“联系电话”列按准入决定遮蔽", (3, 3): "另一条", (3, 1): "序号说明"})
    layout = read_workbook(marked).sheet("名单")
    rows = [[1, "138****5678", "430104********0019"], [2, "139****5678", None]]
    fill = fill_template_streaming if writer == "streaming" else fill_template
    result = fill(marked, tmp_path / "filled.xlsx", sheet="名单", layout=layout, rows=rows)
    notes = header_notes(result.path)
    assert notes["B3"] == "“联系电话”列按准入决定遮蔽"
    assert notes["C3"] == "填18位身份证号\n另一条"  # the template's own note first
    assert notes["A2"] == "序号说明"  # A3 is inside A2:A3: the note goes on the range's first cell
    sheet = load_workbook(result.path).active
    assert [sheet["B4"].value, sheet["B5"].value] == ["138****5678", "139****5678"]
    with zipfile.ZipFile(result.path) as package:
        assert package.testzip() is None
        types = package.read("[Content_Types].xml").decode()
        assert 'Extension="vml"' in types
    if writer == "streaming":  # LibreOffice reads the notes and keeps them when it saves
        soffice = shutil.which("soffice")
        assert soffice, "LibreOffice is a requirement of the suite: make system-deps"
        subprocess.run([soffice, f"-env:UserInstallation=file:///tmp/lo-{uuid.uuid4().hex}", "--headless",
                        "--convert-to", "xlsx", "--outdir", str(tmp_path / "lo"), str(result.path)],
                       check=True, timeout=180, capture_output=True)
        assert header_notes(tmp_path / "lo" / "filled.xlsx")["B3"] == "“联系电话”列按准入决定遮蔽"
