"""The reviewer's rules, configured per org unit (the nearest one applies to a request)."""

from __future__ import annotations

from dataclasses import dataclass, field

from yibiao.accounts import scope
from yibiao.audit.log import record
from yibiao.audit.models import Action
from yibiao.dictionary.models import Element
from yibiao.orgunits.models import OrgUnit
from yibiao.refusals import Refusal

from .models import AdmissionRules, Frequency


class RulesError(Refusal, ValueError):
    """Limits a reviewer set that cannot be stored (a ValueError too, as before)."""


@dataclass(frozen=True)
class RulesInput:
    max_frequency: str
    require_basis: bool
    sensitive_needs_justification: bool
    seconds_per_cell: float | None = None
    seconds_per_form: float | None = None
    element_max_frequency: dict[str, str] = field(default_factory=dict)


def configure(actor: object, unit: OrgUnit, new: RulesInput) -> AdmissionRules:
    scope.require(actor, "review_requests")
    scope.require_org_unit(actor, unit)
    if new.max_frequency not in Frequency.values:
        raise RulesError("rules_frequency_unknown")
    for element, frequency in new.element_max_frequency.items():
        if not Element.objects.filter(code=element).exists():
            raise RulesError("rules_element_unknown", element=element)
        if frequency not in Frequency.values:
            raise RulesError("rules_element_frequency_unknown", element=element, frequency=frequency)
    for value in (new.seconds_per_cell, new.seconds_per_form):
        if value is not None and not 0 < value < 36000:
            raise RulesError("rules_seconds_positive")
    rules, _ = AdmissionRules.objects.update_or_create(org_unit=unit, defaults={
        "max_frequency": new.max_frequency, "require_basis": new.require_basis,
        "sensitive_needs_justification": new.sensitive_needs_justification,
        "seconds_per_cell": new.seconds_per_cell, "seconds_per_form": new.seconds_per_form,
        "element_max_frequency": new.element_max_frequency})
    record(actor, Action.CHANGE, subject_kind="admission_rules", subject_id=unit.code,
           org_code=unit.code, **{k: v for k, v in new.__dict__.items()})
    return rules
