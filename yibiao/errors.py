"""The pages for refused and malformed requests (handler400, handler403 in yibiao.urls).

The 403 handler is the code that refuses, so it writes the audit entry: every
PermissionDenied a view raises (the scope module's OutOfScope above all) passes through
it, and the JSON API's refusal handler calls the same `audit_refusal`.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

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


def permission_denied(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    audit_refusal(request, exception)
    return render(request, "403.html", {"exception": str(exception or "")}, status=403)


def bad_request(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    """Our own BadInput says which field was wrong; Django's other 400s stay generic."""
    message = str(exception) if isinstance(exception, BadInput) else _("请求的内容无法识别。")
    return render(request, "400.html", {"message": message}, status=400)
