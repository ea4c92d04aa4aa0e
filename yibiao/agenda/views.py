"""The joint calendar's pages: a unit's month, its week, and its iCalendar feed."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from yibiao.accounts import scope
from yibiao.params import date_param, month_param

from . import agenda


def _home_code(user: object) -> str:
    first = scope.home_unit(user)
    if first is None:
        raise Http404(_("没有可显示的组织：您的账号还没有所属组织，请联系系统管理员。"))
    return first.code


@login_required
def calendar_home(request: HttpRequest) -> HttpResponse:
    """The calendar of the unit picked (?org=), or of the user's own unit."""
    if request.GET.get("org"):
        return redirect("agenda:month", code=scope.get_picked_org_unit(request.user, request.GET["org"]).code)
    return redirect("agenda:month", code=_home_code(request.user))


def _calendar_context(request: HttpRequest, code: str) -> dict:
    unit = scope.get_visible_org_unit(request.user, code)
    return {"unit": unit, "today": timezone.localdate(),
            }


@login_required
def calendar_month(request: HttpRequest, code: str) -> HttpResponse:
    context = _calendar_context(request, code)
    year, month = month_param(request.GET, "month", (context["today"].year, context["today"].month))
    first = dt.date(year, month, 1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    found = agenda.events(request.user, context["unit"], first - dt.timedelta(days=7),
                          last + dt.timedelta(days=7))
    return render(request, "agenda/calendar_month.html", context | {
        "weeks": agenda.month_grid(found, year, month, context["today"]), "first": first,
        "events": [e for e in found if e.start <= last and e.end >= first],
        "previous": (first - dt.timedelta(days=1)).strftime("%Y-%m"),
        "next": (last + dt.timedelta(days=1)).strftime("%Y-%m")})


@login_required
def calendar_week(request: HttpRequest, code: str) -> HttpResponse:
    context = _calendar_context(request, code)
    day = date_param(request.GET, "date", context["today"])
    monday = day - dt.timedelta(days=day.weekday())
    found = agenda.events(request.user, context["unit"], monday, monday + dt.timedelta(days=6))
    return render(request, "agenda/calendar_week.html", context | {
        "days": agenda.week_days(found, monday, context["today"]), "monday": monday,
        "sunday": monday + dt.timedelta(days=6),
        "previous": (monday - dt.timedelta(days=7)).isoformat(),
        "next": (monday + dt.timedelta(days=7)).isoformat()})


@login_required
def calendar_ics(request: HttpRequest, code: str) -> HttpResponse:
    unit = scope.get_visible_org_unit(request.user, code)
    today = timezone.localdate()
    found = agenda.events(request.user, unit, today - dt.timedelta(days=31), today + dt.timedelta(days=366))
    body = agenda.to_ics(unit, found, timezone.now(), request.build_absolute_uri("/").rstrip("/"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="yibiao-{unit.code}.ics"'
    return response
