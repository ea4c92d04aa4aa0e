"""公民身份号码: what is accepted, what is rejected, and what the rejection says."""

from __future__ import annotations

import datetime as dt

import pytest

from yibiao.values import ValueProblem, parse_id_number
from yibiao.values.ids import check_digit

STANDARD_EXAMPLE = "11010519491231002X"  # GB 11643-1999's own worked example
TODAY = dt.date(2026, 11, 29)


def with_check(first17: str) -> str:
    """A number that passes MOD 11-2, so the test reaches the rule it is about."""
    return first17 + check_digit(first17)


@pytest.mark.parametrize(
    "typed",
    [
        "11010519491231002X",
        "11010519491231002x",
        "１１０１０５１９４９１２３１００２Ｘ",
        "110105 19491231 002X",
        "110105-19491231-002X",
        " 110105\u300019491231002X ",
        "'11010519491231002X",
        "110105\u200b19491231002X",
        "١١٠١٠٥١٩٤٩١٢٣١٠٠٢X",  # Arabic-Indic digits: the same person, not a second one
        "११०१०५१९४९१२३१००२X",  # Devanagari
    ],
)
def test_the_standard_example_is_accepted_however_typed(typed: str) -> None:
    number = parse_id_number(typed, today=TODAY)
    assert number.value == STANDARD_EXAMPLE
    assert number.birth_date == dt.date(1949, 12, 31)
    assert number.sex_code == "2"  # sequence 002 is even
    assert number.division_code == "110105"
    assert number.division_known
    assert number.division_name == "北京市朝阳区"
    assert not number.upgraded_from_15


def test_every_one_character_change_of_the_standard_example_is_rejected() -> None:
    changed = 0
    for position, original in enumerate(STANDARD_EXAMPLE):
        alphabet = "0123456789X" if position == 17 else "0123456789"
        for replacement in alphabet.replace(original, ""):
            typo = STANDARD_EXAMPLE[:position] + replacement + STANDARD_EXAMPLE[position + 1 :]
            with pytest.raises(ValueProblem):
                parse_id_number(typo, today=TODAY)
            changed += 1
    assert changed == 17 * 9 + 10


@pytest.mark.parametrize(
    ("fifteen", "eighteen", "birth"),
    [
        ("110105491231002", "11010519491231002X", dt.date(1949, 12, 31)),
        ("130503670401001", "130503196704010016", dt.date(1967, 4, 1)),
        (110105491231002, "11010519491231002X", dt.date(1949, 12, 31)),
        (110105491231002.0, "11010519491231002X", dt.date(1949, 12, 31)),
    ],
)
def test_fifteen_digit_numbers_are_upgraded(fifteen: object, eighteen: str, birth: dt.date) -> None:
    number = parse_id_number(fifteen, today=TODAY)
    assert (number.value, number.birth_date, number.upgraded_from_15) == (eighteen, birth, True)


def test_the_sex_code_follows_the_sequence_digit() -> None:
    assert parse_id_number("130503196704010016", today=TODAY).sex_code == "1"


def test_an_unknown_birthplace_is_flagged_not_rejected() -> None:
    number = parse_id_number(with_check("99010519491231002"), today=TODAY)
    assert not number.division_known
    assert number.division_name == ""


def test_historic_birthplace_codes_count_as_known() -> None:
    # 110103 崇文区 was merged into 东城区 in 2010; people still carry it.
    number = parse_id_number(with_check("11010319800101001"), today=TODAY)
    assert number.division_known
    assert number.division_name == "北京市崇文区（旧区划名）"


def test_age_is_counted_in_whole_years() -> None:
    number = parse_id_number(STANDARD_EXAMPLE, today=TODAY)
    assert number.age_on(dt.date(2026, 12, 30)) == 76
    assert number.age_on(dt.date(2026, 12, 31)) == 77


@pytest.mark.parametrize(
    ("typed", "code", "says"),
    [
        ("11010519491231002Y", "id_check_digit", "公民身份号码“11010519491231002Y”校验码不符（按 GB 11643 末位应为 X）：多半是其他某位录错了，请对照身份证原件核对每一位"),
        ("110105194912310021", "id_check_digit", "应为 X"),
        ("1101051949123100", "id_bad_length", "有 16 位"),
        ("11010519491231002X1", "id_bad_length", "有 19 位"),
        ("11010519A91231002X", "id_bad_chars", "“A”"),
        ("11010549123100X", "id_bad_chars", "“X”"),
        (with_check("11010519490230002"), "id_bad_birth_date", "1949-02-30"),
        (with_check("11010520300101001"), "id_future_birth_date", "2030-01-01"),
        (with_check("11010518700101001"), "id_too_old", "1870-01-01"),
        (1.1010519491231002e17, "id_stored_as_number", "文本格式"),
        ("1.10105E+17", "id_stored_as_number", "末几位已经丢失"),
        ("   ", "empty", "未填写"),
    ],
)
def test_rejections_name_the_value_and_the_reason(typed: object, code: str, says: str) -> None:
    with pytest.raises(ValueProblem) as caught:
        parse_id_number(typed, today=TODAY)
    assert caught.value.code == code
    assert says in caught.value.message_zh
    assert caught.value.message_en


def test_the_check_digit_message_in_english() -> None:
    with pytest.raises(ValueProblem) as caught:
        parse_id_number("11010519491231002Y", today=TODAY)
    assert caught.value.message_en == (
        "ID number “11010519491231002Y” fails its check digit (by GB 11643 the last character would be X): most likely another digit was mistyped; check every digit against the ID card"
    )
