"""Links a page shows only when the viewer may open them (issue 16: no dead ends).

The scope module decides; a template asks it per link, e.g. a joint inspection naming the
inspections merged into it: `{% if user|may_open_demand:m.pk %}<a …>{% endif %}`.
"""

from __future__ import annotations

from django import template

from yibiao.accounts import scope

register = template.Library()


@register.filter
def may_open_demand(user: object, demand_id: object) -> bool:
    """Whether the demand's page (gate:detail) would open for this user."""
    if not demand_id:
        return False
    return scope.visible_demands(user).filter(pk=demand_id).exists()
