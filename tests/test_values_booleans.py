"""是/否 in the spellings forms actually receive."""

from __future__ import annotations

import pytest

from yibiao.values import ValueProblem, parse_boolean

YES = ["是", "有", "√", "✓", "✔", "Y", "y", "yes", "YES", "Yes", "true", "TRUE", "1", 1, 1.0, True,
       "对", "對", "ｙｅｓ", "Ｙ", "１", " 是 "]
NO = ["否", "无", "無", "×", "✗", "✘", "N", "n", "no", "NO", "false", "False", "0", 0, 0.0, False,
      "错", "錯", "ｎｏ", "没有", "沒有", "不是"]


@pytest.mark.parametrize("typed", YES)
def test_yes(typed: object) -> None:
    assert parse_boolean(typed) is True


@pytest.mark.parametrize("typed", NO)
def test_no(typed: object) -> None:
    assert parse_boolean(typed) is False


@pytest.mark.parametrize("typed", ["也许", "2", "x", "是否", "ok"])
def test_anything_else_is_rejected(typed: str) -> None:
    with pytest.raises(ValueProblem) as caught:
        parse_boolean(typed)
    assert caught.value.code == "bool_bad"
    assert f"“{typed}”" in caught.value.message_zh
