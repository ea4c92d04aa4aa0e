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
    "yibiao.gate.commands",
    "yibiao.accounts.commands",
    "yibiao.burden.commands",
    "yibiao.reports.commands",
    "yibiao.intake.commands",
    "yibiao.agenda.commands",
    "yibiao.slipped.commands",
]


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yibiao.settings")
    import django

    django.setup()
    from django.utils import translation

    language = cli_language()
    if language:
        translation.activate(language)
    else:  # the settings' language, not one an earlier command in this process spoke
        translation.deactivate()


def cli_language() -> str | None:
    """The language the command speaks: YIBIAO_LANGUAGE, else GNU gettext's LANGUAGE (its
    first entry), as `zh-hans`, `zh-hant` or `en`; None (the settings' Simplified Chinese)
    when neither is set. LANG/LC_ALL are not read: servers often run with en_US.UTF-8 for
    an operator who reads Chinese."""
    from yibiao.refusals import language_of

    raw = os.environ.get("YIBIAO_LANGUAGE") or os.environ.get("LANGUAGE", "").split(":")[0]
    raw = raw.split(".")[0].strip()
    if not raw or raw in ("C", "POSIX"):
        return None
    return language_of(raw)


class CommandError(Exception):
    """A user-facing failure: printed without a traceback, exit code 2. `code` names it in
    `--json` output (a refusal's own code when it was raised from a Refusal)."""

    def __init__(self, message: str = "", *, code: str = "command_error") -> None:
        super().__init__(message)
        self.code = code


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
    from yibiao.refusals import Refusal

    try:
        return handler(args) or 0
    except CommandError as error:
        _audit_refusal(args, error)
        cause = error.__cause__ or error.__context__
        if isinstance(cause, Refusal):  # a command that still wraps the domain's refusal
            _print_refusal(args, cause)
        else:
            _print_error(args, error.code, str(error))
        return 2
    except Refusal as refusal:  # the domain's refusals are caught here, once for every command
        if refusal.code in UNSEEN:
            _audit_refusal(args, refusal)
        _print_refusal(args, refusal)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `yibiao … | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 141


# Refusals of something the user named and may not see (or that does not exist: the same
# answer); audited as the web's 403 is, since a wrong number is how one probes for others'.
# (Not no_such_resident: its message carries the ID number typed, which no audit entry keeps.)
UNSEEN = {"no_such_request", "no_such_item"}

ERROR_PREFIX = {"zh-hans": ("错误：", "不予受理："), "zh-hant": ("錯誤：", "不予受理："),
                "en": ("Error: ", "refused:")}


def _print_refusal(args: argparse.Namespace, refusal: Exception) -> None:
    from yibiao.refusals import Refusal, language_of

    assert isinstance(refusal, Refusal)
    reasons = refusal.reasons
    if len(reasons) > 1 and not getattr(args, "json", False):
        refused = ERROR_PREFIX[language_of()][1]
        _print_error(args, refusal.code, refused + "".join(f"\n  - {r}" for r in reasons))
    else:
        _print_error(args, refusal.code, refusal.message)


def _print_error(args: argparse.Namespace, code: str, message: str) -> None:
    """The message on stderr, for people; `--json` commands also answer
    {"error": {"code", "message"}} on stdout, for the program that reads their output."""
    if getattr(args, "json", False):
        import json

        print(json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False))
    from yibiao.refusals import language_of

    print(f"{ERROR_PREFIX[language_of()][0]}{message}", file=sys.stderr)


def _audit_refusal(args: argparse.Namespace, error: Exception) -> None:
    """A command refused by the scope module, or pointed at what the user may not see, is
    audited as the web's 403 is: who, which command (its name, never its arguments, which
    may carry ID numbers) and why."""
    from django.core.exceptions import PermissionDenied

    from yibiao.refusals import Refusal

    refusal = error if isinstance(error, Refusal) else (error.__cause__ or error.__context__)
    if not isinstance(refusal, PermissionDenied) and refusal is not error:
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
