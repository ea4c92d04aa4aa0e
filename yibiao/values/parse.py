"""``parse_value``: the one door every typed or imported value goes through."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from .booleans import parse_boolean
from .codes import CodeList, get_code_list
from .dates import parse_date_with_notes
from .ids import parse_id_number
from .messages import Note, ValueProblem
from .normalise import as_text, is_empty
from .numbers import parse_number
from .phones import parse_phone

ValueType = Literal["text", "integer", "decimal", "date", "boolean", "code", "id_number", "phone"]


@dataclass(frozen=True)
class Parsed:
    """What we store (``value``), what we show (``display``) and what the person should check."""

    value: Any
    display: str
    warnings: tuple[Note, ...] = ()


@dataclass(frozen=True)
class _Options:
    code_list: CodeList | None
    unit: str | None


def _text(raw: object, _: _Options) -> Parsed:
    text = as_text(raw).strip()
    return Parsed(text, text)


def _integer(raw: object, opts: _Options) -> Parsed:
    number = parse_number(raw, unit=opts.unit, integer=True)
    return Parsed(number, str(number))


def _decimal(raw: object, opts: _Options) -> Parsed:
    number = parse_number(raw, unit=opts.unit)
    return Parsed(number, format(number, "f"))


def _date(raw: object, _: _Options) -> Parsed:
    result = parse_date_with_notes(raw)
    return Parsed(result.value, result.value.isoformat(), result.notes)


def _boolean(raw: object, _: _Options) -> Parsed:
    truth = parse_boolean(raw)
    return Parsed(truth, "是" if truth else "否")


def _code(raw: object, opts: _Options) -> Parsed:
    if opts.code_list is None:
        raise TypeError("parse_value('code', …) needs code_list=")
    item = opts.code_list.lookup(raw)
    return Parsed(item.code, item.name)


def _id_number(raw: object, _: _Options) -> Parsed:
    number = parse_id_number(raw)
    notes = []
    if number.upgraded_from_15:
        notes.append(Note.make("id_upgraded", old=as_text(raw).strip(), value=number.value))
    if not number.division_known:
        notes.append(Note.make("id_division_unknown", value=number.value, code=number.division_code))
    return Parsed(number.value, number.value, tuple(notes))


def _phone(raw: object, _: _Options) -> Parsed:
    phone = parse_phone(raw)
    return Parsed(phone.value, phone.value)


SHOWN = 20  # characters of an over-long value quoted back


def within_length(text: str, limit: int | None) -> str:
    """The text unchanged when it fits a column of ``limit`` characters, else ValueProblem.

    Characters as PostgreSQL's varchar counts them (code points: an emoji is one, a
    combining accent another); SQLite does not enforce lengths, so the check is ours.
    """
    if limit is not None and len(text) > limit:
        shown = text if len(text) <= SHOWN else text[:SHOWN] + "…"
        raise ValueProblem.make("text_too_long", shown=shown, length=len(text), limit=limit)
    return text


PARSERS: dict[str, Callable[[object, _Options], Parsed]] = {
    "text": _text,
    "integer": _integer,
    "decimal": _decimal,
    "date": _date,
    "boolean": _boolean,
    "code": _code,
    "id_number": _id_number,
    "phone": _phone,
}


def parse_value(
    value_type: ValueType | str,
    raw: object,
    *,
    code_list: CodeList | str | None = None,
    unit: str | None = None,
) -> Parsed | None:
    """Parse one cell or form field by its data element's type.

    Empty input (None, blank, NaN) gives None: an empty cell is not an error here,
    requiredness is the dictionary's business. A value people could fix raises
    :class:`ValueProblem`; a wrong ``value_type`` or missing ``code_list`` is our bug and
    raises KeyError / TypeError. ``code_list`` may be a list id such as "sex".
    """
    parser = PARSERS[value_type]
    if is_empty(raw):
        return None
    resolved = get_code_list(code_list) if isinstance(code_list, str) else code_list
    return parser(raw, _Options(resolved, unit))
