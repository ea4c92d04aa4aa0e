"""Values in the template's own format: what each column of a department's template asks.

A department's template says how it wants its values written, in five places: a column's
dropdown (数据有效性, a literal "男,女" or a range on a code sheet), its number format (a
date format, or "@" for text), the header's wording (出生年月 is a year and month, 是否… and
有无… are yes/no questions), notes under or beside the table ("格式：1950.01") and sample
rows. `read_formats` reads them once per template into one `ColumnFormat` per column;
`render` writes one value the way its column asks: the dropdown's own entry (男性 → 男,
汉族 → 汉), a real date in a date-formatted column or text in the asked pattern
(1950.01, 1950年1月, 19500101), yes/no in the dropdown's words (是/否, 有/无, √/×).

Both writers get values already rendered here (`filling.fill`), so the streaming
and the in-place writer can never decide differently. What a column asks that a value
cannot be written as (a code the dropdown lacks, a day the ledger does not know) comes back
as a problem and the cell is left for the worker, never written in our own format.

Pure Python: the element's kind (`ElementKind`) is passed in, nothing is read from a database.
"""
from __future__ import annotations

import datetime as dt
import re
import tempfile
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NamedTuple
from xml.etree.ElementTree import Element

from defusedxml.ElementTree import fromstring
from openpyxl.styles.numbers import is_date_format
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.worksheet.worksheet import Worksheet

from yibiao.values import DateValue, ValueProblem, get_code_list, parse_boolean, parse_date
from yibiao.values.codes import CodeItem, CodeList
from yibiao.values.normalise import lookup_key

from .layout import blank_label, squeeze, text_of
from .merges import clipped_copy
from .model import SheetLayout

# --- what the header's wording asks ----------------------------------------------------------

# 是否患慢性病, 有无残疾, 是不是党员: a yes/no question, whatever element answers it.
YES_NO_HEADER = re.compile(r"^(?:是否|有无|是不是|有没有)")
# 患慢性病（是/否）, 独居(有/无): the words are given in the header itself.
YES_NO_BRACKET = re.compile(r"[（(]\s*([^()（）/／或、]{1,2})\s*[/／或、]\s*([^()（）/／或、]{1,2})\s*[)）]")
# 出生年月, 入党年月, 参加工作年月: a year and a month, not a day.
YEAR_MONTH_HEADER = re.compile(r"年月(?:份)?$|年月[（(]")
AGE_HEADER = re.compile(r"年龄|周岁|岁数")

# The yes/no word pairs forms use, in order of preference; the first is ours when a
# template says nothing.
YES_NO_PAIRS: tuple[tuple[str, str], ...] = (
    ("是", "否"), ("有", "无"), ("√", "×"), ("✓", "✗"), ("Y", "N"), ("y", "n"), ("TRUE", "FALSE"),
    ("对", "错"), ("已", "未"),
)
DEFAULT_YES_NO = YES_NO_PAIRS[0]

# A yes/no answered from an element that is not itself yes/no (是否患慢性病 from 慢性病情况):
# yes when a value is present and does not say "none". These words say none …
NONE_WORDS = frozenset(lookup_key(w) for w in (
    "无", "否", "没有", "暂无", "未患", "未患病", "无病", "健康", "良好", "正常", "不是", "非", "0",
    "/", "-", "—", "--", "无此情况", "未发现",
))
NONE_PREFIX = re.compile(r"^(?:无|没有|暂无|未患|未发现)\S{0,6}$")
# … and these say nobody knows: the cell stays for the worker.
UNKNOWN_WORDS = frozenset(lookup_key(w) for w in ("不详", "不清楚", "未知", "待查", "待核实"))

# --- date patterns ---------------------------------------------------------------------------

# An example of a date as a form writes it: 1950.01, 1950年1月, 19500101, 1950-01-01 …
_DIGIT_EXAMPLE = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})(?P<s1>[./\-年]?)(?P<m>0[1-9]|1[0-2]|[1-9])"
    r"(?:(?P<s2>[./\-月]?)(?P<d>0[1-9]|[12]\d|3[01]|[1-9])(?P<s3>日)?)?(?P<s4>月)?(?!\d)")
# … or in letters: YYYY.MM, yyyy-mm-dd, XXXX年XX月, YYYYMMDD.
_LETTER_EXAMPLE = re.compile(
    r"(?<![A-Za-z])(?P<y>[Yy]{4}|[Xx]{4}|[Yy]{2})(?P<s1>[./\-年]?)(?P<m>[Mm]{1,2}|[Xx]{1,2})"
    r"(?:(?P<s2>[./\-月]?)(?P<d>[Dd]{1,2}|[Xx]{1,2})(?P<s3>日)?)?(?P<s4>月)?(?![A-Za-z])")
# Words that make a date in a note an instruction ("格式：1950.01") rather than a date.
FORMAT_CUES = ("格式", "如", "例", "按", "填写", "写成", "填为", "形式", "样式", "填报说明", "说明")


@dataclass(frozen=True)
class DatePattern:
    """How a form writes a date: year, month (padded or not), day or none, and the joiners."""

    year_digits: int
    month_pad: bool
    has_day: bool
    day_pad: bool
    joiners: tuple[str, str, str, str]  # after year, after month (before day), after day, at end
    example: str

    def render(self, value: DateValue) -> str:
        y = str(value.year) if self.year_digits == 4 else f"{value.year % 100:02d}"
        m = f"{value.month:02d}" if self.month_pad else str(value.month)
        s1, s2, s3, s4 = self.joiners
        if not self.has_day:
            return f"{y}{s1}{m}{s4}"
        d = value.day or 0
        return f"{y}{s1}{m}{s2}{f'{d:02d}' if self.day_pad else d}{s3}"


def date_pattern(text: str) -> DatePattern | None:
    """The first date example in `text` ("格式：1950.01" -> year.month, padded), else None."""
    if not text:
        return None
    for regex, letters in ((_DIGIT_EXAMPLE, False), (_LETTER_EXAMPLE, True)):
        m = regex.search(text)
        if not m:
            continue
        s1, s2, s4 = m["s1"] or "", m["s2"] or "", m["s4"] or ""
        has_day = m["d"] is not None
        if not letters and not s1 and not has_day and len(m["m"]) < 2:
            continue  # "19501" is not an example of anything
        if s1 == "年" and not has_day and not s4:
            s4 = "月" if text[m.end():m.end() + 1] == "月" else s4
        if not has_day and s2 == "月":  # 1950年1月 read as month + joiner
            s4, s2 = "月", ""
        return DatePattern(
            year_digits=len(m["y"]), month_pad=len(m["m"]) == 2, has_day=has_day,
            day_pad=has_day and len(m["d"]) == 2, joiners=(s1, s2, m["s3"] or "", s4), example=m[0])
    return None


# --- what a column asks -----------------------------------------------------------------------

@dataclass(frozen=True)
class ElementKind:
    """What the writer needs to know of a column's data element (from the dictionary)."""

    code: str | None
    value_type: str = "text"  # text | code | boolean | date | integer | decimal | id_number | phone
    code_list: str | None = None


@dataclass
class ColumnFormat:
    """What one column of the template asks of its values, and where the template said so."""

    index: int
    letter: str
    header: str
    choices: tuple[str, ...] = ()  # the dropdown's own entries, in its order
    choices_source: str = ""  # the validation's formula: '"男,女"' or "代码!$A$2:$A$57"
    number_format: str = "General"
    yes_no: bool = False  # the header or the dropdown asks a yes/no question
    yes_no_words: tuple[str, str] | None = None  # the template's spelling of yes and no
    year_month: bool = False  # the header asks a year and month (出生年月)
    age: bool = False  # the header asks an age (年龄, 周岁): whole years at the period's end
    pattern: DatePattern | None = None  # the date pattern a note, the header or a sample gives
    samples: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()  # validation | number_format | header | note | sample
    problems: list[str] = field(default_factory=list)  # what the template asks that we cannot read
    _plans: dict[Any, Callable[[object], Rendered]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def date_format(self) -> bool:
        return is_date_format(self.number_format) and self.number_format != "General"

    @property
    def text_format(self) -> bool:
        return self.number_format == "@"

    @property
    def inferred(self) -> bool:
        """The template told us something about this column's values."""
        return bool(self.sources)

    def summary(self) -> dict[str, object]:
        """What the analysis and `template inspect` show: plain JSON."""
        return {
            "choices": list(self.choices), "number_format": self.number_format,
            "yes_no": list(self.yes_no_words) if self.yes_no_words else self.yes_no,
            "year_month": self.year_month, "pattern": self.pattern.example if self.pattern else "",
            "sources": list(self.sources),
            "problems": [p.as_dict() if isinstance(p, FormatProblem) else p for p in self.problems],
        }


def from_summary(index: int, header: str, summary: dict[str, Any]) -> ColumnFormat:
    """A column's format as stored with a request (`ColumnFormat.summary`), for the analysis."""
    yes_no = summary.get("yes_no")
    words = tuple(yes_no) if isinstance(yes_no, list) and len(yes_no) == 2 else None
    return ColumnFormat(
        index=index, letter=get_column_letter(index), header=header,
        choices=tuple(summary.get("choices") or ()), number_format=summary.get("number_format") or "General",
        yes_no=bool(yes_no), yes_no_words=words,  # type: ignore[arg-type]
        year_month=bool(summary.get("year_month")),
        pattern=date_pattern(summary.get("pattern") or ""), sources=tuple(summary.get("sources") or ()),
        problems=[FormatProblem.of(p) for p in summary.get("problems") or ()])


class Rendered(NamedTuple):
    value: object
    problem: str | None = None


def asks_yes_no(header: str) -> bool:
    """是否患慢性病, 有无残疾, 独居（是/否）: a question answered yes or no."""
    text = squeeze(header)
    if YES_NO_HEADER.match(text):
        return True
    m = YES_NO_BRACKET.search(text)
    return bool(m and _yes_no_pair((m[1], m[2])))


def _yes_no_pair(words: Iterable[str]) -> tuple[str, str] | None:
    """(yes word, no word) among `words`, as the template spells them; None without both."""
    yes = no = None
    for word in words:
        try:
            truth = parse_boolean(word)
        except ValueProblem:
            continue
        if truth and yes is None:
            yes = word
        elif not truth and no is None:
            no = word
    return (yes, no) if yes is not None and no is not None else None


def column_format(index: int, header: str, path: Sequence[str] = (), *, choices: Sequence[str] = (),
                  choices_source: str = "", number_format: str = "General", samples: Sequence[str] = (),
                  note_pattern: DatePattern | None = None, problems: Sequence[str] = ()) -> ColumnFormat:
    """Combine what the template says of one column (pure: the reading is `read_formats`)."""
    sources: list[str] = []
    fmt = ColumnFormat(index=index, letter=get_column_letter(index), header=header,
                       choices=tuple(choices), choices_source=choices_source,
                       number_format=number_format or "General", samples=tuple(s for s in samples if s),
                       problems=list(problems))
    if fmt.choices:
        sources.append("validation")
    if fmt.date_format or fmt.text_format:
        sources.append("number_format")
    words = " ".join(path) if path else header
    leaf = squeeze(header)
    bracket = YES_NO_BRACKET.search(squeeze(words))
    header_pair = _yes_no_pair((bracket[1], bracket[2])) if bracket else None
    choice_pair = _yes_no_pair(fmt.choices) if fmt.choices else None
    sample_pair = next((p for s in fmt.samples for p in YES_NO_PAIRS if s in p), None)
    if asks_yes_no(leaf) or header_pair or (choice_pair and len(fmt.choices) <= 3):
        fmt.yes_no = True
        if asks_yes_no(leaf) or header_pair:
            sources.append("header")
    fmt.yes_no_words = choice_pair or header_pair or (sample_pair if fmt.yes_no else None)
    if sample_pair and fmt.yes_no and not choice_pair and not header_pair:
        sources.append("sample")
    if fmt.choices and fmt.yes_no and not choice_pair:
        fmt.problems.append(FormatProblem("no_yes_no", choices="、".join(fmt.choices[:6])))
    if YEAR_MONTH_HEADER.search(leaf):
        fmt.year_month = True
        sources.append("header")
    if AGE_HEADER.search(leaf):
        fmt.age = True
        sources.append("header")
    in_header = date_pattern(_bracketed(words)) if not fmt.date_format else None
    sample_pattern = next((p for s in fmt.samples if (p := date_pattern(s)) and p.example == s.strip()), None)
    if in_header:
        fmt.pattern = in_header
        sources.append("header")
    elif note_pattern is not None:
        fmt.pattern = note_pattern
        sources.append("note")
    elif sample_pattern is not None and not fmt.date_format:
        fmt.pattern = sample_pattern
        sources.append("sample")
    elif fmt.samples and not fmt.choices and any(_sample_style_hint(s) for s in fmt.samples):
        sources.append("sample")
    fmt.sources = tuple(dict.fromkeys(sources))
    return fmt


def _bracketed(text: str) -> str:
    """The notes in brackets or after a line break in a header cell: 出生年月（格式：1950.01）."""
    parts = re.findall(r"[（(]([^()（）]*)[)）]", text)
    if "\n" in text:
        parts.append(text.split("\n", 1)[1])
    return " ".join(parts)


def _sample_style_hint(sample: str) -> bool:
    """A sample that shows how coded values are spelt (男, 汉, 01-汉族): short, not a placeholder."""
    s = sample.strip()
    return 0 < len(s) <= 6 and not s.isdigit() and s not in ("N", "n", "x", "X") and "{" not in s


# --- render -----------------------------------------------------------------------------------

def render(value: object, element: ElementKind | None, fmt: ColumnFormat | None) -> Rendered:
    """One value written the way its column asks, or a problem and no value.

    `value` is the delivered value (display names, dates, numbers; reports/delivery.py).
    The decisions for a column and element are made once and kept on `fmt`, so a 100,000
    row export pays one dict lookup and one call per cell.
    """
    if value is None or value == "" or fmt is None:
        return Rendered(None if value == "" else value)
    return plan_for(fmt, element)(value)


def plan_for(fmt: ColumnFormat, element: ElementKind | None) -> Callable[[object], Rendered]:
    """`render` for one column and element, decided once (kept on `fmt`); `is_identity` tells
    a caller that may skip the column altogether."""
    plan = fmt._plans.get(element)
    if plan is None:
        plan = fmt._plans[element] = _plan(fmt, element)
    return plan


def is_identity(plan: Callable[[object], Rendered]) -> bool:
    return plan is _identity


def _identity(value: object) -> Rendered:
    return Rendered(value)


def _plan(fmt: ColumnFormat, element: ElementKind | None) -> Callable[[object], Rendered]:
    kind = element or ElementKind(None)
    if kind.value_type in ("id_number", "phone"):
        return _as_text  # ID numbers and phones are always text, never 1.1E+17
    if fmt.yes_no or kind.value_type == "boolean":
        return _yes_no_plan(fmt, kind)
    if kind.code_list:
        return _code_plan(fmt, get_code_list(kind.code_list))
    if kind.value_type == "date" or fmt.year_month:
        return _date_plan(fmt)
    if fmt.choices:
        return _choice_plan(fmt)
    if kind.value_type in ("integer", "decimal") and not fmt.text_format:
        return _as_number
    return _identity


def _as_number(value: object) -> Rendered:
    """A count or amount is a number in the file (a typed 119 arrived as the text '119')."""
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return Rendered(value)
        if number == number.to_integral_value():
            return Rendered(int(number))
        return Rendered(float(number))
    return Rendered(value)


def _as_text(value: object) -> Rendered:
    return Rendered(value if isinstance(value, str) else str(value))


def _yes_no_plan(fmt: ColumnFormat, kind: ElementKind) -> Callable[[object], Rendered]:
    words = fmt.yes_no_words or (None if fmt.choices else DEFAULT_YES_NO)
    derived = kind.value_type != "boolean"

    def plan(value: object) -> Rendered:
        truth = present(value) if derived else _truth(value)
        if truth is None:
            return Rendered(None, f"“{value}”不是是/否")
        if words is None:
            return Rendered(None, f"下拉列表（{'、'.join(fmt.choices[:6])}）里没有是/否两项")
        return Rendered(words[0] if truth else words[1])

    return plan


def _truth(value: object) -> bool | None:
    try:
        return parse_boolean(value)
    except ValueProblem:
        return None


def present(value: object) -> bool | None:
    """A yes/no answered from another element: yes when a value is there and does not say
    none (慢性病情况 高血压 -> yes, 无 -> no); None when it says nobody knows (不详)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal):
        return value > 0
    if isinstance(value, dt.date | DateValue):
        return True
    key = lookup_key(str(value))
    if not key or key in UNKNOWN_WORDS:
        return None
    return not (key in NONE_WORDS or NONE_PREFIX.match(key))


def _code_plan(fmt: ColumnFormat, codes: CodeList) -> Callable[[object], Rendered]:
    """Coded values: the dropdown's entry for the code, else the spelling the samples show."""
    if fmt.choices:
        entry: dict[str, str] = {}
        for choice in fmt.choices:
            item = codes.find(choice)
            if item is not None:
                entry.setdefault(item.code, choice)

        def by_choice(value: object) -> Rendered:
            item = codes.find(value)
            if item is None:
                return Rendered(None, f"“{value}”不是{codes.title}代码")
            if item.code not in entry:
                return Rendered(None, f"“{item.name}”不在下拉列表中")
            return Rendered(entry[item.code])

        return by_choice
    style = _sample_style(codes, fmt.samples)
    if style is None:
        return _identity

    def by_style(value: object) -> Rendered:
        item = codes.find(value)
        return Rendered(_spell(item, style) if item is not None else value)

    return by_style


def _sample_style(codes: CodeList, samples: Sequence[str]) -> tuple[str, int] | None:
    """How the sample rows spell a code: ("name"|"code"|"variant", i) by majority, or None."""
    seen: Counter[tuple[str, int]] = Counter()
    for sample in samples:
        item = codes.find(sample)
        if item is None:
            continue
        s = sample.strip()
        if s == item.name:
            seen[("name", 0)] += 1
        elif s == item.code:
            seen[("code", 0)] += 1
        elif s in item.variants:
            seen[("variant", item.variants.index(s))] += 1
    return seen.most_common(1)[0][0] if seen else None


def _spell(item: CodeItem, style: tuple[str, int]) -> str:
    kind, i = style
    if kind == "code":
        return item.code
    if kind == "variant" and i < len(item.variants):
        return item.variants[i]
    return item.name


def _date_value(value: object) -> DateValue | None:
    if isinstance(value, DateValue):
        return value
    if isinstance(value, dt.datetime):
        return DateValue.of(value.date())
    if isinstance(value, dt.date):
        return DateValue.of(value)
    try:
        return parse_date(value)
    except ValueProblem:
        return None


def _shows_day(number_format: str) -> bool:
    """Whether a date number format shows the day (yyyy.mm does not; yyyy-mm-dd does)."""
    bare = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.', "", number_format).lower()
    return "d" in bare


def _date_plan(fmt: ColumnFormat) -> Callable[[object], Rendered]:
    """A real date in a date-formatted column; else text in the pattern asked; else as it was."""
    if fmt.date_format:
        needs_day = _shows_day(fmt.number_format)

        def as_date(value: object) -> Rendered:
            d = _date_value(value)
            if d is None:
                return Rendered(value)
            if needs_day and d.day is None:
                return Rendered(None, f"台账只有年月（{d.isoformat()}），模板的日期格式要求到日")
            return Rendered(d.date)

        return as_date
    pattern = fmt.pattern
    if pattern is None and fmt.year_month:
        pattern = date_pattern("1950.01")  # 出生年月 with no example: the usual form of 干部表
    if pattern is None and fmt.text_format:  # a text column that shows no example: ISO text
        pattern = date_pattern("1950-01-01")
    if pattern is None:
        return _identity

    def as_text(value: object) -> Rendered:
        d = _date_value(value)
        if d is None:
            return Rendered(value)
        if pattern.has_day and d.day is None:
            return Rendered(None, f"台账只有年月（{d.isoformat()}），模板要求的格式“{pattern.example}”到日")
        return Rendered(pattern.render(d))

    return as_text


def _choice_plan(fmt: ColumnFormat) -> Callable[[object], Rendered]:
    """Any other value in a dropdown column: the entry it equals (ignoring width and case)."""
    entry = {lookup_key(c): c for c in fmt.choices}

    def plan(value: object) -> Rendered:
        text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
        hit = entry.get(lookup_key(text))
        return Rendered(hit) if hit is not None else Rendered(None, f"“{text}”不在下拉列表中")

    return plan


# --- problems a reviewer should see before admission ------------------------------------------

# What a column asks that some ledger values cannot be written as: code -> (Simplified Chinese,
# English). A field `x` takes `x_en` in English when there is one (a code list's name).
FORMAT_PROBLEMS: dict[str, tuple[str, str]] = {
    "no_yes_no": ("下拉列表（{choices}）里没有是/否两项", "the dropdown ({choices}) has no yes and no"),
    "choices_unreadable": ("下拉列表的来源“{formula}”无法读取", "the dropdown's source “{formula}” cannot be read"),
    "choices_not_codes": ("下拉列表（{choices}）与{codes}代码（{standard}）对不上，台账中的值无法写成列表中的项",
                          "the dropdown ({choices}) does not match the {codes} codes ({standard}): "
                          "the ledger's values cannot be written as its entries"),
    "choices_lacking": ("下拉列表缺少{codes}代码中的 {n} 项（{shown}），这些值将留空由基层填写",
                        "the dropdown lacks {n} of the {codes} codes ({shown}): those values are left "
                        "for the grassroots to fill in"),
    "choices_strange": ("下拉列表中的“{strange}”不是{codes}代码", "“{strange}” in the dropdown: not {codes} codes"),
    "choices_limit": ("下拉列表（{choices}）限定了取值，台账中不在列表内的值将留空由基层填写",
                      "the dropdown ({choices}) limits the values: ledger values not in it are left "
                      "for the grassroots to fill in"),
    "not_a_date_format": ("数字格式“{number_format}”不是日期格式，日期按“{pattern}”写为文本",
                          "the number format “{number_format}” is not a date format: dates are written "
                          "as text like “{pattern}”"),
}


class FormatProblem(str):
    """One such problem: a `str` (its Simplified Chinese, as lists of problems read before)
    that keeps its `code` and `params` to say it in English (`message_en`)."""

    code: str
    params: dict[str, Any]

    def __new__(cls, code: str, /, **params: Any) -> FormatProblem:
        zh, _en = FORMAT_PROBLEMS[code]
        self = super().__new__(cls, zh.format(**{k: v for k, v in params.items() if not k.endswith("_en")}))
        self.code, self.params = code, params
        return self

    @property
    def message_en(self) -> str:
        values = {k: v for k, v in self.params.items() if not k.endswith("_en")}
        values.update({k[:-3]: v for k, v in self.params.items() if k.endswith("_en")})
        return FORMAT_PROBLEMS[self.code][1].format(**values)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, **self.params}

    @classmethod
    def of(cls, stored: object) -> str:
        """A problem as stored in a column's format summary: its dict, or (stored before
        problems had codes) its Chinese text, which stays a plain string."""
        if isinstance(stored, dict) and stored.get("code") in FORMAT_PROBLEMS:
            return cls(stored["code"], **{k: v for k, v in stored.items() if k != "code"})
        return str(stored)


def english_of(problem: str) -> str:
    """A problem in English; one stored before problems had codes has only its Chinese."""
    return problem.message_en if isinstance(problem, FormatProblem) else problem


def _english_words(text: str, code_list: str = "") -> str:
    """A code list's or a code value's name in English (the dictionary's table, no database)."""
    from yibiao.dictionary.words import shown

    return shown(text, code_list, "en")



def expected_problems(fmt: ColumnFormat, element: ElementKind | None) -> list[str]:
    """What this column asks that some ledger values cannot be written as (for the analysis):
    each a FormatProblem (or the Chinese of one stored before they had codes)."""
    problems = list(fmt.problems)
    kind = element or ElementKind(None)
    choices = "、".join(fmt.choices[:6])
    if fmt.choices and kind.code_list and not (fmt.yes_no or kind.value_type == "boolean"):
        codes = get_code_list(kind.code_list)
        named = {"codes": codes.title, "codes_en": _english_words(codes.title, kind.code_list)}
        matched = {item.code for c in fmt.choices if (item := codes.find(c)) is not None}
        strange = [c for c in fmt.choices if codes.find(c) is None]
        if not matched:
            problems.append(FormatProblem("choices_not_codes", choices=choices, standard=codes.standard, **named))
        else:
            # 未知的性别 / 未说明的性别: placeholders a ledger value is never (sex comes from the ID)
            lacking = [item.name for item in codes if item.code not in matched
                       and not re.match(r"^(?:未知|未说明)", item.name)]
            if lacking and len(lacking) < len(codes):
                shown = "、".join(lacking[:5]) + ("等" if len(lacking) > 5 else "")
                shown_en = ", ".join(_english_words(n, kind.code_list) for n in lacking[:5]) + (
                    "…" if len(lacking) > 5 else "")
                problems.append(FormatProblem("choices_lacking", n=len(lacking), shown=shown, shown_en=shown_en,
                                              **named))
        if strange:
            problems.append(FormatProblem("choices_strange", strange="、".join(strange[:5]), **named))
    elif fmt.choices and not kind.code_list and kind.value_type not in ("boolean",) and not fmt.yes_no:
        if kind.code is not None:
            problems.append(FormatProblem("choices_limit", choices=choices))
    if kind.value_type == "date" and fmt.number_format not in ("General", "@") and not fmt.date_format:
        problems.append(FormatProblem("not_a_date_format", number_format=fmt.number_format,
                                      pattern=fmt.pattern.example if fmt.pattern else "yyyy-mm-dd"))
    return problems


# --- reading a template -----------------------------------------------------------------------

@dataclass
class SheetFormats:
    """Per data column (by index; a card's fields by their cell: several share a column
    letter), what the template asks; notes that could not be placed."""

    columns: dict[int | str, ColumnFormat] = field(default_factory=dict)
    general_pattern: DatePattern | None = None  # a note's date format naming no column

    def of(self, index: int, cell: str | None = None) -> ColumnFormat | None:
        if cell is not None and cell in self.columns:
            return self.columns[cell]
        return self.columns.get(index)

    @property
    def inferred_share(self) -> float:
        return sum(f.inferred for f in self.columns.values()) / len(self.columns) if self.columns else 0.0


def read_formats(path: str | Path, sheet: str, layout: SheetLayout) -> SheetFormats:
    """Open the template (already checked by `read_workbook`) and read what each column asks."""
    import openpyxl

    path = Path(path)
    if zipfile.is_zipfile(path):
        with tempfile.TemporaryDirectory(prefix="yibiao-formats-") as tmp:
            # openpyxl makes an object per merged cell: a column merged to row 1,048,576 took
            # 31 s, one range over A2:XFD1048576 took 4 GB (sheets/merges.py)
            source = clipped_copy(path, Path(tmp) / "clipped.xlsx")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # openpyxl drops x14 validations: read below
                wb = openpyxl.load_workbook(source, keep_links=False)
        extra = _x14_validations(path, sheet)
    else:
        from .xlsconvert import xls_to_openpyxl

        wb, extra = xls_to_openpyxl(path), []
    try:
        return sheet_formats(wb, wb[sheet], layout, extra)
    finally:
        wb.close()


def sheet_formats(wb: Any, ws: Worksheet, layout: SheetLayout,
                  extra_validations: Sequence[tuple[str, str]] = ()) -> SheetFormats:
    """What each column of `layout` asks, from the open workbook (see module docstring)."""
    row = layout.data_start_row
    validations = [(str(dv.sqref), dv.formula1 or "") for dv in ws.data_validations.dataValidation
                   if dv.type == "list"]
    validations += list(extra_validations)
    notes = _format_notes(ws, layout)
    out = SheetFormats()
    headers = {c.index: squeeze(c.header) for c in layout.columns}
    specific: dict[int, DatePattern] = {}
    for text in notes:
        for clause in re.split(r"[；;。\n]+", text):
            pattern = date_pattern(clause)
            if pattern is None:
                continue
            named = [i for i, h in headers.items() if h and h in squeeze(clause)]
            if named:
                for i in named:
                    specific.setdefault(i, pattern)
            elif out.general_pattern is None:
                out.general_pattern = pattern
    for col in layout.columns:
        if layout.layout == "card" and col.cell:
            r, c = _cell_rc(col.cell)
        else:
            r, c = row, col.index
        formula = next((f for sqref, f in validations if _covers(sqref, r, c)), None)
        choices: list[str] = []
        problems: list[str] = []
        if formula:
            try:
                choices = _choices(wb, ws, formula)
            except ValueError:
                problems.append(FormatProblem("choices_unreadable", formula=formula))
        note = specific.get(col.index)
        if note is None and out.general_pattern is not None and _datey(col.header):
            note = out.general_pattern
        key: int | str = col.cell if layout.layout == "card" and col.cell else col.index
        out.columns[key] = column_format(
            col.index, col.header, col.path, choices=choices, choices_source=formula or "",
            number_format=_number_format(ws, r, c), samples=col.samples, note_pattern=note,
            problems=problems)
    return out


def _datey(header: str) -> bool:
    return bool(re.search(r"日期|年月|时间|生日|出生", squeeze(header)))


def _cell_rc(ref: str) -> tuple[int, int]:
    c1, r1, _, _ = range_boundaries(ref)
    return r1, c1  # type: ignore[return-value]


def _covers(sqref: str, r: int, c: int) -> bool:
    for part in sqref.split():
        try:
            c1, r1, c2, r2 = range_boundaries(part)
        except ValueError:
            continue
        if (c1 or 1) <= c <= (c2 or 16384) and (r1 or 1) <= r <= (r2 or 1_048_576):
            return True
    return False


def _number_format(ws: Worksheet, r: int, c: int) -> str:
    """The data cell's number format; without a styled cell, the column's own style."""
    cell = ws._cells.get((r, c))
    if cell is not None and cell.has_style:
        return str(cell.number_format)
    for dim in ws.column_dimensions.values():
        if dim.min and dim.min <= c <= (dim.max or dim.min) and dim.has_style:
            return str(dim.number_format)
    return "General"


_RANGE = re.compile(r"^(?:(?P<sheet>'(?:[^']|'')+'|[^'!]+)!)?(?P<ref>\$?[A-Za-z]{1,3}\$?\d*(?::\$?[A-Za-z]{1,3}\$?\d*)?)$")
MAX_CHOICES = 500


def _choices(wb: Any, ws: Worksheet, formula: str) -> list[str]:
    """The entries of a list validation: a literal "a,b", a range (on any sheet) or a name."""
    f = formula.strip().lstrip("=")
    if f.startswith('"') and f.endswith('"'):
        return [s.strip() for s in f[1:-1].replace('""', '"').split(",") if s.strip()]
    m = _RANGE.match(f)
    if m is None:
        name = wb.defined_names.get(f) if hasattr(wb.defined_names, "get") else None
        name = name or ws.defined_names.get(f)
        if name is None or not name.attr_text or name.attr_text.lstrip("=") == f:
            raise ValueError(formula)
        return _choices(wb, ws, name.attr_text)
    sheet = m["sheet"].strip("'").replace("''", "'") if m["sheet"] else ws.title
    if sheet not in wb.sheetnames:
        raise ValueError(formula)
    try:
        c1, r1, c2, r2 = range_boundaries(m["ref"].replace("$", ""))
    except ValueError:
        raise ValueError(formula) from None
    source = wb[sheet]
    r1 = r1 or 1  # a whole column (代码!$A:$A): its filled rows
    r2 = r2 or source.max_row
    out: list[str] = []
    for r in range(r1, min(r2, r1 + MAX_CHOICES) + 1):
        for c in range(c1, (c2 or c1) + 1):
            cell = source._cells.get((r, c))
            text = text_of(cell.value).strip() if cell is not None and cell.value is not None else ""
            if text and not text.startswith("="):
                out.append(text)
    return out


X14 = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
XM = "http://schemas.microsoft.com/office/excel/2006/main"


def _x14_validations(path: Path, sheet: str) -> list[tuple[str, str]]:
    """(sqref, formula) of the list validations Excel 2010+ writes in the sheet's extLst —
    the usual form of a dropdown whose entries are on another sheet; openpyxl drops them."""
    from .package import Package

    try:
        with zipfile.ZipFile(path) as zf:
            data = zf.read(Package(zf, sheet).sheet_part)
    except (KeyError, StopIteration, zipfile.BadZipFile):
        return []
    if b"x14:dataValidation" not in data and X14.encode() not in data:
        return []
    root: Element = fromstring(data)
    found = []
    for dv in root.iter(f"{{{X14}}}dataValidation"):
        if dv.get("type") != "list":
            continue
        f = dv.find(f"{{{X14}}}formula1/{{{XM}}}f")
        sqref = dv.find(f"{{{XM}}}sqref")
        if f is not None and f.text and sqref is not None and sqref.text:
            found.append((sqref.text, f.text))
    return found


def _format_notes(ws: Worksheet, layout: SheetLayout) -> list[str]:
    """Texts outside the table that say how to write values: notes under or above it, and
    cells beside it ("格式：1950.01", "填写说明：日期格式为…"). Blanks (填报日期：…) are not notes."""
    first, last = layout.header_rows
    data_rows = set(layout.sample_rows)
    width = max((c.index for c in layout.columns), default=0)
    texts = [n.text for n in layout.notes]
    for (r, c), cell in ws._cells.items():
        v = cell.value
        if not isinstance(v, str) or first <= r <= last and c <= width:
            continue
        if r in data_rows and c <= width:
            continue
        if v in texts or blank_label(v):
            continue
        if any(cue in v for cue in FORMAT_CUES):
            texts.append(v)
    return [t for t in texts if any(cue in t for cue in FORMAT_CUES)]


# --- blanks above and below the table --------------------------------------------------------

# The same blank under other labels: 填表人 is the 填报人, 填表日期 the 填报日期.
BLANK_SYNONYMS: dict[str, tuple[str, ...]] = {
    "填报单位": ("填报单位", "填表单位", "报送单位", "统计单位", "单位名称", "单位盖章", "盖章"),
    "填报人": ("填报人", "填表人", "制表人", "统计人"),
    "填报日期": ("填报日期", "填表日期", "报送日期", "填报时间", "日期"),
    "统计时间": ("统计时间", "报告期", "统计期", "统计日期"),
    "截止日期": ("截止日期", "截至日期"),
    "联系电话": ("联系电话",),
}
_SYNONYM_OF = {label: key for key, labels in BLANK_SYNONYMS.items() for label in labels}


def blank_kind(label: str) -> str | None:
    """Which blank a template label is (填表人 -> 填报人), None for one we do not fill (审核人)."""
    label = squeeze(label)
    if label in _SYNONYM_OF:
        return _SYNONYM_OF[label]
    return next((key for known, key in _SYNONYM_OF.items() if len(known) > 2 and label.endswith(known)), None)


# "    年  月  日", "____年__月__日", "　　年　　月": where the template wants the numbers.
_PLACEHOLDER = re.compile(r"^[\s_\u3000]*(?:年[\s_\u3000]*(?:月[\s_\u3000]*(?:日[\s_\u3000]*)?)?)?$")
_SLOT = re.compile(r"([\s_\u3000]*)(年|月|日)")


def is_placeholder(text: str) -> bool:
    """Only blanks, underlines and 年/月/日: a place for a value, not a value."""
    return bool(_PLACEHOLDER.match(text or ""))


def fill_blank(rest: str, value: object) -> str:
    """The text after a blank's label, filled: "  年  月  日" with a date keeps its pattern
    ("2026 年 12 月 5 日"); a month (DateValue without a day) fills 年 and 月; anything else
    replaces the blank ("红星社区"). Dates with no pattern read 2026年12月5日."""
    d = _date_value(value) if isinstance(value, dt.date | DateValue) else None
    if d is not None and "年" in rest and is_placeholder(rest):
        numbers = {"年": d.year, "月": d.month, "日": d.day}

        def slot(m: re.Match[str]) -> str:
            space, unit = m[1], m[2]
            n = numbers.get(unit)
            if n is None:
                return f"{space}{unit}"
            if " " in space or "\u3000" in space:  # spaced out: 2026 年 12 月 5 日
                return f"{' ' if m.start() else ''}{n} {unit}"
            return f"{n}{unit}"  # underlined or tight: 2026年12月5日

        filled = _SLOT.sub(slot, rest).rstrip("_ \u3000")
        return filled.lstrip("_")
    if d is not None:
        return d.display_zh()
    if isinstance(value, bool):
        return DEFAULT_YES_NO[0 if value else 1]
    return "" if value is None else str(value)


# Several blanks in one cell: "填表人：          联系电话：          填报日期：    年  月  日".
_LABEL_AT = re.compile(r"(?P<label>[^\s:：，,；;]{2,12}?)\s*(?:[（(][^)）]{0,12}[)）])?\s*[:：]")


def blank_segments(text: str) -> list[tuple[str, int, int]]:
    """(label, where its text after the colon starts, where it ends) for every blank label in
    `text`, in order; one entry for a cell holding one blank, several for a shared line."""
    found = []
    for m in _LABEL_AT.finditer(text):
        label = blank_label(m[0])
        if label is None:
            continue
        found.append((label, m.start(), m.end()))
    return [(label, end, found[i + 1][1] if i + 1 < len(found) else len(text))
            for i, (label, _, end) in enumerate(found)]


def fill_segments(text: str, values: dict[str, object]) -> str:
    """A line of several blanks, each label's part filled in place and the others kept as
    they were, spacing between them kept (at least two spaces)."""
    out, pos = [], 0
    for label, start, end in blank_segments(text):
        out.append(text[pos:start])
        rest = text[start:end]
        pos = end
        if label not in values:
            out.append(rest)
            continue
        if is_placeholder(rest) and "年" in rest:
            filled = fill_blank(rest.rstrip(" \u3000"), values[label])
        else:
            filled = fill_blank("", values[label])
        gap = len(rest) - len(rest.rstrip(" \u3000_")) if rest.strip(" \u3000_") else len(rest)
        tail = rest[len(rest.rstrip(" \u3000")):] if "年" in rest else ""
        if end < len(text):  # another label follows: keep them apart
            tail = tail or " " * max(2, gap - len(filled))
        out.append(filled + tail)
    out.append(text[pos:])
    return "".join(out)
