"""What an aggregate table's cell counts, read from its headers as a clerk reads them.

A count column's header path (总人口 › 其中：男, 60周岁以上 › 其中：女, 低保户数) and, on a
table by category, the row's label (0-17岁, 80岁及以上, 男) become an indicator: what is
counted (persons or households) and the conditions they meet, in the flat list of
{"element", "op", "value"} leaves that reports/rollup.py counts in one query.

The words are the same table the subject filter reads (data/subject_filters.tsv: 60周岁以上
is 年龄 >= 60, 独居老人 is 年龄 >= 60 且 独居) plus a few that only a count column uses
(男/女, 户籍人口, 流动人口, the totals' words). Each reading has a status as header
mappings have: `auto` when every word of the header was understood, `suggested` when a
word was not (a person confirms it at admission, and it is learned), `unmapped` when
nothing was. Pure: no database; the learned readings are passed in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field

from yibiao.values.normalise import lookup_key

from . import filterlang
from .filters import NOT_A_STATE

AUTO, SUGGESTED, UNMAPPED, CONFIRMED = "auto", "suggested", "unmapped", "confirmed"
AUTO_CONFIDENCE, SUGGESTED_CONFIDENCE, LEARNED_CONFIDENCE = 0.95, 0.7, 0.97

# (key, pattern over the normalised words, filter in the language or "" for none).
# After subject_filters.tsv's rows; one condition per key, the most specific word first.
COUNT_PATTERNS: tuple[tuple[str, str, str], ...] = (
    ("sex", r"男", "person.sex = 1"),
    ("sex", r"(?<![子妇])女|妇女", "person.sex = 2"),
    ("hukou", r"户籍人口|本地户籍|户籍", "person.hukou_type = 1"),
    ("hukou", r"外地户籍|外来人口", "person.hukou_type = 2"),
    ("residence", r"流动人口|暂住人口|流动|暂住", "person.residence_status = 2"),
    ("residence", r"常住人口", "person.residence_status = 1"),
)
# Words that name the whole (总人口, 户数, 合计): no condition of their own.
TOTAL_WORDS = re.compile(r"总人口|人口总数|人口数|总户数|户数|人数|总数|合计|小计|总计|人口|居民|户$|人$")
# Words left over that say nothing about who is counted.
FILLER_WORDS = ("其中", "小计", "合计", "总计", "总", "人口", "人数", "户数", "户", "人次", "人员", "人", "数量",
                "数", "名", "个", "老年人", "老年", "老人", "居民", "对象", "群众", "及", "以上", "周岁", "岁",
                "的", "情况", "共", "计", "统计")
FILLER = re.compile("|".join(sorted(FILLER_WORDS, key=len, reverse=True)) + r"|[:()\[\]、,.·%-]")
HOUSEHOLDS = re.compile(r"户数|户$|户\)|家庭数|家庭$")
SUBTOTAL = re.compile(r"^(?:其中|小计|合计|总计)")
# An age band written without 岁 under a 年龄 header: 18-59, 60以上.
BARE_AGE = re.compile(r"^\d{1,3}(?:-|~|至|到)\d{1,3}$|^\d{1,3}(?:及)?(?:以上|以下)$")


@dataclass
class Indicator:
    """What one cell counts: `count` persons or households meeting every leaf of `filter`."""

    count: str
    filter: list[dict] = field(default_factory=list)
    status: str = AUTO
    confidence: float = AUTO_CONFIDENCE
    reason: str = ""
    text: str = ""  # the words it was read from (the learned key)

    def as_dict(self) -> dict:
        return asdict(self)


def key_of(words: Iterable[str]) -> str:
    """The learned key of a header path: its words normalised and joined with ›."""
    return "›".join(_plain(w) for w in words if _plain(w))


def _plain(text: str) -> str:
    return lookup_key(text or "").replace(":", "").replace("：", "")


def _leaves(tree: dict | None) -> list[dict]:
    if not tree:
        return []
    return [dict(x) for x in tree["and"]] if "and" in tree else [dict(tree)]


def read_indicator(words: Sequence[str], learned: Mapping[str, dict] | None = None,
                   vocabulary: filterlang.Vocabulary | None = None) -> Indicator:
    """The indicator a header path (root first, leaf last) names.

    The deepest word decides a condition first: 60周岁以上 › 其中：80周岁以上 counts 80+.
    """
    key = key_of(words)
    if learned and key in learned:
        found = dict(learned[key])
        return Indicator(found.get("count", "person"), list(found.get("filter", [])), AUTO,
                         LEARNED_CONFIDENCE, "已学习（此前有人确认）", key)
    vocabulary = vocabulary or filterlang.builtin_vocabulary()
    plain = [_plain(w) for w in words if _plain(w)]
    if not plain:
        return Indicator("person", [], UNMAPPED, 0.0, "表头为空", key)
    if any(NOT_A_STATE.search(w) for w in plain):
        return Indicator("person", [], UNMAPPED, 0.0,
                         "本期新增、变动或办理次数不是台账某一时点的状态，需基层填写", key)
    chosen: dict[str, list[dict]] = {}
    weak: list[str] = []
    understood = False
    leftovers = []
    for word in reversed(plain):
        rest = word
        for pattern in filterlang.suggestion_patterns():
            if pattern.subject != "person":
                continue
            m = pattern.pattern.search(word)
            if not m:
                continue
            rest = rest.replace(m.group(0), " ")
            understood = True
            if pattern.key not in chosen:
                chosen[pattern.key] = _leaves(filterlang.parse(m.expand(pattern.filter), vocabulary, "person"))
                if pattern.status != AUTO:
                    weak.append(m.group(0))
        for k, pattern_text, filter_text in COUNT_PATTERNS:
            m = re.search(pattern_text, rest)
            if not m:
                continue
            rest = rest.replace(m.group(0), " ", 1)
            understood = True
            if k not in chosen:
                chosen[k] = _leaves(filterlang.parse(filter_text, vocabulary, "person"))
        if TOTAL_WORDS.search(word):
            understood = True
        leftovers.append(FILLER.sub("", rest.replace(" ", "")))
    whole = "".join(plain)
    counted = "household" if HOUSEHOLDS.search(whole) and not re.search(r"户籍", whole) else "person"
    leaves = [leaf for k in chosen for leaf in chosen[k]]
    left = "".join(x for x in reversed(leftovers) if x)
    if not understood:
        return Indicator(counted, [], UNMAPPED, 0.0, f"没有读懂表头“{'›'.join(words)}”", key)
    if left:
        return Indicator(counted, leaves, SUGGESTED, SUGGESTED_CONFIDENCE,
                         f"“{left}”未能读懂，请核对", key)
    if weak:
        return Indicator(counted, leaves, SUGGESTED, 0.8,
                         f"“{'、'.join(weak)}”的口径是推测的，请核对", key)
    return Indicator(counted, leaves, AUTO, AUTO_CONFIDENCE, "表头的每个词均已读懂", key)


def column_paths(paths: Sequence[Sequence[str]], skip: Iterable[int] = ()) -> list[list[str]]:
    """Each column's path with the parent a flat 其中 header leans on: in
    总人口 | 其中：男 | 其中：女 | 60周岁以上 | 其中：女 the last column is 60周岁以上 › 其中：女.
    `skip`: positions that are no count (序号, the row's name), never a parent."""
    skipped = set(skip)
    out: list[list[str]] = []
    parent: list[str] | None = None
    for i, path in enumerate(paths):
        path = [p for p in path if p and p.strip()]
        if i in skipped or not path:
            out.append(list(path))
            continue
        leaf = _plain(path[-1])
        if len(path) == 1 and leaf.startswith("其中") and parent:
            out.append([*parent, path[-1]])
            continue
        out.append(list(path))
        if len(path) > 1:
            parent = list(path[:-1])  # a flat 其中 after a group's column belongs to the group
        elif not SUBTOTAL.match(leaf):
            parent = list(path)
    return out


def category_words(header: str, label: str) -> list[str]:
    """A category row's label as words an indicator is read from: 18-59 under 年龄段 is
    18-59岁."""
    plain = _plain(label)
    if "年龄" in _plain(header) and BARE_AGE.match(plain):
        m = re.match(r"^(\d{1,3}(?:(?:-|~|至|到)\d{1,3})?)(.*)$", plain)
        return [f"{m.group(1)}岁{m.group(2)}"] if m else [label]
    return [label]


def combine(row: Indicator, column: Indicator) -> Indicator:
    """A cell of a table by category: the row's conditions and the column's together; the
    weaker status and confidence of the two."""
    rank = {UNMAPPED: 0, SUGGESTED: 1, AUTO: 2, CONFIRMED: 2}
    weaker = row if rank.get(row.status, 0) < rank.get(column.status, 0) else column
    counted = "household" if "household" in (row.count, column.count) else "person"
    elements = {leaf["element"] for leaf in column.filter}
    # The column's own word wins where both speak of one element (a 合计 row is no condition).
    leaves = [leaf for leaf in row.filter if leaf["element"] not in elements or leaf["op"] != "="] + column.filter
    return Indicator(counted, leaves, weaker.status, min(row.confidence, column.confidence),
                     weaker.reason, f"{row.text}×{column.text}")


@dataclass
class AggregateReading:
    """An aggregate sheet read for counting: what a row is (with each category's own
    indicator) and what each column counts (None: no count — 序号, the row's name, an org
    or meta column, 备注)."""

    rows: dict | None
    columns: list[Indicator | None]


REMARK = re.compile(r"^(?:备注|说明|附注)$")


def read_aggregate(layout: object, elements: Sequence[str | None],
                   learned: Mapping[str, dict] | None = None,
                   vocabulary: filterlang.Vocabulary | None = None) -> AggregateReading:
    """Every count column's indicator of an aggregate layout (sheets.SheetLayout), and each
    category row's. `elements` are the columns' matched elements (org and meta columns are
    filled by the system, not counted)."""
    from yibiao.sheets.aggregate import as_dict

    dimension = getattr(layout, "rows", None)
    columns = list(getattr(layout, "columns", []))
    skip = {i for i, c in enumerate(columns)
            if (dimension is not None and c.index == dimension.column)
            or (elements[i] or "").startswith(("org.", "meta.")) or REMARK.match(_plain(c.header))}
    paths = column_paths([list(c.path) for c in columns], skip)
    found = [None if i in skip else read_indicator(paths[i], learned, vocabulary) for i in range(len(columns))]
    rows = as_dict(dimension)
    if rows is not None and dimension.kind == "category":
        rows["categories"] = [
            {"label": label, "row": row,
             "indicator": read_indicator(category_words(dimension.header, label), learned, vocabulary).as_dict()}
            for label, row in zip(dimension.labels, dimension.label_rows, strict=True)]
    return AggregateReading(rows, found)
