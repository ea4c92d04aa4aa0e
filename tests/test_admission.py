"""Admission review (准入): analysis before judgement, the state machine, the catalogue."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from yibiao.accounts.scope import OutOfScope
from yibiao.audit.models import Action, AuditEntry
from yibiao.dictionary.models import Element
from yibiao.gate import analysis as gate_analysis
from yibiao.gate.catalogue import export_catalogue
from yibiao.gate.models import FormRequest, History, Status
from yibiao.gate.tables import workflow
from yibiao.ledger.records import PersonInput, write_people

from .sheetfactory import table, write_xlsx

pytestmark = pytest.mark.django_db

KNOWN_ONLY = table("""
| 序号 | 姓名 | 性别 | 出生日期 | 公民身份号码 | 联系电话 |
""")
WITH_NEW = table("""
| 序号 | 姓名 | 公民身份号码 | 联系电话 | 是否接种流感疫苗 | 接种医院 |
""")
SENSITIVE = table("""
| 序号 | 姓名 | 公民身份号码 | 残疾类别 |
""")


@pytest.fixture
def ledger(world):
    """Three residents of community A, each with a phone; community B has none."""
    write_people(world.worker_a, world.community_a, [
        PersonInput({"person.id_number": i, "person.name": n, "person.phone": p})
        for i, n, p in [("11010519491231002X", "王秀英", "13812345678"),
                        ("430104199001010019", "李明", "13912345678"),
                        ("430104198507150030", "张伟", "13712345678")]])
    return world


def template(tmp_path: Path, rows, name="表.xlsx") -> Path:
    path = tmp_path / name
    write_xlsx(path, [["社区居民基本情况表"], *rows])
    return path


def submit(world, path, *, title="居民基本情况", frequency="monthly", scope=None, **extra):
    return workflow.submit(world.officer, path, workflow.NewRequest(
        title=title, department="区卫生健康局", basis="《关于做好居民健康管理工作的通知》（岳卫发〔2026〕3号）",
        frequency=frequency, scope_code=(scope or world.community_a).code,
        justifications={"person.id_number": "核对身份，避免重复登记"}, masked=["person.phone"], **extra))


def test_a_table_of_known_elements_is_served_from_the_ledger(ledger, tmp_path):
    request = submit(ledger, template(tmp_path, KNOWN_ONLY))
    analysis = request.analysis
    assert analysis["burden"]["cells_per_period"] == 0
    assert analysis["verdict"] == "可完全由台账生成——无需基层填报"
    kinds = {c["header"]: c["kind"] for c in analysis["columns"]}
    assert kinds == {"序号": "system", "姓名": "held", "性别": "derived", "出生日期": "derived",
                     "公民身份号码": "derived", "联系电话": "held"}
    assert analysis["burden"]["hand_cells_per_period"] == 6 * 3


def test_new_columns_count_cells_and_worker_hours(ledger, tmp_path):
    request = submit(ledger, template(tmp_path, WITH_NEW), title="流感疫苗接种")
    burden = request.analysis["burden"]
    assert request.analysis["new_elements"] == 2
    assert burden["subjects"] == 3 and burden["communities"] == 1
    assert burden["cells_per_period"] == 2 * 3
    # 12 periods × (6 cells × 6 s + 1 form × 300 s) = 4032 s
    assert burden["hours_per_year"] == round(12 * (6 * 6 + 300) / 3600, 2)
    assert "需要 1 个社区（村）补充 2 个新数据项" in request.analysis["verdict"]


def test_the_same_template_twice_is_flagged_as_a_duplicate(ledger, tmp_path):
    first = submit(ledger, template(tmp_path, WITH_NEW))
    second = submit(ledger, template(tmp_path, WITH_NEW, "again.xlsx"), title="又一张")
    assert second.analysis["duplicate_of"] == first.pk
    assert "重复（多头重复）" in second.analysis["verdict"]
    workflow.decide(ledger.reviewer, first, "admit")
    assert gate_analysis.reanalyse(ledger.reviewer, second).verdict.startswith("与已准入的")


def test_a_partial_overlap_shows_the_shared_share(ledger, tmp_path):
    first = submit(ledger, template(tmp_path, KNOWN_ONLY))
    workflow.decide(ledger.reviewer, first, "admit")
    second = submit(ledger, template(tmp_path, WITH_NEW, "b.xlsx"), title="疫苗")
    overlap = second.analysis["overlaps"][0]
    assert overlap["request_id"] == first.pk and overlap["shared_columns"] == 3  # 姓名 证号 电话
    assert overlap["share"] == round(3 / 5, 3)  # 序号 does not count
    assert second.analysis["duplicate_of"] is None


def test_a_sensitive_element_without_justification_is_refused(ledger, tmp_path):
    with pytest.raises(workflow.GateRefused) as refused:
        workflow.submit(ledger.officer, template(tmp_path, SENSITIVE), workflow.NewRequest(
            title="残疾人", department="区卫生健康局", basis="《残疾人工作通知》（岳残〔2026〕1号）",
            frequency="quarterly", scope_code=ledger.community_a.code,
            justifications={"person.id_number": "核对身份"}, masked=["person.phone"]))
    assert "残疾类别" in str(refused.value) and "使用理由" in str(refused.value)
    assert refused.value.needs_justification == [("person.disability_category", "残疾类别")]
    assert not FormRequest.objects.exists()


def test_no_basis_or_too_frequent_is_refused_at_submission(ledger, tmp_path):
    with pytest.raises(workflow.GateRefused) as refused:
        workflow.submit(ledger.officer, template(tmp_path, KNOWN_ONLY), workflow.NewRequest(
            title="周报", department="", basis="", frequency="weekly",
            scope_code=ledger.community_a.code, justifications={"person.id_number": "核对身份"},
            masked=["person.phone"]))
    assert len(refused.value.reasons) == 2
    assert "政策依据" in refused.value.reasons[0] and "最高频次" in refused.value.reasons[1]
    weekly = submit(ledger, template(tmp_path, KNOWN_ONLY), frequency="weekly",
                    emergency="突发疫情应急处置，为期四周")
    assert weekly.frequency == "weekly"


def test_a_department_reaching_outside_its_scope_is_refused(ledger, tmp_path):
    with pytest.raises(OutOfScope):
        submit(ledger, template(tmp_path, KNOWN_ONLY), scope=ledger.community_b)
    assert not FormRequest.objects.exists()


def test_a_worker_cannot_admit_and_an_officer_cannot_review(ledger, tmp_path):
    request = submit(ledger, template(tmp_path, KNOWN_ONLY))
    for user in (ledger.worker_a, ledger.officer):
        with pytest.raises(OutOfScope):
            workflow.decide(user, request, "admit")
    assert FormRequest.objects.get().status == Status.SUBMITTED


def test_only_those_who_may_change_a_request_reanalyse_it(ledger, tmp_path, client):
    request = submit(ledger, template(tmp_path, KNOWN_ONLY))
    workflow.decide(ledger.reviewer, request, "admit", mappings_checked=True)
    FormRequest.objects.filter(pk=request.pk).update(analysis={"kept": True})
    with pytest.raises(OutOfScope):  # the worker sees the admitted request, may not rewrite it
        gate_analysis.reanalyse(ledger.worker_a, request)
    client.force_login(ledger.worker_a)
    assert client.post(f"/gate/{request.pk}/reanalyse/").status_code == 403
    assert FormRequest.objects.get().analysis == {"kept": True}
    gate_analysis.reanalyse(ledger.officer, request)
    assert "kept" not in FormRequest.objects.get().analysis


def test_the_state_machine_and_its_audit_trail(ledger, tmp_path):
    request = submit(ledger, template(tmp_path, WITH_NEW))
    with pytest.raises(workflow.GateRefused, match="理由"):
        workflow.decide(ledger.reviewer, request, "return")
    workflow.decide(ledger.reviewer, request, "return", "请删去接种医院一列")
    with pytest.raises(workflow.GateRefused, match="不能准入"):
        workflow.decide(ledger.reviewer, request, "admit")
    workflow.decide(ledger.officer, request, "resubmit")
    workflow.decide(ledger.reviewer, request, "admit")
    steps = list(History.objects.values_list("to_status", flat=True))
    assert steps == ["submitted", "returned", "submitted", "admitted"]
    assert AuditEntry.objects.filter(action=Action.REQUEST_TRANSITION).count() == 4


def test_admitting_adds_new_elements_owned_by_the_department(ledger, tmp_path):
    request = workflow.decide(ledger.reviewer, submit(ledger, template(tmp_path, WITH_NEW)), "admit")
    added = Element.objects.filter(core=False).order_by("code")
    assert [e.name_zh for e in added] == ["是否接种流感疫苗", "接种医院"]
    assert all(e.owner == ledger.department for e in added)
    assert set(request.elements) >= {e.code for e in added}
    # The next department asking the same wording reuses the element, nothing new.
    again = submit(ledger, template(tmp_path, WITH_NEW, "c.xlsx"), title="另一部门同样的表")
    codes = {c["header"]: c["element"] for c in again.columns}
    assert codes["接种医院"] == added.get(name_zh="接种医院").code


def test_direct_delivery_only_when_nothing_is_typed(ledger, tmp_path):
    needs_work = submit(ledger, template(tmp_path, WITH_NEW))
    with pytest.raises(workflow.GateRefused, match="不能直接交付"):
        workflow.decide(ledger.reviewer, needs_work, "admit", direct_delivery=True)
    served = submit(ledger, template(tmp_path, KNOWN_ONLY, "k.xlsx"))
    assert workflow.decide(ledger.reviewer, served, "admit", direct_delivery=True).direct_delivery


def test_the_catalogue_lists_admitted_requests_only_and_exports(ledger, tmp_path):
    admitted = workflow.decide(ledger.reviewer, submit(ledger, template(tmp_path, KNOWN_ONLY)), "admit")
    submit(ledger, template(tmp_path, WITH_NEW, "p.xlsx"), title="还在审核")
    out = tmp_path / "catalogue.xlsx"
    assert export_catalogue(ledger.worker_a, out) == 1
    sheet = load_workbook(out).active
    assert sheet["B3"].value == "报表" and sheet["C3"].value == admitted.title
    assert sheet["D3"].value == "区卫生健康局" and "公民身份号码" in sheet["I3"].value
    assert export_catalogue(ledger.worker_b, tmp_path / "b.xlsx") == 0  # not their community


def test_a_reviewer_tightens_the_rules_and_the_next_submission_follows_them(client, ledger, tmp_path):
    from .conftest import PASSWORD

    client.login(username="reviewer", password=PASSWORD)
    response = client.post("/gate/rules/", {
        "max_frequency": "quarterly", "require_basis": "1", "sensitive_needs_justification": "1",
        "element_max_frequency": "person.phone=yearly"})
    assert response.status_code == 302
    with pytest.raises(workflow.GateRefused) as refused:
        submit(ledger, template(tmp_path, KNOWN_ONLY))  # monthly now exceeds quarterly
    assert "最高频次" in refused.value.reasons[0]
    by_element = [r for r in refused.value.details if r.code == "element_frequency_over_limit"]
    assert [str(r) for r in by_element] == ["数据元 联系电话 最多每年采集一次"]  # its name, not person.phone
    assert by_element[0].message("en") == "Data element Phone may be collected at most once per period of “Yearly”"
    bad = client.post("/gate/rules/", {"max_frequency": "daily"})
    assert "不在可选范围" in bad.content.decode()
    client.login(username="worker_a", password=PASSWORD)
    assert client.get("/gate/rules/").status_code == 403


def test_guessed_column_mappings_must_be_checked_before_admission(ledger, tmp_path):
    request = submit(ledger, template(tmp_path, KNOWN_ONLY))
    request.columns[1]["status"] = "suggested"  # as the matcher marks a guess
    request.save()
    with pytest.raises(workflow.GateRefused, match="第 B 列“姓名”"):
        workflow.decide(ledger.reviewer, request, "admit")
    admitted = workflow.decide(ledger.reviewer, request, "admit", mappings_checked=True)
    assert admitted.columns[1]["status"] == "confirmed"


def test_the_reviewer_decides_which_new_columns_are_asked_each_period(ledger, tmp_path):
    from yibiao.dictionary.models import Element

    rows = table("| 序号 | 姓名 | 公民身份号码 | 社区民警 | 本月走访次数 |")
    request = submit(ledger, template(tmp_path, rows, "visit.xlsx"), title="入户走访登记表")
    guesses = {c["header"]: c["per_period"] for c in request.analysis["columns"] if c["kind"] == "new"}
    assert guesses == {"社区民警": True, "本月走访次数": True}  # a visit form: the system guesses all
    workflow.decide(ledger.reviewer, request, "admit", per_period={"D": False})
    added = dict(Element.objects.filter(core=False).values_list("name_zh", "per_period"))
    assert added == {"社区民警": False, "本月走访次数": True}
