"""Code lists from the national standards (and our own where none exists), with lookup by
code, name or common spelling.

The lists are CSV files under ``yibiao/data/codes/`` (``code,name[,variants]``, variants
separated by ``|``); files under ``variants/`` add spellings (``code,variants``) to lists
whose rows are copied verbatim from a standard and must stay untouched. ``LISTS`` below
names every list; its ``id`` is what the data dictionary stores, so ids never change.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .messages import ValueProblem
from .normalise import as_text, lookup_key

CODES_DIR = Path(__file__).resolve().parent.parent / "data" / "codes"


@dataclass(frozen=True)
class ListSpec:
    id: str
    file: str
    title: str
    standard: str
    default: str | None = None


# The stable ids. Standard lists first, then our own (file names own_*.csv).
LISTS: tuple[ListSpec, ...] = (
    ListSpec("sex", "GB_T_2261_1_sex.csv", "性别", "GB/T 2261.1-2003"),
    ListSpec("marital_status", "GB_T_2261_2_marital_status.csv", "婚姻状况", "GB/T 2261.2-2003"),
    ListSpec("ethnic_group", "GB_T_3304_ethnic_groups.csv", "民族", "GB/T 3304-1991"),
    ListSpec("education", "GB_T_4658_education.csv", "学历", "GB/T 4658-2006"),
    ListSpec("family_relation", "GB_T_4761_family_relation.csv", "家庭关系", "GB/T 4761-2008"),
    ListSpec("political_status", "GB_T_4762_political_status.csv", "政治面貌", "GB/T 4762-1984"),
    ListSpec("disability_category", "GB_T_26341_disability_category.csv", "残疾类别", "GB/T 26341-2010"),
    ListSpec("disability_grade", "GB_T_26341_disability_grade.csv", "残疾等级", "GB/T 26341-2010"),
    ListSpec("id_document_type", "own_id_document_type.csv", "证件类型", "yibiao", default="01"),
    ListSpec("hukou_type", "own_hukou_type.csv", "户口性质", "yibiao"),
    ListSpec("residence_status", "own_residence_status.csv", "居住状态", "yibiao"),
    ListSpec("quarantine_mode", "own_quarantine_mode.csv", "隔离方式", "yibiao"),
    ListSpec("nucleic_acid_result", "own_nucleic_acid_result.csv", "核酸检测结果", "yibiao"),
    ListSpec("house_use", "own_house_use.csv", "房屋用途", "yibiao"),
)

# "01-汉族", "1 男", "20：已婚": what dropdowns built by other systems put in a cell.
_CODE_AND_NAME = re.compile(r"^(\d+)[-_:：.、)）]?(\D.*)$")
# "1.0" from a spreadsheet reader that turned a code into a float.
_FLOAT_CODE = re.compile(r"^(\d+)\.0+$")


@dataclass(frozen=True)
class CodeItem:
    code: str
    name: str
    variants: tuple[str, ...] = ()


class CodeList:
    """One code list; :meth:`lookup` turns what a person typed into its item."""

    def __init__(
        self, id: str, title: str, standard: str, items: list[CodeItem], default: str | None = None
    ) -> None:
        self.id, self.title, self.standard = id, title, standard
        self.items = tuple(items)
        self._by_code = {item.code: item for item in self.items}
        self.default = self._by_code[default] if default else None
        widths = {len(item.code) for item in self.items}
        digits = all(item.code.isdigit() for item in self.items)
        # "1" means "01" when every code is two digits: people drop leading zeros.
        self._pad_to = widths.pop() if digits and len(widths) == 1 else 0
        self._by_key: dict[str, CodeItem] = {}
        for item in self.items:
            for spelling in (item.code, item.name, *item.variants):
                self._index(lookup_key(spelling), item)

    def _index(self, key: str, item: CodeItem) -> None:
        other = self._by_key.setdefault(key, item)
        if other is not item:
            raise ValueError(f"code list {self.id}: “{key}” means both {other.code} and {item.code}")

    def __iter__(self) -> Iterator[CodeItem]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __repr__(self) -> str:
        return f"<CodeList {self.id} ({self.standard}) {len(self)} items>"

    def get(self, code: str) -> CodeItem | None:
        """The item with exactly this code."""
        return self._by_code.get(code)

    def find(self, raw: object) -> CodeItem | None:
        """Like :meth:`lookup`, but None when nothing matches."""
        key = lookup_key(as_text(raw))
        key = _FLOAT_CODE.sub(r"\1", key)
        if key.isdigit() and len(key) < self._pad_to:
            key = key.zfill(self._pad_to)
        item = self._by_key.get(key)
        if item is None:
            both = _CODE_AND_NAME.match(key)
            if both:
                by_code, by_name = self.find(both[1]), self._by_key.get(both[2])
                item = by_code if by_code is not None and by_code is by_name else None
        return item

    def lookup(self, raw: object) -> CodeItem:
        """The item a code, name or common spelling stands for, after normalising width,
        traditional characters, case and spaces; :class:`ValueProblem` if none."""
        item = self.find(raw)
        if item is None:
            examples = " / ".join(i.name for i in self.items[:4])
            raise ValueProblem.make(
                "code_unknown", value=as_text(raw).strip(), title=self.title,
                standard=self.standard, examples=examples,
            )
        return item


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _split(cell: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (cell or "").split("|") if v.strip())


def read_code_list(spec: ListSpec, directory: Path = CODES_DIR) -> CodeList:
    """Build one list from its CSV and, if present, its ``variants/`` overlay."""
    extra: dict[str, tuple[str, ...]] = {}
    overlay = directory / "variants" / spec.file
    if overlay.exists():
        extra = {row["code"]: _split(row["variants"]) for row in _read(overlay)}
    rows = _read(directory / spec.file)
    items = [
        CodeItem(row["code"], row["name"], _split(row.get("variants")) + extra.get(row["code"], ()))
        for row in rows
    ]
    unknown = set(extra) - {item.code for item in items}
    if unknown:
        raise ValueError(f"{overlay}: codes {sorted(unknown)} are not in {spec.file}")
    return CodeList(spec.id, spec.title, spec.standard, items, spec.default)


@cache
def _all_lists() -> tuple[CodeList, ...]:
    return tuple(read_code_list(spec) for spec in LISTS)


def load_code_lists() -> dict[str, CodeList]:
    """Every code list by its stable id (see ``LISTS``); read once per process."""
    return {code_list.id: code_list for code_list in _all_lists()}


def get_code_list(list_id: str) -> CodeList:
    """One list by id; a wrong id is the caller's bug and raises KeyError."""
    return load_code_lists()[list_id]
