"""The automatic analysis a reviewer sees before any human judgement.

For each column: which element it is, whether the ledger already holds it for the
subjects in scope (and for what share), whether it is derivable or filled by the
system, or new. Then: which admitted (or pending) requests ask the same, the burden on
the grassroots per period and per year in worker-hours — beside the burden of filling
the same table by hand — the sensitive elements and whether each is justified, and a
plain verdict line.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from yibiao.dictionary.rules import Rules
from yibiao.ledger.models import Fact, Household, Place, Residence
from yibiao.ledger.snapshot import DERIVED_HOUSEHOLD, DERIVED_PERSON, household_values, people_as_of
from yibiao.matching import normalise
from yibiao.orgunits.models import Level, OrgUnit, codes_at_or_above, nearest, subtree_q
from yibiao.reports.filters import ACTIVITY_FORM, PER_PERIOD
from yibiao.sheets import SheetError, formats, read_workbook

from .models import PERIODS_PER_YEAR, AdmissionRules, FormRequest, Status

# Column kinds, in the order the page lists them.
SYSTEM, DERIVED, HELD, NEW = "system", "derived", "held", "new"


@dataclass
class ColumnAnalysis:
    column: str
    header: str
    element: str | None
    element_name: str
    status: str  # the matcher's: auto | suggested | unmapped
    kind: str  # system | derived | held | new
    share: float  # of subjects in scope whose value the ledger holds (1 for system/derived)
    missing_cells: int  # per period
    sensitive: bool = False
    justified: bool = True
    per_period: bool = False  # for a new column: the system's guess, asked again each period?


@dataclass
class Overlap:
    request_id: int
    title: str
    department: str
    status: str
    shared_columns: int
    share: float
    same_subjects: bool = True  # the same filter: the same people are asked about


@dataclass
class Burden:
    subjects: int
    communities: int
    periods_per_year: int
    seconds_per_cell: float
    seconds_per_form: float
    cells_per_period: int
    cells_per_year: int
    hours_per_year: float
    hand_cells_per_period: int
    hand_hours_per_year: float


@dataclass
class Analysis:
    subject: str
    columns: list[ColumnAnalysis]
    overlaps: list[Overlap]
    duplicate_of: int | None
    burden: Burden
    new_elements: int
    unjustified_sensitive: list[str]
    verdict: str
    warnings: list[str] = field(default_factory=list)
    # What the template asks that the ledger's values cannot be written as (a code missing
    # from a dropdown, a day the ledger does not hold): left for the worker, not written in
    # our format.
    format_problems: list[str] = field(default_factory=list)

    @property
    def served_by_ledger(self) -> bool:
        """Nothing for the grassroots to type: no new element, no gap in the ledger."""
        return self.new_elements == 0 and self.burden.cells_per_period == 0

    def as_dict(self) -> dict:
        return asdict(self)


def guess_per_period(request: FormRequest, header: str) -> bool:
    """A visit or service record form's own columns, or a column about the period's activity
    (本月, 次数, 走访 …), is asked again each period; anything else is a lasting state."""
    return bool(ACTIVITY_FORM.search(normalise(request.title))
                or PER_PERIOD.search(normalise(header)))


def rules_for(unit: OrgUnit) -> AdmissionRules:
    """The nearest configured rules at or above the unit; defaults when none are set."""
    configured = {r.org_unit.code: r for r in AdmissionRules.objects.filter(
        org_unit__code__in=codes_at_or_above(unit.code)).select_related("org_unit")}
    return nearest(configured, unit.code) or AdmissionRules(org_unit=unit)


def residents_in(unit: OrgUnit):  # noqa: ANN201
    return Residence.objects.filter(subtree_q(unit.code, "org_code"), valid_to__isnull=True)


def subjects_in_scope(subject: str, unit: OrgUnit, layout: str) -> int:
    if layout == "aggregate":  # one row of counts per community
        return communities_in(unit)
    if subject == "household":
        return Household.objects.filter(subtree_q(unit.code, "org_unit__code")).count()
    if subject == "place":
        return Place.objects.filter(subtree_q(unit.code, "org_unit__code")).count()
    return residents_in(unit).count()


def communities_in(unit: OrgUnit) -> int:
    if unit.level in (Level.COMMUNITY, Level.GRID):
        return 1
    return OrgUnit.objects.filter(subtree_q(unit.code), level=Level.COMMUNITY).count()


def held_counts(elements: list[str], unit: OrgUnit) -> dict[str, int]:
    """How many subjects in scope have a (non-erased) value for each stored element."""
    by_kind: dict[str, list[str]] = {}
    for element in elements:
        by_kind.setdefault(element.split(".")[0], []).append(element)
    counts: dict[str, int] = {}
    subjects = {
        "person": residents_in(unit).values("person_id"),
        "household": Household.objects.filter(subtree_q(unit.code, "org_unit__code")).values("pk"),
        "place": Place.objects.filter(subtree_q(unit.code, "org_unit__code")).values("pk"),
    }
    for kind, codes in by_kind.items():
        if kind not in subjects:
            continue
        rows = (Fact.objects.filter(subject_kind=kind, element__in=codes,
                                    subject_id__in=subjects[kind], value__isnull=False)
                .exclude(value="").values("element")
                .annotate(n=Count("subject_id", distinct=True)))
        counts.update({row["element"]: row["n"] for row in rows})
    return counts


def filtered_counts(request: FormRequest, elements: list[str]) -> tuple[int, dict[str, int]]:
    """Subjects the request's filter selects today, and how many of them have each element.

    Reads the scope as of today (the filter needs derived values such as age), so it costs
    a pass over the scope's people: fine for an analysis run once per request.
    """
    from yibiao.reports.filters import matches
    from yibiao.reports.periods import period_of

    today = timezone.localdate()
    period = period_of(request.frequency, today)
    people = people_as_of(request.scope.code, today)
    households = household_values(people)
    selected = []
    for person in people:
        values = {**person.values, **households.get(person.household_id, {})}
        if matches(values, request.subject_filter, period):
            selected.append(values)
    held = {e: sum(1 for v in selected if v.get(e) not in (None, "")) for e in elements}
    return len(selected), held


def column_key(column: dict) -> str:
    """What a column asks for: its element, or for a new column its normalised wording."""
    return column.get("element") or f"new:{normalise(column.get('header', ''))}"


def find_overlaps(request: FormRequest) -> list[Overlap]:
    keys = {column_key(c) for c in request.columns if column_key(c) != "meta.seq"}
    if not keys:
        return []
    others = (FormRequest.objects.filter(status__in=[Status.ADMITTED, Status.SUBMITTED])
              .exclude(pk=request.pk).select_related("department", "scope"))
    found = []
    for other in others:
        if not (other.scope.contains(request.scope) or request.scope.contains(other.scope)):
            continue
        # Their columns count by element and by wording: a column they introduced has an
        # element now, while this request may still hold the same wording unmapped.
        theirs = {column_key(c) for c in other.columns} | {
            f"new:{normalise(c.get('header', ''))}" for c in other.columns}
        shared = keys & theirs
        if shared:
            found.append(Overlap(other.pk, other.title, other.department.name, other.status,
                                 len(shared), round(len(shared) / len(keys), 3),
                                 other.subject_filter == request.subject_filter))
    return sorted(found, key=lambda o: (-o.share, o.status != Status.ADMITTED, o.request_id))


def analyse(request: FormRequest) -> Analysis:
    rules = Rules.load()
    unit = request.scope
    config = rules_for(unit)
    subject = request.subject or "person"
    stored = [c["element"] for c in request.columns
              if c.get("element") in rules and c["element"].split(".")[0] in
              ("person", "household", "place")]
    if request.subject_filter and request.layout != "aggregate":
        subjects, held = filtered_counts(request, stored)
    else:
        subjects = subjects_in_scope(subject, unit, request.layout)
        held = held_counts(stored, unit) if request.layout != "aggregate" else {}
    columns = []
    for c in request.columns:
        element = c.get("element")
        rule = rules.elements.get(element) if element else None
        if rule and rule.subject in ("meta", "org"):
            kind, share = SYSTEM, 1.0
        elif element in DERIVED_PERSON or element in DERIVED_HOUSEHOLD or c.get("indicator"):
            kind, share = DERIVED, 1.0  # computed from the ledger (an aggregate count too)
        elif rule:
            share = held.get(element, 0) / subjects if subjects else 0.0
            # Known to the dictionary but held for nobody in scope: new to these communities.
            kind = HELD if share > 0 or not subjects else NEW
        else:
            kind, share = NEW, 0.0
        missing = 0 if kind in (SYSTEM, DERIVED) else subjects - round(share * subjects)
        sensitive = bool(rule and rule.sensitive)
        justified = not sensitive or bool(request.justifications.get(element, "").strip())
        columns.append(ColumnAnalysis(
            c["column"], c["header"], element, rule.name_zh if rule else "",
            c.get("status", "unmapped"), kind, round(share, 4), missing, sensitive, justified,
            rule.per_period if rule else (
                kind == NEW and not c.get("indicator") and guess_per_period(request, c["header"]))))
    overlaps = find_overlaps(request)
    # The same columns about the same subjects: asking again what another form already asks.
    duplicate = next((o for o in overlaps if o.share >= 1.0 and o.same_subjects), None)
    seconds_per_cell = config.seconds_per_cell or settings.YIBIAO_SECONDS_PER_CELL
    seconds_per_form = config.seconds_per_form or settings.YIBIAO_SECONDS_PER_FORM
    periods = PERIODS_PER_YEAR[request.frequency]
    communities = communities_in(unit)
    cells = sum(c.missing_cells for c in columns)
    hand_cells = len(columns) * subjects
    forms_seconds = communities * seconds_per_form if cells else 0.0
    burden = Burden(
        subjects=subjects, communities=communities, periods_per_year=periods,
        seconds_per_cell=seconds_per_cell, seconds_per_form=seconds_per_form,
        cells_per_period=cells, cells_per_year=cells * periods,
        hours_per_year=round(periods * (cells * seconds_per_cell + forms_seconds) / 3600, 2),
        hand_cells_per_period=hand_cells,
        hand_hours_per_year=round(
            periods * (hand_cells * seconds_per_cell + communities * seconds_per_form) / 3600, 2),
    )
    new_columns = [c for c in columns if c.kind == NEW]
    unjustified = [c.element for c in columns if not c.justified and c.element]
    if duplicate:
        verdict = (f"与{'已准入' if duplicate.status == Status.ADMITTED else '待审核'}的"
                   f"《{duplicate.title}》（第 {duplicate.request_id} 号，{duplicate.department}）"
                   "重复（多头重复）")
    elif not new_columns and cells == 0:
        verdict = "可完全由台账生成——无需基层填报"
    else:
        incomplete = sum(1 for c in columns if c.kind == HELD and c.missing_cells)
        verdict = (f"需要 {communities} 个社区（村）补充 {len(new_columns)} 个新数据项"
                   + (f"（另有 {incomplete} 项台账不全）" if incomplete else "")
                   + f"，每期约 {cells} 个单元格，全年约 {burden.hours_per_year} 工时")
    warnings = [f"第 {c.column} 列“{c.header}”的对应关系待确认" for c in columns
                if c.status == "suggested"]
    return Analysis(subject, columns, overlaps, duplicate.request_id if duplicate else None,
                    burden, len(new_columns), unjustified, verdict, warnings,
                    format_problems(request, rules))


def format_problems(request: FormRequest, rules: Rules) -> list[str]:
    """Per column, what its dropdown, number format or notes ask that some values cannot be
    written as; read from the formats stored at submission (or the template, for requests
    stored before formats were)."""
    stored = {c["index"]: formats.from_summary(c["index"], c["header"], c["format"])
              for c in request.columns if c.get("format") and "index" in c}
    if not stored and request.template and Path(request.template.path).exists():
        try:
            path = Path(request.template.path)
            layout = read_workbook(path).sheet(request.sheet_name)
            stored = formats.read_formats(path, request.sheet_name, layout).columns
        except (SheetError, KeyError, ValueError, OSError):
            stored = {}
    problems = []
    for c in request.columns:
        fmt = stored.get(c.get("index"))
        if fmt is None:
            continue
        for problem in formats.expected_problems(fmt, element_kind(rules, c.get("element"))):
            problems.append(f"第 {c['column']} 列“{c['header']}”：{problem}")
    return problems


def element_kind(rules: Rules, code: str | None) -> formats.ElementKind | None:
    """What the writer needs of an element (its value type and code list)."""
    rule = rules.elements.get(code) if code else None
    if rule is None:
        return None
    return formats.ElementKind(code, rule.value_type, rule.code_list)
