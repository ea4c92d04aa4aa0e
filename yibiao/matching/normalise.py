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


# Where a header cell's fill instructions begin: 填写说明：, 说明：, 注：, 例：, 格式：,
# 请填写…, or a numbered line under the field name (the name is what matches).
_INSTRUCTION = re.compile(r"(?:填写|填表|填报|录入)?(?:说明|要求|提示|示例|注意|注|例|格式)\s*[:：]"
                          r"|请(?:填写|按|以|用|选择|如实|注明)|^\s*\d+\s*[.、．]")


def field_name(text: str) -> str:
    """'身份证号码\n填写说明：1. 18位…' -> '身份证号码': the name a header's instructions follow.

    Vertical text (one character a line) has no instruction and is returned whole."""
    t = _converter().convert(unicodedata.normalize("NFKC", text or ""))
    lines = [line.strip() for line in re.split(r"[\r\n]+", t) if line.strip()]
    if not lines:
        return text
    cut = _INSTRUCTION.search(lines[0])
    if cut and cut.start() > 0:
        return lines[0][:cut.start()].strip()
    if len(lines) > 1 and any(_INSTRUCTION.search(line) for line in lines[1:]):
        return lines[0]
    return text


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
