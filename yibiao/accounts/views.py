from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from yibiao.orgunits.search import LEVELS, picker_text, search_units, working_counties
from yibiao.replica import reads_may_lag

from . import homes, scope
from .models import Role


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role's own work (accounts.homes): a worker's to-dos, a reviewer's queue, an
    officer's demands, an administrator's queue and the system's health."""
    user = request.user
    today = timezone.localdate()
    role = homes.role_of(user)
    unit = user.org_unit
    children = (unit.children.all() if unit else scope.visible_org_units(user).filter(level="province"))
    context: dict = {"unit": unit, "children": children[:200], "role": role, "today": today}
    if role == Role.WORKER:
        context["worker"] = homes.worker_home(user, homes.visit(request), today)
        from yibiao.ledger.transfers import incoming

        context["transfers_waiting"] = incoming(user).count()
    elif role == Role.OFFICER:
        context["officer"] = homes.officer_home(user, today)
    else:
        context["reviewer"] = homes.reviewer_home(user, today)
        if role == Role.ADMIN:
            context["health"] = homes.health()
    return render(request, "home.html", context)


@login_required
def org_unit_page(request: HttpRequest, code: str) -> HttpResponse:
    unit = scope.get_visible_org_unit(request.user, code)
    # Ancestors above the viewer's scope are named, not linked: their pages would refuse.
    ancestors = [(a, scope.can_see_org_unit(request.user, a)) for a in unit.ancestors()]
    return render(
        request,
        "org_unit.html",
        {"unit": unit, "children": unit.children.all()[:500], "ancestors": ancestors},
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
    # A nationwide account is offered its deployment's counties first (岳麓街道 before the
    # other 岳麓… of the country); everyone else only sees their own subtree anyway.
    near = working_counties() if scope.scope_code(request.user) is None else None
    found = search_units(scope.visible_org_units(request.user), text[:100], levels, near=near)
    if request.htmx:
        return render(request, "orgunits/_options.html", {"found": found})
    return JsonResponse({"results": [
        {"code": unit.code, "name": unit.name, "label": unit.label, "full_name": unit.full_name,
         "level": unit.level, "text": picker_text(unit)} for unit in found.units],
        "more": found.more})
