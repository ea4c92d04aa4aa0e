"""The data dictionary as plain data: element specs and their spellings, no database.

`load_builtin_dictionary()` reads the element contract (yibiao/data/core-elements.tsv),
the generic spellings (yibiao/data/aliases.tsv) and the suggest-only spellings kept
beside this module. The web app may build a Dictionary from its own tables instead.
"""
from __future__ import annotations

import csv
import functools
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .normalise import normalise

DATA = Path(__file__).resolve().parent.parent / "data"
SUGGEST_ONLY = Path(__file__).resolve().parent / "data" / "suggest_only.tsv"


@dataclass(frozen=True)
class ElementSpec:
    code: str
    name_zh: str
    subject: str  # person | household | place | org | meta
    value_type: str
    aliases: tuple[str, ...] = ()


@dataclass
class Dictionary:
    """Elements by code, and the normalised spellings that point at them."""

    elements: dict[str, ElementSpec]
    strong: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    weak: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    @classmethod
    def build(cls, elements: list[ElementSpec], suggest_only: list[tuple[str, str]] = ()) -> Dictionary:
        """Index names and aliases; concept codes (@address) are kept as they are."""
        d = cls(elements={e.code: e for e in elements})
        for e in elements:
            for spelling in (e.name_zh, *e.aliases):
                key = normalise(spelling)
                if key:
                    d.strong[key].add(e.code)
        for code, spelling in suggest_only:
            key = normalise(spelling)
            if key and code not in d.strong.get(key, ()):
                d.weak[key].add(code)
        return d

    def add_alias(self, code: str, spelling: str) -> None:
        key = normalise(spelling)
        if key:
            self.strong[key].add(code)

    @functools.cached_property
    def spellings(self) -> list[str]:
        """Every strong spelling, for fuzzy search (built once)."""
        return sorted(self.strong)


def _read_tsv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [row for row in csv.reader(fh, delimiter="\t") if row and not row[0].startswith("#")]


def read_alias_file(path: Path) -> list[tuple[str, str]]:
    """(code, spelling) pairs from a `code<TAB>alias` file; # starts a comment line."""
    return [(row[0].strip(), row[1].strip()) for row in _read_tsv(path) if len(row) >= 2]


@functools.cache
def load_builtin_dictionary() -> Dictionary:
    """The dictionary shipped with yibiao; cached, since matching many files reuses it."""
    rows = _read_tsv(DATA / "core-elements.tsv")
    header, body = rows[0], rows[1:]
    idx = {name: i for i, name in enumerate(header)}
    aliases: dict[str, list[str]] = defaultdict(list)
    for code, spelling in read_alias_file(DATA / "aliases.tsv"):
        aliases[code].append(spelling)
    elements = [
        ElementSpec(code=r[idx["code"]], name_zh=r[idx["name_zh"]], subject=r[idx["subject"]],
                    value_type=r[idx["value_type"]], aliases=tuple(aliases.pop(r[idx["code"]], ())))
        for r in body
    ]
    for code, spellings in aliases.items():  # concepts such as @address
        if not code.startswith("@"):
            raise ValueError(f"aliases.tsv names unknown element {code!r}")
        elements.append(ElementSpec(code=code, name_zh="", subject="concept", value_type="text",
                                    aliases=tuple(spellings)))
    return Dictionary.build(elements, read_alias_file(SUGGEST_ONLY))
