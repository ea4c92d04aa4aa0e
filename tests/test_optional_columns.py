"""A request marks the columns the grassroots may leave empty (选填): they never block a
submission and, left empty, are not counted as burden; marked by the department or a
reviewer before the decision, through the page and the command line, audited."""

from __future__ import annotations

import pytest

from yibiao.accounts.scope import OutOfScope
from yibiao.audit.models import AuditEntry
from yibiao.cli import main
from yibiao.gate.models import FormRequest
from yibiao.gate.tables import workflow
from yibiao.ledger.records import PersonInput, write_people

from .sheetfactory import table
from .test_admission import WITH_NEW, submit, template

pytestmark = pytest.mark.django_db
REMARKS = table("""
| 序号 | 姓名 | 公民身份号码 | 是否接种流感疫苗 | 备注 |
""")


@pytest.fixture
def ledger(world):
    """Three residents of community A."""
    write_people(world.worker_a, world.community_a, [
        PersonInput({"person.id_number": i, "person.name": n})
        for i, n in [("11010519491231002X", "王秀英"), ("430104199001010019", "李明"),
                     ("430104198507150030", "张伟")]])
    return world


def cells_per_period(request: FormRequest) -> int:
    return request.analysis["burden"]["cells_per_period"]


def test_a_column_marked_optional_is_no_burden_and_the_mark_is_audited(ledger, tmp_path):
    request = submit(ledger, template(tmp_path, WITH_NEW))
    asked = cells_per_period(request)
    hospital = next(c for c in request.columns if c["header"] == "接种医院")
    marked = workflow.set_optional(ledger.reviewer, request, [hospital["column"]], reason="有则填")
    assert next(c for c in marked.columns if c["header"] == "接种医院")["optional"] is True
    assert cells_per_period(marked) == asked - 3  # the three residents' cells are not asked
    entry = AuditEntry.objects.filter(detail__field="optional_columns").get()
    assert entry.detail["new"] == [hospital["column"]] and entry.actor == ledger.reviewer
    # Unmarked again: asked again.
    assert cells_per_period(workflow.set_optional(ledger.officer, marked, [])) == asked


def test_a_remarks_column_is_optional_by_its_header(ledger, tmp_path):
    request = submit(ledger, template(tmp_path, REMARKS))
    remarks = next(c for c in request.analysis["columns"] if c["header"] == "备注")
    assert remarks["missing_cells"] == 0


def test_only_the_request_s_columns_before_the_decision_and_never_a_worker(ledger, tmp_path):
    request = submit(ledger, template(tmp_path, WITH_NEW))
    with pytest.raises(workflow.GateRefused, match="ZZ"):
        workflow.set_optional(ledger.officer, request, ["ZZ"])
    with pytest.raises(OutOfScope):
        workflow.set_optional(ledger.worker_a, request, ["F"])
    workflow.decide(ledger.reviewer, request, "admit", mappings_checked=True)
    with pytest.raises(workflow.GateRefused) as refused:
        workflow.set_optional(ledger.officer, request, ["F"])
    assert refused.value.details[0].code == "optional_not_editable"
    assert not any(c.get("optional") for c in FormRequest.objects.get(pk=request.pk).columns)


def test_the_page_and_the_command_line_mark_them(ledger, tmp_path, client, capsys):
    request = submit(ledger, template(tmp_path, WITH_NEW))
    client.force_login(ledger.officer)
    page = client.get(f"/gate/{request.pk}/").content.decode()
    assert 'id="optional-columns"' in page
    response = client.post(f"/gate/{request.pk}/optional/", {"optional": ["F"], "reason": "有则填"})
    assert response.status_code == 302
    assert [c["column"] for c in FormRequest.objects.get(pk=request.pk).columns if c.get("optional")] == ["F"]
    assert main(["request", "optional", str(request.pk), "--columns", "E,F", "--user", ledger.officer.username]) == 0
    assert [c["column"] for c in FormRequest.objects.get(pk=request.pk).columns if c.get("optional")] == ["E", "F"]
    assert main(["gate", "table", "optional", str(request.pk), "--columns", "Q", "--user",
                 ledger.officer.username]) == 2
    assert "Q" in capsys.readouterr().err
