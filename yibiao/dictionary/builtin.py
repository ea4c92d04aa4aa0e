"""The built-in dictionary: the core elements (a contract) and the national code lists.

What the core spec file does not say (sensitivity, code list, retention, derivation) is
kept here as one table, so loading is data-driven and idempotent.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from .models import CodeItem, CodeList, Element, Sensitivity

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
CORE_ELEMENTS = DATA_DIR / "core-elements.tsv"
CODES_DIR = DATA_DIR / "codes"
ALIASES = DATA_DIR / "aliases.tsv"

# code list key (CSV file stem) -> (name, standard)
CODE_LISTS: dict[str, tuple[str, str]] = {
    "GB_T_2261_1_sex": ("性别", "GB/T 2261.1-2003"),
    "GB_T_3304_ethnic_groups": ("民族", "GB/T 3304-1991"),
    "GB_T_4761_family_relation": ("家庭关系", "GB/T 4761-2008"),
    "GB_T_2261_2_marital_status": ("婚姻状况", "GB/T 2261.2-2003"),
    "GB_T_4658_education": ("学历", "GB/T 4658-2006"),
    "GB_T_4762_political_status": ("政治面貌", "GB/T 4762-1984"),
    "GB_T_26341_disability_category": ("残疾类别", "GB/T 26341-2010"),
    "GB_T_26341_disability_grade": ("残疾等级", "GB/T 26341-2010"),
    "own_id_document_type": ("证件类型", "yibiao"),
    "own_hukou_type": ("户口性质", "yibiao"),
    "own_residence_status": ("居住状态", "yibiao"),
    "own_quarantine_mode": ("隔离方式", "yibiao"),
    "own_nucleic_acid_result": ("核酸检测结果", "yibiao"),
    "own_house_use": ("房屋用途", "yibiao"),
}


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
    "person.id_type": ElementTraits("own_id_document_type", ORD),
    "person.id_number": ElementTraits(sensitivity=SENS),
    "person.sex": ElementTraits("GB_T_2261_1_sex", PERS, derivation="id_number: 第17位奇数为男"),
    "person.birth_date": ElementTraits(sensitivity=PERS, derivation="id_number: 第7-14位"),
    "person.age": ElementTraits(sensitivity=PERS, unit="岁", derivation="birth_date: 报告期末周岁"),
    "person.ethnicity": ElementTraits("GB_T_3304_ethnic_groups", SENS),
    "person.phone": ElementTraits(sensitivity=PERS),
    "person.hukou_type": ElementTraits("own_hukou_type"),
    "person.residence_status": ElementTraits("own_residence_status"),
    "person.relation_to_head": ElementTraits("GB_T_4761_family_relation"),
    "person.marital_status": ElementTraits("GB_T_2261_2_marital_status"),
    "person.education": ElementTraits("GB_T_4658_education"),
    "person.political_status": ElementTraits("GB_T_4762_political_status"),
    "person.disability_category": ElementTraits("GB_T_26341_disability_category", SENS),
    "person.disability_grade": ElementTraits("GB_T_26341_disability_grade", SENS),
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
    "person.quarantine_type": ElementTraits("own_quarantine_mode", SENS, retention_days=30),
    "person.quarantine_start": ElementTraits(sensitivity=SENS, retention_days=30),
    "person.quarantine_end": ElementTraits(sensitivity=SENS, retention_days=30),
    "person.close_contact": ElementTraits(sensitivity=SENS, retention_days=30),
    "person.nucleic_test_date": ElementTraits(sensitivity=SENS, retention_days=30),
    "person.nucleic_test_result": ElementTraits("own_nucleic_acid_result", SENS, retention_days=30),
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
    "place.usage": ElementTraits("own_house_use", ORD),
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


def read_code_list(key: str) -> list[tuple[str, str, list[str]]]:
    path = CODES_DIR / f"{key}.csv"
    if not path.exists():
        return []
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return [
            (row["code"], row["name"], [v for v in (row.get("variants") or "").split("|") if v])
            for row in csv.DictReader(handle)
        ]


@dataclass(frozen=True)
class DictionaryLoadResult:
    elements: int
    code_lists: int
    code_items: int


@transaction.atomic
def load_builtin_dictionary() -> DictionaryLoadResult:
    items = 0
    lists: dict[str, CodeList] = {}
    for key, (name, standard) in CODE_LISTS.items():
        rows = read_code_list(key)
        if not rows:
            continue
        code_list, _ = CodeList.objects.update_or_create(
            key=key, defaults={"name": name, "standard": standard}
        )
        lists[key] = code_list
        CodeItem.objects.bulk_create(
            [CodeItem(code_list=code_list, code=c, name=n, variants=v) for c, n, v in rows],
            update_conflicts=True,
            unique_fields=["code_list", "code"],
            update_fields=["name", "variants"],
        )
        items += len(rows)
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
