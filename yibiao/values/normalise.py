"""Text clean-up shared by every parser: what people paste is rarely what they meant.

Kept separate from ``yibiao.matching`` on purpose: values must work without Django and
without the header-matching machinery.
"""

from __future__ import annotations

import math
import re
import unicodedata
from functools import cache
from typing import Any

# Zero-width characters and BOMs arrive with text pasted from web pages and WeChat.
_INVISIBLE = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]+")
# Dashes people (and word processors) put where a hyphen was meant; NFKC leaves them.
_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63"})


def halfwidth(text: str) -> str:
    """NFKC: full-width digits, letters and punctuation become ASCII (１２Ｘ → 12X)."""
    return unicodedata.normalize("NFKC", text).translate(_DASHES)


def compact(text: str) -> str:
    """Drop every kind of whitespace, including the ideographic space and zero-widths."""
    return _INVISIBLE.sub("", text)


@cache
def _t2s() -> Any:
    import opencc  # imported lazily: loading the dictionaries costs ~50 ms

    return opencc.OpenCC("t2s.json")


def simplify(text: str) -> str:
    """Traditional → simplified (無 → 无); for matching only, never for stored names."""
    return str(_t2s().convert(text))


def lookup_key(text: str) -> str:
    """The form two spellings must share to count as the same word."""
    return compact(simplify(halfwidth(text))).casefold()


def is_empty(raw: object) -> bool:
    """None, blank text and NaN (what pandas/polars give for empty cells) are all 'empty'."""
    if raw is None:
        return True
    if isinstance(raw, float) and math.isnan(raw):
        return True
    return isinstance(raw, str) and not compact(raw)


def as_text(raw: object) -> str:
    """A cell value as text; 3.0 → "3" because spreadsheet readers hand integers back as floats."""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)
