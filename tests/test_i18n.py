"""Every interface message has Traditional Chinese and English, and the compiled catalogues are current."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import polib
import pytest

from .conftest import PASSWORD
from .sheetfactory import table, write_xlsx

LOCALE = Path(__file__).resolve().parent.parent / "yibiao" / "locale"


def untranslated(entry: polib.POEntry) -> bool:
    """A plural entry counts only when every one of its forms is filled."""
    if entry.msgid_plural:
        return not entry.msgstr_plural or not all(entry.msgstr_plural.values())
    return not entry.msgstr


@pytest.mark.parametrize("language", ["en", "zh_Hant"])
def test_catalogue_is_complete(language):
    po = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    missing = [e.msgid for e in po if untranslated(e)]
    fuzzy = [e.msgid for e in po if "fuzzy" in e.flags]
    assert missing == [] and fuzzy == [], "add English to scripts/en-glossary.tsv and run scripts/i18n.py"


@pytest.mark.parametrize(
    ("plural_forms", "complete"),
    [({0: "", 1: ""}, False), ({0: "%(n)s person", 1: ""}, False), ({}, False),
     ({0: "%(n)s person", 1: "%(n)s people"}, True)],
)
def test_a_plural_entry_is_complete_only_with_every_form(plural_forms, complete):
    entry = polib.POEntry(msgid="共 %(n)s 人", msgid_plural="共 %(n)s 人", msgstr_plural=plural_forms)
    assert untranslated(entry) is not complete


@pytest.mark.parametrize("language", ["en", "zh_Hant"])
def test_compiled_catalogue_matches_its_source(language):
    def forms(entries):
        return {e.msgid: e.msgstr_plural or e.msgstr for e in entries if e.msgid and not untranslated(e)}

    folder = LOCALE / language / "LC_MESSAGES"
    source = forms(polib.pofile(str(folder / "django.po")))
    compiled = forms(polib.mofile(str(folder / "django.mo")))
    assert compiled == source, "run scripts/i18n.py to recompile"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected"), [("zh-hans", "登录一表通"), ("zh-hant", "登錄一表通"), ("en", "Log in to One Table")]
)
def test_login_page_speaks_the_chosen_language(client, language, expected):
    client.cookies["django_language"] = language
    assert expected in client.get("/login/").content.decode()


# --- The pages people use every day, read in English ---------------------------------

VISIBLE_TEXT = re.compile(r"<script.*?</script>|<style.*?</style>|<[^>]+>", re.S)
CHINESE = re.compile(r"[\u3400-\u9fff]+(?:[\u3000-\u303f\uff00-\uffef\u3400-\u9fff]+)*")
# Python-side strings shown on these pages that are not marked for translation yet: none left
# (the dashboard's table headings in burden/views.py are translated now).
NOT_YET_TRANSLATABLE: set[str] = set()


@pytest.fixture
def english(client, world, tmp_path):
    """A community with two residents and one admitted request, so every page has data."""
    from yibiao.gate.tables import workflow
    from yibiao.ledger.records import PersonInput, write_people
    from yibiao.reports.models import Task

    write_people(world.worker_a, world.grid_a, [
        PersonInput({"person.id_number": i, "person.name": n, "person.phone": p})
        for i, n, p in [("11010519491231002X", "王秀英", "13812345678"), ("430104199001010019", "李明", None)]],
        valid_from=dt.date(2026, 1, 1))
    path = tmp_path / "flu.xlsx"
    write_xlsx(path, [["流感疫苗接种情况表"], *table("""
    | 序号 | 所属社区 | 姓名 | 性别 | 公民身份号码 | 联系电话 | 是否接种流感疫苗 |
    """)])
    request = workflow.submit(world.officer, path, workflow.NewRequest(
        title="流感疫苗接种情况表", department=world.department.name, basis="《通知》（岳卫发〔2026〕1号）",
        frequency="monthly", scope_code=world.township_a.code, justifications={"person.id_number": "核对身份"},
        masked=["联系电话"]))
    workflow.decide(world.reviewer, request, "admit")
    client.cookies["django_language"] = "en"
    client.request_id = request.pk
    client.task_id = Task.objects.get(request=request).pk
    return client


def template_labels(templates: list) -> set[str]:
    """The Chinese msgids written in the templates a response was rendered from."""
    rendered = {Path(t.origin.name).as_posix() for t in templates if t.origin and t.origin.name}
    po = polib.pofile(str(LOCALE / "en" / "LC_MESSAGES" / "django.po"))
    return {e.msgid for e in po
            if any(name.endswith("/" + where) for where, _ in e.occurrences for name in rendered)}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "url", "labels"),
    [
        ("worker_a", "/", ["To do", "cells to fill in", "Due"]),
        ("worker_a", "/ledger/people/", ["Resident ledger", "2 people", "Register a household", "Phone", "Age"]),
        ("worker_a", "/reports/tasks/{task}/", ["Fill in only what the system cannot", "Save", "Submit report"]),
        ("reviewer", "/gate/?kind=table", ["Admission of departments' demands", "Status", "Frequency"]),
        ("reviewer", "/gate/{request}/", ["Estimated burden on communities", "Column by column", "Policy basis"]),
        ("reviewer", "/burden/?org=430104&from=2026-01&to=2026-12",
         ["Burden-reduction ledger", "Cells asked for", "Worker-hours saved", "Download Excel"]),
    ],
)
def test_everyday_pages_read_in_english(english, persona, url, labels):
    """English labels show, and no label from the page's own templates is left in Chinese
    (names, org units and the department's column headers are data and stay Chinese)."""
    english.login(username=persona, password=PASSWORD)
    page = english.get(url.format(task=english.task_id, request=english.request_id))
    assert page.status_code == 200
    html = page.content.decode()
    assert [label for label in labels if label not in html] == []
    shown = set(CHINESE.findall(VISIBLE_TEXT.sub(" ", html)))
    assert shown & template_labels(page.templates) - NOT_YET_TRANSLATABLE == set()
