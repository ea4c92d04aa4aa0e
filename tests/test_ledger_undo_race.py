"""Undo racing an edit (issue 16's attack pass): two real connections, PostgreSQL's row locks
decide. The data is committed for real (the threads cannot see a test's open transaction) and
removed afterwards by hand, as in test_ledger_conflict and test_task_concurrency."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, transaction

from yibiao.ledger.models import Fact, Person

ZHAO = "11010519491231002X"


@pytest.fixture
def committed_import(django_db_setup, django_db_blocker):  # noqa: ARG001 - the test database
    """A community, its worker, 王秀英 (work unit 老单位) and an undoable import that changed
    her work unit to 导入单位: committed for real (threads cannot see a test's transaction),
    removed afterwards by hand as in test_ledger_conflict."""
    from yibiao.accounts.models import Role, User
    from yibiao.audit.models import AuditEntry
    from yibiao.ledger.models import EditConflict, LedgerWrite, Residence, WriteKind
    from yibiao.ledger.records import PersonInput, Undoable, write_people
    from yibiao.orgunits.divisions import add_unit
    from yibiao.orgunits.models import Level, OrgUnit

    with django_db_blocker.unblock():
        if not OrgUnit.objects.filter(code="430104003").exists():
            from yibiao.setup import initialise

            initialise()
        community = add_unit("430104003996", "撤销并发社区", Level.COMMUNITY, OrgUnit.objects.get(code="430104003"))
        worker = User.objects.create(username="undo-race", role=Role.WORKER, org_unit=community)
        write_people(worker, community, [PersonInput({"person.id_number": ZHAO, "person.name": "王秀英",
                                                      "person.work_unit": "老单位"})],
                     valid_from=dt.date(2026, 1, 1))
        result = write_people(worker, community, [PersonInput({"person.id_number": ZHAO,
                                                               "person.work_unit": "导入单位"})],
                              undoable=Undoable(WriteKind.IMPORT, "花名册.xlsx", "undo-race-key"))
        person = Person.objects.get(id_number=ZHAO)
        write = LedgerWrite.objects.get(pk=result.write_id)
        try:
            yield worker, person, write
        finally:
            EditConflict.objects.filter(person=person).delete()
            Fact.objects.filter(subject_id=person.pk).delete()
            Residence.objects.filter(person=person).delete()
            from yibiao.ledger.models import PersonState

            PersonState.objects.filter(person=person).delete()
            person.delete()
            LedgerWrite.objects.filter(pk=write.pk).delete()
            AuditEntry.objects.filter(actor=worker).delete()
            worker.delete()
            community.delete()


def test_an_edit_saved_while_an_undo_runs_is_kept_not_reversed(committed_import, django_db_blocker):
    """The worker corrects 王秀英's work unit while a colleague undoes the import that set it.
    The edit held her row and wrote its fact; the undo, started meanwhile, read her history
    without it and appended a reversing fact later (it wins), so 老单位 came back and the
    correction the worker was told was saved was lost, not even counted as kept. The undo
    now waits for the people it reverses: it sees the edit and keeps it."""
    from yibiao.ledger.records import edit_person
    from yibiao.ledger.snapshot import latest_facts
    from yibiao.ledger.undo import undo_write

    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time: the undo waits for the edit as a whole")
    worker, person, write = committed_import
    edited, release = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def edit() -> None:
        with django_db_blocker.unblock():
            try:
                with transaction.atomic():
                    edit_person(worker, Person.objects.get(pk=person.pk), {"person.work_unit": "后来改的单位"},
                                based_on_version=Person.objects.get(pk=person.pk).version)
                    edited.set()
                    release.wait(60)
            finally:
                edited.set()
                connection.close()

    def undo() -> None:
        with django_db_blocker.unblock():
            try:
                outcome["undo"] = undo_write(worker, write.pk)
            except Exception as error:  # noqa: BLE001 - judged below
                outcome["undo"] = error
            finally:
                connection.close()

    editor = threading.Thread(target=edit)
    editor.start()
    edited.wait(60)
    undoer = threading.Thread(target=undo)
    undoer.start()
    with django_db_blocker.unblock():
        for _ in range(600):  # until the undo waits on a row lock the edit holds (bounded)
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                               "AND datname = current_database()")
                if cursor.fetchone()[0]:
                    break
            threading.Event().wait(0.05)
    release.set()
    editor.join()
    undoer.join()
    with django_db_blocker.unblock():
        now = latest_facts("person", [person.pk], dt.date.max, ["person.work_unit"])
        assert not isinstance(outcome["undo"], Exception), outcome["undo"]
        assert now[person.pk]["person.work_unit"] == "后来改的单位"
        assert outcome["undo"].kept == 1
