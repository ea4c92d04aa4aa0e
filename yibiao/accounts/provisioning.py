"""Accounts created by an administrator, one or a whole list (a county's grid workers).

A province has tens of thousands of grid workers: typing each into the admin site is not
how they get accounts. An administrator gives a list — 用户名, 姓名, 角色, 所属组织代码,
部门 — and every good row becomes an account with a generated password, shown once to be
handed out; every bad row comes back with its reason and nothing of it is created; a row
whose account already exists as asked is counted, not refused, so a list can be run again.
Who may: the scope module (`manage_users`), and only for units inside the administrator's
own scope; an all-scope administrator from a list only when asked for (`allow_admins`).
"""

from __future__ import annotations

import re
import secrets
import string
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from yibiao.audit.log import record
from yibiao.audit.models import Action
from yibiao.orgunits.models import Level, OrgUnit
from yibiao.values.normalise import compact, halfwidth, lookup_key

from . import scope
from .models import Department, Role, User
from .operators import OPERATOR

# What people write in a 角色 column, after lookup_key (traditional, full-width, case).
ROLE_WORDS = {
    **{lookup_key(word): Role.WORKER for word in (
        "worker", "社区工作者", "网格员", "网格工作者", "社区（网格）工作者", "社区(网格)工作者", "工作者",
        "社区干部", "村干部", "专职网格员", "网格长", "兼职网格员", "社区专职工作者")},
    **{lookup_key(word): Role.OFFICER for word in ("officer", "部门填报需求人员", "部门人员", "部门", "填报需求人员")},
    **{lookup_key(word): Role.REVIEWER for word in ("reviewer", "减负办审核员", "审核员", "减负办")},
    **{lookup_key(word): Role.ADMIN for word in ("admin", "系统管理员", "管理员")},
}
# Header words of an account list, after lookup_key.
COLUMNS = {
    "username": ("用户名", "账号", "帐号", "登录名", "登录账号", "登录帐号", "username"),
    "display_name": ("姓名", "名字", "name", "displayname"),
    "role": ("角色", "role"),
    "org_code": ("所属组织代码", "组织代码", "单位代码", "区划代码", "所属组织", "组织编码", "单位编码", "网格编码",
                 "社区编码", "网格代码", "社区代码", "org", "orgcode"),
    "department": ("部门", "所属部门", "department"),
}
HEADER_SEARCH = 10  # rows a title may take above the header
_NOTE_IN_HEADER = re.compile(r"[（(［\[【].*?[）)］\]】]")
# Roles whose unit is a department's office (county or township), not a community.
OFFICE_ROLES = (Role.OFFICER, Role.REVIEWER)
# A spreadsheet reads a cell starting with one of these as a formula (=HYPERLINK(…)).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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
    existing: list[User] = field(default_factory=list)  # already there as asked: nothing done
    refused: list[Refused] = field(default_factory=list)
    dry_run: bool = False

    def by_role(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for user, _password in self.created:
            counts[user.get_role_display()] = counts.get(user.get_role_display(), 0) + 1
        return counts


def clean_code(raw: str) -> str:
    """An org unit code as lists hold it: spaced, full-width, quoted as text ('430104…) or
    read back from a number cell (430104001001.0)."""
    code = compact(halfwidth(raw or "")).lstrip("'")
    return code[:-2] if code.endswith(".0") and code[:-2].isdigit() else code


def clean_username(raw: str) -> str:
    """As the login form reads it: full-width letters and digits are the ASCII ones."""
    return unicodedata.normalize("NFKC", raw or "").strip()


def create_accounts(actor: object, specs: Sequence[AccountSpec], *, dry_run: bool = False,
                    allow_admins: bool = False, before_commit: Callable[[Provisioned], None] | None = None,
                    progress: Callable[[int, int], None] | None = None) -> Provisioned:
    """Each good spec an account with a generated password; the bad ones refused with their
    reason. The good ones are created together (one transaction), audited one by one;
    `before_commit(result)` (writing the passwords down) failing takes them all back."""
    scope.require(actor, "manage_users")
    result = Provisioned(dry_run=dry_run)
    names = [clean_username(s.username) for s in specs]
    # Compared ignoring case, as the admin site does (Admin beside admin locks admin out).
    known = {u.username.casefold(): u for u in User.objects.annotate(folded=Lower("username"))
             .filter(folded__in={n.lower() for n in names})}
    units = {u.code: u for u in OrgUnit.objects.filter(code__in=[clean_code(s.org_code) for s in specs])}
    departments = {lookup_key(n): d for d in Department.objects.all() for n in (d.name, d.short_name) if n}
    good: list[User] = []
    first_row: dict[str, int | None] = {}
    for spec, username in zip(specs, names, strict=True):
        try:
            user = _account(actor, spec, username, units, departments, allow_admins)
            folded = user.username.casefold()
            if folded in first_row:
                raise ValidationError(_("用户名“%(name)s”与第 %(row)s 行重复") % {"name": user.username,
                                                                          "row": first_row[folded]})
            existing = known.get(folded)
            if existing is not None:
                if (existing.username, existing.role, existing.org_unit_id) == (user.username, user.role,
                                                                                  user.org_unit_id):
                    result.existing.append(existing)
                    first_row[folded] = spec.row
                    continue
                raise ValidationError(_("用户名“%(name)s”已被使用") % {"name": existing.username})
        except ValidationError as problem:
            result.refused.append(Refused(spec.row, spec.username, " ".join(problem.messages)))
            continue
        first_row[folded] = spec.row
        good.append(user)
    if dry_run:
        result.created = [(user, "") for user in good]
        return result
    passwords = [_password() for _user in good]
    # PBKDF2 gives the GIL up: hashed on every core (0.25 s each, 2,000 workers 9 minutes on one).
    with ThreadPoolExecutor() as pool:
        hashed = pool.map(make_password, passwords)
        for done, (user, digest) in enumerate(zip(good, hashed, strict=True), start=1):
            user.password = digest
            if progress is not None and done % 50 == 0:
                progress(done, len(good))
    with transaction.atomic():
        User.objects.bulk_create(good, batch_size=500)
        for user, password in zip(good, passwords, strict=True):
            record(actor, Action.CREATE, subject_kind="user", subject_id=user.username,
                   org_code=user.org_unit.code if user.org_unit else "", role=user.role)
            result.created.append((user, password))
        if before_commit is not None:
            before_commit(result)
    return result


def _password() -> str:
    """16 characters of letters and digits, never starting with what a spreadsheet reads
    as a formula."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _i in range(16))


def _account(actor: object, spec: AccountSpec, username: str, units: dict[str, OrgUnit],
             departments: dict[str, Department], allow_admins: bool) -> User:
    if not username:
        raise ValidationError(_("用户名为空"))
    if not username.isascii() and any(unicodedata.category(c).startswith("L") and not _cjk(c) for c in username):
        raise ValidationError(_("用户名“%(name)s”只能由字母、数字、汉字和 @/./+/-/_ 组成") % {"name": _shown(username)})
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        raise ValidationError(_("用户名“%(name)s”只能由字母、数字、汉字和 @/./+/-/_ 组成")
                              % {"name": _shown(username)}) from None
    if len(username) > 150:
        raise ValidationError(_("用户名超过 150 个字符"))
    if username.casefold() == OPERATOR:
        raise ValidationError(_("用户名“%(name)s”留给命令行操作员") % {"name": username})
    if username.startswith(FORMULA_START):
        raise ValidationError(_("用户名“%(name)s”不能以 = + - @ 开头（表格软件会当成公式）") % {"name": _shown(username)})
    if not (spec.role or "").strip():
        raise ValidationError(_("没有填写角色"))
    role = ROLE_WORDS.get(lookup_key(spec.role))
    if role is None:
        raise ValidationError(_("角色“%(role)s”不是 社区工作者（网格员）、部门填报需求人员、减负办审核员、系统管理员 之一")
                              % {"role": _shown(spec.role[:30])})
    code = clean_code(spec.org_code)
    unit = units.get(code) if code else None
    if code and unit is None:
        if "E+" in code.upper():
            raise ValidationError(_("组织代码“%(code)s”被表格软件存成了数字（科学计数法）：请把该列设为文本格式后重新录入")
                                  % {"code": code[:20]})
        raise ValidationError(_("没有代码为 %(code)s 的组织") % {"code": _shown(code[:20])})
    if unit is None and role != Role.ADMIN:
        raise ValidationError(_("缺少所属组织代码（只有系统管理员可以不填）"))
    if unit is not None and not scope.in_scope(actor, unit.code):
        raise ValidationError(_("组织“%(unit)s”（%(code)s）不在您的管辖范围内") % {"unit": unit.name, "code": unit.code})
    if unit is None and getattr(actor, "org_unit_id", None) is not None:
        raise ValidationError(_("只有管辖全部组织的管理员才能创建不限组织的管理员"))
    if role == Role.ADMIN and not allow_admins:
        raise ValidationError(_("名单中的系统管理员须明确允许（--allow-admins）"))
    if role == Role.WORKER and unit.level not in (Level.COMMUNITY, Level.GRID):
        raise ValidationError(_("社区工作者的所属组织应为社区或网格，“%(unit)s”是%(level)s")
                              % {"unit": unit.name, "level": unit.get_level_display()})
    if role in OFFICE_ROLES and unit.level in (Level.COMMUNITY, Level.GRID):
        raise ValidationError(_("%(role)s的所属组织应为区县或街道（乡镇），“%(unit)s”是%(level)s")
                              % {"role": Role(role).label, "unit": unit.name, "level": unit.get_level_display()})
    department = None
    if spec.department.strip():
        if role != Role.OFFICER:
            raise ValidationError(_("只有部门填报需求人员有所属部门"))
        department = departments.get(lookup_key(spec.department))
        if department is None:
            raise ValidationError(_("没有名为“%(name)s”的部门（先在管理后台添加部门）")
                                  % {"name": _shown(spec.department.strip()[:30])})
    if role == Role.OFFICER and department is None:
        raise ValidationError(_("部门填报需求人员须填写所属部门"))
    # Only an administrator of every unit may use the admin site: it does not ask scope.py.
    everything = role == Role.ADMIN and unit is None
    return User(username=username, role=role, org_unit=unit, department=department,
                display_name=_shown(spec.display_name.strip())[:50], is_staff=everything,
                is_superuser=everything)


def _cjk(char: str) -> bool:
    return "CJK" in unicodedata.name(char, "")


def _shown(text: str) -> str:
    """Text from a list as it may be printed: control characters (a terminal's escape
    codes) shown as their code point."""
    return "".join(f"\\u{ord(c):04x}" if unicodedata.category(c).startswith("C") else c for c in text)


def specs_from_rows(rows: Iterable[Sequence[object]]) -> list[AccountSpec]:
    """AccountSpecs from a table whose header (the first row, or one of the first few below
    a title) names the columns (COLUMNS); rows numbered as the sheet shows them. Raises
    ValueError naming a missing column."""
    specs: list[AccountSpec] = []
    where: dict[str, int] | None = None
    seen = 0
    for row_no, row in enumerate(rows, start=1):
        cells = ["" if v is None else str(v).strip() for v in row]
        if not any(cells):
            continue
        if where is None:
            seen += 1
            where = _header(cells, last_try=seen >= HEADER_SEARCH)
            continue
        if _footer(cells):
            continue
        got = {name: cells[i] if i < len(cells) else "" for name, i in where.items()}
        specs.append(AccountSpec(got["username"], got["role"], got.get("org_code", ""),
                                 got.get("department", ""), got.get("display_name", ""), row_no))
    if where is None:
        raise ValueError(_("表中没有表头（须有“用户名”和“角色”两列）") if seen else _("表中没有内容"))
    return specs


def _footer(cells: list[str]) -> bool:
    """合计 44 人, 填表人：…, 注：…: a list's last lines, not accounts."""
    own = [c for c in cells if c]
    return len(own) <= 2 and bool(re.match(r"(合计|总计|小计|填表|填报|审核人|制表|注|说明|备注)", lookup_key(own[0])))


def _header(cells: list[str], *, last_try: bool) -> dict[str, int] | None:
    words = {lookup_key(w): name for name, spelled in COLUMNS.items() for w in spelled}
    where: dict[str, int] = {}
    for i, text in enumerate(cells):
        # 必填 marks and notes in brackets are not the column's name: *用户名, 组织代码（15位）
        name = words.get(lookup_key(_NOTE_IN_HEADER.sub("", text.lstrip("*＊ "))))
        if name is not None and name not in where:
            where[name] = i
    missing = [COLUMNS[n][0] for n in ("username", "role") if n not in where]
    if not missing:
        return where
    if last_try:
        raise ValueError(_("前 %(n)s 行中没有表头，缺少列：%(columns)s（可用列：用户名、姓名、角色、所属组织代码、部门）")
                         % {"n": HEADER_SEARCH, "columns": "、".join(missing)})
    return None


def reset_password(actor: object, username: str) -> tuple[User, str]:
    """A new generated password for an account in the administrator's scope (a forgotten
    one, or one handed out and lost); audited. Refused the same whether the account is
    out of scope or does not exist."""
    scope.require(actor, "manage_users")
    account = User.objects.select_related("org_unit").filter(username=clean_username(username)).first()
    everything = getattr(actor, "org_unit_id", None) is None
    administrator = account is not None and (account.role == Role.ADMIN or account.is_staff or account.is_superuser)
    if (account is None or account.username == OPERATOR
            or (administrator and not everything)  # a peer, or one holding the admin site
            or (account.org_unit is None and not everything)
            or (account.org_unit is not None and not scope.in_scope(actor, account.org_unit.code))):
        raise scope.OutOfScope(_("账号“%(name)s”不存在或不在您的管辖范围内。") % {"name": _shown(username)})
    password = _password()
    account.set_password(password)
    account.save(update_fields=["password"])
    record(actor, Action.CHANGE, subject_kind="user", subject_id=account.username,
           org_code=account.org_unit.code if account.org_unit else "", reason="重设密码")
    return account, password
