"""The automatic analysis a reviewer sees before any human judgement.

For each column: which element it is, whether the ledger already holds it for the
subjects in scope (and for what share), whether it is derivable or filled by the
system, or new. Then: which admitted (or pending) requests ask the same, the burden on
the grassroots per period and per year in worker-hours — beside the burden of filling
the same table by hand — the sensitive columns and the department's decision for each
(the full value with its reason, or masked), and a plain verdict line.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from yibiao import stored as stored_files
from yibiao.dictionary.rules import Rules
from yibiao.gate.models import PERIODS_PER_YEAR, FormRequest, Status
from yibiao.gate.rules import rules_for
from yibiao.ledger.models import Fact, Household, Place, Residence
from yibiao.ledger.partitions import fact_county_q
from yibiao.ledger.snapshot import DERIVED_HOUSEHOLD, DERIVED_PERSON
from yibiao.matching import normalise
from yibiao.orgunits.models import Level, OrgUnit, subtree_q
from yibiao.refusals import Reason
from yibiao.reports.filterlang import same
from yibiao.reports.filters import ACTIVITY_FORM, PER_PERIOD
from yibiao.reports.prefill import is_optional
from yibiao.sheets import SheetError, formats, inspect_file, read_workbook

from . import decisions

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
    # Sensitive personal information, or a personal number (ID, phone): leaves only as the
    # department decided at submission (decisions.py).
    sensitive: bool = False
    justified: bool = True  # the full value, with a reason (True for a column needing none)
    per_period: bool = False  # for a new column: the system's guess, asked again each period?
    decision: str = ""  # full | masked | "" (undecided, or nothing to decide)
    reason: str = ""  # why the full value, for a `full` decision
    masked_how: str = ""  # for `masked`: partly (a number's ends shown) | withheld (left empty)


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
class FilterElement:
    """An element the filter reads, and whether the ledger can answer it."""

    element: str
    name: str
    kind: str  # derived | held | new
    held: int  # subjects in scope with a value (all of them, before the filter)
    missing_cells: int  # for a new element: one cell per subject in scope, to collect


@dataclass
class SubjectFilter:
    """Who the rows are about: the filter as text, where it came from, the system's
    suggestion, the rows under it per community, and what it needs from the ledger."""

    text: str = ""
    text_en: str = ""
    status: str = ""
    suggestion: dict = field(default_factory=dict)
    rows_per_community: list[dict] = field(default_factory=list)  # {"code", "name", "rows"}
    elements: list[FilterElement] = field(default_factory=list)
    as_of: str = ""


@dataclass
class Analysis:
    subject: str
    columns: list[ColumnAnalysis]
    overlaps: list[Overlap]
    duplicate_of: int | None
    burden: Burden
    new_elements: int
    undecided_sensitive: list[str]  # sensitive columns' elements with no decision
    verdict: str
    warnings: list[dict] = field(default_factory=list)
    # What the template asks that the ledger's values cannot be written as (a code missing
    # from a dropdown, a day the ledger does not hold): left for the worker, not written in
    # our format. Each of these lists holds reasons as `Reason.stored()` ({"code", "context"};
    # plain Chinese text in analyses stored before), said by the `said` filter.
    format_problems: list[dict] = field(default_factory=list)
    subject_filter: SubjectFilter = field(default_factory=SubjectFilter)
    # What the template file itself asks a person to know: a VBA project read past, never run.
    notices: list[dict] = field(default_factory=list)
    verdict_en: str = ""  # the verdict in English: pages show the reader's language (gate_tags.verdict)

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
        rows = (Fact.objects.filter(fact_county_q(unit.code), subject_kind=kind, element__in=codes,
                                    subject_id__in=subjects[kind], value__isnull=False)
                .exclude(value="").values("element")
                .annotate(n=Count("subject_id", distinct=True)))
        counts.update({row["element"]: row["n"] for row in rows})
    return counts


def filtered_counts(request: FormRequest, elements: list[str]
                    ) -> tuple[int, dict[str, int], dict[str, int]]:
    """Subjects the request's filter selects at the end of the current period, how many of
    them have each element, and how many live in each org unit (by code).

    The rows are selected as the report selects them (prefill.selected_subjects: age at
    the period's end), so it costs a pass over the scope's subjects: fine for an analysis
    run once per request.
    """
    from yibiao.reports.periods import period_of
    from yibiao.reports.prefill import selected_subjects

    period = period_of(request.frequency, timezone.localdate())
    selected = selected_subjects(request, request.scope, period)
    held = {e: sum(1 for _k, _c, v in selected if v.get(e) not in (None, "")) for e in elements}
    by_code: dict[str, int] = {}
    for _key, code, _values in selected:
        by_code[code] = by_code.get(code, 0) + 1
    return len(selected), held, by_code


def codes_in_scope(subject: str, unit: OrgUnit) -> dict[str, int]:
    """Subjects in scope per org code, without a filter (one query)."""
    if subject == "household":
        rows = Household.objects.filter(subtree_q(unit.code, "org_unit__code")).values("org_unit__code")
    elif subject == "place":
        rows = Place.objects.filter(subtree_q(unit.code, "org_unit__code")).values("org_unit__code")
    else:
        rows = residents_in(unit).values("org_code")
    return {code: n for code, n in rows.annotate(n=Count("pk")).values_list(*rows.query.values_select, "n")}


def per_community(unit: OrgUnit, by_code: dict[str, int]) -> list[dict]:
    """Rows per community (village) of the scope, from counts per org code (grids roll up)."""
    if unit.level in (Level.COMMUNITY, Level.GRID):
        units = [unit]
    else:
        units = list(OrgUnit.objects.filter(subtree_q(unit.code), level=Level.COMMUNITY).order_by("code"))
    return [{"code": u.code, "name": u.name,
             "rows": sum(n for code, n in by_code.items() if code.startswith(u.code))} for u in units]


def filter_elements(request: FormRequest, rules: Rules, subjects_total: int) -> list[FilterElement]:
    """What the filter reads from the ledger: derived elements always answer; a stored one
    held for nobody in scope is new — it must be collected for everyone in scope before
    the filter can pick anyone."""
    from yibiao.reports.filterlang import elements_of
    from yibiao.reports.filters import DERIVED_FILTER_ELEMENTS

    reads: list[str] = []
    for code in elements_of(request.subject_filter):
        for element in (DERIVED_FILTER_ELEMENTS[code][4] if code in DERIVED_FILTER_ELEMENTS else (code,)):
            if element not in reads:
                reads.append(element)
    stored = [e for e in reads if e not in DERIVED_PERSON and e not in DERIVED_HOUSEHOLD]
    held = held_counts(stored, request.scope) if stored else {}
    found = []
    for element in reads:
        rule = rules.elements.get(element)
        name = rule.name_zh if rule else element
        if element not in stored:
            found.append(FilterElement(element, name, DERIVED, subjects_total, 0))
        elif held.get(element, 0):
            found.append(FilterElement(element, name, HELD, held[element], 0))
        else:
            found.append(FilterElement(element, name, NEW, 0, subjects_total))
    return found


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
                                 same(other.subject_filter, request.subject_filter)))
    return sorted(found, key=lambda o: (-o.share, o.status != Status.ADMITTED, o.request_id))


def analyse(request: FormRequest) -> Analysis:
    rules = Rules.load()
    unit = request.scope
    config = rules_for(unit)
    subject = request.subject or "person"
    stored = [c["element"] for c in request.columns
              if c.get("element") in rules and c["element"].split(".")[0] in
              ("person", "household", "place")]
    by_code: dict[str, int] = {}
    if request.subject_filter and request.layout != "aggregate":
        subjects, held, by_code = filtered_counts(request, stored)
    else:
        subjects = subjects_in_scope(subject, unit, request.layout)
        held = held_counts(stored, unit) if request.layout != "aggregate" else {}
        if request.layout != "aggregate":
            by_code = codes_in_scope(subject, unit)
    decided = {d.element: d for d in decisions.decisions_of(
        request.columns, rules, request.justifications, request.masked_elements)}
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
        # An optional column (备注, one the template or request marks so) is never asked of the
        # grassroots: what is typed into it is their choice, not burden the gate admits.
        missing = 0 if kind in (SYSTEM, DERIVED) or is_optional(c) else subjects - round(share * subjects)
        decision = decided.get(element) if element and not c.get("indicator") else None
        sensitive = decisions.needs_decision(rule) and decision is not None
        choice = decision.choice if decision else ""
        columns.append(ColumnAnalysis(
            c["column"], c["header"], element, rule.name_zh if rule else "",
            c.get("status", "unmapped"), kind, round(share, 4), missing, sensitive,
            not sensitive or choice == decisions.FULL,
            rule.per_period if rule else (
                kind == NEW and not c.get("indicator") and guess_per_period(request, c["header"])),
            choice, decision.reason if decision else "",
            ("partly" if decision.partly else "withheld") if choice == decisions.MASKED else ""))
    chosen = describe_filter(request, rules, subject, unit, by_code)
    overlaps = find_overlaps(request)
    # The same columns about the same subjects: asking again what another form already asks.
    duplicate = next((o for o in overlaps if o.share >= 1.0 and o.same_subjects), None)
    seconds_per_cell = config.seconds_per_cell or settings.YIBIAO_SECONDS_PER_CELL
    seconds_per_form = config.seconds_per_form or settings.YIBIAO_SECONDS_PER_FORM
    periods = PERIODS_PER_YEAR[request.frequency]
    communities = communities_in(unit)
    to_collect = [e for e in chosen.elements if e.kind == NEW]
    cells = sum(c.missing_cells for c in columns) + sum(e.missing_cells for e in to_collect)
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
    new_count = len(new_columns) + len(to_collect)
    undecided = list(dict.fromkeys(c.element for c in columns if c.sensitive and not c.decision and c.element))
    if duplicate:
        verdict = (f"与{'已准入' if duplicate.status == Status.ADMITTED else '待审核'}的"
                   f"《{duplicate.title}》（第 {duplicate.request_id} 号，{duplicate.department}）"
                   "重复（多头重复）")
    elif not new_count and cells == 0:
        verdict = "可完全由台账生成——无需基层填报"
    else:
        incomplete = sum(1 for c in columns if c.kind == HELD and c.missing_cells)
        verdict = (f"需要 {communities} 个社区（村）补充 {new_count} 个新数据项"
                   + (f"（其中筛选条件用到 {len(to_collect)} 项：{'、'.join(e.name for e in to_collect)}）"
                      if to_collect else "")
                   + (f"（另有 {incomplete} 项台账不全）" if incomplete else "")
                   + f"，每期约 {cells} 个单元格，全年约 {burden.hours_per_year} 工时")
    warnings = [Reason("column_unconfirmed", column=c.column, header=c.header).stored() for c in columns
                if c.status == "suggested"]
    analysis = Analysis(subject, columns, overlaps, duplicate.request_id if duplicate else None,
                        burden, new_count, undecided, verdict, warnings,
                        format_problems(request, rules), chosen, template_notices(request))
    analysis.verdict_en = english_verdict(analysis.as_dict())
    return analysis


def english_verdict(stored: dict) -> str:
    """The verdict in English, from the analysis as stored (`as_dict`): pure and cheap, so a
    page reads it for an analysis stored before verdict_en existed too (gate_tags.verdict)."""
    burden = stored.get("burden") or {}
    communities, cells = burden.get("communities", 0), burden.get("cells_per_period", 0)
    new_count = stored.get("new_elements", 0)
    duplicate = next((o for o in stored.get("overlaps") or []
                      if stored.get("duplicate_of") and o.get("request_id") == stored["duplicate_of"]), None)
    if duplicate:
        return (f"Asks again what the {'admitted' if duplicate['status'] == Status.ADMITTED else 'pending'} "
                f"“{duplicate['title']}” (no. {duplicate['request_id']}, {duplicate['department']}) asks")
    if not new_count and cells == 0:
        return "Can be produced entirely from the ledger: nothing for the grassroots to fill in"
    to_collect = [e for e in (stored.get("subject_filter") or {}).get("elements") or [] if e.get("kind") == NEW]
    incomplete = sum(1 for c in stored.get("columns") or [] if c.get("kind") == HELD and c.get("missing_cells"))
    return (f"{communities} communities (villages) must add {new_count} new data items"
            + (f" ({len(to_collect)} of them for the filter)" if to_collect else "")
            + (f" ({incomplete} more held incompletely in the ledger)" if incomplete else "")
            + f"; about {cells} cells a period, about {burden.get('hours_per_year', 0)} worker-hours a year")


def describe_filter(request: FormRequest, rules: Rules, subject: str, unit: OrgUnit,
                    by_code: dict[str, int]) -> SubjectFilter:
    from yibiao.reports.periods import period_of

    from .subjects import describe, vocabulary

    vocab = vocabulary(rules)
    total = subjects_in_scope(subject, unit, request.layout) if request.subject_filter else 0
    listed = request.layout != "aggregate"
    return SubjectFilter(
        text=describe(request.subject_filter, vocab),
        text_en=describe(request.subject_filter, vocab, english=True),
        status=request.filter_status, suggestion=request.filter_suggestion or {},
        rows_per_community=per_community(unit, by_code) if listed else [],
        elements=filter_elements(request, rules, total) if listed else [],
        as_of=period_of(request.frequency, timezone.localdate()).end.isoformat())


def format_problems(request: FormRequest, rules: Rules) -> list[dict]:
    """Per column, what its dropdown, number format or notes ask that some values cannot be
    written as; read from the formats stored at submission (or the template, for requests
    stored before formats were)."""
    stored = {c.get("cell") or c["index"]: formats.from_summary(c["index"], c["header"], c["format"])
              for c in request.columns if c.get("format") and "index" in c}
    if not stored and request.template and stored_files.exists(request.template.name):
        try:
            with stored_files.local_copy(request.template.name) as path:
                layout = read_workbook(path).sheet(request.sheet_name)
                stored = formats.read_formats(path, request.sheet_name, layout).columns
        except (SheetError, KeyError, ValueError, OSError):
            stored = {}
    problems = []
    for c in request.columns:
        fmt = stored.get(c.get("cell")) or stored.get(c.get("index"))
        if fmt is None:
            continue
        for problem in formats.expected_problems(fmt, element_kind(rules, c.get("element"))):
            problems.append(Reason("column_format", column=c["column"], header=c["header"], problem=str(problem),
                                   problem_en=formats.english_of(problem)).stored())
    return problems


def element_kind(rules: Rules, code: str | None) -> formats.ElementKind | None:
    """What the writer needs of an element (its value type and code list)."""
    rule = rules.elements.get(code) if code else None
    if rule is None:
        return None
    return formats.ElementKind(code, rule.value_type, rule.code_list)


def template_notices(request: FormRequest) -> list[dict]:
    """The template's file-level notices (sheets/errors.py): cheap, the zip directory or the
    OLE bytes only, so the analysis can say them every time it runs."""
    if not request.template:
        return []
    try:
        with stored_files.local_copy(request.template.name) as path:
            inspection = inspect_file(path, scan_cells=False)
    except (SheetError, OSError, ValueError):
        return []
    return [Reason("template_notice", text=w.message, text_en=w.message_en).stored() for w in inspection.warnings]
