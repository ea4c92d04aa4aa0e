"""Code lists: lookup by code, name and the spellings people use; data files stay sound."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from yibiao.values import LISTS, ValueProblem, get_code_list, load_code_lists
from yibiao.values.codes import CODES_DIR


@pytest.mark.parametrize(
    ("list_id", "typed", "code"),
    [
        ("sex", "男", "1"),
        ("sex", "男性", "1"),
        ("sex", "M", "1"),
        ("sex", "m", "1"),
        ("sex", "1", "1"),
        ("sex", 1, "1"),
        ("sex", 1.0, "1"),
        ("sex", "女", "2"),
        ("sex", "Ｆ", "2"),
        ("sex", "1-男", "1"),
        ("ethnic_group", "汉", "01"),
        ("ethnic_group", "汉族", "01"),
        ("ethnic_group", "01", "01"),
        ("ethnic_group", "1", "01"),
        ("ethnic_group", "01 汉族", "01"),
        ("ethnic_group", "維吾爾族", "05"),
        ("ethnic_group", "毛南族", "36"),
        ("ethnic_group", "满", "11"),
        ("marital_status", "已婚", "20"),
        ("marital_status", "有配偶", "20"),
        ("marital_status", "离异", "40"),
        ("marital_status", "離婚", "40"),
        ("marital_status", "90", "90"),
        ("political_status", "群众", "13"),
        ("political_status", "党员", "01"),
        ("political_status", "中共党员", "01"),
        ("political_status", "共青团员", "03"),
        ("political_status", "团员", "03"),
        ("political_status", "民盟", "05"),
        ("political_status", "九三学社社员", "10"),
        ("political_status", "1", "01"),
        ("family_relation", "妻子", "12"),
        ("family_relation", "妻", "12"),
        ("family_relation", "丈夫", "11"),
        ("family_relation", "儿子", "20"),
        ("family_relation", "女儿", "30"),
        ("family_relation", "户主", "02"),
        ("education", "本科", "21"),
        ("education", "大專", "31"),
        ("education", "中专", "41"),
        ("education", "高中", "61"),
        ("education", "硕士", "14"),
        ("education", "文盲", "90"),
        ("disability_category", "肢体残疾", "4"),
        ("disability_category", "肢体", "4"),
        ("disability_category", "7", "7"),
        ("disability_grade", "二级", "2"),
        ("disability_grade", "2级", "2"),
        ("disability_grade", "II级", "2"),
        ("id_document_type", "身份证", "01"),
        ("id_document_type", "身份證", "01"),
        ("id_document_type", "台胞证", "04"),
        ("hukou_type", "外地户籍", "2"),
        ("residence_status", "人在户不在", "4"),
        ("quarantine_mode", "居家健康监测", "3"),
        ("nucleic_acid_result", "阴性", "1"),
        ("house_use", "出租", "2"),
        ("house_use", "空置", "4"),
    ],
)
def test_lookup(list_id: str, typed: object, code: str) -> None:
    assert get_code_list(list_id).lookup(typed).code == code


@pytest.mark.parametrize(
    ("list_id", "typed"),
    [
        ("sex", "妖"),
        ("sex", "3"),
        ("ethnic_group", "99"),
        ("ethnic_group", "2-汉族"),  # code and name disagree
        ("family_relation", "老婆"),  # colloquial on purpose
        ("marital_status", "单身"),  # 未婚 or 离婚? we do not guess
    ],
)
def test_unknown_values_are_rejected_with_the_list_named(list_id: str, typed: str) -> None:
    code_list = get_code_list(list_id)
    assert code_list.find(typed) is None
    with pytest.raises(ValueProblem) as caught:
        code_list.lookup(typed)
    assert caught.value.code == "code_unknown"
    assert f"“{typed}”" in caught.value.message_zh
    assert code_list.title in caught.value.message_zh
    assert code_list.standard in caught.value.message_en


def test_the_stable_ids() -> None:
    assert list(load_code_lists()) == [
        "sex", "marital_status", "ethnic_group", "education", "family_relation",
        "political_status", "disability_category", "disability_grade",
        "id_document_type", "hukou_type", "residence_status", "quarantine_mode",
        "nucleic_acid_result", "house_use",
    ]


def test_the_default_document_type_is_the_resident_id_card() -> None:
    default = get_code_list("id_document_type").default
    assert default is not None and default.name == "居民身份证"


@pytest.mark.parametrize(
    ("list_id", "codes"),
    [
        ("marital_status", ["10", "20", "21", "22", "23", "30", "40", "90"]),
        ("political_status", [f"{n:02d}" for n in range(1, 14)]),
        ("disability_category", [str(n) for n in range(1, 8)]),
        ("disability_grade", ["1", "2", "3", "4"]),
        ("ethnic_group", [f"{n:02d}" for n in range(1, 57)]),
        (
            "education",
            ["10", "11", "12", "13", "14", "15", "16", "17", "18", "19", "20", "21", "22", "23",
             "28", "30", "31", "32", "33", "40", "41", "42", "43", "44", "45", "46", "47", "48",
             "49", "60", "61", "62", "63", "70", "71", "73", "80", "81", "83", "90"],
        ),
    ],
)
def test_lists_hold_exactly_the_standard_codes(list_id: str, codes: list[str]) -> None:
    assert [item.code for item in get_code_list(list_id)] == codes


def test_every_csv_is_registered_and_every_registered_file_exists() -> None:
    on_disk = {p.name for p in CODES_DIR.glob("*.csv")}
    assert on_disk == {spec.file for spec in LISTS}
    overlays = {p.name for p in (CODES_DIR / "variants").glob("*.csv")}
    assert overlays <= on_disk


def test_sources_document_every_list() -> None:
    sources = (CODES_DIR / "SOURCES.md").read_text(encoding="utf-8")
    for spec in LISTS:
        assert f"`{spec.id}`" in sources and spec.file in sources


@pytest.mark.parametrize("path", sorted(CODES_DIR.rglob("*.csv")), ids=lambda p: p.name)
def test_csv_files_are_well_formed(path: Path) -> None:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][0] == "code"
    assert all(len(row) == len(rows[0]) for row in rows)
    codes = [row[0] for row in rows[1:]]
    assert len(codes) == len(set(codes))
