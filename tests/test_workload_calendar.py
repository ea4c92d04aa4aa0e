"""The joint calendar: month and week pages, and an iCalendar file a phone accepts — per
RFC 5545: CRLF lines folded at 75 octets, one VEVENT per item with UID, DTSTART and DTEND.
A worker sees their own community's calendar and no other."""

from __future__ import annotations

import datetime as dt

import pytest

from yibiao.agenda import ical
from yibiao.agenda.schedule import occurrences
from yibiao.cli import main
from yibiao.gate.work import workflow

from .conftest import PASSWORD
from .test_workload_gate import inspection, next_month, officer_of

pytestmark = pytest.mark.django_db


def unfold(body: bytes) -> list[str]:
    """RFC 5545 §3.1: a CRLF followed by a space continues the previous line."""
    return body.decode("utf-8").replace("\r\n ", "").split("\r\n")


@pytest.fixture
def admitted(world):
    police = officer_of(world, "police", "区公安分局")
    first, last = next_month()
    long_title = "出租房屋、群租房、日租房治安消防安全联合排查整治专项行动（第二轮，含回头看）"
    item = inspection(police, world, long_title, start=first, end=last,
                      evidence=(("检查记录表", "留存检查结果, 便于整改; 复查"),))
    workflow.decide(world.reviewer, item, "admit", "")
    weekly = workflow.submit(police, workflow.NewWorkItem(
        kind="task", title="反诈宣传, 每周", department="区公安分局", basis="《反电信网络诈骗法》第八条",
        scope_code=world.county.code, start=first, end=first + dt.timedelta(days=20),
        hours_per_community=1, estimate_basis="每周一次宣传 1 小时", frequency="weekly",
        subjects=["residents"]))
    workflow.decide(world.reviewer, weekly, "admit", "")
    return item, weekly, first, last


def test_the_icalendar_file_is_well_formed(client, world, admitted):
    item, weekly, first, last = admitted
    client.login(username="worker_a", password=PASSWORD)
    response = client.get(f"/calendar/{world.community_a.code}.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    body = response.content
    assert body.endswith(b"\r\n") and b"\n" not in body.replace(b"\r\n", b"")
    for raw in body.split(b"\r\n"):
        assert len(raw) <= 75, raw
    lines = unfold(body)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR" and lines[-1] == ""
    assert "VERSION:2.0" in lines and any(line.startswith("PRODID:") for line in lines)
    events = []
    for line in lines:
        if line == "BEGIN:VEVENT":
            events.append({})
        elif events and ":" in line and line != "END:VEVENT":
            name, _, value = line.partition(":")
            events[-1][name] = value
    weeks = len(occurrences(weekly.start_date, weekly.end_date, "weekly"))
    assert len(events) == 1 + weeks  # one per inspection, one per weekly occurrence
    assert len({e["UID"] for e in events}) == len(events)
    for event in events:
        assert {"UID", "DTSTAMP", "DTSTART;VALUE=DATE", "DTEND;VALUE=DATE", "SUMMARY"} <= event.keys()
        assert event["DTEND;VALUE=DATE"] > event["DTSTART;VALUE=DATE"]
    main_event = next(e for e in events if item.title in e["SUMMARY"])
    assert main_event["DTSTART;VALUE=DATE"] == f"{first:%Y%m%d}"
    assert main_event["DTEND;VALUE=DATE"] == f"{last + dt.timedelta(days=1):%Y%m%d}"  # exclusive
    assert b"\r\n " in body  # the long title was folded
    assert all("反诈宣传\\, 每周" in e["SUMMARY"] for e in events if e is not main_event)


@pytest.mark.parametrize(("text", "escaped"), [
    ("a,b;c\\d", "a\\,b\\;c\\\\d"), ("两行\n文字", "两行\\n文字"), ("plain", "plain")])
def test_text_values_are_escaped(text, escaped):
    assert ical.escape(text) == escaped


def test_folding_never_splits_a_character_and_never_exceeds_75_octets():
    line = "SUMMARY:" + "检" * 100
    pieces = ical.fold(line)
    assert all(len(p.encode("utf-8")) <= 75 for p in pieces)
    assert pieces[0] + "".join(p[1:] for p in pieces[1:]) == line
    assert all(p.startswith(" ") for p in pieces[1:])


def test_month_and_week_views_render(client, world, admitted):
    item, weekly, first, last = admitted
    client.login(username="worker_a", password=PASSWORD)
    month = client.get(f"/calendar/{world.community_a.code}/?month={first:%Y-%m}")
    page = month.content.decode()
    assert month.status_code == 200 and item.title in page and "反诈宣传" in page
    assert "@media print" in page
    week = client.get(f"/calendar/{world.community_a.code}/week/?date={first.isoformat()}")
    assert week.status_code == 200 and "反诈宣传" in week.content.decode()
    assert client.get("/calendar/").status_code == 302
    client.login(username="reviewer", password=PASSWORD)  # a township's calendar
    assert item.title in client.get(f"/calendar/{world.township_a.code}/?month={first:%Y-%m}").content.decode()


def test_a_worker_cannot_see_another_communitys_calendar(client, world, admitted):
    client.login(username="worker_b", password=PASSWORD)
    for url in (f"/calendar/{world.community_a.code}/",
                f"/calendar/{world.community_a.code}/week/",
                f"/calendar/{world.community_a.code}.ics",
                f"/calendar/{world.township_a.code}/"):
        assert client.get(url).status_code == 403, url
    item = admitted[0]
    assert client.get(f"/gate/{item.pk}/").status_code == 403
    own = client.get(f"/calendar/{world.community_b.code}/?month={admitted[2]:%Y-%m}").content.decode()
    assert item.title not in own and "反诈宣传" in own  # the county-wide task reaches them too


def test_the_command_line_exports_the_same_calendar_and_lists(world, admitted, tmp_path, capsys):
    out = tmp_path / "cal.ics"
    first = admitted[2]
    assert main(["workload", "calendar", "--org", world.community_a.code, "--from", first.isoformat(),
                 "--to", admitted[3].isoformat(), "-o", str(out), "--user", "worker_a"]) == 0
    assert out.read_bytes().count(b"BEGIN:VEVENT") >= 2
    assert main(["workload", "calendar", "--org", world.community_a.code, "-o", str(out),
                 "--user", "worker_b"]) == 2
    capsys.readouterr()
    assert main(["workload", "inbox", "--json", "--user", "worker_a"]) == 0
    assert admitted[0].title in capsys.readouterr().out
    assert main(["workload", "figures", "--org", world.county.code, "--from", f"{first:%Y-%m}",
                 "--to", f"{first:%Y-%m}", "--json", "--user", "reviewer"]) == 0
    assert '"inspection_hours": 3.0' in capsys.readouterr().out


def test_the_calendar_speaks_english_brackets_and_months_on_an_english_page(client, world, admitted):
    """Found walking the English pages: 【Inspection】 in full-width brackets, the month as
    "2027-1", the departments in （…）."""
    item, weekly, first, last = admitted
    client.login(username="worker_a", password=PASSWORD)
    client.cookies["django_language"] = "en"
    page = client.get(f"/calendar/{world.community_a.code}/?month={first:%Y-%m}").content.decode()
    assert f"Joint calendar, {first:%B %Y}" in page
    assert "[Inspection] " in page and "【" not in page
    assert 'title="反诈宣传, 每周 (区公安分局)"' in page  # the departments in the language's brackets
    client.cookies["django_language"] = "zh-hans"
    page = client.get(f"/calendar/{world.community_a.code}/?month={first:%Y-%m}").content.decode()
    assert f"{first.year}年{first.month}月联合日历" in page and "【检查】" in page


@pytest.mark.parametrize(("hours", "language", "said"), [
    (0.08, "zh-hans", "约 5 分钟"), (0.08, "en", "about 5 min"), (0.001, "zh-hans", "约 1 分钟"),
    (1.5, "zh-hans", "约 1.5 小时"), (2.0, "zh-hans", "约 2 小时"), (None, "zh-hans", ""),
])
def test_expected_work_under_an_hour_is_said_in_minutes(hours, language, said):
    from django.utils import translation

    from yibiao.dictionary.templatetags.words import effort

    with translation.override(language):
        assert effort(hours) == said
