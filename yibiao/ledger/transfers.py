"""迁入申请: moving a resident between communities with the old community's consent.

A community that registers or imports someone who lives in another community never takes
them over silently (the ledger's write path sets such a row aside, see
records._set_aside_foreign). The row is kept here, the resident's current community or
its township confirms or declines, and only a confirmation closes the old residence and
opens the new one, as 户籍/居住 moves work in real offices. The community that asked learns
where the person is registered and nothing else about them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from yibiao.accounts import scope
from yibiao.audit.log import record
from yibiao.audit.models import Action
from yibiao.orgunits.models import OrgUnit
from yibiao.values import mask_id_number, mask_phone

from .models import Person, Source, SubjectKind, Transfer, TransferStatus
from .records import IDENTITY, NAME, REFUSE, LedgerError, PersonInput, _write, last_home_codes
from .snapshot import latest_facts


class TransferError(LedgerError):
    """A decision the transfer's state does not allow; the message is for people."""


# What asking again replaces in a waiting request (LedgerWrite.resent / .asked keep it, for
# undo to settle the request on what the writes still standing ask).
RESENT_FIELDS = ("values", "household_number", "relation_to_head", "valid_from", "source", "origin",
                 "requested_by_id")
ASKED = RESENT_FIELDS[:4]  # what the other community is asked to confirm


@dataclass(frozen=True)
class Asked:
    """A request sent (`created`) or asked again: the fields before and after, and whether
    what the other community is asked to confirm changed (ASKED)."""

    transfer: Transfer
    created: bool
    before: dict[str, object] | None = None
    after: dict[str, object] | None = None

    @property
    def changed(self) -> bool:
        """What is asked, or who asks it (a colleague asking again: undoing that puts the
        first asker back, so it is a change to undo)."""
        return self.before is not None and any(self.before[n] != self.after[n] for n in (*ASKED, "requested_by_id"))


def request_transfer(actor: object, person_id: int, from_code: str, to_unit: OrgUnit,
                     values: dict[str, str | None], *, household_number: str, valid_from: dt.date,
                     source: str, origin: str = "") -> Asked:
    """Keep a row about another community's resident as a request to them (one pending
    request per person and destination: asking again replaces what was asked)."""
    from_unit = OrgUnit.objects.get(code=from_code)
    asked = {"values": dict(values), "household_number": household_number[:30],
             "relation_to_head": values.get("person.relation_to_head") or "",
             "valid_from": valid_from, "source": source, "origin": origin[:200],
             "requested_by_id": getattr(actor, "pk", None)}
    waiting = (Transfer.objects.select_for_update(of=("self",))
               .filter(person_id=person_id, to_unit=to_unit, status=TransferStatus.PENDING).first())
    before = _fields(waiting) if waiting is not None else None
    transfer, created = Transfer.objects.update_or_create(
        person_id=person_id, to_unit=to_unit, status=TransferStatus.PENDING,
        defaults={"from_unit": from_unit, "from_code": from_code, **asked})
    record(actor, Action.CREATE if created else Action.CHANGE, subject_kind="transfer",
           subject_id=transfer.pk, org_code=to_unit.code, from_code=from_code, step="request")
    return Asked(transfer, created, before, _fields(transfer) if before is not None else None)


def _fields(transfer: Transfer) -> dict[str, object]:
    """RESENT_FIELDS of a request as LedgerWrite keeps them (JSON: the date as text)."""
    return {**{name: getattr(transfer, name) for name in RESENT_FIELDS},
            "valid_from": transfer.valid_from.isoformat()}


@dataclass
class Settled:
    withdrawn: int = 0
    restored: int = 0
    kept: int = 0  # decided since, or a later write still asks it as it is


def settle_requests(write: object, note: str, actor: object) -> Settled:
    """After `write` is undone, each request it sent or asked again holds what the writes
    still standing ask: the last one's fields; none standing, it is withdrawn. A request
    decided since, or holding what no write asked, stays as it is. Audited.

    The writes that asked a request are its chain, oldest first: the one that sent it
    (LedgerWrite.transfers; a write that cannot be undone, such as a task's save, when none
    did), then each that asked again (`.resent` when what it asked changed, `.asked` when
    not), every one keeping the fields before and after."""
    from .models import LedgerWrite

    mine = set(write.transfers) | {r["transfer"] for r in (*write.resent, *write.asked)}
    settled = Settled()
    if not mine:
        return settled
    chains: dict[int, list[tuple[int, bool, dict | None, dict | None]]] = {t: [] for t in mine}
    for pk, undone_at, transfers, resent, asked in (
            LedgerWrite.objects.filter(org_unit_id=write.org_unit_id).exclude(transfers=[], resent=[], asked=[])
            .order_by("pk").values_list("pk", "undone_at", "transfers", "resent", "asked")):
        standing = undone_at is None and pk != write.pk
        for transfer_id in mine.intersection(transfers):
            chains[transfer_id].append((pk, standing, None, None))
        for entry in (*resent, *asked):
            if entry["transfer"] in chains:
                chains[entry["transfer"]].append((pk, standing, entry["before"], entry["after"]))
    for transfer in (Transfer.objects.select_for_update(of=("self",)).select_related("to_unit")
                     .filter(pk__in=mine).order_by("pk")):
        chain = chains[transfer.pk]
        if transfer.status != TransferStatus.PENDING:
            settled.kept += 1
            continue
        holds = _fields(transfer)
        if chain[0][2] is None:  # the sender's fields are what the first re-send replaced
            sent_as = next((before for _pk, _s, before, _a in chain[1:]), holds)
            chain[0] = (chain[0][0], chain[0][1], None, sent_as)
        else:  # sent by a write that cannot be undone: it asks for ever
            chain.insert(0, (0, True, None, chain[0][2]))
        was = next(after for pk, standing, _b, after in reversed(chain) if standing or pk == write.pk)
        now = next((after for _pk, standing, _b, after in reversed(chain) if standing), None)
        if holds != was:  # changed outside its chain: left as it is
            settled.kept += 1
        elif now is None:
            _close(actor, transfer, TransferStatus.WITHDRAWN, note)
            settled.withdrawn += 1
        elif now != holds:
            for name in RESENT_FIELDS:
                setattr(transfer, name, now[name])
            transfer.valid_from = dt.date.fromisoformat(str(now["valid_from"]))
            transfer.save(update_fields=list(RESENT_FIELDS))
            record(actor, Action.CHANGE, subject_kind="transfer", subject_id=transfer.pk,
                   org_code=transfer.to_unit.code, reason=note[:300], step="undo")
            settled.restored += 1
        else:
            settled.kept += 1  # a later write still asks it as it is
    return settled


def incoming(user: object) -> QuerySet[Transfer]:
    """Requests the user decides: residents of their scope asked for by another community."""
    return scope.permitted(user, Transfer, scope.CHANGE).filter(status=TransferStatus.PENDING)


def decided(user: object) -> QuerySet[Transfer]:
    """What the user's communities decided about their residents: a record of each move."""
    return scope.permitted(user, Transfer, scope.CHANGE).exclude(status=TransferStatus.PENDING)


def outgoing(user: object) -> QuerySet[Transfer]:
    """Requests the user's communities sent, in every state."""
    return scope.permitted(user, Transfer, scope.VIEW).filter(scope.scope_q(user, "to_unit__code"))


def _locked(user: object, transfer_id: int, verb_qs: QuerySet[Transfer]) -> Transfer:
    if not verb_qs.filter(pk=transfer_id).exists():
        raise scope.OutOfScope("无权处理该迁入申请，或它不存在。")
    transfer = Transfer.objects.select_for_update(of=("self",)).select_related(
        "person", "to_unit", "from_unit").get(pk=transfer_id)
    if transfer.status != TransferStatus.PENDING:
        raise TransferError("transfer_closed", status=transfer.get_status_display())
    return transfer


@transaction.atomic
def confirm(actor: object, transfer_id: int, *, checked: bool = True) -> Transfer:
    """The resident's community agrees: the old residence closes, the new one opens with the
    values the other community recorded; other pending requests for the person lapse.

    `checked`: the page asks the worker to tick that they verified the move (one click must
    not move a person away); the CLI's explicit `confirm` is that statement.
    """
    transfer = _locked(actor, transfer_id, scope.permitted(actor, Transfer, scope.CHANGE))
    if not checked:
        raise TransferError("transfer_unverified")
    person = Person.objects.select_for_update(of=("self",)).select_related("org_unit").get(
        pk=transfer.person_id)
    home = person.org_unit.code if person.org_unit else last_home_codes([person.pk]).get(person.pk)
    if home != transfer.from_code:
        _close(actor, transfer, TransferStatus.DECLINED, "此人居住地已变更，申请失效")
        raise TransferError("transfer_stale")
    # The resident keeps the name their community knows: the asking community's spelling is
    # shown beside it when they differ, and a rename is an edit of its own, not a side effect.
    # Unless the ledger knows none now (the import that named them was undone): a resident
    # without a name is what it must never make.
    known = latest_facts(SubjectKind.PERSON, [person.pk], timezone.localdate(), [NAME]).get(person.pk, {})
    values = {k: v for k, v in transfer.values.items() if k != NAME or not known.get(NAME)}
    item = PersonInput({**values, IDENTITY: person.id_number},
                       household_number=transfer.household_number or None)
    try:
        result = _write(actor, transfer.to_unit, [item], valid_from=transfer.valid_from,
                        source=Source.TRANSFER, rules=None, dry_run=False, audit_action=Action.CHANGE,
                        audit_detail={"transfer": transfer.pk}, on_foreign=REFUSE,
                        movable=frozenset({person.pk}))
    except TransferError:
        raise
    except LedgerError as error:  # e.g. its household number now belongs to another community
        raise TransferError("transfer_incomplete", problems=error.message_zh,
                            problems_en=error.message_en) from error
    if result.rejected:
        raise TransferError("transfer_incomplete", problems="；".join(p.message_zh for p in result.rejected),
                            problems_en="; ".join(p.message_en for p in result.rejected))
    _close(actor, transfer, TransferStatus.CONFIRMED, "")
    for other in Transfer.objects.select_for_update().filter(
            person=person, status=TransferStatus.PENDING).exclude(pk=transfer.pk):
        _close(actor, other, TransferStatus.DECLINED, f"已迁往“{transfer.to_unit.name}”")
    return transfer


@transaction.atomic
def decline(actor: object, transfer_id: int, reason: str) -> Transfer:
    transfer = _locked(actor, transfer_id, scope.permitted(actor, Transfer, scope.CHANGE))
    if len(reason.strip()) < 2:
        raise TransferError("transfer_reject_reason")
    _close(actor, transfer, TransferStatus.DECLINED, reason.strip())
    return transfer


@transaction.atomic
def withdraw(actor: object, transfer_id: int) -> Transfer:
    transfer = _locked(actor, transfer_id, outgoing(actor))
    _close(actor, transfer, TransferStatus.WITHDRAWN, "")
    return transfer


def _close(actor: object, transfer: Transfer, status: str, reason: str) -> None:
    transfer.status = status
    transfer.reason = reason[:300]
    transfer.decided_by = actor if getattr(actor, "pk", None) else None
    transfer.decided_at = timezone.now()
    transfer.save(update_fields=["status", "reason", "decided_by", "decided_at"])
    record(actor, Action.CHANGE, subject_kind="transfer", subject_id=transfer.pk,
           org_code=transfer.from_code, to=status, reason=reason[:300], step="decide")


@dataclass(frozen=True)
class TransferLine:
    """One request as a list shows it: names and masked numbers only."""

    pk: int
    name: str  # as the asking community typed it
    current_name: str  # the resident's name in the ledger (shown only to their community)
    id_masked: str
    phone_masked: str
    from_name: str
    to_name: str
    origin: str
    status: str
    status_label: str
    requested_at: dt.datetime
    reason: str
    person_id: int


def lines(transfers: QuerySet[Transfer]) -> list[TransferLine]:
    out = []
    for t in transfers.select_related("person", "from_unit__parent", "to_unit__parent")[:500]:
        out.append(TransferLine(
            t.pk, str(t.values.get(NAME) or ""), t.person.name, mask_id_number(t.person.id_number),
            mask_phone(t.values["person.phone"]) if t.values.get("person.phone") else "",
            t.from_unit.label, t.to_unit.label, t.origin, t.status, t.get_status_display(),
            t.requested_at, t.reason, t.person_id))
    return out
