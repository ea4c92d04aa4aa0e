"""The one state machine every demand moves through, and its one history.

    submitted ──admit──▶ admitted ──withdraw──▶ withdrawn
        │  ├──reject──▶ rejected          │
        │  └──return──▶ returned ──resubmit──▶ submitted
        └──────merge──▶ merged ◀──merge───┘   (two inspections become one joint inspection)

`take()` checks a step against TRANSITIONS and the actor's abilities and scope, and locks
the demand; `flip()` is the only writer of History and audits every change. Only admitted
demands create work for the grassroots. What a step means beyond its status (an admitted
table creates tasks; a merge makes a joint inspection) is its kind's workflow.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from yibiao.accounts import scope
from yibiao.accounts.models import Role
from yibiao.audit.log import record
from yibiao.audit.models import Action
from yibiao.refusals import Refusal

from .models import Demand, History, Kind, Status

TRANSITIONS: dict[tuple[str, str], str] = {
    (Status.SUBMITTED, "admit"): Status.ADMITTED,
    (Status.SUBMITTED, "return"): Status.RETURNED,
    (Status.SUBMITTED, "reject"): Status.REJECTED,
    (Status.RETURNED, "resubmit"): Status.SUBMITTED,
    (Status.ADMITTED, "withdraw"): Status.WITHDRAWN,
    (Status.SUBMITTED, "merge"): Status.MERGED,
    (Status.ADMITTED, "merge"): Status.MERGED,
}
ACTION_NAMES = {"admit": _("准入"), "return": _("退回修改"), "reject": _("不予准入"),
                "resubmit": _("重新提交"), "withdraw": _("撤销"), "merge": _("合并")}
# Who may take each step: reviewers decide, the submitting department resubmits.
ACTION_ABILITY = {"admit": "review_requests", "return": "review_requests",
                  "reject": "review_requests", "withdraw": "review_requests",
                  "merge": "review_requests", "resubmit": "submit_requests"}
NEEDS_REASON = ("return", "reject", "withdraw")
# Only inspections merge (多检合一).
KIND_ACTIONS = {Kind.TABLE: set(ACTION_ABILITY) - {"merge"}}


class GateRefused(Refusal):
    """The demand cannot be accepted or moved as asked; every reason is listed.

    `decisions` are a table's sensitive columns with what was decided for each, so the
    form can ask again for exactly those; `needs_justification` the (code, name) undecided."""

    def __init__(self, reasons: object, needs_justification: list[tuple[str, str]] | None = None,
                 decisions: list | None = None, **context: object) -> None:
        super().__init__(reasons, **context)
        self.needs_justification = needs_justification or []
        self.decisions = decisions or []


def subject_kind(demand: Demand) -> str:
    """How audit entries name a demand (kept from before the gate was one)."""
    return "form_request" if demand.kind == Kind.TABLE else "work_item"


def take(actor: object, demand: Demand, action: str, reason: str = "") -> Demand:
    """The demand, locked for the step, once the actor may take it from its current status."""
    if action not in ACTION_ABILITY or action not in KIND_ACTIONS.get(demand.kind, ACTION_ABILITY):
        raise GateRefused("unknown_action", action=action)
    scope.require(actor, ACTION_ABILITY[action])
    scope.require_may(actor, scope.CHANGE, demand)
    if action == "resubmit" and demand.department_id != getattr(actor, "department_id", None) \
            and getattr(actor, "role", None) != Role.ADMIN:
        raise scope.OutOfScope(str(_("只有提出需求的部门可以重新提交")))
    locked = type(demand).objects.select_for_update().select_related("scope", "department") \
        .get(pk=demand.pk)
    if (locked.status, action) not in TRANSITIONS:
        code = "request_status_forbids" if locked.kind == Kind.TABLE else "item_status_forbids"
        raise GateRefused(code, status=Status(locked.status).label, action=ACTION_NAMES[action],
                          action_en=action)
    if action in NEEDS_REASON and len(reason.strip()) < 2:
        raise GateRefused("reason_required", action=ACTION_NAMES[action], action_en=action)
    return locked


def flip(actor: object, demand: Demand, action: str, to: str, reason: str = "", *,
         fresh: bool = False, **detail: object) -> History:
    """Move the demand to `to` (saved with its other changes) and write its history and
    audit; `fresh` for a demand whose history starts here (submitted, or born admitted as
    a joint inspection)."""
    previous = "" if fresh else demand.status
    demand.status = to
    demand.save()
    entry = History.objects.create(demand=demand, action=action, from_status=previous,
                                   to_status=to, by=actor, reason=reason.strip())
    record(actor, Action.REQUEST_TRANSITION, subject_kind=subject_kind(demand), subject_id=demand.pk,
           org_code=demand.scope.code, reason=reason.strip(), step=action, to=to, **detail)
    return entry
