"""PIPL retention: purpose-bound values (quarantine, nucleic-acid tests, temperature) are
erased once their element's retention period has passed since the day they became true.
The fact row stays — that a value was recorded, when and by whom — the value does not.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from yibiao.audit.log import record
from yibiao.audit.models import Action
from yibiao.dictionary.models import Element

from .models import Fact, SubjectKind
from .state import refresh_states


@dataclass
class RetentionResult:
    today: dt.date
    dry_run: bool
    erased: dict[str, int] = field(default_factory=dict)  # element code -> values erased

    @property
    def total(self) -> int:
        return sum(self.erased.values())


def expired_facts(element: Element, today: dt.date):  # noqa: ANN201 (a QuerySet)
    cutoff = today - dt.timedelta(days=element.retention_days or 0)
    return Fact.objects.filter(element=element.code, value__isnull=False, valid_from__lt=cutoff)


@transaction.atomic
def apply_retention(actor: object, *, today: dt.date | None = None,
                    dry_run: bool = False) -> RetentionResult:
    today = today or timezone.localdate()
    result = RetentionResult(today, dry_run)
    people: set[int] = set()
    for element in Element.objects.filter(retention_days__isnull=False).order_by("code"):
        facts = expired_facts(element, today)
        count = facts.count()
        if not count:
            continue
        result.erased[element.code] = count
        if dry_run:
            continue
        people.update(facts.filter(subject_kind=SubjectKind.PERSON).values_list("subject_id", flat=True))
        facts.update(value=None, erased_at=timezone.now())
        record(actor, Action.RETENTION_ERASE, subject_kind="element", subject_id=element.code,
               reason=f"超过保存期限 {element.retention_days} 天", erased=count,
               before=(today - dt.timedelta(days=element.retention_days)).isoformat())
    refresh_states(people)  # an erased value may have been someone's latest
    return result
