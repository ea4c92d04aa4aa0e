"""Who a command-line invocation acts as.

Commands that read or change the ledger act as a user, like the web, so scope checks and
audit entries are the same on both paths: `--user NAME`, else YIBIAO_USER, else the local
operator account `cli-operator`. Whoever can run the command on the server already holds
the database; the operator account makes that explicit and audited instead of anonymous.
It has no usable password, so it can never log in to the web.
"""

from __future__ import annotations

import os

from yibiao.cli import CommandError

from .models import Role, User

OPERATOR = "cli-operator"


class UnknownUser(CommandError, LookupError):
    """The named account does not exist or is disabled.

    A CommandError, so every command that calls `cli_user` prints it without a traceback.
    """


def cli_user(username: str | None = None) -> User:
    """The account a command acts as; the operator account is created on first use."""
    username = (username or os.environ.get("YIBIAO_USER") or "").strip() or OPERATOR
    if username != OPERATOR:
        user = User.objects.select_related("org_unit").filter(username=username).first()
        if user is None or not user.is_active:
            raise UnknownUser(f"账号“{username}”不存在或已停用。")
        return user
    user, created = User.objects.select_related("org_unit").get_or_create(
        username=OPERATOR,
        defaults={"role": Role.ADMIN, "display_name": "本机命令行操作员", "org_unit": None},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    # A disabled or re-scoped operator account is respected: scope.py decides from it.
    return user
