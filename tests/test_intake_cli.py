"""`yibiao template inspect` and `yibiao ledger import` as real processes on their own SQLite."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.sheetfactory import table, write_xlsx

YIBIAO = str(Path(sys.executable).with_name("yibiao"))
WANG = "11010519491231002X"
COMMUNITY = "430104001001"  # 红星社区 in the demo; created below in the subprocess's database

ROSTER = table(f"""
| 居民花名册 |                    |             |          |
| 序号       | 姓名               | 公民身份号码 | 联系电话 |
| 1          | 王秀英             | {WANG}       | 13812345678 |
| 2          | 坏号码             | 110105194912310021 | 13812345678 |
| 合计       |                    |             |          |
""")


def run(*args: str, var: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k != "YIBIAO_USER"}
    full_env.update({"YIBIAO_VAR_DIR": str(var), "DATABASE_URL": "", **env})
    return subprocess.run([YIBIAO, *args], env=full_env, capture_output=True, text=True, timeout=600,
                          check=False)


@pytest.fixture(scope="module")
def var(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database of its own: `yibiao init`, then one community to import into."""
    var = tmp_path_factory.mktemp("var")
    assert run("init", var=var).returncode == 0
    code = ("from yibiao.orgunits.divisions import add_unit; from yibiao.orgunits.models import *; "
            f"add_unit('{COMMUNITY}', '红星社区', Level.COMMUNITY, OrgUnit.objects.get(code='{COMMUNITY[:9]}'))")
    assert run("manage", "shell", "-c", code, var=var).returncode == 0
    return var


def test_template_inspect_prints_the_json_contract_for_many_files_and_an_error_for_a_bad_one(tmp_path):
    good = write_xlsx(tmp_path / "good.xlsx", ROSTER, merges=["A1:D1"])
    other = write_xlsx(tmp_path / "other.xlsx", table("| 姓名 | 身份證號 |"))
    bad = write_xlsx(tmp_path / "bad.xlsx", ROSTER).rename(tmp_path / "bad.xlsm")  # a macro workbook
    # no database at all: the built-in dictionary is enough
    result = run("template", "inspect", str(good), str(bad), str(other), "--json", var=tmp_path / "none")
    assert result.returncode == 1, result.stderr
    out = json.loads(result.stdout)
    assert [Path(e["file"]).name for e in out] == ["good.xlsx", "bad.xlsm", "other.xlsx"]
    sheet = out[0]["sheets"][0]
    assert (sheet["layout"], sheet["header_rows"], sheet["data_start_row"]) == ("list", [2, 2], 3)
    id_column = sheet["columns"][2]
    assert id_column == {"column": "C", "index": 3, "header": "公民身份号码", "path": ["公民身份号码"],
                         "element": "person.id_number", "confidence": id_column["confidence"],
                         "status": "auto"}
    assert out[1]["error"]["code"] == "macros" and "宏" in out[1]["error"]["message"]
    assert out[2]["sheets"][0]["columns"][1]["element"] == "person.id_number"
    assert not (tmp_path / "none" / "yibiao.sqlite3").exists()


def test_template_inspect_without_json_prints_a_chinese_table(tmp_path):
    good = write_xlsx(tmp_path / "good.xlsx", ROSTER, merges=["A1:D1"])
    result = run("template", "inspect", str(good), var=tmp_path)
    assert result.returncode == 0
    assert "表头第 2 行" in result.stdout and "person.phone" in result.stdout and "自动" in result.stdout


def test_ledger_import_json_reports_counts_and_rejections_and_a_rerun_changes_nothing(var, tmp_path):
    path = write_xlsx(tmp_path / "roster.xlsx", ROSTER, merges=["A1:D1"], sheet="花名册")
    first = run("ledger", "import", str(path), "--org", COMMUNITY, "--json", var=var)
    assert first.returncode == 0, first.stderr
    out = json.loads(first.stdout)
    assert {k: out[k] for k in ("rows_read", "created", "updated", "unchanged", "rejected")} == {
        "rows_read": 2, "created": 1, "updated": 0, "unchanged": 0, "rejected": 1}
    rejection = out["rejections"][0]
    assert (rejection["sheet"], rejection["row"], rejection["column"], rejection["value"]) == (
        "花名册", 4, "C", "110105194912310021")
    assert "校验码" in rejection["message"]
    again = json.loads(run("ledger", "import", str(path), "--org", COMMUNITY, "--json", var=var).stdout)
    assert (again["created"], again["unchanged"]) == (0, 1)
    plain = run("ledger", "import", str(path), "--org", COMMUNITY, var=var)  # nothing changed: no undo offered
    assert plain.returncode == 0 and "无变化 1 人" in plain.stdout and "可撤销" not in plain.stdout
    db = sqlite3.connect(var / "yibiao.sqlite3")
    assert db.execute("select count(*) from ledger_person").fetchone()[0] == 1
    actors = {row[0] for row in db.execute("select actor_name from audit_auditentry where action='import'")}
    assert actors == {"cli-operator"}
    operator = db.execute("select role, password from accounts_user where username='cli-operator'").fetchone()
    assert operator[0] == "admin" and operator[1].startswith("!")  # unusable password


def test_ledger_import_with_a_mapping_file_and_a_dry_run(var, tmp_path):
    path = write_xlsx(tmp_path / "m.xlsx", table(f"""
    | 姓名   | 公民身份号码 | 户主关系 |
    | 王秀英 | {WANG}       | 户主     |
    """))
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"户主关系": "person.relation_to_head"}), encoding="utf-8")
    dry = run("ledger", "import", str(path), "--org", COMMUNITY, "--mapping", str(mapping), "--dry-run",
              "--json", var=var)
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["dry_run"] is True
    plain = run("ledger", "import", str(path), "--org", COMMUNITY, "--mapping", str(mapping), var=var)
    assert plain.returncode == 0 and "已导入" in plain.stdout


def test_ledger_import_refuses_an_unknown_user_and_an_unreachable_org(var, tmp_path):
    path = write_xlsx(tmp_path / "r.xlsx", ROSTER)
    nobody = run("ledger", "import", str(path), "--org", COMMUNITY, "--user", "nobody", var=var)
    assert nobody.returncode == 2 and "nobody" in nobody.stderr
    missing = run("ledger", "import", str(path), "--org", "999999999999", var=var)
    assert missing.returncode == 2 and "999999999999" in missing.stderr


def test_ledger_import_of_a_file_that_is_not_there_says_so(var, tmp_path):
    gone = run("ledger", "import", str(tmp_path / "花名册.xlsx"), "--org", COMMUNITY, var=var)
    assert gone.returncode == 2 and "找不到文件「花名册.xlsx」" in gone.stderr and "不是 Excel" not in gone.stderr


def test_a_refused_file_answers_json_as_every_command_does_and_in_the_language_asked(var, tmp_path):
    """README: a command given --json prints {"error": {"code", "message"}} and exits 2; it
    printed the result with `refused` inside and exited 1, and in Chinese whatever the language."""
    macro = write_xlsx(tmp_path / "r.xlsx", ROSTER).rename(tmp_path / "r.xlsm")
    refused = run("ledger", "import", str(macro), "--org", COMMUNITY, "--json", var=var)
    assert refused.returncode == 2
    assert json.loads(refused.stdout)["error"]["code"] == "macros" and "r.xlsm" in refused.stderr
    english = run("ledger", "import", str(tmp_path / "gone.xlsx"), "--org", COMMUNITY, var=var,
                  YIBIAO_LANGUAGE="en")
    assert english.returncode == 2 and "gone.xlsx" in english.stderr
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in english.stderr), english.stderr


def test_columns_no_value_came_from_are_named_in_the_plain_output(var, tmp_path):
    """A clerk's 关系 or 宠物 column was dropped without a word; now each is named."""
    path = write_xlsx(tmp_path / "cols.xlsx", table(f"""
    | 序号 | 姓名   | 公民身份号码 | 宠物 |
    | 1    | 王秀英 | {WANG}       | 猫   |
    """))
    plain = run("ledger", "import", str(path), "--org", COMMUNITY, "--dry-run", var=var)
    assert plain.returncode == 0, plain.stderr
    line = next(x for x in plain.stdout.splitlines() if x.startswith("以下列未对应任何数据项"))
    assert "D「宠物」" in line and "姓名" not in line and "公民身份号码" not in line
    assert "序号" not in plain.stdout.split("。", 1)[1]  # it counts rows: nothing to import from it


def test_output_cut_short_by_a_pipe_ends_quietly(tmp_path):
    """`yibiao template inspect … | head` ended in a BrokenPipeError traceback."""
    wide = write_xlsx(tmp_path / "wide.xlsx", [[f"第{i}列备注说明" for i in range(3000)]])
    env = {k: v for k, v in os.environ.items() if k != "YIBIAO_USER"} | {"YIBIAO_VAR_DIR": str(tmp_path)}
    process = subprocess.Popen([YIBIAO, "template", "inspect", str(wide)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=env)
    assert process.stdout.readline().startswith("文件：".encode())
    process.stdout.close()  # as head does after its lines
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=600) == 141 and "Traceback" not in stderr, stderr


def test_the_plain_output_speaks_the_language_asked_and_leaves_the_file_as_written(var, tmp_path):
    """Under YIBIAO_LANGUAGE=en the summary and every row's reason were Chinese; in
    Traditional the wording converts, the file's own names and cells do not."""
    path = write_xlsx(tmp_path / "花名册.xlsx", ROSTER)
    english = run("ledger", "import", str(path), "--org", COMMUNITY, "--dry-run", var=var, YIBIAO_LANGUAGE="en")
    assert english.returncode == 0, english.stderr
    lines = english.stdout.splitlines()
    assert lines[0].startswith("Tried (nothing written) 花名册.xlsx, sheet Sheet1: rows read 2; people added ")
    refused = next(x for x in lines if x.startswith("  row 4, column C"))
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in refused.split(":", 1)[1].replace("坏号码", ""))
    traditional = run("ledger", "import", str(path), "--org", COMMUNITY, "--dry-run", var=var,
                      YIBIAO_LANGUAGE="zh-hant")
    assert traditional.stdout.startswith("試導入（未寫入）「花名册.xlsx」"), traditional.stdout
