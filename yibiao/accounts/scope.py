"""What a user may see and do: the one place that decides.

Every view, API endpoint, export and command asks these functions; nothing else
filters by org unit or checks a role. Scope is the user's org unit and everything below
it (a code-prefix range, see orgunits.models.subtree_q). An administrator without an
org unit sees everything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from yibiao.orgunits.models import Level, OrgUnit, codes_at_or_above, subtree_q

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


def require_role(user: User, *roles: str) -> None:
    if not is_active_user(user) or user.role not in roles:
        raise OutOfScope(_("您的角色无权进行此操作。"))


# What each role may do. Data, not if-chains: a new ability is a new row.
ABILITIES: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset(
        {"edit_ledger", "view_ledger", "reveal_personal", "review_requests",
         "submit_requests", "manage_dictionary", "view_audit", "manage_users"}
    ),
    Role.REVIEWER: frozenset({"review_requests", "view_audit", "view_ledger_aggregates"}),
    Role.OFFICER: frozenset({"submit_requests", "view_ledger_aggregates"}),
    Role.WORKER: frozenset({"edit_ledger", "view_ledger", "reveal_personal"}),
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


def visible_requests(user: User) -> QuerySet:
    """Department form requests a user may see.

    Officers: their department's, within their scope. Reviewers and administrators: those
    scoped at or below their org unit. Workers: admitted requests that reach their
    community (the catalogue of what they may legitimately be asked).
    """
    from yibiao.admission.models import FormRequest, Status

    code = scope_code(user)
    requests = FormRequest.objects.select_related("department", "scope")
    if user.role == Role.OFFICER:
        return requests.filter(scope_q(user, "scope__code"), department_id=user.department_id)
    if user.role in (Role.REVIEWER, Role.ADMIN):
        return requests.filter(scope_q(user, "scope__code"))
    if code is None or code == NOTHING:
        return requests.none()
    return requests.filter(status=Status.ADMITTED, scope__code__in=codes_at_or_above(code))


def visible_work_items(user: User) -> QuerySet:
    """Work tasks and inspections a user may see.

    Officers: those of their department (or joint with it), within their scope. Reviewers
    and administrators: those scoped at or below their org unit. Workers: admitted items
    that land on their unit (scoped above, at or below it) — never pending or refused ones.
    """
    from yibiao.workload.models import Status, WorkItem

    code = scope_code(user)
    items = WorkItem.objects.select_related("department", "scope")
    if user.role == Role.OFFICER:
        return items.filter(scope_q(user, "scope__code")).filter(
            Q(department_id=user.department_id) | Q(joint_with=user.department_id)).distinct()
    if user.role in (Role.REVIEWER, Role.ADMIN):
        return items.filter(scope_q(user, "scope__code"))
    if code is None or code == NOTHING:
        return items.none()
    return items.filter(Q(scope__code__in=codes_at_or_above(code)) | scope_q(user, "scope__code"),
                        status=Status.ADMITTED)


def visible_unadmitted_reports(user: User) -> QuerySet:
    """Reports of requests that slipped past the gate.

    Workers: their own. Reviewers and administrators: those from communities in scope.
    Officers: their department's once a reviewer has converted them — without who reported
    (a worker must not fear reporting the department that sends them work).
    """
    from yibiao.workload.models import ReportStatus, UnadmittedReport

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
