"""Undoing an import or a new household within a day: reversing entries, never a delete.

A LedgerWrite (records.Undoable) marks every fact and residence it wrote with its id.
Undoing it appends, for each fact it wrote, a reversing fact of the same subject, element
and date holding the value that stood before (empty where there was none), recorded later
so it wins; the residences it opened are closed where they began (they never held on any
date), the ones it closed are opened again, and the transfer requests it sent are
withdrawn. The ledger as of now is then as it was before the write, and the history shows
both the write and its reversal (source 撤销). A value someone changed after the write is
left as they made it, and counted.

Who may: the scope module (accounts/scope.py, ledger.ledgerwrite) — the user who did it or
anyone who may change that unit, while it is in their scope; within UNDO_WINDOW.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from yibiao.accounts import scope
from yibiao.audit.log import record
from yibiao.audit.models import Action
from yibiao.values.pinyin import name_initials

from .bulk import insert_rows, update_rows
from .models import (
    Fact,
    Household,
    LedgerWrite,
    Person,
    Residence,
    Source,
    SubjectKind,
)
from .partitions import follow_people
from .records import NAME, LedgerError, require_ledger_unit
from .snapshot import ID_CHUNK, latest_facts
from .state import refresh_states
from .transfers import settle_requests

UNDO_WINDOW = dt.timedelta(hours=24)


@dataclass(frozen=True)
class UndoResult:
    write: LedgerWrite
    facts_reversed: int = 0
    residences_ended: int = 0
    residences_reopened: int = 0
    transfers_withdrawn: int = 0
    transfers_restored: int = 0  # re-sent requests holding what they held before the write
    kept: int = 0  # values and moves changed by someone after the write: left as they are


def undoable(user: object, now: dt.datetime | None = None) -> QuerySet[LedgerWrite]:
    """The writes this user may still undo: in their scope, not undone, within the window,
    and with something to undo (a re-import that changed nothing offers no undo)."""
    since = (now or timezone.now()) - UNDO_WINDOW
    return (scope.permitted(user, LedgerWrite, scope.CHANGE).filter(undone_at__isnull=True, at__gte=since)
            .exclude(people=[], closed=[], transfers=[], resent=[], household__isnull=True))


def can_undo(user: object, write: LedgerWrite | None, now: dt.datetime | None = None) -> bool:
    return write is not None and undoable(user, now).filter(pk=write.pk).exists()


def undo_write(actor: object, write_id: int, *, now: dt.datetime | None = None) -> UndoResult:
    """Reverse one write (see the module's docstring); audited. Refused: out of the actor's
    scope (OutOfScope, the same whether it exists or not), already undone, over a day old."""
    write = LedgerWrite.objects.filter(pk=write_id).select_related("org_unit").first()
    if write is None or not scope.may(actor, scope.CHANGE, write):
        raise scope.OutOfScope(_("无权撤销该导入或登记，或它不存在。"))
    require_ledger_unit(actor, write.org_unit)
    now = now or timezone.now()
    with transaction.atomic():
        write = LedgerWrite.objects.select_for_update().select_related("org_unit").get(pk=write.pk)
        label = write.label or write.get_kind_display()
        if write.undone_at is not None:
            raise LedgerError("undo_already", label=label, at=_local(write.undone_at))
        if now - write.at > UNDO_WINDOW:
            raise LedgerError("undo_expired", label=label, at=_local(write.at))
        if not (write.people or write.closed or write.transfers or write.resent or write.household_id):
            raise LedgerError("undo_nothing", label=label)
        counts = {"facts": 0, "ended": 0, "reopened": 0, "kept": 0}
        with translation.override("zh-hans"):  # kept in history, read in every language
            note = f"撤销{write.get_kind_display()}“{write.label or write.get_kind_display()}”"[:200]
        people = sorted(write.people)
        for start in range(0, len(people), ID_CHUNK):
            chunk = people[start:start + ID_CHUNK]
            # Their rows first, in one order (as edit_person and a task save lock them): an
            # edit begun before ends before their history is read, and is kept, not reversed.
            list(Person.objects.select_for_update().filter(pk__in=chunk).order_by("pk").values_list("pk"))
            _reverse_facts(actor, write, SubjectKind.PERSON, chunk, now, note, counts)
            _reverse_residences(actor, write, chunk, now, counts)
            _recache_people(chunk, now)
        if write.household_id:
            _reverse_facts(actor, write, SubjectKind.HOUSEHOLD, [write.household_id], now, note, counts)
            address = latest_facts(SubjectKind.HOUSEHOLD, [write.household_id], dt.date.max,
                                   ["household.address"]).get(write.household_id, {})
            Household.objects.filter(pk=write.household_id).update(
                address=address.get("household.address") or "")
        settled = settle_requests(write, note, actor)
        counts["kept"] += settled.kept
        withdrawn, restored = settled.withdrawn, settled.restored
        refresh_states(people)
        write.undone_at, write.undone_by = now, actor if getattr(actor, "pk", None) else None
        write.save(update_fields=["undone_at", "undone_by"])
        record(actor, Action.CHANGE, subject_kind="ledger_write", subject_id=write.pk,
               org_code=write.org_code, reason=note, undo=write.pk, kind=write.kind,
               facts_reversed=counts["facts"], residences_ended=counts["ended"],
               residences_reopened=counts["reopened"], transfers_withdrawn=withdrawn,
               transfers_restored=restored, kept=counts["kept"])
    return UndoResult(write, counts["facts"], counts["ended"], counts["reopened"], withdrawn,
                      restored, counts["kept"])


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _reverse_facts(actor: object, write: LedgerWrite, kind: str, subject_ids: list[int],
                   now: dt.datetime, note: str, counts: dict[str, int]) -> None:
    """For each fact the write recorded, one fact restoring the value before it."""
    history: dict[tuple[int, str], list[tuple]] = {}
    for row in (Fact.objects.filter(subject_kind=kind, subject_id__in=subject_ids)
                .order_by("subject_id", "element", "valid_from", "id")
                .values_list("id", "subject_id", "element", "value", "valid_from", "write_id",
                             "source", "org_code")):
        history.setdefault((row[1], row[2]), []).append(row)
    # A later write undone since changed nothing that stands: its facts and their reversal
    # cancel out (undoing two imports newest first gets back to before both).
    undone = _undone({f[5] for facts in history.values() for f in facts} - {write.pk, None})
    reversing = []
    for (subject_id, element), facts in history.items():
        ours = [f for f in facts if f[5] == write.pk and f[6] != Source.UNDO]
        if not ours:
            continue
        last = max(ours, key=lambda f: f[0])
        if any(f[0] > last[0] and f[5] != write.pk and f[5] not in undone for f in facts):
            counts["kept"] += 1  # changed since the write: their value stands
            continue
        # What stood before it: recorded before it, for its date (anything recorded after
        # it is an undone write's, and cancelled out).
        before = [f for f in facts if f[5] != write.pk and f[0] < last[0] and f[4] <= last[4]]
        value = before[-1][3] if before else ""
        reversing.append((subject_id, element, value, last[4], last[7]))
    insert_rows(Fact, ["subject_id", "element", "value", "valid_from", "org_code"], reversing,
                same={"subject_kind": kind, "recorded_at": now,
                      "recorded_by": getattr(actor, "pk", None), "source": Source.UNDO,
                      "note": note, "write_id": write.pk})
    counts["facts"] += len(reversing)


def _undone(write_ids: set[int]) -> set[int]:
    return set(LedgerWrite.objects.filter(pk__in=write_ids, undone_at__isnull=False).values_list("pk", flat=True))


def _reverse_residences(actor: object, write: LedgerWrite, people: list[int], now: dt.datetime,
                        counts: dict[str, int]) -> None:
    """The residences the write opened end where they began; the ones it closed reopen.

    One of them closed by a later write that was undone since lives on in the copy that
    undo reopened (source 撤销, that write's id): it ends where it began too."""
    opened = list(Residence.objects.filter(person_id__in=people, write_id=write.pk)
                  .exclude(source=Source.UNDO).values_list("pk", "valid_from", "valid_to", "person_id",
                                                           "household_id", "org_unit_id"))
    ending = [(valid_from, pk) for pk, valid_from, valid_to, *_ in opened if valid_to is None]
    moved = {pk: rest for pk, _valid_from, valid_to, *rest in opened if valid_to is not None}
    if moved:
        later = LedgerWrite.objects.filter(pk__gt=write.pk, undone_at__isnull=False).values_list("pk", "closed")
        for later_id, closed in later:
            for pk in moved.keys() & set(closed or ()):
                person_id, household_id, unit_id = moved.pop(pk)
                copy = Residence.objects.filter(person_id=person_id, write_id=later_id, source=Source.UNDO,
                                                household_id=household_id, org_unit_id=unit_id,
                                                valid_to__isnull=True).values_list("pk", "valid_from").first()
                if copy is not None:
                    ending.append((copy[1], copy[0]))
                    ending.append((next(o[1] for o in opened if o[0] == pk), pk))
    counts["kept"] += len(moved)  # moved on since: that move stands
    update_rows(Residence, ["valid_to"], ending)
    counts["ended"] += len(ending)
    closed = set(write.closed)
    reopened: list[tuple[int, str, dt.date]] = []
    for residence in Residence.objects.filter(pk__in=closed, person_id__in=people):
        if Residence.objects.filter(person_id=residence.person_id, valid_to__isnull=True).exists():
            counts["kept"] += 1  # living somewhere since: not put back
            continue
        reopened.append((residence.person_id, residence.org_code, residence.valid_to or write.valid_from))
        Residence.objects.create(
            person_id=residence.person_id, household_id=residence.household_id,
            org_unit_id=residence.org_unit_id, org_code=residence.org_code,
            relation_to_head=residence.relation_to_head, valid_from=residence.valid_to or write.valid_from,
            recorded_by=actor if getattr(actor, "pk", None) else None, source=Source.UNDO,
            write_id=write.pk)
        counts["reopened"] += 1
    # Back in another county (PostgreSQL): the facts its reads need follow them there.
    follow_people(reopened)


def _recache_people(people: list[int], now: dt.datetime) -> None:
    """Each person's cached name, unit and household from what now stands; someone the
    write brought in lives nowhere now, so no list shows them."""
    names = latest_facts(SubjectKind.PERSON, people, dt.date.max, [NAME])
    living = {pk: (unit, household) for pk, unit, household in Residence.objects.filter(
        person_id__in=people, valid_to__isnull=True).order_by("valid_from", "id")
        .values_list("person_id", "org_unit_id", "household_id")}
    rows = []
    for pk, cached in Person.objects.filter(pk__in=people).values_list("pk", "name"):
        unit, household = living.get(pk, (None, None))
        name = names.get(pk, {}).get(NAME) or cached
        rows.append((name, name_initials(name), unit, household, now, pk))
    quoted = connection.ops.quote_name("version")
    update_rows(Person, ["name", "name_initials", "org_unit", "household", "updated_at"], rows,
                extra_set=f"{quoted} = {quoted} + 1")
