"""`yibiao token create`: a key for a department's system to pull admitted data."""

from __future__ import annotations

import argparse

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
