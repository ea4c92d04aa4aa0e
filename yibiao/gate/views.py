"""The gate's pages: one queue of demands, one page per demand (its kind's), one catalogue,
one rules page. Thin: authorise, load, one domain call, render."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yibiao.accounts import scope
from yibiao.slipped.models import ReportStatus

from . import analysis, catalogue, rules
from .models import TABLE_KINDS, WORK_KINDS, Frequency, Kind, Status
from .tables import views as table_views
from .work import views as work_views

KIND_FILTERS = {"table": TABLE_KINDS, "work": WORK_KINDS, "task": (Kind.TASK,),
                "inspection": (Kind.INSPECTION,)}


@login_required
def demand_list(request: HttpRequest) -> HttpResponse:
    """Every demand the user may see, newest first; a reviewer's queue is ?status=submitted."""
    demands = scope.visible_demands(request.user)
    kind, status = request.GET.get("kind", ""), request.GET.get("status", "")
    if kind in KIND_FILTERS:
        demands = demands.filter(kind__in=KIND_FILTERS[kind])
    if status in Status.values:
        demands = demands.filter(status=status)
    page = Paginator(demands.order_by("-submitted_at", "-pk"), 100).get_page(request.GET.get("page"))
    return render(request, "gate/list.html", {
        "page": page, "demands": page.object_list, "kind": kind, "status": status,
        "kinds": [("table", _("报表")), ("work", _("工作任务和督查检查"))], "statuses": Status.choices,
        "waiting": scope.visible_demands(request.user).filter(status=Status.SUBMITTED).count(),
        "can_submit": scope.can(request.user, "submit_requests"),
        "can_review": scope.can(request.user, "review_requests"),
        "can_report": scope.can(request.user, "edit_ledger"),
        "converted": scope.visible_unadmitted_reports(request.user).filter(
            status=ReportStatus.CONVERTED)[:50] if scope.can(request.user, "follow_converted") else []})


def _by_kind(table_view: object, work_view: object, *, post_only: bool = False) -> object:
    """A page every demand has, drawn by its kind's view."""

    def view(request: HttpRequest, demand_id: int) -> HttpResponse:
        demand = scope.get_visible_demand(request.user, demand_id)
        if demand.kind in TABLE_KINDS:
            return table_view(request, request_id=demand.pk)
        return work_view(request, item_id=demand.pk)

    view.__name__ = view.__qualname__ = f"{table_view.__name__}_or_{work_view.__name__}"
    return login_required(require_POST(view) if post_only else view)


detail = _by_kind(table_views.request_detail, work_views.item_detail)
decide = _by_kind(table_views.request_decide, work_views.item_decide, post_only=True)


@login_required
@require_POST
def reanalyse(request: HttpRequest, demand_id: int) -> HttpResponse:
    analysis.reanalyse(request.user, scope.get_visible_demand(request.user, demand_id))
    return redirect("gate:detail", demand_id=demand_id)


@login_required
def catalogue_page(request: HttpRequest) -> HttpResponse:
    demands = list(catalogue.admitted(request.user))
    return render(request, "gate/catalogue.html",
                  {"rows": catalogue.rows(demands), "header": catalogue.HEADER})


@login_required
def catalogue_export(request: HttpRequest) -> FileResponse:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "工作事项清单.xlsx"
        catalogue.export_catalogue(request.user, path)
        body = io.BytesIO(path.read_bytes())  # the folder goes; the bytes stay for the response
    return FileResponse(body, as_attachment=True, filename=path.name)


def _number(text: str, kind: type = float) -> object:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return kind(text)
    except ValueError:
        return "invalid"


def _posted_limits(post: object) -> dict[str, object]:
    limits = {}
    for line in post.get("element_max_frequency", "").splitlines():
        element, _sep, frequency = line.partition("=")
        if element.strip():
            limits[element.strip()] = frequency.strip()
    changes = {
        "max_frequency": post.get("max_frequency", "monthly"), "element_max_frequency": limits,
        "require_basis": post.get("require_basis") == "1",
        "sensitive_needs_justification": post.get("sensitive_needs_justification") == "1",
        "seconds_per_cell": _number(post.get("seconds_per_cell")),
        "seconds_per_form": _number(post.get("seconds_per_form")),
        "weekly_hours_ceiling": _number(post.get("weekly_hours_ceiling")),
        "max_inspections_per_quarter": _number(post.get("max_inspections_per_quarter"), int),
        "max_inspections_per_department_year": _number(post.get("max_inspections_per_department_year"), int),
        "workers_per_community": _number(post.get("workers_per_community"), int),
        "max_new_typed_cells_per_year": _number(post.get("max_new_typed_cells_per_year"), int),
    }
    # A limit that must have a value keeps its current one when left empty.
    return {k: v for k, v in changes.items()
            if v is not None or k in ("seconds_per_cell", "seconds_per_form",
                                      "max_inspections_per_department_year",
                                      "max_new_typed_cells_per_year")}


@login_required
def rules_page(request: HttpRequest) -> HttpResponse:
    """Every limit of the gate for one unit (the reviewer's own by default) and below it."""
    scope.require(request.user, "review_requests")
    picked = request.POST.get("org") or request.GET.get("org")
    unit = scope.get_picked_org_unit(request.user, picked) if picked else request.user.org_unit
    if unit is None:
        unit = scope.visible_org_units(request.user).order_by("code").first()
    reasons: list[str] = []
    if request.method == "POST":
        changes = _posted_limits(request.POST)
        if "invalid" in changes.values():
            reasons = [_("请填写数字")]
        else:
            try:
                rules.configure(request.user, unit, **changes)
            except rules.RulesError as refused:
                reasons = refused.reasons
            else:
                messages.success(request, _("规则已保存，今后提交的事项按新规则检查。"))
                return redirect(f"{request.path}?org={unit.code}")
    return render(request, "gate/rules.html", {
        "unit": unit, "rules": rules.rules_for(unit), "frequencies": Frequency.choices,
        "reasons": reasons, "post": request.POST})
