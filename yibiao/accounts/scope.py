"""What a user may see and change: the one place that decides.

Every view, API endpoint, export, command and every domain function that writes asks
this module; nothing else filters by org unit or checks a role. Scope is the user's org
unit and everything below it (a code-prefix range, see orgunits.models.subtree_q). An
administrator without an org unit sees everything.

Reads and writes are answered the same way (as paperless-ngx's permissions module does):
`permitted(user, Model, verb)` is the queryset of objects the user may `view` or `change`,
`require_may(user, verb, obj)` refuses one object. Who lives where is decided "as of
today": a worker changes the residents whose current residence is in their unit; moving
a resident from another community is a transfer request that community confirms.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yibiao.orgunits.models import Level, OrgUnit, codes_at_or_above, subtree_q
from yibiao.orgunits.search import pick, working_counties

from .models import Role

if TYPE_CHECKING:
    from .models import User


class OutOfScope(PermissionDenied):
    """Raised when a user reaches for data outside their org unit or role."""


def is_active_user(user: object) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


NOTHING = "-"  # sorts before every digit: the range it opens matches no code


def scope_code(user: User) -> str | None:
    """The code prefix the user is confined to; None means the whole country."""
    if not is_active_user(user):
        raise OutOfScope(_("请先登录。"))
    if user.role == Role.ADMIN and user.org_unit_id is None:
        return None
    if user.org_unit_id is None:
        # A non-admin account without an org unit sees nothing rather than everything.
        return NOTHING
    return user.org_unit.code


def scope_q(user: User, field: str = "code") -> Q:
    """Q restricting any model to the user's scope, given the path to an org-unit code."""
    code = scope_code(user)
    return Q() if code is None else subtree_q(code, field)


def visible_org_units(user: User) -> QuerySet[OrgUnit]:
    return OrgUnit.objects.filter(scope_q(user))


def home_unit(user: User) -> OrgUnit | None:
    """Where a page opens for this user: their own unit; for an account without one (the
    nationwide administrator) the first county where communities have been set up, the
    deployment's own, not the first code of the country (北京市东城区, with nothing in it)."""
    if user.org_unit_id:
        return user.org_unit
    units = visible_org_units(user)
    counties = working_counties()
    return (units.filter(code__in=counties).order_by("code").first() if counties else None) or \
        units.filter(level=Level.COUNTY).order_by("code").first()


def can_see_org_unit(user: User, unit: OrgUnit) -> bool:
    code = scope_code(user)
    return code is None or unit.code.startswith(code)


def require_org_unit(user: User, unit: OrgUnit) -> OrgUnit:
    if not can_see_org_unit(user, unit):
        raise OutOfScope(_("无权访问“%(unit)s”：不在您的管辖范围内。") % {"unit": unit.name})
    return unit


def get_visible_org_unit(user: User, code: str) -> OrgUnit:
    """The unit with this code if the user may see it; the same error whether it exists or not."""
    unit = visible_org_units(user).filter(code=code).select_related("parent").first()
    if unit is None:
        raise OutOfScope(_("无权访问代码为 %(code)s 的组织，或该组织不存在。") % {"code": code})
    return unit


def picked_code(user: User, text: str | None) -> str:
    """The code of the unit a picker's text names ("岳麓区（430104）", a code, a name only
    one unit has) among those the user may see; the text itself when it names none, for
    the caller to refuse as it refuses any unknown code."""
    unit = pick(visible_org_units(user), text or "")
    return unit.code if unit else (text or "").strip()


def picked_unit(user: User, text: str | None) -> OrgUnit | None:
    """The visible unit a picker's text names, if any; the user's own unit when the text is
    empty (a picker opens at the user's unit)."""
    if not (text or "").strip():
        return user.org_unit if user.org_unit_id else None
    return pick(visible_org_units(user), text or "")


def get_picked_org_unit(user: User, text: str | None) -> OrgUnit:
    """The visible unit a picker's text names; refused as an unknown code otherwise."""
    return get_visible_org_unit(user, picked_code(user, text))


def require_role(user: User, *roles: str) -> None:
    if not is_active_user(user) or user.role not in roles:
        raise OutOfScope(_("您的角色无权进行此操作。"))


# What each role may do. Data, not if-chains: a new ability is a new row.
# see_reporter: who reported a table that slipped past the gate (never the department that
# sent it: a worker must not fear reporting it). hold_api_token: a department's system pulls
# admitted data by API. follow_converted: a department sees the slipped reports converted
# into its own requests.
ABILITIES: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset(
        {"edit_ledger", "view_ledger", "reveal_personal", "review_requests",
         "submit_requests", "manage_dictionary", "view_audit", "manage_users", "see_reporter"}
    ),
    Role.REVIEWER: frozenset({"review_requests", "view_audit", "view_ledger_aggregates",
                              "see_reporter"}),
    Role.OFFICER: frozenset({"submit_requests", "view_ledger_aggregates", "hold_api_token",
                             "follow_converted"}),
    Role.WORKER: frozenset({"edit_ledger", "view_ledger", "reveal_personal", "see_reporter"}),
}


def can(user: User, ability: str) -> bool:
    return is_active_user(user) and ability in ABILITIES.get(user.role, frozenset())


def require(user: User, ability: str) -> None:
    if not can(user, ability):
        raise OutOfScope(_("您的角色无权进行此操作。"))


def worker_units(user: User) -> QuerySet[OrgUnit]:
    """Communities and grids whose ledger this user keeps."""
    return visible_org_units(user).filter(level__in=[Level.COMMUNITY, Level.GRID])


def visible_people(user: User) -> QuerySet:
    """People whose current residence is in the user's scope, for roles that keep the ledger.

    Officers and reviewers see aggregates and admitted reports, never the person list
    (最小必要).
    """
    from yibiao.ledger.models import Person

    if not can(user, "view_ledger"):
        return Person.objects.none()
    return Person.objects.filter(scope_q(user, "org_unit__code"))


def visible_households(user: User) -> QuerySet:
    from yibiao.ledger.models import Household

    if not can(user, "view_ledger"):
        return Household.objects.none()
    return Household.objects.filter(scope_q(user, "org_unit__code"))


def get_visible_person(user: User, person_id: int) -> Any:
    person = visible_people(user).filter(pk=person_id).select_related("org_unit").first()
    if person is None:
        raise OutOfScope(_("无权查看该人员，或该人员不存在。"))
    return person


def get_visible_household(user: User, household_id: int) -> Any:
    household = visible_households(user).filter(pk=household_id).select_related("org_unit").first()
    if household is None:
        raise OutOfScope(_("无权查看该家庭户，或该户不存在。"))
    return household


def visible_demands(user: User, kinds: tuple[str, ...] | None = None) -> QuerySet:
    """What departments sent down (tables, tasks, inspections) that a user may see.

    Officers: their department's (or joint with it), within their scope. Reviewers and
    administrators: those scoped at or below their org unit. Workers: admitted demands that
    land on their unit (scoped above, at or below it) — the catalogue of what they may
    legitimately be asked; never pending or refused ones.
    """
    from yibiao.gate.models import Demand, Status

    code = scope_code(user)
    demands = Demand.objects.select_related("department", "scope")
    if kinds is not None:
        demands = demands.filter(kind__in=kinds)
    if user.role == Role.OFFICER:
        return demands.filter(scope_q(user, "scope__code")).filter(
            Q(department_id=user.department_id) | Q(joint_with=user.department_id)).distinct()
    if user.role in (Role.REVIEWER, Role.ADMIN):
        return demands.filter(scope_q(user, "scope__code"))
    if code is None or code == NOTHING:
        return demands.none()
    return demands.filter(Q(scope__code__in=codes_at_or_above(code)) | scope_q(user, "scope__code"),
                          status=Status.ADMITTED)


def get_visible_demand(user: User, demand_id: int, kinds: tuple[str, ...] | None = None,
                       refusal: str | None = None) -> Any:
    """The demand if the user may see it; the same refusal whether it exists or not."""
    found = visible_demands(user, kinds).filter(pk=demand_id).first()
    if found is None:
        raise OutOfScope(refusal or _("无权查看该事项，或它不存在。"))
    return found


def visible_requests(user: User) -> QuerySet:
    """The tables among visible_demands."""
    from yibiao.gate.models import FormRequest

    return visible_demands(user, FormRequest.KINDS)


def visible_work_items(user: User) -> QuerySet:
    """The tasks and inspections among visible_demands."""
    from yibiao.gate.models import WorkItem

    return visible_demands(user, WorkItem.KINDS)


def visible_unadmitted_reports(user: User) -> QuerySet:
    """Reports of requests that slipped past the gate.

    Workers: their own. Reviewers and administrators: those from communities in scope.
    Officers: their department's once a reviewer has converted them — without who reported
    (a worker must not fear reporting the department that sends them work).
    """
    from yibiao.slipped.models import ReportStatus, UnadmittedReport

    reports = UnadmittedReport.objects.select_related("org_unit", "department")
    if not is_active_user(user):
        return reports.none()
    if user.role in (Role.REVIEWER, Role.ADMIN):
        return reports.filter(scope_q(user, "org_unit__code"))
    if user.role == Role.OFFICER:
        return reports.filter(scope_q(user, "org_unit__code"), department_id=user.department_id,
                              status=ReportStatus.CONVERTED)
    return reports.filter(reported_by=user)


def visible_places(user: User) -> QuerySet:
    """Houses in the user's scope, for roles that keep the ledger."""
    from yibiao.ledger.models import Place

    if not can(user, "view_ledger"):
        return Place.objects.none()
    return Place.objects.filter(scope_q(user, "org_unit__code"))


# --- Writes, decided here as reads are -------------------------------------------------

VIEW, CHANGE = "view", "change"


def in_scope(user: User, code: str | None) -> bool:
    """Whether an org-unit code lies in the user's scope (one check for bulk paths)."""
    if code is None:
        return False
    mine = scope_code(user)
    return mine is None or code.startswith(mine)


def community_code(code: str) -> str:
    """The community (or village) a unit belongs to: a grid's first 12 digits."""
    return code[:12]


def may_write_unit(user: User, unit: OrgUnit) -> bool:
    """Whether the user may record residents into this community or grid."""
    return (can(user, "edit_ledger") and in_scope(user, unit.code)
            and unit.level in (Level.COMMUNITY, Level.GRID))


def may_move_directly(user: User, from_code: str, to_code: str) -> bool:
    """Whether a resident may be moved between communities without the old one confirming.

    Within one community a move is an ordinary edit. Across communities it is a transfer
    request (迁入申请) the resident's current community confirms, unless the user's scope
    holds both ends and either they administer the system or the county lets staff at
    their level move people directly (YIBIAO_DIRECT_MOVES, e.g. "township").
    """
    if community_code(from_code) == community_code(to_code):
        return in_scope(user, from_code) and in_scope(user, to_code)
    if not (can(user, "edit_ledger") and in_scope(user, from_code) and in_scope(user, to_code)):
        return False
    if user.role == Role.ADMIN:
        return True
    level = user.org_unit.level if user.org_unit_id else None
    allowed = getattr(settings, "YIBIAO_DIRECT_MOVES", ())
    return level is not None and level in allowed and level not in (Level.COMMUNITY, Level.GRID)


def _people(user: User, verb: str) -> QuerySet:
    from yibiao.ledger.models import Person

    if verb == CHANGE and not can(user, "edit_ledger"):
        return Person.objects.none()
    return visible_people(user)


def _households(user: User, verb: str) -> QuerySet:
    from yibiao.ledger.models import Household

    if verb == CHANGE and not can(user, "edit_ledger"):
        return Household.objects.none()
    return visible_households(user)


def _places(user: User, verb: str) -> QuerySet:
    from yibiao.ledger.models import Place

    if verb == CHANGE and not can(user, "edit_ledger"):
        return Place.objects.none()
    return visible_places(user)


def _tasks(user: User, verb: str) -> QuerySet:
    """Workers: their units' tasks. Officers and reviewers see their requests' tasks and
    change none (returning a task is a decision on the request, see `_requests`)."""
    from yibiao.reports.models import Task

    tasks = Task.objects.select_related("request__department", "org_unit")
    if can(user, "edit_ledger"):
        return tasks.filter(scope_q(user, "org_code"))
    if verb == CHANGE:
        return tasks.none()
    return tasks.filter(request__in=visible_requests(user))


def _demands(kinds: tuple[str, ...] | None) -> Callable[[User, str], QuerySet]:
    """Changing a demand (deciding, re-analysing) is for its department and reviewers."""

    def chooser(user: User, verb: str) -> QuerySet:
        demands = visible_demands(user, kinds)
        if verb == CHANGE and not (can(user, "submit_requests") or can(user, "review_requests")):
            return demands.none()
        return demands

    return chooser


def _org_units(user: User, verb: str) -> QuerySet:
    if verb == CHANGE and not can(user, "edit_ledger"):
        return OrgUnit.objects.none()
    return visible_org_units(user)


def _audit_entries(user: User, verb: str) -> QuerySet:
    """Administrators read everything, reviewers their org units' entries; nobody changes any."""
    from yibiao.audit.models import AuditEntry

    if verb == CHANGE or not can(user, "view_audit"):
        return AuditEntry.objects.none()
    return AuditEntry.objects.select_related("actor").filter(scope_q(user, "org_code"))


def _transfers(user: User, verb: str) -> QuerySet:
    """Transfer requests: seen by both communities; decided by the resident's current one
    (or the township above it); withdrawn by the one that asked (see ledger.transfers)."""
    from yibiao.ledger.models import Transfer

    if not can(user, "edit_ledger"):
        return Transfer.objects.none()
    ours = scope_q(user, "from_code")
    if verb == VIEW:
        ours |= scope_q(user, "to_unit__code")
    return Transfer.objects.filter(ours).select_related("person", "to_unit", "from_unit")


def _ledger_writes(user: User, verb: str) -> QuerySet:
    """Imports and registrations (undoable for a day): seen and undone by those who keep the
    unit's ledger — the user who did it while the unit is still theirs, or anyone who may
    change that unit."""
    from yibiao.ledger.models import LedgerWrite

    if not can(user, "edit_ledger"):
        return LedgerWrite.objects.none()
    return LedgerWrite.objects.filter(scope_q(user, "org_code")).select_related("org_unit", "actor")


_PERMITTED: dict[str, Callable[[User, str], QuerySet]] = {
    "ledger.person": _people,
    "ledger.household": _households,
    "ledger.place": _places,
    "ledger.transfer": _transfers,
    "ledger.ledgerwrite": _ledger_writes,
    "reports.task": _tasks,
    "gate.demand": _demands(None),
    "gate.formrequest": _demands(("table",)),
    "gate.workitem": _demands(("task", "inspection")),
    "orgunits.orgunit": _org_units,
    "audit.auditentry": _audit_entries,
}

_REFUSALS = {
    "ledger.person": gettext_lazy("无权修改该人员：此人不在您管辖的社区（网格）居住，或不存在。"),
    "ledger.household": gettext_lazy("无权修改该家庭户：不在您的管辖范围内，或不存在。"),
    "reports.task": gettext_lazy("无权处理该任务，或它不存在。"),
    "gate.demand": gettext_lazy("无权修改该事项，或它不存在。"),
    "gate.formrequest": gettext_lazy("无权修改该报表需求，或它不存在。"),
    "gate.workitem": gettext_lazy("无权修改该事项，或它不存在。"),
    "ledger.transfer": gettext_lazy("无权处理该迁入申请，或它不存在。"),
    "ledger.place": gettext_lazy("无权修改该房屋：不在您的管辖范围内，或不存在。"),
    "ledger.ledgerwrite": gettext_lazy("无权撤销该导入或登记，或它不存在。"),
}


def permitted(user: User, model: type, verb: str = VIEW) -> QuerySet:
    """The objects of `model` the user may `view` or `change`; nothing for unknown models."""
    if verb not in (VIEW, CHANGE):
        raise ValueError(f"unknown verb {verb!r}")
    if not is_active_user(user):
        return model._default_manager.none()
    chooser = _PERMITTED.get(model._meta.label_lower)
    if chooser is None:
        raise ValueError(f"no scope rule for {model._meta.label_lower}")
    return chooser(user, verb)


def may(user: User, verb: str, obj: Any) -> bool:
    return permitted(user, type(obj), verb).filter(pk=obj.pk).exists()


def require_may(user: User, verb: str, obj: Any) -> Any:
    """The object if the user may act on it; the same refusal whether it exists or not."""
    if not may(user, verb, obj):
        label = type(obj)._meta.label_lower
        raise OutOfScope(str(_REFUSALS.get(label, gettext_lazy("您无权进行此操作。"))))
    return obj
