"""The JSON API root (/api/v1). Each app adds its router here; OpenAPI at /api/v1/openapi.json."""

from __future__ import annotations

from ninja import NinjaAPI
from ninja.security import django_auth

from yibiao.accounts.api import router as accounts_router
from yibiao.accounts.scope import OutOfScope
from yibiao.errors import audit_refusal
from yibiao.refusals import Refusal
from yibiao.reports.api import router as data_router

api = NinjaAPI(
    title="yibiao 一表通 API",
    version="1",
    description="按准入范围读取台账数据与报表。所有读取均记入审计日志。",
    auth=django_auth,
    urls_namespace="api",
)
api.add_router("/", accounts_router)
api.add_router("/data", data_router)


@api.exception_handler(OutOfScope)
def out_of_scope(request, exc):  # type: ignore[no-untyped-def]
    audit_refusal(request, exc)  # the same entry as the pages' 403 handler writes
    return api.create_response(request, {"detail": str(exc)}, status=403)


@api.exception_handler(Refusal)
def refused(request, exc):  # type: ignore[no-untyped-def]
    """A domain refusal: its code, its message in the request's language, every reason."""
    return api.create_response(request, {"detail": exc.message, **exc.as_dict()}, status=exc.status)
