"""One way to refuse: every refusal is a coded `Refusal` that speaks the reader's language.

Every catalogue code is raised in Simplified, Traditional and English: no Chinese in the
English, no Simplified-only character in the Traditional. The English command line and the
API show the code. The raise sites still carrying a bare Chinese message are listed in LEFT.
"""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import pytest
from django.test import RequestFactory
from django.utils import translation

from yibiao.cli import main
from yibiao.dictionary.elements import ElementError
from yibiao.gate.machine import GateRefused
from yibiao.gate.rules import RulesError
from yibiao.ledger.records import EditConflictError, LedgerError
from yibiao.ledger.transfers import TransferError
from yibiao.refusals import CATALOGUE, Reason, Refusal, RefusalMiddleware, render
from yibiao.reports.export import ExportError
from yibiao.reports.periods import PeriodError
from yibiao.reports.tasks import TaskError
from yibiao.slipped.reports import ReportRefused

from . import test_data_api

admitted = test_data_api.admitted  # the fixture: a request admitted, with its residents

CJK = re.compile(r"[\u3400-\u9fff]")
# Characters written only in Simplified Chinese (their Traditional forms differ): none may
# survive into a Traditional message.
SIMPLIFIED_ONLY = set("这们应须报务认项检时数据码区请写网级为处删录门没说议态读该让单对么还经")
CODES = sorted(set(CATALOGUE) - {"legacy"})


@pytest.fixture(autouse=True)
def _speak_the_default_afterwards():
    """A command or a request in English leaves English active in this thread: undo it."""
    yield
    translation.deactivate()


def fields(code: str) -> set[str]:
    return {name for template in CATALOGUE[code] for _, name, _, _ in string.Formatter().parse(template)
            if name}


@pytest.mark.parametrize("code", CODES)
def test_every_code_speaks_three_languages(code):
    context = {name: f"X{i}" for i, name in enumerate(sorted(fields(code)))}
    refusal = Refusal(code, **context)
    assert refusal.code == code and refusal.context == context
    with translation.override("en"):
        english = refusal.message
    with translation.override("zh-hant"):
        traditional = str(refusal)
    with translation.override("zh-hans"):
        simplified = refusal.message
    assert english == refusal.message_en and simplified == refusal.message_zh
    assert not CJK.search(english), english
    assert not SIMPLIFIED_ONLY & set(traditional), traditional
    if CJK.search(CATALOGUE[code][0]):
        assert CJK.search(simplified) and simplified != traditional or not SIMPLIFIED_ONLY & set(simplified)


def test_a_field_in_english_takes_its_english_value():
    refusal = GateRefused("reason_required", action="撤销", action_en="withdraw")
    assert refusal.message_zh == "撤销须写明理由"
    assert refusal.message_en == "“withdraw” needs a reason"


def test_a_refusal_holds_every_reason_with_its_code():
    refused = GateRefused([Reason("basis_missing"), Reason("frequency_unknown", choices="once"), "旧的说法"])
    assert [d.code for d in refused.details] == ["basis_missing", "frequency_unknown", "legacy"]
    assert refused.code == "basis_missing"
    with translation.override("en"):
        assert refused.reasons[:2] == ["No policy basis: name the document and its number (a table without a "
                                       "basis may not be sent to communities)", "The frequency must be one of once"]
    # a reason is still a string: the Simplified message, as callers compared before
    assert refused.details[0] == CATALOGUE["basis_missing"][0] and "旧的说法" in refused.reasons
    assert [d["code"] for d in refused.as_dict()["details"]] == ["basis_missing", "frequency_unknown", "legacy"]


def test_an_unknown_code_is_the_callers_bug():
    with pytest.raises(KeyError):
        Refusal("no_such_code")


@pytest.mark.parametrize("kind", [GateRefused, ReportRefused, LedgerError, EditConflictError,
                                  TransferError, TaskError, ExportError, RulesError, ElementError, PeriodError])
def test_every_domain_refusal_is_a_refusal(kind):
    assert issubclass(kind, Refusal)


def test_statuses_say_what_kind_of_refusal():
    assert (Refusal.status, EditConflictError.status, PeriodError.status) == (422, 409, 400)
    assert issubclass(RulesError, ValueError) and issubclass(PeriodError, ValueError)  # callers catch those


def test_traditional_uses_a_written_translation_first(monkeypatch):
    from yibiao import refusals

    monkeypatch.setitem(refusals.HANT, "merge_with_itself", "不能與自身合併")
    assert render("merge_with_itself", {}, "zh-hant") == "不能與自身合併"


# --- the raise sites still carrying a bare Chinese message ------------------------------------

NAMES = ("GateRefused|ReportRefused|LedgerError|EditConflictError|TransferError|TaskError|"
         "ExportError|RulesError|ElementError|PeriodError|Refusal")
SITE = re.compile(r"(?:raise\s+(?:[\w.]+\.)?(?:" + NAMES + r")\(\s*\[?\s*(?:_\()?"
                  r"|(?:reasons|problems)\.append\(\s*(?:_\()?)f?[\"'][^\"'\n]*[\u3400-\u9fff]")
PACKAGE = Path(__file__).resolve().parent.parent / "yibiao"
# file -> sites left to give a code (a refusal's reason built as Chinese text, shown as
# the "legacy" code in every language). Shrink this as sites are converted; never grow it.
LEFT: dict[str, int] = {}


def test_the_sites_left_without_a_code_are_listed():
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.parts[-2] == "sheets":  # the sheet notes and formats have their own catalogue
            continue
        if count := len(SITE.findall(path.read_text(encoding="utf-8"))):
            found[path.relative_to(PACKAGE).as_posix()] = count
    assert found == LEFT


# --- the three doors: the command line, the API and the pages ---------------------------------

@pytest.fixture
def english(monkeypatch):
    monkeypatch.setenv("YIBIAO_LANGUAGE", "en")


@pytest.mark.django_db
def test_the_english_command_line_shows_a_coded_refusal(world, capsys, english):
    code = main(["burden", "--org", world.community_a.code, "--from", "11月", "--to", "2026-12", "--user", "admin"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("Error: Reporting period “11月” is not understood")
    code = main(["burden", "--org", world.community_a.code, "--from", "2026-13", "--to", "2026-12",
                 "--user", "admin", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 2 and out == {"error": {"code": "period_month",
                                           "message": "The month of reporting period “2026-13” is wrong"}}
    code = main(["request", "analyse", "999", "--json", "--user", "admin"])
    out = json.loads(capsys.readouterr().out)
    assert code == 2 and out == {"error": {"code": "no_such_request",
                                           "message": "There is no request 999, or you may not see it"}}


@pytest.mark.django_db
def test_the_command_line_lists_every_reason(world, capsys, monkeypatch):
    code = main(["workload", "rules", "--org", world.county.code, "--ceiling", "99", "--workers", "0",
                 "--user", "admin"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("错误：不予受理：\n  - ") and err.count("\n  - ") == 2
    monkeypatch.setenv("YIBIAO_LANGUAGE", "zh-hant")
    main(["burden", "--org", world.community_a.code, "--from", "2026-13", "--to", "2026-12", "--user", "admin"])
    assert capsys.readouterr().err == "錯誤：報告期“2026-13”的月份不對\n"


@pytest.mark.django_db
def test_the_api_answers_a_refusal_with_its_code(client, world, admitted):
    from yibiao.accounts import tokens

    key = tokens.issue(world.admin, world.officer, "test")
    response = client.get(f"/api/v1/data/requests/{admitted.pk}/rows", {"org": world.community_a.code,
                          "period": "2026-13"}, HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_ACCEPT_LANGUAGE="en")
    body = response.json()
    assert response.status_code == 400 and body["code"] == "period_month"
    assert body["message"] == body["detail"] == "The month of reporting period “2026-13” is wrong"
    assert body["details"] == [{"code": "period_month", "message": body["message"]}]


@pytest.mark.django_db
def test_a_refusal_no_view_caught_is_a_page_with_its_status(world):
    request = RequestFactory().post("/anything/")
    request.user = world.worker_a
    request.session = {}
    request.LANGUAGE_CODE = "en"
    with translation.override("en"):
        page = RefusalMiddleware(lambda r: None).process_exception(request, TaskError("task_already_submitted"))
    assert page.status_code == 422 and "The task has already been submitted." in page.content.decode()
    assert RefusalMiddleware(lambda r: None).process_exception(request, ValueError("x")) is None
