"""Writing audit entries; called by the domain functions that act."""

from __future__ import annotations

from typing import Any

from yibiao.replica import not_read_back

from .models import Action, AuditEntry


def record(
    actor: Any,
    action: Action,
    *,
    subject_kind: str = "",
    subject_id: object = "",
    org_code: str = "",
    reason: str = "",
    actor_name: str = "",
    **detail: Any,
) -> AuditEntry:
    """Append one audit entry. `actor` may be None for system jobs (retention, demo).

    `actor_name` names who acted when there is no account to point at: the account name
    typed into a failed login, or "anonymous".
    """
    user = actor if getattr(actor, "pk", None) else None
    with not_read_back():  # an appended entry: later reads of the request may still lag
        return AuditEntry.objects.create(
            actor=user,
            actor_name=(getattr(user, "username", "") or actor_name or "system")[:150],
            action=action,
            subject_kind=subject_kind,
            subject_id=str(subject_id),
            org_code=org_code,
            reason=reason[:300],
            detail=detail,
        )
