"""Accounts made by an administrator from the command line, one or a whole list (a county's
grid workers): every good row an account with a password written down once, every bad row
its reason and nothing of it created, a row already there as asked counted, not refused;
only inside the administrator's scope; audited. And everyone changes the password handed
out on the web; an administrator resets a lost one."""

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
HEADER = ["用户名", "姓名", "角色", "所属组织代码", "部门"]


def test_an_administrator_adds_a_grid_worker_who_can_log_in_and_sees_their_community(world, client, capsys):
    assert main(["user", "add", "wang_grid", "--role", "网格员", "--org", world.grid_a.code,
                 "--name", "王网格", "--json"]) == 0
    made = json.loads(capsys.readouterr().out)
    user = User.objects.get(username="wang_grid")
    assert (user.role, user.org_unit, user.display_name, user.is_staff) == (Role.WORKER, world.grid_a, "王网格", False)
    assert client.login(username="wang_grid", password=made["password"])
    assert AuditEntry.objects.filter(action=Action.CREATE, subject_kind="user", subject_id="wang_grid").exists()


def test_a_list_creates_the_good_rows_and_says_why_each_bad_one_was_refused(world, tmp_path, capsys, client):
    User.objects.create(username="taken", role=Role.WORKER, org_unit=world.community_b)
    listing = write_xlsx(tmp_path / "网格员名单.xlsx", [
        ["岳麓街道网格员账号申请表"],                                                # a title above the header
        HEADER,
        ["li_a", "李甲", "社區工作者", world.community_a.code, ""],                  # traditional spelling
        ["zhao_b", "+HYPERLINK(\"http://evil.example\",\"点此\")", "worker",
         world.community_b.code.translate(FULL_WIDTH), ""],                          # full-width code
        ["TAKEN", "重名", "网格员", world.community_a.code, ""],                      # refused: taken, other case
        ["li_a", "重复", "网格员", world.community_a.code, ""],                       # refused: row 3 has it
        ["town", "镇干部", "网格员", world.township_a.code, ""],                      # refused: not a community
        ["nobody", "无组织", "网格员", "", ""],                                        # refused: no unit
        ["off", "部门人", "部门填报需求人员", world.township_a.code, "没有这个局"],   # refused: no department
        ["bad name", "空格", "网格员", world.community_a.code, ""],                   # refused: a space
        ["+cmd", "公式", "网格员", world.community_a.code, ""],                       # refused: a formula
        ["cli-operator", "冒名", "网格员", world.community_a.code, ""],               # refused: reserved
        ["boss", "总管", "系统管理员", "", ""],                                        # refused: not allowed here
    ])
    out = tmp_path / "passwords.csv"
    assert main(["user", "import", str(listing), "-o", str(out)]) == 1  # some rows refused
    said = capsys.readouterr().out
    assert "已新建 2 个账号，已存在 0 个，有误 9 行" in said
    for row, reason in ((5, "“taken”已被使用"), (6, "与第 3 行重复"), (7, "应为社区或网格"), (8, "缺少所属组织代码"),
                        (9, "没有名为“没有这个局”的部门"), (10, "只能由字母"), (11, "不能以 = + - @ 开头"),
                        (12, "留给命令行操作员"), (13, "--allow-admins")):
        assert f"第 {row} 行" in said and reason in said, (row, reason)
    listed = ["li_a", "zhao_b", "town", "nobody", "off", "bad name", "+cmd", "boss"]
    assert set(User.objects.filter(username__in=listed).values_list("username", flat=True)) == {"li_a", "zhao_b"}
    operator = User.objects.get(username="cli-operator")  # the command's own account, as it was
    assert (operator.role, operator.org_unit, operator.has_usable_password()) == (Role.ADMIN, None, False)
    assert User.objects.get(username="zhao_b").org_unit == world.community_b
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    with out.open(encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["用户名", "姓名", "角色", "所属组织代码", "所属组织", "初始密码"]
    lines = {r[0]: r for r in rows[1:]}
    assert set(lines) == {"li_a", "zhao_b"}
    assert lines["zhao_b"][1].startswith("'+HYPERLINK")  # shown as text, never run as a formula
    assert lines["li_a"][3] == world.community_a.code
    assert lines["li_a"][4].endswith(f"{world.township_a.name} / {world.community_a.name}")
    assert client.login(username="zhao_b", password=lines["zhao_b"][5])
    # Run again into a new file: nothing is created twice, the two are there already.
    assert main(["user", "import", str(listing), "-o", str(tmp_path / "again.csv")]) == 1
    assert "已新建 0 个账号，已存在 2 个，有误 9 行" in capsys.readouterr().out
    assert not (tmp_path / "again.csv").exists()  # no file of passwords for nobody
    assert main(["user", "import", str(listing), "-o", str(out)]) == 2
    assert "已存在" in capsys.readouterr().err


def test_passwords_that_cannot_be_written_down_create_no_account(world, tmp_path, capsys):
    listing = write_xlsx(tmp_path / "名单.xlsx", [HEADER, ["lost1", "", "网格员", world.community_a.code, ""]])
    assert main(["user", "import", str(listing), "-o", str(tmp_path / "nodir" / "pw.csv")]) == 2
    assert "无法写入" in capsys.readouterr().err
    assert not User.objects.filter(username="lost1").exists()


def test_names_are_compared_as_the_login_reads_them(world, capsys):
    assert main(["user", "add", "ＷＯＲＫＥＲ_Ａ", "--role", "worker", "--org", world.community_a.code]) == 2
    assert "“worker_a”已被使用" in capsys.readouterr().err
    assert main(["user", "add", "аdmin", "--role", "worker", "--org", world.community_a.code]) == 2  # Cyrillic а
    assert "只能由字母、数字、汉字" in capsys.readouterr().err
    assert main(["user", "add", "王网格", "--role", "worker", "--org", world.community_a.code]) == 0


def test_a_list_in_gbk_csv_as_excel_saves_it_and_a_dry_run_creates_nothing(world, tmp_path, capsys):
    listing = tmp_path / "名单.csv"
    listing.write_bytes(f"账号,姓名,角色,单位代码\nchen,陈丙,社区工作者,{world.community_a.code}\n".encode("gbk"))
    assert main(["user", "import", str(listing), "--dry-run", "--json"]) == 0
    said = json.loads(capsys.readouterr().out)
    assert said["created"] == ["chen"] and said["by_role"] == {"社区（网格）工作者": 1}
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
    assert main(["user", "add", "x4", "--role", "审核员", "--org", world.community_a.code]) == 2
    assert "应为区县或街道" in capsys.readouterr().err
    assert not User.objects.filter(username__in=["x1", "x2", "x3", "x4"]).exists()
    # An administrator of every unit made here may use the admin site; a scoped one may not.
    assert main(["user", "add", "root2", "--role", "admin"]) == 0
    assert main(["user", "add", "town_admin", "--role", "admin", "--org", world.township_a.code]) == 0
    capsys.readouterr()
    assert User.objects.get(username="root2").is_staff and not User.objects.get(username="town_admin").is_staff


def test_a_list_without_its_header_or_a_broken_file_is_a_clear_error(world, tmp_path, capsys):
    listing = write_xlsx(tmp_path / "无表头.xlsx", [["li", "李", "网格员", world.community_a.code]])
    assert main(["user", "import", str(listing), "--dry-run"]) == 2
    assert "没有表头" in capsys.readouterr().err
    broken = tmp_path / "坏.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    assert main(["user", "import", str(broken), "--dry-run"]) == 2
    assert "坏.xlsx" in capsys.readouterr().err
    huge = tmp_path / "大.csv"
    huge.write_text("用户名,角色\n" + "x" * 200_000 + ",worker\n", encoding="utf-8")
    assert main(["user", "import", str(huge), "--dry-run"]) == 2
    assert "大.csv" in capsys.readouterr().err


def test_a_workbook_of_several_sheets_says_which_it_read(world, tmp_path, capsys):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "红星"
    book.active.append(HEADER)
    book.active.append(["s1", "", "网格员", world.community_a.code, ""])
    other = book.create_sheet("东塘")
    other.append(HEADER)
    other.append(["s2", "", "网格员", world.community_b.code, ""])
    path = tmp_path / "两张表.xlsx"
    book.save(path)
    assert main(["user", "import", str(path), "--dry-run"]) == 0
    assert "其他工作表（东塘）请用 --sheet" in capsys.readouterr().out
    assert main(["user", "import", str(path), "--dry-run", "--sheet", "东塘", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["created"] == ["s2"]


def test_a_lost_password_is_reset_by_an_administrator_and_changed_by_its_owner(world, client, capsys):
    assert main(["user", "password", "worker_a", "--json"]) == 0
    new = json.loads(capsys.readouterr().out)["password"]
    assert client.login(username="worker_a", password=new)
    page = client.post("/password/", {"old_password": new, "new_password1": "桃花岭-2026-换个密码",
                                      "new_password2": "桃花岭-2026-换个密码"}, follow=True)
    assert "密码已修改" in page.content.decode()
    client.logout()
    assert client.login(username="worker_a", password="桃花岭-2026-换个密码")
    town_admin = User.objects.create(username="town_admin", role=Role.ADMIN, org_unit=world.township_a)
    assert main(["user", "password", "worker_b", "--user", town_admin.username]) == 2
    assert "不在您的管辖范围内" in capsys.readouterr().err
    assert AuditEntry.objects.filter(subject_kind="user", subject_id="worker_a", action=Action.CHANGE).exists()


def test_the_command_speaks_english_when_asked(world, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("YIBIAO_LANGUAGE", "en")
    listing = write_xlsx(tmp_path / "list.xlsx", [["用户名", "角色", "所属组织代码"],
                                                   ["ok_one", "worker", world.community_a.code],
                                                   ["bad one", "worker", world.community_a.code]])
    assert main(["user", "import", str(listing), "--dry-run"]) == 1
    said = capsys.readouterr().out
    assert "1 accounts can be created, 0 exist already, 1 rows have errors." in said
    assert "Row 3, bad one: username “bad one” may hold only letters" in said


def test_a_township_administrator_resets_no_administrator(world, capsys):
    """A superuser given a township later (its flag kept) was taken over through a reset."""
    User.objects.create(username="root_moved", role=Role.ADMIN, org_unit=world.community_a,
                        is_staff=True, is_superuser=True)
    User.objects.create(username="peer", role=Role.ADMIN, org_unit=world.township_a)
    town_admin = User.objects.create(username="town_admin", role=Role.ADMIN, org_unit=world.township_a)
    for name in ("root_moved", "peer", "admin"):
        assert main(["user", "password", name, "--user", town_admin.username]) == 2, name
        assert "不在您的管辖范围内" in capsys.readouterr().err
    assert main(["user", "password", "worker_a", "--user", town_admin.username]) == 0
    assert main(["user", "password", "peer"]) == 0  # an administrator of every unit may


def test_lists_as_people_keep_them_read_and_no_traceback(world, tmp_path, capsys):
    listing = tmp_path / "名单.csv"
    listing.write_text("\n".join([
        "*用户名,真实姓名,角色,组织代码（15位）",
        f"grid1,王一,专职网格员,'{world.community_a.code}",
        f"grid2,王二,网格长,{world.community_a.code}.0",
        "合计 2 人,,,",
        "填表人：张三,,,",
    ]), encoding="utf-8")
    assert main(["user", "import", str(listing), "--dry-run", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["created"] == ["grid1", "grid2"]
    assert main(["user", "import", str(listing), "-o", str(tmp_path / "pw.csv"), "--user", "reviewer"]) == 2
    assert "无权" in capsys.readouterr().err
    assert not (tmp_path / "pw.csv").exists()


def test_the_password_page_refuses_a_phone_number_and_says_the_rules(world, client, capsys):
    assert main(["user", "password", "worker_a", "--json"]) == 0
    old = json.loads(capsys.readouterr().out)["password"]
    client.force_login(User.objects.get(username="worker_a"))
    assert "8" in client.get("/password/").content.decode()  # the rules are on the page
    weak = client.post("/password/", {"old_password": old, "new_password1": "13912345678",
                                      "new_password2": "13912345678"}).content.decode()
    assert 'id="new_password2-error"' in weak and 'id="old_password-error"' not in weak
    assert client.login(username="worker_a", password=old)  # unchanged
