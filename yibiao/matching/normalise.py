"""Header text -> a comparable key.

Every spelling variant a careful person would read as the same words compares equal:
traditional or simplified, full- or half-width, spaces inside, punctuation, a trailing
colon, a bracketed unit or note such as （元） or (必填). Typos are left to fuzzy scoring.
"""
from __future__ import annotations

import functools
import re
import unicodedata

import opencc

_BRACKETED = re.compile(r"[(\[{<【〔《「『][^)\]}>】〕》」』]*[)\]}>】〕》」』]")
_NOT_WORD = re.compile(r"[\W_]+")
_BRACKET_UNIT = re.compile(r"[(\[【]([^)\]】]*)[)\]】]")


@functools.cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s.json")


@functools.lru_cache(maxsize=65536)
def normalise(text: str) -> str:
    """'現住地址（詳細）：' -> '现住地址'; 'ＩＤ 號' -> 'id号'."""
    t = unicodedata.normalize("NFKC", text or "")
    t = _converter().convert(t).lower()
    stripped = _BRACKETED.sub("", t)
    if _NOT_WORD.sub("", stripped):  # a header that is only a bracket keeps its words
        t = stripped
    return _NOT_WORD.sub("", t)


def bracket_notes(text: str) -> list[str]:
    """The bracketed parts normalisation drops — units such as 人/户 are a layout signal."""
    t = _converter().convert(unicodedata.normalize("NFKC", text or ""))
    return [_NOT_WORD.sub("", m) for m in _BRACKET_UNIT.findall(t)]
