"""`yibiao token create`: a key for a department's system to pull admitted data.
`yibiao user add` / `yibiao user import`: accounts, one or a whole list (accounts.provisioning)."""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
from pathlib import Path

from django.utils.translation import gettext as _

from yibiao.cli import CommandError, setup_django
from yibiao.refusals import Refusal


def register(subparsers: argparse._SubParsersAction) -> None:
    token = subparsers.add_parser("token", help="数据接口令牌")
    sub = token.add_subparsers(dest="token_command", metavar="SUBCOMMAND", required=True)
    create = sub.add_parser("create", help="为部门账号签发接口令牌（只显示一次）")
    create.add_argument("--for", dest="owner", required=True, help="部门账号的用户名")
    create.add_argument("--name", required=True, help="用途，如“卫健委随访系统”")
    create.add_argument("--user", default=None, help="以哪个管理员账号签发")
    create.set_defaults(handler=cmd_create)

    user = subparsers.add_parser("user", help="账号：新建一个，按名单批量新建，重设密码")
    sub = user.add_subparsers(dest="user_command", metavar="SUBCOMMAND", required=True)
    add = sub.add_parser("add", help="新建一个账号，显示一次生成的密码")
    add.add_argument("username", help="用户名（登录名）")
    add.add_argument("--role", required=True,
                     help="worker|officer|reviewer|admin，或 社区工作者（网格员）、部门填报需求人员、减负办审核员、系统管理员")
    add.add_argument("--org", default="", help="所属组织代码：社区工作者为社区或网格，部门人员和审核员为区县或街道")
    add.add_argument("--department", default="", help="部门名称或简称（部门填报需求人员必填）")
    add.add_argument("--name", default="", help="姓名")
    add.add_argument("--json", action="store_true")
    add.add_argument("--user", default=None, help="以哪个管理员账号新建")
    add.set_defaults(handler=cmd_user_add)
    load = sub.add_parser("import", help="按名单（.xlsx 或 .csv）批量新建账号，密码写入 -o 文件")
    load.add_argument("file", help="名单：表头 用户名、姓名、角色、所属组织代码、部门")
    load.add_argument("-o", "--output", default=None, help="生成的密码写入此 .csv（仅本人可读；已存在则不覆盖）")
    load.add_argument("--sheet", default=None, help="工作表名（默认第一张）")
    load.add_argument("--allow-admins", action="store_true", help="允许名单中有系统管理员")
    load.add_argument("--dry-run", action="store_true", help="只检查，不新建")
    load.add_argument("--json", action="store_true")
    load.add_argument("--user", default=None, help="以哪个管理员账号新建")
    load.set_defaults(handler=cmd_user_import)
    reset = sub.add_parser("password", help="为账号生成新密码（显示一次），如忘记密码")
    reset.add_argument("username")
    reset.add_argument("--json", action="store_true")
    reset.add_argument("--user", default=None, help="以哪个管理员账号操作")
    reset.set_defaults(handler=cmd_user_password)


def cmd_create(args: argparse.Namespace) -> int:
    setup_django()
    from yibiao.accounts import scope, tokens
    from yibiao.accounts.models import User
    from yibiao.accounts.operators import cli_user

    owner = User.objects.filter(username=args.owner).first()
    if owner is None:
        raise Refusal("no_such_account", name=args.owner)
    try:
        key = tokens.issue(cli_user(args.user), owner, args.name)
    except scope.OutOfScope as error:
        raise CommandError(str(error)) from None
    print(key)
    return 0


def cmd_user_add(args: argparse.Namespace) -> int:
    setup_django()
    from yibiao.accounts import scope
    from yibiao.accounts.operators import cli_user
    from yibiao.accounts.provisioning import AccountSpec, create_accounts

    try:
        done = create_accounts(cli_user(args.user), [AccountSpec(args.username, args.role, args.org,
                                                                  args.department, args.name)],
                               allow_admins=True)
    except scope.OutOfScope as error:
        raise CommandError(str(error)) from None
    if done.refused:
        raise CommandError(done.refused[0].message, code="account_refused")
    if done.existing:
        raise CommandError(_("账号 %(name)s 已存在") % {"name": done.existing[0].username}, code="account_exists")
    account, password = done.created[0]
    if args.json:
        print(json.dumps({"username": account.username, "role": account.role, "password": password,
                          "org": account.org_unit.code if account.org_unit else None}, ensure_ascii=False))
    else:
        print(_("已新建账号 %(name)s（%(role)s%(unit)s）。密码（只显示这一次）：%(password)s")
              % {"name": account.username, "role": account.get_role_display(),
                 "unit": "，" + account.org_unit.name if account.org_unit else "", "password": password})
    return 0


def cmd_user_password(args: argparse.Namespace) -> int:
    setup_django()
    from yibiao.accounts import scope
    from yibiao.accounts.operators import cli_user
    from yibiao.accounts.provisioning import reset_password

    try:
        account, password = reset_password(cli_user(args.user), args.username)
    except scope.OutOfScope as error:
        raise CommandError(str(error)) from None
    if args.json:
        print(json.dumps({"username": account.username, "password": password}, ensure_ascii=False))
    else:
        print(_("账号 %(name)s 的新密码（只显示这一次）：%(password)s") % {"name": account.username,
                                                                 "password": password})
    return 0


def cmd_user_import(args: argparse.Namespace) -> int:
    setup_django()
    from django.db import IntegrityError

    from yibiao.accounts import scope
    from yibiao.accounts.operators import cli_user
    from yibiao.accounts.provisioning import create_accounts, specs_from_rows

    out = Path(args.output) if args.output else None
    if out is None and not args.dry_run:
        raise CommandError(_("请用 -o 指定写入生成密码的文件（或 --dry-run 只检查）"), code="output_required")
    rows, note = _table_rows(Path(args.file), args.sheet)
    try:
        specs = specs_from_rows(rows)
    except ValueError as error:
        raise CommandError(f"{Path(args.file).name}: {error}", code="account_list") from None
    actor = cli_user(args.user)
    try:
        scope.require(actor, "manage_users")
    except scope.OutOfScope as error:
        raise CommandError(str(error)) from None
    handle = None
    if out is not None and not args.dry_run:
        # Opened before any account is made, and only as a new file: accounts whose
        # passwords could not be written down would be accounts nobody can use.
        try:
            handle = os.fdopen(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600),
                               "w", encoding="utf-8-sig", newline="")
        except FileExistsError:
            raise CommandError(_("%(file)s 已存在：不覆盖（密码只生成一次）") % {"file": out},
                               code="output_exists") from None
        except OSError as error:
            raise CommandError(_("无法写入 %(file)s：%(reason)s") % {"file": out, "reason": error.strerror},
                               code="output_unwritable") from None

    def write_down(done: object) -> None:
        writer = csv.writer(handle)
        writer.writerow([_("用户名"), _("姓名"), _("角色"), _("所属组织代码"), _("所属组织"), _("初始密码")])
        for account, password in done.created:
            unit = account.org_unit
            writer.writerow([_cell(v) for v in (account.username, account.display_name, account.get_role_display(),
                                                 unit.code if unit else "", _unit_path(unit), password)])
        handle.flush()
        os.fsync(handle.fileno())

    def progress(done: int, total: int) -> None:
        print(_("正在新建账号：%(done)s / %(total)s") % {"done": done, "total": total}, file=sys.stderr, flush=True)

    try:
        done = create_accounts(actor, specs, dry_run=args.dry_run, allow_admins=args.allow_admins,
                               before_commit=write_down if handle is not None else None, progress=progress)
    except BaseException as error:
        if handle is not None:
            handle.close()
            out.unlink(missing_ok=True)  # nothing was created: no file of passwords for nobody
        if isinstance(error, OSError):
            raise CommandError(_("无法写入 %(file)s：%(reason)s；没有新建任何账号") % {
                "file": out, "reason": error.strerror}, code="output_unwritable") from None
        if isinstance(error, IntegrityError):
            raise CommandError(_("就在此时另一项操作新建了名单中的账号：没有新建任何账号，请再运行一次"),
                               code="written_meanwhile") from None
        raise
    if handle is not None:
        handle.close()
        if not done.created:
            out.unlink(missing_ok=True)
    if args.json:
        print(json.dumps({"dry_run": args.dry_run, "created": [a.username for a, _p in done.created],
                          "existing": [a.username for a in done.existing], "by_role": done.by_role(),
                          "refused": [{"row": r.row, "username": r.username, "message": r.message}
                                      for r in done.refused]}, ensure_ascii=False, indent=2))
    else:
        if note:
            print(note)
        counts = {"created": len(done.created), "existing": len(done.existing), "refused": len(done.refused)}
        print((_("可以新建 %(created)s 个账号，已存在 %(existing)s 个，有误 %(refused)s 行") if args.dry_run
               else _("已新建 %(created)s 个账号，已存在 %(existing)s 个，有误 %(refused)s 行")) % counts
              + (_("；密码已写入 %(file)s（仅本人可读），请分发后删除") % {"file": out}
                 if out is not None and done.created and not args.dry_run else "") + _("。"))
        if done.created:
            print("  " + "，".join(f"{role} {n}" for role, n in done.by_role().items()))
        for refused in done.refused:
            print("  " + _("第 %(row)s 行 %(name)s：%(reason)s") % {
                "row": refused.row, "name": _printable(refused.username), "reason": refused.message})
    return 1 if done.refused else 0


def _cell(value: str) -> str:
    """A value as a spreadsheet shows it, never as a formula it would run (=HYPERLINK(…)
    next to a password sends it away)."""
    from yibiao.accounts.provisioning import FORMULA_START

    return "'" + value if value.startswith(FORMULA_START) else value


def _unit_path(unit: object) -> str:
    """岳麓街道 / 红星社区 / 第一网格: every community has a 第一网格."""
    names = []
    while unit is not None and len(names) < 4:
        names.append(unit.name)
        unit = unit.parent
    return " / ".join(reversed(names))


def _printable(text: str) -> str:
    from yibiao.accounts.provisioning import _shown

    return _shown(text)


MAX_LIST_BYTES = 10 * 1024 * 1024


def _table_rows(path: Path, sheet: str | None) -> tuple[list[list[object]], str]:
    """The rows of an account list, and a note when a workbook has other sheets: .csv
    (UTF-8, or GB18030 as Excel saves it in China) or a spreadsheet through the checked
    reader."""
    if not path.is_file():
        raise Refusal("no_such_file", path=str(path))
    if path.suffix.lower() == ".csv":
        if path.stat().st_size > MAX_LIST_BYTES:
            raise CommandError(_("%(file)s 超过 10 MB") % {"file": path.name}, code="too_big")
        raw = path.read_bytes()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise CommandError(_("%(file)s 不是 UTF-8 或 GBK 编码的文本") % {"file": path.name}, code="bad_encoding")
        try:
            return list(csv.reader(io.StringIO(text.replace("\x00", "")))), ""
        except csv.Error as error:
            raise CommandError(f"{path.name}: {error}", code="corrupt") from None
    from yibiao.sheets import SheetError
    from yibiao.sheets.reader import open_rows

    try:
        stream = open_rows(path, sheet)
        rows = list(stream.rows)
    except SheetError as error:
        raise CommandError(error.message, code=error.code) from None
    others = [name for name in stream.sheet_names if name != stream.name]
    note = (_("只读了工作表“%(sheet)s”；其他工作表（%(others)s）请用 --sheet 分别导入")
            % {"sheet": stream.name, "others": "、".join(others)}) if others and sheet is None else ""
    return rows, note
