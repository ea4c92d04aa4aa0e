"""Adding elements to the dictionary: by administrators, and by admitted department forms."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import transaction

from yibiao.accounts import scope
from yibiao.audit.log import record
from yibiao.audit.models import Action
from yibiao.refusals import Refusal

from .models import CodeList, Element, Sensitivity, Subject, ValueType

CODE_PATTERN = re.compile(r"^(person|household|place|org|meta)\.[a-z][a-z0-9_]{1,60}$")


class ElementError(Refusal, ValueError):
    """A new data element that cannot be added (a ValueError too, as before)."""


@dataclass(frozen=True)
class NewElement:
    code: str
    name_zh: str
    subject: str
    value_type: str
    sensitivity: str = Sensitivity.PERSONAL
    code_list: str = ""
    unit: str = ""
    retention_days: int | None = None
    note: str = ""
    aliases: tuple[str, ...] = ()
    per_period: bool = False


# The value type of a column a department introduces, read from its header's wording: the
# first pattern that matches decides; anything else stays free text (a yes/no column keeps
# the words its department wrote). Data, not if-chains.
HEADER_TYPES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(次数|人数|户数|个数|件数|天数|人次|数量|几次)$"), "integer"),
    (re.compile(r"(金额|面积|（元）|（万元）)$"), "decimal"),
    (re.compile(r"日期$"), "date"),
)


def guess_value_type(header: str) -> str:
    """The value type for a new column's header: a count (…次数) is an integer."""
    text = re.sub(r"\s+", "", header)
    return next((kind for pattern, kind in HEADER_TYPES if pattern.search(text)), "text")


def validate(new: NewElement) -> None:
    if not CODE_PATTERN.match(new.code):
        raise ElementError("element_code_format", code=new.code)
    if not new.code.startswith(f"{new.subject}."):
        raise ElementError("element_code_subject", code=new.code, subject=new.subject)
    if new.subject not in Subject.values or new.value_type not in ValueType.values:
        raise ElementError("element_kind_unknown")
    if new.sensitivity not in Sensitivity.values:
        raise ElementError("element_sensitivity_unknown")
    if not new.name_zh.strip():
        raise ElementError("element_name_missing")
    if new.value_type == ValueType.CODE and not new.code_list:
        raise ElementError("element_code_list_missing")
    if Element.objects.filter(code=new.code).exists():
        raise ElementError("element_exists", code=new.code)


@transaction.atomic
def add_element(actor: object, new: NewElement, *, owner: object = None,
                via_admission: bool = False) -> Element:
    """Create an element: administrators, or a reviewer admitting a form that asks for it."""
    scope.require(actor, "review_requests" if via_admission else "manage_dictionary")
    validate(new)
    element = Element.objects.create(
        code=new.code, name_zh=new.name_zh.strip(), subject=new.subject,
        value_type=new.value_type, sensitivity=new.sensitivity,
        code_list=CodeList.objects.get(key=new.code_list) if new.code_list else None,
        unit=new.unit, retention_days=new.retention_days, note=new.note,
        aliases=list(new.aliases), owner=owner, core=False, per_period=new.per_period,
    )
    record(actor, Action.CREATE, subject_kind="element", subject_id=element.code)
    return element
