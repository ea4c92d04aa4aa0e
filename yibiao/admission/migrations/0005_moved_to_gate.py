"""Form requests live in gate.Demand now (gate 0002 copied every row, reports 0004 points
tasks and export jobs there): these tables go."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("admission", "0004_masked_elements"),
        ("gate", "0002_carry_over"),
        ("reports", "0004_requests_are_demands"),
    ]

    operations = [
        migrations.DeleteModel(name="Transition"),
        migrations.DeleteModel(name="AdmissionRules"),
        migrations.DeleteModel(name="FormRequest"),
    ]
