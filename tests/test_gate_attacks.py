"""The gate tried from outside by someone reaching for what is not theirs: old links with a
number of another department's demand (or one that does not exist, or a digit that is not
ASCII), the command line pointed at another unit's demand, and two decisions raced on one
demand. Each refusal is clean (no 500), the same whether the demand exists or not,
audited, and leaves the database as it was."""

from __future__ import annotations

import pytest
from django.test import Client

from yibiao.accounts.models import User
from yibiao.audit.models import Action, AuditEntry
from yibiao.cli import main
from yibiao.gate.models import Demand, History, Status

from .test_workload_gate import inspection, next_month, officer_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def theirs(world):
    """An inspection of the police, at the county; the health officer (world.officer) and
    the second community's worker may not see it."""
    police = officer_of(world, "police", "区公安分局")
    first, last = next_month()
    return inspection(police, world, "出租房屋治安检查", start=first, end=last, scope=world.county.code,
                      evidence=(("入户照片", "证明到场"),))


def state() -> tuple:
    return (list(Demand.objects.order_by("pk").values_list("pk", "status", "merged_into")),
            History.objects.count())


def denied(name: str) -> int:
    return AuditEntry.objects.filter(action=Action.DENIED, actor_name=name).count()


@pytest.mark.parametrize("old", ["/requests/{n}/", "/workload/{n}/", "/requests/{n}/decide/",
                                 "/workload/{n}/merge/"])
def test_an_old_link_to_a_demand_not_ones_own_is_refused_as_the_gate_refuses_and_audited(world, theirs, old):
    client = Client(raise_request_exception=False)
    client.force_login(world.officer)
    before = state()
    answers = []
    for number in (theirs.pk, 999_999, 10**30):  # another department's, none, beyond any id
        audits = denied("officer")
        response = client.get(old.format(n=number))
        answers.append(response.status_code)
        assert denied("officer") == audits + 1, (old, number)
        assert "Location" not in response
    assert answers == [403, 403, 403]  # the same answer: nothing tells that a number exists
    assert state() == before
    police = Client()
    police.force_login(User.objects.get(username="police"))
    kind_ok = old.startswith("/workload/")  # a table's old address does not lead to an inspection
    response = police.get(old.format(n=theirs.pk))
    assert response.status_code == (308 if kind_ok else 403)
    if kind_ok:
        assert response["Location"].startswith(f"/gate/{theirs.pk}/")


@pytest.mark.parametrize("path", ["/requests/²/", "/workload/²/", "/workload/١٢/", "/requests/𝟙/"])
def test_digits_that_are_not_ascii_are_not_a_number_and_no_500(world, theirs, path):
    client = Client(raise_request_exception=False)
    client.force_login(world.reviewer)
    response = client.get(path)
    assert response.status_code == 404
    assert "Location" not in response


@pytest.mark.parametrize("command", [
    ["gate", "history", "{n}"], ["gate", "work", "analyse", "{n}"],
    ["gate", "work", "review", "{n}", "reject", "--reason", "越权不予准入"],
    ["gate", "work", "strike", "{n}", "{e}", "--reason", "过度留痕"],
    ["workload", "merge", "{n}", "{n}"], ["request", "review", "{n}", "withdraw", "--reason", "撤销"],
])
def test_a_command_pointed_at_a_demand_not_ones_own_is_refused_and_audited(world, theirs, capsys, command):
    evidence = theirs.evidence.get().pk
    before = state()
    for user in ("officer", "worker_b"):
        for number in (theirs.pk, 999_999):
            audits = denied(user)
            args = [part.format(n=number, e=evidence) for part in command]
            assert main([*args, "--user", user]) == 2
            err = capsys.readouterr().err
            assert err.startswith("错误：") and "出租房屋治安检查" not in err
            assert denied(user) == audits + 1, (args, user)
    entry = AuditEntry.objects.filter(action=Action.DENIED, actor_name="officer").first()
    assert entry.subject_kind == "command" and str(theirs.pk) not in entry.subject_id
    assert state() == before
    theirs.evidence.get(struck=False)


def test_a_refusal_of_a_demand_one_may_see_is_not_a_denial(world, theirs, capsys):
    """A reviewer's wrong step is a refusal, not an attempt on another's demand: not audited as one."""
    assert main(["gate", "work", "review", str(theirs.pk), "reject", "--user", "reviewer"]) == 2
    assert "理由" in capsys.readouterr().err
    assert denied("reviewer") == 0
    assert theirs.history.count() == 1 and Demand.objects.get(pk=theirs.pk).status == Status.SUBMITTED


def test_the_older_pages_rules_forms_posted_through_their_redirect_change_only_what_they_carry(world):
    """/workload/rules/ posted its three limits under their own names; through the 308 they
    reach the one rules page, which once reset every limit they did not carry: the basis and
    sensitive-column checks switched off, element limits, 只减不增 and the yearly inspection
    limit cleared."""
    from yibiao.gate import rules

    rules.configure(world.reviewer, world.county, max_frequency="quarterly", require_basis=True,
                    sensitive_needs_justification=True, element_max_frequency={"person.phone": "yearly"},
                    max_new_typed_cells_per_year=0, max_inspections_per_department_year=1,
                    seconds_per_cell=9.0)
    client = Client()
    client.force_login(world.reviewer)
    older = {"org": world.county.code, "ceiling": "12", "max_inspections": "3", "workers": "4"}
    moved = client.post("/workload/rules/", older)
    assert moved.status_code == 308 and moved["Location"] == "/gate/rules/"
    assert client.post("/gate/rules/", older, follow=True).status_code == 200
    saved = rules.rules_for(world.county)
    assert (saved.weekly_hours_ceiling, saved.max_inspections_per_quarter, saved.workers_per_community) \
        == (12, 3, 4)
    assert (saved.max_frequency, saved.require_basis, saved.sensitive_needs_justification) \
        == ("quarterly", True, True)
    assert saved.element_max_frequency == {"person.phone": "yearly"}
    assert (saved.max_new_typed_cells_per_year, saved.max_inspections_per_department_year,
            saved.seconds_per_cell) == (0, 1, 9.0)
    # The older tables' form (no org: the reviewer's own unit) leaves the work limits alone.
    client.post("/requests/rules/", {"max_frequency": "monthly", "require_basis": "1",
                                     "element_max_frequency": "", "seconds_per_cell": ""}, follow=True)
    saved = rules.rules_for(world.county)
    assert (saved.max_frequency, saved.require_basis, saved.sensitive_needs_justification) \
        == ("monthly", True, False)  # that form drew both boxes: an unticked one is off
    assert saved.element_max_frequency == {} and saved.seconds_per_cell is None
    assert (saved.weekly_hours_ceiling, saved.max_new_typed_cells_per_year,
            saved.max_inspections_per_department_year) == (12, 0, 1)


def test_the_rules_page_as_drawn_still_clears_what_is_emptied_and_unticked(world):
    from yibiao.gate import rules

    rules.configure(world.reviewer, world.county, require_basis=True, max_new_typed_cells_per_year=0)
    client = Client()
    client.force_login(world.reviewer)
    page = client.get(f"/gate/rules/?org={world.county.code}").content.decode()
    assert 'name="flags"' in page
    response = client.post("/gate/rules/", {
        "org": world.county.code, "flags": "require_basis,sensitive_needs_justification",
        "max_frequency": "monthly", "sensitive_needs_justification": "1", "element_max_frequency": "",
        "max_new_typed_cells_per_year": "", "seconds_per_cell": "", "seconds_per_form": "",
        "weekly_hours_ceiling": "8", "max_inspections_per_quarter": "2",
        "max_inspections_per_department_year": "", "workers_per_community": "1"})
    assert response.status_code == 302
    saved = rules.rules_for(world.county)
    assert (saved.require_basis, saved.sensitive_needs_justification) == (False, True)
    assert saved.max_new_typed_cells_per_year is None


def test_the_history_command_gives_the_time_as_the_pages_do(world, theirs, capsys):
    """In the installation's time zone with its offset (it printed UTC without saying so)."""
    import json

    from django.utils import timezone

    assert main(["gate", "history", str(theirs.pk), "--json", "--user", "reviewer"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)
    at = timezone.localtime(theirs.history.get().at)
    assert entry["at"] == at.isoformat(timespec="seconds") and entry["at"].endswith("+08:00")
    assert (entry["action"], entry["to"], entry["by"]) == ("submit", "submitted", "police")
    assert main(["gate", "history", str(theirs.pk), "--user", "reviewer"]) == 0
    assert capsys.readouterr().out.startswith(at.strftime("%Y-%m-%dT%H:%M:%S"))
