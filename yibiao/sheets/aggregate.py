"""Is a sheet a statistical table (统计表), and what is one of its rows?

A roster (花名册) describes one subject per row: a person's name, ID number, birth date.
A statistical table counts: each row is an org unit (社区（村）、乡镇（街道）、网格、单位)
or a category (年龄段 0-17岁 …, 男/女, 学历), and each other column a count (总户数,
总人口, 其中：男, 60周岁以上 …). It is recognised as a person would: by the row column's
header or by its labels (names that end like 社区/村/街道, age bands, 男/女), and by
the other columns' headers, which count things and never describe one person.

Pure Python over a read layout; the words are tables, not code per form. Whether a row
label names a unit of the org tree is the database's to say: `promote` takes that
answer from the caller (admission and `template inspect` give it).
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence

from .model import Column, RowDimension, SheetLayout

# Header of the row column -> org level. Tried in order; the finest level named wins, so
# 乡镇（街道）社区 is a community. "child": the rows are the children of the unit filled.
ORG_HEADERS: tuple[tuple[str, str], ...] = (
    ("grid", r"网格"),
    ("community", r"社区|村|居委会|居委|嘎查"),
    ("township", r"乡镇|街道|街办|镇|乡|办事处|苏木"),
    ("county", r"县|市区|区县|旗"),
    ("child", r"^(?:单位|单位名称|地区|区域|辖区|名称|地名|行政区划|区划|组织|机构|部门)$"),
)
LEVEL_ORDER = ("grid", "community", "township", "county", "child")
# A row column never counts: a header holding these is a count, not a name (社区人口数).
NOT_A_NAME = re.compile(r"人口|人数|户数|个数|数量|总数|合计|小计|[0-9]")
# Header of a row column whose rows are categories.
CATEGORY_HEADER = re.compile(
    r"^(?:年龄段|年龄组|年龄分组|年龄|年龄结构|分组|组别|类别|类型|分类|项目|指标|指标名称|性别|学历|"
    r"文化程度|受教育程度|民族|政治面貌|婚姻状况|残疾类别|残疾等级|人群|人群分类|人员类别|人员类型)$")
# Row labels: names of org units, and categories.
ORG_NAME = re.compile(r"(?:社区|村|街道|镇|乡|网格|居委会|村委会|办事处|嘎查|苏木)$")
AGE_BAND = re.compile(r"^\d{1,3}(?:周岁|岁)?(?:[-~～—–至到]\d{1,3}(?:周岁|岁)?|(?:周岁|岁)(?:及|或)?(?:以上|以下|及以上|及以下)|"
                      r"(?:周岁|岁)?以上|(?:周岁|岁)?以下)$|^(?:不满|未满|满)\d{1,3}(?:周岁|岁)$")
SEX_LABEL = re.compile(r"^(?:男|女|男性|女性)$")
# Columns that are neither the row's name nor a count.
SEQUENCE = re.compile(r"^(?:序号|序|编号|顺序号|行次|栏次)$")
REMARK = re.compile(r"^(?:备注|说明|附注|其他|其它)$")
# Headers that describe one person or one household: a roster, not a statistical table.
ROSTER_WORDS = re.compile(
    r"姓名|名字|身份证|证件号|公民身份|出生|电话|手机|联系方式|住址|地址|门牌|户主|证号|与户主关系|"
    r"^性别$|^年龄$|^民族$|^学历$|^文化程度$|日期|时间|签字|签名|工作单位|职业|^婚姻状况$|^政治面貌$")
# Words of a count column's header (总户数, 其中：男, 60周岁以上, 独居老人, 低保户数 …).
COUNT_WORDS = re.compile(
    r"数|人口|户|^男|^女|男性|女性|其中|岁|老人|老年|儿童|少年|青年|妇女|残疾|低保|特困|独居|空巢|孤寡|留守|"
    r"退役|军人|孕|流动|户籍|常住|暂住|人员|对象|合计|小计|总计|人次|金额|元|比例|占比|率|以上|以下|%|"
    r"党员|学生|失能|高龄|困难|优抚|重点|人$|个$|名$")
LABEL_SAMPLE_ROWS = 60  # row labels read for a decision (the stored head holds 100 rows)


def clean(text: str) -> str:
    """NFKC, no spaces or brackets (the words inside kept): '社区（村）' -> '社区村'."""
    t = unicodedata.normalize("NFKC", text or "")
    return re.sub(r"[\s()\[\]【】<>《》:：、,，.。·\-_/\\|]+", "", t)


def org_level(header: str) -> str | None:
    """The org level a row column's header names, or None."""
    t = clean(header)
    if not t or len(t) > 14 or NOT_A_NAME.search(t):
        return None
    for level, pattern in ORG_HEADERS:
        if re.search(pattern, t):
            return level
    return None


def is_category_header(header: str) -> bool:
    return bool(CATEGORY_HEADER.match(clean(header)))


def label_kind(labels: Sequence[str]) -> str | None:
    """"org" when most labels are unit names, "category" when they are age bands or 男/女."""
    texts = [clean(x) for x in labels if clean(x)]
    if len(texts) < 2:
        return None
    if sum(1 for t in texts if ORG_NAME.search(t)) >= 0.6 * len(texts):
        return "org"
    if sum(1 for t in texts if AGE_BAND.match(t) or SEX_LABEL.match(t)) >= 0.6 * len(texts):
        return "category"
    return None


def is_count_header(column: Column) -> bool:
    leaf = clean(column.header)
    return bool(COUNT_WORDS.search(leaf)) or any(COUNT_WORDS.search(clean(p)) for p in column.path[:-1])


def is_roster_header(column: Column) -> bool:
    return bool(ROSTER_WORDS.search(clean(column.header)))


def detect(layout: SheetLayout, labels: dict[int, list[tuple[int, str]]]) -> RowDimension | None:
    """The row dimension of a statistical table, or None when the sheet is not one.

    `labels` holds, per column index, the (row, text) of the data region's cells (totals
    rows left out). The row column is the first after 序号 (the last of several leading
    org columns: 乡镇（街道）|社区（村） is a row per community); the others must count.
    """
    columns = [c for c in layout.columns if not SEQUENCE.match(clean(c.header))]
    if len(columns) < 2:
        return None
    found: RowDimension | None = None
    position = 0
    for i, column in enumerate(columns[:3]):
        level = org_level(column.header)
        if level is None and label_kind([t for _r, t in labels.get(column.index, [])]) != "org":
            break
        reason = f"表头“{column.header}”" if level else "行名称是社区（村）、街道等单位"
        found = RowDimension("org", column.index, column.letter, column.header, level or "child",
                             reason=reason)
        position = i
    first = columns[0]
    rows = labels.get(first.index, [])
    if found is None and (is_category_header(first.header) or label_kind([t for _r, t in rows]) == "category"):
        found = RowDimension("category", first.index, first.letter, first.header,
                             labels=[t for _r, t in rows], label_rows=[r for r, _t in rows],
                             reason=(f"表头“{first.header}”" if is_category_header(first.header)
                                     else "行名称是年龄段或性别"))
    if found is None:
        return None
    rest = [c for c in columns[position + 1:] if not REMARK.match(clean(c.header))]
    if not rest or any(is_roster_header(c) for c in rest):
        return None
    if sum(1 for c in rest if is_count_header(c)) < 0.6 * len(rest):
        return None
    if found.kind == "category" and not found.labels:
        return None  # a category table with no row labels has no rows to count
    return found


def fallback(layout: SheetLayout, labels: dict[int, list[tuple[int, str]]]) -> RowDimension:
    """The row column of a table read as statistical by its count headers alone: the first
    after 序号, its rows the children of the unit filled (or its labels, when they are
    categories)."""
    columns = [c for c in layout.columns if not SEQUENCE.match(clean(c.header))] or layout.columns
    first = columns[0]
    rows = labels.get(first.index, [])
    if label_kind([t for _r, t in rows]) == "category" or is_category_header(first.header):
        return RowDimension("category", first.index, first.letter, first.header,
                            labels=[t for _r, t in rows], label_rows=[r for r, _t in rows],
                            reason="行名称是年龄段或性别")
    return RowDimension("org", first.index, first.letter, first.header, org_level(first.header) or "child",
                        reason="各列均为计数")


def promote(layout: SheetLayout, is_unit_name: Callable[[list[str]], bool]) -> bool:
    """A sheet read as a list whose first column's names are units of the org tree (asked of
    the caller, which holds the tree) and whose other columns count: an aggregate. Returns
    whether the layout changed."""
    if layout.layout != "list":
        return False
    columns = [c for c in layout.columns if not SEQUENCE.match(clean(c.header))]
    if len(columns) < 2 or not columns[0].samples or not is_unit_name(list(columns[0].samples)):
        return False
    rest = [c for c in columns[1:] if not REMARK.match(clean(c.header))]
    if not rest or any(is_roster_header(c) for c in rest) or \
            sum(1 for c in rest if is_count_header(c)) < 0.6 * len(rest):
        return False
    first = columns[0]
    layout.layout = "aggregate"
    layout.rows = RowDimension("org", first.index, first.letter, first.header,
                               org_level(first.header) or "child", reason="行名称是本系统的单位")
    return True


def as_dict(dimension: RowDimension | None) -> dict | None:
    if dimension is None:
        return None
    out = {"kind": dimension.kind, "column": dimension.letter, "index": dimension.column,
           "header": dimension.header, "reason": dimension.reason}
    if dimension.kind == "org":
        out["level"] = dimension.level
    else:
        out["labels"] = list(dimension.labels)
        out["label_rows"] = list(dimension.label_rows)
    return out
