"""Numbers with full-width digits, thousands separators and the field's own unit."""

from __future__ import annotations

from decimal import Decimal

import pytest

from yibiao.values import ValueProblem, parse_number


@pytest.mark.parametrize(
    ("typed", "unit", "integer", "expected"),
    [
        ("3", None, True, 3),
        ("-3", None, True, -3),
        ("+3", None, True, 3),
        ("３", None, True, 3),
        ("3.0", None, True, 3),
        (3.0, None, True, 3),
        (3, None, True, 3),
        ("1,200", None, True, 1200),
        ("1,234,567", None, True, 1234567),
        ("１，２００", None, True, 1200),
        ("3人", "人", True, 3),
        ("3 人", "人", True, 3),
        ("3名", "人", True, 3),
        ("1,200元", "元", True, 1200),
        ("¥1,200", "元", True, 1200),
        ("￥1200", "元", True, 1200),
        ("1.2万元", "元", True, 12000),
        ("1.2万", "元", True, 12000),
        ("3万元", "万元", False, Decimal("3")),
        ("36.5", "℃", False, Decimal("36.5")),
        ("36.5℃", "℃", False, Decimal("36.5")),
        ("36.5°C", "℃", False, Decimal("36.5")),
        ("36.5度", "℃", False, Decimal("36.5")),
        ("３６．５℃", "℃", False, Decimal("36.5")),
        ("85.5平方米", "平方米", False, Decimal("85.5")),
        ("85.5㎡", "平方米", False, Decimal("85.5")),
        ("85.5m²", "平方米", False, Decimal("85.5")),
        ("12%", "%", False, Decimal("12")),
        ("80岁", "岁", True, 80),
        (".5", None, False, Decimal("0.5")),
        (0.1, None, False, Decimal("0.1")),
        (36.6, None, False, Decimal("36.6")),
        ("2件", "件", True, 2),
    ],
)
def test_accepted(typed: object, unit: str | None, integer: bool, expected: int | Decimal) -> None:
    result = parse_number(typed, unit=unit, integer=integer)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("typed", "unit", "integer", "code"),
    [
        ("3.5", None, True, "number_not_integer"),
        (3.5, None, True, "number_not_integer"),
        ("1,2", None, False, "number_bad_grouping"),
        ("12,00", None, False, "number_bad_grouping"),
        ("1,2000", None, False, "number_bad_grouping"),
        ("36.5kg", "℃", False, "number_unit_mismatch"),
        ("3户", "人", True, "number_unit_mismatch"),
        ("3人", None, True, "number_unexpected_unit"),
        ("abc", None, False, "number_bad"),
        ("元", "元", False, "number_bad"),
        ("1.2.3", None, False, "number_bad"),
        ("-", None, False, "number_bad"),
        (True, None, True, "number_bad"),
        (float("inf"), None, False, "number_bad"),
        ("", None, False, "empty"),
    ],
)
def test_rejected(typed: object, unit: str | None, integer: bool, code: str) -> None:
    with pytest.raises(ValueProblem) as caught:
        parse_number(typed, unit=unit, integer=integer)
    assert caught.value.code == code


def test_the_unit_mismatch_message_names_both_units() -> None:
    with pytest.raises(ValueProblem) as caught:
        parse_number("36.5kg", unit="℃")
    assert caught.value.message_zh == "“36.5kg”的单位“kg”与本项的单位“℃”不符"
