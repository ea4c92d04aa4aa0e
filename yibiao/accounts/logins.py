"""Logins: throttled by django-axes, every attempt audited.

Two limits, so one colleague's typos never lock a whole office behind one address:
an account is locked after AXES_FAILURE_LIMIT (YIBIAO_LOGIN_FAILURES) wrong passwords from
anywhere — password guessing spread over many addresses — and an address after the higher
YIBIAO_LOGIN_FAILURES_PER_ADDRESS, whichever accounts it tried — spraying from one place.
axes compares one count with one limit, so `LoginHandler` (axes' database handler, its
attempt records untouched) reports the account's count and counts an address over its own
limit as at the account limit. Tries during a lock are refused but not recorded, so they
do not restart the wait (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False).

This module also gives axes what it asks of the project — the client's address and the
page shown when locked out — and writes the audit entries from the signals Django's
authentication and axes send when they act.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import formats, timezone
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


class Subject(StrEnum):
    """What a lock holds: one account, or one address (every account tried from it)."""

    ACCOUNT = "user"  # the audit log's subject kind for accounts
    ADDRESS = "address"


def _limit(kind: Subject) -> int:
    return (settings.AXES_FAILURE_LIMIT if kind == Subject.ACCOUNT
            else settings.YIBIAO_LOGIN_FAILURES_PER_ADDRESS)


@dataclass(frozen=True)
class Lock:
    kind: Subject
    subject: str  # the account name or the address
    failures: int  # failures of this subject within the cool-off
    until: datetime  # when a login may be tried again

    def describe(self) -> str:
        """Who is locked, for the login page and the audit log."""
        if self.kind == Subject.ACCOUNT:
            return _("账号 %(name)s 登录失败 %(n)s 次") % {"name": self.subject, "n": self.failures}
        return _("地址 %(ip)s 登录失败 %(n)s 次（各账号合计）") % {"ip": self.subject, "n": self.failures}


def _recent(kind: Subject, subject: str | None, at: datetime) -> list[tuple[datetime, int]]:
    """(last failure, failures) of axes' attempt records for a subject, newest first."""
    if not subject:
        return []
    field = "username" if kind == Subject.ACCOUNT else "ip_address"
    rows = AccessAttempt.objects.filter(**{field: subject},
                                        attempt_time__gte=at - settings.AXES_COOLOFF_TIME)
    return list(rows.order_by("-attempt_time").values_list("attempt_time", "failures_since_start"))


def failures(kind: Subject, subject: str | None, at: datetime | None = None) -> int:
    return sum(n for _when, n in _recent(kind, subject, at or timezone.now()))


def lock_of(kind: Subject, subject: str | None, at: datetime | None = None) -> Lock | None:
    """The lock on an account or address at a time, or None.

    axes keeps one record per account, address and browser, holding its count and last
    failure; each record leaves the count a cool-off after its last failure. The lock lifts
    once the records still counted fall below the limit: a cool-off after the last failure of
    the newest records that reach the limit.
    """
    at = at or timezone.now()
    rows = _recent(kind, subject, at)
    total, limit = sum(n for _when, n in rows), _limit(kind)
    if total < limit:
        return None
    seen = 0
    for when, n in rows:
        seen += n
        if seen >= limit:
            return Lock(kind, str(subject), total, when + settings.AXES_COOLOFF_TIME)
    raise AssertionError("unreachable: the rows reach the limit")


def lock_for(username: str | None, ip: str | None, at: datetime | None = None) -> Lock | None:
    """What refuses a login of this account from this address: the account's lock first."""
    return lock_of(Subject.ACCOUNT, username, at) or lock_of(Subject.ADDRESS, ip, at)


def tries_left(username: str | None, ip: str | None) -> int:
    """Wrong passwords this account may still type from this address before a lock."""
    now = timezone.now()
    return min(_limit(kind) - failures(kind, subject, now) for kind, subject in
               ((Subject.ACCOUNT, username), (Subject.ADDRESS, ip)))


def current_locks(at: datetime | None = None) -> list[Lock]:
    """Every account and address locked now, for the administrators' unlock page."""
    at = at or timezone.now()
    recent = AccessAttempt.objects.filter(attempt_time__gte=at - settings.AXES_COOLOFF_TIME)
    found = []
    for kind, field in ((Subject.ACCOUNT, "username"), (Subject.ADDRESS, "ip_address")):
        over = (recent.exclude(**{f"{field}__isnull": True}).values(field)
                .annotate(n=Sum("failures_since_start")).filter(n__gte=_limit(kind)))
        found += [lock for row in over if (lock := lock_of(kind, row[field], at))]
    return found


def unlock(actor: Any, kind: Subject, subject: str) -> int:
    """Clear an account's or an address's failures at once (an administrator's act, audited)."""
    from . import scope

    scope.require(actor, "manage_users")
    lock = lock_of(kind, subject)
    field = "username" if kind == Subject.ACCOUNT else "ip_address"
    removed, _detail = AccessAttempt.objects.filter(**{field: subject}).delete()
    record(actor, Action.UNLOCK, subject_kind=kind.value, subject_id=subject[:64],
           org_code=_account_unit(subject) if kind == Subject.ACCOUNT else "",
           reason=lock.describe() if lock else _("未锁定"), attempts=removed)
    return removed


class LoginHandler(AxesDatabaseHandler):
    """axes' database handler with a limit per account and a higher one per address."""

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        """The account's failures; an address over its own limit counts as the account limit.

        axes locks when this reaches AXES_FAILURE_LIMIT, both before a login is tried and
        after each failure, so this one number carries both limits.
        """
        at = getattr(request, "axes_attempt_time", None) or timezone.now()
        username = attempted_username(request, credentials)
        account = failures(Subject.ACCOUNT, username, at)
        if failures(Subject.ADDRESS, getattr(request, "axes_ip_address", None), at) >= \
                settings.YIBIAO_LOGIN_FAILURES_PER_ADDRESS:
            return max(account, settings.AXES_FAILURE_LIMIT)
        return account

    def reset_user_attempts(self, request: HttpRequest, credentials: dict | None = None) -> int:
        """A right password clears that account's failures only.

        axes would also clear its address's: one colleague logging in would unlock another,
        and a sprayer holding one real account would reset the address count at will.
        """
        username = attempted_username(request, credentials)
        removed, _detail = AccessAttempt.objects.filter(username=username).delete()
        return removed


def _when(moment: datetime) -> str:
    return formats.time_format(timezone.localtime(moment), "H:i")


def lockout_message(lock: Lock | None) -> str:
    if lock is None:  # a lock lifted between axes' check and this page
        return _("登录失败次数过多，请稍后再试。")
    minutes = max(1, math.ceil((lock.until - timezone.now()).total_seconds() / 60))
    what = (_("该账号已被暂时锁定") if lock.kind == Subject.ACCOUNT
            else _("本机所在地址已被暂时锁定（同一地址的所有账号均无法登录）"))
    return _("%(failures)s，%(what)s。请 %(minutes)s 分钟后（%(until)s 以后）再试；"
             "锁定期间的尝试不会延长等待。如需立即解锁，请联系系统管理员。") % {
        "failures": lock.describe(), "what": what, "minutes": minutes, "until": _when(lock.until)}


def locked_out(request: HttpRequest, original_response: HttpResponse | None = None,
               credentials: dict | None = None) -> HttpResponse:
    """What axes shows instead of the login form's answer: the login page, saying why."""
    lock = lock_for(attempted_username(request, credentials), client_ip(request))
    return render(request, "registration/login.html", {
        "form": AuthenticationForm(request), "locked_out": lockout_message(lock),
        "next": request.POST.get("next", "") or request.GET.get("next", ""),
    }, status=429)


class LoginForm(AuthenticationForm):
    """Django's login form; a wrong password close to a lock says how many tries remain."""

    tries_left: int | None = None

    def clean(self) -> dict:
        try:
            return super().clean()
        except ValidationError:
            left = tries_left(attempted_username(self.request), client_ip(self.request))
            if 0 < left <= 2:
                self.tries_left = left
            raise


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
           reason=_("账号或密码不正确"), failures=failures(Subject.ACCOUNT, username),
           address_failures=failures(Subject.ADDRESS, client_ip(request) if request else None),
           **_where(request))


@receiver(user_logged_in, dispatch_uid="yibiao.audit_login")
def audit_logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    record(user, Action.LOGIN, subject_kind="user", subject_id=user.username,
           org_code=user.org_unit.code if user.org_unit_id else "", **_where(request))


def audit_lockout(sender: Any, request: HttpRequest | None = None, username: str | None = None,
                  ip_address: str | None = None, **kwargs: Any) -> None:
    """The attempt that reached a limit, and every attempt refused while locked.

    The entry's subject is what is locked — the account, or the address when the address
    limit refused an account that itself is not locked — with that subject's failures.
    """
    name = str(username or "")[:MAX_NAME]
    lock = lock_for(name, ip_address)
    # axes sets the count only on an attempt it recorded: the one that reached the limit.
    reached = getattr(request, "axes_failures_since_start", None) is not None
    if lock is None:
        kind, subject, reason = Subject.ACCOUNT, name, _("登录失败次数过多")
    else:
        kind, subject = lock.kind, lock.subject
        reason = (_("%(who)s，锁定至 %(until)s") if reached
                  else _("锁定期间的登录被拒绝：%(who)s，锁定至 %(until)s")) % {
            "who": lock.describe(), "until": _when(lock.until)}
    record(None, Action.LOCKOUT, actor_name=name or "anonymous", subject_kind=kind.value,
           subject_id=subject[:64], org_code=_account_unit(name) if kind == Subject.ACCOUNT else "",
           reason=reason, failures=lock.failures if lock else None, locked=kind.value,
           until=lock.until.isoformat() if lock else None, **_where(request))


def connect_lockout_signal() -> None:
    """axes's own signal, connected once the apps are loaded (AccountsConfig.ready)."""
    from axes.signals import user_locked_out

    user_locked_out.connect(audit_lockout, dispatch_uid="yibiao.audit_lockout")
