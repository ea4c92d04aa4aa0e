#!/usr/bin/env python3
"""Refresh the message catalogues: `python scripts/i18n.py` (needs GNU gettext).

Simplified Chinese is the source language. Traditional Chinese is converted from it with
OpenCC (a translator may override any entry: entries not marked fuzzy-auto are kept);
English is translated by hand in scripts/en-glossary.tsv (msgid, tab, English; for a
`{% blocktranslate count %}` entry, `singular|plural`). The compiled .mo files are committed
so installs need no gettext.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import polib
from opencc import OpenCC

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "yibiao"
LOCALE = PACKAGE / "locale"
AUTO = "auto-opencc"  # flag on entries this script wrote, so it may rewrite them


def read_glossary() -> dict[str, str]:
    """English translations kept as a two-column table beside this script."""
    lines = (ROOT / "scripts" / "en-glossary.tsv").read_text(encoding="utf-8").splitlines()
    return dict(line.split("\t", 1) for line in lines if "\t" in line)


def is_translated(entry: polib.POEntry) -> bool:
    """A plural entry needs every form filled; `msgstr` alone says nothing about it."""
    if entry.msgid_plural:
        return bool(entry.msgstr_plural) and all(entry.msgstr_plural.values())
    return bool(entry.msgstr)


def fill_english(entry: polib.POEntry, english: str) -> None:
    """Plural entries take `singular|plural` (English has two forms: n == 1 and the rest)."""
    if entry.msgid_plural:
        singular, _, plural = english.partition("|")
        entry.msgstr_plural = {0: singular, 1: plural or singular}
    else:
        entry.msgstr = english


def main() -> int:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "yibiao.settings"}
    django_admin = Path(sys.executable).with_name("django-admin")
    subprocess.run(
        [str(django_admin), "makemessages", "-l", "en", "-l", "zh_Hant", "--no-obsolete",
         "--ignore", "migrations/*", "--ignore", "data/*"],
        cwd=PACKAGE, env=env, check=True,
    )
    to_traditional = OpenCC("s2t.json")
    hant = polib.pofile(str(LOCALE / "zh_Hant" / "LC_MESSAGES" / "django.po"))
    for entry in hant:
        # A fuzzy entry holds gettext's guess from a different msgid: convert the real one.
        if not is_translated(entry) or AUTO in entry.flags or "fuzzy" in entry.flags:
            if entry.msgid_plural:
                # zh_Hant has a single plural form (nplurals=1), taken from the plural msgid.
                entry.msgstr_plural = {0: to_traditional.convert(entry.msgid_plural)}
            else:
                entry.msgstr = to_traditional.convert(entry.msgid)
            if AUTO not in entry.flags:
                entry.flags.append(AUTO)
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    hant.save()
    en = polib.pofile(str(LOCALE / "en" / "LC_MESSAGES" / "django.po"))
    glossary = read_glossary()
    for entry in en:
        if entry.msgid in glossary and (not is_translated(entry) or "fuzzy" in entry.flags):
            fill_english(entry, glossary[entry.msgid])
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
    en.save()
    missing = [e.msgid for e in en if not is_translated(e) or "fuzzy" in e.flags]
    subprocess.run([str(django_admin), "compilemessages"], cwd=PACKAGE, env=env, check=True)
    if missing:
        print(f"{len(missing)} English messages still to translate:")
        for msgid in missing:
            print(f"  {msgid!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
