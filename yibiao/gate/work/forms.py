"""What people type into the work-item form, read into the workflow's plain dataclass.

Not Django forms: the workflow already checks every rule and names what is wrong in
Chinese; this only turns text into dates and numbers, and says so when it cannot.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from yibiao.gate.models import EvidenceKind, WorkItem
from yibiao.refusals import Reason

from .workflow import Evidence, NewWorkItem

EVIDENCE_ROWS = 4


DATE_FIELDS_EN = {"开始日期": "the start date", "结束日期": "the end date"}


def parse_date(text: str, label: str, problems: list[str]) -> dt.date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        problems.append(Reason("form_date_unreadable", field=label, field_en=DATE_FIELDS_EN.get(label, label),
                               text=text))
        return None


def parse_hours(text: str, problems: list[str]) -> float | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        problems.append(Reason("form_hours_not_number", text=text))
        return None


def read(post: Mapping[str, str], subjects: list[str]) -> tuple[NewWorkItem, list[str]]:
    """The form's values as a NewWorkItem, and the values that could not be read."""
    problems: list[str] = []
    evidence = []
    for n in range(1, EVIDENCE_ROWS + 1):
        what = post.get(f"evidence_what_{n}", "").strip()
        why = post.get(f"evidence_why_{n}", "").strip()
        if what or why:
            evidence.append(Evidence(what, why, post.get(f"evidence_kind_{n}") or EvidenceKind.OTHER))
    new = NewWorkItem(
        kind=post.get("kind", ""), title=post.get("title", ""), department=post.get("department", ""),
        basis=post.get("basis", ""), scope_code=post.get("scope", ""),
        start=parse_date(post.get("start", ""), "开始日期", problems),
        end=parse_date(post.get("end", ""), "结束日期", problems),
        hours_per_community=parse_hours(post.get("hours", ""), problems),
        estimate_basis=post.get("estimate_basis", ""), frequency=post.get("frequency") or "once",
        subjects=subjects, subjects_note=post.get("subjects_note", ""),
        description=post.get("description", ""), evidence=evidence)
    return new, problems


def initial(item: WorkItem) -> dict[str, str]:
    """A returned item's values, to correct and resubmit."""
    values = {"kind": item.kind, "title": item.title, "department": item.department.name,
              "basis": item.basis, "scope": item.scope.code, "start": item.start_date.isoformat(),
              "end": item.end_date.isoformat(), "hours": f"{item.hours_per_community:g}" if item.hours_per_community else "",
              "estimate_basis": item.estimate_basis, "frequency": item.frequency,
              "subjects_note": item.subjects_note, "description": item.description}
    for n, demand in enumerate(item.evidence.filter(struck=False)[:EVIDENCE_ROWS], 1):
        values[f"evidence_what_{n}"] = demand.what
        values[f"evidence_why_{n}"] = demand.justification
        values[f"evidence_kind_{n}"] = demand.kind
    return values
