"""Accounts created by an administrator, one or a whole list (a county's grid workers).

A province has tens of thousands of grid workers: typing each into the admin site is not
how they get accounts. An administrator gives a list — 用户名, 姓名, 角色, 所属组织代码,
部门 — and every good row becomes an account with a generated password, shown once to be
handed out; every bad row comes back with its reason and nothing of it is created. Who may:
the scope module (`manage_users`), and only for units inside the administrator's own scope.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from yibiao.audit.log import record
from yibiao.audit.models import Action
from yibiao.orgunits.models import Level, OrgUnit
from yibiao.values.normalise import compact, halfwidth, lookup_key

from . import scope
from .models import Department, Role, User

# What people write in a 角色 column, after lookup_key (traditional, full-width, case).
ROLE_WORDS = {
    **{lookup_key(word): Role.WORKER for word in (
        "worker", "社区工作者", "网格员", "网格工作者", "社区（网格）工作者", "社区(网格)工作者", "工作者",
        "社区干部", "村干部")},
    **{lookup_key(word): Role.OFFICER for word in ("officer", "部门填报需求人员", "部门人员", "部门", "填报需求人员")},
    **{lookup_key(word): Role.REVIEWER for word in ("reviewer", "减负办审核员", "审核员", "减负办")},
    **{lookup_key(word): Role.ADMIN for word in ("admin", "系统管理员", "管理员")},
}
# Header words of an account list, after lookup_key.
COLUMNS = {
    "username": ("用户名", "账号", "帐号", "登录名", "username"),
    "display_name": ("姓名", "名字", "name", "displayname"),
    "role": ("角色", "role"),
    "org_code": ("所属组织代码", "组织代码", "单位代码", "区划代码", "所属组织", "org", "orgcode"),
    "department": ("部门", "所属部门", "department"),
}


@dataclass(frozen=True)
class AccountSpec:
    """One account as asked for; `row` is where it stood in the list (None: one typed)."""

    username: str
    role: str
    org_code: str = ""
    department: str = ""
    display_name: str = ""
    row: int | None = None


@dataclass(frozen=True)
class Refused:
    row: int | None
    username: str
    message: str


@dataclass
class Provisioned:
    created: list[tuple[User, str]] = field(default_factory=list)  # (account, its password, shown once)
    refused: list[Refused] = field(default_factory=list)
    dry_run: bool = False


def create_accounts(actor: object, specs: Sequence[AccountSpec], *, dry_run: bool = False) -> Provisioned:
    """Each good spec an account with a generated password; the bad ones refused with their
    reason. The good ones are created together (one transaction), audited one by one."""
    scope.require(actor, "manage_users")
    result = Provisioned(dry_run=dry_run)
    taken = set(User.objects.filter(username__in=[s.username.strip() for s in specs])
                .values_list("username", flat=True))
    units = {u.code: u for u in OrgUnit.objects.filter(code__in=[halfwidth(s.org_code).strip() for s in specs])}
    departments = {lookup_key(n): d for d in Department.objects.all() for n in (d.name, d.short_name) if n}
    good: list[tuple[AccountSpec, User]] = []
    seen: set[str] = set()
    for spec in specs:
        try:
            user = _account(actor, spec, taken | seen, units, departments)
        except ValidationError as problem:
            result.refused.append(Refused(spec.row, spec.username, " ".join(problem.messages)))
            continue
        seen.add(user.username)
        good.append((spec, user))
    if dry_run:
        result.created = [(user, "") for _spec, user in good]
        return result
    with transaction.atomic():
        for _spec, user in good:
            password = secrets.token_urlsafe(12)
            user.set_password(password)
            user.save()
            record(actor, Action.CREATE, subject_kind="user", subject_id=user.username,
                   org_code=user.org_unit.code if user.org_unit else "", role=user.role)
            result.created.append((user, password))
    return result


def _account(actor: object, spec: AccountSpec, taken: set[str], units: dict[str, OrgUnit],
             departments: dict[str, Department]) -> User:
    username = spec.username.strip()
    if not username:
        raise ValidationError(_("用户名为空"))
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        raise ValidationError(_("用户名“%(name)s”只能由字母、数字和 @/./+/-/_ 组成") % {"name": username[:30]}) from None
    if len(username) > 150:
        raise ValidationError(_("用户名超过 150 个字符"))
    if username in taken:
        raise ValidationError(_("用户名“%(name)s”已被使用") % {"name": username})
    role = ROLE_WORDS.get(lookup_key(spec.role or ""))
    if role is None:
        raise ValidationError(_("角色“%(role)s”不是 社区工作者、部门填报需求人员、减负办审核员、系统管理员 之一")
                              % {"role": (spec.role or "")[:30]})
    code = compact(halfwidth(spec.org_code or ""))
    unit = units.get(code) if code else None
    if code and unit is None:
        raise ValidationError(_("没有代码为 %(code)s 的组织") % {"code": code[:20]})
    if unit is None and role != Role.ADMIN:
        raise ValidationError(_("缺少所属组织代码（只有系统管理员可以不填）"))
    if unit is not None and not scope.in_scope(actor, unit.code):
        raise ValidationError(_("组织“%(unit)s”不在您的管辖范围内") % {"unit": unit.name})
    if unit is None and getattr(actor, "org_unit_id", None) is not None:
        raise ValidationError(_("只有管辖全部组织的管理员才能创建不限组织的管理员"))
    if role == Role.WORKER and unit.level not in (Level.COMMUNITY, Level.GRID):
        raise ValidationError(_("社区工作者的所属组织应为社区或网格，“%(unit)s”是%(level)s")
                              % {"unit": unit.name, "level": unit.get_level_display()})
    department = None
    if spec.department.strip():
        department = departments.get(lookup_key(spec.department))
        if department is None:
            raise ValidationError(_("没有名为“%(name)s”的部门（先在管理后台添加部门）") % {"name": spec.department.strip()[:30]})
    if role == Role.OFFICER and department is None:
        raise ValidationError(_("部门填报需求人员须填写所属部门"))
    return User(username=username, role=role, org_unit=unit, department=department,
                display_name=spec.display_name.strip()[:50])


def specs_from_rows(rows: Iterable[Sequence[object]]) -> list[AccountSpec]:
    """AccountSpecs from a table whose first non-empty row names the columns (COLUMNS);
    rows numbered as the sheet shows them. Raises ValueError naming a missing column."""
    specs: list[AccountSpec] = []
    where: dict[str, int] | None = None
    for row_no, row in enumerate(rows, start=1):
        cells = ["" if v is None else str(v).strip() for v in row]
        if not any(cells):
            continue
        if where is None:
            where = _header(cells)
            continue
        got = {name: cells[i] if i < len(cells) else "" for name, i in where.items()}
        specs.append(AccountSpec(got["username"], got["role"], got.get("org_code", ""),
                                 got.get("department", ""), got.get("display_name", ""), row_no))
    if where is None:
        raise ValueError(_("表中没有内容"))
    return specs


def _header(cells: list[str]) -> dict[str, int]:
    words = {lookup_key(w): name for name, spelled in COLUMNS.items() for w in spelled}
    where: dict[str, int] = {}
    for i, text in enumerate(cells):
        name = words.get(lookup_key(text))
        if name is not None and name not in where:
            where[name] = i
    missing = [COLUMNS[n][0] for n in ("username", "role") if n not in where]
    if missing:
        raise ValueError(_("第一行应是表头，缺少列：%(columns)s（可用列：用户名、姓名、角色、所属组织代码、部门）")
                         % {"columns": "、".join(missing)})
    return where
