"""Accounts made by an administrator from the command line, one or a whole list (a county's
grid workers): every good row an account with a password shown once, every bad row its
reason, nothing of it created; only inside the administrator's scope; audited."""

from __future__ import annotations

import csv
import json
import os
import stat

import pytest

from tests.sheetfactory import write_xlsx
from yibiao.accounts.models import Role, User
from yibiao.audit.models import Action, AuditEntry
from yibiao.cli import main

pytestmark = pytest.mark.django_db

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def test_an_administrator_adds_a_grid_worker_who_can_log_in_and_sees_their_community(world, client, capsys):
    assert main(["user", "add", "wang_grid", "--role", "网格员", "--org", world.grid_a.code,
                 "--name", "王网格", "--json"]) == 0
    made = json.loads(capsys.readouterr().out)
    user = User.objects.get(username="wang_grid")
    assert (user.role, user.org_unit, user.display_name) == (Role.WORKER, world.grid_a, "王网格")
    assert client.login(username="wang_grid", password=made["password"])
    assert AuditEntry.objects.filter(action=Action.CREATE, subject_kind="user", subject_id="wang_grid").exists()


def test_a_list_creates_the_good_rows_and_says_why_each_bad_one_was_refused(world, tmp_path, capsys, client):
    User.objects.create(username="taken", role=Role.WORKER, org_unit=world.community_a)
    listing = write_xlsx(tmp_path / "网格员名单.xlsx", [
        ["用户名", "姓名", "角色", "所属组织代码", "部门"],
        ["li_a", "李甲", "社區工作者", world.community_a.code, ""],           # traditional spelling
        ["zhao_b", "赵乙", "worker", world.community_b.code.translate(FULL_WIDTH), ""],  # full-width code
        ["taken", "重名", "网格员", world.community_a.code, ""],                # refused: taken
        ["li_a", "重复", "网格员", world.community_a.code, ""],                 # refused: twice in the list
        ["town", "镇干部", "网格员", world.township_a.code, ""],                # refused: not a community
        ["nobody", "无组织", "网格员", "", ""],                                  # refused: no unit
        ["off", "部门人", "部门填报需求人员", world.township_a.code, "没有这个局"],  # refused: no department
        ["bad name", "空格", "网格员", world.community_a.code, ""],             # refused: a space
    ])
    out = tmp_path / "passwords.csv"
    assert main(["user", "import", str(listing), "-o", str(out)]) == 1  # some rows refused
    said = capsys.readouterr().out
    assert "已新建 2 个账号，有误 6 行" in said
    for row, reason in ((4, "已被使用"), (5, "已被使用"), (6, "应为社区或网格"), (7, "缺少所属组织代码"),
                        (8, "没有名为“没有这个局”的部门"), (9, "只能由字母")):
        assert f"第 {row} 行" in said and reason in said, (row, reason)
    listed = ["li_a", "zhao_b", "taken", "town", "nobody", "off", "bad name"]
    assert set(User.objects.filter(username__in=listed).values_list("username", flat=True)) == {
        "taken", "li_a", "zhao_b"}
    assert User.objects.get(username="zhao_b").org_unit == world.community_b
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    with out.open(encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["用户名", "姓名", "角色", "所属组织", "初始密码"]
    passwords = {r[0]: r[4] for r in rows[1:]}
    assert set(passwords) == {"li_a", "zhao_b"}
    assert client.login(username="zhao_b", password=passwords["zhao_b"])
    # Run again: nothing is overwritten, and the names are taken now.
    assert main(["user", "import", str(listing), "-o", str(out)]) == 2
    assert "已存在" in capsys.readouterr().err


def test_a_list_in_gbk_csv_as_excel_saves_it_and_a_dry_run_creates_nothing(world, tmp_path, capsys):
    listing = tmp_path / "名单.csv"
    listing.write_bytes(f"账号,姓名,角色,单位代码\nchen,陈丙,社区工作者,{world.community_a.code}\n".encode("gbk"))
    assert main(["user", "import", str(listing), "--dry-run", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["created"] == ["chen"]
    assert not User.objects.filter(username="chen").exists()


def test_only_an_administrator_and_only_inside_their_scope(world, tmp_path, capsys):
    assert main(["user", "add", "x1", "--role", "worker", "--org", world.community_a.code,
                 "--user", "worker_a"]) == 2
    assert "无权" in capsys.readouterr().err
    county_admin = User.objects.create(username="county_admin", role=Role.ADMIN, org_unit=world.township_a)
    assert main(["user", "add", "x2", "--role", "worker", "--org", world.community_b.code,
                 "--user", county_admin.username]) == 2
    assert "不在您的管辖范围内" in capsys.readouterr().err
    assert main(["user", "add", "x3", "--role", "admin", "--user", county_admin.username]) == 2
    assert "只有管辖全部组织的管理员" in capsys.readouterr().err
    assert not User.objects.filter(username__in=["x1", "x2", "x3"]).exists()


def test_a_list_without_its_header_or_a_broken_file_is_a_clear_error(world, tmp_path, capsys):
    listing = write_xlsx(tmp_path / "无表头.xlsx", [["li", "李", "网格员", world.community_a.code]])
    assert main(["user", "import", str(listing), "--dry-run"]) == 2
    assert "缺少列：用户名、角色" in capsys.readouterr().err
    broken = tmp_path / "坏.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    assert main(["user", "import", str(broken), "--dry-run"]) == 2
    assert "坏.xlsx" in capsys.readouterr().err


def test_the_command_speaks_english_when_asked(world, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("YIBIAO_LANGUAGE", "en")
    listing = write_xlsx(tmp_path / "list.xlsx", [["用户名", "角色", "所属组织代码"],
                                                   ["ok_one", "worker", world.community_a.code],
                                                   ["bad one", "worker", world.community_a.code]])
    assert main(["user", "import", str(listing), "--dry-run"]) == 1
    said = capsys.readouterr().out
    assert "1 accounts can be created, 1 rows have errors." in said
    assert "Row 3, bad one: username “bad one” may hold only letters" in said
