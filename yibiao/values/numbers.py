"""Integers and decimals as typed: full-width digits, thousands separators, the field's unit."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from .messages import ValueProblem
from .normalise import compact, halfwidth, lookup_key

# Other ways of writing a unit, keyed by the unit a data element declares. A unit that
# is not here is matched by its own spelling only. Spellings go through lookup_key, so
# ℃ and °C (NFKC makes them equal) or ㎡ and m2 need one entry each at most.
UNIT_SPELLINGS: dict[str, tuple[str, ...]] = {
    "℃": ("℃", "度", "摄氏度"),
    "元": ("元", "¥", "块", "人民币"),
    "万元": ("万元", "万"),
    "人": ("人", "名", "位", "口"),
    "户": ("户",),
    "岁": ("岁", "周岁"),
    "平方米": ("平方米", "㎡", "m²", "平米"),
    "亩": ("亩",),
    "公斤": ("公斤", "千克", "kg"),
    "千克": ("公斤", "千克", "kg"),
    "斤": ("斤",),
    "厘米": ("厘米", "cm"),
    "米": ("米", "m"),
    "%": ("%", "百分之"),
    "次": ("次",),
    "天": ("天", "日"),
    "个月": ("个月", "月"),
    "年": ("年",),
}
# Written before the unit: "1.2万元" in a field counted in 元 is 12000.
MULTIPLIERS: dict[str, int] = {"万": 10_000, "亿": 100_000_000}

# sign, then either properly grouped digits or plain digits, then an optional fraction.
_NUMBER = re.compile(r"^([+-]?)(\d{1,3}(?:,\d{3})+|\d+)?(?:\.(\d+))?$")
# A number followed or preceded by text we may treat as its unit.
_SPLIT = re.compile(r"^(?P<pre>[^\d+\-.,]*)(?P<num>[+-]?[\d,]*\.?\d*)(?P<post>.*)$")


def _spellings(unit: str) -> set[str]:
    return {lookup_key(s) for s in UNIT_SPELLINGS.get(unit, (unit,))} | {lookup_key(unit)}


def _strip_unit(text: str, shown: str, unit: str | None) -> tuple[str, int]:
    """The number part of ``text`` and the multiplier its unit implies."""
    match = _SPLIT.match(text)
    if match is None or not (match["pre"] or match["post"]):
        return text, 1
    found = match["pre"] + match["post"]
    if not re.search(r"\d", match["num"]) or (match["pre"] and match["post"]):
        raise ValueProblem.make("number_bad", value=shown)
    key, wanted = lookup_key(found), _spellings(unit) if unit else set()
    if key in wanted:
        return match["num"], 1
    for prefix, factor in MULTIPLIERS.items():
        rest = key.removeprefix(prefix)
        if rest != key and (rest in wanted or not rest) and match["post"]:
            return match["num"], factor
    if re.search(r"\d", found):  # "1.2.3", "1e5": not a number with a unit
        raise ValueProblem.make("number_bad", value=shown)
    if unit is None:
        raise ValueProblem.make("number_unexpected_unit", value=shown, found=found)
    raise ValueProblem.make("number_unit_mismatch", value=shown, found=found, unit=unit)


def parse_number(raw: object, *, unit: str | None = None, integer: bool = False) -> int | Decimal:
    """A number from a cell: ``int`` when ``integer``, else an exact ``Decimal``.

    Decimal rather than float so 36.5 stays 36.5 and money adds up. Text after or
    before the number is accepted only when it spells the field's ``unit``.
    """
    if isinstance(raw, bool):
        raise ValueProblem.make("number_bad", value=str(raw))
    if isinstance(raw, int):
        return raw if integer else Decimal(raw)
    if isinstance(raw, float):
        number = Decimal(repr(raw))  # repr: the shortest text that round-trips, 0.1 not 0.1000…55
        shown = repr(raw)
    else:
        shown = str(raw).strip()
        text = compact(halfwidth(shown))
        if not text:
            raise ValueProblem.make("empty")
        text, factor = _strip_unit(text, shown, unit)
        match = _NUMBER.match(text)
        if match is None or not (match[2] or match[3]):
            bad_grouping = "," in text and re.fullmatch(r"[+-]?[\d,]+(\.\d+)?", text)
            raise ValueProblem.make("number_bad_grouping" if bad_grouping else "number_bad", value=shown)
        try:
            number = Decimal(text.replace(",", "")) * factor
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid numbers
            raise ValueProblem.make("number_bad", value=shown) from None
    if not number.is_finite():
        raise ValueProblem.make("number_bad", value=shown)
    if not integer:
        return number
    if number != number.to_integral_value():
        raise ValueProblem.make("number_not_integer", value=shown)
    return int(number)
