"""Mainland phone numbers: mobiles and landlines with area codes, as people write them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from .messages import ValueProblem
from .normalise import compact, halfwidth

# Two numbers in one cell ("138.../139...", "138...，139...", "138...或139...").
_LIST_SEPARATORS = re.compile(r"[/,;、|]|或")
# An extension at the end: 转123, 分机123, ext.123, x123, #123.
_EXTENSION = re.compile(r"(?:转|分机|ext\.?|x|#)(\d{1,6})$", re.IGNORECASE)
# International prefix for China as written: +86, 0086, (+86).
_COUNTRY = re.compile(r"^\(?(?:\+|00)86\)?")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
# Groups of digits and what may sit between them inside one number.
_GROUPS = re.compile(r"[\s\-.()]+")
# Area codes: 010 and 020-029 have three digits (with 8-digit subscriber numbers);
# every other area code has four (03xx-09xx) with 7- or 8-digit numbers.
_THREE_DIGIT_AREA = re.compile(r"^0[12]")


@dataclass(frozen=True)
class Phone:
    """A normalised phone number: ``value`` is what we store and show."""

    value: str
    kind: Literal["mobile", "landline"]
    area_code: str = ""
    subscriber: str = ""
    extension: str = ""


def _landline(digits: str, extension: str) -> Phone | None:
    area_len = 3 if _THREE_DIGIT_AREA.match(digits) else 4
    area, subscriber = digits[:area_len], digits[area_len:]
    allowed = (8,) if area_len == 3 else (7, 8)
    if len(subscriber) not in allowed:
        return None
    value = f"{area}-{subscriber}" + (f"转{extension}" if extension else "")
    return Phone(value, "landline", area, subscriber, extension)


def parse_phone(raw: object) -> Phone:
    """Parse one mainland mobile or landline number; raise :class:`ValueProblem` if it is not one.

    Mobiles come back as 11 digits (13812345678), landlines as 0731-88888888, with
    转123 for an extension. +86 / 0086 prefixes, spaces, hyphens, dots, brackets and
    full-width characters are accepted.
    """
    if raw.__class__ is str and raw.isascii() and _MOBILE.fullmatch(raw):
        return Phone(raw, "mobile")  # already clean: most of a 100,000-row roster
    shown = str(int(raw)) if isinstance(raw, float) and raw.is_integer() else str(raw).strip()
    text = compact(halfwidth(shown))
    if not text:
        raise ValueProblem.make("empty")
    parts = [p for p in _LIST_SEPARATORS.split(text) if re.search(r"\d{5}", p)]
    if len(parts) > 1:
        raise ValueProblem.make("phone_multiple", value=shown)

    extension = ""
    match = _EXTENSION.search(text)
    if match:
        extension, text = match.group(1), text[: match.start()]
    international = bool(_COUNTRY.match(text))
    text = _COUNTRY.sub("", text)
    groups = [g for g in _GROUPS.split(text) if g]
    if not groups or not all(g.isdigit() for g in groups):
        raise ValueProblem.make("phone_bad", value=shown)
    digits = "".join(groups)
    if not international and len(digits) == 13 and digits.startswith("86") and _MOBILE.match(digits[2:]):
        digits = digits[2:]  # "86 13812345678": the + was dropped

    if digits.startswith("1"):
        if _MOBILE.match(digits):
            return Phone(digits, "mobile")
        if len(digits) != 11:
            raise ValueProblem.make("phone_mobile_length", value=shown, length=len(digits))
        raise ValueProblem.make("phone_mobile_prefix", value=shown, prefix=digits[:2])
    if international:
        digits = "0" + digits  # +86 731 88888888: the trunk 0 is dropped abroad
    if not digits.startswith("0"):
        if 7 <= len(digits) <= 8:
            raise ValueProblem.make("phone_no_area_code", value=shown)
        raise ValueProblem.make("phone_bad", value=shown)
    phone = _landline(digits, extension)
    if phone is None and not extension and len(groups) >= 3 and len(groups[-1]) <= 5:
        # 010-12345678-123: a trailing short group is an extension.
        phone = _landline("".join(groups[:-1]), groups[-1])
    if phone is None:
        raise ValueProblem.make("phone_bad", value=shown)
    return phone


def mask_phone(raw: object) -> str:
    """138****5678 for mobiles; landlines keep area code and last 4 (0731-****8888)."""
    try:
        phone = parse_phone(raw)
    except ValueProblem:
        text = compact(halfwidth(str(raw)))
        if len(text) < 8:
            return "*" * len(text)
        return text[:3] + "*" * (len(text) - 7) + text[-4:]
    if phone.kind == "mobile":
        return phone.value[:3] + "****" + phone.value[-4:]
    sub = phone.subscriber
    masked = f"{phone.area_code}-" + "*" * (len(sub) - 4) + sub[-4:]
    return masked + (f"转{phone.extension}" if phone.extension else "")
