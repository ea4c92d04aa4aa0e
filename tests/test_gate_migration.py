"""Nothing lost in the move to one gate: the demo's requests, work items, transitions, rules,
evidence demands, merge links and reports, on the schema before the gate, mean the same
after the migrations — on SQLite and, where it runs, PostgreSQL.

The rows come from the demo as it was (tests/fixtures/gate_before_merge.json); the
migration runs in a process of its own on a database of its own (gate_migration_check.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

HERE = Path(__file__).parent
FIXTURE = HERE / "fixtures" / "gate_before_merge.json"
SHARED = ("title", "department_id", "basis", "frequency", "scope_id", "analysis", "status",
          "submitted_by_id", "submitted_at", "decided_at", "decision_reason")
TABLE = ("emergency", "deadline_days", "template", "template_name", "sheet_name", "subject", "layout",
         "columns", "justifications", "masked_elements", "subject_filter", "filter_status",
         "filter_suggestion", "direct_delivery")
WORK = ("kind", "start_date", "end_date", "hours_per_community", "estimate_basis", "subjects",
        "subjects_note", "description")


def migrate_copy(database_url: str, tmp_path: Path) -> dict:
    env = os.environ | {"DATABASE_URL": database_url, "YIBIAO_VAR_DIR": str(tmp_path / "var")}
    done = subprocess.run([sys.executable, str(HERE / "gate_migration_check.py"), str(FIXTURE)],
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        return url.rsplit("/", 1)[0]
    try:
        import psycopg

        psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=2).close()
    except Exception:  # noqa: BLE001 — no local server: the SQLite run stands alone
        return None
    return "postgres://postgres@127.0.0.1:5432"


def databases(tmp_path: Path) -> list[tuple[str, str]]:
    found = [("sqlite", f"sqlite:///{tmp_path / 'before-gate.sqlite3'}")]
    if (server := postgres_url()) is not None:
        found.append(("postgresql", f"{server}/gate_migration_{uuid.uuid4().hex[:8]}"))
    return found


def create_postgres(url: str) -> None:
    import psycopg

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server.replace('postgres://', 'postgresql://')}/postgres", autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')


def drop_postgres(url: str) -> None:
    import psycopg

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server.replace('postgres://', 'postgresql://')}/postgres", autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    tmp_path = tmp_path_factory.mktemp("gate-migration")
    results = {}
    for engine, url in databases(tmp_path):
        if engine == "postgresql":
            create_postgres(url)
        try:
            results[engine] = migrate_copy(url, tmp_path)
        finally:
            if engine == "postgresql":
                drop_postgres(url)
    return results


@pytest.fixture(scope="module")
def before() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def same_time(a: str | None, b: str | None) -> bool:
    """The instant, whatever the engine's spelling (+00:00 or Z, trailing zeros)."""
    import datetime as dt

    if a is None or b is None:
        return a is b
    parse = lambda text: dt.datetime.fromisoformat(text.replace("Z", "+00:00"))  # noqa: E731
    return parse(a) == parse(b)


def same(old: dict, new: dict, names: tuple[str, ...]) -> list[str]:
    differ = []
    for name in names:
        a, b = old[name], new[name]
        if name.endswith("_at"):
            if not same_time(a, b):
                differ.append(name)
        elif a != b:
            differ.append(name)
    return differ


def test_the_migration_runs_on_every_engine_here(migrated: dict) -> None:
    assert "sqlite" in migrated
    if os.environ.get("CI") or os.environ.get("DATABASE_URL", "").startswith("postgres"):
        assert "postgresql" in migrated  # CI's machine has the server: it must be exercised


def test_every_request_is_a_table_demand_with_its_number(migrated: dict, before: dict) -> None:
    for engine, after in migrated.items():
        demands = {d["id"]: d for d in after["demands"]}
        for old in before["admission.FormRequest"]:
            new = demands[old["id"]]
            assert new["kind"] == "table" and new["former_id"] is None, engine
            assert same(old, new, SHARED + TABLE) == [], (engine, old["id"])


def test_every_work_item_is_a_demand_found_by_its_old_number(migrated: dict, before: dict) -> None:
    for engine, after in migrated.items():
        by_former = {d["former_id"]: d for d in after["demands"] if d["former_id"] is not None}
        assert sorted(by_former) == sorted(w["id"] for w in before["workload.WorkItem"]), engine
        for old in before["workload.WorkItem"]:
            new = by_former[old["id"]]
            assert same(old, new, SHARED + WORK) == [], (engine, old["id"])
            merged_into = by_former[old["merged_into_id"]]["id"] if old["merged_into_id"] else None
            assert new["merged_into_id"] == merged_into, engine
        joint = [link for link in before["workload.WorkItem_joint_with"]]
        assert joint, "the demo's joint inspection must be in the fixture"
        for link in joint:
            assert link["department_id"] in by_former[link["workitem_id"]]["joint_with"], engine


def test_both_histories_are_one_history_in_order(migrated: dict, before: dict) -> None:
    for engine, after in migrated.items():
        demand_of_item = {d["former_id"]: d["id"] for d in after["demands"] if d["former_id"]}
        expected = sorted(
            [(t["request_id"], t["from_status"], t["to_status"], t["by_id"], t["reason"], t["at"])
             for t in before["admission.Transition"]]
            + [(demand_of_item[t["item_id"]], t["from_status"], t["to_status"], t["by_id"], t["reason"], t["at"])
               for t in before["workload.Transition"]], key=lambda row: (row[0], row[5]))
        got = sorted([(h["demand_id"], h["from_status"], h["to_status"], h["by_id"], h["reason"], h["at"])
                      for h in after["history"]], key=lambda row: (row[0], row[5]))
        assert len(got) == len(expected), engine
        for old, new in zip(expected, got, strict=True):
            assert old[:5] == new[:5] and same_time(old[5], new[5]), (engine, old, new)
        steps = {h["action"] for h in after["history"]}
        assert {"submit", "admit", "merge"} <= steps, engine  # each row says what the step was


def test_evidence_demands_and_their_strikes_are_kept(migrated: dict, before: dict) -> None:
    for engine, after in migrated.items():
        demand_of_item = {d["former_id"]: d["id"] for d in after["demands"] if d["former_id"]}
        names = ("kind", "what", "justification", "struck", "struck_reason", "struck_by_id")
        expected = sorted((demand_of_item[e["item_id"]], *(e[n] for n in names)) for e in before["workload.EvidenceDemand"])
        got = sorted((e["item_id"], *(e[n] for n in names)) for e in after["evidence"])
        assert got == expected, engine
        assert any(e["struck"] for e in after["evidence"]), engine


def test_both_rules_are_one_rules_row_per_unit(migrated: dict, before: dict) -> None:
    for engine, after in migrated.items():
        rules = {r["org_unit_id"]: r for r in after["rules"]}
        for old in before["admission.AdmissionRules"]:
            new = rules[old["org_unit_id"]]
            assert same(old, new, ("max_frequency", "element_max_frequency", "require_basis",
                                   "sensitive_needs_justification", "seconds_per_cell",
                                   "seconds_per_form")) == [], engine
        for old in before["workload.LoadRules"]:
            new = rules[old["org_unit_id"]]
            assert same(old, new, ("weekly_hours_ceiling", "max_inspections_per_quarter",
                                   "workers_per_community")) == [], engine


def test_reports_tasks_and_numbering_survive(migrated: dict, before: dict) -> None:
    for engine, after in migrated.items():
        demand_of_item = {d["former_id"]: d["id"] for d in after["demands"] if d["former_id"]}
        for old, new in zip(before["workload.UnadmittedReport"], after["reports"], strict=True):
            assert old["id"] == new["id"] and same_time(old["created_at"], new["created_at"]), engine
            assert new["converted_item_id"] == demand_of_item.get(old["converted_item_id"]), engine
            assert new["status"] == old["status"] and new["department_name"] == old["department_name"]
        assert any(r["converted_item_id"] for r in after["reports"]), engine
        assert [(t["id"], t["request_id"]) for t in after["tasks"]] == \
            [(t["id"], t["request_id"]) for t in before["reports.Task"]], engine
        assert after["next_demand_id"] > max(d["id"] for d in after["demands"]), engine
        assert after["old_tables"] == [], engine
