"""Every interface message has Traditional Chinese and English, and the compiled catalogues are current."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest

LOCALE = Path(__file__).resolve().parent.parent / "yibiao" / "locale"


@pytest.mark.parametrize("language", ["en", "zh_Hant"])
def test_catalogue_is_complete(language):
    po = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    untranslated = [e.msgid for e in po if not e.msgstr and not e.msgstr_plural]
    fuzzy = [e.msgid for e in po if "fuzzy" in e.flags]
    assert untranslated == [] and fuzzy == []


@pytest.mark.parametrize("language", ["en", "zh_Hant"])
def test_compiled_catalogue_matches_its_source(language):
    folder = LOCALE / language / "LC_MESSAGES"
    source = {e.msgid: e.msgstr for e in polib.pofile(str(folder / "django.po")) if e.msgstr}
    compiled = {e.msgid: e.msgstr for e in polib.mofile(str(folder / "django.mo")) if e.msgid}
    assert compiled == source, "run scripts/i18n.py to recompile"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected"), [("zh-hans", "登录一表通"), ("zh-hant", "登錄一表通"), ("en", "Log in to One Table")]
)
def test_login_page_speaks_the_chosen_language(client, language, expected):
    client.cookies["django_language"] = language
    assert expected in client.get("/login/").content.decode()
