from __future__ import annotations

import csv
import io

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_noop
from openpyxl import Workbook

from yibiao.accounts import scope
from yibiao.params import BadInput
from yibiao.replica import reads_may_lag
from yibiao.reports.periods import PeriodError, parse_period
from yibiao.sheets.cells import safe_row

from . import ledger

# Headings translated on the page ({% translate label %}); the downloads keep them in Chinese.
COLUMNS = [("label", gettext_noop("名称")), ("tasks", gettext_noop("任务数")),
           ("cells_asked", gettext_noop("要求填写单元格")), ("cells_auto", gettext_noop("系统自动填")),
           ("share_auto", gettext_noop("自动填比例")), ("cells_typed", gettext_noop("人工填写")),
           ("cells_empty", gettext_noop("未填")), ("zero_touch", gettext_noop("零填报任务")),
           ("hours_spent", gettext_noop("实际工时")), ("hours_by_hand", gettext_noop("若手工填写工时")),
           ("hours_saved", gettext_noop("节省工时"))]


def _figures(request: HttpRequest) -> tuple[ledger.Figures | None, str]:
    user = request.user
    home = scope.home_unit(user)
    code = scope.picked_code(user, request.GET.get("org") or (home.code if home else ""))
    today = timezone.localdate()
    try:
        first = parse_period(request.GET.get("from") or f"{today.year}-01")
        last = parse_period(request.GET.get("to") or f"{today.year}-12")
    except PeriodError as error:
        raise BadInput(str(error)) from None
    unit = scope.get_visible_org_unit(user, code)
    return ledger.figures(user, unit, first, last), ""


def table_rows(figures: ledger.Figures, *, page: bool = False) -> dict[str, list[list[object]]]:
    """The figures' tables; on the page (`page`) a share reads as a percentage (85%), in the
    downloads it stays a number."""
    def cell(line: ledger.Line, key: str) -> object:
        value = getattr(line, key)
        return f"{value:.0%}" if page and key == "share_auto" and isinstance(value, float) else value

    def rows(lines: list[ledger.Line]) -> list[list[object]]:
        return [[cell(line, key) for key, _ in COLUMNS] for line in lines]
    return {gettext_noop("合计"): rows([figures.total]), gettext_noop("按部门"): rows(figures.by_department),
            gettext_noop("按社区"): rows(figures.by_community),
            gettext_noop("按月（报告期结束所在月）"): rows(figures.by_period)}


@login_required
@reads_may_lag()
def dashboard(request: HttpRequest) -> HttpResponse:
    figures, error = _figures(request)
    chart = {}
    if figures:
        chart = {
            "departments": [line.label for line in figures.by_department],
            "dept_auto": [line.cells_auto for line in figures.by_department],
            "dept_typed": [line.cells_typed for line in figures.by_department],
            "periods": [line.label for line in figures.by_period],
            "period_auto": [line.cells_auto for line in figures.by_period],
            "period_typed": [line.cells_typed for line in figures.by_period],
            "period_saved": [line.hours_saved for line in figures.by_period],
        }
    template = "burden/print.html" if request.GET.get("print") else "burden/dashboard.html"
    return render(request, template, {
        "f": figures, "error": error, "chart": chart,
        "columns": COLUMNS, "tables": table_rows(figures, page=True) if figures else {},
        "query": request.GET.urlencode(),
        "unit": scope.visible_org_units(request.user).filter(code=figures.org_code).first()
        if figures else request.user.org_unit,
    })


@login_required
@reads_may_lag()
def download(request: HttpRequest, fmt: str) -> HttpResponse:
    figures, error = _figures(request)
    if figures is None:
        return HttpResponse(error, status=400, content_type="text/plain; charset=utf-8")
    header = [label for _, label in COLUMNS]
    name = f"burden-{figures.org_code}-{figures.period_from}-{figures.period_to}"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for title, rows in table_rows(figures).items():
            writer.writerow(safe_row([title]))
            writer.writerow(safe_row(header))
            writer.writerows(safe_row(row) for row in rows)  # labels are department names
        writer.writerow([f"测算依据：每格 {figures.assumptions.seconds_per_cell} 秒，"
                         f"每表每期 {figures.assumptions.seconds_per_form} 秒"])
        response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    else:
        book = Workbook()
        book.remove(book.active)
        for title, rows in table_rows(figures).items():
            sheet = book.create_sheet(title)
            sheet.append(safe_row(header))
            for row in rows:
                sheet.append(safe_row(row))
        book.create_sheet("测算依据").append(
            ["每格秒数", figures.assumptions.seconds_per_cell, "每表每期秒数",
             figures.assumptions.seconds_per_form])
        out = io.BytesIO()
        book.save(out)
        response = HttpResponse(out.getvalue(), content_type=(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
