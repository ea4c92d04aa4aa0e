"""Browsing the audit log: who may see which entries, and the filters a reviewer needs."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from yibiao.accounts import scope

from .models import AuditEntry


def visible_entries(user: object) -> QuerySet[AuditEntry]:
    """Administrators see everything; reviewers the entries of their org units."""
    scope.require(user, "view_audit")
    return scope.permitted(user, AuditEntry, scope.VIEW)


def filter_entries(entries: QuerySet[AuditEntry], *, username: str = "", subject: str = "",
                   action: str = "", since: dt.date | None = None,
                   until: dt.date | None = None) -> QuerySet[AuditEntry]:
    if username:
        entries = entries.filter(actor_name=username)
    if subject:
        entries = entries.filter(subject_id=subject)
    if action:
        entries = entries.filter(action=action)
    if since:
        entries = entries.filter(at__date__gte=since)
    if until:
        entries = entries.filter(at__date__lte=until)
    return entries
