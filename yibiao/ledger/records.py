"""Writing to the ledger: the one path for entry, import and report completion.

Values are validated by the dictionary's rules, people matched by ID number (one person,
one record), and only values that differ from what the ledger already holds are appended
as facts. Derived elements (sex, birth date, age) are never stored: a typed value that
contradicts the ID number is reported, not kept. Everything runs in bulk so a 100,000-row
import costs a handful of queries per chunk, not several per row.
"""

from __future__ import annotations

import datetime as dt
import json
import queue
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from itertools import chain, islice
from typing import NamedTuple

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from yibiao.accounts import scope
from yibiao.audit.log import record
from yibiao.audit.models import Action, AuditEntry
from yibiao.dictionary.rules import Rules
from yibiao.orgunits.models import OrgUnit
from yibiao.refusals import Refusal
from yibiao.values import Note, ValueProblem, parse_id_number
from yibiao.values.ids import check_household_number
from yibiao.values.normalise import compact, halfwidth, lookup_key
from yibiao.values.pinyin import name_initials

from .bulk import copy_payload, copy_rows, insert_rows, payload, rows_by_key, update_rows
from .models import (
    EditConflict,
    Fact,
    Household,
    LedgerWrite,
    Person,
    PersonState,
    Residence,
    Source,
    SubjectKind,
)
from .partitions import county_of, ensure_counties, follow_people
from .snapshot import DERIVED_PERSON, facts_within, identity_values, latest_facts
from .state import _ENCODE, refresh_states, state_row, write_states

CHUNK = 2000  # rows per query batch: below SQLite's bound-parameter limit (32,766)
BLOCK = 20_000  # rows validated and staged at a time when a write is larger (an import)
PIPELINE_BLOCK = 5_000  # the same when the blocks are read on a thread beside the writes
ANALYZE_AFTER = 10_000  # facts written in one call before the planner's statistics are renewed
IDENTITY = "person.id_number"
NAME = "person.name"
RELATION = "person.relation_to_head"
HOUSEHOLD_NUMBER = "household.number"
MISSING_ID = ValueProblem("id_missing", "缺少公民身份号码：无法确认是哪一位居民",
                          "The citizen ID number is missing: cannot tell who this is")
MISSING_NAME = ValueProblem("name_missing", "缺少姓名：每位居民都须登记姓名",
                            "The name is missing: every resident is registered with a name")
FOREIGN = "foreign"  # a row about someone living in a community the writer does not keep
TRANSFER, REFUSE = "transfer", "refuse"  # what write_people does with such a row


class LedgerError(Refusal):
    """A request the ledger refuses; the message is for people."""


class EditConflictError(LedgerError):
    status = 409

    def __init__(self, conflict: EditConflict) -> None:
        super().__init__("edit_conflict", version=conflict.current_version)
        self.conflict = conflict


@dataclass(frozen=True)
class PersonInput:
    """One person as typed or imported: raw values keyed by element code."""

    values: dict[str, object]
    row: int | None = None  # where it came from, for reports (1-based sheet row)
    columns: dict[str, str] = field(default_factory=dict)  # element -> column letter
    household_number: str | None = None
    # An import's digest of the row as read (intake.importer): the same digest in the
    # person's state means the row was written before and nothing changed since.
    digest: str | None = None


@dataclass(frozen=True)
class RowProblem:
    row: int | None
    column: str
    element: str
    value: str
    code: str
    message_zh: str
    message_en: str


@dataclass(frozen=True)
class TransferSent:
    """A row sent to the resident's current community as a transfer request (迁入申请).

    Says where the person is registered and nothing else about them.
    """

    row: int | None
    transfer_id: int
    community: str
    dry_run: bool = False
    again: bool = False  # a pending request for the same move existed: updated, not sent twice
    # again: what it held before and after, and whether what is asked changed (for undo)
    replaced: dict | None = field(default=None, compare=False, repr=False)
    changed: bool = False

    @property
    def message_zh(self) -> str:
        if self.dry_run:  # names no community: a dry run must not locate ID numbers for free
            return "此人登记在其他社区：正式导入时将向其所在社区发送迁入申请，待对方确认后迁入。"
        if self.again:
            return (f"此人登记在“{self.community}”：已有待对方确认的迁入申请（第 {self.transfer_id} 号），"
                    "已按本次内容更新。")
        return f"此人登记在“{self.community}”，已发送迁入申请，待对方确认后迁入。"

    @property
    def message_en(self) -> str:
        if self.dry_run:
            return ("This person is registered in another community: the import will send a "
                    "transfer request to it; they move here once it is confirmed.")
        if self.again:
            return (f"This person is registered in {self.community}: transfer request "
                    f"#{self.transfer_id} is already waiting for them and was updated.")
        return (f"This person is registered in {self.community}: a transfer request was sent; "
                "they move here once it is confirmed.")


@dataclass
class WriteResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RowProblem] = field(default_factory=list)
    warnings: list[RowProblem] = field(default_factory=list)
    transfers: list[TransferSent] = field(default_factory=list)
    merged: int = 0  # rows repeating another row of the same person, written as one
    person_ids: list[int] = field(default_factory=list)
    facts_written: int = 0
    # What an undo needs (see LedgerWrite): people given facts or a new residence, the
    # residences closed, and the write itself (None: a dry run, or a write not undoable).
    touched: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    write_id: int | None = None

    @property
    def rejected_rows(self) -> int:
        return len({p.row for p in self.rejected})

    def as_dict(self) -> dict[str, object]:
        return {
            "rows_read": self.rows, "created": self.created, "updated": self.updated,
            "unchanged": self.unchanged, "rejected": self.rejected_rows,
            "transfer_requests": len(self.transfers), "merged": self.merged,
            "facts_written": self.facts_written,
            "rejections": [p.__dict__ for p in self.rejected],
            "warnings": [p.__dict__ for p in self.warnings],
            "transfers": [{"row": t.row, "transfer": t.transfer_id, "community": t.community,
                           "message_zh": t.message_zh, "message_en": t.message_en}
                          for t in self.transfers],
        }


@dataclass(frozen=True)
class Undoable:
    """What makes a write undoable for a day: its kind (WriteKind), what to call it (the
    file, the household number), and the upload it came from (`key`: never written twice)."""

    kind: str
    label: str = ""
    key: str | None = None


def _start_write(actor: object, org_unit: OrgUnit, undoable: Undoable, on: dt.date) -> LedgerWrite:
    """The LedgerWrite row, first in the write's transaction: its id goes on every fact and
    residence written. The same upload twice is refused (its key is unique)."""
    if undoable.key and LedgerWrite.objects.filter(key=undoable.key).exists():
        raise LedgerError("import_already_done")
    try:
        with transaction.atomic():
            return LedgerWrite.objects.create(
                kind=undoable.kind, actor=actor if getattr(actor, "pk", None) else None,
                org_unit=org_unit, org_code=org_unit.code, label=undoable.label[:255],
                valid_from=on, key=undoable.key)
    except IntegrityError:  # the same upload imported at this very moment by another request
        raise LedgerError("import_already_done") from None


def _finish_write(write: LedgerWrite, result: WriteResult) -> None:
    write.created, write.updated = result.created, result.updated
    write.people = sorted(set(result.touched))
    write.closed = sorted(set(result.closed))
    # Only the requests it sent: one already waiting (`again`) is another write's to withdraw;
    # what this write changed in it is put back by undo.
    write.transfers = sorted({t.transfer_id for t in result.transfers if not t.again})
    write.resent = [{"transfer": t.transfer_id, **t.replaced} for t in result.transfers if t.again and t.changed]
    write.asked = [{"transfer": t.transfer_id, **t.replaced} for t in result.transfers
                   if t.again and not t.changed and t.replaced is not None]
    write.save(update_fields=["created", "updated", "people", "closed", "transfers", "resent", "asked"])


@dataclass
class _Clean:
    row: int | None
    id_number: str
    values: dict[str, str | None]
    household_number: str | None
    columns: dict[str, str] = field(default_factory=dict)
    digest: str | None = None  # kept in the state it writes: a row without warnings only


def household_number(raw: object) -> str:
    """户号 as kept: full-width and half-width forms, dashes and spaces typed apart are one
    number (００１ and 001, 3－2－101 and 3-2-101)."""
    return compact(halfwidth(str(raw)))


def _row_problem(row: _Clean, element: str, problem: ValueProblem | Note, value: str = "") -> RowProblem:
    return RowProblem(row.row, row.columns.get(element, ""), element, value, problem.code,
                      problem.message_zh, problem.message_en)


def _problem(item: PersonInput, element: str, raw: object, problem: ValueProblem | Note) -> RowProblem:
    return RowProblem(item.row, item.columns.get(element, ""), element,
                      "" if raw is None else str(raw), problem.code,
                      problem.message_zh, problem.message_en)


# Typed values checked against what the ID number says, then dropped (derived, never stored).
def _contradictions(identity: dict[str, str], clean: dict[str, str | None], raw: dict[str, object],
                    rules: Rules) -> list[tuple[str, Note]]:
    """Named as the clerk typed them and as the ID number says, in words (男, not code 1)."""
    found = []
    for element, label, label_en in (("person.sex", "性别", "Sex"), ("person.birth_date", "出生日期", "Birth date")):
        typed = clean.get(element) if identity else None
        if typed and not identity[element].startswith(typed):
            shown = str(raw.get(element, typed)).strip()
            expected = rules.display(element, identity[element]) if element in rules else identity[element]
            found.append((element, Note(
                "contradicts_id", f"{label}“{shown}”与公民身份号码不符（应为{expected}），已按身份证号推算",
                f"{label_en} “{shown}” contradicts the citizen ID number ({expected}); taken from the ID number")))
    return found


# Relation words GB/T 4761 has no code for, but which the person's own sex settles: rosters
# write 子女 for most children (3,445 rows of a 15,004-row roster were refused for it).
RELATION_BY_SEX = {"子女": ("20", "30"), "外孙子女": ("43", "44"), "孙子孙女": ("41", "42")}


def _relation_by_sex(raw: object, id_number: str, rules: Rules) -> tuple[str, Note] | None:
    """子女 as 子 or 女 by the ID number's sex digit (odd: male), with a note saying so; None
    for any other word (parsed as the code list says)."""
    codes = RELATION_BY_SEX.get(lookup_key(str(raw)))
    if codes is None or not id_number:
        return None
    code = codes[0] if int(id_number[16]) % 2 else codes[1]
    word = rules.display(RELATION, code)
    return code, Note("relation_by_sex", f"与户主关系“{raw}”已按身份证号的性别记为“{word}”",
                      f"Relation to household head “{raw}” recorded as “{word}” ({code}), "
                      "by the sex in the citizen ID number")


def clean_inputs(
    items: Iterable[PersonInput], rules: Rules, on: dt.date
) -> tuple[list[_Clean], list[RowProblem], list[RowProblem]]:
    """Validate every row; a row with any bad value is left out whole and reported."""
    good: list[_Clean] = []
    rejected: list[RowProblem] = []
    warnings: list[RowProblem] = []
    for item in items:
        warned = len(warnings)
        # Every problem of a row at once, the ID number's among them: a form shows them all
        # beside their fields, not the first one per save.
        row_problems: list[RowProblem] = []
        id_number = ""
        raw_id = item.values.get(IDENTITY)
        if raw_id is None or str(raw_id).strip() == "":
            row_problems.append(_problem(item, IDENTITY, raw_id, MISSING_ID))
        else:
            try:
                id_number = parse_id_number(raw_id).value
            except ValueProblem as problem:
                row_problems.append(_problem(item, IDENTITY, raw_id, problem))
        clean: dict[str, str | None] = {}
        if NAME in item.values and str(item.values[NAME] or "").strip() == "":
            row_problems.append(_problem(item, NAME, item.values[NAME], MISSING_NAME))
        household = household_number(item.household_number) if item.household_number else None
        if household and HOUSEHOLD_NUMBER in rules:  # its column's length
            try:
                check_household_number(household)
                rules.parse(HOUSEHOLD_NUMBER, household)
            except ValueProblem as problem:
                row_problems.append(_problem(item, HOUSEHOLD_NUMBER, item.household_number, problem))
        for element, raw in item.values.items():
            if element == IDENTITY or element not in rules:
                continue
            if element == RELATION and not id_number and lookup_key(str(raw)) in RELATION_BY_SEX:
                continue  # the ID number settles it; its own problem is reported above
            by_sex = _relation_by_sex(raw, id_number, rules) if element == RELATION else None
            if by_sex is not None:
                clean[element] = by_sex[0]
                warnings.append(_problem(item, element, raw, by_sex[1]))
                continue
            try:
                value, notes = rules.parse(element, raw)
            except ValueProblem as problem:
                row_problems.append(_problem(item, element, raw, problem))
                continue
            if notes:
                warnings.extend(_problem(item, element, raw, note) for note in notes)
            if value is not None:
                clean[element] = value
        if row_problems:
            rejected.extend(row_problems)
            continue
        typed_identity = clean.keys() & {"person.sex", "person.birth_date"}
        identity = identity_values(id_number, on) if typed_identity else {}
        for element, note in _contradictions(identity, clean, item.values, rules):
            warnings.append(_problem(item, element, item.values.get(element, clean[element]), note))
        for element in DERIVED_PERSON - {RELATION}:
            clean.pop(element, None)
        good.append(_Clean(item.row, id_number, clean, household or None, item.columns,
                           item.digest if len(warnings) == warned else None))
    return good, rejected, warnings


def _merge_repeats(rows: list[_Clean], names: dict[str, str]) -> tuple[list[_Clean], list[RowProblem]]:
    """The same person twice in one file: rows that agree (or complete each other) become
    one record; rows that disagree on any value (a different name, phone, household) are
    all refused, each naming the others, since the ledger cannot tell which is true."""
    by_id: dict[str, list[_Clean]] = {}
    for row in rows:
        by_id.setdefault(row.id_number, []).append(row)
    merged: list[_Clean] = []
    problems: list[RowProblem] = []
    for id_number, group in by_id.items():
        if len(group) == 1:
            merged.append(group[0])
            continue
        seen: dict[str, set[str | None]] = {}
        for row in group:
            for element, value in row.values.items():
                seen.setdefault(element, set()).add(value)
            if row.household_number:
                seen.setdefault("household.number", set()).add(row.household_number)
        clashes = sorted(element for element, values in seen.items() if len(values) > 1)
        if clashes:
            for row in group:
                others = "、".join(str(o.row) for o in group if o is not row)
                what = "、".join("户号" if e == "household.number" else names.get(e, e) for e in clashes)
                problems.append(_row_problem(row, IDENTITY, ValueProblem(
                    "duplicate_id_conflict",
                    f"公民身份号码与第 {others} 行相同，但 {what} 不同：请核对后只保留正确的一行",
                    f"The same citizen ID number as row(s) {others} with a different {what}: "
                    "keep only the correct row"), id_number[:6] + "********" + id_number[-4:]))
            continue
        first = group[0]
        first.digest = None  # what is written is no one row
        for row in group[1:]:
            first.values.update(row.values)
            first.household_number = first.household_number or row.household_number
            first.columns = {**row.columns, **first.columns}
        merged.append(first)
    return merged, problems


def _chunks(items: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def require_ledger_unit(actor: object, org_unit: OrgUnit) -> None:
    scope.require(actor, "edit_ledger")
    scope.require_org_unit(actor, org_unit)
    if not scope.may_write_unit(actor, org_unit):
        raise LedgerError("ledger_unit_level", unit=org_unit.name, level=org_unit.get_level_display())


def write_people(
    actor: object,
    org_unit: OrgUnit,
    items: Iterable[PersonInput],
    *,
    valid_from: dt.date | None = None,
    source: str = Source.ENTRY,
    rules: Rules | None = None,
    dry_run: bool = False,
    audit_action: Action = Action.CHANGE,
    audit_detail: dict[str, object] | None = None,
    on_foreign: str = TRANSFER,
    origin: str = "",
    undoable: Undoable | None = None,
    progress: Callable[[int, int], None] | None = None,
    recognise: bool = False,
) -> WriteResult:
    """Validate and append; atomic: on any error nothing is written.

    Each row is about a resident the writer keeps, a new one, or someone living in a
    community the writer does not keep (asked through the scope module). Such a row is
    never matched silently: it becomes a transfer request to that community
    (`on_foreign=TRANSFER`, registration and import) or is refused naming the row
    (`on_foreign=REFUSE`, task cells and edits). Bad rows are reported; good rows kept.

    `undoable`: an import or a registration, recorded as a LedgerWrite that can be undone
    for a day (ledger.undo). `progress(rows_done, rows)` hears after each chunk written.

    `recognise`: rows carrying a digest (PersonInput.digest) that their person's state was
    written with are unchanged, known without validating or comparing them; a large write
    of mostly new people is written a block at a time as it is read (Stage). Should such a
    person appear again further on, ReadAgain is raised (nothing written): the caller
    writes the file again without `recognise`, so repeats are judged as always. While the
    rows are still being read, `progress(rows_read, 0)`.
    """
    require_ledger_unit(actor, org_unit)
    return _write(actor, org_unit, items, valid_from=valid_from, source=source, rules=rules,
                  dry_run=dry_run, audit_action=audit_action, audit_detail=audit_detail,
                  on_foreign=on_foreign, origin=origin, undoable=undoable, progress=progress,
                  recognise=recognise)


def _write(actor: object, org_unit: OrgUnit, items: Iterable[PersonInput], *,
           valid_from: dt.date | None, source: str, rules: Rules | None, dry_run: bool,
           audit_action: Action, audit_detail: dict[str, object] | None, on_foreign: str,
           origin: str = "", movable: frozenset[int] = frozenset(),
           undoable: Undoable | None = None,
           progress: Callable[[int, int], None] | None = None,
           recognise: bool = False) -> WriteResult:
    """write_people after its scope check; `movable` are people a confirmed transfer moves."""
    rules = rules or Rules.load()
    on = valid_from or timezone.localdate()
    result = WriteResult()
    per_period = {code for code, rule in rules.elements.items() if rule.per_period}
    foreign = _Foreign(on_foreign, origin, movable, dry_run)
    rest = iter(items)
    first = list(islice(rest, BLOCK))
    if not connection.in_atomic_block and not dry_run:
        # A new county's partitions (PostgreSQL) in a transaction of their own: creating one
        # locks the whole table until commit, which must not last as long as an import.
        ensure_counties([org_unit.code])
    try:
        return _write_atomic(actor, org_unit, first, rest, rules, on, result, per_period, foreign,
                             source=source, dry_run=dry_run, audit_action=audit_action,
                             audit_detail=audit_detail, undoable=undoable, progress=progress,
                             recognise=recognise)
    except IntegrityError as clash:
        # The same new person (ID number) or household committed by another write since
        # this one looked: nothing of this one is written, and saying so beats a bare error.
        raise LedgerError("written_meanwhile") from clash


def _write_atomic(actor: object, org_unit: OrgUnit, first: list[PersonInput], rest: Iterator[PersonInput],
                  rules: Rules, on: dt.date, result: WriteResult, per_period: set[str], foreign: _Foreign, *,
                  source: str, dry_run: bool, audit_action: Action, audit_detail: dict[str, object] | None,
                  undoable: Undoable | None, progress: Callable[[int, int], None] | None,
                  recognise: bool) -> WriteResult:
    with transaction.atomic():
        write = None
        if undoable is not None and not dry_run:
            write = _start_write(actor, org_unit, undoable, on)
            result.write_id = write.pk
        if len(first) < BLOCK:  # a form, a task, a small file: every row in memory at once
            known: set[str] = set()
            if recognise:
                first, known = _recognised(first, result)
            count, chunks = _validated_in_memory(first, rules, on, result, known)
            stage = None
        else:  # a large file: validated a block at a time and staged, memory flat with its size
            stage = Stage()
            eager = False
            if recognise:
                rows = len(first)
                first, known = _recognised(first, result)
                stage.add_known(known)
                # Mostly new people (a first import): the merges overlap the reading.
                eager = len(known) * 2 < rows and _reads_beside()

            def merge(share: Callable[[float], None] = lambda share: None) -> None:
                stage.merge(actor, org_unit, on, source, result, share)

            # Smaller blocks when they are read beside the writes: three are in memory at once.
            size = PIPELINE_BLOCK if eager else BLOCK
            blocks = chain(_blocks(first, size), _blocks(rest, size))
            del first  # the blocks hold its rows until each is staged
            count, chunks = _validated_staged(stage, blocks, rules, on, result, recognise and not eager,
                                              merge if eager else None, progress)
            if not eager:
                # Once, after the last block: the bar moves after each of its statements
                # (at 1,000,000 rows they take minutes together).
                if progress is not None:
                    progress(0, count)
                merge(lambda share: progress(int(stage.block_rows * share), count) if progress else None)
        done = stage.merged if stage is not None else 0
        if progress is not None:  # the rows are read and validated: the write begins
            progress(done, count)
        for chunk in chunks:
            _write_chunk(actor, org_unit, chunk, on, source, result, per_period, foreign)
            done += len(chunk)
            if progress is not None:
                progress(done, count)
        if stage is not None:
            stage.drop()
        _within_foreign_quota(actor, len(result.transfers))
        if write is not None:
            _finish_write(write, result)
        if result.facts_written >= ANALYZE_AFTER and not dry_run:
            _analyze_ledger()
        record(actor, audit_action, subject_kind="org_unit", subject_id=org_unit.code,
               org_code=org_unit.code, rows=result.rows, created=result.created,
               updated=result.updated, unchanged=result.unchanged,
               rejected=result.rejected_rows, transfers=len(result.transfers), source=source,
               **(audit_detail or {}))
        if dry_run:
            transaction.set_rollback(True)
    if dry_run and result.transfers:
        # The trial's own audit entry was rolled back with it: the lookups it made of other
        # communities' residents are recorded (and counted against the day's quota) all the same.
        record(actor, audit_action, subject_kind="org_unit", subject_id=org_unit.code,
               org_code=org_unit.code, reason="试导入：核对了登记在其他社区的居民",
               dry_run=True, transfers=len(result.transfers), source=source)
    result.rejected.sort(key=lambda p: (p.row is None, p.row or 0))
    return result


def _reads_beside() -> bool:
    """Whether a first import is read on a thread beside its writes (_prepared_beside): on
    SQLite. On PostgreSQL the server's own time is most of an import (11 s of 18 per
    100,000 rows), so there is little to overlap, and a merge a block has its planner,
    without statistics for the growing staging tables, scan them and the people whole
    each time: one merge at the end."""
    return connection.vendor != "postgresql"


def _blocks(items: Iterable[PersonInput], size: int) -> Iterator[list[PersonInput]]:
    block: list[PersonInput] = []
    for item in items:
        block.append(item)
        if len(block) >= size:
            yield block
            block = []
    if block:
        yield block


def _element_names(rules: Rules) -> dict[str, str]:
    return {code: rule.name_zh for code, rule in rules.elements.items()}


def _validated_in_memory(items: list[PersonInput], rules: Rules, on: dt.date, result: WriteResult,
                         known: set[str]) -> tuple[int, Iterable[Sequence[_Clean]]]:
    """Rows validated, repeats merged: (rows to write, their chunks). `known`: the ID
    numbers of rows recognised unchanged (_recognised), which must not come again."""
    good, rejected, warnings = clean_inputs(items, rules, on)
    if known and any(row.id_number in known for row in good):
        raise ReadAgain
    result.rows += len(items)
    result.rejected.extend(rejected)
    result.warnings.extend(warnings)
    rows, repeats = _merge_repeats(good, _element_names(rules))
    result.rejected.extend(repeats)
    result.merged = len(good) - len(rows) - len({p.row for p in repeats})
    return len(rows), _chunks(rows)


def _validated_staged(stage: Stage, blocks: Iterator[list[PersonInput]],
                      rules: Rules, on: dt.date, result: WriteResult, recognise: bool,
                      merge: Callable[[], None] | None,
                      progress: Callable[[int, int], None] | None) -> tuple[int, Iterator[list[_Clean]]]:
    """The same as _validated_in_memory, a block at a time: each block's good rows go to the
    staging table, the people who appear more than once are merged as one file's repeats
    are, and the rows come back from it a chunk at a time.

    `merge` (a first import): called after each block is staged, while the blocks are
    read and validated on a thread of their own (_prepared_beside); `progress(rows, 0)`
    then says the reading goes on."""
    good_rows = 0
    prepared = (_prepared_beside(blocks, rules, on, stage.seq + 1) if merge
                else _prepared_here(blocks, rules, on, result, stage, recognise))
    for rows, id_numbers, text, rejected, warnings in prepared:
        result.rows += rows
        result.rejected.extend(rejected)
        result.warnings.extend(warnings)
        stage.add_encoded(id_numbers, text)
        good_rows += len(id_numbers)
        if merge is not None:
            merge()
            if progress is not None:
                progress(result.rows, 0)
    repeated = stage.repeated()
    merged, repeats = _merge_repeats(repeated, _element_names(rules))
    result.rejected.extend(repeats)
    count = good_rows - len(repeated) + len(merged)
    result.merged = good_rows - count - len({p.row for p in repeats})
    return count, stage.chunks(CHUNK, {r.id_number: r for r in merged}, {r.id_number for r in repeated})


Prepared = tuple[int, list[str], str, list[RowProblem], list[RowProblem]]  # rows, Stage.encode(good), problems


def _prepared_here(blocks: Iterable[list[PersonInput]], rules: Rules, on: dt.date, result: WriteResult,
                   stage: Stage, recognise: bool) -> Iterator[Prepared]:
    """Each block validated on this thread, its rows recognised unchanged first (those are
    counted and never staged)."""
    for block in blocks:
        if recognise:
            block, known = _recognised(block, result)
            stage.add_known(known)
        good, rejected, warnings = clean_inputs(block, rules, on)
        yield len(block), *Stage.encode(good, stage.seq + 1, connection.vendor == "postgresql"), rejected, warnings


def _prepared_beside(blocks: Iterable[list[PersonInput]], rules: Rules, on: dt.date,
                     first_seq: int) -> Iterator[Prepared]:
    """Each block read, validated and encoded for the staging table on a thread of its own,
    one or two blocks ahead, while this thread writes the ones before: the database's time
    and Python's overlap (issue 17). That thread touches no database (the reading's
    progress is relayed, intake.importer); what it raises is raised here, and this side
    stopping stops it."""
    ahead: queue.Queue = queue.Queue(maxsize=1)  # with the one being read and the one written: 3 blocks
    stop = threading.Event()
    postgres = connection.vendor == "postgresql"

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                ahead.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        seq = first_seq
        try:
            for block in blocks:
                good, rejected, warnings = clean_inputs(block, rules, on)
                if not put((len(block), *Stage.encode(good, seq, postgres), rejected, warnings)):
                    return
                seq += len(good)
            put(None)
        except BaseException as error:  # noqa: BLE001 - raised on the writing thread instead
            put(error)

    # A row fetched or inserted one at a time (sqlite3, psycopg) gives the GIL up and waits
    # to have it back: the reading thread keeps it a switch interval, 5 ms by default, per
    # row. Short while both run: the writes' small steps then wait far less.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(min(interval, 0.0005))
    thread = threading.Thread(target=work, name="yibiao-import-read", daemon=True)
    thread.start()
    try:
        while (item := ahead.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()
        sys.setswitchinterval(interval)


class ReadAgain(Exception):  # noqa: N818 - a signal to the caller, not an error
    """The file must be written again the plain way (recognise=False), nothing written yet:
    a row recognised unchanged, or a person a merge wrote before the last block, is met
    again further on, and the file's repeats are judged together."""


def _recognised(block: list[PersonInput], result: WriteResult) -> tuple[list[PersonInput], set[str]]:
    """The rows of `block` still to validate and write, and the ID numbers of the others:
    the same rows as their person's state was written from (PersonState.row_digest),
    counted unchanged.

    A person twice in the block as typed is never recognised; written another way (with
    spaces), the caller finds it among the validated rows and raises ReadAgain."""
    keys = [None if (raw := item.values.get(IDENTITY)) is None else str(raw).strip().upper() for item in block]
    numbers = Counter(keys)
    wanted = [n for n, times in numbers.items() if times == 1 and n is not None]
    if not wanted:
        return block, set()
    known = _state_digests(wanted)
    if not known:
        return block, set()
    rest: list[PersonInput] = []
    seen: set[str] = set()
    person_ids = result.person_ids
    for item, key in zip(block, keys, strict=True):
        found = known.get(key) if key is not None and item.digest else None
        if found is not None and found[1] == item.digest:
            person_ids.append(found[0])
            seen.add(key)
        else:
            rest.append(item)
    result.rows += len(seen)
    result.unchanged += len(seen)
    return rest, seen


def _state_digests(id_numbers: Sequence[str]) -> dict[str, tuple[int, str]]:
    """ID number -> (person, the row digest their state was written with), where there is one."""
    person, state = Person._meta.db_table, PersonState._meta.db_table
    if connection.vendor == "postgresql":
        where, param = "p.id_number = ANY(%s::varchar[])", list(id_numbers)
    else:
        where, param = "p.id_number IN (SELECT value FROM json_each(%s))", json.dumps(list(id_numbers))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT p.id_number, p.id, s.row_digest FROM {person} p JOIN {state} s "  # noqa: S608
                       f"ON s.person_id = p.id WHERE {where} AND s.row_digest IS NOT NULL", [param])
        return {number: (pk, digest) for number, pk, digest in cursor.fetchall()}


def _id_key(id_number: str) -> int | str:
    """A compact key for a clean ID number (an int of 32 bytes, not a str of 67): a
    1,000,000-row file keeps one per person to find the people it repeats."""
    if len(id_number) == 18 and id_number[:17].isdigit():
        last = id_number[17]
        if last.isdigit():
            return int(id_number[:17]) * 11 + int(last)
        if last == "X":
            return int(id_number[:17]) * 11 + 10
    return id_number


# What Stage knows of each person of the file, by _id_key.
_NEW = 0  # staged once since the last merge: new to the ledger or not, merge decides
_KNOWN = 1  # staged once; the ledger knew them: written by _write_chunk at the end
_MERGED = 2  # staged once and written by a merge: met again, the file is read again
_RECOGNISED = 3  # recognised unchanged, never staged: met again, the file is read again
_REPEATED = 4  # staged more than once: merged as one file's repeats, written at the end


class Stage:
    """The rows of one large write, validated, in temporary tables of this transaction:
    one COPY, or on SQLite one INSERT over json_each, a block (bulk.copy_payload). Values as
    JSON text: which elements a file holds is the file's. Rows go to BLOCK as they come; a
    merge writes the new people among them and sets the others aside in TABLE.

    People new to the ledger are written by `merge`, in a few INSERT … SELECT statements,
    the database doing per row what _write_chunk does in Python (issue 17: the import at
    the storage floor): after each block while the next is read and validated on another
    thread (a first import), or once after the last block. Rows about people the ledger
    knows, and people the file repeats, come back a chunk at a time for _write_chunk at the
    end (`chunks`). Which people the file repeats is found in memory as the rows come;
    rows recognised unchanged are never staged, so a re-import writes nothing. A person
    met again after a merge wrote them raises ReadAgain: their rows are merged as one
    file's repeats are, by reading the file again with one merge at the end (rare)."""

    TABLE = "ledger_write_stage"  # the rows no merge wrote: people known, or repeated
    REPEATED = "ledger_write_repeated"  # ID numbers staged more than once
    BLOCK = "ledger_write_block"  # the rows staged since the last merge
    COLUMNS = ("seq", "row_no", "id_number", "household", "vals", "cols", "digest", "name", "initials",
               "relation")
    _DDL = ("(seq bigint PRIMARY KEY, row_no integer, id_number text NOT NULL, household text, "
            "vals text NOT NULL, cols text NOT NULL, digest text, name text, initials text, relation text)")

    def __init__(self) -> None:
        self.seq = 0
        self.staged = 0
        self.merged = 0  # rows written by merges
        self.block_rows = 0  # rows the current merge writes
        self._pending = 0  # rows in BLOCK
        self._merged_upto = 0  # the last seq a merge has seen
        self._partitions = False
        self._columns: dict[str, dict[str, str]] = {}
        self._seen: dict[int | str, int] = {}
        self._new: list[int | str] = []  # keys staged since the last merge
        self._repeats: list[str] = []  # ID numbers found repeated, not yet in REPEATED
        self.repeated_people = 0
        with connection.cursor() as cursor:
            for table in (self.TABLE, self.REPEATED, self.BLOCK):
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
            cursor.execute(f"CREATE TEMPORARY TABLE {self.TABLE} {self._DDL}")
            cursor.execute(f"CREATE TEMPORARY TABLE {self.BLOCK} {self._DDL}")
            cursor.execute(f"CREATE TEMPORARY TABLE {self.REPEATED} (id_number text PRIMARY KEY)")

    @staticmethod
    def encode(rows: Sequence[_Clean], first_seq: int, postgres: bool) -> tuple[list[str], str]:
        """The rows' ID numbers, and the rows as the staging table's columns in one text
        (bulk.payload), numbered from `first_seq`; touches no database, so it runs on the
        reading thread."""
        encoded: dict[int, str] = {}  # an import's rows share one columns dict
        out = []
        for seq, row in enumerate(rows, start=first_seq):
            cols = encoded.get(id(row.columns))
            if cols is None:
                cols = encoded[id(row.columns)] = _ENCODE(row.columns)
            name = row.values.get(NAME) or ""
            out.append((seq, row.row, row.id_number, row.household_number or None, _ENCODE(row.values), cols,
                        row.digest, name, name_initials(name), row.values.get(RELATION) or ""))
        return [row.id_number for row in rows], payload(out, postgres)

    def add(self, rows: Sequence[_Clean]) -> None:
        self.add_encoded(*self.encode(rows, self.seq + 1, connection.vendor == "postgresql"))

    def add_encoded(self, id_numbers: list[str], text: str) -> None:
        """Stage rows encode() numbered from this stage's next seq."""
        seen = self._seen
        for id_number in id_numbers:
            key = _id_key(id_number)
            state = seen.get(key)
            if state is None:
                seen[key] = _NEW
                self._new.append(key)
            elif state == _MERGED or state == _RECOGNISED:
                raise ReadAgain
            elif state != _REPEATED:
                seen[key] = _REPEATED
                self._repeats.append(id_number)
        if id_numbers:
            copy_payload(self.BLOCK, self.COLUMNS, text)
        self._pending += len(id_numbers)
        self.seq += len(id_numbers)
        self.staged += len(id_numbers)

    def add_known(self, id_numbers: Iterable[str]) -> None:
        """People whose rows were recognised unchanged: counted already, never staged. Should
        the file hold one of them again, ReadAgain."""
        seen = self._seen
        for id_number in id_numbers:
            key = _id_key(id_number)
            if key in seen:
                raise ReadAgain
            seen[key] = _RECOGNISED

    def _flush_repeats(self) -> None:
        if self._repeats:
            copy_rows(self.REPEATED, ["id_number"], [(n,) for n in self._repeats])
            self.repeated_people += len(self._repeats)
            self._repeats = []

    def _clean(self, row: Sequence) -> _Clean:
        _seq, row_no, id_number, household, vals, cols, digest, *_ = row
        columns = self._columns.get(cols)
        if columns is None:
            columns = self._columns[cols] = json.loads(cols)
        return _Clean(row_no, id_number, json.loads(vals), household, columns, digest)

    def repeated(self) -> list[_Clean]:
        """The rows of every ID number staged more than once, in the order they came."""
        self._flush_repeats()
        if not self.repeated_people:
            return []
        columns = ", ".join(self.COLUMNS)
        with connection.cursor() as cursor:  # in BLOCK still when the one merge comes after
            cursor.execute(f"SELECT {columns} FROM {self.TABLE} WHERE id_number IN "  # noqa: S608
                           f"(SELECT id_number FROM {self.REPEATED}) UNION ALL "
                           f"SELECT {columns} FROM {self.BLOCK} WHERE id_number IN "
                           f"(SELECT id_number FROM {self.REPEATED}) ORDER BY 1")
            return [self._clean(row) for row in cursor.fetchall()]

    def chunks(self, size: int, merged: dict[str, _Clean], repeated: set[str]) -> Iterator[list[_Clean]]:
        """The staged rows no merge wrote, in order, `size` at a time (keyset pages: a read
        of the whole table would be held by the driver); a repeated ID number's rows as
        their merged row, where its first came, or not at all when they clashed."""
        if self.merged == self.staged:  # a first import, all new: nothing to page through
            return
        last = 0
        while True:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {', '.join(self.COLUMNS)} FROM {self.TABLE} "  # noqa: S608
                               "WHERE seq > %s ORDER BY seq LIMIT %s", [last, size])
                page = cursor.fetchall()
            if not page:
                return
            last = page[-1][0]
            out = []
            for row in page:
                if row[2] in repeated:
                    first = merged.pop(row[2], None)
                    if first is not None:
                        out.append(first)
                    continue
                out.append(self._clean(row))
            if out:
                yield out

    def merge(self, actor: object, org_unit: OrgUnit, on: dt.date, source: str,
              result: WriteResult, progress: Callable[[float], None] = lambda share: None) -> None:
        """Write the people new to the ledger among the rows staged since the last merge,
        as _write_chunk writes a new person: the person in the unit and household, a
        residence, a fact per value, the state with the row's digest. A new person with no
        name is refused, as there; a household of another community refuses the write.

        Which rows are new is decided here, once (the ledger knows none of them, the file
        does not repeat them): each staged row is either written here or read back by
        `chunks`, never neither. Should another write register one of these people
        meanwhile, the person insert fails on the ID number (written_meanwhile)."""
        self._flush_repeats()
        after, self._merged_upto = self._merged_upto, self.seq
        new, self._new = self._new, []
        pending, self._pending = self._pending, 0
        person = connection.ops.quote_name(Person._meta.db_table)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql" and pending > 50_000:  # no statistics until asked
                cursor.execute(f"ANALYZE {self.BLOCK}")
            # Set aside, for `chunks` and `repeated`: the people the ledger knows (few, in
            # a first import) and those the file repeats. Two semi-joins, not an OR.
            cursor.execute(f"INSERT INTO {self.TABLE} SELECT * FROM {self.BLOCK} s WHERE EXISTS "  # noqa: S608
                           f"(SELECT 1 FROM {person} p WHERE p.id_number = s.id_number)")
            aside = cursor.rowcount
            cursor.execute(f"INSERT INTO {self.TABLE} SELECT * FROM {self.BLOCK} s WHERE EXISTS "  # noqa: S608
                           f"(SELECT 1 FROM {self.REPEATED} r WHERE r.id_number = s.id_number) "
                           f"AND NOT EXISTS (SELECT 1 FROM {person} p WHERE p.id_number = s.id_number)")
            aside += cursor.rowcount
            known: set[int | str] = set()
            if aside:
                cursor.execute(f"DELETE FROM {self.BLOCK} WHERE seq IN "  # noqa: S608
                               f"(SELECT seq FROM {self.TABLE} WHERE seq > %s)", [after])
                cursor.execute(_aggregate("id_number", f"{self.TABLE} WHERE seq > {int(after)}"))
                known = {_id_key(number) for number in _aggregated(cursor.fetchone()[0])}
            for key in new:
                if self._seen[key] == _NEW:
                    self._seen[key] = _KNOWN if key in known else _MERGED
            self.block_rows = pending - aside
            if not self.block_rows:
                self._empty_block(cursor)
                return
            unnamed: list[tuple] = []
            cursor.execute(f"SELECT COUNT(*) FROM {self.BLOCK} WHERE name = ''")  # noqa: S608
            if cursor.fetchone()[0]:  # rare: their rows only, not a row of the block each
                cursor.execute(f"SELECT seq, row_no, id_number, cols FROM {self.BLOCK} WHERE name = ''")  # noqa: S608
                unnamed = cursor.fetchall()
            if unnamed:
                result.rejected.extend(_row_problem(self._clean((0, row_no, number, None, "{}", cols, None)),
                                                    NAME, MISSING_NAME) for _seq, row_no, number, cols in unnamed)
                cursor.execute(f"DELETE FROM {self.BLOCK} WHERE name = ''")  # noqa: S608
            # Every row this merge decided on is done with: written below, or refused above.
            self.merged += self.block_rows
            self._write_block(cursor, actor, org_unit, on, source, result, progress)
            self._empty_block(cursor)

    def _empty_block(self, cursor: object) -> None:
        # TRUNCATE on PostgreSQL: a temporary table emptied by DELETE keeps its pages, and
        # the planner, which has no statistics for it, reads its size from them.
        cursor.execute(f"{'TRUNCATE' if connection.vendor == 'postgresql' else 'DELETE FROM'} {self.BLOCK}")

    def _write_block(self, cursor: object, actor: object, org_unit: OrgUnit, on: dt.date, source: str,
                     result: WriteResult, progress: Callable[[float], None]) -> None:
        q = connection.ops.quote_name
        person, household = q(Person._meta.db_table), q(Household._meta.db_table)
        fact, residence, state = (q(m._meta.db_table) for m in (Fact, Residence, PersonState))
        now = timezone.now()
        stamp = Fact._meta.get_field("recorded_at").get_db_prep_value(now, connection)
        day = Fact._meta.get_field("valid_from").get_db_prep_value(on, connection)
        user_id = getattr(actor, "pk", None)
        postgres = connection.vendor == "postgresql"
        # Lists in one row each, not a row each: a row fetched from SQLite gives the GIL up,
        # and the reading thread beside (_prepared_beside) then keeps it a switch interval.
        cursor.execute(_aggregate("DISTINCT household", f"{self.BLOCK} WHERE household IS NOT NULL"))
        numbers = set(_aggregated(cursor.fetchone()[0]))
        if numbers:
            _households(org_unit, numbers, now, created=False)  # created; another community's refused
        cursor.execute(
            f"INSERT INTO {person} (id_number, name, name_initials, household_id, org_unit_id, "  # noqa: S608
            "version, created_at, updated_at) "
            f"SELECT s.id_number, s.name, s.initials, h.id, %s, 1, %s, %s FROM {self.BLOCK} s "
            f"LEFT JOIN {household} h ON h.community_code = %s AND h.number = s.household ORDER BY s.seq",
            [org_unit.pk, stamp, stamp, scope.community_code(org_unit.code)])
        created = cursor.rowcount
        if not created:
            return
        progress(0.15)
        if not self._partitions:
            ensure_counties([org_unit.code])
            self._partitions = True
        joined = f"{self.BLOCK} s JOIN {person} p ON p.id_number = s.id_number"
        cursor.execute(
            f"INSERT INTO {residence} (person_id, household_id, org_unit_id, org_code, "  # noqa: S608
            "relation_to_head, valid_from, valid_to, recorded_at, recorded_by_id, source, write_id) "
            f"SELECT p.id, p.household_id, %s, %s, s.relation, %s, NULL, %s, %s, %s, %s FROM {joined}",
            [org_unit.pk, org_unit.code, day, stamp, user_id, source, result.write_id])
        progress(0.3)
        each = ("jsonb_each_text(s.vals::jsonb) kv" if postgres else "json_each(s.vals) kv")
        cursor.execute(
            f"INSERT INTO {fact} (subject_kind, subject_id, element, value, valid_from, recorded_at, "  # noqa: S608
            "recorded_by_id, source, org_code, note, write_id) "
            f"SELECT %s, p.id, kv.key, kv.value, %s, %s, %s, %s, %s, '', %s FROM {joined}, {each} "
            "WHERE kv.key <> %s",
            [SubjectKind.PERSON, day, stamp, user_id, source, org_unit.code, result.write_id, RELATION])
        result.facts_written += cursor.rowcount
        progress(0.8)
        # The state's values are the row's (a new person: nothing erased, the relation
        # among them when given, as state_row keeps it).
        cursor.execute(
            f"INSERT INTO {state} (person_id, org_code, household_id, id_number, {q('values')}, "  # noqa: S608
            "changed_on, row_digest) "
            f"SELECT p.id, %s, p.household_id, s.id_number, {'s.vals::jsonb' if postgres else 's.vals'}, "
            f"%s, s.digest FROM {joined}",
            [org_unit.code, day])
        cursor.execute(_aggregate("p.id", joined, "s.seq"))
        ids = _aggregated(cursor.fetchone()[0])
        result.person_ids.extend(ids)
        if result.write_id is not None:
            result.touched.extend(ids)
        result.created += created

    def drop(self) -> None:
        with connection.cursor() as cursor:
            for table in (self.TABLE, self.REPEATED, self.BLOCK):
                cursor.execute(f"DROP TABLE IF EXISTS {table}")


def _aggregate(column: str, source: str, order: str = "") -> str:
    """A query of `column`'s values over `source` as one list in one row, in `order`."""
    if connection.vendor == "postgresql":
        return f"SELECT array_agg({column}{f' ORDER BY {order}' if order else ''}) FROM {source}"  # noqa: S608 - table and column names of this module
    if order:
        return f"SELECT json_group_array(v) FROM (SELECT {column} AS v FROM {source} ORDER BY {order})"  # noqa: S608
    return f"SELECT json_group_array({column}) FROM {source}"  # noqa: S608


def _aggregated(value: object) -> list:
    if value is None:
        return []
    return json.loads(value) if isinstance(value, str) else list(value)  # type: ignore[call-overload]


def _within_foreign_quota(actor: object, found: int) -> None:
    """Each ID number found in another community tells the writer it exists there: a file of
    guessed numbers would locate a county's residents. A day's such findings per account are
    capped (YIBIAO_FOREIGN_MATCHES_PER_DAY), counted from the audit log."""
    limit = getattr(settings, "YIBIAO_FOREIGN_MATCHES_PER_DAY", 0)
    if not found or limit <= 0 or not getattr(actor, "pk", None):
        return
    since = timezone.now() - dt.timedelta(days=1)
    details = AuditEntry.objects.filter(actor=actor, at__gte=since).exclude(
        subject_kind="transfer").values_list("detail", flat=True)
    used = sum(int((d or {}).get("transfers") or 0) for d in details)
    if used + found > limit:
        raise LedgerError("foreign_quota", found=found, used=used, limit=limit)


def _analyze_ledger() -> None:
    """Fresh planner statistics for the ledger tables after a big write (PostgreSQL).

    Until autovacuum comes by, PostgreSQL plans with the old row counts: right after a
    100,000-row import it read all of a county's facts for every 2,000 people looked up.
    ANALYZE samples, so it costs a fraction of a second whatever the size.
    """
    if connection.vendor != "postgresql":
        return  # SQLite's planner does not depend on statistics for these lookups
    tables = ", ".join(connection.ops.quote_name(m._meta.db_table)
                       for m in (Fact, Person, Residence, Household, PersonState))
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


def _households(org_unit: OrgUnit, numbers: set[str], now: dt.datetime,
                *, created: bool = True) -> dict[str, _Household]:
    """户号 → household of the unit's community (its own numbering), the missing ones created
    in the unit; one kept by another grid of the community refused. `created=False`: the
    ones created are not read back (the caller joins them by number)."""
    community = scope.community_code(org_unit.code)

    def existing() -> dict[str, _Household]:
        rows = rows_by_key(Household, "number", sorted(numbers), ["number", "id", "org_unit"],
                           same={"community_code": community})
        codes = dict(OrgUnit.objects.filter(pk__in={org for *_, org in rows}).values_list("pk", "code"))
        return {number: _Household(pk, codes[org]) for number, pk, org in rows}

    found = existing()
    missing = sorted(numbers - found.keys())
    if missing:
        insert_rows(Household, ["number"], [(n,) for n in missing],
                    same={"org_unit": org_unit.pk, "community_code": community, "address": "",
                          "created_at": now})
        if created:
            found = existing()
    foreign = [n for n, h in found.items()
               if not (h.org_code.startswith(org_unit.code) or org_unit.code.startswith(h.org_code))]
    if foreign:
        raise LedgerError("household_elsewhere", household=foreign[0], unit=org_unit.name)
    return found


class _Household(NamedTuple):
    pk: int
    org_code: str


class _Known(NamedTuple):
    pk: int
    name: str
    org_unit_id: int | None
    household_id: int | None


class _Open(NamedTuple):
    pk: int
    org_unit_id: int
    org_code: str
    household_id: int | None
    relation: str


@dataclass(frozen=True)
class _Foreign:
    """What to do with rows about residents of communities the writer does not keep."""

    action: str
    origin: str
    movable: frozenset[int]
    dry_run: bool = False


def last_home_codes(person_ids: Sequence[int]) -> dict[int, str]:
    """Where each person last lived (their latest residence, open or ended)."""
    homes: dict[int, str] = {}
    for start in range(0, len(person_ids), 500):
        for pk, code in (Residence.objects.filter(person_id__in=person_ids[start:start + 500])
                         .order_by("valid_from", "recorded_at", "id").values_list("person_id", "org_code")):
            homes[pk] = code
    return homes


def _set_aside_foreign(actor: object, org_unit: OrgUnit, rows: Sequence[_Clean],
                       people: dict[str, _Known], on: dt.date, source: str, result: WriteResult,
                       foreign: _Foreign) -> list[_Clean]:
    """The rows the writer may write; the others sent as transfer requests or refused.

    Asks the scope module, for the chunk at once: may this actor move each known person
    from where they live now to `org_unit`? A new ID number is always the writer's.
    """
    from .transfers import request_transfer

    unit_ids = {p.org_unit_id for p in people.values() if p.org_unit_id is not None}
    codes = dict(OrgUnit.objects.filter(pk__in=unit_ids).values_list("pk", "code"))
    # Someone an undone write brought in lives nowhere now, but is still the community's
    # that had them last: another community asks it, as for any resident.
    last_homes = last_home_codes([p.pk for p in people.values() if p.org_unit_id is None])
    keep: list[_Clean] = []
    names: dict[str, str] = {}
    for row in rows:
        person = people.get(row.id_number)
        code = None
        if person is not None:
            code = codes.get(person.org_unit_id) if person.org_unit_id else last_homes.get(person.pk)
        if (person is None or code is None or person.pk in foreign.movable
                or scope.may_move_directly(actor, code, org_unit.code)):
            keep.append(row)
            continue
        if foreign.action == REFUSE:
            result.rejected.append(_row_problem(row, IDENTITY, ValueProblem(
                "not_in_unit", f"此人不在“{org_unit.name}”居住，不能在此修改",
                f"This person does not live in {org_unit.name} and cannot be changed here"),
                row.id_number[:6] + "********" + row.id_number[-4:]))
            continue
        home = scope.community_code(code)
        if home not in names:
            names[home] = OrgUnit.objects.filter(code=home).values_list("name", flat=True).first() or home
        community = names[home]
        origin = foreign.origin
        if row.row and "{row}" in origin:
            origin = origin.replace("{row}", str(row.row))
        elif row.row and origin:
            origin = f"{origin} 第 {row.row} 行"
        if row.household_number:
            home = Household.objects.filter(community_code=scope.community_code(org_unit.code),
                                            number=row.household_number).values_list(
                "org_unit__code", flat=True).first()
            if home is not None and not (home.startswith(org_unit.code) or org_unit.code.startswith(home)):
                raise LedgerError("household_elsewhere", household=row.household_number, unit=org_unit.name)
        asked = request_transfer(actor, person.pk, code, org_unit, row.values,
                                 household_number=row.household_number or "",
                                 valid_from=on, source=source, origin=origin)
        result.transfers.append(TransferSent(
            row.row, asked.transfer.pk, community, dry_run=foreign.dry_run, again=not asked.created,
            replaced={"before": asked.before, "after": asked.after} if asked.before is not None else None,
            changed=asked.changed))
    return keep


def _write_chunk(actor: object, org_unit: OrgUnit, rows: Sequence[_Clean], on: dt.date,
                 source: str, result: WriteResult, per_period: set[str], foreign: _Foreign) -> None:
    """Plain tuples, not model instances: building 100,000 Person objects costs more than
    the queries that fetch them."""
    user_id = getattr(actor, "pk", None)
    now = timezone.now()
    people = {row[0]: _Known(*row[1:]) for row in rows_by_key(
        Person, "id_number", [r.id_number for r in rows], ["id_number", "id", "name", "org_unit", "household"])}
    rows = _set_aside_foreign(actor, org_unit, rows, people, on, source, result, foreign)
    unnamed = [r for r in rows if r.id_number not in people and not r.values.get(NAME)]
    if unnamed:
        result.rejected.extend(_row_problem(r, NAME, MISSING_NAME) for r in unnamed)
        rows = [r for r in rows if r.id_number in people or r.values.get(NAME)]
    people = {number: people[number] for number in {r.id_number for r in rows} if number in people}
    known_ids = [p.pk for p in people.values()]
    # What the ledger holds now, from the people's states: one row each, where the facts
    # are eight or more (a re-import of 100,000 people read 800,000 facts for it).
    state_since: dict[int, dt.date] = {}
    current: dict[int, dict[str, str | None]] = {}
    for pk, day, values in rows_by_key(PersonState, "person", known_ids, ["person", "changed_on", "values"]):
        state_since[pk] = day if isinstance(day, dt.date) else dt.date.fromisoformat(day)  # SQLite: text
        values = values if isinstance(values, dict) else json.loads(values)
        values.pop(RELATION, None)
        current[pk] = values
    current.update(latest_facts(SubjectKind.PERSON, [pk for pk in known_ids if pk not in current], dt.date.max))
    latest = current  # the values as of date.max, for the people's states
    # A per-period value (本月探访次数) is new for its day even if it equals an older one.
    asked = {e for r in rows for e in r.values} & per_period
    if asked:
        latest = {pk: dict(values) for pk, values in current.items()}
        same_day = facts_within(SubjectKind.PERSON, known_ids, on, on, asked)
        for pk, values in current.items():
            for element in asked:
                values[element] = same_day.get(pk, {}).get(element)
    # Dated before the person's last change (a task of an earlier period): compared with what
    # the ledger said on that date, or a value recorded later would hide that it was missing then.
    earlier = [pk for pk in known_ids if pk in state_since and on < state_since[pk]]
    if earlier:
        if latest is current:
            latest = {pk: dict(values) for pk, values in current.items()}
        then = latest_facts(SubjectKind.PERSON, earlier, on)
        for pk in earlier:
            values = dict(then.get(pk, {}))
            values.pop(RELATION, None)
            values.update({element: current[pk].get(element) for element in asked})
            current[pk] = values
    open_residences = {row[0]: _Open(*row[1:-1]) for row in rows_by_key(
        Residence, "person", known_ids,
        ["person", "id", "org_unit", "org_code", "household", "relation_to_head", "valid_to"]) if row[-1] is None}
    households = _households(org_unit, {r.household_number for r in rows if r.household_number}, now)
    # The state is built here from what the chunk holds when the write is dated on or after
    # the person's last change; an earlier date (or no state yet) is refreshed from the
    # database after the write, since an older fact may then stay the latest.

    # New people are created complete (org unit, household), so they need no update after.
    new_people = []
    for row in rows:
        if row.id_number not in people:
            name = row.values.get(NAME) or ""
            household = households.get(row.household_number or "")
            new_people.append((row.id_number, name, name_initials(name), household.pk if household else None))
    if new_people:
        insert_rows(Person, ["id_number", "name", "name_initials", "household"], new_people,
                    same={"org_unit": org_unit.pk, "version": 1, "created_at": now, "updated_at": now})
        created = rows_by_key(Person, "id_number", [p[0] for p in new_people],
                              ["id_number", "id", "name", "household"])
        people.update({number: _Known(pk, name, org_unit.pk, household_id)
                       for number, pk, name, household_id in created})
    created_ids = {people[p[0]].pk for p in new_people}

    facts: list[tuple] = []
    closing: list[tuple] = []
    arrivals: list[tuple[int, str]] = []  # known people coming from another county (or nowhere)
    opening: list[tuple] = []
    changed: list[tuple] = []
    new_states: list[tuple] = []
    changed_states: list[tuple] = []
    stale: list[int] = []
    for row in rows:
        person = people[row.id_number]
        household = households.get(row.household_number or "")
        relation = row.values.pop(RELATION, None)
        old = current.get(person.pk, {})
        changes = {e: v for e, v in row.values.items() if old.get(e) != v}
        residence = open_residences.get(person.pk)
        # Living in a grid of the community being written keeps the grid.
        if residence and residence.org_code.startswith(org_unit.code):
            unit_pk, unit_code = residence.org_unit_id, residence.org_code
        else:
            unit_pk, unit_code = org_unit.pk, org_unit.code
        moves = (residence is None or residence.org_unit_id != unit_pk
                 or (household is not None and residence.household_id != household.pk)
                 or (relation is not None and residence.relation != relation))
        # Moving to another community without a 户号 leaves the old household (and the
        # relation to its head) behind: households are a community's own.
        stays = residence is not None and scope.community_code(residence.org_code) == scope.community_code(unit_code)
        household_id = household.pk if household else (residence.household_id if stays else None)
        relation_kept = residence.relation if stays else ""  # a relation to another community's head
        if moves:
            if residence is not None:
                closing.append((on, residence.pk))
            if person.pk not in created_ids and (
                    residence is None or county_of(residence.org_code) != county_of(unit_code)):
                arrivals.append((person.pk, unit_code))
            opening.append((person.pk, household_id, unit_pk, unit_code, relation or relation_kept))
        facts.extend((person.pk, element, value) for element, value in changes.items())
        result.person_ids.append(person.pk)
        since = state_since.get(person.pk)
        if person.pk in created_ids:
            new_states.append(state_row(person.pk, row.id_number, unit_code, household_id,
                                        relation or "", changes, on, clean=True, digest=row.digest))
        elif since is None or (on < since and (changes or moves)):
            stale.append(person.pk)
        elif changes or moves:
            relation_now = (relation or relation_kept) if moves else residence.relation
            changed_states.append(state_row(
                person.pk, row.id_number, unit_code if moves else residence.org_code,
                household_id if moves else residence.household_id, relation_now,
                {**latest.get(person.pk, {}), **changes}, on, digest=row.digest))
        if person.pk in created_ids:
            result.created += 1
            continue
        if not (changes or moves):
            result.unchanged += 1
            continue
        if residence is None:  # living nowhere until now (an undone import's people): new here
            result.created += 1
        else:
            result.updated += 1
        name = changes[NAME] or "" if NAME in changes else person.name
        changed.append((name, name_initials(name), unit_pk if moves else person.org_unit_id,
                        household_id if moves else person.household_id, now, person.pk))

    # PostgreSQL: the county's partitions exist before its rows arrive, and a person who
    # comes from another county brings the facts a read of this county needs (partitions).
    ensure_counties([org_unit.code, *(o[3] for o in opening)])
    follow_people((pk, code, on) for pk, code in arrivals)
    update_rows(Residence, ["valid_to"], closing)
    insert_rows(Residence, ["person", "household", "org_unit", "org_code", "relation_to_head"], opening,
                same={"valid_from": on, "valid_to": None, "recorded_at": now, "recorded_by": user_id,
                      "source": source, "write_id": result.write_id})
    insert_rows(Fact, ["subject_id", "element", "value"], facts,
                same={"subject_kind": SubjectKind.PERSON, "valid_from": on, "recorded_at": now,
                      "recorded_by": user_id, "source": source, "org_code": org_unit.code, "note": "",
                      "write_id": result.write_id})
    if result.write_id is not None:
        result.touched.extend(sorted({f[0] for f in facts} | {o[0] for o in opening}))
        result.closed.extend(pk for _on, pk in closing)
    update_rows(Person, ["name", "name_initials", "org_unit", "household", "updated_at"], changed,
                extra_set=f"{connection.ops.quote_name('version')} = "
                          f"{connection.ops.quote_name('version')} + 1")
    write_states(new_states, replace=False)
    write_states(changed_states, replace=True)
    refresh_states(stale)
    result.facts_written += len(facts)


def edit_person(
    actor: object, person: Person, values: dict[str, object], *, based_on_version: int,
    valid_from: dt.date | None = None, rules: Rules | None = None,
) -> WriteResult:
    """A worker's edit of one person, refused if someone else saved since the form was opened.

    The row lock (PostgreSQL) or the immediate write transaction (SQLite) makes the
    version check and the write one step, so two simultaneous saves cannot both pass.
    """
    unit = person.org_unit
    scope.require_may(actor, scope.CHANGE, person)
    require_ledger_unit(actor, unit)
    with transaction.atomic():
        locked = Person.objects.select_for_update().get(pk=person.pk)
        conflict_at = locked.version if locked.version != based_on_version else None
        if conflict_at is None:
            values = {**values, IDENTITY: locked.id_number}
            result = write_people(actor, unit, [PersonInput(values)], valid_from=valid_from,
                                  rules=rules, source=Source.ENTRY, on_foreign=REFUSE,
                                  audit_detail={"person": locked.pk})
            if result.rejected:
                transaction.set_rollback(True)
            return result
    conflict = EditConflict.objects.create(
        person=person, attempted_by=actor if getattr(actor, "pk", None) else None,
        based_on_version=based_on_version, current_version=conflict_at,
        attempted_values={k: None if v is None else str(v) for k, v in values.items()},
    )
    record(actor, Action.CHANGE, subject_kind="person", subject_id=person.pk,
           org_code=unit.code, reason="编辑冲突，未保存", conflict=conflict.pk)
    raise EditConflictError(conflict)


def next_household_number(unit: OrgUnit) -> str:
    """户号 for a household registered without one: the unit's code and a running number."""
    taken = set(Household.objects.filter(community_code=scope.community_code(unit.code),
                                         number__startswith=unit.code).values_list("number", flat=True))
    serial = len(taken) + 1
    while f"{unit.code}{serial:04d}" in taken:
        serial += 1
    return f"{unit.code}{serial:04d}"


def set_household_address(actor: object, unit: OrgUnit, number: str, address: str,
                          valid_from: dt.date | None = None, write_id: int | None = None) -> Household:
    """Record the address of the household `number` of `unit`'s community as a fact (and its
    current-value cache)."""
    household = Household.objects.select_related("org_unit").get(
        community_code=scope.community_code(unit.code), number=number)
    scope.require_may(actor, scope.CHANGE, household)
    require_ledger_unit(actor, household.org_unit)
    address = address.strip()
    if address and address != household.address:
        ensure_counties([household.org_unit.code])
        Fact.objects.create(subject_kind=SubjectKind.HOUSEHOLD, subject_id=household.pk,
                            element="household.address", value=address,
                            valid_from=valid_from or timezone.localdate(),
                            recorded_by=actor if getattr(actor, "pk", None) else None,
                            source=Source.ENTRY, org_code=household.org_unit.code,
                            write_id=write_id)
        household.address = address
        household.save(update_fields=["address"])
    return household


@dataclass
class Registration:
    """A door-to-door registration: the write's result, and the household when written."""

    result: WriteResult
    household: Household | None = None

    @property
    def ok(self) -> bool:
        return not self.result.rejected


def register_household(actor: object, unit: OrgUnit, members: Sequence[PersonInput], *,
                       number: str, address: str) -> Registration:
    """One household, its address and its members (入户登记), all or nothing.

    Every bad value of every member comes back at once (and nothing is written); when all
    are good the members are written, the address recorded, and the whole registration is
    one LedgerWrite, undoable for a day. Members living in other communities become
    transfer requests, as in an import.
    """
    from .models import WriteKind

    require_ledger_unit(actor, unit)
    rules = Rules.load()
    # As clean_inputs keeps it; typed as nothing but invisible characters, the next one.
    number = household_number(number) or next_household_number(unit)
    members = [replace(m, household_number=number) for m in members]
    # A number kept by another grid of the community is one more problem, said with the members' own.
    home = Household.objects.filter(community_code=scope.community_code(unit.code), number=number
                                    ).values_list("org_unit__code", "org_unit__name").first()
    elsewhere = home is not None and not (home[0].startswith(unit.code) or unit.code.startswith(home[0]))
    # The community's own household, kept above a grid worker's scope: its address is not theirs.
    above = home is not None and not elsewhere and not scope.in_scope(actor, home[0])
    trial = write_people(actor, unit, [PersonInput(m.values, m.row, m.columns) for m in members]
                         if elsewhere or above else members, dry_run=True, rules=rules)
    if elsewhere or above:
        refused = (LedgerError("household_elsewhere", household=number, unit=unit.name) if elsewhere
                   else LedgerError("household_above", household=number, unit=home[1]))
        trial.rejected.append(RowProblem(None, "", HOUSEHOLD_NUMBER, number, refused.code,
                                         refused.message_zh, refused.message_en))
    if trial.rejected:
        return Registration(trial)
    with transaction.atomic():
        result = write_people(actor, unit, members, rules=rules, origin="入户登记 第 {row} 位成员",
                              undoable=Undoable(WriteKind.HOUSEHOLD, number))
        if not (result.created or result.updated or result.unchanged):
            return Registration(result)  # every member lives elsewhere: transfer requests only
        household = set_household_address(actor, unit, number, address, write_id=result.write_id)
        LedgerWrite.objects.filter(pk=result.write_id).update(household=household)
    return Registration(result, household)
