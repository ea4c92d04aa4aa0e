"""The pages for refused, malformed and stale requests (handler400, 403, 404 in yibiao.urls).

Each says what happened and where to go: the home page, and the list of the part of the
product the link belonged to when the viewer may open it (WAYS_BACK), never a bare text.

The 403 handler is the code that refuses, so it writes the audit entry: every
PermissionDenied a view raises (the scope module's OutOfScope above all) passes through
it, and the JSON API's refusal handler calls the same `audit_refusal`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import Resolver404, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yibiao.accounts import scope
from yibiao.accounts.logins import client_ip
from yibiao.audit.log import record
from yibiao.audit.models import Action, AuditEntry
from yibiao.params import BadInput


def audit_refusal(request: HttpRequest, exception: BaseException | None) -> AuditEntry:
    """One DENIED entry: who, from where, which path and method, and why."""
    user = getattr(request, "user", None)
    signed_in = bool(getattr(user, "is_authenticated", False))
    unit = getattr(user, "org_unit", None) if signed_in else None
    return record(user if signed_in else None, Action.DENIED,
                  actor_name="" if signed_in else "anonymous",
                  subject_kind="path", subject_id=request.path[:64],
                  org_code=getattr(unit, "code", ""), reason=str(exception or "")[:300],
                  path=request.path[:500], method=request.method or "", ip=client_ip(request) or "")


KEEPERS = ("worker", "admin")  # who keeps a ledger (accounts.scope.ABILITIES: edit_ledger)
UPSTREAM = ("admin", "reviewer", "officer")


@dataclass(frozen=True)
class WayBack:
    prefix: str  # the part of the site a refused or stale link pointed into
    url_name: str
    label: str
    roles: tuple[str, ...]  # who may open that page (as nav.html offers it)


# Where to go from a page that cannot be shown: the list of the part it belonged to.
WAYS_BACK = (
    WayBack("/intake/", "intake:upload", gettext_lazy("重新上传花名册"), KEEPERS),
    WayBack("/ledger/", "ledger:people", gettext_lazy("居民台账"), KEEPERS),
    WayBack("/reports/", "reports:submitted", gettext_lazy("已报送的任务"), KEEPERS),
    WayBack("/gate/", "gate:list", gettext_lazy("准入事项列表"), UPSTREAM),
    WayBack("/gate/", "gate:catalogue", gettext_lazy("工作事项清单"), ("worker",)),
    WayBack("/slipped/", "slipped:list", gettext_lazy("未准入事项报告"), (*UPSTREAM, "worker")),
    WayBack("/calendar/", "agenda:home", gettext_lazy("联合日历"), (*UPSTREAM, "worker")),
    WayBack("/burden/", "burden:dashboard", gettext_lazy("减负账本"), UPSTREAM),
)


def ways_back(request: HttpRequest) -> list[tuple[str, str]]:
    """(url, label) of the part of the product the path belongs to, if the viewer may open it."""
    user = getattr(request, "user", None)
    if not scope.is_active_user(user):
        return []
    return [(reverse(way.url_name), str(way.label)) for way in WAYS_BACK
            if request.path.startswith(way.prefix) and user.role in way.roles
            and request.path != reverse(way.url_name)][:1]


def permission_denied(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    audit_refusal(request, exception)
    return render(request, "403.html", {"exception": str(exception or ""), "ways": ways_back(request)},
                  status=403)


def bad_request(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    """Our own BadInput says which field was wrong; Django's other 400s stay generic."""
    message = str(exception) if isinstance(exception, BadInput) else _("请求的内容无法识别。")
    return render(request, "400.html", {"message": message, "ways": ways_back(request)}, status=400)


STALE_FORM = gettext_lazy(
    "这次提交没有保存：页面打开后登录状态已经变了（在别处重新登录或退出、或打开太久）。"
    "请点浏览器的“返回”回到上一页，填写的内容一般还在，刷新前先复制保存，再重新提交。")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:  # noqa: ARG001 - Django's own words
    """CSRF_FAILURE_VIEW: a form sent from a page older than the login (another tab logged in
    again, or out) is refused in the product's layout and words, saying the typing was not
    stored and how to get it back, never Django's English "CSRF verification failed". A row
    saved by the grid (htmx) gets the sentence alone, shown beside the row."""
    if request.headers.get("HX-Request"):
        return HttpResponse(str(STALE_FORM), status=403, content_type="text/plain; charset=utf-8")
    return render(request, "400.html", {"message": str(STALE_FORM), "ways": ways_back(request)}, status=403)


def page_not_found(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    """A stale or mistyped link: our own Http404 says what is gone (an upload already
    imported, a task withdrawn); a path that matches no page says only that."""
    message = ""
    if isinstance(exception, Http404) and not isinstance(exception, Resolver404) and exception.args:
        text = str(exception.args[0])
        if not text.startswith("No ") and "matches the given query" not in text:  # Django's own, in English
            message = text
    return render(request, "404.html", {"message": message, "ways": ways_back(request),
                                        "path": request.path}, status=404)
