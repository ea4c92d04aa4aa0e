"""Who a report's rows are about, written the way an officer says it.

    年龄 >= 60 且 独居 = 是
    age >= 65 and (low_income = yes or disability_category present)

A small language, parsed by hand (recursive descent; nothing is ever evaluated as Python)
into the JSON tree that FormRequest.subject_filter stores and reports/filters.py
evaluates. Element names are accepted as codes (person.age), short codes (age), Chinese
names and aliases, English names (“Lives alone”), simplified or traditional, full- or
half-width, and the keywords in Simplified or Traditional (属于, 屬於); values are parsed by
the element's own rules (是/否 → 1/0, code-list names → codes, their English names too).
`describe` says a filter in Simplified, Traditional or English, each reading back the same. Every error names the
character where the problem is, in Chinese and in English.

    filter     = [ or ] END
    or         = and { OR and }                       OR:  or 或 或者 ||
    and        = not { AND not }                      AND: and 且 并且 而且 &&
    not        = NOT not | primary                    NOT: not 非
    primary    = "(" or ")" | condition
    condition  = element ( COMPARE value | IN values | PRESENT | ABSENT )
    values     = "(" value { "," value } ")" | value { "," value }
    element    = WORD | QUOTED                        value = WORD | QUOTED

The tree: {"and": [node, …]}, {"or": [node, …]}, {"not": node} and leaves
{"element": code, "op": "=", "value": "1"} ("in": a list of values; present/absent: no
value). Suggestions read from a template's title, sheet name and headers are a table
(yibiao/data/subject_filters.tsv) written in the same language.
"""

from __future__ import annotations

import csv
import difflib
import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from yibiao.matching.normalise import normalise
from yibiao.values import ValueProblem, parse_value
from yibiao.values.normalise import lookup_key, simplify

from .filters import DERIVED_FILTER_ELEMENTS

MAX_LENGTH = 2000
MAX_DEPTH = 30
SUGGESTIONS = Path(__file__).resolve().parent.parent / "data" / "subject_filters.tsv"

# --- messages: code -> (Simplified Chinese, English); {at} is the 1-based character.
MESSAGES: dict[str, tuple[str, str]] = {
    "too_long": ("条件太长（{length} 个字符，最多 {limit} 个）",
                 "the filter is too long ({length} characters, at most {limit})"),
    "too_deep": ("第 {at} 个字符处：括号或“非”嵌套太深（最多 {limit} 层）",
                 "at character {at}: parentheses or “not” nested too deeply (at most {limit})"),
    "bad_character": ("第 {at} 个字符“{found}”不能用在条件中",
                      "character {at} (“{found}”) cannot be used in a filter"),
    "unclosed_quote": ("第 {at} 个字符处的引号没有结束", "the quote at character {at} is never closed"),
    "expected_element": ("第 {at} 个字符处应为数据元名称（如 年龄、是否独居、person.age），却是“{found}”",
                         "at character {at}: expected an element name (e.g. 年龄, person.age), found “{found}”"),
    "incomplete": ("条件在第 {at} 个字符处不完整：此处还应有{what}",
                   "the filter is incomplete at character {at}: {what_en} should follow"),
    "unknown_element": ("第 {at} 个字符处：没有名为“{name}”的数据元{hint}",
                        "at character {at}: there is no element called “{name}”{hint_en}"),
    "ambiguous_element": ("第 {at} 个字符处：“{name}”可以指 {options}，请写数据元代码",
                          "at character {at}: “{name}” could mean {options}; write the element code"),
    "expected_operator": ("第 {at} 个字符处：“{name}”后应为比较符（= != > >= < <=、等于、大于、属于）"
                          "或“有值”“为空”，却是“{found}”",
                          "at character {at}: “{name}” must be followed by a comparison (= != > >= < <=, "
                          "in) or present/absent, found “{found}”"),
    "expected_value": ("第 {at} 个字符处：“{op}”后应为一个值，却是“{found}”",
                       "at character {at}: a value must follow “{op}”, found “{found}”"),
    "bad_value": ("第 {at} 个字符处：{problem}", "at character {at}: {problem_en}"),
    "ordering": ("第 {at} 个字符处：“{name}”是{kind}，只能用 =、!=、属于、有值、为空 比较，不能用“{op}”",
                 "at character {at}: “{name}” is {kind_en}; compare it with =, !=, in, present or "
                 "absent, not “{op}”"),
    "empty_group": ("第 {at} 个字符处的括号里没有条件", "the parentheses at character {at} hold no condition"),
    "unclosed": ("第 {at} 个字符处的“(”没有对应的“)”", "the “(” at character {at} is never closed"),
    "unexpected_close": ("第 {at} 个字符处多了一个“)”", "at character {at}: a “)” without its “(”"),
    "expected_connective": ("第 {at} 个字符处：两个条件之间应有“且”或“或”，却是“{found}”",
                            "at character {at}: two conditions must be joined by “and” or “or”, "
                            "found “{found}”"),
    "aggregate": ("本表是汇总表（每行一个社区或类别，各列按表头的口径计数），不按填报对象条件筛选行：请不设条件",
                  "this is an aggregate table (one row per org unit or category, each column counting "
                  "as its header says); its rows are not filtered: leave the filter empty"),
    "wrong_subject": ("“{name}”是{element_subject}的数据元，而本表每行是一个{row_subject}",
                      "“{name}” is an element of a {element_subject_en}, but each row of this "
                      "table is a {row_subject_en}"),
}
SUBJECT_NAMES = {"person": ("人员", "person"), "household": ("家庭户", "household"),
                 "place": ("房屋", "place"), "org": ("组织", "org unit"), "meta": ("表务", "form")}
KIND_NAMES = {"boolean": ("是否项", "a yes/no element"), "code": ("代码项", "a coded element"),
              "text": ("文本项", "a text element"), "id_number": ("身份证号", "an ID number"),
              "phone": ("电话", "a phone number")}


class FilterError(ValueError):
    """A filter that cannot be read; `position` is the 0-based index into the text."""

    def __init__(self, code: str, position: int | None, text: str = "", **params: object) -> None:
        at = (position or 0) + 1
        zh, en = MESSAGES[code]
        self.code = code
        self.position = position
        self.message_zh = zh.format(at=at, **params)
        self.message_en = en.format(at=at, **params)
        self.excerpt = _excerpt(text, position)
        super().__init__(self.message_zh)

    def as_dict(self) -> dict:
        return {"code": self.code, "position": self.position, "message": self.message_zh,
                "message_en": self.message_en, "excerpt": self.excerpt}


def _excerpt(text: str, position: int | None) -> str:
    """The text with a caret under the problem, for terminals and <pre> blocks."""
    if position is None or not text:
        return ""
    # East Asian wide characters take two columns in a terminal.
    pad = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text[:position])
    return f"{text}\n{' ' * pad}^"


# --- the vocabulary: which names mean which element, and how its values are read
@dataclass(frozen=True)
class Term:
    code: str
    name_zh: str
    subject: str
    value_type: str
    aliases: tuple[str, ...] = ()
    name_en: str = ""  # the element's English name (the dictionary's table), read and said in English


ValueParser = Callable[[str, str], "str | None"]  # (element code, raw text) -> canonical


def _plain_parse(value_type: str) -> Callable[[str], str | None]:
    def parse(raw: str) -> str | None:
        parsed = parse_value("text" if value_type == "code" else value_type, raw)
        if parsed is None:
            return None
        value = parsed.value
        if isinstance(value, bool):
            return "1" if value else "0"
        return value.isoformat() if hasattr(value, "isoformat") else str(value)
    return parse


# Spellings a filter may use beyond the dictionary's names and aliases (a header says
# 是否低保对象; an officer says 低保). A short code (age, lives_alone) needs no entry.
EXTRA_SPELLINGS: dict[str, tuple[str, ...]] = {
    "person.lives_alone": ("独居", "独居老人"),
    "person.low_income": ("低保", "低保户", "低保家庭", "低保人员"),
    "person.disability_category": ("残疾", "残疾人"),
    "person.veteran": ("退伍军人",),
    "person.sex": ("gender",),
    "place.is_rental": ("出租", "出租房", "出租屋", "rental"),
}
# For a row of this subject, elements of these subjects hold a value (person rows carry
# their household's values too).
READABLE = {"person": ("person", "household"), "household": ("household",), "place": ("place",)}


class Vocabulary:
    """Element names → codes, and each element's value parser and display."""

    def __init__(self, terms: Iterable[Term], parse: ValueParser | None = None,
                 display: Callable[[str, str], str] | None = None,
                 values_en: Callable[[str], Mapping[str, str]] | None = None) -> None:
        """`values_en(code)`: a coded element's values by their English names ({stored: English}),
        so English filters say and read "Sex in (Female)"."""
        self.terms: dict[str, Term] = {}
        for term in terms:
            self.terms[term.code] = term
        for code, (name, subject, value_type, aliases, _reads, _fn) in DERIVED_FILTER_ELEMENTS.items():
            self.terms.setdefault(code, Term(code, name, subject, value_type, aliases))
        self._parse = parse
        self._display = display
        self._values_en = values_en
        self.by_code = {t.code.casefold(): t.code for t in self.terms.values()}
        self.by_short: dict[str, set[str]] = {}
        self.by_name: dict[str, set[str]] = {}
        for t in self.terms.values():
            self.by_short.setdefault(t.code.split(".", 1)[-1].casefold(), set()).add(t.code)
            for spelling in (t.name_zh, t.name_en, *t.aliases, *EXTRA_SPELLINGS.get(t.code, ())):
                for variant in (spelling, spelling.removeprefix("是否")):
                    key = normalise(variant)
                    if key:
                        self.by_name.setdefault(key, set()).add(t.code)

    def candidates(self, name: str) -> set[str]:
        plain = unicodedata.normalize("NFKC", name).strip().casefold()
        if plain in self.by_code:
            return {self.by_code[plain]}
        return set(self.by_short.get(plain, ())) or set(self.by_name.get(normalise(name), ()))

    def resolve(self, name: str, position: int, text: str, subject: str | None = None) -> Term:
        found = self.candidates(name)
        if len(found) > 1 and subject:
            mine = {c for c in found if self.terms[c].subject == subject} or \
                {c for c in found if self.terms[c].subject in READABLE.get(subject, ())}
            found = mine or found
        if len(found) == 1:
            return self.terms[found.pop()]
        if found:
            options = "、".join(f"{self.terms[c].name_zh}（{c}）" for c in sorted(found))
            raise FilterError("ambiguous_element", position, text, name=name, options=options)
        close = difflib.get_close_matches(normalise(name), list(self.by_name), n=3, cutoff=0.5)
        names = [self.terms[sorted(self.by_name[k])[0]].name_zh for k in close]
        names = list(dict.fromkeys(names))
        raise FilterError("unknown_element", position, text, name=name,
                          hint=f"。您是不是要写：{'、'.join(names)}" if names else "",
                          hint_en=f"; did you mean {', '.join(names)}?" if names else "")

    def parse_value(self, term: Term, raw: str) -> str | None:
        english = {name.casefold(): value for value, name in self.values_in_english(term.code).items()}
        if raw.casefold() in english:
            return english[raw.casefold()]
        if self._parse is not None and term.code not in DERIVED_FILTER_ELEMENTS:
            return self._parse(term.code, raw)
        return _plain_parse(term.value_type)(raw)

    def values_in_english(self, code: str) -> Mapping[str, str]:
        return self._values_en(code) if self._values_en else {}

    def english_name_of(self, code: str) -> str:
        """The English name when it reads back as the same element (quoted if it is several
        words), else the code."""
        term = self.terms.get(code)
        if term is None or not term.name_en or self.candidates(term.name_en) != {code}:
            return code
        return _quoted(term.name_en)

    def show_in_english(self, code: str, value: str) -> str:
        term = self.terms.get(code)
        if term is not None and term.value_type == "boolean":
            return {"1": "yes", "0": "no"}.get(value, value)
        english = self.values_in_english(code).get(value)
        if english and term is not None and self.parse_value(term, english) == value:
            return english
        return value

    def name_of(self, code: str) -> str:
        """The Chinese name when it reads back as the same element, else the code."""
        term = self.terms.get(code)
        if term is None:
            return code
        if self.candidates(term.name_zh) == {code} and _plain_word(term.name_zh):
            return term.name_zh
        return code

    def show(self, code: str, value: str) -> str:
        term = self.terms.get(code)
        if term is not None and term.value_type == "boolean":
            return {"1": "是", "0": "否"}.get(value, value)
        return self._display(code, value) if self._display else value


@functools.cache
def builtin_vocabulary() -> Vocabulary:
    """The shipped dictionary (yibiao/data/core-elements.tsv and aliases.tsv), without a
    database: values by type only (code lists are the database's, see admission.subjects)."""
    from yibiao.matching import load_builtin_dictionary

    return Vocabulary(Term(e.code, e.name_zh, e.subject, e.value_type, e.aliases, english_name(e.name_zh))
                      for e in load_builtin_dictionary().elements.values()
                      if e.subject in ("person", "household", "place"))


def english_name(name_zh: str) -> str:
    """An element's English name from the dictionary's table; "" where it has none."""
    from yibiao.dictionary.words import shown

    english = shown(name_zh, "", "en")
    return "" if english == name_zh else english


# --- the lexer
END, WORD, QUOTED, LPAREN, RPAREN, COMMA = "end", "word", "quoted", "(", ")", ","
COMPARE, IN, PRESENT, ABSENT, AND, OR, NOT = "compare", "in", "present", "absent", "and", "or", "not"

SYMBOLS: list[tuple[str, str, str]] = [  # longest first
    (">=", COMPARE, ">="), ("<=", COMPARE, "<="), ("!=", COMPARE, "!="), ("<>", COMPARE, "!="),
    ("==", COMPARE, "="), ("&&", AND, ""), ("||", OR, ""), ("=", COMPARE, "="), (">", COMPARE, ">"),
    ("<", COMPARE, "<"), ("≥", COMPARE, ">="), ("≧", COMPARE, ">="), ("≤", COMPARE, "<="),
    ("≦", COMPARE, "<="), ("≠", COMPARE, "!="), ("(", LPAREN, ""), (")", RPAREN, ""),
    (",", COMMA, ""), ("、", COMMA, ""),
]
QUOTES = {'"': '"', "'": "'", "“": "”", "‘": "’", "「": "」", "『": "』"}
# Characters that end a word: every symbol's first character, quotes, and a few that are
# never part of a name or value (so `__import__('os')` stops at the parenthesis).
BREAKS = set("".join(s for s, _k, _o in SYMBOLS)) | set(QUOTES) | set("!&|;`$\\")
# Whole words, compared case-insensitively.
WORDS: dict[str, tuple[str, str]] = {
    "and": (AND, ""), "or": (OR, ""), "not": (NOT, ""), "in": (IN, ""),
    "present": (PRESENT, ""), "absent": (ABSENT, ""),
}
# Chinese keywords, found inside runs of characters too (年龄大于60且独居=是).
ZH_WORDS: dict[str, tuple[str, str]] = {
    "并且": (AND, ""), "而且": (AND, ""), "且": (AND, ""), "或者": (OR, ""), "或": (OR, ""),
    "大于或等于": (COMPARE, ">="), "大于等于": (COMPARE, ">="), "不小于": (COMPARE, ">="),
    "不低于": (COMPARE, ">="), "不少于": (COMPARE, ">="),
    "小于或等于": (COMPARE, "<="), "小于等于": (COMPARE, "<="), "不大于": (COMPARE, "<="),
    "不高于": (COMPARE, "<="), "不超过": (COMPARE, "<="), "不多于": (COMPARE, "<="),
    "不等于": (COMPARE, "!="), "等于": (COMPARE, "="), "大于": (COMPARE, ">"), "超过": (COMPARE, ">"),
    "高于": (COMPARE, ">"), "多于": (COMPARE, ">"), "小于": (COMPARE, "<"), "低于": (COMPARE, "<"),
    "少于": (COMPARE, "<"), "不满": (COMPARE, "<"), "未满": (COMPARE, "<"),
    "属于": (IN, ""), "不为空": (PRESENT, ""), "非空": (PRESENT, ""), "有值": (PRESENT, ""),
    "已填写": (PRESENT, ""), "已填": (PRESENT, ""), "为空": (ABSENT, ""), "无值": (ABSENT, ""),
    "未填写": (ABSENT, ""), "未填": (ABSENT, ""),
}
ZH_ORDER = sorted(ZH_WORDS, key=len, reverse=True)
ZH_NOT = "非"  # only at the start of a word: 非户籍 is not(户籍), 是非 is a value


@dataclass(frozen=True)
class Token:
    kind: str
    text: str  # as written (for messages), or the word's text
    position: int  # 0-based index into the original text
    op: str = ""


def _normalised(text: str) -> tuple[str, list[int]]:
    """NFKC per character (full-width → half-width), keeping where each came from."""
    chars, origin = [], []
    for index, char in enumerate(text):
        for c in unicodedata.normalize("NFKC", char):
            chars.append(c)
            origin.append(index)
    origin.append(len(text))
    return "".join(chars), origin


def tokenize(text: str) -> list[Token]:
    if len(text) > MAX_LENGTH:
        raise FilterError("too_long", None, "", length=len(text), limit=MAX_LENGTH)
    norm, origin = _normalised(text)
    tokens: list[Token] = []
    i = 0
    while i < len(norm):
        c = norm[i]
        if c.isspace():
            i += 1
            continue
        if c in QUOTES:
            close = norm.find(QUOTES[c], i + 1)
            if close < 0:
                raise FilterError("unclosed_quote", origin[i], text)
            tokens.append(Token(QUOTED, norm[i + 1:close], origin[i]))
            i = close + 1
            continue
        symbol = next(((s, k, o) for s, k, o in SYMBOLS if norm.startswith(s, i)), None)
        if symbol:
            tokens.append(Token(symbol[1], symbol[0], origin[i], symbol[2]))
            i += len(symbol[0])
            continue
        if c in BREAKS or unicodedata.category(c)[0] == "C":
            raise FilterError("bad_character", origin[i], text, found=c)
        start = i
        while i < len(norm) and not norm[i].isspace() and norm[i] not in BREAKS \
                and unicodedata.category(norm[i])[0] != "C":
            i += 1
        tokens.extend(_split_word(norm[start:i], start, origin))
    tokens.append(Token(END, "", len(text)))
    return tokens


def _split_word(word: str, start: int, origin: list[int]) -> list[Token]:
    """A run of characters: an English keyword as a whole, else Chinese keywords cut out."""
    if word.casefold() in WORDS:
        kind, op = WORDS[word.casefold()]
        return [Token(kind, word, origin[start], op)]
    out: list[Token] = []
    # Keywords are found in the word's Simplified form (屬於, 大於, 為空 read as 属于, 大于,
    # 为空: a page in Traditional shows the filter so), character by character so each
    # keeps its place; the tokens keep the text as written.
    simple = _simplified(word)
    piece = 0  # start of the current plain piece, relative to the word
    i = 0
    while i < len(word):
        keyword = next((k for k in ZH_ORDER if simple.startswith(k, i)), None)
        if keyword is None and i == piece and simple.startswith(ZH_NOT, i):
            keyword = ZH_NOT
        if keyword is None:
            i += 1
            continue
        if i > piece:
            out.append(Token(WORD, word[piece:i], origin[start + piece]))
        kind, op = ZH_WORDS.get(keyword, (NOT, ""))
        out.append(Token(kind, word[i:i + len(keyword)], origin[start + i], op))
        i += len(keyword)
        piece = i
    if piece < len(word):
        out.append(Token(WORD, word[piece:], origin[start + piece]))
    return out


def _simplified(word: str) -> str:
    """The word in Simplified characters, one for one (a character OpenCC would turn into
    two stays as it is: positions must not move)."""
    if word.isascii():
        return word
    out = []
    for char in word:
        converted = simplify(char)
        out.append(converted if len(converted) == 1 else char)
    return "".join(out)


# --- the parser
ORDERED_TYPES = {"integer", "decimal", "date"}
PERIOD_WORDS = {"期末": "{period_end}", "报告期末": "{period_end}", "period_end": "{period_end}",
                "{period_end}": "{period_end}", "期初": "{period_start}", "报告期初": "{period_start}",
                "period_start": "{period_start}", "{period_start}": "{period_start}"}
PERIOD_NAMES = {"{period_end}": ("期末", "period_end"), "{period_start}": ("期初", "period_start")}
VALUE_KINDS = {WORD, QUOTED, NOT, AND, OR, IN, PRESENT, ABSENT}  # a keyword may be a value (是非)
WHAT = {"element": ("数据元名称", "an element name"), "value": ("一个值", "a value"),
        ")": ("“)”", "“)”")}


class _Parser:
    def __init__(self, text: str, vocabulary: Vocabulary, subject: str | None) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.vocabulary = vocabulary
        self.subject = subject
        self.i = 0
        self.depth = 0

    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def fail(self, code: str, token: Token, **params: object) -> FilterError:
        if token.kind == END and code in ("expected_element", "expected_value", "expected_operator"):
            what = {"expected_element": "element", "expected_value": "value"}.get(code, "value")
            zh, en = WHAT[what] if code != "expected_operator" else ("比较符", "a comparison")
            return FilterError("incomplete", token.position, self.text, what=zh, what_en=en)
        return FilterError(code, token.position, self.text, found=token.text, **params)

    def parse(self) -> dict | None:
        if self.peek().kind == END:
            return None
        node = self.or_()
        token = self.peek()
        if token.kind == RPAREN:
            raise self.fail("unexpected_close", token)
        if token.kind != END:
            raise self.fail("expected_connective", token)
        return node

    def _join(self, op: str, nodes: list[dict]) -> dict:
        if len(nodes) == 1:
            return nodes[0]
        flat: list[dict] = []
        for node in nodes:
            flat.extend(node[op] if op in node else [node])
        return {op: flat}

    def or_(self) -> dict:
        nodes = [self.and_()]
        while self.peek().kind == OR:
            self.take()
            nodes.append(self.and_())
        return self._join("or", nodes)

    def and_(self) -> dict:
        nodes = [self.not_()]
        while self.peek().kind == AND:
            self.take()
            nodes.append(self.not_())
        return self._join("and", nodes)

    def _deeper(self, token: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FilterError("too_deep", token.position, self.text, limit=MAX_DEPTH)

    def not_(self) -> dict:
        token = self.peek()
        if token.kind == NOT:
            self.take()
            self._deeper(token)
            node = self.not_()
            self.depth -= 1
            return node["not"] if "not" in node else {"not": node}  # not not x is x
        return self.primary()

    def primary(self) -> dict:
        token = self.peek()
        if token.kind == LPAREN:
            self.take()
            self._deeper(token)
            if self.peek().kind == RPAREN:
                raise FilterError("empty_group", token.position, self.text)
            node = self.or_()
            close = self.peek()
            if close.kind == END:
                raise FilterError("unclosed", token.position, self.text)
            if close.kind != RPAREN:
                raise self.fail("expected_connective", close)
            self.take()
            self.depth -= 1
            return node
        if token.kind == RPAREN:
            raise self.fail("unexpected_close", token)
        if token.kind in (WORD, QUOTED):
            return self.condition()
        raise self.fail("expected_element", token)

    def condition(self) -> dict:
        name = self.take()
        term = self.vocabulary.resolve(name.text, name.position, self.text, self.subject)
        if self.subject and term.subject not in READABLE.get(self.subject, (self.subject,)):
            element_subject = SUBJECT_NAMES.get(term.subject, (term.subject, term.subject))
            row_subject = SUBJECT_NAMES.get(self.subject, (self.subject, self.subject))
            raise FilterError("wrong_subject", name.position, self.text, name=name.text,
                              element_subject=element_subject[0], element_subject_en=element_subject[1],
                              row_subject=row_subject[0], row_subject_en=row_subject[1])
        token = self.take()
        if token.kind in (PRESENT, ABSENT):
            return {"element": term.code, "op": token.kind}
        if token.kind == COMPARE:
            if token.op not in ("=", "!=") and term.value_type not in ORDERED_TYPES:
                kind = KIND_NAMES.get(term.value_type, (term.value_type, term.value_type))
                raise FilterError("ordering", token.position, self.text, name=name.text,
                                  kind=kind[0], kind_en=kind[1], op=token.text)
            return {"element": term.code, "op": token.op, "value": self.value(term, token)}
        if token.kind == IN:
            values = []
            bracketed = self.peek().kind == LPAREN
            if bracketed:
                opening = self.take()
            values.append(self.value(term, token))
            while self.peek().kind == COMMA:
                self.take()
                values.append(self.value(term, token))
            if bracketed:
                if self.peek().kind != RPAREN:
                    if self.peek().kind == END:
                        raise FilterError("unclosed", opening.position, self.text)
                    raise self.fail("expected_connective", self.peek())
                self.take()
            return {"element": term.code, "op": "in", "value": values}
        self.i -= 1
        raise self.fail("expected_operator", token, name=name.text)

    def value(self, term: Term, operator: Token) -> str:
        token = self.peek()
        if token.kind not in VALUE_KINDS:
            raise self.fail("expected_value", token, op=operator.text)
        self.take()
        raw = token.text.strip()
        if term.value_type == "date" and raw.casefold() in PERIOD_WORDS:
            return PERIOD_WORDS[raw.casefold()]
        try:
            parsed = self.vocabulary.parse_value(term, raw)
        except ValueProblem as problem:
            raise FilterError("bad_value", token.position, self.text, problem=problem.message_zh,
                              problem_en=problem.message_en) from None
        if parsed is None:
            raise self.fail("expected_value", token, op=operator.text)
        return parsed


def parse(text: str, vocabulary: Vocabulary, subject: str | None = None) -> dict | None:
    """The tree for a filter's text; None for an empty filter (everyone). Raises FilterError.

    `subject` is what one row of the table is (person, household, place): a condition on
    another subject's element is refused, and an ambiguous name prefers this subject's.
    """
    return _Parser(text or "", vocabulary, subject).parse()


# --- trees
def as_tree(stored: object) -> dict | None:
    """A stored subject_filter as a tree: the older flat list is an AND; empty is None."""
    if not stored:
        return None
    if isinstance(stored, Mapping):
        return dict(stored)
    leaves = [dict(c) for c in stored]  # type: ignore[union-attr]
    return leaves[0] if len(leaves) == 1 else {"and": leaves}


def elements_of(stored: object) -> list[str]:
    """Every element a filter names, in order, once."""
    found: list[str] = []

    def walk(node: Mapping) -> None:
        for op in ("and", "or"):
            if op in node:
                for child in node[op]:
                    walk(child)
                return
        if "not" in node:
            walk(node["not"])
            return
        if node.get("element") and node["element"] not in found:
            found.append(node["element"])

    tree = as_tree(stored)
    if tree:
        walk(tree)
    return found


def _plain_word(text: str) -> bool:
    """Text that the lexer reads back as one word, unquoted."""
    try:
        tokens = tokenize(text)
    except FilterError:
        return False
    return len(tokens) == 2 and tokens[0].kind == WORD and tokens[0].text == unicodedata.normalize("NFKC", text)


def _quoted(text: str) -> str:
    return text if _plain_word(text) else f"“{text}”"


OP_WORDS = {"en": {"present": "present", "absent": "absent", "in": "in", "and": "and", "or": "or", "not": "not"},
            "zh-hans": {"present": "有值", "absent": "为空", "in": "属于", "and": "且", "or": "或", "not": "非"},
            "zh-hant": {"present": "有值", "absent": "為空", "in": "屬於", "and": "且", "or": "或", "not": "非"}}


def describe(stored: object, vocabulary: Vocabulary, *, english: bool = False,
             language: str = "zh-hans") -> str:
    """The filter as text in `language` (zh-hans, zh-hant or en; `english` says en), which
    parses back to the same tree; "" for none.

    Chinese: names and value names (年龄 >= 65 且 是否独居 = 是), in Traditional the same
    through OpenCC (年齡 >= 65 且 是否獨居 = 是; a text value stays as stored: it is
    compared as written); English: English names and values where the dictionary has them
    (Age >= 65 and “Lives alone” = yes), else codes and stored values (person.in_quarantine = 1).
    """
    tree = as_tree(stored)
    if not tree:
        return ""
    language = "en" if english else language if language in OP_WORDS else "zh-hans"
    english = language == "en"
    words = OP_WORDS[language]

    def said(text: str) -> str:
        if language != "zh-hant":
            return text
        from yibiao.refusals import to_traditional

        return to_traditional(text)

    def text(node: Mapping, parent: str = "") -> str:
        for op in ("and", "or"):
            if op in node:
                inner = f" {words[op]} ".join(text(child, op) for child in node[op])
                return f"({inner})" if parent else inner
        if "not" in node:
            return f"{words['not']} ({text(node['not'])})"
        code, op = node["element"], node["op"]
        name = vocabulary.english_name_of(code) if english else said(vocabulary.name_of(code))
        term = vocabulary.terms.get(code)
        typed = term is not None and term.value_type == "text"

        def value(v: str) -> str:
            if v in PERIOD_NAMES:
                return PERIOD_NAMES[v][1 if english else 0]
            if english:
                return _quoted(vocabulary.show_in_english(code, v))
            shown = vocabulary.show(code, v)
            return _quoted(shown if typed else said(shown))

        if op in ("present", "absent"):
            return f"{name} {words[op]}"
        if op == "in":
            values = node["value"] if isinstance(node["value"], list) else node["value"].split("|")
            sep = ", " if english else "、"
            return f"{name} {words['in']} ({sep.join(value(v) for v in values)})"
        return f"{name} {op} {value(str(node.get('value', '')))}"

    return text(tree)


# --- suggestions from a template's title, sheet name and headers
@dataclass(frozen=True)
class Pattern:
    key: str  # one condition per key: the first matching row of a key wins
    pattern: re.Pattern[str]
    filter: str  # in the language, with \1 for the pattern's groups
    subject: str
    status: str  # auto | suggested


@dataclass
class Suggestion:
    tree: dict
    status: str  # auto | suggested
    reasons: list[str] = field(default_factory=list)  # in Simplified Chinese (the command line's)
    subject: str = "person"
    # Each reason as data, said in any language by `reason_in`: {"where": "title" | "header",
    # "text": the title or header as written, "words": the words in it that suggest}.
    parts: list[dict] = field(default_factory=list)

    def as_dict(self, vocabulary: Vocabulary, language: str = "zh-hans") -> dict:
        return {"filter": self.tree, "text": describe(self.tree, vocabulary, language=language),
                "status": self.status, "reason": reason_in(self.parts, language) if self.parts
                else "；".join(self.reasons), "reason_en": reason_in(self.parts, "en"),
                "reasons": self.parts, "subject": self.subject}


# Why the system suggests a filter, per language: (in the title, in a header, between two).
REASON_WORDS = {
    "zh-hans": ("表名“{text}”中的“{words}”", "表头“{text}”中的“{words}”", "；"),
    "zh-hant": ("表名“{text}”中的“{words}”", "表頭“{text}”中的“{words}”", "；"),
    "en": ("“{words}” in the title “{text}”", "“{words}” in the header “{text}”", "; "),
}


def reason_in(parts: Iterable[Mapping], language: str = "zh-hans",
              data: Callable[[str], str] = str) -> str:
    """A suggestion's reasons in the language; the title and header stay as written (data,
    each passed through `data`: a page marks it as such)."""
    title, header, sep = REASON_WORDS.get(language, REASON_WORDS["zh-hans"])
    return sep.join((title if p.get("where") == "title" else header).format(
        text=data(p.get("text", "")), words=data(p.get("words", ""))) for p in parts)


@functools.cache
def suggestion_patterns(path: Path = SUGGESTIONS) -> tuple[Pattern, ...]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.reader(handle, delimiter="\t") if r and not r[0].startswith("#")]
    header, body = rows[0], rows[1:]
    idx = {name: i for i, name in enumerate(header)}
    return tuple(Pattern(r[idx["key"]], re.compile(r[idx["pattern"]]), r[idx["filter"]],
                         r[idx["subject"]], r[idx["status"]]) for r in body)


# A header naming whose row it is (老人姓名, 残疾人身份证号): its qualifier is evidence.
QUALIFIED_NAME = re.compile(r"^(.+?)(?:姓名|名字|身份证号码|身份证号|公民身份号码|证件号码)$")
ROW_SUBJECTS = {"person": "person", "unknown": "person", "household": "household", "place": "place"}


def suggest(title: str, sheet_names: Iterable[str], headers: Iterable[str], subject: str,
            vocabulary: Vocabulary) -> Suggestion | None:
    """The filter a template's own words imply (独居老人 → 年龄 >= 60 且 是否独居 = 是).

    Texts are compared as values.normalise.lookup_key gives them (traditional →
    simplified, full-width → half-width, no spaces; dashes kept for 0-6岁). The title and
    sheet names are read through the pattern table; a header is read only
    when it names the row's subject (老人姓名), and then suggests at most. Patterns about
    another subject than the sheet's rows (出租房屋 on a list of people) are left out.
    """
    row_subject = ROW_SUBJECTS.get(subject, subject)
    texts = [(t, "title") for t in (title, *sheet_names) if t]
    for header in headers:
        m = QUALIFIED_NAME.match(normalise(header or ""))
        if m:
            texts.append((m.group(1), f"header:{header}"))
    chosen: dict[str, tuple[dict, str, tuple[str, str, str]]] = {}
    for pattern in suggestion_patterns():
        if pattern.key in chosen or pattern.subject != row_subject:
            continue
        for raw, where in texts:
            m = pattern.pattern.search(lookup_key(raw))
            if not m:
                continue
            tree = parse(m.expand(pattern.filter), vocabulary, row_subject)
            if tree is None:
                break
            status = pattern.status if where == "title" else "suggested"
            # (where, the title or the header as written, the words that suggest)
            source = ("title", raw, m.group(0)) if where == "title" else ("header", where[7:], m.group(0))
            chosen[pattern.key] = (tree, status, source)
            break
    if not chosen:
        return None
    trees = [tree for tree, _s, _r in chosen.values()]
    tree = trees[0] if len(trees) == 1 else {"and": [
        leaf for t in trees for leaf in (t["and"] if "and" in t else [t])]}
    status = "auto" if all(s == "auto" for _t, s, _r in chosen.values()) else "suggested"
    found = [r for _t, _s, r in chosen.values()]
    # 独居老人 gives the age and 独居 the living alone: one reason, the longer words.
    parts = [{"where": where, "text": text, "words": words} for where, text, words in dict.fromkeys(found)
             if not any(o != (where, text, words) and o[:2] == (where, text) and words in o[2] for o in found)]
    return Suggestion(tree, status, [reason_in([p]) for p in parts], row_subject, parts)


def same(a: object, b: object) -> bool:
    """Two stored filters select the same rows (the same tree, or both empty)."""
    return as_tree(a) == as_tree(b)
