"""What a viewer sees of personal values: masked unless revealed, and every reveal audited.

Masking follows the data, not only the element: an ID-number or phone element is masked
whole, and any other value that holds a full ID number or mobile (残疾人证号 built on the ID
number, a 紧急联系人 typed with a phone, a remark) has those numbers masked inside it. The
same two functions decide it for pages, edit forms, history, exports and the data API.
"""

from __future__ import annotations

import datetime as dt

from yibiao.accounts import scope
from yibiao.audit.log import record
from yibiao.audit.models import Action
from yibiao.dictionary.rules import Rules
from yibiao.values import mask_id_number, mask_phone
from yibiao.values.personal import has_personal_number, mask_personal_numbers

from .models import Person, SubjectKind
from .snapshot import latest_facts

# Value types whose values are masked whole in every page, list and export.
MASKERS = {"id_number": mask_id_number, "phone": mask_phone}


class RevealRefused(scope.OutOfScope):
    pass


def mask(value_type: str, value: str | None) -> str:
    """What a viewer without a reveal sees of one value (as displayed)."""
    if not value:
        return ""
    masker = MASKERS.get(value_type)
    return masker(value) if masker else mask_personal_numbers(value)


def is_masked(value_type: str, value: str | None) -> bool:
    """Whether `mask` hides part of this value, so the page offers an audited reveal."""
    return bool(value) and (value_type in MASKERS or has_personal_number(value))


def reveal(actor: object, person: Person, element: str, reason: str) -> str:
    """The full value of one masked element, for a stated reason; audited."""
    scope.require(actor, "reveal_personal")
    scope.require_org_unit(actor, person.org_unit)
    reason = reason.strip()
    if len(reason) < 2:
        raise RevealRefused("查看完整信息须填写事由（例如：入户核实身份）。")
    rules = Rules.load()
    if element not in rules:
        raise RevealRefused(f"“{element}”不是需要遮蔽的信息。")
    if element == "person.id_number":
        value = person.id_number
    else:
        stored = latest_facts(SubjectKind.PERSON, [person.pk], dt.date.max, [element])
        value = stored.get(person.pk, {}).get(element) or ""
    if rules[element].value_type not in MASKERS and not has_personal_number(value):
        raise RevealRefused(f"“{rules[element].name_zh}”不是需要遮蔽的信息。")
    record(actor, Action.REVEAL, subject_kind="person", subject_id=person.pk,
           org_code=person.org_unit.code, reason=reason, element=element)
    return rules.display(element, value)
