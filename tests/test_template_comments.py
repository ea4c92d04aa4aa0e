"""A template comment a reader never sees: Django's {# … #} ends at the line's end, so one
spread over two lines is printed on the page as text (the import's mapping page showed
"{# One press: the buttons are disabled …" to every worker). Longer notes use
{% comment %}."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "yibiao").rglob("templates/**/*.html"))
UNCLOSED = re.compile(r"\{#(?![^\n]*#\})")


def test_templates_are_found() -> None:
    assert len(TEMPLATES) > 50


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_comment_runs_past_its_line(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    lines = [text.count("\n", 0, m.start()) + 1 for m in UNCLOSED.finditer(text)]
    assert not lines, f"{path.name}: {{# … #}} spread over lines {lines} is printed on the page; use {{% comment %}}"

