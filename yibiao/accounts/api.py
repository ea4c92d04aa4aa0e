"""Who am I, and which org units can I see."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from . import scope

router = Router(tags=["accounts"])


class OrgUnitOut(Schema):
    code: str
    name: str
    level: str
    full_name: str


class MeOut(Schema):
    username: str
    display_name: str
    role: str
    org_unit: OrgUnitOut | None
    department: str | None


@router.get("/me", response=MeOut)
def me(request: HttpRequest) -> MeOut:
    user = request.user
    return MeOut(
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        org_unit=OrgUnitOut.from_orm(user.org_unit) if user.org_unit else None,
        department=user.department.name if user.department else None,
    )


@router.get("/org-units/{code}", response=OrgUnitOut)
def org_unit(request: HttpRequest, code: str) -> OrgUnitOut:
    return OrgUnitOut.from_orm(scope.get_visible_org_unit(request.user, code))


@router.get("/org-units/{code}/children", response=list[OrgUnitOut])
def org_unit_children(request: HttpRequest, code: str) -> list[OrgUnitOut]:
    unit = scope.get_visible_org_unit(request.user, code)
    return [OrgUnitOut.from_orm(child) for child in unit.children.all()]
