"""Run by tests/test_gate_migration.py in its own process, on a database of its own.

Builds the schema as it was before the one gate (admission 0004, workload 0001, reports
0003), loads the demo's rows of that time (tests/fixtures/gate_before_merge.json, dumped
from the demo at 0fd6219), migrates to the newest schema and prints, as JSON, what the
rows became, for the test to compare with the fixture.

    DATABASE_URL=… python tests/gate_migration_check.py tests/fixtures/gate_before_merge.json
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yibiao.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.core.serializers.json import DjangoJSONEncoder  # noqa: E402
from django.db import connection, models  # noqa: E402
from django.db.migrations.executor import MigrationExecutor  # noqa: E402
from django.utils.dateparse import parse_date, parse_datetime  # noqa: E402

BEFORE = [("admission", "0004_masked_elements"), ("workload", "0001_initial"),
          ("reports", "0003_taskvalue_version")]
ORDER = ["orgunits.OrgUnit", "accounts.Department", "accounts.User", "admission.FormRequest",
         "admission.Transition", "admission.AdmissionRules", "workload.WorkItem",
         "workload.WorkItem_joint_with", "workload.EvidenceDemand", "workload.Transition",
         "workload.LoadRules", "workload.UnadmittedReport", "reports.Task", "reports.ExportJob"]


def typed(field: models.Field, value: object) -> object:
    if value is None:
        return None
    if isinstance(field, models.DateTimeField):
        return parse_datetime(value)
    if isinstance(field, models.DateField):
        return parse_date(value)
    return value


def load_old(old_apps: object, data: dict) -> None:
    for label in ORDER:
        rows = data[label]
        if label == "workload.WorkItem_joint_with":
            through = old_apps.get_model("workload", "WorkItem").joint_with.through
            through.objects.bulk_create(through(**row) for row in rows)
            continue
        model = old_apps.get_model(label)
        fields = {f.attname: f for f in model._meta.concrete_fields}
        pending = []
        for row in rows:
            obj = model(**{name: typed(fields[name], value) for name, value in row.items()})
            pending.append(obj)
        if label == "orgunits.OrgUnit":
            for obj in pending:  # parents first (sorted by code), one by one
                obj.save(force_insert=True)
            continue
        model.objects.bulk_create(pending)
        # auto_now_add fields were overwritten by bulk_create's pre_save: put them back.
        for name, field in fields.items():
            if getattr(field, "auto_now_add", False) and rows and name in rows[0]:
                for row in rows:
                    model.objects.filter(pk=row["id"]).update(**{name: typed(field, row[name])})


def after() -> dict:
    from yibiao.gate.models import Demand, EvidenceDemand, GateRules, History
    from yibiao.reports.models import Task
    from yibiao.slipped.models import UnadmittedReport

    def rows(queryset: object) -> list[dict]:
        model = queryset.model
        return [{f.attname: (getattr(o, f.attname).name if isinstance(f, models.FileField)
                             else getattr(o, f.attname)) for f in model._meta.concrete_fields}
                for o in queryset]

    demands = rows(Demand.objects.order_by("pk"))
    for row in demands:
        row["joint_with"] = sorted(Demand.objects.get(pk=row["id"]).joint_with.values_list("pk", flat=True))
    fresh = Demand.objects.create(kind="task", title="迁移后新建", department_id=demands[0]["department_id"],
                                  basis="x", scope_id=demands[0]["scope_id"],
                                  submitted_by_id=demands[0]["submitted_by_id"])
    return {"demands": demands, "history": rows(History.objects.order_by("pk")),
            "evidence": rows(EvidenceDemand.objects.order_by("pk")),
            "rules": rows(GateRules.objects.order_by("org_unit_id")),
            "reports": rows(UnadmittedReport.objects.order_by("pk")),
            "tasks": list(Task.objects.order_by("pk").values("id", "request_id")),
            "next_demand_id": fresh.pk,
            "old_tables": sorted(t for t in connection.introspection.table_names()
                                 if t.startswith(("admission_", "workload_")))}


def main() -> None:
    data = json.load(open(sys.argv[1], encoding="utf-8"))
    executor = MigrationExecutor(connection)
    # Every other app as it is now; the gate's own and its sources as before it existed.
    before = [node for node in executor.loader.graph.leaf_nodes()
              if node[0] not in {"gate", "slipped"} | {app for app, _ in BEFORE}] + BEFORE
    executor.migrate(before)
    executor.loader.build_graph()
    old_apps = executor.loader.project_state(before).apps
    load_old(old_apps, data)
    call_command("migrate", verbosity=0)
    json.dump(after(), sys.stdout, cls=DjangoJSONEncoder, ensure_ascii=False)


if __name__ == "__main__":
    main()
