"""`yibiao demo`: one real county, its real townships, a synthetic population.

The generator (synth.py) is pure; this module writes its output through bulk inserts in
one transaction, with every fact marked source=demo. Re-running with the data present
changes nothing unless --reset is given.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from yibiao.accounts.models import Department, Role, User
from yibiao.dictionary.rules import Rules
from yibiao.ledger.bulk import insert_rows
from yibiao.ledger.models import Fact, Household, Person, Place, Residence, Source, SubjectKind
from yibiao.ledger.partitions import ensure_counties
from yibiao.ledger.snapshot import DERIVED_PERSON
from yibiao.ledger.state import rebuild_states
from yibiao.orgunits.divisions import join_name
from yibiao.orgunits.models import Level, OrgUnit, subtree_q
from yibiao.values.pinyin import name_initials, unit_initials

from .requests import submit_all, submit_work
from .synth import SynthCounty, generate_county

DEMO_COUNTY = "430104"  # 湖南省长沙市岳麓区: real code, real townships, synthetic people
DEMO_SINCE = dt.date(2025, 1, 1)  # the day the demo ledger was bootstrapped
DEPARTMENTS = [
    ("区卫生健康局", "卫健"), ("区民政局", "民政"), ("区公安分局", "公安"), ("区统计局", "统计"),
    ("区疾病预防控制中心", "疾控"), ("区退役军人事务局", "退役军人"), ("区残疾人联合会", "残联"),
]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str
    scope: str
    note: str = ""
    display_name: str = ""


@dataclass
class DemoResult:
    county: str
    created: bool
    communities: int = 0
    grids: int = 0
    households: int = 0
    people: int = 0
    places: int = 0
    facts: int = 0
    requests: int = 0
    work_items: int = 0
    accounts: list[DemoAccount] = field(default_factory=list)

    def summary(self) -> str:
        if not self.created:
            return f"演示县 {self.county} 已有数据，未重复生成（要重建请加 --reset）。"
        return (
            f"演示县 {self.county}：{self.communities} 个社区（村），{self.grids} 个网格，"
            f"{self.households} 户，{self.people} 人，{self.places} 处房屋，{self.facts} 条事实；"
            f"{self.requests} 个部门报表需求和 {self.work_items} 项工作任务、检查经过准入审核"
        )

    def accounts_table(self) -> str:
        lines = ["演示账号（用户名 / 密码 / 角色 / 范围）："]
        for a in self.accounts:
            lines.append(f"  {a.username:<10} {a.password:<18} {a.role:<12} {a.scope} {a.note}")
        return "\n".join(lines)


def demo_exists(county: OrgUnit) -> bool:
    return Person.objects.filter(subtree_q(county.code, "org_unit__code")).exists()


@transaction.atomic
def reset_demo(county: OrgUnit) -> None:
    in_county = subtree_q(county.code, "org_code")
    people = Person.objects.filter(subtree_q(county.code, "org_unit__code"))
    from yibiao.gate.models import FormRequest, WorkItem
    from yibiao.slipped.models import UnadmittedReport

    FormRequest.objects.filter(subtree_q(county.code, "scope__code")).delete()
    UnadmittedReport.objects.filter(subtree_q(county.code, "org_unit__code")).delete()
    WorkItem.objects.filter(subtree_q(county.code, "scope__code")).delete()
    Fact.objects.filter(in_county).delete()
    Residence.objects.filter(in_county).delete()
    Person.objects.filter(pk__in=people.values("pk")).delete()
    Household.objects.filter(subtree_q(county.code, "org_unit__code")).delete()
    Place.objects.filter(subtree_q(county.code, "org_unit__code")).delete()
    User.objects.filter(username__in=[a.username for a in demo_accounts(county, [])]).delete()
    for level in (Level.GRID, Level.COMMUNITY):  # children first: parents are protected
        OrgUnit.objects.filter(subtree_q(county.code), level=level).delete()


def load_demo(seed: int = 1, households: int = 3000, reset: bool = False) -> DemoResult:
    county = OrgUnit.objects.get(code=DEMO_COUNTY)
    if reset:
        reset_demo(county)
    if demo_exists(county):
        return DemoResult(county.full_name, created=False, accounts=ensure_accounts(county))
    townships = [(t.code, t.name) for t in county.children.order_by("code")]
    synth = generate_county(county.code, county.name, townships, seed=seed, households=households)
    result = write_county(county, synth)
    result.accounts = ensure_accounts(county)
    result.requests = len(submit_all(county, timezone.localdate(), seed))
    result.work_items = submit_work(county, timezone.localdate())
    return result


@transaction.atomic
def write_county(county: OrgUnit, synth: SynthCounty) -> DemoResult:
    result = DemoResult(county.full_name, created=True)
    ensure_counties([county.code])  # PostgreSQL: the county's partitions (ledger/partitions.py)
    units = write_units(county, synth)
    result.communities = len(synth.communities)
    result.grids = sum(len(c.grids) for c in synth.communities)

    household_rows = [
        Household(number=h.number, org_unit=units[h.grid_code], community_code=h.community_code,
                  address=h.address)
        for h in synth.households
    ]
    Household.objects.bulk_create(household_rows, batch_size=2000)
    people: list[tuple[Person, str, Household]] = []
    for synth_household, household in zip(synth.households, household_rows, strict=True):
        for member in synth_household.members:
            facts = member.facts
            person = Person(
                id_number=facts["person.id_number"],
                name=facts["person.name"],
                name_initials=name_initials(facts["person.name"]),
                org_unit=household.org_unit,
                household=household,
            )
            people.append((person, facts.get("person.relation_to_head", ""), household))
    Person.objects.bulk_create([p for p, _, _ in people], batch_size=2000)
    now = timezone.now()
    insert_rows(Residence, RESIDENCE_FIELDS, [
        (person.pk, household.pk, household.org_unit_id, household.org_unit.code, relation,
         DEMO_SINCE, None, now, None, Source.DEMO)
        for person, relation, household in people])
    facts: list[tuple] = []
    members = [m for h in synth.households for m in h.members]
    canonical = Canonical(Rules.load())
    for (person, _, household), member in zip(people, members, strict=True):
        for element, value in member.facts.items():
            if element in DERIVED_PERSON or value in (None, ""):
                continue
            facts.append(demo_fact(SubjectKind.PERSON, person.pk, element,
                                   canonical(element, value), household.org_unit.code, now))
    for synth_household, household in zip(synth.households, household_rows, strict=True):
        facts.append(demo_fact(SubjectKind.HOUSEHOLD, household.pk, "household.address",
                               synth_household.address, household.org_unit.code, now))
    result.places = write_places(synth, units, facts, canonical, now)
    insert_rows(Fact, FACT_FIELDS, facts)
    rebuild_states(county.code)  # the bulk insert bypasses the write path that keeps them
    result.households = len(household_rows)
    result.people = len(people)
    result.facts = len(facts)
    return result


def write_units(county: OrgUnit, synth: SynthCounty) -> dict[str, OrgUnit]:
    townships = {t.code: t for t in county.children.all()}
    communities = [
        OrgUnit(code=c.code, name=c.name, level=Level.COMMUNITY, parent=townships[c.township_code],
                full_name=join_name(townships[c.township_code].full_name, c.name),
                initials=unit_initials(c.name))  # what the org-unit picker's user types: hxsq
        for c in synth.communities
    ]
    OrgUnit.objects.bulk_create(communities)
    by_code = {c.code: c for c in communities}
    grids = [
        OrgUnit(code=g.code, name=g.name, level=Level.GRID, parent=by_code[c.code],
                full_name=join_name(by_code[c.code].full_name, g.name), initials=unit_initials(g.name))
        for c in synth.communities for g in c.grids
    ]
    OrgUnit.objects.bulk_create(grids)
    return {u.code: u for u in (*communities, *grids)}


FACT_FIELDS = ["subject_kind", "subject_id", "element", "value", "valid_from", "recorded_at",
               "recorded_by", "source", "org_code", "note"]
RESIDENCE_FIELDS = ["person", "household", "org_unit", "org_code", "relation_to_head",
                    "valid_from", "valid_to", "recorded_at", "recorded_by", "source"]


def demo_fact(kind: str, subject_id: int, element: str, value: str, org_code: str,
              now: dt.datetime) -> tuple:
    return (kind, subject_id, element, value, DEMO_SINCE, now, None, Source.DEMO, org_code, "")


class Canonical:
    """The generator speaks names (本地户籍); the ledger stores what validation would store
    (code 1). Cached per distinct value: most elements have a handful."""

    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self.cache: dict[tuple[str, str], str] = {}

    def __call__(self, element: str, value: str) -> str:
        key = (element, value)
        if key not in self.cache:
            self.cache[key] = self.rules.parse(element, value)[0] or value
        return self.cache[key]


def write_places(synth: SynthCounty, units: dict[str, OrgUnit], facts: list[tuple],
                 canonical: Canonical, now: dt.datetime) -> int:
    places = [Place(address=p.address, org_unit=units[p.grid_code]) for p in synth.places]
    Place.objects.bulk_create(places, batch_size=2000)
    owners = dict(Person.objects.filter(
        id_number__in=[p.owner_id_number for p in synth.places]).values_list("id_number", "name"))
    phones = {m.facts["person.id_number"]: m.facts.get("person.phone", "")
              for h in synth.households for m in h.members}
    for place, synth_place in zip(places, synth.places, strict=True):
        values = {
            "place.address": synth_place.address,
            "place.is_rental": "1" if synth_place.is_rental else "0",
            "place.usage": synth_place.usage,
            "place.owner_name": owners.get(synth_place.owner_id_number, ""),
            "place.owner_phone": phones.get(synth_place.owner_id_number, ""),
        }
        for element, value in values.items():
            if value:
                facts.append(demo_fact(SubjectKind.PLACE, place.pk, element,
                                       canonical(element, value), place.org_unit.code, now))
    return len(places)


def demo_accounts(county: OrgUnit, communities: list[OrgUnit]) -> list[DemoAccount]:
    first, second = (communities + [county, county])[:2]
    return [
        DemoAccount("admin", "demo-admin-2026", Role.ADMIN, "全国", "系统管理员", "管理员"),
        DemoAccount("reviewer", "demo-review-2026", Role.REVIEWER, county.code, "区减负办", "刘建华"),
        DemoAccount("officer", "demo-officer-2026", Role.OFFICER, county.code, "区卫生健康局", "陈静"),
        DemoAccount("worker1", "demo-worker1-2026", Role.WORKER, first.code, first.name, "王丽"),
        DemoAccount("worker2", "demo-worker2-2026", Role.WORKER, second.code, second.name, "张伟"),
    ]


def ensure_accounts(county: OrgUnit) -> list[DemoAccount]:
    """Demo accounts, one per role; the two workers keep communities in different townships."""
    for name, short in DEPARTMENTS:
        Department.objects.get_or_create(name=name, defaults={"short_name": short})
    communities = list(OrgUnit.objects.subtree(county.code).filter(level=Level.COMMUNITY)
                       .order_by("code"))
    picks = communities[:1] + [c for c in communities if c.parent_id != communities[0].parent_id][:1]
    accounts = demo_accounts(county, picks)
    for account in accounts:
        user, _ = User.objects.get_or_create(username=account.username)
        user.role = account.role
        user.org_unit = None if account.role == Role.ADMIN else OrgUnit.objects.get(code=account.scope)
        user.display_name = account.display_name
        user.department = (Department.objects.get(name="区卫生健康局")
                           if account.role == Role.OFFICER else None)
        user.is_staff = user.is_superuser = account.role == Role.ADMIN
        user.set_password(account.password)
        user.save()
    return accounts
