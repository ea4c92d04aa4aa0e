"""Queries behind the worker pages: search, a person's card, their history."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from yibiao.dictionary.rules import Rules
from yibiao.values import get_code_list, mask_id_number, mask_phone
from yibiao.values.normalise import halfwidth

from .masking import is_masked, mask
from .models import Fact, Person, Residence, Source, SubjectKind
from .partitions import COPY_NOTE
from .snapshot import DERIVED_PERSON, identity_values, latest_facts

# How the person form groups elements, in order; anything else lands in 其他. The titles are
# translated where they are shown ({% translate title %}).
FORM_GROUPS: list[tuple[str, list[str]]] = [
    (gettext_noop("基本信息"), ["person.name", "person.id_type", "person.ethnicity", "person.marital_status",
              "person.education", "person.political_status", "person.hukou_type",
              "person.residence_status", "person.registered_address",
              "person.registered_division", "person.residence_address",
              "person.work_unit", "person.occupation"]),
    (gettext_noop("联系方式"), ["person.phone", "person.emergency_contact", "person.emergency_phone"]),
    (gettext_noop("特殊人群"), ["person.lives_alone", "person.empty_nester", "person.disability_category",
              "person.disability_grade", "person.disability_cert_no", "person.low_income",
              "person.extreme_poverty", "person.veteran", "person.pregnant"]),
    (gettext_noop("健康与防疫"), ["person.chronic_disease", "person.health_status", "person.vaccine_doses",
               "person.last_vaccination_date", "person.unvaccinated_reason",
               "person.body_temperature", "person.came_from", "person.arrival_date",
               "person.quarantine_type", "person.quarantine_start", "person.quarantine_end",
               "person.close_contact", "person.nucleic_test_date",
               "person.nucleic_test_result"]),
    (gettext_noop("其他"), ["person.remarks"]),
]
_DIGITS = re.compile(r"^[0-9xX]{2,18}$")


def search_people(people: QuerySet[Person], query: str) -> QuerySet[Person]:
    """By name, pinyin initials, or the last digits of the ID number — what a worker remembers."""
    query = halfwidth(query).strip()
    if not query:
        return people.order_by("org_unit__code", "name")
    condition = Q(name__contains=query)
    if query.isascii() and query.isalpha():
        condition |= Q(name_initials__startswith=query.lower())
    if _DIGITS.match(query):
        condition |= Q(id_number__endswith=query.upper())
    return people.filter(condition).order_by("org_unit__code", "name")


@dataclass
class ListRow:
    person: Person
    sex: str
    age: int
    id_masked: str
    phone_masked: str


def list_rows(people: list[Person], today: dt.date) -> list[ListRow]:
    phones = latest_facts(SubjectKind.PERSON, [p.pk for p in people], dt.date.max,
                          ["person.phone"])
    rows = []
    for person in people:
        identity = identity_values(person.id_number, today)
        rows.append(ListRow(person, "男" if identity["person.sex"] == "1" else "女",
                            int(identity["person.age"]), mask_id_number(person.id_number),
                            mask_phone(phones.get(person.pk, {}).get("person.phone") or "")))
    return rows


@dataclass
class Field:
    element: str
    label: str
    value_type: str
    value: str | None  # canonical; None when masked (a form never holds the full number)
    shown: str  # what a person reads (masked where needed)
    choices: list[tuple[str, str]]
    sensitive: bool
    error: str = ""
    masked: bool = False  # `shown` hides part of the stored value: offer an audited reveal


def person_card(person: Person, rules: Rules, as_of: dt.date,
                typed: dict[str, str] | None = None,
                errors: dict[str, str] | None = None) -> list[tuple[str, list[Field]]]:
    """The person's values grouped for the card and the edit form.

    A value that is masked (a phone, or any value holding an ID number or mobile) is never
    put in the form in full: the mask shows as a placeholder and an empty box keeps it.
    """
    stored = latest_facts(SubjectKind.PERSON, [person.pk], as_of).get(person.pk, {})
    groups = []
    for title, elements in FORM_GROUPS:
        fields = []
        for element in elements:
            if element not in rules or element in DERIVED_PERSON:
                continue
            rule = rules[element]
            displayed = rules.display(element, stored.get(element))
            masked = is_masked(rule.value_type, displayed)
            value = (typed or {}).get(element, None if masked else stored.get(element))
            choices: list[tuple[str, str]] = []
            if rule.code_list:
                choices = [(i.code, i.name) for i in get_code_list(rule.code_list).items]
            elif rule.value_type == "boolean":
                choices = [("1", "是"), ("0", "否")]
            fields.append(Field(element, rule.name_zh, rule.value_type, value,
                                mask(rule.value_type, displayed), choices, rule.sensitive,
                                (errors or {}).get(element, ""), masked))
        groups.append((title, fields))
    return groups


def form_values(card: list[tuple[str, list[Field]]], posted: dict[str, str]) -> dict[str, str]:
    """What the edit form asks to store: the posted box of every field on the card.

    A masked field's box starts empty (empty keeps the value); one sent back holding the
    mask itself (pasted from the placeholder, or by a client that filled it in) is
    dropped too, so the stored number is never overwritten with its own asterisks.
    """
    values = {}
    for _title, fields in card:
        for field in fields:
            typed = posted.get(field.element, "")
            if field.masked and typed.strip() == field.shown:
                typed = ""
            values[field.element] = typed
    return values


def last_fact_id(person: Person) -> int:
    """Where the person's history stood when a form was opened (sent back with the form)."""
    return Fact.objects.filter(subject_kind=SubjectKind.PERSON, subject_id=person.pk).aggregate(
        last=Max("id"))["last"] or 0


def changed_since(person: Person, seen: int, rules: Rules) -> dict[str, str]:
    """What others stored for the person after the form was opened (facts after ``seen``):
    the note shown beside each of those fields when a save loses to theirs."""
    notes: dict[str, str] = {}
    for fact in (Fact.objects.filter(subject_kind=SubjectKind.PERSON, subject_id=person.pk, id__gt=seen)
                 .exclude(note=COPY_NOTE).select_related("recorded_by").order_by("id")):
        rule = rules.elements.get(fact.element)
        value = mask(rule.value_type if rule else "text", rules.display(fact.element, fact.value)) \
            if fact.value else _("（空）")
        notes[fact.element] = _("%(who)s 于 %(at)s 已改为“%(value)s”；框中是您填写的，再次保存将以它为准。") % {
            "who": fact.recorded_by or _("系统"),
            "at": timezone.localtime(fact.recorded_at).strftime("%m-%d %H:%M"), "value": value}
    return notes


@dataclass
class HistoryLine:
    at: dt.datetime
    valid_from: dt.date
    label: str
    value: str
    source: str
    by: str


def person_history(person: Person, rules: Rules) -> list[HistoryLine]:
    lines = []
    # Every partition (a person's history spans the counties they lived in); the copies a
    # move made (partitions.follow_people) repeat facts already listed.
    for fact in Fact.objects.filter(subject_kind=SubjectKind.PERSON, subject_id=person.pk
                                    ).exclude(note=COPY_NOTE).select_related("recorded_by").order_by(
                                        "-recorded_at", "-id"):
        rule = rules.elements.get(fact.element)
        label = rule.name_zh if rule else fact.element
        if fact.value is None:
            value = _("（已按保存期限删除）")
        elif fact.value == "" and fact.source == Source.UNDO:
            value = _("（撤销：恢复为未填写）")  # the write it reverses had added the value
        else:
            value = mask(rule.value_type if rule else "text", rules.display(fact.element, fact.value))
        lines.append(HistoryLine(fact.recorded_at, fact.valid_from, label, value,
                                 fact.get_source_display(), str(fact.recorded_by or _("系统"))))
    for residence in Residence.objects.filter(person=person).select_related(
            "org_unit__parent", "household", "recorded_by").order_by("-recorded_at"):
        where = residence.org_unit.label + (_("，户号 %(number)s") % {"number": residence.household.number}
                                            if residence.household else "")
        lines.append(HistoryLine(residence.recorded_at, residence.valid_from, _("居住"),
                                 where + (_("（至 %(date)s）") % {"date": residence.valid_to}
                                          if residence.valid_to else ""),
                                 residence.get_source_display(), str(residence.recorded_by or _("系统"))))
    return sorted(lines, key=lambda line: line.at, reverse=True)


@dataclass
class PlaceRow:
    place: object
    rental: bool
    usage: str
    owner: str
    owner_phone: str


def place_rows(places: list, rules: Rules) -> list[PlaceRow]:
    """Houses with their current owner, use and rental flag (owner phones masked)."""
    values = latest_facts(SubjectKind.PLACE, [p.pk for p in places], dt.date.max)
    rows = []
    for place in places:
        v = values.get(place.pk, {})
        rows.append(PlaceRow(place, v.get("place.is_rental") == "1",
                             rules.display("place.usage", v.get("place.usage")),
                             mask("text", v.get("place.owner_name")),
                             mask_phone(v.get("place.owner_phone") or "")))
    return rows
