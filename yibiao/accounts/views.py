from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import scope


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    units = scope.visible_org_units(user)
    unit = user.org_unit
    children = unit.children.all()[:200] if unit else units.filter(level="province")
    from yibiao.ledger.transfers import incoming
    from yibiao.workload.inbox import inbox_items

    return render(request, "home.html", {
        "unit": unit, "children": children, "inbox": inbox_items(user)[:50],
        "transfers_waiting": incoming(user).count() if scope.can(user, "edit_ledger") else 0,
    })


@login_required
def org_unit_page(request: HttpRequest, code: str) -> HttpResponse:
    unit = scope.get_visible_org_unit(request.user, code)
    return render(
        request,
        "org_unit.html",
        {"unit": unit, "children": unit.children.all()[:500], "ancestors": unit.ancestors()},
    )
