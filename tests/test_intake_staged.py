"""A large import streams: read, validated and staged a block at a time (issue 17).

records.BLOCK is lowered so that a few rows make several blocks and several chunks: the
staged path must give what the in-memory path gives (the other intake and ledger tests),
repeats merged or refused across blocks, one transaction for the whole file, a re-run
changing nothing, and no staging table left behind.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.db import DatabaseError, connection, transaction
from stdnum.cn import ric

from tests.sheetfactory import write_xlsx
from yibiao.intake.importer import import_ledger
from yibiao.ledger import records
from yibiao.ledger.models import Fact, LedgerWrite, Person, PersonState, Residence

pytestmark = pytest.mark.django_db

HEADER = ["户号", "姓名", "公民身份号码", "民族", "联系电话"]


def valid_id(n: int) -> str:
    body = f"11010519{60 + n // 300:02d}{1 + n // 28 % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"[:17]
    return body + ric.calc_check_digit(body + "0")  # it skips the last character


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(records, "BLOCK", 4)
    monkeypatch.setattr(records, "PIPELINE_BLOCK", 4)
    monkeypatch.setattr(records, "_reads_beside", lambda: True)  # PostgreSQL too: the same results
    monkeypatch.setattr(records, "CHUNK", 3)


def roster(tmp_path: Path, rows: list[list[object]], name: str = "花名册.xlsx") -> Path:
    return write_xlsx(tmp_path / name, [HEADER, *rows])


def person_rows(n: int) -> list[list[object]]:
    return [[f"HH-{i // 3:03d}", f"居民{i}", valid_id(i), "汉族", f"1381234{i:04d}"] for i in range(n)]


def stage_left() -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:  # a savepoint: PostgreSQL goes on
            cursor.execute(f"SELECT 1 FROM {records.Stage.TABLE}")  # noqa: S608
    except DatabaseError:  # no such table: what is expected
        return False
    return True


def test_a_file_of_many_blocks_is_written_whole_and_a_rerun_changes_nothing(world, tmp_path):
    path = roster(tmp_path, person_rows(11))
    first = import_ledger(world.worker_a, path, world.community_a)
    assert first.ok and (first.rows_read, first.created, first.rejected) == (11, 11, 0)
    assert Person.objects.count() == PersonState.objects.count() == Residence.objects.count() == 11
    assert first.facts_written == Fact.objects.count() == 11 * 3  # name, ethnicity, phone
    assert Fact.objects.filter(write_id=first.write_id).count() == 33
    facts = Fact.objects.count()
    again = import_ledger(world.worker_a, roster(tmp_path, person_rows(11), "again.xlsx"), world.community_a)
    assert again.ok and (again.created, again.updated, again.unchanged, again.facts_written) == (0, 0, 11, 0)
    assert Fact.objects.count() == facts and Residence.objects.count() == 11
    assert not stage_left()


def test_repeats_in_different_blocks_are_merged_or_refused_as_in_memory(world, tmp_path):
    rows = person_rows(9)
    same = [rows[1][0], rows[1][1], rows[1][2], None, rows[1][4]]  # completes nothing, agrees
    clash = [rows[2][0], "别的名字", rows[2][2], "汉族", rows[2][4]]
    path = roster(tmp_path, [*rows, same, clash])
    result = import_ledger(world.worker_a, path, world.community_a)
    assert result.ok and result.rows_read == 11
    assert result.merged == 1 and result.created == 8  # row 3 (person 2) and its clash refused
    refused = sorted({r.row for r in result.rejections})
    assert refused == [4, 12]
    assert all(r.code == "duplicate_id_conflict" for r in result.rejections)
    assert not Person.objects.filter(id_number=valid_id(2)).exists()
    assert Person.objects.filter(id_number=valid_id(1)).count() == 1


def test_a_bad_row_in_a_late_block_is_refused_alone_with_its_row(world, tmp_path):
    rows = person_rows(10)
    rows[8][4] = "12345"  # a phone of 5 digits, in the third block
    result = import_ledger(world.worker_a, roster(tmp_path, rows), world.community_a)
    assert result.ok and (result.created, result.rejected) == (9, 1)
    assert [(r.row, r.column, r.element) for r in result.rejections] == [(10, "E", "person.phone")]


def ledger_counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Person, Fact, Residence, PersonState, LedgerWrite))


def test_a_failure_in_a_late_chunk_leaves_nothing_written(world, tmp_path, monkeypatch):
    rows = person_rows(10)
    import_ledger(world.worker_a, roster(tmp_path, rows), world.community_a)
    before = ledger_counts()
    changed = [[*r[:4], f"1390000{i:04d}"] for i, r in enumerate(rows)]  # known people: _write_chunk
    real = records._write_chunk
    calls = []

    def failing(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("the worker died")
        return real(*args, **kwargs)

    monkeypatch.setattr(records, "_write_chunk", failing)
    with pytest.raises(RuntimeError):
        import_ledger(world.worker_a, roster(tmp_path, changed, "changed.xlsx"), world.community_a)
    assert len(calls) == 3
    assert ledger_counts() == before
    assert {facts_now(r[2])["person.phone"] for r in rows} == {r[4] for r in rows}
    monkeypatch.setattr(records, "_write_chunk", real)
    result = import_ledger(world.worker_a, roster(tmp_path, changed, "again.xlsx"), world.community_a)
    assert result.ok and result.updated == 10


def test_a_failure_in_the_merge_of_new_people_leaves_nothing_written(world, tmp_path, monkeypatch):
    """The new people are written by INSERT … SELECT; a failure after their person rows
    went in (before their facts) takes the whole file back, rows of known people with it."""
    rows = person_rows(14)
    import_ledger(world.worker_a, roster(tmp_path, rows[:4]), world.community_a)
    before = ledger_counts()
    real = records.ensure_counties

    def failing(codes):  # noqa: ANN001, ANN202
        if connection.in_atomic_block and Person.objects.count() > before[0]:
            raise RuntimeError("the worker died")
        return real(codes)

    monkeypatch.setattr(records, "ensure_counties", failing)
    changed = [[*r[:4], f"1390000{i:04d}"] if i < 4 else r for i, r in enumerate(rows)]
    with pytest.raises(RuntimeError):
        import_ledger(world.worker_a, roster(tmp_path, changed, "more.xlsx"), world.community_a)
    assert ledger_counts() == before and not stage_left()
    monkeypatch.setattr(records, "ensure_counties", real)
    result = import_ledger(world.worker_a, roster(tmp_path, changed, "again.xlsx"), world.community_a)
    assert result.ok and (result.created, result.updated) == (10, 4)


def test_a_dry_run_of_many_blocks_writes_nothing(world, tmp_path):
    result = import_ledger(world.worker_a, roster(tmp_path, person_rows(10)), world.community_a, dry_run=True)
    assert result.ok and result.created == 10
    assert not Person.objects.exists() and not stage_left()


def validated_rows(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many rows clean_inputs is given from now on (one entry per call)."""
    seen: list[int] = []
    real = records.clean_inputs

    def counting(items, rules, on):  # noqa: ANN001, ANN202
        seen.append(len(items))
        return real(items, rules, on)

    monkeypatch.setattr(records, "clean_inputs", counting)
    return seen


@pytest.mark.parametrize("block", [4, 1000])  # staged, and in memory
def test_a_rerun_recognises_its_rows_without_validating_them(world, tmp_path, monkeypatch, block):
    monkeypatch.setattr(records, "BLOCK", block)
    first = import_ledger(world.worker_a, roster(tmp_path, person_rows(10)), world.community_a)
    assert first.created == 10
    assert PersonState.objects.filter(row_digest__isnull=False).count() == 10
    seen = validated_rows(monkeypatch)
    again = import_ledger(world.worker_a, roster(tmp_path, person_rows(10), "again.xlsx"), world.community_a)
    assert (again.rows_read, again.unchanged, again.created, again.updated, again.facts_written) == (10, 10, 0, 0, 0)
    assert sum(seen) == 0
    # Another date is another write: validated and compared as always.
    later = import_ledger(world.worker_a, roster(tmp_path, person_rows(10), "later.xlsx"), world.community_a,
                          valid_from=dt.date(2026, 12, 31))
    assert later.unchanged == 10 and sum(seen) == 10


def test_a_person_changed_since_is_compared_again(world, tmp_path, monkeypatch):
    from yibiao.ledger.records import PersonInput, write_people

    rows = person_rows(10)
    import_ledger(world.worker_a, roster(tmp_path, rows), world.community_a)
    write_people(world.worker_a, world.community_a,
                 [PersonInput({"person.id_number": valid_id(5), "person.phone": "13900000000"})])
    assert PersonState.objects.get(id_number=valid_id(5)).row_digest is None
    seen = validated_rows(monkeypatch)
    again = import_ledger(world.worker_a, roster(tmp_path, rows, "again.xlsx"), world.community_a)
    assert (again.unchanged, again.updated) == (9, 1) and sum(seen) == 1
    assert facts_now(valid_id(5))["person.phone"] == rows[5][4]


def facts_now(id_number: str) -> dict[str, str]:
    return PersonState.objects.get(id_number=id_number).values


def test_a_recognised_row_repeated_in_the_file_is_judged_with_its_repeat(world, tmp_path):
    rows = person_rows(10)
    import_ledger(world.worker_a, roster(tmp_path, rows), world.community_a)
    clash = [rows[1][0], "别的名字", rows[1][2], "汉族", rows[1][4]]  # a later block than row 1
    again = import_ledger(world.worker_a, roster(tmp_path, [*rows, clash], "again.xlsx"), world.community_a)
    assert again.ok and again.rows_read == 11
    assert sorted({r.row for r in again.rejections}) == [3, 12]
    assert again.unchanged == 9
    assert facts_now(valid_id(1))["person.name"] == "居民1"


def test_a_row_with_a_warning_is_validated_again_and_warns_again(world, tmp_path):
    header = [*HEADER, "性别"]
    rows = [[*r, "男" if i == 2 else None] for i, r in enumerate(person_rows(6))]  # her ID: a woman
    path = write_xlsx(tmp_path / "a.xlsx", [header, *rows])
    first = import_ledger(world.worker_a, path, world.community_a)
    warned = {w.row for w in first.warnings}
    assert warned == {4} and first.warnings[0].code == "contradicts_id"
    again = import_ledger(world.worker_a, write_xlsx(tmp_path / "b.xlsx", [header, *rows]), world.community_a)
    assert {w.row for w in again.warnings} == warned
    assert again.unchanged == 6


@pytest.mark.parametrize("block", [4, 1000])  # staged, and in memory
def test_a_recognised_row_repeated_with_its_id_typed_otherwise_is_judged_with_it(world, tmp_path,
                                                                              monkeypatch, block):
    monkeypatch.setattr(records, "BLOCK", block)
    rows = person_rows(10)
    import_ledger(world.worker_a, roster(tmp_path, rows), world.community_a)
    spaced = f"{valid_id(3)[:6]} {valid_id(3)[6:]}"
    clash = [rows[3][0], "别的名字", spaced, "汉族", rows[3][4]]
    again = import_ledger(world.worker_a, roster(tmp_path, [*rows, clash], "again.xlsx"), world.community_a)
    assert sorted({r.row for r in again.rejections}) == [5, 12] and again.unchanged == 9


def ledger_as_read() -> dict[str, object]:
    """The whole ledger keyed by ID numbers and household numbers, not by row ids."""
    numbers = dict(Person.objects.values_list("pk", "id_number"))
    households = {h.pk: h.number for h in records.Household.objects.all()}
    people = {p.id_number: (p.name, p.name_initials, p.org_unit_id, households.get(p.household_id), p.version)
              for p in Person.objects.all()}
    facts = sorted((numbers[f.subject_id], f.element, f.value, f.valid_from, f.source, f.org_code, f.note,
                    f.recorded_by_id, f.write_id is not None)
                   for f in Fact.objects.filter(subject_kind="person"))
    homes = sorted((numbers[r.person_id], households.get(r.household_id), r.org_unit_id, r.org_code,
                    r.relation_to_head, r.valid_from, r.valid_to, r.source, r.recorded_by_id,
                    r.write_id is not None) for r in Residence.objects.all())
    states = {numbers[s.person_id]: (s.org_code, households.get(s.household_id), s.id_number, s.values,
                                     s.changed_on, s.row_digest) for s in PersonState.objects.all()}
    return {"people": people, "facts": facts, "residences": homes, "states": states}


def test_new_people_written_by_the_merge_are_what_the_row_by_row_path_writes(world, tmp_path, monkeypatch):
    """The same file, once through the in-memory path (_write_chunk for everyone) and once
    staged (INSERT … SELECT for the new people): the same ledger, the same report."""
    header = ["户号", "姓名", "公民身份号码", "与户主关系", "民族", "联系电话", "性别"]
    rows = [[f"HH-{i // 3:03d}" if i % 5 else None, f"居民{i}" if i != 7 else None, valid_id(i),
             "户主" if i % 3 == 0 else "子", "汉族" if i % 2 else "壮", f"1381234{i:04d}" if i % 4 else None,
             "男" if i == 2 else None]  # row 4: 男 for a woman's ID number, a warning (no digest)
            for i in range(12)]
    rows.append(list(rows[5]))  # a repeat that agrees: merged, written by _write_chunk
    known = [[None, "老住户", valid_id(40), "户主", "汉族", "13800000000", None]]
    rows.append([*known[0][:5], "13900000000", None])  # known: updated by _write_chunk

    def run(block: int) -> tuple[dict[str, object], tuple]:
        monkeypatch.setattr(records, "BLOCK", block)
        with transaction.atomic():
            import_ledger(world.worker_a, write_xlsx(tmp_path / f"known{block}.xlsx", [header, *known]),
                          world.community_a, valid_from=dt.date(2026, 1, 5))
            result = import_ledger(world.worker_a, write_xlsx(tmp_path / f"all{block}.xlsx", [header, *rows]),
                                   world.community_a, valid_from=dt.date(2026, 3, 1))
            seen = ledger_as_read()
            transaction.set_rollback(True)
        report = (result.rows_read, result.created, result.updated, result.unchanged, result.merged,
                  result.facts_written, sorted((r.row, r.column, r.code) for r in result.rejections),
                  sorted((w.row, w.code) for w in result.warnings))
        return seen, report

    in_memory, staged = run(1000), run(4)
    assert staged == in_memory
    ledger, report = staged
    assert report[:6] == (14, 11, 1, 0, 1, report[5]) and report[6] == [(9, "B", "name_missing")]
    assert len(ledger["people"]) == 12 and ledger["states"][valid_id(2)][5] is None  # warned: no digest
    assert ledger["states"][valid_id(0)][3]["person.relation_to_head"] == "02"  # 户主, as coded


def someone(i: int, household: str | None = None, **values: str) -> records.PersonInput:
    return records.PersonInput({"person.id_number": valid_id(i), "person.name": f"居民{i}", **values},
                               row=i + 2, household_number=household,
                               columns={"person.id_number": "C", "person.name": "B"})


def test_a_person_registered_by_another_write_before_the_merge_refuses_the_file(world, monkeypatch):
    """Set aside as new, then registered elsewhere before the merge writes them: the row must
    not pass by unwritten and unreported; the file is refused whole (written_meanwhile)."""
    real = records.Stage._write_block

    def racing(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        Person.objects.create(id_number=valid_id(5), name="别处登记", name_initials="BCDJ", version=1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(records.Stage, "_write_block", racing)
    before = ledger_counts()
    with pytest.raises(records.LedgerError) as refused:
        records.write_people(world.worker_a, world.community_a, [someone(i) for i in range(10)])
    assert refused.value.code == "written_meanwhile"
    assert ledger_counts() == before and not stage_left()


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_a_person_committed_by_another_connection_before_the_merge_refuses_the_file(
        transactional_db, world, monkeypatch):
    """The same with two real connections (PostgreSQL): the other write commits person 5
    after this import set its new people aside; this import is refused, theirs stands."""
    import threading

    from django.db import connections

    real = records.Stage._write_block
    other: dict[str, object] = {}

    def elsewhere() -> None:
        try:
            other["result"] = records.write_people(world.worker_a, world.community_a,
                                                   [someone(5, **{"person.remarks": "另一处"})])
        finally:
            connections.close_all()

    def racing(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        thread = threading.Thread(target=elsewhere)
        thread.start()
        thread.join(30)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(records.Stage, "_write_block", racing)
    with pytest.raises(records.LedgerError) as refused:
        records.write_people(world.worker_a, world.community_a, [someone(i) for i in range(10)])
    assert refused.value.code == "written_meanwhile"
    assert other["result"].created == 1  # type: ignore[attr-defined]
    assert list(Person.objects.values_list("id_number", flat=True)) == [valid_id(5)]
    assert facts_now(valid_id(5))["person.remarks"] == "另一处"


def test_an_empty_household_number_is_no_household_on_both_paths(world, monkeypatch):
    Household = records.Household
    Household.objects.create(number="", org_unit=world.community_b, address="")  # another community's ""

    def run(block: int) -> dict[str, object]:
        monkeypatch.setattr(records, "BLOCK", block)
        with transaction.atomic():
            result = records.write_people(world.worker_a, world.community_a, [someone(i, "") for i in range(6)])
            seen = ledger_as_read()
            transaction.set_rollback(True)
        assert result.created == 6
        return seen

    in_memory, staged = run(1000), run(4)
    assert staged == in_memory
    assert {p[3] for p in staged["people"].values()} == {None}  # type: ignore[attr-defined]


def test_a_file_read_again_for_a_repeat_still_leaves_digests_for_the_next_run(world, tmp_path):
    """A recognised person repeated in a later block sends the file through a second pass,
    which skips nothing; the new people it writes still keep their rows' digests."""
    rows = person_rows(10)
    import_ledger(world.worker_a, roster(tmp_path, rows), world.community_a)
    newcomer = ["HH-900", "新来的", valid_id(500), "汉族", "13812349999"]
    again = import_ledger(world.worker_a, roster(tmp_path, [*rows, list(rows[1]), newcomer], "again.xlsx"),
                          world.community_a)
    assert (again.created, again.merged, again.unchanged) == (1, 1, 10)
    assert PersonState.objects.get(id_number=valid_id(500)).row_digest is not None


def test_the_merge_moves_the_progress_bar_and_ends_it_full(world):
    heard: list[tuple[int, int]] = []
    records.write_people(world.worker_a, world.community_a, [someone(i) for i in range(10)],
                         progress=lambda done, rows: heard.append((done, rows)))
    assert heard[0] == (0, 10) and heard[-1] == (10, 10)
    assert [d for d, _ in heard] == sorted(d for d, _ in heard)
    assert len({d for d, _ in heard if 0 < d < 10}) >= 3  # after the people, residences, facts


@pytest.mark.parametrize("block", [4, 1000])  # staged, and in memory
def test_a_recognised_row_repeated_exactly_in_a_later_block_is_merged_not_counted_twice(world, tmp_path,
                                                                                       monkeypatch, block):
    monkeypatch.setattr(records, "BLOCK", block)
    rows = person_rows(10)
    import_ledger(world.worker_a, roster(tmp_path, rows), world.community_a)
    facts = Fact.objects.count()
    again = import_ledger(world.worker_a, roster(tmp_path, [*rows, rows[1]], "again.xlsx"), world.community_a)
    assert again.ok and again.rows_read == 11 and not again.rejections
    assert again.merged == 1 and again.unchanged == 10 and again.created == again.updated == 0
    assert Fact.objects.count() == facts


def test_a_first_import_writes_each_block_as_it_reads_the_next_and_says_how_far_it_read(world):
    heard: list[tuple[int, int]] = []
    seen: list[int] = []
    real = records.Stage.merge

    def counting(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        seen.append(Person.objects.count())  # what the merges before this one wrote
        return real(self, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(records.Stage, "merge", counting)
        result = records.write_people(world.worker_a, world.community_a, [someone(i) for i in range(10)],
                                      progress=lambda done, rows: heard.append((done, rows)), recognise=True)
    assert result.created == 10 and Person.objects.count() == 10
    assert seen == [0, 4, 8]  # a merge after each block of 4, the reading going on beside them
    assert [d for d, rows in heard if rows == 0] == [4, 8, 10] and heard[-1] == (10, 10)


def test_a_person_met_again_after_a_merge_wrote_them_sends_the_file_round_again(world, tmp_path):
    """The first block's people are written before the third is read; one of them comes
    again there, differently: the file is read again and both rows judged together."""
    rows = person_rows(10)
    clash = [rows[1][0], "别的名字", rows[1][2], "汉族", rows[1][4]]
    result = import_ledger(world.worker_a, roster(tmp_path, [*rows, clash]), world.community_a)
    assert result.ok and sorted({r.row for r in result.rejections}) == [3, 12]
    assert result.created == 9 and not Person.objects.filter(id_number=valid_id(1)).exists()
    assert not stage_left()


def test_a_failure_while_reading_ahead_leaves_nothing_written(world, monkeypatch):
    """The reading thread's error is raised on the writing one, after some blocks were
    merged: the transaction takes them back."""
    def failing():  # noqa: ANN202
        for i in range(12):
            if i == 9:
                raise records.LedgerError("written_meanwhile")
            yield someone(i)

    before = ledger_counts()
    with pytest.raises(records.LedgerError):
        records.write_people(world.worker_a, world.community_a, failing(), recognise=True)
    assert ledger_counts() == before and not stage_left()


@pytest.mark.parametrize("block", [1000, 4])  # in memory, and staged with merges
def test_two_communities_numbering_their_households_001_each_keep_their_own(world, monkeypatch, block):
    """户号 are a community's own numbering: community B's "001" was refused as belonging to
    community A, the whole import with it. Each community now has its own 001."""
    monkeypatch.setattr(records, "BLOCK", block)
    a = records.write_people(world.worker_a, world.community_a,
                             [someone(i, "001" if i < 3 else "002") for i in range(6)])
    b = records.write_people(world.worker_b, world.community_b,
                             [someone(i, "001") for i in range(10, 16)])
    assert (a.created, b.created, a.rejected, b.rejected) == (6, 6, [], [])
    households = records.Household.objects.order_by("community_code", "number")
    assert [(h.community_code, h.number) for h in households] == [
        (world.community_a.code, "001"), (world.community_a.code, "002"), (world.community_b.code, "001")]
    members = {(h.community_code, h.number): sorted(Person.objects.filter(household=h).values_list(
        "id_number", flat=True)) for h in households}
    assert members[(world.community_b.code, "001")] == sorted(valid_id(i) for i in range(10, 16))
    assert members[(world.community_a.code, "001")] == sorted(valid_id(i) for i in range(3))


@pytest.mark.parametrize("block", [1000, 4])
def test_a_household_number_typed_full_width_or_spaced_is_the_same_household(world, monkeypatch, block):
    monkeypatch.setattr(records, "BLOCK", block)
    typed = ["3-2-101", "３－２－１０１", " 3 - 2 - 101 ", "3—2—101", "3-2-101", "3-2-101"]
    result = records.write_people(world.worker_a, world.community_a,
                                  [someone(i, number) for i, number in enumerate(typed)])
    assert result.created == 6 and not result.rejected
    assert list(records.Household.objects.values_list("number", flat=True)) == ["3-2-101"]
    assert Person.objects.filter(household__number="3-2-101").count() == 6


def test_a_household_number_excel_turned_into_scientific_notation_is_refused(world):
    """4.30104E+15: different families' numbers read the same; they were merged into one."""
    result = records.write_people(world.worker_a, world.community_a,
                                  [someone(1, "4.30104E+15"), someone(2, "４.３０１０４Ｅ＋１５"), someone(3, "001")])
    assert result.created == 1
    assert [(p.row, p.code) for p in result.rejected] == [(3, "household_stored_as_number"),
                                                          (4, "household_stored_as_number")]
    assert "科学计数法" in result.rejected[0].message_zh and not records.Household.objects.exclude(number="001").exists()
