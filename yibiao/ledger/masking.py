"""What a viewer sees of personal values: masked unless revealed, and every reveal audited."""

from __future__ import annotations

import datetime as dt

from yibiao.accounts import scope
from yibiao.audit.log import record
from yibiao.audit.models import Action
from yibiao.dictionary.rules import Rules
from yibiao.values import mask_id_number, mask_phone

from .models import Person, SubjectKind
from .snapshot import latest_facts

# Value types whose values are masked in every list and export.
MASKERS = {"id_number": mask_id_number, "phone": mask_phone}


class RevealRefused(scope.OutOfScope):
    pass


def mask(value_type: str, value: str | None) -> str:
    if not value:
        return ""
    masker = MASKERS.get(value_type)
    return masker(value) if masker else value


def reveal(actor: object, person: Person, element: str, reason: str) -> str:
    """The full value of one masked element, for a stated reason; audited."""
    scope.require(actor, "reveal_personal")
    scope.require_org_unit(actor, person.org_unit)
    reason = reason.strip()
    if len(reason) < 2:
        raise RevealRefused("查看完整信息须填写事由（例如：入户核实身份）。")
    rules = Rules.load()
    if element not in rules or rules[element].value_type not in MASKERS:
        raise RevealRefused(f"“{element}”不是需要遮蔽的信息。")
    if element == "person.id_number":
        value = person.id_number
    else:
        stored = latest_facts(SubjectKind.PERSON, [person.pk], dt.date.max, [element])
        value = stored.get(person.pk, {}).get(element) or ""
    record(actor, Action.REVEAL, subject_kind="person", subject_id=person.pk,
           org_code=person.org_unit.code, reason=reason, element=element)
    return value
