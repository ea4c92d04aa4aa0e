"""Mainland phone numbers: normalised forms, and the reasons for saying no."""

from __future__ import annotations

import pytest

from yibiao.values import ValueProblem, parse_phone


@pytest.mark.parametrize(
    ("typed", "value", "kind"),
    [
        ("13812345678", "13812345678", "mobile"),
        ("138 1234 5678", "13812345678", "mobile"),
        ("138-1234-5678", "13812345678", "mobile"),
        ("+86 138 1234 5678", "13812345678", "mobile"),
        ("+86-13812345678", "13812345678", "mobile"),
        ("(+86)13812345678", "13812345678", "mobile"),
        ("0086 13812345678", "13812345678", "mobile"),
        ("8613812345678", "13812345678", "mobile"),
        ("１３８１２３４５６７８", "13812345678", "mobile"),
        ("19912345678", "19912345678", "mobile"),
        (13812345678, "13812345678", "mobile"),
        (13812345678.0, "13812345678", "mobile"),
        ("010-12345678", "010-12345678", "landline"),
        ("010 1234 5678", "010-12345678", "landline"),
        ("(010)12345678", "010-12345678", "landline"),
        ("021-87654321", "021-87654321", "landline"),
        ("0731-8888888", "0731-8888888", "landline"),
        ("0731-88888888", "0731-88888888", "landline"),
        ("(0731)88888888", "0731-88888888", "landline"),
        ("（０７３１）８８８８８８８８", "0731-88888888", "landline"),
        ("0731 8888 8888", "0731-88888888", "landline"),
        ("+86 731 88888888", "0731-88888888", "landline"),
        ("010-12345678-123", "010-12345678转123", "landline"),
        ("0731-88888888转123", "0731-88888888转123", "landline"),
        ("0731-88888888 分机 8001", "0731-88888888转8001", "landline"),
        ("0731-88888888 ext.12", "0731-88888888转12", "landline"),
    ],
)
def test_accepted_and_normalised(typed: object, value: str, kind: str) -> None:
    phone = parse_phone(typed)
    assert (phone.value, phone.kind) == (value, kind)


def test_landline_parts() -> None:
    phone = parse_phone("(0731)88888888转123")
    assert (phone.area_code, phone.subscriber, phone.extension) == ("0731", "88888888", "123")


@pytest.mark.parametrize(
    ("typed", "code", "says"),
    [
        ("12812345678", "phone_mobile_prefix", "号段 12"),
        ("1381234567", "phone_mobile_length", "有 10 位"),
        ("138123456789", "phone_mobile_length", "有 12 位"),
        ("88888888", "phone_no_area_code", "缺少区号"),
        ("8888888", "phone_no_area_code", "缺少区号"),
        ("13812345678/13912345678", "phone_multiple", "多个"),
        ("13812345678，13912345678", "phone_multiple", "多个"),
        ("13812345678或13912345678", "phone_multiple", "多个"),
        ("010-1234567", "phone_bad", "无法识别"),
        ("0731-888888", "phone_bad", "无法识别"),
        ("无", "phone_bad", "“无”"),
        ("4008001234", "phone_bad", "无法识别"),
        ("", "empty", "未填写"),
    ],
)
def test_rejected_with_a_reason(typed: str, code: str, says: str) -> None:
    with pytest.raises(ValueProblem) as caught:
        parse_phone(typed)
    assert caught.value.code == code
    assert says in caught.value.message_zh
