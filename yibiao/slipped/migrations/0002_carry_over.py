"""Reports of what slipped past the gate, carried over from workload with their ids; a
converted report points at the demand its work item became (gate 0002's `former_id`)."""

from django.core.management.color import no_style
from django.db import migrations

FIELDS = ("reported_by_id", "org_unit_id", "department_id", "department_name", "channel", "kind",
          "description", "attachment", "attachment_name", "created_at", "status", "reviewer_note",
          "decided_by_id", "decided_at")


def carry_over(apps: object, schema_editor: object) -> None:
    Old = apps.get_model("workload", "UnadmittedReport")
    New = apps.get_model("slipped", "UnadmittedReport")
    Demand = apps.get_model("gate", "Demand")
    demand_of = dict(Demand.objects.exclude(former_id=None).values_list("former_id", "pk"))
    for old in Old.objects.order_by("pk"):
        new = New.objects.create(id=old.pk, converted_item_id=demand_of.get(old.converted_item_id),
                                 **{name: getattr(old, name) for name in FIELDS})
        New.objects.filter(pk=new.pk).update(created_at=old.created_at)  # not today's auto_now_add
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [New]):
            cursor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ("slipped", "0001_initial"),
        ("gate", "0002_carry_over"),
        ("workload", "0001_initial"),
    ]

    operations = [migrations.RunPython(carry_over, migrations.RunPython.noop)]
