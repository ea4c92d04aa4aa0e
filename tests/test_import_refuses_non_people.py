"""An import refuses what is not a person, and never lets one row silently overwrite another."""

from __future__ import annotations

import pytest

from tests.sheetfactory import table, write_xlsx
from yibiao.intake.importer import import_ledger
from yibiao.ledger.models import Fact, Person

pytestmark = pytest.mark.django_db

WANG = "11010519491231002X"
LI = "110105198001010016"
ZHAO = "110105201001010010"


def roster(tmp_path, markdown: str):
    return write_xlsx(tmp_path / "花名册.xlsx", table(markdown))


def test_a_row_without_a_name_is_rejected_with_its_row_and_column(world, tmp_path):
    path = roster(tmp_path, f"""
| 姓名   | 公民身份号码 | 联系电话    |
|        | {WANG}       | 13812345678 |
| 李建国 | {LI}         | 13912345678 |
""")
    result = import_ledger(world.worker_a, path, world.community_a)
    assert (result.created, result.rejected) == (1, 1)
    [rejection] = result.rejections
    assert (rejection.row, rejection.column, rejection.code) == (2, "A", "name_missing")
    assert "姓名" in rejection.message
    assert not Person.objects.filter(id_number=WANG).exists()


def test_a_new_person_without_a_name_column_is_rejected_but_a_known_one_is_updated(world, tmp_path):
    import_ledger(world.worker_a, roster(tmp_path, f"""
| 姓名   | 公民身份号码 |
| 李建国 | {LI}         |
"""), world.community_a)
    result = import_ledger(world.worker_a, roster(tmp_path, f"""
| 公民身份号码 | 联系电话    |
| {WANG}       | 13812345678 |
| {LI}         | 13912345678 |
"""), world.community_a)
    assert (result.created, result.updated, result.rejected) == (0, 1, 1)
    assert result.rejections[0].code == "name_missing" and result.rejections[0].row == 2
    assert Person.objects.get(id_number=LI).name == "李建国"


def test_one_id_number_with_two_names_rejects_every_such_row_naming_the_others(world, tmp_path):
    path = roster(tmp_path, f"""
| 姓名   | 公民身份号码 | 联系电话    |
| 王秀英 | {WANG}       | 13812345678 |
| 李建国 | {LI}         | 13912345678 |
| 王小英 | {WANG}       | 13700000000 |
| 赵小   | {ZHAO}       |             |
""")
    result = import_ledger(world.worker_a, path, world.community_a)
    assert (result.created, result.rejected) == (2, 2)
    by_row = {r.row: r for r in result.rejections}
    assert set(by_row) == {2, 4}
    assert all(r.code == "duplicate_id_conflict" for r in by_row.values())
    assert all(r.column == "B" for r in by_row.values())  # the ID number's column
    assert "姓名" in by_row[2].message and "person." not in by_row[2].message
    assert "第 4 行" in by_row[2].message and "第 2 行" in by_row[4].message
    assert WANG not in by_row[2].value  # the ID number is masked in the report
    assert not Person.objects.filter(id_number=WANG).exists()


def test_repeated_identical_or_complementary_rows_become_one_person(world, tmp_path):
    path = roster(tmp_path, f"""
| 姓名   | 公民身份号码 | 联系电话    | 民族 |
| 王秀英 | {WANG}       | 13812345678 |      |
| 王秀英 | {WANG}       | 13812345678 | 汉族 |
| 王秀英 | {WANG}       |             |      |
""")
    result = import_ledger(world.worker_a, path, world.community_a)
    assert (result.rows_read, result.created, result.rejected, result.merged) == (3, 1, 0, 2)
    wang = Person.objects.get(id_number=WANG)
    facts = dict(Fact.objects.filter(subject_id=wang.pk).values_list("element", "value"))
    assert facts == {"person.name": "王秀英", "person.phone": "13812345678", "person.ethnicity": "01"}


def test_the_summary_counts_every_outcome(world, tmp_path):
    import_ledger(world.worker_b, roster(tmp_path, f"""
| 姓名   | 公民身份号码 |
| 赵小   | {ZHAO}       |
"""), world.community_b)
    import_ledger(world.worker_a, roster(tmp_path, f"""
| 姓名   | 公民身份号码 |
| 李建国 | {LI}         |
"""), world.community_a)
    result = import_ledger(world.worker_a, roster(tmp_path, f"""
| 姓名   | 公民身份号码 | 联系电话    |
| 王秀英 | {WANG}       | 13812345678 |
| 李建国 | {LI}         | 13912345678 |
| 赵小   | {ZHAO}       |             |
|        | {LI}         |             |
"""), world.community_a)
    summary = result.as_dict()
    assert {k: summary[k] for k in ("created", "updated", "unchanged", "rejected",
                                    "transfer_requests")} == {
        "created": 1, "updated": 1, "unchanged": 0, "rejected": 1, "transfer_requests": 1}
    assert [(r.row, r.code) for r in result.rejections] == [(5, "name_missing")]
