"""`import_ledger`: an existing roster (花名册/台账) into the ledger, through its one write path.

Columns are matched to the dictionary as for any template; only `auto` mappings and the
ones a person confirmed are used, because a wrong mapping puts wrong data in the ledger.
Rows go to `write_people` in one call, so a file is atomic: every good row is written or
none is, and every bad row comes back with its sheet, row, column, value and reason.
"""
from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from hashlib import blake2b
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from yibiao.audit.models import Action
from yibiao.dictionary.rules import Rules
from yibiao.dictionary.words import english
from yibiao.ledger.models import Source, WriteKind
from yibiao.ledger.records import (
    IDENTITY,
    NAME,
    LedgerError,
    PersonInput,
    ReadAgain,
    RowProblem,
    Undoable,
    require_ledger_unit,
    write_people,
)
from yibiao.matching import LearnedAlias, Matcher, match_layout, normalise
from yibiao.orgunits.models import OrgUnit
from yibiao.refusals import _to_traditional, language_of
from yibiao.sheets import SheetError, SheetLayout

from .aliases import learned_aliases, save_confirmations
from .reading import open_sheet

HOUSEHOLD_NUMBER = "household.number"

# progress(stage, percent): "reading" 0 → READ_SHARE as the rows stream in, then
# "validating" (a dry run) or "writing" (an import) from READ_SHARE towards 99 as
# write_people checks and writes each chunk of rows; the caller says when it is done.
Progress = Callable[[str, int], None]
READ_SHARE = 40
REPORT_EVERY = 4096  # rows between reports while reading

REFUSALS_ZH = {
    "no_header": "工作表「{sheet}」中没有找到表头行，无法导入。请确认表头在前 60 行内。",
    "no_id_column": "工作表「{sheet}」中没有确认“公民身份号码”所在的列：无法确认每一行是哪一位居民。"
                    "请在列映射中为身份证号所在的列选择“公民身份号码”。",
    "mapping_unknown_column": "列映射中的“{key}”既不是列字母，也不是工作表「{sheet}」中的表头。",
    "mapping_unknown_element": "列映射把“{key}”对应到“{element}”，但数据字典中没有这个数据元。",
}
REFUSALS_EN = {
    "no_header": "No header row found on sheet {sheet}.",
    "no_id_column": "Sheet {sheet} has no confirmed citizen ID column, so rows cannot be matched to people.",
    "mapping_unknown_column": "Mapping key {key} is neither a column letter nor a header of sheet {sheet}.",
    "mapping_unknown_element": "Mapping sends {key} to {element}, which is not in the data dictionary.",
}


@dataclass(frozen=True)
class Refusal:
    """The whole file was refused: nothing was written."""

    code: str
    message: str
    message_en: str = ""

    @property
    def shown(self) -> str:
        return in_page_language(self.message, self.message_en)


def _summarised(rejections: list[Rejection]) -> list[dict[str, object]]:
    groups: dict[tuple[str, str], dict[str, object]] = {}
    for r in rejections:
        group = groups.setdefault((r.column, r.code), {
            "column": r.column, "element": r.element, "code": r.code, "rows": 0, "first_row": r.row,
            "message": r.message, "message_en": r.message_en})
        group["rows"] += 1  # type: ignore[operator]
    return sorted(groups.values(), key=lambda g: -g["rows"])  # type: ignore[operator]


def shown_problems(result: dict[str, object]) -> dict[str, object]:
    """A result kept as as_dict() (a background job's), its listed rows given `shown` as
    the in-request ones have it: the message in the page's language."""
    out = dict(result)
    for key in ("rejections", "warnings", "transfers", "rejection_summary"):
        items = out.get(key)
        if isinstance(items, list):
            out[key] = [{**item, "shown": in_page_language(item.get("message", ""), item.get("message_en", ""))}
                        for item in items if isinstance(item, dict)]
    refused = out.get("refused")
    if isinstance(refused, dict):
        out["refused"] = {**refused, "shown": in_page_language(refused.get("message", ""),
                                                              refused.get("message_en", ""))}
    return out


def in_page_language(zh: str, en: str) -> str:
    """A message in the page's language: English, Traditional (the refusals' OpenCC), or the
    Simplified as written."""
    language = language_of()
    if language == "en" and en:
        return en
    return _to_traditional().convert(zh) if language == "zh-hant" else zh


def _refusal(code: str, **params: str) -> Refusal:
    return Refusal(code, REFUSALS_ZH[code].format(**params), REFUSALS_EN[code].format(**params))


@dataclass
class ColumnPlan:
    """One column: what matching found, and what the import does with it."""

    column: str
    index: int
    header: str
    path: list[str]
    element: str | None  # what matching proposes
    confidence: float
    status: str  # auto | suggested | unmapped
    samples: list[str] = field(default_factory=list)
    confirmed: bool = False  # a person chose `chosen` (mapping given)
    chosen: str | None = None  # the confirmed element (None: confirmed "import nothing")
    used: str | None = None  # the element imported from this column, if any
    note: str = ""  # why a mapped column is not imported


@dataclass(frozen=True)
class Rejection:
    sheet: str
    row: int | None
    column: str
    element: str
    value: str
    code: str
    message: str
    message_en: str

    @property
    def shown(self) -> str:
        return in_page_language(self.message, self.message_en)


@dataclass
class Plan:
    """What would be imported from one sheet: the layout and each column's mapping."""

    file: str
    sheet: str
    sheet_names: list[str]
    layout: SheetLayout
    subject: str
    columns: list[ColumnPlan]
    refused: Refusal | None = None

    @property
    def used(self) -> dict[str, str]:
        return {c.column: c.used for c in self.columns if c.used}


@dataclass
class ImportResult:
    file: str
    sheet: str = ""
    dry_run: bool = False
    columns: list[ColumnPlan] = field(default_factory=list)
    rows_read: int = 0
    merged: int = 0  # rows repeating another row of the same person: one record
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    facts_written: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    warnings: list[Rejection] = field(default_factory=list)
    # Rows about residents of other communities, sent to them as 迁入申请 (row, message).
    transfers: list[Rejection] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    learned: int = 0
    refused: Refusal | None = None
    write_id: int | None = None  # the LedgerWrite to undo it by (an import, not a dry run)

    @property
    def rejected(self) -> int:
        """Rows left out (a row with two bad values counts once)."""
        return len({r.row for r in self.rejections})

    @property
    def ok(self) -> bool:
        return self.refused is None

    @property
    def rejection_summary(self) -> list[dict[str, object]]:
        """The refused rows by column and reason, most first, each with its first row's
        message (in the page's language as `shown`): a page lists only the first rows."""
        return [{**group, "shown": in_page_language(group["message"], group["message_en"])}
                for group in _summarised(self.rejections)]

    def as_dict(self) -> dict[str, object]:
        """The CLI's --json shape."""
        return {
            "file": self.file, "sheet": self.sheet, "dry_run": self.dry_run,
            "rows_read": self.rows_read, "merged": self.merged, "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged, "rejected": self.rejected,
            "transfer_requests": len(self.transfers),
            "facts_written": self.facts_written,
            "rejections": [{"sheet": r.sheet, "row": r.row, "column": r.column, "value": r.value,
                            "message": r.message, "message_en": r.message_en, "element": r.element,
                            "code": r.code} for r in self.rejections],
            "warnings": [{"sheet": r.sheet, "row": r.row, "column": r.column, "value": r.value,
                          "message": r.message, "message_en": r.message_en, "element": r.element,
                          "code": r.code} for r in self.warnings],
            "transfers": [{"sheet": r.sheet, "row": r.row, "message": r.message, "message_en": r.message_en}
                          for r in self.transfers],
            "rejection_summary": _summarised(self.rejections),
            "columns": [asdict(c) for c in self.columns],
            "learned": self.learned,
            "write_id": self.write_id,
            "refused": asdict(self.refused) if self.refused else None,
        }


def importable(code: str | None, rules: Rules) -> bool:
    """Person facts and the household number; other subjects have their own write paths."""
    return bool(code) and code in rules and (code.startswith("person.") or code == HOUSEHOLD_NUMBER)


def plan_sheet(path: str | Path, sheet: str | None = None,
               mapping: Mapping[str, str | None] | None = None, *, rules: Rules,
               learned: Iterable[LearnedAlias] = ()) -> tuple[Plan, object]:
    """Read the layout, match the columns and apply `mapping`; returns the plan and the row stream.

    The caller must consume or close the stream. SheetError propagates (hostile file).
    """
    stream = open_sheet(path, sheet)
    layout = stream.layout
    match = match_layout(Matcher(None, learned), layout)
    columns = [ColumnPlan(column=c.letter, index=c.index, header=c.header, path=list(c.path),
                          element=m.element, confidence=m.confidence, status=m.status,
                          samples=list(c.samples))
               for c, m in zip(layout.columns, match.columns, strict=True)]
    plan = Plan(file=Path(path).name, sheet=layout.name, sheet_names=stream.sheet_names,
                layout=layout, subject=match.subject, columns=columns)
    if not columns:
        plan.refused = _refusal("no_header", sheet=layout.name)
        return plan, stream
    plan.refused = _apply_mapping(plan, dict(mapping or {}), rules)
    if plan.refused is None and IDENTITY not in plan.used.values():
        plan.refused = _refusal("no_id_column", sheet=layout.name)
    return plan, stream


def _apply_mapping(plan: Plan, mapping: dict[str, str | None], rules: Rules) -> Refusal | None:
    by_letter = {c.column: c for c in plan.columns}
    for key, code in mapping.items():
        code = code or None
        targets = ([by_letter[key.strip().upper()]] if key.strip().upper() in by_letter else
                   [c for c in plan.columns if normalise(c.header) == normalise(key)])
        if not targets:
            return _refusal("mapping_unknown_column", key=key, sheet=plan.sheet)
        if code is not None and code not in rules:
            return _refusal("mapping_unknown_element", key=key, element=code)
        for column in targets:
            column.confirmed = True
            column.chosen = column.used = code
    for column in plan.columns:
        if not column.confirmed:
            # Suggestions are shown, never used unless a person confirms them.
            column.used = column.element if column.status == "auto" else None
        if column.used and not importable(column.used, rules):
            column.note = "not_importable"
            column.used = None
    return None


def import_ledger(actor: object, path: str | Path, org_unit: OrgUnit, *, sheet: str | None = None,
                  mapping: Mapping[str, str | None] | None = None, dry_run: bool = False,
                  valid_from: dt.date | None = None, progress: Progress | None = None,
                  key: str | None = None) -> ImportResult:
    """Import one sheet of a roster into `org_unit`'s ledger; atomic per file.

    Raises OutOfScope when the actor may not keep this unit's ledger (checked before the
    file is read). A refused file or mapping comes back as `result.refused`, nothing written.
    `progress(stage, percent)`, if given, hears how far it is (see READ_SHARE). An import
    (not a dry run) is a LedgerWrite, undoable for a day (`result.write_id`); `key` names
    the upload it came from, which is never imported twice (LedgerError import_already_done).
    """
    require_ledger_unit(actor, org_unit)
    report = progress or _quiet
    result = ImportResult(file=Path(path).name, dry_run=dry_run)
    rules = Rules.load()
    stage = "validating" if dry_run else "writing"

    relay = _Relay(report)

    def written_so_far(done: int, rows: int) -> None:
        if not rows:  # still reading, each block written as it is read (records.write_people):
            heard = relay.take()  # how far the reading is, is how far the whole is
            if heard is not None:
                report(stage, min(98, heard[1] * 99 // READ_SHARE))
            return
        relay.flush()
        report(stage, READ_SHARE + (99 - READ_SHARE) * done // max(rows, 1))

    # Rows read before are recognised by their digest; should one of them be repeated in
    # the file (ReadAgain), the file is read and written again without (rare).
    for recognise in (True, False):
        try:
            plan, stream = plan_sheet(path, sheet, mapping, rules=rules, learned=learned_aliases())
        except SheetError as error:
            result.refused = Refusal(error.code, error.message, error.message_en)
            return result
        result.sheet, result.columns = plan.sheet, plan.columns
        try:
            if plan.refused:
                result.refused = plan.refused
                return result
            report("reading", 0)
            # The rows stream into write_people, which validates and stages them a block at
            # a time: a file's rows are never all in memory (issue 17).
            on = valid_from or timezone.localdate()
            # Digests on both passes: the second one (a repeated person, rare) does not skip
            # rows by them, but the states it writes keep them for the next re-import.
            items = _inputs(_reporting(stream.rows, stream.last_row, relay), plan,
                            _digest_prefix(org_unit, on, plan, rules))
            with transaction.atomic():
                written = write_people(actor, org_unit, items, valid_from=valid_from,
                                       source=Source.IMPORT, rules=rules, dry_run=dry_run,
                                       audit_action=Action.IMPORT, origin=f"导入「{result.file}」",
                                       audit_detail={"file": result.file, "sheet": plan.sheet},
                                       undoable=Undoable(WriteKind.IMPORT, result.file, key),
                                       progress=written_so_far, recognise=recognise)
                if not dry_run:
                    result.learned = save_confirmations(actor, plan.columns, plan.subject)
        except ReadAgain:
            continue
        except SheetError as error:  # a read limit passed mid-file: nothing was written
            result.refused = Refusal(error.code, error.message, error.message_en)
            return result
        except LedgerError as error:
            result.refused = Refusal(error.code, error.message_zh, error.message_en)
            return result
        finally:
            stream.close()
        break
    result.skipped = dict(stream.skipped)
    result.rows_read = written.rows
    result.write_id = written.write_id
    result.created, result.updated, result.unchanged = written.created, written.updated, written.unchanged
    result.facts_written = written.facts_written
    result.merged = written.merged
    result.rejections = [_rejection(plan.sheet, p, rules) for p in written.rejected]
    result.warnings = [_rejection(plan.sheet, p, rules) for p in written.warnings]
    result.transfers = [Rejection(plan.sheet, t.row, "", "person.id_number", "", "transfer_requested",
                                  t.message_zh, t.message_en) for t in written.transfers]
    return result


def _quiet(stage: str, percent: int) -> None:
    pass


class _Relay:
    """Progress heard on any thread, told on the one that began the import: a large file
    is read on a thread of its own (records._prepared_beside), and telling may write to
    the database (a web job's progress), which only the import's own thread may do."""

    def __init__(self, report: Progress) -> None:
        self.report = report
        self.owner = threading.get_ident()
        self.pending: tuple[str, int] | None = None

    def __call__(self, stage: str, percent: int) -> None:
        if threading.get_ident() != self.owner:
            self.pending = (stage, percent)
            return
        self.flush()
        self.report(stage, percent)

    def take(self) -> tuple[str, int] | None:
        pending, self.pending = self.pending, None
        return pending

    def flush(self) -> None:
        pending = self.take()
        if pending is not None:
            self.report(*pending)


def _reporting(rows: Iterable[tuple[int, list]], last_row: int,
               report: Progress) -> Iterator[tuple[int, list]]:
    """The rows unchanged, telling `report` every REPORT_EVERY rows how far down the sheet."""
    for n, (row_no, row) in enumerate(rows, start=1):
        if n % REPORT_EVERY == 0 and last_row:
            report("reading", min(READ_SHARE, READ_SHARE * row_no // last_row))
        yield row_no, row


def _rejection(sheet: str, p: RowProblem, rules: Rules) -> Rejection:
    """A row's problem for the clerk: its English names the element in English (Phone: …),
    where the dictionary's message names it by its code (person.phone: …)."""
    message_en = p.message_en
    if p.element in rules and message_en.startswith(f"{p.element}: "):
        name = english().get(("", rules[p.element].name_zh), p.element)
        message_en = f"{name}: {message_en.removeprefix(f'{p.element}: ')}"
    return Rejection(sheet, p.row, p.column, p.element, p.value, p.code, p.message_zh, message_en)


def _digest_prefix(org_unit: OrgUnit, on: dt.date, plan: Plan, rules: Rules) -> bytes:
    """What a row's digest depends on besides its cells: the unit, the date, which column
    holds which element, and those elements' rules (a rule changed: validated again)."""
    used = sorted((c.column, c.used) for c in plan.columns if c.used)
    return repr((org_unit.code, on.isoformat(), used,
                 [repr(rules.elements[e]) for _c, e in used if e in rules.elements])).encode()


def _inputs(rows: Iterable[tuple[int, list]], plan: Plan, prefix: bytes | None = None):  # noqa: ANN202
    """One PersonInput per data row that holds any imported value; the rest are blank rows.

    `prefix` (an import): each row carries the digest of its cells (PersonInput.digest)."""
    used = [(c.index - 1, c.column, c.used) for c in plan.columns if c.used]
    columns = {element: letter for _i, letter, element in used}  # every row's: read, never changed
    # In the columns' order, as the digests kept in the ledger were made.
    cells = [(i, element) for i, _letter, element in used if element != HOUSEHOLD_NUMBER]
    at_household = [i for i, _letter, element in used if element == HOUSEHOLD_NUMBER]
    width = max((i for i, _letter, _element in used), default=-1) + 1
    # The prefix (every used rule's repr, a few KB) hashed once; each row continues a copy.
    primed = blake2b(prefix, digest_size=16) if prefix is not None else None
    for row_no, row in rows:
        if len(row) < width:
            row = row + [None] * (width - len(row))
        values = {element: raw for i, element in cells if (raw := row[i]) is not None}
        household = None
        for i in at_household:  # the last one given, as for any element named twice
            if (raw := row[i]) is not None:
                household = str(raw).strip() or None
        if values or household:
            if NAME in columns:
                values.setdefault(NAME, None)  # a blank name in a name column is refused
            digest = None
            if primed is not None:
                hasher = primed.copy()
                hasher.update(repr((values, household)).encode())
                digest = hasher.hexdigest()
            yield PersonInput(values, row=row_no, columns=columns, household_number=household, digest=digest)


def preview(path: str | Path, sheet: str | None = None) -> Plan:
    """The mapping page: layout and column matches, without reading the data rows."""
    rules = Rules.load()
    plan, stream = plan_sheet(path, sheet, None, rules=rules, learned=learned_aliases())
    stream.close()
    return plan


def import_choices(rules: Rules | None = None) -> list[tuple[str, str]]:
    """(code, name) of every element a roster column can be imported into."""
    rules = rules or Rules.load()
    return sorted(((code, rule.name_zh) for code, rule in rules.elements.items()
                   if importable(code, rules)), key=lambda pair: pair[0])


def mapping_from_form(data: Mapping[str, str]) -> dict[str, str | None]:
    """Only the columns a person changed: `col-X` differs from its shown default `was-X`.

    Leaving a column as shown confirms nothing, so an untouched suggestion stays unused
    and is not learned as "maps to nothing".
    """
    out: dict[str, str | None] = {}
    for key, value in data.items():
        if key.startswith("col-"):
            letter = key[4:]
            if value != data.get(f"was-{letter}", ""):
                out[letter] = value or None
    return out
