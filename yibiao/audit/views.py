from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from yibiao.accounts import logins, scope
from yibiao.params import BadInput

from . import queries
from .models import Action


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    params = {key: request.GET.get(key, "").strip() for key in
              ("user", "subject", "action", "since", "until")}
    entries = queries.filter_entries(
        queries.visible_entries(request.user), username=params["user"],
        subject=params["subject"], action=params["action"],
        since=_date(params["since"]), until=_date(params["until"]))
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    # The pager's links carry the filters once (not the query string, which holds `page` too).
    filters = urlencode({key: value for key, value in params.items() if value})
    return render(request, "audit/log.html",
                  {"page": page, "params": params, "filters": filters, "actions": Action.choices,
                   "can_unlock": scope.can(request.user, "manage_users")})


@login_required
@require_http_methods(["GET", "POST"])
def locked_logins(request: HttpRequest) -> HttpResponse:
    """Accounts and addresses locked by wrong passwords; an administrator unlocks them here."""
    scope.require(request.user, "manage_users")
    if request.method == "POST":
        try:
            kind = logins.Subject(request.POST.get("kind", ""))
        except ValueError:
            raise BadInput(_("解锁的对象类型不正确。")) from None
        subject = request.POST.get("subject", "").strip()[:logins.MAX_NAME]
        if subject:
            logins.unlock(request.user, kind, subject)
            messages.success(request, _("已解锁：%(subject)s") % {"subject": subject})
        return redirect("audit:locked")
    return render(request, "audit/locked.html", {"locks": logins.current_locks()})
