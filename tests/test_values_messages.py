"""The message catalogue: every code used exists, in both languages, with matching fields."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from yibiao.values import MESSAGES

SOURCE = Path(__file__).resolve().parent.parent / "yibiao" / "values"


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_both_languages_take_the_same_fields(code: str) -> None:
    zh, en = MESSAGES[code]
    assert _fields(zh) == _fields(en)
    assert re.search(r"[\u4e00-\u9fff]", zh)


def test_every_code_raised_is_in_the_catalogue_and_every_entry_is_used() -> None:
    raised: set[str] = set()
    mentioned: set[str] = set()
    for path in SOURCE.glob("*.py"):
        if path.name == "messages.py":
            continue
        text = path.read_text(encoding="utf-8")
        raised |= set(re.findall(r'\.make\(\s*"([a-z0-9_]+)"', text))
        mentioned |= set(re.findall(r'"([a-z0-9_]+)"', text))
    assert raised <= set(MESSAGES)
    assert set(MESSAGES) <= mentioned
