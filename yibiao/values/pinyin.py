"""Pinyin initials for search boxes: typing "zw" finds 张伟."""

from __future__ import annotations

import functools

from pypinyin import Style, lazy_pinyin

# Surnames read differently from the same character elsewhere (曾经 céng, but 曾 Zēng).
# pypinyin picks the common reading, which makes a surname search miss.
SURNAME_INITIALS: dict[str, str] = {
    "万俟": "mq", "尉迟": "yc", "单于": "cy",
    "曾": "z", "单": "s", "解": "x", "仇": "q", "朴": "p", "查": "z", "区": "o",
    "盖": "g", "秘": "b", "繁": "p", "覃": "q", "缪": "m", "翟": "z", "种": "c",
    "乐": "y", "召": "s", "长": "c", "重": "c", "员": "y", "尉": "y", "折": "s",
}


def initials(text: str) -> str:
    """Lower-case first letters of each Chinese character; letters and digits kept as typed."""
    letters = lazy_pinyin(text, style=Style.FIRST_LETTER, errors=lambda chars: list(chars))
    return "".join(ch for part in letters for ch in part.lower() if ch.isascii() and ch.isalnum())


# Person.name_initials' column. Latin letters are kept whole, so a 50-letter name would
# give 50; a search types the first few, and the first 20 are what a prefix search needs.
MAX_INITIALS = 20


@functools.lru_cache(maxsize=65536)
def name_initials(name: str) -> str:
    """Initials of a person's name, reading the surname as a surname (曾伟 → zw, not cw);
    at most MAX_INITIALS letters."""
    name = name.strip()
    for surname in sorted(SURNAME_INITIALS, key=len, reverse=True):
        if name.startswith(surname):
            return (SURNAME_INITIALS[surname] + initials(name[len(surname):]))[:MAX_INITIALS]
    return initials(name)[:MAX_INITIALS]


def unit_initials(name: str) -> str:
    """Initials of a place or unit name (岳麓区 → ylq, 长沙市 → css); at most MAX_INITIALS."""
    return initials(name)[:MAX_INITIALS]
