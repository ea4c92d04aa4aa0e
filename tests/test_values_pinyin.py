"""Pinyin initials for search boxes."""

from __future__ import annotations

import pytest

from yibiao.values.pinyin import initials, name_initials


@pytest.mark.parametrize(
    ("text", "expected"),
    [("张伟", "zw"), ("王小明", "wxm"), ("李A1", "la1"), ("", ""), ("居委会·一网格", "jwhywg")],
)
def test_initials(text: str, expected: str) -> None:
    assert initials(text) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [("曾伟", "zw"), ("单田芳", "stf"), ("解缙", "xj"), ("尉迟恭", "ycg"), ("张伟", "zw")],
)
def test_surnames_read_as_surnames(name: str, expected: str) -> None:
    assert name_initials(name) == expected
