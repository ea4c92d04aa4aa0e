from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

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
    return render(request, "audit/log.html",
                  {"page": page, "params": params, "actions": Action.choices})
