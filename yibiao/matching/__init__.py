"""Header text -> data element: normalisation, spellings as data, context, value sniffing.

Pure Python, no Django: the dictionary is passed in as data (or the built-in one is read).
"""
from __future__ import annotations

from .dictionary import Dictionary, ElementSpec, load_builtin_dictionary, read_alias_file
from .inspect import inspect_files, match_layout
from .matcher import ColumnMatch, LearnedAlias, Matcher, SheetMatch, learn_alias, match_headers
from .normalise import normalise

__all__ = [
    "ColumnMatch", "Dictionary", "ElementSpec", "LearnedAlias", "Matcher", "SheetMatch",
    "inspect_files", "learn_alias", "load_builtin_dictionary", "match_headers", "match_layout",
    "normalise", "read_alias_file",
]
