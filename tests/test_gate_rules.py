"""The gate's limits that span a department's demands (为基层减负若干规定), set with `yibiao gate
rules` and enforced with the rule named, in Chinese and in English (`--json`: the code, and
no Chinese in the English message): at most so many inspections by one department a year,
and no more new typed cells a year (只减不增) — the latter checked again at admission, since
tables waiting side by side each passed it alone."""

from __future__ import annotations

import json
import re

import pytest

from yibiao.cli import main
from yibiao.gate.models import Demand, History, Status
from yibiao.gate.tables import workflow as tables
from yibiao.ledger.records import PersonInput, write_people

from .test_admission import WITH_NEW, submit, template
from .test_workload_gate import inspection, next_month, officer_of

pytestmark = pytest.mark.django_db
CHINESE = re.compile(r"[\u3400-\u9fff]")


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def state() -> tuple:
    return list(Demand.objects.order_by("pk").values_list("pk", "status")), History.objects.count()


def test_inspections_per_department_per_year_refused_naming_the_rule(world, capsys, monkeypatch):
    police = officer_of(world, "police", "区公安分局")
    assert run(capsys, "gate", "rules", "--org", world.county.code, "--inspections-per-year", "1",
               "--user", "reviewer")[0] == 0
    first, last = next_month()
    inspection(police, world, "治安检查", start=first, end=first)
    before = state()
    common = ["gate", "work", "create", "--kind", "inspection", "--department", "区公安分局",
              "--title", "消防检查", "--basis", "《消防法》第五十三条", "--scope", world.township_a.code,
              "--start", last.isoformat(), "--end", last.isoformat(), "--hours", "2",
              "--estimate", "迎检准备", "--subjects", "fire_safety", "--user", "police", "--json"]
    code, out, err = run(capsys, *common)
    assert code == 2 and "每个部门每年至多 1 项" in err and "综合性督查检查" in err
    assert json.loads(out)["error"]["code"] == "inspections_per_department_year"
    monkeypatch.setenv("YIBIAO_LANGUAGE", "en")
    code, out, err = run(capsys, *common)
    message = json.loads(out)["error"]["message"]
    assert code == 2 and "at most 1 a year" in message and not CHINESE.search(message), message
    assert state() == before


@pytest.fixture
def ledger(world):
    """Three residents of community A, each with a phone (as test_admission's)."""
    write_people(world.worker_a, world.community_a, [
        PersonInput({"person.id_number": i, "person.name": n, "person.phone": p})
        for i, n, p in [("11010519491231002X", "王秀英", "13812345678"),
                        ("430104199001010019", "李明", "13912345678")]])
    return world


def test_new_typed_cells_per_year_refused_at_submission_and_again_at_admission(ledger, tmp_path, capsys,
                                                                            monkeypatch):
    world = ledger
    one = submit(world, template(tmp_path, WITH_NEW, "一.xlsx"), title="流感疫苗接种一")
    asked = one.analysis["burden"]["cells_per_year"]
    assert asked > 0
    # Room for one such table a year, not two; the first is still waiting.
    assert run(capsys, "gate", "rules", "--org", world.county.code, "--new-cells-per-year",
               str(asked + asked // 2), "--user", "reviewer")[0] == 0
    two = submit(world, template(tmp_path, WITH_NEW, "二.xlsx"), title="流感疫苗接种二")  # alone, it fits
    tables.decide(world.reviewer, one, "admit", "")
    before = state()
    with pytest.raises(tables.GateRefused) as refused:
        tables.decide(world.reviewer, two, "admit", "")
    assert refused.value.code == "new_typed_cells_over" and "只减不增" in refused.value.message_zh
    assert not CHINESE.search(refused.value.message_en), refused.value.message_en
    assert state() == before and Demand.objects.get(pk=two.pk).status == Status.SUBMITTED
    # A third is refused at once, by the command line too, in either language.
    path = template(tmp_path, WITH_NEW, "三.xlsx")
    common = ["gate", "table", "create", "--template", str(path), "--department", "区卫生健康局",
              "--title", "流感疫苗接种三", "--basis", "《关于做好流感疫苗接种工作的通知》（岳卫发〔2026〕9号）",
              "--frequency", "monthly", "--scope", world.community_a.code,
              "--justify", "公民身份号码=核对身份避免重复", "--mask", "联系电话", "--user", "officer", "--json"]
    code, out, err = run(capsys, *common)
    assert code == 2 and "只减不增" in err
    assert json.loads(out)["error"]["code"] == "new_typed_cells_over"
    monkeypatch.setenv("YIBIAO_LANGUAGE", "en")
    code, out, _err = run(capsys, *common)
    message = json.loads(out)["error"]["message"]
    assert code == 2 and "only shrink" in message and not CHINESE.search(message), message
    assert state() == before


def test_the_rules_page_picks_elements_by_name_and_frequency_from_lists(client, world):
    """No element codes to type: a row per limit, the element chosen by its name."""
    from yibiao.gate.models import GateRules

    client.force_login(world.reviewer)
    page = client.get("/gate/rules/").content.decode()
    assert "person.phone=" not in page and ">联系电话</option>" in page
    saved = client.post("/gate/rules/", {
        "org": world.county.code, "max_frequency": "monthly", "flags": "require_basis",
        "element_limits_drawn": "1",
        "limit_element": ["person.phone", "person.work_unit", ""],
        "limit_frequency": ["yearly", "", "quarterly"]})
    assert saved.status_code == 302
    rules = GateRules.objects.get(org_unit=world.county)
    assert rules.element_max_frequency == {"person.phone": "yearly"}  # 不限 and empty rows dropped
    again = client.get("/gate/rules/").content.decode()
    row = again.split('name="limit_element"')[1]
    assert '<option value="person.phone" selected>' in row
    # Every row cleared: no limit by element any more.
    client.post("/gate/rules/", {"org": world.county.code, "element_limits_drawn": "1",
                                 "limit_element": ["person.phone"], "limit_frequency": [""]})
    assert GateRules.objects.get(org_unit=world.county).element_max_frequency == {}
