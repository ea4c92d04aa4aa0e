"""A demand's verdict, stored when it is analysed, reads in the page's language: English
written beside the Chinese, Traditional converted; the subject filter said in English too."""

from __future__ import annotations

import html
import re

import pytest

from yibiao.ledger.records import PersonInput, write_people

from .test_admission import WITH_NEW, submit, template
from .test_workload_gate import inspection, next_month, officer_of

pytestmark = pytest.mark.django_db
CJK = re.compile(r"[\u3400-\u9fff]")


def verdict_on(client, demand_id: int, language: str) -> str:
    client.cookies["django_language"] = language
    page = client.get(f"/gate/{demand_id}/").content.decode()
    return re.search(r'<span id="verdict">(.*?)</span>', page, re.S).group(1)


def test_a_tables_verdict_reads_in_english_and_traditional(world, tmp_path, client):
    write_people(world.worker_a, world.community_a, [
        PersonInput({"person.id_number": "11010519491231002X", "person.name": "王秀英"})])
    request = submit(world, template(tmp_path, WITH_NEW))
    client.force_login(world.reviewer)
    english = verdict_on(client, request.pk, "en")
    assert "communities (villages) must add" in english and not CJK.search(english)
    assert "個社區" in verdict_on(client, request.pk, "zh-hant")
    assert "个社区" in verdict_on(client, request.pk, "zh-hans")


def test_a_tasks_verdict_and_the_list_read_in_english(world, client):
    police = officer_of(world, "police_lang", "区公安分局")
    first, last = next_month()
    item = inspection(police, world, "出租房屋治安检查", start=first, end=last)
    client.force_login(world.reviewer)
    english = verdict_on(client, item.pk, "en")
    assert english.startswith("No overlap with other departments") and not CJK.search(english)
    client.cookies["django_language"] = "en"
    listed = client.get("/gate/").content.decode()
    assert "No overlap with other departments" in listed


# --- what the analysis and the subject filter say, in every language ----------------------------

SIMPLIFIED_ONLY = set("这个们来时会对说书为发经过还进现实点样体总报线项组员数据条务请让证门间题区县乡镇户办处")


def page(client, demand_id: int, language: str) -> str:
    client.cookies["django_language"] = language
    return client.get(f"/gate/{demand_id}/").content.decode()


def shown(page_html: str, element_id: str) -> str:
    """The text of one element, tags (the data marks) taken out."""
    inner = re.search(rf'id="{element_id}"[^>]*>(.*?)</(?:p|code)>', page_html, re.S).group(1)
    return html.unescape(re.sub(r"<[^>]+>", "", inner))


@pytest.fixture
def lonely(world, tmp_path):
    """A table whose title makes the system suggest its filter (独居老人: 60 or older, alone)."""
    return submit(world, template(tmp_path, WITH_NEW), title="独居老人走访登记表")


def test_the_suggested_filter_and_its_reason_read_in_each_language(world, client, lonely):
    client.force_login(world.reviewer)
    english = page(client, lonely.pk, "en")
    assert shown(english, "filter-text") == "Age >= 60 and “Lives alone” = yes"  # people's words, not codes
    assert "in the title “独居老人走访登记表”" in shown(english, "filter-suggestion")
    assert '<span lang="zh-Hans">独居老人</span>' in english  # the title's words marked as data
    traditional = page(client, lonely.pk, "zh-hant")
    assert "年齡 >= 60 且 是否獨居 = 是" in shown(traditional, "filter-text")
    assert "表名“独居老人走访登记表”中的“独居老人”" in shown(traditional, "filter-suggestion")
    said = shown(traditional, "filter-suggestion").replace("独居老人走访登记表", "").replace("独居老人", "")
    assert not SIMPLIFIED_ONLY & set(said), said
    assert "年龄 >= 60 且 是否独居 = 是" in shown(page(client, lonely.pk, "zh-hans"), "filter-text")


def test_a_suggestion_stored_before_its_reasons_were_data_reads_in_english_too(world, client, lonely):
    from yibiao.gate.models import Demand

    stored = dict(lonely.filter_suggestion)
    for key in ("reasons", "reason_en"):
        stored.pop(key)
    Demand.objects.filter(pk=lonely.pk).update(filter_suggestion=stored)
    client.force_login(world.reviewer)
    assert "“独居老人” in the title “独居老人走访登记表”" in shown(page(client, lonely.pk, "en"), "filter-suggestion")


def test_the_filter_as_each_language_shows_it_reads_back_the_same(world, lonely):
    from yibiao.gate.tables import subjects

    vocab = subjects.vocabulary()
    for tree in (lonely.subject_filter,
                 {"or": [{"element": "person.sex", "op": "in", "value": ["2"]},
                         {"not": {"element": "person.disability_category", "op": "absent"}},
                         {"element": "person.arrival_date", "op": "<=", "value": "{period_end}"}]}):
        for language in ("zh-hans", "zh-hant", "en"):
            text = subjects.describe(tree, vocab, language=language)
            assert subjects.parse(text, "person", vocab) == subjects.parse(
                subjects.describe(tree, vocab), "person", vocab), (language, text)
    assert subjects.describe({"element": "person.disability_category", "op": "absent"}, vocab,
                             language="zh-hant") == "殘疾類別 為空"
    assert subjects.describe({"element": "person.sex", "op": "in", "value": ["2"]}, vocab,
                             language="en") == "Sex in (Female)"


@pytest.mark.parametrize("typed", ["年龄 大于等于 60 并且 性别 属于 (女) 且 非 (残疾类别 为空)",
                                   "年齡 大於等於 60 並且 性別 屬於 (女) 且 非 (殘疾類別 爲空)",
                                   "person.age >= 60 and person.sex in (2) and not (person.disability_category absent)",
                                   "Age >= 60 and Sex in (female) and not (“Disability category” absent)"])
def test_the_filter_language_reads_simplified_traditional_and_english(world, typed):
    from yibiao.gate.tables import subjects

    assert subjects.parse(typed, "person") == {"and": [
        {"element": "person.age", "op": ">=", "value": "60"},
        {"element": "person.sex", "op": "in", "value": ["2"]},
        {"not": {"element": "person.disability_category", "op": "absent"}}]}


def test_an_analysis_stored_before_its_english_verdict_reads_in_english(world, tmp_path, client):
    from yibiao.gate.models import Demand

    request = submit(world, template(tmp_path, WITH_NEW))
    police = officer_of(world, "police_old", "区公安分局")
    first, last = next_month()
    item = inspection(police, world, "出租房屋治安检查", start=first, end=last)
    expected = {}
    for demand in (request, item):
        demand.refresh_from_db()
        expected[demand.pk] = demand.analysis.pop("verdict_en")
        Demand.objects.filter(pk=demand.pk).update(analysis=demand.analysis)  # as stored before
    client.force_login(world.reviewer)
    for pk, english in expected.items():
        assert verdict_on(client, pk, "en") == english and not CJK.search(english)


def test_the_analysis_notes_read_in_english(world, tmp_path, client):
    """A column whose element is a guess, said in the page's language (a stored reason code)."""
    from yibiao.gate.models import Demand

    request = submit(world, template(tmp_path, WITH_NEW))
    analysis = dict(request.analysis)
    analysis["warnings"] = [{"code": "column_unconfirmed", "context": {"column": "E", "header": "是否接种流感疫苗"}},
                            "第 F 列“接种医院”的对应关系待确认"]  # one stored before reasons had codes
    Demand.objects.filter(pk=request.pk).update(analysis=analysis)
    client.force_login(world.reviewer)
    english = page(client, request.pk, "en")
    assert "Column E “是否接种流感疫苗”: its data element is a guess to confirm" in english
    assert "第 F 列“接種醫院”的對應關係待確認" in page(client, request.pk, "zh-hant")


def test_an_overlap_on_a_work_item_is_suggested_in_english(world, client):
    police = officer_of(world, "police_two", "区公安分局")
    fire = officer_of(world, "fire_two", "区消防救援大队")
    first, last = next_month()
    inspection(police, world, "出租房屋治安检查", start=first, end=last)
    item = inspection(fire, world, "出租房屋消防检查", start=first, end=last,
                      evidence=(("入户照片", "核对是否到场"),))
    client.force_login(world.reviewer)
    english = page(client, item.pk, "en")
    assert "Other material: 入户照片" in english  # the evidence's kind, then a colon in English
    assert "Merge them into one joint inspection" in english and "same subjects: Rented housing" in english
    assert not re.search(r"[A-Za-z]\s*：", english)


def test_a_demands_first_step_reads_without_an_empty_from_state():
    """Submission has no state before it: "陈静：待审核", not "陈静:  → Awaiting review"."""
    from django.template.loader import render_to_string
    from django.utils import translation

    from yibiao.gate.models import History

    step = History(from_status="", to_status="submitted")
    step.by = None  # shown blank: the test is about the states
    later = History(from_status="submitted", to_status="admitted")
    with translation.override("en"):
        html = render_to_string("gate/_history.html", {"history": [step, later]})
    lines = [line.split(":", 1)[1].strip() for line in html.split("<li>")[1:]]
    assert lines[0].startswith("Awaiting review") and "→" not in lines[0].split("</li>")[0]
    assert "Awaiting review → " in lines[1]
