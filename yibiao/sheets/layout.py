"""Find a sheet's header block, blanks, notes, totals and layout kind, as a person would.

The analysis works on the sparse Grid and only ever loops over cells that exist or over
the first SCAN_ROWS rows, so a hostile bounding box cannot make it slow. Rows below the
grid's stored head stream past once (`Grid.tail`); each is classified with cheap character
tests first, so a roster of a million rows costs no OpenCC conversion per cell.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

import opencc
from openpyxl.utils import get_column_letter

from .budget import Budget
from .grid import Grid, Value
from .model import Blank, Column, Note, SheetLayout

SCAN_ROWS = 60
MAX_HEADER_DEPTH = 6
SAMPLE_ROWS = 5
SAMPLES_PER_COLUMN = 5

# Labels of the blanks a department puts around its table, filled by the reporting unit.
BLANK_LABELS = (
    "填报单位", "填表单位", "报送单位", "统计单位", "单位名称", "单位盖章", "盖章",
    "填报日期", "填表日期", "报送日期", "统计日期", "统计时间", "截止日期", "截至日期",
    "填报人", "填表人", "制表人", "统计人", "经办人", "审核人", "审批人",
    "负责人", "单位负责人", "分管领导", "联系人", "联系电话", "填报时间", "日期",
)
NOTE_RE = re.compile(r"^\s*(?:注|说明|备注|附注|填表说明|填报说明|填写说明)\s*[0-9一二三四五六七八九十]*\s*[:：、.．]")
TOTAL_WORDS = ("合计", "总计", "小计", "共计", "累计", "总数")
COLUMN_NUMBER_TOKENS = set("甲乙丙丁戊己庚辛") | {"栏次", "序", "行次", "栏号"}
# A column number written as text: 1, （1）, (1), 1栏, 第1栏, ①.
COLUMN_NUMBER_RE = re.compile(r"^(?:第)?[（(]?(\d{1,3})[)）]?(?:栏|列)?$")
CIRCLED = {chr(0x2460 + i): i + 1 for i in range(20)}  # ① … ⑳
# Totals rows beyond the bare words: 总合计, 全县合计, 本页小计.
TOTAL_ENDINGS = ("合计", "总计", "小计")
# What a template puts in a cell to say "a value goes here": {{name}}, ${name}, N (the
# last numbered row), …; read as empty, never as a sample value.
PLACEHOLDER_RE = re.compile(r"^(?:\{\{.*\}\}|\$\{.*\}|<<.*>>|《.*》|[NnＮ]|…+|\.{3,}|⋯+|⋮|……|略)$")
# A card's answer offered as options in the value cell: □男 □女, ○是 ○否.
OPTION_MARKS = ("□", "☐", "○", "◯", "口男", "口女", "口是", "口否")
CARD_MAX_ROWS = 2000  # a questionnaire card runs past 100 rows; a label past this is not read
# Leaf-header endings that mean "a count or an amount": the columns of a statistical table.
COUNT_ENDINGS = ("数", "人数", "户数", "个数", "数量", "人次", "合计", "小计", "总计", "比例", "率", "金额", "万元", "元", "占比")
UNIT_BRACKET_RE = re.compile(r"[（(]\s*(?:人|户|个|元|万元|%|％|人次|家|套|间|次|岁|天)\s*[)）]\s*$")
LABEL_COLON_RE = re.compile(r"^\s*([^:：]{1,16}?)\s*(?:[（(][^)）]{0,12}[)）])?\s*[:：]\s*(.*)$", re.DOTALL)
ID_LIKE_RE = re.compile(r"^\d{15}$|^\d{17}[\dXx]$|^1[3-9]\d{9}$")
# Characters every note opening and every total word holds, in either script: text without
# them cannot match NOTE_RE or TOTAL_WORDS, so it skips the OpenCC conversion those need.
NOTE_START_RE = re.compile(r"\s*[注註说說説备備附填]")
TOTAL_HINT_RE = re.compile(r"[计計数數]")
CHECK_EVERY = 4096  # rows between budget checks


def text_of(value: Value | None) -> str:
    """The cell as text, for comparisons; dates in ISO form; integral floats without '.0'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@functools.cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s.json")


def simplified(text: str) -> str:
    """Traditional -> simplified, so 填報單位 and 合計 read like 填报单位 and 合计."""
    return _t2s().convert(text) if text else text


def squeeze(text: str) -> str:
    """Simplified, NFKC, no whitespace: '合  計' and '合计' compare equal."""
    return re.sub(r"\s+", "", simplified(unicodedata.normalize("NFKC", text)))


def blank_label(text: str) -> str | None:
    """'填报单位（盖章）：xx' -> '填报单位' when the label is a known blank, else None."""
    m = LABEL_COLON_RE.match(simplified(text))
    if not m:
        return None
    label = squeeze(m.group(1))
    return label if any(label.endswith(w) or label == w for w in BLANK_LABELS) else None


@dataclass
class _Sheet:
    """Per-sheet working state: cells by row, and merged-cell lookup clipped to the scan."""

    grid: Grid
    rows: dict[int, dict[int, Value]] = field(default_factory=lambda: defaultdict(dict))
    anchor: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)
    merge_at: dict[tuple[int, int], tuple[int, int, int, int]] = field(default_factory=dict)
    width: int = 0
    budget: Budget | None = None

    def __post_init__(self) -> None:
        for (r, c), v in sorted(self.grid.cells.items()):
            self.rows[r][c] = v
        self.width = max((c for r, c in self.grid.cells if r <= SCAN_ROWS), default=0)
        # merged value cells of a card reach past the last label; a hostile merge to XFD must not
        reach = max((c2 for r1, _, _, c2 in self.grid.merges if r1 <= SCAN_ROWS), default=0)
        self.width = max(self.width, min(reach, self.width + 8))
        for r1, c1, r2, c2 in self.grid.merges:
            self.merge_at[(r1, c1)] = (r1, c1, r2, c2)
            if r1 > SCAN_ROWS + MAX_HEADER_DEPTH:
                continue
            for r in range(r1, min(r2, SCAN_ROWS + MAX_HEADER_DEPTH) + 1):
                self.check()  # a row of a merge costs up to `width` entries
                for c in range(c1, min(c2, max(self.width, c1)) + 1):
                    self.anchor[(r, c)] = (r1, c1)

    def take_rows(self, last: int) -> None:
        """Hold rows down to `last` (streamed ones too) with their merged-cell lookup: a card
        is read to its last label. Merges are clipped to the rows and width read."""
        for r, own in self.rows_from(max(self.rows, default=0) + 1):
            if r > last:
                continue  # consumed all the same: a sheet's rows stream once, in order
            self.rows[r] = own
            for c, v in own.items():
                self.grid.cells[(r, c)] = v
        self.grid.tail = ()
        low = SCAN_ROWS + MAX_HEADER_DEPTH
        for r1, c1, r2, c2 in self.grid.merges:
            if r2 <= low or r1 > last:
                continue
            for r in range(max(r1, low + 1), min(r2, last) + 1):
                self.check()
                for c in range(c1, min(c2, max(self.width, c1)) + 1):
                    self.anchor[(r, c)] = (r1, c1)

    def check(self) -> None:
        """The read's deadline and memory, checked in every loop over rows × columns."""
        if self.budget is not None:
            self.budget.check(self.grid.name)

    def value(self, r: int, c: int) -> Value | None:
        """Value seen at (r, c): a merged cell shows its anchor's value everywhere."""
        ar, ac = self.anchor.get((r, c), (r, c))
        return self.grid.cells.get((ar, ac))

    def own(self, r: int) -> dict[int, Value]:
        return self.rows.get(r, {})

    def effective_count(self, r: int) -> int:
        return sum(1 for c in range(1, self.width + 1) if self.value(r, c) is not None)

    def span(self, r: int, c: int) -> tuple[int, int, int, int] | None:
        return self.merge_at.get(self.anchor.get((r, c), (r, c)))

    def rows_from(self, first: int) -> Iterator[tuple[int, dict[int, Value]]]:
        """Rows numbered `first` and below, stored then streamed, each with its own cells."""
        for r in sorted(x for x in self.rows if x >= first):
            yield r, self.rows[r]
        for i, (r, own) in enumerate(self.grid.tail):
            if self.budget is not None and i % CHECK_EVERY == CHECK_EVERY - 1:
                self.budget.check(self.grid.name)
            if r >= first:
                yield r, own


def analyse(grid: Grid, budget: Budget | None = None) -> SheetLayout:
    """Read one sheet's layout; `budget` is checked while the rows below the head stream."""
    sh = _Sheet(grid, budget=budget)
    layout = SheetLayout(name=grid.name, layout="list", header_rows=(0, 0), data_start_row=0,
                         hidden=grid.hidden, hidden_rows=sorted(grid.hidden_rows),
                         hidden_columns=sorted(grid.hidden_cols))
    if not grid.cells:
        return layout
    top_rows = sorted(r for r in sh.rows if r <= SCAN_ROWS)
    kinds = {r: _row_kind(sh, r) for r in top_rows}
    header_start = next((r for r in top_rows if kinds[r] == "header"), None)
    card_rows = [r for r in top_rows if kinds[r] in ("card", "header") and _label_pairs(sh, r)]
    pairs = sum(len(_label_pairs(sh, r)) for r in card_rows)
    if len(card_rows) >= 3 and pairs >= 4 and (header_start is None or header_start > card_rows[1]
                                              or len(_label_pairs(sh, header_start)) >= 2):
        return _card(sh, layout, card_rows, kinds)
    if header_start is None:
        header_start = next((r for r in top_rows if kinds[r] not in ("title", "blank", "note")), top_rows[0])
    layout.title = " ".join(text_of(next(iter(sh.own(r).values()))).strip()
                            for r in top_rows if r < header_start and kinds[r] == "title")
    for r in top_rows:
        if r < header_start:
            _collect_outside(sh, r, kinds[r], layout)
    header_end = _header_end(sh, header_start)
    layout.header_rows = (header_start, header_end)
    data_start = header_end + 1
    if _is_column_number_row(sh, data_start):
        data_start += 1
    layout.data_start_row = data_start
    layout.columns = _columns(sh, header_start, header_end)
    _data_region(sh, layout)
    layout.layout = _list_or_aggregate(layout, _row_labels(sh, layout))
    return layout


def _row_kind(sh: _Sheet, r: int) -> str:
    """title | blank | note | header | card | other — for rows above the table."""
    own = sh.own(r)
    texts = [text_of(v).strip() for v in own.values()]
    if not texts:
        return "empty"
    if NOTE_RE.match(simplified(texts[0])) and len(own) <= 2:
        return "note"
    if any(blank_label(t) for t in texts) and (len(own) <= 2 or sh.effective_count(r) < 0.6 * sh.width):
        return "blank"
    if len(own) == 1:
        c = next(iter(own))
        span = sh.span(r, c)
        wide = span is not None and span[3] - span[1] + 1 >= max(2, sh.width // 2)
        if wide or sh.width <= 1 or r == min(sh.rows):
            return "title" if isinstance(own[c], str) else "other"
    strings = sum(isinstance(v, str) and not ID_LIKE_RE.match(v.strip()) for v in own.values())
    filled = sh.effective_count(r)
    if filled >= max(2, 0.5 * sh.width) and strings >= 0.7 * len(own):
        return "header"
    return "card" if _label_pairs(sh, r) else "other"


def _label_pairs(sh: _Sheet, r: int) -> list[tuple[int, int]]:
    """(label column, value column) pairs: a short text whose right neighbour is empty."""
    pairs = []
    for c, v in sorted(sh.own(r).items()):
        if not isinstance(v, str) or not 1 <= len(squeeze(v)) <= 14 or blank_label(v) or is_options(v):
            continue
        span = sh.span(r, c)
        right = (span[3] if span else c) + 1
        if right > sh.width or not _answer_cell(sh.value(r, right)):
            continue
        pairs.append((c, right))
    return pairs


def is_placeholder(value: Value | None) -> bool:
    return isinstance(value, str) and bool(PLACEHOLDER_RE.match(value.strip()))


def is_options(text: str) -> bool:
    """'□男  □女': the answers a card offers, ticked rather than typed."""
    return any(mark in text for mark in OPTION_MARKS)


def _answer_cell(value: Value | None) -> bool:
    """Where a card's answer goes: empty, a placeholder, or options to tick."""
    return value is None or is_placeholder(value) or (isinstance(value, str) and is_options(value))


def _header_end(sh: _Sheet, start: int) -> int:
    """Grow the header down through vertical merges and under horizontal group cells."""
    end = start
    changed = True
    while changed and end - start < MAX_HEADER_DEPTH:
        changed = False
        for r in range(start, end + 1):
            sh.check()
            for c in range(1, sh.width + 1):
                span = sh.merge_at.get((r, c))
                if not span or sh.grid.cells.get((r, c)) is None:
                    continue
                bottom = span[2]
                if span[3] > span[1] and span[2] == end and span[3] - span[1] + 1 < sh.width:
                    below = sh.own(end + 1)
                    if any(span[1] <= cc <= span[3] and isinstance(v, str) for cc, v in below.items()) \
                            and not _is_column_number_row(sh, end + 1) and not _is_totals_row(below):
                        bottom = end + 1
                # Only a deeper end is a change: a merge reaching past the deepest header
                # row allowed (A1:XFD1048576) looped here for ever.
                if min(bottom, start + MAX_HEADER_DEPTH - 1) > end:
                    end = min(bottom, start + MAX_HEADER_DEPTH - 1)
                    changed = True
    return end


def _is_column_number_row(sh: _Sheet, r: int) -> bool:
    """'甲 乙 1 2 3 …' or '1 2 3 …' under a statistical header: column numbers, not data."""
    own = sh.own(r)
    if len(own) < 3:
        return False
    ints, tokens = [], 0
    for v in own.values():
        if isinstance(v, int) and not isinstance(v, bool):
            ints.append(v)
        elif isinstance(v, str):
            text = squeeze(v)
            m = COLUMN_NUMBER_RE.match(text)
            if m:
                ints.append(int(m.group(1)))
            elif text in CIRCLED:
                ints.append(CIRCLED[text])
            elif text in COLUMN_NUMBER_TOKENS:
                tokens += 1
    if len(ints) + tokens != len(own) or not ints:
        return False
    return sorted(ints) == list(range(min(ints), min(ints) + len(ints))) and min(ints) <= 1


def _is_total(value: Value | None) -> bool:
    """合计, 合 计：, 总合计, 全县合计, 本页小计 — a label, not a sentence holding the word."""
    if not isinstance(value, str) or not TOTAL_HINT_RE.search(value):
        return False
    text = squeeze(value).replace("：", "").replace(":", "")
    return text in TOTAL_WORDS or (len(text) <= 8 and text.endswith(TOTAL_ENDINGS))


def _is_totals_row(own: dict[int, Value]) -> bool:
    return any(_is_total(v) for v in list(own.values())[:3])


def _columns(sh: _Sheet, start: int, end: int) -> list[Column]:
    columns = []
    for c in range(1, sh.width + 1):
        path: list[str] = []
        leaf = ""
        for r in range(start, end + 1):
            raw = text_of(sh.value(r, c))
            if raw.strip() and (not path or path[-1] != raw):
                path.append(raw)
                leaf = raw
        if path:
            columns.append(Column(index=c, letter=get_column_letter(c), header=leaf, path=path,
                                  hidden=c in sh.grid.hidden_cols))
    return columns


def _collect_outside(sh: _Sheet, r: int, kind: str, layout: SheetLayout,
                     own: dict[int, Value] | None = None) -> None:
    """Blanks and notes above or below the table (`own`: the row's cells, if streamed)."""
    own = sh.own(r) if own is None else own
    if kind == "note":
        layout.notes.append(Note(row=r, text=" ".join(text_of(v).strip() for v in own.values())))
        return
    if kind != "blank":
        return
    for c, v in sorted(own.items()):
        text = text_of(v)
        label = blank_label(text)
        if label:
            from .formats import blank_segments  # formats reads layouts: imported when used

            segments = blank_segments(text)
            m = LABEL_COLON_RE.match(text)
            value = m.group(2).strip() if m else ""
            if len(segments) > 1:  # 填表人：    联系电话：    填报日期：  年  月  日 in one cell
                value = text[segments[0][1]:segments[0][2]].strip()
            layout.blanks.append(Blank(label=label, cell=f"{get_column_letter(c)}{r}", text=text.strip(),
                                       value=value))
            for other, start, end in segments[1:]:
                layout.blanks.append(Blank(label=other, cell=f"{get_column_letter(c)}{r}", text=text.strip(),
                                           value=text[start:end].strip()))


def _data_region(sh: _Sheet, layout: SheetLayout) -> None:
    """Walk rows below the header: data, totals, then notes and blanks close the table."""
    width = max((col.index for col in layout.columns), default=sh.width)
    samples: dict[int, list[str]] = defaultdict(list)
    footer = False
    last_data = 0
    for r, own in sh.rows_from(layout.data_start_row):
        # Cheap tests first: only text can open a note or be a total word (a million-row
        # roster must not cost a text conversion per cell). Cells are in column order.
        ordered = list(own.values())
        first = ordered[0]
        if isinstance(first, str) and NOTE_START_RE.match(first) and NOTE_RE.match(simplified(first.strip())):
            footer = True
            _collect_outside(sh, r, "note", layout, own)
            continue
        if len(own) <= 6 and any(isinstance(v, str) and (":" in v or "：" in v) and blank_label(v)
                                 for v in ordered):
            footer = True
            _collect_outside(sh, r, "blank", layout, own)
            continue
        if footer:
            if len(own) <= 2 and layout.notes and layout.notes[-1].row < r:
                layout.notes.append(Note(row=r, text=" ".join(squeeze(text_of(v)) for v in ordered)))
            continue
        if any(_is_total(v) for v in ordered[:3]):
            layout.totals_rows.append(r)
            continue
        if len(own) == 1 and width > 2 and len(squeeze(text_of(first))) > 20:
            footer = True  # a long sentence under a table is a note without a 注 prefix
            layout.notes.append(Note(row=r, text=text_of(first).strip()))
            continue
        last_data = r
        if len(layout.sample_rows) < SAMPLE_ROWS:
            layout.sample_rows.append(r)
            for c, v in own.items():
                if len(samples[c]) < SAMPLES_PER_COLUMN and not is_placeholder(v):
                    samples[c].append(text_of(v).strip())
    layout.data_end_row = last_data
    for col in layout.columns:
        col.samples = samples.get(col.index, [])


def _list_or_aggregate(layout: SheetLayout, labels: dict[int, list[tuple[int, str]]]) -> str:
    """A statistical table counts things per row label; a roster describes one subject per row.

    Its row dimension (org units or categories, sheets/aggregate.py) is set on the layout."""
    from . import aggregate

    layout.rows = aggregate.detect(layout, labels)
    if layout.rows is not None:
        return "aggregate"
    leaves = [squeeze(c.header) for c in layout.columns[1:]]
    if not leaves:
        return "list"
    counting = sum(1 for h in leaves if h.endswith(COUNT_ENDINGS) or UNIT_BRACKET_RE.search(h))
    statistical = counting >= 2 and counting >= 0.5 * len(leaves)
    numeric = [s for c in layout.columns[1:] for s in c.samples]
    if not statistical and len(numeric) >= 6 and layout.columns[0].samples:
        share = sum(1 for s in numeric if re.fullmatch(r"-?\d+(?:\.\d+)?%?", s) and not ID_LIKE_RE.match(s))
        statistical = share >= 0.9 * len(numeric) and not any(ID_LIKE_RE.match(s) for s in numeric)
    if statistical:
        layout.rows = aggregate.fallback(layout, labels)
        return "aggregate"
    return "list"


def _row_labels(sh: _Sheet, layout: SheetLayout) -> dict[int, list[tuple[int, str]]]:
    """(row, text) per column of the data region's first rows, totals rows left out: the
    labels an aggregate's row column is recognised by (and a category table's rows)."""
    from .aggregate import LABEL_SAMPLE_ROWS

    out: dict[int, list[tuple[int, str]]] = defaultdict(list)
    last = layout.data_end_row or layout.data_start_row
    for r in range(layout.data_start_row, min(last, layout.data_start_row + LABEL_SAMPLE_ROWS) + 1):
        if r in layout.totals_rows:
            continue
        for c in (col.index for col in layout.columns[:4]):
            text = text_of(sh.value(r, c)).strip()
            if text:
                out[c].append((r, text))
    return out


def _card(sh: _Sheet, layout: SheetLayout, card_rows: list[int], kinds: dict[int, str]) -> SheetLayout:
    """A registration card: each label names the empty cell to its right."""
    layout.layout = "card"
    first = card_rows[0]
    layout.title = " ".join(text_of(next(iter(sh.own(r).values()))).strip()
                            for r in sorted(kinds) if r < first and kinds[r] == "title")
    for r, kind in sorted(kinds.items()):
        if kind in ("blank", "note"):
            _collect_outside(sh, r, kind, layout)
    sh.take_rows(CARD_MAX_ROWS)
    for r in sorted(x for x in sh.rows if SCAN_ROWS < x <= CARD_MAX_ROWS):
        own = sh.own(r)
        first_text = text_of(next(iter(own.values()))) if own else ""
        if own and NOTE_START_RE.match(first_text) and NOTE_RE.match(simplified(first_text)):
            _collect_outside(sh, r, "note", layout, own)
        elif any(blank_label(text_of(v)) for v in own.values()) and len(own) <= 2:
            _collect_outside(sh, r, "blank", layout, own)
        elif _label_pairs(sh, r):
            card_rows.append(r)
    for r in card_rows:
        for label_col, value_col in _label_pairs(sh, r):
            raw = text_of(sh.grid.cells[(r, label_col)])
            letter = get_column_letter(value_col)
            layout.columns.append(Column(index=value_col, letter=letter, header=raw, path=[raw],
                                         hidden=value_col in sh.grid.hidden_cols, cell=f"{letter}{r}"))
    layout.header_rows = (first, card_rows[-1])
    layout.data_start_row = first
    return layout
