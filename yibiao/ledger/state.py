"""Each person's current state (PersonState), derived from the facts and residences.

The state is the person as of any date on or after its `changed_on`: where they live
(the open residence), their household, and the latest stored value of every element.
The ledger's write path (records._write_chunk) builds it in memory from what it already
holds; `refresh_states` reads it from the database for writes that do not (retention
erasure, a write dated before the person's latest change); `rebuild_states` fills it
after bulk loads and restores. Facts stay the truth: the state can always be rebuilt.

Every person has a state row, and it must be exact: the roll-up (reports/rollup.py) reads
a person's facts only when their state changed after the report date. Code that writes a
person's facts or residences other than through records.write_people must call
`refresh_states` for them (or `rebuild_states` after a bulk load).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping

from django.db.models import Max

from yibiao.orgunits.models import subtree_q

from .bulk import delete_rows, insert_rows
from .models import Fact, Person, PersonState, Residence, SubjectKind
from .snapshot import ID_CHUNK, latest_facts

STATE_FIELDS = ["person", "org_code", "household_id", "id_number", "values", "changed_on", "row_digest"]
RELATION = "person.relation_to_head"
NEVER = dt.date.min  # changed_on of a person with no facts and no residence


# One encoder for every row: json.dumps with options builds a new one per call, which an
# import of 100,000 people pays for 100,000 times. Not ASCII-escaped: a name written as
# \uXXXX is longer, and its backslashes would each be escaped again for COPY.
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def state_row(person_id: int, id_number: str, org_code: str, household_id: int | None,
              relation: str, values: Mapping[str, str | None], changed_on: dt.date,
              *, clean: bool = False, digest: str | None = None) -> tuple:
    """One PersonState row as insert_rows takes it: erased values left out, the relation
    to the head as people_as_of gives it (absent when empty). `clean`: the values hold
    no erased value and no relation already (a new person's typed values)."""
    kept = dict(values) if clean else {e: v for e, v in values.items() if v is not None and e != RELATION}
    if relation:
        kept[RELATION] = relation
    return (person_id, org_code, household_id, id_number, _ENCODE(kept), changed_on, digest)


def write_states(rows: list[tuple], *, replace: bool) -> None:
    """Insert state rows; `replace`: the people's old rows are deleted first."""
    if replace:
        delete_rows(PersonState, "person", [r[0] for r in rows])
    insert_rows(PersonState, STATE_FIELDS, rows)


def refresh_states(person_ids: Iterable[int]) -> int:
    """Recompute the people's states from their facts and residences; returns how many."""
    ids = sorted(set(person_ids))
    written = 0
    for start in range(0, len(ids), ID_CHUNK):
        chunk = ids[start:start + ID_CHUNK]
        values = latest_facts(SubjectKind.PERSON, chunk, dt.date.max)
        changed = dict(Fact.objects.filter(subject_kind=SubjectKind.PERSON, subject_id__in=chunk)
                       .values("subject_id").annotate(last=Max("valid_from"))
                       .values_list("subject_id", "last"))
        open_residence: dict[int, tuple] = {}
        for person_id, code, household_id, relation, valid_from, valid_to in (
                Residence.objects.filter(person_id__in=chunk).order_by("valid_from", "id")
                .values_list("person_id", "org_code", "household_id", "relation_to_head",
                             "valid_from", "valid_to")):
            changed[person_id] = max(changed.get(person_id, NEVER), valid_from, valid_to or NEVER)
            if valid_to is None:  # the latest open one, should there be two
                open_residence[person_id] = (code, household_id, relation)
        rows = []
        for person_id, id_number in Person.objects.filter(pk__in=chunk).values_list("pk", "id_number"):
            code, household_id, relation = open_residence.get(person_id, ("", None, ""))
            rows.append(state_row(person_id, id_number, code, household_id, relation,
                                  values.get(person_id, {}), changed.get(person_id, NEVER)))
        delete_rows(PersonState, "person", chunk)
        insert_rows(PersonState, STATE_FIELDS, rows)
        written += len(rows)
    return written


def rebuild_states(org_code_prefix: str = "") -> int:
    """Recompute the state of everyone living or recorded under the prefix (everyone: "")."""
    if not org_code_prefix:
        ids = set(Person.objects.values_list("pk", flat=True))
    else:
        ids = set(Residence.objects.filter(subtree_q(org_code_prefix, "org_code"))
                  .values_list("person_id", flat=True))
        ids |= set(Person.objects.filter(subtree_q(org_code_prefix, "org_unit__code"))
                   .values_list("pk", flat=True))
    return refresh_states(ids)
