"""The `yibiao` command.

Each part of the product registers its subcommands from its own `commands.py`; every
subcommand calls the same domain function the web view calls. Django is set up once,
lazily, so `yibiao --help` is instant and `template inspect` can run many files in one
process.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence

# Modules whose `register(subparsers)` adds subcommands, in the order --help lists them.
COMMAND_MODULES = [
    "yibiao.core_commands",
    "yibiao.ledger.commands",
    "yibiao.admission.commands",
    "yibiao.accounts.commands",
    "yibiao.burden.commands",
    "yibiao.reports.commands",
    "yibiao.intake.commands",
    "yibiao.workload.commands",
]


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yibiao.settings")
    import django

    django.setup()


class CommandError(Exception):
    """A user-facing failure: printed without a traceback, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="yibiao",
        description="一表通：社区数据一次采集，各部门报表从同一张表生成。",
    )
    parser.add_argument("--version", action="version", version=_version())
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def _version() -> str:
    from yibiao import __version__

    return f"yibiao {__version__}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int | None] = args.handler
    try:
        return handler(args) or 0
    except CommandError as error:
        _audit_refusal(args, error)
        print(f"错误：{error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _audit_refusal(args: argparse.Namespace, error: CommandError) -> None:
    """A command refused by the scope module is audited as the web's 403 is: who, which
    command (its name, never its arguments, which may carry ID numbers) and why."""
    from django.core.exceptions import PermissionDenied

    refusal = error.__cause__ or error.__context__
    if not isinstance(refusal, PermissionDenied):
        return
    from yibiao.accounts.operators import UnknownUser, cli_user
    from yibiao.audit.log import record
    from yibiao.audit.models import Action

    try:
        user = cli_user(getattr(args, "user", None))
    except UnknownUser:
        return
    command = getattr(args.handler, "__name__", "").removeprefix("cmd_")
    record(user, Action.DENIED, subject_kind="command", subject_id=command[:64],
           org_code=getattr(user.org_unit, "code", "") if user.org_unit_id else "",
           reason=str(refusal)[:300], command=command)


if __name__ == "__main__":
    # `python -m yibiao.cli`: run the imported module's main, so the CommandError the commands
    # raise (yibiao.cli's) is the one caught, not a second class defined in __main__.
    from yibiao.cli import main as _main

    sys.exit(_main())
