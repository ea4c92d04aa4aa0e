"""Reading what a request carries: ids, versions, numbers, dates, months, periods.

A view takes every such value from a query string or a form through these helpers. A value
that cannot mean anything raises BadInput, which Django answers with handler400 — the 400
page in the product's own layout, saying which field was wrong — never a 500 from an
int() or a date far outside any calendar.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

# The largest id a BigAutoField (and SQLite's INTEGER) holds; a bigger one is not an id.
MAX_ID = 2**63 - 1
# Dates a person, a task or a calendar can be about; beyond them date arithmetic overflows.
FIRST_YEAR, LAST_YEAR = 1900, 2999
SHOWN = 40  # characters of a bad value echoed back


class BadInput(BadRequest):
    """A request parameter that is not what the page needs (answered with the 400 page)."""


def _shown(text: str) -> str:
    return text if len(text) <= SHOWN else text[:SHOWN] + "…"


def parse_int(text: str, field: str, *, minimum: int = 0, maximum: int = MAX_ID) -> int:
    """A whole number between minimum and maximum, or BadInput naming the field."""
    try:
        number = int(text.strip())
    except (ValueError, AttributeError):
        raise BadInput(_("“%(field)s”应为整数，收到的是“%(value)s”。") % {
            "field": field, "value": _shown(str(text))}) from None
    if not minimum <= number <= maximum:
        raise BadInput(_("“%(field)s”超出范围：%(value)s。") % {
            "field": field, "value": _shown(str(text))})
    return number


def int_param(data: Mapping[str, str], name: str, default: int | None = None, *,
              minimum: int = 0, maximum: int = MAX_ID) -> int:
    """data[name] as a whole number; `default` when it is missing or empty (else BadInput)."""
    text = data.get(name, "")
    if text in ("", None):
        if default is None:
            raise BadInput(_("缺少“%(field)s”。") % {"field": name})
        return default
    return parse_int(text, name, minimum=minimum, maximum=maximum)


def id_param(data: Mapping[str, str], name: str) -> int:
    """A database id (1 or more) from data[name]; missing or malformed is BadInput."""
    return int_param(data, name, minimum=1)


def parse_date(text: str, field: str) -> dt.date:
    """YYYY-MM-DD within FIRST_YEAR..LAST_YEAR, or BadInput naming the field."""
    try:
        day = dt.date.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise BadInput(_("“%(field)s”应为日期（如 2026-12-01），收到的是“%(value)s”。") % {
            "field": field, "value": _shown(str(text))}) from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise BadInput(_("“%(field)s”的年份应在 %(first)s 到 %(last)s 之间。") % {
            "field": field, "first": FIRST_YEAR, "last": LAST_YEAR})
    return day


def date_param(data: Mapping[str, str], name: str, default: dt.date) -> dt.date:
    text = data.get(name, "")
    return default if not text else parse_date(text, name)


def month_param(data: Mapping[str, str], name: str, default: tuple[int, int]) -> tuple[int, int]:
    """(year, month) from "YYYY-MM" in data[name]; `default` when missing or empty."""
    text = (data.get(name, "") or "").strip()
    if not text:
        return default
    year_text, _sep, month_text = text.partition("-")
    try:
        year, month = int(year_text), int(month_text)
        dt.date(year, month, 1)
    except ValueError:
        raise BadInput(_("“%(field)s”应为月份（如 2026-12），收到的是“%(value)s”。") % {
            "field": name, "value": _shown(text)}) from None
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise BadInput(_("“%(field)s”的年份应在 %(first)s 到 %(last)s 之间。") % {
            "field": name, "first": FIRST_YEAR, "last": LAST_YEAR})
    return year, month


class RefuseNulBytes:
    """Middleware: a NUL character anywhere in the path, the query or a form is refused (400).

    No browser sends one, PostgreSQL cannot store one in a text or JSON column, and a view
    that passed it on would end in a database error; refusing here covers every view at once.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or any(
                "\x00" in key or any("\x00" in value for value in values)
                for data in (request.GET, request.POST) for key, values in data.lists()):
            raise BadInput(_("提交的内容含有无法保存的空字符（NUL），请检查后重新填写。"))
        return self.get_response(request)
