"""A demand's verdict, stored when it is analysed, reads in the page's language: English
written beside the Chinese, Traditional converted; the subject filter said in English too."""

from __future__ import annotations

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
