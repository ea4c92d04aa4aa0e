"""是/否 in every spelling forms use: ticks and crosses, 有/无, Y/N, 1/0, traditional characters."""

from __future__ import annotations

from .messages import ValueProblem
from .normalise import as_text, lookup_key

# Spellings after lookup_key (NFKC, traditional → simplified, casefold), so 無/對/錯,
# full-width Ｙ and upper-case YES need no entries of their own.
SPELLINGS: dict[bool, tuple[str, ...]] = {
    True: ("是", "有", "√", "✓", "✔", "☑", "y", "yes", "true", "t", "1", "对", "真", "是的"),
    False: ("否", "无", "×", "✗", "✘", "☒", "n", "no", "false", "f", "0", "错", "假", "不是", "没有", "非"),
}
_BY_KEY: dict[str, bool] = {
    lookup_key(spelling): truth for truth, spellings in SPELLINGS.items() for spelling in spellings
}


def parse_boolean(raw: object) -> bool:
    """True or False from a yes/no cell; raise :class:`ValueProblem` for anything else."""
    if isinstance(raw, bool):
        return raw
    text = as_text(raw).strip()
    try:
        return _BY_KEY[lookup_key(text)]
    except KeyError:
        raise ValueProblem.make("bool_bad" if text else "empty", value=text) from None
