"""The analysis a reviewer sees before deciding on a task or inspection.

Three questions, answered from what is already admitted:
1. overlaps — which other departments' tasks or inspections target the same subjects in
   an overlapping part of the tree at the same time (police and housing both inspecting
   rental houses → one joint visit, 多检合一);
2. load — the hours per worker per week each community would carry with this item added
   (admitted tasks, inspections and tables), against the nearest GateRules ceiling;
3. rules — e.g. at most N inspections per community per quarter.
The result is stored with the item (WorkItem.analysis) and ends in a plain verdict line.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field

from django.utils import timezone
from django.utils.translation import gettext_noop

from yibiao.accounts.models import Role, User
from yibiao.agenda.schedule import Window, occurrences, quarter_key, quarters, weeks
from yibiao.gate.models import (
    PERIODS_PER_YEAR,
    FormRequest,
    Kind,
    Status,
    Subject,
    WorkItem,
)
from yibiao.gate.models import Status as RequestStatus
from yibiao.gate.rules import all_rules, in_force, rules_for
from yibiao.orgunits.models import Level, OrgUnit, reaching_q, subtree_q

# Stored in the analysis as Simplified text; marked so the catalogues carry them and a page
# says them in its language (`{{ o.suggestion|ui }}`).
SUGGESTIONS = {
    (Kind.INSPECTION, Kind.INSPECTION): gettext_noop("建议合并为一次联合检查（多检合一）"),
    (Kind.TASK, Kind.TASK): gettext_noop("建议合并开展，一次入户完成"),
}
MIXED_SUGGESTION = gettext_noop("建议同步开展，避免重复入户")
SUGGESTIONS_EN = {SUGGESTIONS[(Kind.INSPECTION, Kind.INSPECTION)]: "merge them into one joint inspection",
                  SUGGESTIONS[(Kind.TASK, Kind.TASK)]: "do them together, one visit to each home",
                  MIXED_SUGGESTION: "do them at the same time, not two visits to each home"}


@dataclass
class OverlapFinding:
    item_id: int
    title: str
    kind: str
    department: str
    status: str
    shared_subjects: list[str]
    start: str
    end: str
    suggestion: str


@dataclass
class CommunityLoad:
    code: str
    name: str
    week: str  # Monday of the heaviest week
    hours: float  # the community's hours that week
    workers: int
    hours_per_worker: float
    over: bool


@dataclass
class Load:
    ceiling: float
    communities: int
    peak: CommunityLoad | None
    over: list[CommunityLoad] = field(default_factory=list)  # the first 20, heaviest first
    over_count: int = 0
    # Inspections per community per quarter over the limit: {"quarter", "limit", "communities"}.
    quarter_breaches: list[dict] = field(default_factory=list)


@dataclass
class Analysis:
    overlaps: list[OverlapFinding]
    load: Load
    violations: list[str]
    evidence_demanded: int
    evidence_struck: int
    verdict: str
    verdict_en: str = ""  # the same in English: pages show the reader's language (gate_tags.verdict)

    def as_dict(self) -> dict:
        return asdict(self)


def reaches(scope_code: str, community_code: str) -> bool:
    return community_code.startswith(scope_code) or scope_code.startswith(community_code)


def communities_of(unit: OrgUnit) -> list[OrgUnit]:
    """The communities an item scoped at this unit lands on (a grid lands on its community)."""
    if unit.level == Level.COMMUNITY:
        return [unit]
    if unit.level == Level.GRID:
        return list(OrgUnit.objects.filter(code=unit.code[:12])) or [unit]
    return list(OrgUnit.objects.filter(subtree_q(unit.code), level=Level.COMMUNITY).order_by("code"))


def window_of(item: WorkItem) -> Window:
    return Window(item.start_date, item.end_date)


def subject_labels(codes: list[str]) -> list[str]:
    labels = dict(Subject.choices)
    return [str(labels.get(code, code)) for code in codes]


def find_overlaps(item: WorkItem) -> list[OverlapFinding]:
    """Other departments' admitted or pending items on the same subjects, places and time."""
    if not item.subjects:
        return []
    mine = occurrences(item.start_date, item.end_date, item.frequency)
    others = (WorkItem.objects.filter(reaching_q(item.scope.code),
                                      status__in=[Status.ADMITTED, Status.SUBMITTED],
                                      start_date__lte=item.end_date, end_date__gte=item.start_date)
              .exclude(pk=item.pk).exclude(department_id=item.department_id)
              .select_related("department").order_by("start_date", "pk"))
    findings = []
    for other in others:
        shared = [code for code in item.subjects if code in set(other.subjects)]
        if not shared:
            continue
        theirs = occurrences(other.start_date, other.end_date, other.frequency)
        if not any(a.overlaps(b) for a in mine for b in theirs):
            continue
        findings.append(OverlapFinding(
            other.pk, other.title, other.kind, other.department.name, other.status,
            subject_labels(shared), other.start_date.isoformat(), other.end_date.isoformat(),
            SUGGESTIONS.get((item.kind, other.kind), MIXED_SUGGESTION)))
    return findings


def _spread(hours: float, windows: list[Window], week: Window) -> float:
    """An occurrence's hours spread evenly over its days; the share falling in this week."""
    return sum(hours * w.overlap_days(week) / w.days for w in windows)


def _table_sources(scope_code: str, window: Window) -> list[tuple[str, float, list[Window]]]:
    """Admitted tables as (scope code, hours per community per period, period windows)."""
    sources = []
    for request in FormRequest.objects.filter(reaching_q(scope_code),
                                              status=RequestStatus.ADMITTED).select_related("scope"):
        burden = (request.analysis or {}).get("burden") or {}
        per_year = float(burden.get("hours_per_year") or 0)
        communities = max(1, int(burden.get("communities") or 1))
        periods = PERIODS_PER_YEAR.get(request.frequency, 1)
        if request.frequency == "once":
            decided = timezone.localdate(request.decided_at or request.submitted_at)  # the day in YIBIAO_TIME_ZONE
            windows = occurrences(decided, decided, "monthly")
            windows = [Window(w.start.replace(day=1), w.end) for w in windows]
        else:
            windows = occurrences(window.start, window.end, request.frequency)
        sources.append((request.scope.code, per_year / periods / communities, windows))
    return sources


def _item_sources(scope_code: str, window: Window, exclude: int | None) -> list[tuple[str, float, list[Window], str]]:
    items = (WorkItem.objects.filter(reaching_q(scope_code), status=Status.ADMITTED,
                                     start_date__lte=window.end, end_date__gte=window.start)
             .select_related("scope"))
    if exclude:
        items = items.exclude(pk=exclude)
    return [(i.scope.code, i.hours_per_community,
             occurrences(i.start_date, i.end_date, i.frequency, window), i.kind) for i in items]


def worker_counts(communities: list[OrgUnit]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    codes = [c.code for c in communities]
    if not codes:
        return counts
    workers = User.objects.filter(role=Role.WORKER, is_active=True,
                                  org_unit__code__gte=min(codes), org_unit__code__lt=max(codes) + "~")
    for code in workers.values_list("org_unit__code", flat=True):
        counts[code[:12]] += 1
    return counts


def load_for(item: WorkItem, *, include_self: bool = True) -> tuple[Load, list[str]]:
    """Per community, the heaviest week with this item added; and the quarterly inspection rule."""
    window = window_of(item)
    spans = list(quarters(window))
    # Whole quarters: an inspection early in the quarter counts against one late in it.
    reach = Window(spans[0].start, spans[-1].end) if spans else window
    communities = communities_of(item.scope)
    rules = all_rules()
    items = _item_sources(item.scope.code, reach, item.pk)
    if include_self:
        items.append((item.scope.code, item.hours_per_community,
                      occurrences(item.start_date, item.end_date, item.frequency), item.kind))
    tables = _table_sources(item.scope.code, window)
    staff = worker_counts(communities)
    loads: list[CommunityLoad] = []
    breaches: dict[str, list[str]] = defaultdict(list)
    for community in communities:
        config = in_force(community.code, rules, community)
        mine = [s for s in items if reaches(s[0], community.code)]
        tabled = [s for s in tables if reaches(s[0], community.code)]
        best: tuple[float, Window] | None = None
        for week in weeks(window):
            hours = sum(_spread(h, w, week) for _, h, w, _ in mine) + \
                sum(_spread(h, w, week) for _, h, w in tabled)
            if best is None or hours > best[0]:
                best = (hours, week)
        if best is None:
            continue
        workers = max(staff.get(community.code, 0), config.workers_per_community, 1)
        per_worker = round(best[0] / workers, 2)
        loads.append(CommunityLoad(community.code, community.name, best[1].start.isoformat(),
                                   round(best[0], 2), workers, per_worker,
                                   per_worker > config.weekly_hours_ceiling))
        if item.kind == Kind.INSPECTION:
            for quarter in spans:
                count = sum(len([w for w in windows if w.overlaps(quarter)])
                            for _, _, windows, kind in mine if kind == Kind.INSPECTION)
                if count > config.max_inspections_per_quarter:
                    breaches[f"{quarter_key(quarter)}|{config.max_inspections_per_quarter}"].append(
                        f"{community.name}（{count} 次）")
    ceiling = rules_for(item.scope).weekly_hours_ceiling
    over = sorted((c for c in loads if c.over), key=lambda c: -c.hours_per_worker)
    peak = max(loads, key=lambda c: c.hours_per_worker, default=None)
    violations, quarter_breaches = [], []
    for key, names in sorted(breaches.items()):
        quarter, limit = key.split("|")
        listed = "、".join(names[:5]) + (f"等 {len(names)} 个社区" if len(names) > 5 else "")
        violations.append(f"{quarter} 督查检查次数超过每社区每季度 {limit} 次的上限：{listed}")
        quarter_breaches.append({"quarter": quarter, "limit": int(limit), "communities": listed})
    return Load(ceiling, len(communities), peak, over[:20], len(over), quarter_breaches), violations


def analyse(item: WorkItem) -> Analysis:
    overlaps = find_overlaps(item)
    load, violations = load_for(item)
    demands = list(item.evidence.all()) if item.pk else []
    struck = sum(1 for d in demands if d.struck)
    parts = []
    if overlaps:
        named = "；".join(f"{o.department}《{o.title}》（{'、'.join(o.shared_subjects)}），{o.suggestion}"
                         for o in overlaps[:3])
        parts.append(f"与其他部门 {len(overlaps)} 项事项对象相同、时间重叠：{named}")
    if load.over_count:
        worst = load.over[0]
        parts.append(f"加上本项后 {load.over_count} 个社区每人每周派出工作超过上限 {load.ceiling:g} 小时"
                     f"（最高：{worst.name} {worst.week} 那一周每人 {worst.hours_per_worker:g} 小时）")
    parts.extend(violations)
    if not parts:
        peak = f"，最忙一周每人 {load.peak.hours_per_worker:g} 小时" if load.peak else ""
        parts.append(f"未发现与其他部门重复，基层负担在上限内{peak}")
    analysis = Analysis(overlaps, load, violations, len(demands), struck, "。".join(parts) + "。")
    analysis.verdict_en = english_verdict(analysis.as_dict())
    return analysis


def english_verdict(stored: dict) -> str:
    """The verdict in English, from the analysis as stored (`as_dict`): pure and cheap, so a
    page reads it for an analysis stored before verdict_en existed too (gate_tags.verdict)."""
    overlaps, load = stored.get("overlaps") or [], stored.get("load") or {}
    english = []
    if overlaps:
        named = "; ".join(f"{o['department']} “{o['title']}”, {SUGGESTIONS_EN.get(o['suggestion'], o['suggestion'])}"
                          for o in overlaps[:3])
        english.append(f"same subjects at overlapping times as {len(overlaps)} items of other departments: {named}")
    if load.get("over_count") and load.get("over"):
        worst = load["over"][0]
        english.append(f"with this item {load['over_count']} communities go over the weekly ceiling of "
                       f"{load['ceiling']:g} hours per worker (the heaviest: {worst['name']}, the week of "
                       f"{worst['week']}, {worst['hours_per_worker']:g} hours per worker)")
    english.extend(f"{b['quarter']}: more inspections than the limit of {b['limit']} per community "
                   f"per quarter: {b['communities']}" for b in load.get("quarter_breaches") or [])
    if not english:
        peak = load.get("peak")
        busiest = f"; the busiest week {peak['hours_per_worker']:g} hours per worker" if peak else ""
        english.append(f"no overlap with other departments, the burden within the limits{busiest}")
    return ". ".join(part[0].upper() + part[1:] for part in english) + "."
