"""The ledger and admission commands, run as a user runs them against a demo database."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

YIBIAO = str(Path(sys.executable).with_name("yibiao"))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    home = tmp_path_factory.mktemp("cli")
    run = make_runner(home)
    assert run("demo", "--no-serve", "--households", "40", "--seed", "5").returncode == 0
    return home, run


def make_runner(home: Path):
    def run(*args: str, user: str | None = None) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "YIBIAO_VAR_DIR": str(home), "DATABASE_URL": ""}
        env.pop("YIBIAO_USER", None)
        if user:
            env["YIBIAO_USER"] = user
        return subprocess.run([YIBIAO, *args], env=env, capture_output=True, text=True,
                              timeout=300, check=False)
    return run


def query(home: Path, sql: str, *params: object) -> list[tuple]:
    return sqlite3.connect(home / "yibiao.sqlite3").execute(sql, params).fetchall()


def test_person_show_masks_and_audits(demo):
    home, run = demo
    (worker_unit,), = query(home, "select o.code from accounts_user u join orgunits_orgunit o "
                                  "on o.id = u.org_unit_id where username = 'worker1'")
    (own,), = query(home, "select p.id_number from ledger_person p join orgunits_orgunit o on "
                          "o.id = p.org_unit_id where o.code like ? limit 1", f"{worker_unit}%")
    (foreign,), = query(home, "select p.id_number from ledger_person p join orgunits_orgunit o on "
                              "o.id = p.org_unit_id where o.code not like ? limit 1", f"{worker_unit}%")
    shown = run("person", "show", own, "--as-of", "2026-11-30", "--json", user="worker1")
    assert shown.returncode == 0, shown.stderr
    values = json.loads(shown.stdout)["values"]
    assert values["person.id_number"] == own[:6] + "********" + own[-4:]
    assert values["person.sex"] in ("男性", "女性")
    (number, relation), = query(home, "select h.number, r.relation_to_head from ledger_residence r "
                                      "join ledger_person p on p.id = r.person_id join ledger_household h "
                                      "on h.id = r.household_id where p.id_number = ? and r.valid_from <= "
                                      "'2026-11-30' and (r.valid_to is null or r.valid_to > '2026-11-30')", own)
    assert values["household.number"] == number  # the residence's, which facts do not hold
    assert values["person.relation_to_head"] and values["person.relation_to_head"] != relation  # a name, not a code
    assert query(home, "select count(*) from audit_auditentry where action = 'view_person'")[0][0] >= 1
    assert json.loads(shown.stdout)["org_unit"].startswith(worker_unit)
    earlier = run("person", "show", own, "--as-of", "1900-01-01", user="worker1")  # before the ledger began
    assert earlier.returncode == 0 and "这一天不在任何社区居住" in earlier.stdout
    outside = run("person", "show", foreign, user="worker1")
    assert outside.returncode == 2 and "无权查看" in outside.stderr
    bad = run("person", "show", own[:-1] + ("0" if own[-1] != "0" else "1"))
    assert bad.returncode == 2 and "校验码" in bad.stderr


def test_ledger_export_masked_by_default_and_unmasked_only_with_a_reason(demo, tmp_path):
    home, run = demo
    community = query(home, "select code from orgunits_orgunit where level='community' order by code limit 1")[0][0]
    out = tmp_path / "ledger.xlsx"
    result = run("ledger", "export", "--org", community, "--as-of", "2026-11-30", "-o", str(out))
    assert result.returncode == 0, result.stderr
    sheet = load_workbook(out).active
    header = [c.value for c in sheet[1]]
    ids = [row[header.index("公民身份号码")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert ids and all("********" in i for i in ids)
    refused = run("ledger", "export", "--org", community, "-o", str(out), "--unmask")
    assert refused.returncode == 2 and "事由" in refused.stderr
    full = run("ledger", "export", "--org", community, "-o", str(tmp_path / "full.csv"), "--unmask",
               "--reason", "区民政局核对低保对象")
    assert full.returncode == 0
    text = (tmp_path / "full.csv").read_text(encoding="utf-8-sig")
    assert "********" not in text.split("\n", 2)[1]
    reasons = query(home, "select reason from audit_auditentry where action='export'")
    assert ("区民政局核对低保对象",) in reasons
    outside = run("ledger", "export", "--org", "110101", "-o", str(out), user="worker1")
    assert outside.returncode == 2 and "无权访问" in outside.stderr


def test_request_create_analyse_review(demo, tmp_path):
    home, run = demo
    template = tmp_path / "elderly.xlsx"
    book = Workbook()
    book.active.append(["老年人信息表"])
    book.active.append(["序号", "姓名", "性别", "公民身份号码", "出生日期"])
    book.save(template)
    args = ["request", "create", "--template", str(template), "--department", "区民政局",
            "--title", "老年人信息表", "--basis", "《关于开展老年人关爱的通知》（岳民〔2026〕2号）",
            "--frequency", "quarterly", "--scope", "430104", "--json"]
    refused = run(*args)
    assert refused.returncode == 2 and "使用理由" in refused.stderr
    created = run(*args, "--justify", "person.id_number=核实身份")
    assert created.returncode == 0, created.stderr
    analysis = json.loads(created.stdout)
    assert analysis["verdict"] == "可完全由台账生成——无需基层填报"
    assert analysis["burden"]["cells_per_period"] == 0 and analysis["burden"]["hand_cells_per_period"] > 0
    again = json.loads(run(*args, "--justify", "person.id_number=核实身份").stdout)
    assert again["duplicate_of"] == analysis["id"]
    worker = run("request", "review", str(analysis["id"]), "admit", user="worker1")
    assert worker.returncode == 2
    assert run("request", "review", str(analysis["id"]), "admit", user="reviewer").returncode == 0
    listed = json.loads(run("request", "list", "--json", user="worker1").stdout)
    assert analysis["id"] in [r["id"] for r in listed]
    assert {r["status"] for r in listed} == {"admitted"}  # workers see only admitted forms
    out = tmp_path / "catalogue.xlsx"
    assert run("catalogue", "export", "-o", str(out), user="worker1").returncode == 0
    titles = [row[2] for row in load_workbook(out).active.iter_rows(min_row=3, values_only=True)]
    assert "老年人信息表" in titles


def test_retention_dry_run_reports_without_erasing(demo):
    home, run = demo
    result = run("retention", "apply", "--dry-run")
    assert result.returncode == 0
    assert "没有超过保存期限的数据" in result.stdout or "将删除" in result.stdout


def test_rebuild_state_restores_what_a_restore_left_out(demo):
    home, run = demo
    def states() -> list[tuple]:
        rows = query(home, "SELECT person_id, org_code, changed_on, \"values\" FROM ledger_personstate "
                           "ORDER BY person_id")
        return [(*row[:3], json.loads(row[3])) for row in rows]

    before = states()
    assert before, "the demo load fills the state"
    sqlite3.connect(home / "yibiao.sqlite3", isolation_level=None).execute("DELETE FROM ledger_personstate")
    done = run("ledger", "rebuild-state")
    assert done.returncode == 0, done.stderr
    assert f"{len(before)} 位居民" in done.stdout
    assert states() == before


def test_an_import_prints_its_warnings_and_an_undone_newcomer_is_shown_living_nowhere(demo, tmp_path):
    from stdnum.cn import ric

    home, run = demo
    (unit,), = query(home, "select o.code from accounts_user u join orgunits_orgunit o "
                           "on o.id = u.org_unit_id where username = 'worker1'")
    body = "43010419900101002"  # an even sequence digit: a woman
    id_number = body + ric.calc_check_digit(body + "0")
    book = Workbook()
    book.active.append(["姓名", "公民身份号码", "性别"])
    book.active.append(["柳新来", id_number, "男"])
    roster = tmp_path / "花名册.xlsx"
    book.save(roster)
    imported = run("ledger", "import", str(roster), "--org", unit, user="worker1")
    assert imported.returncode == 0, imported.stderr
    assert "提示 1 条" in imported.stdout and "第 2 行 C 列「男」" in imported.stdout
    (write_id,), = query(home, "select id from ledger_ledgerwrite order by id desc limit 1")
    assert run("ledger", "undo", str(write_id), user="worker1").returncode == 0
    shown = run("person", "show", id_number, "--user", "admin")
    assert shown.returncode == 0, shown.stderr
    assert "柳新来（目前未在任何社区居住）" in shown.stdout
