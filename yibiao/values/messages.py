"""The catalogue of everything the value parsers can say, in Chinese and in English.

Why a table: the web form, the import report and the API must say the same thing for
the same problem, and a translator or reviewer reads one file instead of twenty
``raise`` sites (STYLE.md habit 4). Templates use ``str.format`` fields; every field a
template names must be passed to :meth:`ValueProblem.make` / :meth:`Note.make`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# code -> (Simplified Chinese template, English template)
MESSAGES: dict[str, tuple[str, str]] = {
    "empty": ("未填写", "nothing was entered"),
    # --- 公民身份号码 (GB 11643-1999)
    "id_stored_as_number": (
        "公民身份号码“{value}”是以数字格式保存的，末几位已经丢失：请把该列设为文本格式后重新录入",
        "ID number “{value}” was stored as a number and has lost its last digits: format the column as text and enter it again",
    ),
    "household_stored_as_number": (
        "户号“{value}”是以数字格式保存的（科学计数法），末几位已经丢失，不同的户会被当成同一户：请把该列设为文本格式后重新录入",
        "household number “{value}” was stored as a number (scientific notation) and has lost its last digits, so "
        "different households would become one: format the column as text and enter it again",
    ),
    "id_bad_chars": (
        "公民身份号码“{value}”含有不允许的字符“{chars}”：前 17 位只能是数字，最后一位是数字或 X",
        "ID number “{value}” contains characters that are not allowed (“{chars}”): the first 17 must be digits, the last a digit or X",
    ),
    "id_bad_length": (
        "公民身份号码“{value}”有 {length} 位：应为 18 位（旧式为 15 位）",
        "ID number “{value}” has {length} characters: it must have 18 (15 for the old format)",
    ),
    "id_check_digit": (
        "公民身份号码“{value}”校验码不符（按 GB 11643 末位应为 {expected}）：多半是其他某位录错了，请对照身份证原件核对每一位",
        "ID number “{value}” fails its check digit (by GB 11643 the last character would be {expected}): "
        "most likely another digit was mistyped; check every digit against the ID card",
    ),
    "id_bad_birth_date": (
        "公民身份号码“{value}”中的出生日期“{date}”不存在",
        "ID number “{value}” contains the birth date “{date}”, which does not exist",
    ),
    "id_future_birth_date": (
        "公民身份号码“{value}”中的出生日期 {date} 晚于今天",
        "ID number “{value}” contains the birth date {date}, which is after today",
    ),
    "id_too_old": (
        "公民身份号码“{value}”中的出生日期 {date} 早于 {year} 年：请核对",
        "ID number “{value}” contains the birth date {date}, earlier than {year}: please check it",
    ),
    "id_division_unknown": (
        "公民身份号码“{value}”的前 6 位 {code} 不在行政区划代码表中（已撤销的代码也查过）：请核对",
        "the first 6 digits of ID number “{value}” ({code}) are not an administrative division code, past or present: please check them",
    ),
    "id_upgraded": (
        "15 位公民身份号码“{old}”已按 GB 11643 升级为 18 位：{value}",
        "15-digit ID number “{old}” was upgraded to 18 digits by GB 11643: {value}",
    ),
    # --- 电话
    "phone_bad": (
        "电话号码“{value}”无法识别：手机号为 11 位、以 13–19 开头；座机请带区号，如 010-12345678",
        "phone number “{value}” is not recognised: a mobile has 11 digits starting 13–19; a landline needs its area code, e.g. 010-12345678",
    ),
    "phone_multiple": (
        "“{value}”含有多个电话号码：每格只填一个",
        "“{value}” holds more than one phone number: enter one per cell",
    ),
    "phone_no_area_code": (
        "座机号码“{value}”缺少区号：请写成“区号-号码”，如 0731-88888888",
        "landline number “{value}” has no area code: write it as area code and number, e.g. 0731-88888888",
    ),
    "phone_mobile_prefix": (
        "手机号码“{value}”的号段 {prefix} 不存在：手机号以 13–19 开头",
        "mobile number “{value}” starts with {prefix}, which no mobile number does: they start 13–19",
    ),
    "phone_mobile_length": (
        "手机号码“{value}”有 {length} 位：应为 11 位",
        "mobile number “{value}” has {length} digits: it must have 11",
    ),
    # --- 日期
    "date_bad": (
        "日期“{value}”无法识别：请写成 2026-11-01、2026/11/1 或 2026年11月1日",
        "date “{value}” is not recognised: write it as 2026-11-01, 2026/11/1 or 2026年11月1日",
    ),
    "date_bad_month": (
        "日期“{value}”不存在：月份应为 1 到 12，这里是 {month}",
        "date “{value}” does not exist: the month must be 1 to 12, not {month}",
    ),
    "date_bad_day": (
        "日期“{value}”不存在：{year}年{month}月只有 {days} 天",
        "date “{value}” does not exist: {month}/{year} has only {days} days",
    ),
    "date_year_only": (
        "日期“{value}”只有年份：请补上月份，如 {value}年1月",
        "date “{value}” has only a year: add the month, e.g. {value}-01",
    ),
    "date_excel_1900_02_29": (
        "日期“{value}”是 Excel 的 1900年2月29日，这一天并不存在：请重新录入",
        "date “{value}” is Excel's 29 February 1900, a day that never existed: enter it again",
    ),
    "date_excel_range": (
        "日期“{value}”作为 Excel 日期序号超出范围（应为 1 到 2958465）",
        "date “{value}” is out of range as an Excel date serial (1 to 2958465)",
    ),
    "date_year_unusual": (
        "日期“{value}”的年份 {year} 不在 1900–2100 之间：请核对",
        "date “{value}” has the year {year}, outside 1900–2100: please check it",
    ),
    "date_time_dropped": (
        "“{value}”带有时间 {time}：只保留了日期",
        "“{value}” has a time of day ({time}): only the date was kept",
    ),
    "date_month_maybe_10": (
        "“{value}”被 Excel 当作数字保存，可能把“{year}.10”变成了“{year}.1”：已按 {year}年1月 读取，请核对",
        "“{value}” was stored by Excel as a number, which turns “{year}.10” into “{year}.1”: read as January {year}, please check it",
    ),
    # --- 是/否
    "bool_bad": (
        "“{value}”不是“是/否”：请填 是 或 否（也认 有/无、√/×、Y/N、1/0、对/错）",
        "“{value}” is not yes/no: enter 是 or 否 (有/无, √/×, Y/N, 1/0, 对/错 also work)",
    ),
    # --- 数字
    "number_bad": (
        "“{value}”不是数字",
        "“{value}” is not a number",
    ),
    "number_not_integer": (
        "“{value}”不是整数：本项只能填整数",
        "“{value}” is not a whole number: this field takes whole numbers only",
    ),
    "number_bad_grouping": (
        "“{value}”的千位分隔符位置不对：应每三位一个逗号，如 1,200",
        "“{value}” has misplaced thousands separators: one comma every three digits, e.g. 1,200",
    ),
    "number_unit_mismatch": (
        "“{value}”的单位“{found}”与本项的单位“{unit}”不符",
        "“{value}” has the unit “{found}”, but this field is in “{unit}”",
    ),
    "number_unexpected_unit": (
        "“{value}”带有单位“{found}”，而本项没有单位：只填数字",
        "“{value}” carries the unit “{found}”, but this field has no unit: enter the number only",
    ),
    # --- 文字
    "text_too_long": (
        "“{shown}”有 {length} 个字符，超过本项最多 {limit} 个字符的限制：请核对，或缩写后重新填写",
        "“{shown}” has {length} characters, more than the {limit} this field holds: check it, or shorten it",
    ),
    # --- 代码
    "code_unknown": (
        "“{value}”不在《{title}》（{standard}）中：可填 {examples} 等",
        "“{value}” is not in the list “{title}” ({standard}): valid entries include {examples}",
    ),
}


def render(code: str, params: dict[str, Any]) -> tuple[str, str]:
    """Both messages for ``code``; a missing code or field is our bug, so it raises."""
    zh, en = MESSAGES[code]
    return zh.format(**params), en.format(**params)


@dataclass(frozen=True)
class Note:
    """A warning or remark about a value that was still accepted."""

    code: str
    message_zh: str
    message_en: str

    @classmethod
    def make(cls, code: str, /, **params: Any) -> Note:
        return cls(code, *render(code, params))


class ValueProblem(ValueError):
    """The value a person typed cannot be accepted; the messages say why, for people."""

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(message_zh)
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en

    @classmethod
    def make(cls, code: str, /, **params: Any) -> ValueProblem:
        return cls(code, *render(code, params))

    def __repr__(self) -> str:
        return f"ValueProblem({self.code!r}, {self.message_zh!r})"
