"""The admission pages: an officer uploads, a reviewer decides, a worker reads the catalogue."""

from __future__ import annotations

import pytest

from yibiao.gate.models import FormRequest, Status

from .conftest import PASSWORD
from .sheetfactory import table, write_xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def template(tmp_path):
    path = tmp_path / "老年人信息表.xlsx"
    write_xlsx(path, [["老年人信息表"], *table("""
| 序号 | 姓名 | 公民身份号码 | 年龄 | 联系电话 | 是否参加老年协会 |
""")])
    return path


def upload(client, world, template, **extra):
    with open(template, "rb") as handle:
        return client.post("/gate/new/table/", {
            "template": handle, "title": "老年人信息表", "department": world.department.name,
            "basis": "《老年人关爱服务通知》（岳民发〔2026〕8号）", "frequency": "quarterly",
            "scope": world.township_a.code, "deadline_days": "7", **extra})


def test_an_officer_uploads_and_sees_the_analysis(client, world, template):
    client.login(username="officer", password=PASSWORD)
    response = upload(client, world, template)
    assert response.status_code == 200 and "公民身份号码" in response.content.decode()
    assert not FormRequest.objects.exists()  # refused: the ID number needs a reason
    with open(template, "rb") as handle:
        response = client.post("/gate/new/table/", {
            "template": handle, "title": "老年人信息表", "department": world.department.name,
            "basis": "《老年人关爱服务通知》（岳民发〔2026〕8号）", "frequency": "quarterly",
            "scope": world.township_a.code, "justify:person.id_number": "核实老人身份，避免重复统计",
            "decision:person.phone": "masked"})
    assert FormRequest.objects.count() == 1
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "需要 1 个社区（村）补充 1 个新数据项" in page and "是否参加老年协会" in page
    assert "审核" not in page.split("流转记录")[0].split("逐列分析")[1]  # no review form for officers


def test_a_reviewer_admits_and_a_worker_finds_it_in_the_catalogue(client, world, template):
    client.login(username="officer", password=PASSWORD)
    with open(template, "rb") as handle:
        client.post("/gate/new/table/", {
            "template": handle, "title": "老年人信息表", "department": world.department.name,
            "basis": "《老年人关爱服务通知》（岳民发〔2026〕8号）", "frequency": "quarterly",
            "scope": world.township_a.code, "justify:person.id_number": "核实老人身份",
            "decision:person.phone": "masked"})
    request = FormRequest.objects.get()
    client.login(username="worker_a", password=PASSWORD)
    assert client.post(f"/gate/{request.pk}/decide/", {"action": "admit"}).status_code == 403
    assert "老年人信息表" not in client.get("/gate/catalogue/").content.decode()
    client.login(username="reviewer", password=PASSWORD)
    client.post(f"/gate/{request.pk}/decide/", {"action": "admit", "reason": "依据充分"})
    assert FormRequest.objects.get().status == Status.ADMITTED
    client.login(username="worker_a", password=PASSWORD)
    assert "老年人信息表" in client.get("/gate/catalogue/").content.decode()
    export = client.get("/gate/catalogue.xlsx")
    assert export.status_code == 200 and export["Content-Disposition"].startswith("attachment")
    client.login(username="worker_b", password=PASSWORD)  # another township: not theirs
    assert "老年人信息表" not in client.get("/gate/catalogue/").content.decode()
    assert client.get(f"/gate/{request.pk}/").status_code == 403


def test_a_hostile_upload_is_refused_with_a_clear_message(client, world, tmp_path):
    bogus = tmp_path / "not-a-sheet.xlsx"
    bogus.write_bytes(b"this is not a spreadsheet at all")
    client.login(username="officer", password=PASSWORD)
    with open(bogus, "rb") as handle:
        response = client.post("/gate/new/table/", {
            "template": handle, "title": "x", "basis": "《通知》（x〔2026〕1号）",
            "frequency": "monthly", "scope": world.township_a.code})
    assert response.status_code == 200 and not FormRequest.objects.exists()
    assert "not-a-sheet" in response.content.decode() or "不是" in response.content.decode()
