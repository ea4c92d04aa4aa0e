"""People's words, not codes: place names as people know them today, no element codes,
confidence floats or rule keys in what a page shows (they may sit in a tooltip or a
技术信息 block), shares as percentages, times in YIBIAO_TIME_ZONE."""

from __future__ import annotations

import re

import pytest

from yibiao.values.divisions import OLD_NAME_MARK, division_name


@pytest.mark.parametrize(
    ("code", "shown"),
    [
        ("430104", "湖南省长沙市岳麓区"),  # 西区 until 1995: the old name must not win
        ("430105", "湖南省长沙市开福区"),  # 北区 until 1995
        ("110105", "北京市朝阳区"),  # 市辖区 is silent
        ("430100", "湖南省长沙市"),
        ("43", "湖南省"),
        ("110103", "北京市崇文区" + OLD_NAME_MARK),  # merged into 东城区 in 2010
        ("430122", "湖南省望城县" + OLD_NAME_MARK),  # became 望城区 (430112) in 2011
    ],
)
def test_a_division_code_reads_as_the_current_place(code: str, shown: str) -> None:
    assert division_name(code) == shown


def test_a_code_that_never_existed_has_no_name() -> None:
    assert division_name("990105") is None


# --- pages ---------------------------------------------------------------------------

# Visible text only: <details> blocks (技术信息) and attribute values (title="…") may hold codes.
_HIDDEN = re.compile(r"<details.*?</details>|<script.*?</script>|<style.*?</style>|<[^>]*>", re.S)
_CODES = re.compile(r"\b(?:person|meta|household|place)\.[a-z_0-9]+|· 0\.\d")


def visible_text(html: str) -> str:
    return _HIDDEN.sub(" ", html)


@pytest.fixture
def resident(world):  # noqa: ANN001, ANN201
    from yibiao.ledger.models import Person
    from yibiao.ledger.records import PersonInput, write_people

    write_people(world.worker_a, world.grid_a, [PersonInput({
        "person.id_number": "430104198507150030", "person.name": "王秀英",
        "person.registered_division": "430104"})])
    return Person.objects.get(name="王秀英")


def test_the_registered_division_430104_reads_as_yuelu(client, world, resident):  # noqa: ANN001
    client.force_login(world.worker_a)
    page = client.get(f"/ledger/people/{resident.pk}/").content.decode()
    assert "湖南省长沙市岳麓区" in page
    assert "西区" not in page


@pytest.mark.parametrize("persona", ["admin", "reviewer", "officer", "worker_a"])
def test_main_pages_show_no_codes_or_confidence_floats(client, world, resident, persona):  # noqa: ANN001
    client.force_login(getattr(world, persona))
    # Not /dictionary/: the data dictionary is the one page whose subject is the codes.
    pages = ["/", "/ledger/people/", f"/ledger/people/{resident.pk}/", "/gate/?kind=table", "/gate/?kind=work",
             "/burden/", "/audit/"]
    for url in pages:
        response = client.get(url)
        if response.status_code != 200:
            continue  # not this persona's page
        shown = _CODES.findall(visible_text(response.content.decode()))
        assert shown == [], f"{persona} {url}: {shown}"


def test_the_site_has_a_favicon(client, world):  # noqa: ANN001
    client.force_login(world.worker_a)
    assert 'rel="icon"' in client.get("/").content.decode()
