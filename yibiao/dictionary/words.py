"""The dictionary's own words in the page's language: element names, code-list names and
code values, as a person reads them.

The ledger, the files departments receive and the validators all keep the Simplified names
(they are data there); only what is shown goes through `shown()`. English comes from
yibiao/data/words-en.tsv (the national code lists carry no English, so the table is ours);
Traditional Chinese is the Simplified name through OpenCC, as the message catalogues are.
Text that is not one of the dictionary's words (a person's name, an address) is returned
as it is, in every language.
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path

from yibiao.refusals import _to_traditional, language_of

WORDS_EN = Path(__file__).resolve().parent.parent / "data" / "words-en.tsv"


@functools.cache
def english() -> dict[tuple[str, str], str]:
    """{(code list key or "", Simplified name): English}."""
    with WORDS_EN.open(encoding="utf-8") as f:
        rows = [row for row in csv.reader(f, delimiter="\t") if row and not row[0].startswith("#")]
    return {(code_list, zh): en for code_list, zh, en in rows}


@functools.cache
def _any_list() -> dict[str, str]:
    """{Simplified name: English} for a value asked without its list: the general entry, else
    the one list's (a name two lists share with two meanings is left to the general one)."""
    found: dict[str, set[str]] = {}
    for (_, zh), en in english().items():
        found.setdefault(zh, set()).add(en)
    words = english()
    return {zh: words.get(("", zh)) or next(iter(ens)) for zh, ens in found.items()
            if ("", zh) in words or len(ens) == 1}


def known(text: str, code_list: str = "") -> bool:
    return (code_list, text) in english() or text in _any_list()


def shown(text: object, code_list: str = "", language: str | None = None) -> str:
    """`text` in the page's language if it is one of the dictionary's words; else unchanged.
    `code_list` tells a value of that list apart where two lists share a name (女: female
    in 性别, daughter in 家庭关系)."""
    if not isinstance(text, str) or not text:
        return "" if text is None else str(text)
    if not known(text, code_list):
        return text
    language = language_of(language)
    if language == "en":
        return english().get((code_list, text)) or _any_list()[text]
    if language == "zh-hant":
        return _to_traditional().convert(text)
    return text
