"""Masked ID and phone numbers for lists and exports that must not show them whole."""

from __future__ import annotations

import pytest

from yibiao.values import mask_id_number, mask_phone
from yibiao.values.personal import has_personal_number, mask_personal_numbers


@pytest.mark.parametrize(
    ("typed", "masked"),
    [
        ("110105194912310021", "110105********0021"),
        ("11010519491231002X", "110105********002X"),
        ("11010519491231002x", "110105********002X"),
        ("110105 1949 1231 002X", "110105********002X"),
        ("110105491231002", "110105*****1002"),
        ("12345", "*****"),
        ("", ""),
    ],
)
def test_id_numbers_keep_the_first_six_and_last_four(typed: str, masked: str) -> None:
    assert mask_id_number(typed) == masked


@pytest.mark.parametrize(
    ("typed", "masked"),
    [
        ("13812345678", "138****5678"),
        ("+86 138 1234 5678", "138****5678"),
        ("010-12345678", "010-****5678"),
        ("(0731)8888888", "0731-***8888"),
        ("0731-88888888转123", "0731-****8888转123"),
        ("12345678901", "123****8901"),  # not a phone, still masked
        ("123", "***"),
    ],
)
def test_phones_keep_area_code_and_last_four(typed: str, masked: str) -> None:
    assert mask_phone(typed) == masked


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # 残疾人证号: the holder's ID number and two digits
        ("11010519491231002X12", "110105********002X12"),
        ("11010519491231002x", "110105********002X"),
        ("证号11010519491231002X，电话13912345678", "证号110105********002X，电话139****5678"),
        ("李娟 13912345678", "李娟 139****5678"),
        ("+86 139 1234 5678", "139****5678"),
        ("8613912345678", "139****5678"),
        ("１３９１２３４５６７８", "139****5678"),  # full-width digits
        ("11010519491231002112", "11010519491231002112"),  # wrong check digit: no ID inside
        ("139123456789", "139123456789"),  # 12 digits: not a mobile
        ("0731-88888888", "0731-88888888"),  # landlines are masked by the phone element only
        ("4301040010010001", "4301040010010001"),  # a household number
        ("王秀英", "王秀英"),
        ("", ""),
    ],
)
def test_numbers_inside_any_text_are_masked(text: str, masked: str) -> None:
    assert mask_personal_numbers(text) == masked
    assert has_personal_number(text) == (text != masked)
