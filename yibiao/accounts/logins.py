"""Logins: throttled by django-axes, every attempt audited.

django-axes counts wrong passwords per account and per address and refuses logins for a
cool-off period (AXES_* in settings, from YIBIAO_LOGIN_FAILURES and
YIBIAO_LOGIN_COOLOFF_MINUTES). This module gives axes what it asks of the project — the
client's address and the page shown when locked out — and writes the audit entries from
the signals Django's authentication and axes send when they act.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from yibiao.audit.log import record
from yibiao.audit.models import Action

# Usernames are at most 150 characters; longer typed text is noise, not a name to keep.
MAX_NAME = 150


def client_ip(request: HttpRequest) -> str | None:
    """The address a request came from: REMOTE_ADDR, or the one our proxies appended.

    X-Forwarded-For is trusted only as far as YIBIAO_PROXY_COUNT proxies wrote it: each
    appends the address it saw, so the client's is that many entries from the right;
    anything further left was written by the client and may be forged. None when there
    is no valid address (a request built in code): axes then counts by account only.
    """
    proxies = settings.YIBIAO_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    candidates = []
    if proxies > 0 and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            candidates.append(hops[-proxies])
    candidates.append(request.META.get("REMOTE_ADDR", ""))
    for candidate in candidates:
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return None


def attempted_username(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """The account name a login tried, cut to what an account name can be.

    axes keeps it in a 255-character column: a longer name typed into the login form was a
    database error (a 500) on PostgreSQL. No account is longer than MAX_NAME anyway.
    """
    if credentials:
        name = credentials.get("username")
    else:
        name = getattr(request, "data", request.POST).get("username")
    return None if name is None else str(name)[:MAX_NAME]


def cool_off_minutes() -> int:
    return max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))


def lockout_message() -> str:
    return _("登录失败次数过多，该账号或本机已被暂时锁定。请 %(minutes)s 分钟后再试；"
             "锁定期间每次尝试都会重新计时。如需立即解锁，请联系系统管理员。") % {
        "minutes": cool_off_minutes()}


def locked_out(request: HttpRequest, original_response: HttpResponse | None = None,
               credentials: dict | None = None) -> HttpResponse:
    """What axes shows instead of the login form's answer: the login page, saying why."""
    return render(request, "registration/login.html", {
        "form": AuthenticationForm(request), "locked_out": lockout_message(),
        "next": request.POST.get("next", "") or request.GET.get("next", ""),
    }, status=429)


def _where(request: HttpRequest | None) -> dict[str, str]:
    if request is None:
        return {"ip": "", "path": ""}
    return {"ip": client_ip(request) or "", "path": request.path[:500]}


def _account_unit(username: str) -> str:
    """The org code of the account a login named, so its county's reviewers see the attempts."""
    from .models import User

    account = User.objects.filter(username=username).select_related("org_unit").first()
    return account.org_unit.code if account and account.org_unit_id else ""


@receiver(user_login_failed, dispatch_uid="yibiao.audit_login_failed")
def audit_login_failed(sender: Any, credentials: dict, request: HttpRequest | None = None,
                       **kwargs: Any) -> None:
    """One entry per wrong password; attempts that lock or meet a lock are LOCKOUT entries."""
    if getattr(request, "axes_locked_out", False):
        return  # axes, whose receiver runs first, has just sent user_locked_out for this one
    username = str(credentials.get("username") or "")[:MAX_NAME]
    record(None, Action.LOGIN_FAILED, actor_name=username or "anonymous", subject_kind="user",
           subject_id=username[:64], org_code=_account_unit(username),
           reason=_("账号或密码不正确"), failures=getattr(request, "axes_failures_since_start", None),
           **_where(request))


@receiver(user_logged_in, dispatch_uid="yibiao.audit_login")
def audit_logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    record(user, Action.LOGIN, subject_kind="user", subject_id=user.username,
           org_code=user.org_unit.code if user.org_unit_id else "", **_where(request))


def audit_lockout(sender: Any, request: HttpRequest | None = None, username: str | None = None,
                  ip_address: str | None = None, **kwargs: Any) -> None:
    """The attempt that reached the limit, and every attempt refused while locked."""
    name = str(username or "")[:MAX_NAME]
    failures = getattr(request, "axes_failures_since_start", None)
    record(None, Action.LOCKOUT, actor_name=name or "anonymous", subject_kind="user",
           subject_id=name[:64], org_code=_account_unit(name),
           reason=_("连续登录失败 %(n)s 次，锁定 %(minutes)s 分钟") % {
               "n": failures or settings.AXES_FAILURE_LIMIT, "minutes": cool_off_minutes()},
           failures=failures, **_where(request))


def connect_lockout_signal() -> None:
    """axes's own signal, connected once the apps are loaded (AccountsConfig.ready)."""
    from axes.signals import user_locked_out

    user_locked_out.connect(audit_lockout, dispatch_uid="yibiao.audit_lockout")
