"""Tasks and inspections through the gate: refused without a basis or a reason for each evidence
demand; two departments inspecting the same rental houses in one month are flagged and merged
into ONE joint visit each community sees once; a load ceiling and the quarterly inspection
limit are reported; a struck evidence demand is counted; every transition is audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from yibiao.accounts.models import Department, Role, User
from yibiao.accounts.scope import OutOfScope
from yibiao.agenda import agenda
from yibiao.agenda.inbox import inbox_items
from yibiao.audit.models import Action, AuditEntry
from yibiao.burden.accounting import workload_figures
from yibiao.gate import analysis as gate_analysis
from yibiao.gate import rules
from yibiao.gate.models import Status, WorkItem
from yibiao.gate.work import workflow

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def next_month() -> tuple[dt.date, dt.date]:
    first = (timezone.localdate().replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return first, last


def officer_of(world, username: str, department: str) -> User:
    """An officer of another department, at the county."""
    account = User(username=username, role=Role.OFFICER, org_unit=world.county,
                   department=Department.objects.get_or_create(name=department)[0])
    account.set_password(PASSWORD)
    account.save()
    return account


def inspection(officer: User, world, title: str, *, start: dt.date, end: dt.date, hours: float = 3,
               subjects: tuple[str, ...] = ("rental_houses",), scope: str | None = None,
               evidence: tuple[tuple[str, str], ...] = (), kind: str = "inspection") -> WorkItem:
    return workflow.submit(officer, workflow.NewWorkItem(
        kind=kind, title=title, department=officer.department.name,
        basis="《出租房屋治安管理规定》（公安部令第24号）", scope_code=scope or world.township_a.code,
        start=start, end=end, hours_per_community=hours,
        estimate_basis="每户 5 分钟 × 约 36 户出租房", subjects=list(subjects),
        evidence=[workflow.Evidence(what, why) for what, why in evidence]))


@pytest.fixture
def police(world):
    return officer_of(world, "police", "区公安分局")


@pytest.fixture
def housing(world):
    return officer_of(world, "housing", "区住房和城乡建设局")


def test_a_task_without_basis_dates_effort_or_evidence_reasons_is_refused_with_every_reason(world, police):
    with pytest.raises(workflow.GateRefused) as refused:
        workflow.submit(police, workflow.NewWorkItem(
            kind="task", title="出租房全面排查", department="区公安分局", basis="",
            scope_code=world.township_a.code, start=None, end=None, hours_per_community=None,
            estimate_basis="", subjects=["rental_houses"],
            evidence=[workflow.Evidence("入户照片", "")]))
    text = "；".join(refused.value.reasons)
    for expected in ("缺少政策依据", "开始和结束日期", "预计工时", "工时是怎样测算的", "入户照片"):
        assert expected in text
    assert not WorkItem.objects.exists()


def test_overlapping_inspections_are_flagged_and_merged_into_one_joint_visit(world, police, housing):
    first, last = next_month()
    by_police = inspection(police, world, "出租房屋治安检查", start=first, end=last, hours=3,
                           evidence=(("检查记录表", "留存检查结果"),))
    by_housing = inspection(housing, world, "出租房屋安全检查", start=first + dt.timedelta(days=5),
                            end=last, hours=2)
    assert by_housing.analysis["overlaps"][0]["item_id"] == by_police.pk
    assert "多检合一" in by_housing.analysis["verdict"]
    assert "区公安分局" in by_housing.analysis["verdict"]

    with pytest.raises(OutOfScope):  # departments do not merge; reviewers do
        workflow.merge(police, by_police, by_housing)
    joint = workflow.merge(world.reviewer, by_housing, by_police, "多检合一")

    assert joint.status == Status.ADMITTED and joint.kind == "inspection"
    assert sorted(joint.departments()) == ["区住房和城乡建设局", "区公安分局"]
    assert (joint.start_date, joint.end_date) == (first + dt.timedelta(days=5), last)
    assert joint.hours_per_community == 3  # one visit: the larger estimate
    assert [e.what for e in joint.evidence.all()] == ["检查记录表"]
    for original in (by_police, by_housing):
        original.refresh_from_db()
        assert original.status == Status.MERGED and original.merged_into_id == joint.pk

    events = [e for e in agenda.events(world.worker_a, world.community_a, first, last)
              if e.kind == "inspection"]
    assert len(events) == 1 and events[0].joint and events[0].title == joint.title
    inbox = [i for i in inbox_items(world.worker_a) if i.kind == "inspection"]
    assert len(inbox) == 1 and inbox[0].joint and inbox[0].evidence == ["检查记录表"]

    figures = workload_figures(world.reviewer, world.county, first, last)
    assert figures.joint_inspections == 1 and figures.inspections_replaced == 2
    assert figures.hours_saved_by_joint == pytest.approx(2.0, abs=0.01)  # 3 + 2 − 3, one community
    steps = list(AuditEntry.objects.filter(action=Action.REQUEST_TRANSITION, subject_kind="work_item")
                 .values_list("subject_id", "detail__step"))
    assert (str(joint.pk), "merge") in steps and (str(by_police.pk), "merge") in steps


def test_a_pending_item_reaches_no_worker(world, police):
    first, last = next_month()
    pending = inspection(police, world, "出租房屋治安检查", start=first, end=last)
    assert not [e for e in agenda.events(world.worker_a, world.community_a, first, last)
                if e.kind != "table"]
    assert not [i for i in inbox_items(world.worker_a) if i.kind != "table"]
    from yibiao.accounts import scope

    assert not scope.visible_work_items(world.worker_a).exists()
    workflow.decide(world.reviewer, pending, "admit", "依据充分")
    assert scope.visible_work_items(world.worker_a).get() == pending
    assert not scope.visible_work_items(world.worker_b).exists()  # another township: not theirs
    assert [i.title for i in inbox_items(world.worker_a)] == ["出租房屋治安检查"]
    assert inbox_items(world.worker_b) == []


def test_a_worker_may_not_reanalyse_an_item_that_reaches_them(world, police, client):
    first, last = next_month()
    item = inspection(police, world, "出租房屋治安检查", start=first, end=last)
    workflow.decide(world.reviewer, item, "admit", "依据充分")
    WorkItem.objects.filter(pk=item.pk).update(analysis={"kept": True})
    client.force_login(world.worker_a)
    assert client.post(f"/gate/{item.pk}/reanalyse/").status_code == 403
    assert WorkItem.objects.get(pk=item.pk).analysis == {"kept": True}
    gate_analysis.reanalyse(world.reviewer, item)
    assert "kept" not in WorkItem.objects.get(pk=item.pk).analysis


def test_the_weekly_load_ceiling_is_enforced_at_submission(world, police):
    rules.configure(world.reviewer, world.county, weekly_hours_ceiling=6, workers_per_community=1)
    first, _ = next_month()
    monday = first + dt.timedelta(days=(7 - first.weekday()) % 7)
    light = inspection(police, world, "消防检查", start=monday, end=monday + dt.timedelta(days=6),
                       hours=4, subjects=("fire_safety",))
    assert light.analysis["load"]["over_count"] == 0
    workflow.decide(world.reviewer, light, "admit", "")
    before = WorkItem.objects.count()
    with pytest.raises(workflow.GateRefused) as refused:
        inspection(police, world, "出租房全面排查", start=monday, end=monday + dt.timedelta(days=6),
                   hours=5, kind="task")
    assert [r.code for r in refused.value.details] == ["load_over_ceiling"]
    assert "超过每人每周派出工作上限 6 小时" in str(refused.value)
    assert world.community_a.name in str(refused.value) and "每人 9 小时" in str(refused.value)
    assert WorkItem.objects.count() == before  # nothing stored
    # The same week with less effort fits.
    fits = inspection(police, world, "出租房抽查", start=monday, end=monday + dt.timedelta(days=6),
                      hours=2, kind="task")
    assert fits.analysis["load"]["over_count"] == 0


def test_a_township_may_tighten_the_countys_limits_but_not_loosen_them(world, police):
    rules.configure(world.reviewer, world.county, weekly_hours_ceiling=6, max_inspections_per_quarter=3)
    rules.configure(world.reviewer, world.township_a, weekly_hours_ceiling=20, max_inspections_per_quarter=1)
    in_force = rules.rules_for(world.community_a)
    assert (in_force.weekly_hours_ceiling, in_force.max_inspections_per_quarter) == (6, 1)


def test_more_inspections_per_quarter_than_the_rule_allows_are_refused(world, police, housing):
    rules.configure(world.reviewer, world.township_a, max_inspections_per_quarter=1)
    first, last = next_month()
    admitted = inspection(police, world, "治安检查", start=first, end=first, subjects=("shops",))
    workflow.decide(world.reviewer, admitted, "admit", "")
    with pytest.raises(workflow.GateRefused) as refused:
        inspection(housing, world, "燃气安全检查", start=last, end=last, subjects=("fire_safety",))
    assert [r.code for r in refused.value.details] == ["inspections_per_quarter_over"]
    assert "每社区每季度 1 次" in str(refused.value) and world.community_a.name in str(refused.value)


def test_a_struck_evidence_demand_is_audited_and_counted(world, police):
    first, last = next_month()
    item = inspection(police, world, "出租房屋治安检查", start=first, end=last,
                      evidence=(("入户照片每户 3 张", "证明已到场"), ("签到表", "核对人员")))
    photos = item.evidence.get(what="入户照片每户 3 张")
    with pytest.raises(OutOfScope):
        workflow.strike(police, item, photos.pk, "过度留痕")
    with pytest.raises(workflow.GateRefused):
        workflow.strike(world.reviewer, item, photos.pk, "")  # a reason is required
    workflow.strike(world.reviewer, item, photos.pk, "检查记录已能证明到场，照片属过度留痕")
    photos.refresh_from_db()
    assert photos.struck and photos.struck_by == world.reviewer
    assert AuditEntry.objects.filter(action=Action.CHANGE, subject_kind="evidence_demand",
                                     subject_id=str(photos.pk), detail__step="strike_evidence").exists()
    workflow.decide(world.reviewer, item, "admit", "")
    assert [i.evidence for i in inbox_items(world.worker_a)] == [["签到表"]]
    figures = workload_figures(world.reviewer, world.county, timezone.localdate(), last)
    assert (figures.evidence_demanded, figures.evidence_struck) == (2, 1)
    assert figures.by_department[0].department == "区公安分局"
    assert figures.by_department[0].evidence_struck == 1
    assert figures.inspection_hours == pytest.approx(3.0)


def test_the_state_machine_refuses_what_it_does_not_allow(world, police):
    first, last = next_month()
    item = inspection(police, world, "出租房屋治安检查", start=first, end=last)
    with pytest.raises(OutOfScope):
        workflow.decide(world.worker_a, item, "admit")
    with pytest.raises(workflow.GateRefused, match="须写明理由"):
        workflow.decide(world.reviewer, item, "reject", "")
    workflow.decide(world.reviewer, item, "return", "请补充检查清单")
    with pytest.raises(workflow.GateRefused, match="不能准入"):
        workflow.decide(world.reviewer, item, "admit")
    with pytest.raises(OutOfScope):  # only the department that asked may resubmit
        workflow.resubmit(world.officer, item, workflow.NewWorkItem(
            kind="inspection", title="x", department="", basis="《x》（x〔2026〕1号）",
            scope_code=world.township_a.code, start=first, end=last, hours_per_community=1,
            estimate_basis="估算", subjects=["rental_houses"]))
    steps = list(item.history.values_list("from_status", "to_status"))
    assert steps == [("", "submitted"), ("submitted", "returned")]
    assert AuditEntry.objects.filter(action=Action.REQUEST_TRANSITION, subject_id=str(item.pk),
                                     detail__step="return").exists()


def test_pages_submit_review_and_merge(client, world, police, housing):
    first, last = next_month()
    client.login(username="police", password=PASSWORD)
    response = client.post("/gate/new/work/", {
        "kind": "inspection", "title": "出租房屋治安检查", "department": "区公安分局",
        "basis": "《出租房屋治安管理规定》（公安部令第24号）", "scope": world.township_a.code,
        "start": first.isoformat(), "end": last.isoformat(), "frequency": "once", "hours": "3",
        "estimate_basis": "每户 5 分钟", "subjects": ["rental_houses"],
        "evidence_what_1": "入户照片", "evidence_why_1": ""})
    assert response.status_code == 200 and "须说明为什么需要" in response.content.decode()
    assert not WorkItem.objects.exists()
    response = client.post("/gate/new/work/", {
        "kind": "inspection", "title": "出租房屋治安检查", "department": "区公安分局",
        "basis": "《出租房屋治安管理规定》（公安部令第24号）", "scope": world.township_a.code,
        "start": first.isoformat(), "end": last.isoformat(), "frequency": "once", "hours": "3",
        "estimate_basis": "每户 5 分钟", "subjects": ["rental_houses"]})
    assert response.status_code == 302
    by_police = WorkItem.objects.get()
    by_housing = inspection(housing, world, "出租房屋安全检查", start=first, end=last, hours=2)
    client.login(username="reviewer", password=PASSWORD)
    page = client.get(f"/gate/{by_housing.pk}/").content.decode()
    assert "多检合一" in page and "合并为一次联合检查" in page
    response = client.post(f"/gate/{by_housing.pk}/merge/", {"other": by_police.pk, "reason": "多检合一"})
    joint = WorkItem.objects.get(status=Status.ADMITTED)
    assert response["Location"] == f"/gate/{joint.pk}/"
    client.login(username="worker_a", password=PASSWORD)
    assert "联合检查" in client.get(f"/gate/{joint.pk}/").content.decode()
    assert client.get(f"/gate/{by_police.pk}/").status_code == 403  # merged: not theirs to see
    month = client.get(f"/calendar/{world.community_a.code}/?month={first:%Y-%m}").content.decode()
    assert month.count(f'href="/gate/{joint.pk}/"') >= 2  # in the grid and in the month's list
