"""Every value that passes validation can be stored, on PostgreSQL as on SQLite.

SQLite never enforces a column's length, so a roster row whose name was a long run of
Latin letters imported there and crashed PostgreSQL (name_initials past 20 characters).
Each name below goes through every write path that takes a resident's name — the ledger's
write_people, household registration, the person edit form and the roster import — and
must come back stored exactly, or refused with a message naming the field; never a
database error. Run on both databases (DATABASE_URL).
"""

from __future__ import annotations

import unicodedata

import pytest

from tests.sheetfactory import write_xlsx
from yibiao.dictionary.rules import COLUMNS, Rules, column_length
from yibiao.intake.importer import import_ledger
from yibiao.ledger.models import Fact, Household, Person
from yibiao.ledger.records import PersonInput, write_people
from yibiao.values import ValueProblem
from yibiao.values.pinyin import MAX_INITIALS, name_initials

pytestmark = pytest.mark.django_db
NAME_LIMIT = Person._meta.get_field("name").max_length  # 50

NAMES = [
    "王秀英",
    "Abcdefghijklmnopqrstuvwxyz",  # 26 Latin letters: initials longer than their column
    "A" * NAME_LIMIT,
    "A" * (NAME_LIMIT + 1),
    "Maximilian Alexander Konstantin Ferdinand von Habsburg-Lothringen",
    "阿依古丽·买买提",
    "王Wang小明Ming 2世",
    "曾" + "z" * 60,
    "😀",
    "😀" * NAME_LIMIT,
    "😀" * (NAME_LIMIT + 1),
    "👨‍👩‍👧‍👦 家",  # one family emoji is seven code points
    "Zoe\u0308 Mu\u0308ller",  # combining diaeresis: two code points per letter
    "e\u0301" * (NAME_LIMIT // 2 + 1),  # 26 accented letters, 52 code points
    "欧阳" + "娜" * (NAME_LIMIT - 2),
    "欧阳" + "娜" * (NAME_LIMIT - 1),
    "  带空格的名字  ",
    "Ивано́в Пётр",
    "ﾔﾏﾀﾞ ﾀﾛｳ",
]
IDS = ["11010519491231002X", "430104199001010019", "430104198507150030", "110105196001010017"]


def expected(name: str) -> str | None:
    """What must be stored: the name as typed (trimmed), or None where it cannot fit."""
    stored = name.strip()
    return stored if len(stored) <= NAME_LIMIT else None


def assert_stored(id_number: str, name: str) -> None:
    person = Person.objects.get(id_number=id_number)
    assert person.name == expected(name)
    assert len(person.name_initials) <= MAX_INITIALS
    assert Fact.objects.filter(subject_id=person.pk, element="person.name").latest("id").value \
        == expected(name)


def assert_refused(id_number: str, messages: list[str]) -> None:
    assert not Person.objects.filter(id_number=id_number).exists()
    assert any("姓名" in m and str(NAME_LIMIT) in m for m in messages), messages


@pytest.mark.parametrize("name", NAMES)
def test_initials_fit_their_column(name):
    assert len(name_initials(name)) <= MAX_INITIALS == Person._meta.get_field(
        "name_initials").max_length


def test_the_surname_still_reads_as_a_surname():
    assert name_initials("曾伟") == "zw" and name_initials("Zhang Wei") == "zhangwei"


def test_every_limit_is_the_columns_own():
    rules = Rules.load()
    for element, column in COLUMNS.items():
        assert rules[element].max_length == column_length(column) is not None


@pytest.mark.parametrize("name", NAMES)
def test_the_rules_refuse_only_what_cannot_be_stored(name):
    rules = Rules.load()
    if expected(name) is None:
        with pytest.raises(ValueProblem) as refused:
            rules.parse("person.name", name)
        assert refused.value.code == "text_too_long"
        assert refused.value.message_zh.startswith("姓名：") and str(NAME_LIMIT) in refused.value.message_zh
        assert refused.value.message_en.startswith("person.name: ")
    else:
        assert rules.parse("person.name", name) == (expected(name), ())


@pytest.mark.parametrize("name", NAMES)
def test_write_people(world, name):
    result = write_people(world.worker_a, world.grid_a, [PersonInput(
        {"person.id_number": IDS[0], "person.name": name})])
    if expected(name) is None:
        assert_refused(IDS[0], [p.message_zh for p in result.rejected])
    else:
        assert not result.rejected
        assert_stored(IDS[0], name)


@pytest.mark.parametrize("name", NAMES)
def test_household_registration(client, world, name):
    client.force_login(world.worker_a)
    response = client.post("/ledger/households/new/", {
        "org_unit": world.community_a.code, "number": "", "address": "桃花岭路 1 号",
        "name_0": name, "id_number_0": IDS[1], "relation_0": "02"})
    assert response.status_code in (200, 302)
    if expected(name) is None:
        assert response.status_code == 200
        assert_refused(IDS[1], [response.content.decode()])
    else:
        assert response.status_code == 302, response.content.decode()[:2000]
        assert_stored(IDS[1], name)


@pytest.mark.parametrize("name", NAMES)
def test_person_edit(client, world, name):
    write_people(world.worker_a, world.grid_a, [PersonInput(
        {"person.id_number": IDS[2], "person.name": "原名"})])
    person = Person.objects.get(id_number=IDS[2])
    client.force_login(world.worker_a)
    response = client.post(f"/ledger/people/{person.pk}/edit/",
                           {"person.name": name, "version": person.version})
    person.refresh_from_db()
    if expected(name) is None:
        assert response.status_code == 200
        page = response.content.decode()
        assert "超过" in page and str(NAME_LIMIT) in page
        assert person.name == "原名"
    else:
        assert response.status_code == 302, response.content.decode()[:2000]
        assert_stored(IDS[2], name)


@pytest.mark.parametrize("dry_run", [True, False])
def test_roster_import(world, tmp_path, dry_run):
    """All the names in one roster: each row stored exactly or refused naming its row."""
    ids = [_valid(n) for n in range(len(NAMES))]
    path = write_xlsx(tmp_path / "花名册.xlsx", [
        ["居民花名册", "", "", ""],
        ["序号", "姓名", "公民身份号码", "户号"],
        *[[n + 1, name, ids[n], f"HH-{n:03d}"] for n, name in enumerate(NAMES)],
        [len(NAMES) + 1, "张三", _valid(900), "户" * 31],  # a household number too long
    ])
    result = import_ledger(world.worker_a, path, world.community_a, dry_run=dry_run)
    assert result.refused is None
    refused_rows = {r.row: r.message for r in result.rejections}
    for n, name in enumerate(NAMES):
        row = n + 3
        if expected(name) is None:
            assert "姓名" in refused_rows[row] and str(NAME_LIMIT) in refused_rows[row]
            assert not Person.objects.filter(id_number=ids[n]).exists()
        else:
            assert row not in refused_rows, refused_rows.get(row)
            if not dry_run:
                assert_stored(ids[n], name)
    assert "户号" in refused_rows[len(NAMES) + 3] and "30" in refused_rows[len(NAMES) + 3]
    assert not Household.objects.filter(number="户" * 31).exists()


def test_a_household_number_or_address_too_long_for_its_column(client, world):
    client.force_login(world.worker_a)
    for number, address in [("户" * 31, "桃花岭路 1 号"), ("", "路" * 201)]:
        response = client.post("/ledger/households/new/", {
            "org_unit": world.community_a.code, "number": number, "address": address,
            "name_0": "王秀英", "id_number_0": IDS[3], "relation_0": "02"})
        assert response.status_code == 200 and "超过" in response.content.decode()
        assert not Person.objects.filter(id_number=IDS[3]).exists()
    assert Household.objects.count() == 0


@pytest.mark.parametrize("text", ["a" * 201, "😀" * 201, unicodedata.normalize("NFD", "é" * 101)])
def test_any_column_limited_element_refuses_what_its_column_cannot_hold(text):
    rules = Rules.load()
    for element in ("household.address", "place.address", "person.residence_address"):
        with pytest.raises(ValueProblem, match="200"):
            rules.parse(element, text)
        assert rules.parse(element, text[:200]) == (text[:200].strip(), ())


def _check(body: str) -> str:
    from stdnum.cn import ric

    return ric.calc_check_digit(body + "0")


def _valid(n: int) -> str:
    body = f"43010419900101{n:03d}"
    return body + _check(body)
