"""Every form request and work item becomes a demand; both histories one; both rules one.

Requests keep their numbers (tasks and export jobs point at them); work items are
numbered after the last request, their old number kept in `former_id` (old /workload/N/
links and audit entries name it). Reports of what slipped past are carried over in
slipped's 0002, which maps converted items through `former_id`.
"""

from django.core.management.color import no_style
from django.db import migrations

SHARED = ("title", "department_id", "basis", "frequency", "scope_id", "analysis", "status",
          "submitted_by_id", "submitted_at", "decided_at", "decision_reason")
TABLE = ("emergency", "deadline_days", "template", "template_name", "sheet_name", "subject",
         "layout", "columns", "justifications", "masked_elements", "subject_filter",
         "filter_status", "filter_suggestion", "direct_delivery")
WORK = ("start_date", "end_date", "hours_per_community", "estimate_basis", "subjects",
        "subjects_note", "description")
HISTORY = ("from_status", "to_status", "by_id", "at", "reason")
ADMISSION_RULES = ("max_frequency", "element_max_frequency", "require_basis",
                   "sensitive_needs_justification", "seconds_per_cell", "seconds_per_form")
LOAD_RULES = ("weekly_hours_ceiling", "max_inspections_per_quarter", "workers_per_community")
# What the step was, where the old history did not say: the first row is the submission.
STEP_TO = {"admitted": "admit", "returned": "return", "rejected": "reject",
           "withdrawn": "withdraw", "merged": "merge", "submitted": "resubmit"}


def step(row: object) -> str:
    return STEP_TO[row.to_status] if row.from_status else "submit"


def copy(source: object, names: tuple[str, ...]) -> dict:
    return {name: getattr(source, name) for name in names}


def carry_over(apps: object, schema_editor: object) -> None:
    Demand = apps.get_model("gate", "Demand")
    History = apps.get_model("gate", "History")
    Evidence = apps.get_model("gate", "EvidenceDemand")
    GateRules = apps.get_model("gate", "GateRules")
    FormRequest = apps.get_model("admission", "FormRequest")
    RequestTransition = apps.get_model("admission", "Transition")
    AdmissionRules = apps.get_model("admission", "AdmissionRules")
    WorkItem = apps.get_model("workload", "WorkItem")
    ItemTransition = apps.get_model("workload", "Transition")
    OldEvidence = apps.get_model("workload", "EvidenceDemand")
    LoadRules = apps.get_model("workload", "LoadRules")

    for r in FormRequest.objects.order_by("pk"):
        Demand.objects.create(id=r.pk, kind="table", **copy(r, SHARED), **copy(r, TABLE))
    offset = max(FormRequest.objects.order_by("-pk").values_list("pk", flat=True)[:1] or [0])
    new_id = {}
    for w in WorkItem.objects.order_by("pk"):
        new_id[w.pk] = offset + w.pk
        Demand.objects.create(id=new_id[w.pk], former_id=w.pk, kind=w.kind, **copy(w, SHARED),
                              **copy(w, WORK))
    for w in WorkItem.objects.exclude(merged_into=None):
        Demand.objects.filter(pk=new_id[w.pk]).update(merged_into_id=new_id[w.merged_into_id])
    Joint = Demand.joint_with.through
    Joint.objects.bulk_create(Joint(demand_id=new_id[link.workitem_id], department_id=link.department_id)
                              for link in WorkItem.joint_with.through.objects.order_by("pk"))
    # auto_now_add stamps the copy with today: each time is put back as it was.
    for t in RequestTransition.objects.order_by("at", "pk"):
        entry = History.objects.create(demand_id=t.request_id, action=step(t), **copy(t, HISTORY))
        History.objects.filter(pk=entry.pk).update(at=t.at)
    for t in ItemTransition.objects.order_by("at", "pk"):
        entry = History.objects.create(demand_id=new_id[t.item_id], action=step(t), **copy(t, HISTORY))
        History.objects.filter(pk=entry.pk).update(at=t.at)
    for e in OldEvidence.objects.order_by("pk"):
        Evidence.objects.create(item_id=new_id[e.item_id], kind=e.kind, what=e.what,
                                justification=e.justification, struck=e.struck,
                                struck_reason=e.struck_reason, struck_by_id=e.struck_by_id,
                                struck_at=e.struck_at)
    units = set(AdmissionRules.objects.values_list("org_unit_id", flat=True)) | \
        set(LoadRules.objects.values_list("org_unit_id", flat=True))
    for unit in sorted(units):
        limits = {}
        if (a := AdmissionRules.objects.filter(org_unit_id=unit).first()) is not None:
            limits |= copy(a, ADMISSION_RULES)
        if (w := LoadRules.objects.filter(org_unit_id=unit).first()) is not None:
            limits |= copy(w, LOAD_RULES)
        GateRules.objects.create(org_unit_id=unit, **limits)
    # auto_now_add stamped the copies with today: the submission times are put back.
    for r in FormRequest.objects.only("pk", "submitted_at"):
        Demand.objects.filter(pk=r.pk).update(submitted_at=r.submitted_at)
    for w in WorkItem.objects.only("pk", "submitted_at"):
        Demand.objects.filter(pk=new_id[w.pk]).update(submitted_at=w.submitted_at)
    # PostgreSQL: explicit ids leave the sequence behind; the next demand must not collide.
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [Demand]):
            cursor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ("gate", "0001_initial"),
        ("admission", "0004_masked_elements"),
        ("workload", "0001_initial"),
    ]

    operations = [migrations.RunPython(carry_over, migrations.RunPython.noop)]
