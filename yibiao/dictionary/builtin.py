"""The built-in dictionary: the core elements (a contract) and the national code lists.

What the core spec file does not say (sensitivity, code list, retention, derivation) is
kept here as one table, so loading is data-driven and idempotent. Code lists come from
yibiao.values, the same tables the validators use.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from yibiao.values import load_code_lists

from .models import CodeItem, CodeList, Element, Sensitivity

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
CORE_ELEMENTS = DATA_DIR / "core-elements.tsv"
ALIASES = DATA_DIR / "aliases.tsv"

@dataclass(frozen=True)
class ElementTraits:
    code_list: str = ""
    sensitivity: str = Sensitivity.PERSONAL
    retention_days: int | None = None
    unit: str = ""
    derivation: str = ""


SENS, PERS, ORD = Sensitivity.SENSITIVE, Sensitivity.PERSONAL, Sensitivity.ORDINARY
# PIPL art. 28: ID numbers, health and medical data, minors' data, financial hardship are
# sensitive personal information. Purpose-bound epidemic data is kept 30 days.
TRAITS: dict[str, ElementTraits] = {
    "person.id_type": ElementTraits("id_document_type", ORD),
    "person.id_number": ElementTraits(sensitivity=SENS),
    "person.sex": ElementTraits("sex", PERS, derivation="id_number: 第17位奇数为男"),
    "person.birth_date": ElementTraits(sensitivity=PERS, derivation="id_number: 第7-14位"),
    "person.age": ElementTraits(sensitivity=PERS, unit="岁", derivation="birth_date: 报告期末周岁"),
    "person.ethnicity": ElementTraits("ethnic_group", SENS),
    "person.phone": ElementTraits(sensitivity=PERS),
    "person.hukou_type": ElementTraits("hukou_type"),
    "person.residence_status": ElementTraits("residence_status"),
    "person.relation_to_head": ElementTraits("family_relation"),
    "person.marital_status": ElementTraits("marital_status"),
    "person.education": ElementTraits("education"),
    "person.political_status": ElementTraits("political_status"),
    "person.disability_category": ElementTraits("disability_category", SENS),
    "person.disability_grade": ElementTraits("disability_grade", SENS),
    "person.disability_cert_no": ElementTraits(sensitivity=SENS),
    "person.low_income": ElementTraits(sensitivity=SENS),
    "person.extreme_poverty": ElementTraits(sensitivity=SENS),
    "person.chronic_disease": ElementTraits(sensitivity=SENS),
    "person.pregnant": ElementTraits(sensitivity=SENS),
    "person.vaccine_doses": ElementTraits(sensitivity=SENS, unit="剂"),
    "person.last_vaccination_date": ElementTraits(sensitivity=SENS),
    "person.unvaccinated_reason": ElementTraits(sensitivity=SENS),
    "person.health_status": ElementTraits(sensitivity=SENS),
    "person.body_temperature": ElementTraits(sensitivity=SENS, unit="℃", retention_days=30),
    "person.came_from": ElementTraits(sensitivity=SENS, retention_days=30),
    "person.arrival_date": ElementTraits(sensitivity=SENS, retention_days=30),
    "person.quarantine_type": ElementTraits("quarantine_mode", SENS, retention_days=30),
    "person.quarantine_start": ElementTraits(sensitivity=SENS, retention_days=30),
    "person.quarantine_end": ElementTraits(sensitivity=SENS, retention_days=30),
    "person.close_contact": ElementTraits(sensitivity=SENS, retention_days=30),
    "person.nucleic_test_date": ElementTraits(sensitivity=SENS, retention_days=30),
    "person.nucleic_test_result": ElementTraits("nucleic_acid_result", SENS, retention_days=30),
    "person.emergency_phone": ElementTraits(sensitivity=PERS),
    "household.head_name": ElementTraits(derivation="members: 与户主关系为户主/本人者的姓名"),
    "household.head_id_number": ElementTraits(
        sensitivity=SENS, derivation="members: 与户主关系为户主/本人者的身份证号"
    ),
    "household.size": ElementTraits(sensitivity=ORD, unit="人", derivation="members: 报告期末成员数"),
    "household.number": ElementTraits(sensitivity=ORD),
    "place.address": ElementTraits(sensitivity=ORD),
    "place.owner_phone": ElementTraits(sensitivity=PERS),
    "place.is_rental": ElementTraits(sensitivity=ORD),
    "place.usage": ElementTraits("house_use", ORD),
    "org.grid": ElementTraits(sensitivity=ORD),
    "org.community": ElementTraits(sensitivity=ORD),
    "org.township": ElementTraits(sensitivity=ORD),
    "meta.seq": ElementTraits(sensitivity=ORD, derivation="system: 行号"),
    "meta.reporting_unit": ElementTraits(sensitivity=ORD, derivation="system: 填报单位"),
    "meta.reporting_date": ElementTraits(sensitivity=ORD, derivation="system: 填报日期"),
    "meta.filled_by": ElementTraits(sensitivity=ORD, derivation="system: 填报人"),
}


def read_core_elements() -> list[dict[str, str]]:
    with open(CORE_ELEMENTS, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def read_aliases() -> dict[str, list[str]]:
    aliases: dict[str, list[str]] = {}
    if not ALIASES.exists():
        return aliases
    with open(ALIASES, encoding="utf-8") as handle:
        for line in handle:
            if not line.strip() or line.startswith("#"):
                continue
            code, _, alias = line.rstrip("\n").partition("\t")
            if alias and code != "code":
                aliases.setdefault(code, []).append(alias.strip())
    return aliases


@dataclass(frozen=True)
class DictionaryLoadResult:
    elements: int
    code_lists: int
    code_items: int


@transaction.atomic
def load_builtin_dictionary() -> DictionaryLoadResult:
    items = 0
    lists: dict[str, CodeList] = {}
    for key, source in load_code_lists().items():
        code_list, _ = CodeList.objects.update_or_create(
            key=key, defaults={"name": source.title, "standard": source.standard}
        )
        lists[key] = code_list
        CodeItem.objects.bulk_create(
            [CodeItem(code_list=code_list, code=i.code, name=i.name, variants=list(i.variants))
             for i in source.items],
            update_conflicts=True,
            unique_fields=["code_list", "code"],
            update_fields=["name", "variants"],
        )
        items += len(source.items)
    aliases = read_aliases()
    core = read_core_elements()
    for row in core:
        traits = TRAITS.get(row["code"], ElementTraits())
        Element.objects.update_or_create(
            code=row["code"],
            defaults={
                "name_zh": row["name_zh"],
                "subject": row["subject"],
                "value_type": row["value_type"],
                "standard": row["standard_or_rule"],
                "note": row["note"],
                "aliases": aliases.get(row["code"], []),
                "code_list": lists.get(traits.code_list),
                "sensitivity": traits.sensitivity,
                "retention_days": traits.retention_days,
                "unit": traits.unit,
                "derivation": traits.derivation,
                "core": True,
            },
        )
    return DictionaryLoadResult(len(core), len(lists), items)
