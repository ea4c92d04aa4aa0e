"""The data API: token-authenticated, scoped to admitted requests, paginated, audited."""

from __future__ import annotations

import datetime as dt

import pytest

from yibiao.accounts import tokens
from yibiao.accounts.scope import OutOfScope
from yibiao.audit.models import Action, AuditEntry
from yibiao.gate.tables import workflow
from yibiao.ledger.records import PersonInput, write_people

from .sheetfactory import table, write_xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def admitted(world, tmp_path):
    write_people(world.worker_a, world.community_a, [
        PersonInput({"person.id_number": "11010519491231002X", "person.name": "王秀英",
                     "person.phone": "13812345678"}),
        PersonInput({"person.id_number": "430104199001010019", "person.name": "李明"}),
    ], valid_from=dt.date(2026, 1, 1))
    path = tmp_path / "t.xlsx"
    write_xlsx(path, [["居民表"], *table("| 序号 | 姓名 | 公民身份号码 | 联系电话 | 年龄 |")])
    request = workflow.submit(world.officer, path, workflow.NewRequest(
        title="居民表", department=world.department.name, basis="《通知》（岳卫〔2026〕9号）",
        frequency="monthly", scope_code=world.township_a.code,
        justifications={"person.id_number": "核对身份"}, masked=["联系电话"]))
    return workflow.decide(world.reviewer, request, "admit")


def auth(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_a_department_pulls_its_admitted_rows_with_a_token(client, world, admitted):
    key = tokens.issue(world.admin, world.officer, "卫健随访系统")
    listed = client.get("/api/v1/data/requests", **auth(key)).json()
    assert [r["id"] for r in listed] == [admitted.pk]
    url = f"/api/v1/data/requests/{admitted.pk}/rows"
    body = client.get(url, {"org": world.community_a.code, "period": "2026-11"}, **auth(key)).json()
    assert body["total"] == 2 and [c["header"] for c in body["columns"]][:2] == ["序号", "姓名"]
    wang = next(r for r in body["rows"] if r[1] == "王秀英")
    assert wang[2] == "11010519491231002X"  # justified at admission: full value
    assert wang[3] == "138****5678"  # not justified: masked
    assert wang[4] == 76
    page = client.get(url, {"org": world.community_a.code, "period": "2026-11", "page_size": 1,
                            "page": 2}, **auth(key)).json()
    assert len(page["rows"]) == 1 and page["page"] == 2
    csv = client.get(url + ".csv", {"org": world.township_a.code, "period": "2026-11"}, **auth(key))
    assert csv.status_code == 200 and "王秀英" in csv.content.decode("utf-8-sig")
    assert AuditEntry.objects.filter(action=Action.API_READ).count() == 3


def test_no_token_a_wrong_token_or_another_scope_is_refused(client, world, admitted):
    url = f"/api/v1/data/requests/{admitted.pk}/rows"
    params = {"org": world.community_a.code, "period": "2026-11"}
    assert client.get(url, params).status_code == 401
    assert client.get(url, params, **auth("yb_wrong")).status_code == 401
    key = tokens.issue(world.admin, world.officer, "x")
    outside = client.get(url, {"org": world.community_b.code, "period": "2026-11"}, **auth(key))
    assert outside.status_code == 403
    bad_period = client.get(url, {"org": world.community_a.code, "period": "11月"}, **auth(key))
    assert bad_period.status_code == 400 and "报告期" in bad_period.json()["detail"]


def test_only_administrators_issue_tokens_and_only_to_departments(world):
    with pytest.raises(OutOfScope):
        tokens.issue(world.officer, world.officer, "self-issued")
    with pytest.raises(OutOfScope):
        tokens.issue(world.admin, world.worker_a, "worker")


def test_the_openapi_schema_documents_the_data_api(client, world):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/data/requests/{request_id}/rows" in paths
    assert "/api/v1/data/requests/{request_id}/rows.csv" in paths
