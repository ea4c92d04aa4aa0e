"""Work items live in gate.Demand now and reports of what slipped past in slipped (gate
0002 and slipped 0002 copied every row): these tables go."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("workload", "0001_initial"),
        ("gate", "0002_carry_over"),
        ("slipped", "0002_carry_over"),
    ]

    operations = [
        migrations.DeleteModel(name="UnadmittedReport"),
        migrations.DeleteModel(name="Transition"),
        migrations.DeleteModel(name="EvidenceDemand"),
        migrations.DeleteModel(name="LoadRules"),
        migrations.DeleteModel(name="WorkItem"),
    ]
