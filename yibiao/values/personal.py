"""Personal numbers inside any text: an ID number in a certificate number, a mobile in a note.

An element's value type says what it *should* hold; what it *does* hold is another
matter. 残疾人证号 is the holder's ID number plus two digits, a 紧急联系人 is often typed
as "李娟 13912345678", and a remark can carry anything. Masking decided only by the value
type shows those in full, so this module finds the numbers by their content:

- an 18-character 公民身份号码 (17 digits and a digit or X) whose MOD 11-2 check digit is
  right, anywhere in a run of digits (a certificate number is the ID with digits after it);
- an 11-digit mainland mobile (1[3-9] and nine digits, optionally +86 and spaced 3-4-4)
  standing on its own, not as a slice of a longer number.

Full-width digits count too (４３０１…). Over-masking is the safe side: about one 18-digit
window in eleven passes the check digit by chance, so a long account number may lose its
middle digits too.
"""

from __future__ import annotations

import re

from .ids import check_digit

_NARROW = str.maketrans({**{chr(0xFF10 + i): str(i) for i in range(10)},
                         "Ｘ": "X", "ｘ": "x", "＋": "+", "－": "-", "\u3000": " "})
_ID_RUN = re.compile(r"[0-9Xx]{18,}")
_MOBILE = re.compile(r"(?<![0-9])(?:(?:\+|00)?86[ -]?)?(1[3-9][0-9])[ -]?([0-9]{4})[ -]?([0-9]{4})(?![0-9])")


def _id_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for run in _ID_RUN.finditer(text):
        digits, start = run.group(), 0
        while start + 18 <= len(digits):
            window = digits[start:start + 18]
            if window[:17].isdigit() and check_digit(window[:17]) == window[17].upper():
                spans.append((run.start() + start, run.start() + start + 18))
                start += 18
            else:
                start += 1
    return spans


def find_personal_numbers(text: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) of every ID number ("id_number") and mobile ("mobile") in `text`."""
    narrow = text.translate(_NARROW)
    found = [(start, end, "id_number") for start, end in _id_spans(narrow)]
    for match in _MOBILE.finditer(narrow):
        if not any(start < match.end() and match.start() < end for start, end, _ in found):
            found.append((match.start(), match.end(), "mobile"))
    return sorted(found)


def has_personal_number(text: str | None) -> bool:
    """Whether `text` holds a full ID number or mobile that a viewer must not see unasked."""
    return bool(text) and bool(find_personal_numbers(text))


def mask_personal_numbers(text: str) -> str:
    """`text` with each ID number shown as 430104********123X and each mobile as 138****5678.

    The rest of the text stays as typed: "43010419800101123X12" (a 残疾人证号) becomes
    "430104********123X12", "李娟 13912345678" becomes "李娟 139****5678".
    """
    found = find_personal_numbers(text)
    if not found:
        return text
    narrow = text.translate(_NARROW)
    out, at = [], 0
    for start, end, kind in found:
        number = narrow[start:end]
        if kind == "id_number":
            shown = number[:6] + "*" * 8 + number[-4:].upper()
        else:
            digits = re.sub(r"[^0-9]", "", number)[-11:]
            shown = digits[:3] + "****" + digits[-4:]
        out += [text[at:start], shown]
        at = end
    out.append(text[at:])
    return "".join(out)
