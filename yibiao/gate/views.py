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
from yibiao.dictionary.models import Element
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


# Each field of the rules form: (limit, how it is read). The two older pages' forms are
# still posted here through their 308 (/requests/rules/, /workload/rules/ under its own
# field names): what a form does not carry is left as it is, never reset.
FLAGS = ("require_basis", "sensitive_needs_justification")
FIELDS = {"seconds_per_cell": float, "seconds_per_form": float, "weekly_hours_ceiling": float,
          "max_inspections_per_quarter": int, "max_inspections_per_department_year": int,
          "workers_per_community": int, "max_new_typed_cells_per_year": int}
OLDER_NAMES = {"ceiling": "weekly_hours_ceiling", "max_inspections": "max_inspections_per_quarter",
               "workers": "workers_per_community"}
# Limits that may be left empty: empty means none (no limit, or the system's default).
EMPTY_IS_NONE = ("seconds_per_cell", "seconds_per_form", "max_inspections_per_department_year",
                 "max_new_typed_cells_per_year")


def _posted_limits(post: object) -> dict[str, object]:
    """The limits the posted form carries; a checkbox is read only where the form drew it
    (the hidden `flags` field), since an unticked box is not posted at all."""
    changes: dict[str, object] = {}
    if "max_frequency" in post:
        changes["max_frequency"] = post.get("max_frequency", "")
    if post.get("element_limits_drawn"):  # the page's rows: an element picked by name, a frequency
        changes["element_max_frequency"] = {
            element: frequency for element, frequency in zip(
                post.getlist("limit_element"), post.getlist("limit_frequency"), strict=False)
            if element.strip() and frequency.strip()}
    elif "element_max_frequency" in post:  # element=frequency lines (the older form)
        limits = {}
        for line in post.get("element_max_frequency", "").splitlines():
            element, _sep, frequency = line.partition("=")
            if element.strip():
                limits[element.strip()] = frequency.strip()
        changes["element_max_frequency"] = limits
    if "flags" in post:
        drawn = post.get("flags", "").split(",")
    else:  # the older tables' rules form drew both boxes beside its frequency; the work one none
        drawn = list(FLAGS) if "max_frequency" in post else []
    for flag in FLAGS:
        if flag in drawn:
            changes[flag] = post.get(flag) == "1"
    for name, older in [(n, None) for n in FIELDS] + [(n, o) for o, n in OLDER_NAMES.items()]:
        key = older or name
        if key not in post or name in changes and older:
            continue
        value = _number(post.get(key), FIELDS[name])
        if value is not None or name in EMPTY_IS_NONE:
            changes[name] = value  # a limit that must have a value keeps it when left empty
    return changes


@login_required
def rules_page(request: HttpRequest) -> HttpResponse:
    """Every limit of the gate for one unit (the reviewer's own by default) and below it."""
    scope.require(request.user, "review_requests")
    picked = request.POST.get("org") or request.GET.get("org")
    unit = scope.get_picked_org_unit(request.user, picked) if picked else scope.home_unit(request.user)
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
    own = rules.own_rules(unit)
    limits = list((own.element_max_frequency or {}).items())
    return render(request, "gate/rules.html", {
        "unit": unit, "rules": own, "frequencies": Frequency.choices,
        "elements": Element.objects.order_by("subject", "code").values_list("code", "name_zh"),
        "element_limits": limits + [("", "")] * 3,  # room to add three more
        "reasons": reasons, "post": request.POST})
