"""Links from before the one gate: /requests/… and /workload/… answer with a permanent
redirect (308: a form posted to an old address is posted again, unchanged) to where the
page lives now. A work item's old number is found through `Demand.former_id`; a number
the user may not see, or that does not exist, is refused as /gate/N/ refuses it (403,
audited, the same answer either way), never redirected. Only ASCII digits are a number
(int() reads "١٢" but not "²", which str.isdigit() also accepts)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponsePermanentRedirect
from django.urls import re_path
from django.utils.translation import gettext as _

from yibiao.accounts import scope

from .models import TABLE_KINDS, WORK_KINDS


class Moved(HttpResponsePermanentRedirect):
    status_code = 308


def _to(request: HttpRequest, path: str) -> Moved:
    query = request.META.get("QUERY_STRING", "")
    return Moved(f"{path}?{query}" if query else path)


def _visible(request: HttpRequest, kinds: tuple[str, ...], number: int, *, former: bool) -> int:
    found = scope.visible_demands(request.user, kinds)
    demand = (found.filter(former_id=number).first() if former else None) or \
        found.filter(pk=number, former_id=None).first()
    if demand is None:
        raise scope.OutOfScope(_("无权查看该事项，或它不存在。"))
    return demand.pk


def _number(head: str) -> int | None:
    return int(head) if head.isascii() and head.isdigit() else None


@login_required
def from_requests(request: HttpRequest, rest: str = "") -> Moved:
    head, _sep, tail = rest.partition("/")
    if _number(head) is not None:
        return _to(request, f"/gate/{_visible(request, TABLE_KINDS, _number(head), former=False)}/{tail}")
    moved = {"": "/gate/?kind=table", "new": "/gate/new/table/", "rules": "/gate/rules/",
             "catalogue": "/gate/catalogue/", "catalogue.xlsx": "/gate/catalogue.xlsx",
             "filter-check": "/gate/filter-check/"}
    if head not in moved:
        raise Http404
    return _to(request, moved[head])


@login_required
def from_workload(request: HttpRequest, rest: str = "") -> Moved:
    head, _sep, tail = rest.partition("/")
    if _number(head) is not None:
        return _to(request, f"/gate/{_visible(request, WORK_KINDS, _number(head), former=True)}/{tail}")
    moved = {"": "/gate/?kind=work", "new": "/gate/new/work/", "rules": "/gate/rules/",
             "calendar": "/calendar/", "report": "/slipped/new/", "reports": "/slipped/"}
    if head not in moved:
        raise Http404
    return _to(request, moved[head] + (tail if head in ("calendar", "reports") else ""))


urlpatterns = [
    re_path(r"^requests/(?P<rest>.*)$", from_requests, name="moved_requests"),
    re_path(r"^workload/(?P<rest>.*)$", from_workload, name="moved_workload"),
]
