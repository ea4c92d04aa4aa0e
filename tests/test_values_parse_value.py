"""parse_value: one entry point for every value type, empty cells, warnings, caller bugs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from yibiao.values import DateValue, Parsed, ValueProblem, get_code_list, parse_value
from yibiao.values.ids import check_digit


@pytest.mark.parametrize(
    ("value_type", "raw", "kwargs", "value", "display"),
    [
        ("text", " 张伟 ", {}, "张伟", "张伟"),
        ("text", 3.0, {}, "3", "3"),
        ("integer", "3人", {"unit": "人"}, 3, "3"),
        ("decimal", "36.5℃", {"unit": "℃"}, Decimal("36.5"), "36.5"),
        ("decimal", "1,200.50元", {"unit": "元"}, Decimal("1200.50"), "1200.50"),
        ("date", "2026年11月1日", {}, DateValue(2026, 11, 1), "2026-11-01"),
        ("date", "1949年12月", {}, DateValue(1949, 12), "1949-12"),
        ("boolean", "√", {}, True, "是"),
        ("boolean", "無", {}, False, "否"),
        ("code", "男", {"code_list": "sex"}, "1", "男性"),
        ("code", "汉", {"code_list": get_code_list("ethnic_group")}, "01", "汉族"),
        ("id_number", "11010519491231002x", {}, "11010519491231002X", "11010519491231002X"),
        ("phone", "+86 138-1234-5678", {}, "13812345678", "13812345678"),
    ],
)
def test_each_type(value_type: str, raw: object, kwargs: dict, value: object, display: str) -> None:
    assert parse_value(value_type, raw, **kwargs) == Parsed(value, display)


@pytest.mark.parametrize("value_type", ["text", "integer", "decimal", "date", "boolean", "id_number", "phone"])
@pytest.mark.parametrize("raw", [None, "", "   ", "\u3000", float("nan")])
def test_empty_is_none_not_an_error(value_type: str, raw: object) -> None:
    assert parse_value(value_type, raw) is None


def test_empty_code_is_none() -> None:
    assert parse_value("code", "", code_list="sex") is None


def test_rejections_are_value_problems() -> None:
    with pytest.raises(ValueProblem) as caught:
        parse_value("id_number", "11010519491231002Y")
    assert caught.value.message_zh == "公民身份号码“11010519491231002Y”校验码不符（按 GB 11643 末位应为 X）：多半是其他某位录错了，请对照身份证原件核对每一位"


def test_id_number_warnings() -> None:
    upgraded = parse_value("id_number", "110105491231002")
    assert upgraded is not None
    assert [w.code for w in upgraded.warnings] == ["id_upgraded"]
    first17 = "99010519491231002"
    unknown_place = parse_value("id_number", first17 + check_digit(first17))
    assert unknown_place is not None
    assert [w.code for w in unknown_place.warnings] == ["id_division_unknown"]
    assert "990105" in unknown_place.warnings[0].message_zh


def test_date_warnings_are_passed_on() -> None:
    parsed = parse_value("date", dt.datetime(2026, 11, 1, 8, 30))
    assert parsed is not None and [w.code for w in parsed.warnings] == ["date_time_dropped"]


def test_caller_bugs_raise_plain_errors() -> None:
    with pytest.raises(KeyError):
        parse_value("colour", "red")
    with pytest.raises(TypeError):
        parse_value("code", "男")
    with pytest.raises(KeyError):
        parse_value("code", "男", code_list="no_such_list")


def test_the_package_works_without_django() -> None:
    import subprocess
    import sys

    code = "import sys, yibiao.values; print('django' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)  # noqa: S603
    assert out.stdout.strip() == "False"
