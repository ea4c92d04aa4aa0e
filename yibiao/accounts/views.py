from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from yibiao.orgunits.search import LEVELS, picker_text, search_units
from yibiao.replica import reads_may_lag

from . import scope


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    units = scope.visible_org_units(user)
    unit = user.org_unit
    children = unit.children.all()[:200] if unit else units.filter(level="province")
    from yibiao.agenda.inbox import inbox_items
    from yibiao.ledger.transfers import incoming

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


@login_required
@require_GET
@reads_may_lag()
def org_search(request: HttpRequest) -> HttpResponse:
    """The org-unit picker's search: ``q`` (or the picker's own field, named by ``field``)
    by name, pinyin initials or code, among the units the user may see, optionally only
    some ``levels``. JSON; <option>s for the picker's datalist when htmx asks."""
    text = request.GET.get("q") or request.GET.get(request.GET.get("field", "") or "q", "")
    levels = [level for level in request.GET.get("levels", "").split(",") if level in LEVELS]
    found = search_units(scope.visible_org_units(request.user), text[:100], levels)
    if request.htmx:
        return render(request, "orgunits/_options.html", {"found": found})
    return JsonResponse({"results": [
        {"code": unit.code, "name": unit.name, "label": unit.label, "full_name": unit.full_name,
         "level": unit.level, "text": picker_text(unit)} for unit in found.units],
        "more": found.more})
