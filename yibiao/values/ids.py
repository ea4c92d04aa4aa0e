"""公民身份号码 (GB 11643-1999): parse what people type, upgrade 15 → 18 digits, mask.

python-stdnum supplies the MOD 11-2 check digit; birthplaces are named by
``values.divisions`` (today's name; an abolished code's old name, marked as such). The
rules for what to accept and how to explain a rejection are ours, because stdnum's
exceptions do not say *what* is wrong in words a worker can use.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from stdnum.cn import ric

from .divisions import division_name
from .messages import ValueProblem
from .normalise import compact, halfwidth

# Nobody born before this is alive or still being registered; earlier years are typos.
EARLIEST_BIRTH_YEAR = 1880
# Everything people put between digit groups. A leading apostrophe is Excel's "text" mark.
_SEPARATORS = re.compile(r"[\s\-_'‘’`]")
# "1.10105E+17": what Excel shows for an 18-digit number typed into a number cell.
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?E\+?\d+$")
# Above this a float can no longer hold every integer: the ID's last digits are gone.
_FLOAT_EXACT_LIMIT = 2**53


@dataclass(frozen=True)
class IdNumber:
    """A valid 18-digit 公民身份号码 and what it tells us."""

    value: str
    birth_date: dt.date
    sex_code: str  # GB/T 2261.1: "1" 男, "2" 女 (odd / even sequence digit)
    division_code: str
    division_known: bool
    upgraded_from_15: bool
    division_name: str = ""  # e.g. "北京市朝阳区" (today's name); "" when unknown

    def age_on(self, day: dt.date) -> int:
        """Age in whole years on ``day`` (周岁), the age every form asks for."""
        before_birthday = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - before_birthday


def check_household_number(text: str) -> None:
    """Refuse a 户号 as Excel shows a long number in a number cell (4.30104E+15): its last
    digits are gone, and different households would read as one."""
    if _SCIENTIFIC.match(compact(halfwidth(text)).upper()):
        raise ValueProblem.make("household_stored_as_number", value=text)


def check_digit(first17: str) -> str:
    """ISO 7064 MOD 11-2 over the first 17 digits (stdnum expects a placeholder 18th)."""
    return str(ric.calc_check_digit(first17 + "0"))


def _clean(raw: object) -> str:
    if raw.__class__ is str and len(raw) == 18 and raw.isascii() and raw[:17].isdigit():
        return raw.upper()  # as typed, nothing to clean: most of a 100,000-row roster
    if isinstance(raw, float):
        if not raw.is_integer() or abs(raw) >= _FLOAT_EXACT_LIMIT:
            raise ValueProblem.make("id_stored_as_number", value=repr(raw))
        raw = int(raw)
    text = halfwidth(str(raw)).upper()
    if not text.isascii():  # another script's digits (٤٣٠…) are the same digits: one person, not two
        text = "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)
    if _SCIENTIFIC.match(compact(text)):
        raise ValueProblem.make("id_stored_as_number", value=str(raw).strip())
    return _SEPARATORS.sub("", compact(text))


def parse_id_number(raw: object, *, today: dt.date | None = None) -> IdNumber:
    """Parse a 公民身份号码 as typed; raise :class:`ValueProblem` saying what is wrong.

    Accepts lower-case x, full-width characters, spaces and hyphens, and 15-digit legacy
    numbers (upgraded by inserting "19" and computing the check digit). An unknown
    birthplace code is only flagged (``division_known=False``): the table lags behind
    new districts, and the person in front of the worker is real.
    """
    shown = str(raw).strip()
    number = _clean(raw)
    if not number:
        raise ValueProblem.make("empty")
    upgraded = False
    if len(number) == 15:
        bad = sorted(set(re.sub(r"\d", "", number)))
        if bad:
            raise ValueProblem.make("id_bad_chars", value=shown, chars="".join(bad))
        first17 = number[:6] + "19" + number[6:]
        number = first17 + check_digit(first17)
        upgraded = True
    elif len(number) == 18:
        if not number[:17].isdecimal():  # what \d matches; skipping the regex saves a fifth
            bad = sorted(set(re.sub(r"\d", "", number[:17])))
            if bad:
                raise ValueProblem.make("id_bad_chars", value=shown, chars="".join(bad))
        expected = check_digit(number[:17])
        if number[17] != expected:
            # Any wrong last character, "Y" included, is a wrong check digit: say which is right.
            raise ValueProblem.make("id_check_digit", value=shown, expected=expected)
    else:
        raise ValueProblem.make("id_bad_length", value=shown, length=len(number))

    digits = number[6:14]
    try:
        birth = dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        date_text = f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"
        raise ValueProblem.make("id_bad_birth_date", value=shown, date=date_text) from None
    if birth > (today or dt.date.today()):
        raise ValueProblem.make("id_future_birth_date", value=shown, date=birth.isoformat())
    if birth.year < EARLIEST_BIRTH_YEAR:
        raise ValueProblem.make(
            "id_too_old", value=shown, date=birth.isoformat(), year=EARLIEST_BIRTH_YEAR
        )

    place = division_name(number[:6])
    return IdNumber(
        value=number,
        birth_date=birth,
        sex_code="1" if int(number[16]) % 2 else "2",
        division_code=number[:6],
        division_known=place is not None,
        upgraded_from_15=upgraded,
        division_name=place or "",
    )


def mask_id_number(raw: object) -> str:
    """Show the first 6 and last 4 characters only (110105********0021), for lists and exports.

    Works on anything, valid or not: masking must never be the reason a page fails.
    """
    text = _SEPARATORS.sub("", compact(halfwidth(str(raw)).upper()))
    if len(text) <= 10:
        return "*" * len(text)
    return text[:6] + "*" * (len(text) - 10) + text[-4:]
