"""`{% workload_burden f %}`: the task and inspection figures beside the burden dashboard's.

Lets the dashboard show them with one template line, computed for the same unit and
range as the burden Figures `f` it already has.
"""

from __future__ import annotations

from django import template

from yibiao.accounts import scope
from yibiao.reports.periods import parse_period

from ..accounting import workload_figures

register = template.Library()


@register.inclusion_tag("burden/_work.html", takes_context=True)
def workload_burden(context: template.Context, figures: object) -> dict:
    user = context["request"].user
    unit = scope.get_visible_org_unit(user, figures.org_code)
    result = workload_figures(user, unit, parse_period(figures.period_from), parse_period(figures.period_to))
    return {"w": result, "user": user}
