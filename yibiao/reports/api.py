"""The data API: departments pull admitted reports instead of receiving files.

Token-authenticated (Authorization: Bearer yb_…), scoped to the token user's admitted
requests, paginated, JSON or CSV; every call is audited.
"""

from __future__ import annotations

import csv
import io

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.security import HttpBearer

from yibiao.accounts import scope, tokens
from yibiao.audit.log import record
from yibiao.audit.models import Action
from yibiao.replica import reads_may_lag
from yibiao.sheets.cells import safe_row

from . import delivery
from .periods import parse_period
from .prefill import build_report

MAX_PAGE = 1000


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):  # noqa: ANN201
        user = tokens.user_for(token)
        if user is not None:
            request.user = user
        return user


router = Router(tags=["data"], auth=TokenAuth())


class ColumnOut(Schema):
    column: str
    header: str
    element: str | None
    # A sensitive column as decided at admission: full (justified) or masked; None: not one.
    decision: str | None = None


class RequestOut(Schema):
    id: int
    title: str
    department: str
    frequency: str
    scope: str
    columns: list[ColumnOut]


class RowsOut(Schema):
    request: int
    org: str
    period: str
    columns: list[ColumnOut]
    rows: list[list[str | int | float | None]]
    page: int
    page_size: int
    total: int
    notes: list[str] = []  # "“联系电话”列按准入决定遮蔽（号码只显示前后几位）"


def _admitted(request: HttpRequest, request_id: int):  # noqa: ANN202
    found = scope.visible_requests(request.user).filter(pk=request_id, status="admitted").first()
    if found is None:
        raise scope.OutOfScope("无权读取该报表，或它未经准入。")
    return found


def _columns(form_request) -> list[ColumnOut]:  # noqa: ANN001
    decided = delivery.column_decisions(form_request)
    return [ColumnOut(column=c["column"], header=c["header"], element=c.get("element"),
                      decision=decided.get(c["column"])) for c in form_request.columns]


def _notes(form_request) -> list[str]:  # noqa: ANN001
    return [delivery.masked_note(d) for d in delivery.masked_columns(form_request)]


@router.get("/requests", response=list[RequestOut], summary="经准入、可读取的报表")
def admitted_requests(request: HttpRequest) -> list[RequestOut]:
    # The data API reads may lag (yibiao/replica.py): a body-level block, since django-ninja
    # resolves a decorated function's annotations in the decorator's module.
    with reads_may_lag():
        found = scope.visible_requests(request.user).filter(status="admitted")
        return [RequestOut(id=r.pk, title=r.title, department=r.department.name, frequency=r.frequency,
                           scope=r.scope.code, columns=_columns(r)) for r in found]


def _rows(request: HttpRequest, request_id: int, org: str, period: str):  # noqa: ANN202
    with reads_may_lag():  # the data API: from the replica where there is one
        form_request = _admitted(request, request_id)
        unit = scope.get_visible_org_unit(request.user, org)
        if not form_request.scope.contains(unit) and not unit.contains(form_request.scope):
            raise scope.OutOfScope("该组织不在报表的准入范围内。")
        parsed = parse_period(period)  # a PeriodError answers 400 with its code (yibiao/api.py)
        report = build_report(form_request, unit, parsed)
        return form_request, unit, parsed, delivery.delivered_rows(report)


def _plain(value: object) -> str | int | float | None:
    if value is None or isinstance(value, int | float | str):
        return value
    return str(value)


@router.get("/requests/{request_id}/rows", response=RowsOut, summary="报表数据（JSON，分页）")
def report_rows(request: HttpRequest, request_id: int, org: str, period: str, page: int = 1,
                page_size: int = 200) -> RowsOut:
    form_request, unit, parsed, rows = _rows(request, request_id, org, period)
    page_size = max(1, min(page_size, MAX_PAGE))
    page = max(1, page)
    chunk = rows[(page - 1) * page_size: page * page_size]
    record(request.user, Action.API_READ, subject_kind="form_request", subject_id=form_request.pk,
           org_code=unit.code, period=parsed.key, rows=len(chunk), format="json")
    return RowsOut(request=form_request.pk, org=unit.code, period=parsed.key,
                   columns=_columns(form_request), rows=[[_plain(v) for v in r] for r in chunk],
                   page=page, page_size=page_size, total=len(rows), notes=_notes(form_request))


@router.get("/requests/{request_id}/rows.csv", summary="报表数据（CSV）")
def report_rows_csv(request: HttpRequest, request_id: int, org: str, period: str) -> HttpResponse:
    form_request, unit, parsed, rows = _rows(request, request_id, org, period)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    # Quoted where a spreadsheet would read a formula (the JSON carries the values as they are:
    # it is data for programs, and a program that writes it into a sheet must do the same).
    # A CSV has no notes: a column received masked says so in its own header.
    decided = delivery.column_decisions(form_request)
    writer.writerow(safe_row(c["header"] + (_("（按准入决定遮蔽）") if decided.get(c["column"]) == "masked" else "")
                             for c in form_request.columns))
    writer.writerows(safe_row("" if v is None else v for v in row) for row in rows)
    record(request.user, Action.API_READ, subject_kind="form_request", subject_id=form_request.pk,
           org_code=unit.code, period=parsed.key, rows=len(rows), format="csv")
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="request-{form_request.pk}-{parsed.key}.csv"'
    return response
