"""Parse and validate the values people really type into China's forms, without Django.

Public API (see each module for details):

- ``parse_value(value_type, raw, *, code_list=None, unit=None) -> Parsed | None``
- ``parse_id_number``, ``mask_id_number``, ``parse_phone``, ``mask_phone``,
  ``parse_date``, ``parse_boolean``, ``parse_number``
- ``load_code_lists() -> dict[str, CodeList]``, ``get_code_list(id)``; ids in ``codes.LISTS``
- ``ValueProblem`` (rejection) and ``Note`` (warning), messages in ``messages.MESSAGES``
"""

from __future__ import annotations

from .booleans import parse_boolean
from .codes import LISTS, CodeItem, CodeList, get_code_list, load_code_lists
from .dates import DateValue, from_excel_serial, parse_date
from .ids import IdNumber, mask_id_number, parse_id_number
from .messages import MESSAGES, Note, ValueProblem
from .numbers import parse_number
from .parse import Parsed, ValueType, parse_value
from .phones import Phone, mask_phone, parse_phone

__all__ = [
    "LISTS",
    "MESSAGES",
    "CodeItem",
    "CodeList",
    "DateValue",
    "IdNumber",
    "Note",
    "Parsed",
    "Phone",
    "ValueProblem",
    "ValueType",
    "from_excel_serial",
    "get_code_list",
    "load_code_lists",
    "mask_id_number",
    "mask_phone",
    "parse_boolean",
    "parse_date",
    "parse_id_number",
    "parse_number",
    "parse_phone",
    "parse_value",
]
