"""导出台账 from the web (issue 16, item 8): the ledger of one's unit as xlsx, masked by
default, the full values only for a role that may reveal them and with a reason, every
export audited, text a spreadsheet would run as a formula quoted. Read back with openpyxl."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from yibiao.audit.models import Action, AuditEntry
from yibiao.ledger.records import PersonInput, write_people

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db
WANG = "11010519491231002X"


@pytest.fixture
def residents(world):
    write_people(world.worker_a, world.grid_a, [
        PersonInput({"person.id_number": WANG, "person.name": "王秀英", "person.phone": "13812345678",
                     "person.work_unit": "=HYPERLINK(\"http://x\",\"点我\")"}),
    ], valid_from=dt.date(2026, 1, 1))
    write_people(world.worker_b, world.community_b, [
        PersonInput({"person.id_number": "430104199001010019", "person.name": "东塘居民"}),
    ], valid_from=dt.date(2026, 1, 1))


def logged_in(client, user):  # noqa: ANN001, ANN201
    assert client.login(username=user.username, password=PASSWORD)
    return client


def sheet_of(response):  # noqa: ANN001, ANN201
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, r, strict=False)) for r in sheet.iter_rows(min_row=2, values_only=True)]
    return sheet, header, rows


def test_the_ledger_page_has_an_export_button(client, world, residents):
    page = logged_in(client, world.worker_a).get("/ledger/people/").content.decode()
    assert 'href="/ledger/export/"' in page
    form = client.get("/ledger/export/").content.decode()
    assert world.community_a.code in form and world.community_b.code not in form


def test_a_masked_export_by_default_audited(client, world, residents):
    client = logged_in(client, world.worker_a)
    sheet, header, rows = sheet_of(client.post("/ledger/export/", {"org": world.community_a.code,
                                                                   "as_of": "2026-06-30"}))
    assert [r["姓名"] for r in rows] == ["王秀英"]  # another community's resident is not there
    assert rows[0]["公民身份号码"] == "110105********002X"
    assert rows[0]["联系电话"] == "138****5678"
    # A formula typed into the ledger arrives as text, quoted (sheets.cells.safe_cell).
    column = header.index("工作单位") + 1
    cell = sheet.cell(row=2, column=column)
    assert cell.data_type == "s" and cell.value.startswith("'=HYPERLINK")
    entry = AuditEntry.objects.get(action=Action.EXPORT)
    assert (entry.actor, entry.org_code, entry.detail["unmasked"], entry.detail["rows"]) == (
        world.worker_a, world.community_a.code, False, 1)
    assert entry.detail["as_of"] == "2026-06-30"


def test_full_values_need_a_reason_and_are_audited_with_it(client, world, residents):
    client = logged_in(client, world.worker_a)
    refused = client.post("/ledger/export/", {"org": world.community_a.code, "full": "1"})
    assert refused.status_code == 400 and "事由" in refused.content.decode()
    assert not AuditEntry.objects.filter(action=Action.EXPORT).exists()
    _, _, rows = sheet_of(client.post("/ledger/export/", {
        "org": world.community_a.code, "full": "1", "reason": "区民政局核对低保对象"}))
    assert rows[0]["公民身份号码"] == WANG and rows[0]["联系电话"] == "13812345678"
    entry = AuditEntry.objects.get(action=Action.EXPORT)
    assert entry.reason == "区民政局核对低保对象" and entry.detail["unmasked"] is True


def test_another_units_ledger_and_other_roles_are_refused(client, world, residents):
    worker = logged_in(client, world.worker_a)
    assert worker.post("/ledger/export/", {"org": world.community_b.code}).status_code == 403
    for role in (world.officer, world.reviewer):
        other = logged_in(type(client)(), role)
        assert other.get("/ledger/export/").status_code == 403
        assert other.post("/ledger/export/", {"org": world.community_a.code}).status_code == 403
    assert not AuditEntry.objects.filter(action=Action.EXPORT).exists()
