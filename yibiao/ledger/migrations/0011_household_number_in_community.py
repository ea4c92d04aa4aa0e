"""户号 unique within a community, not across the deployment: community B's household 001
no longer clashes with community A's (every import of a second community numbering 001,
002, … was refused as 'belongs to another community')."""

from django.db import migrations, models

FILL = """UPDATE ledger_household SET community_code =
    (SELECT substr(u.code, 1, 12) FROM orgunits_orgunit u WHERE u.id = ledger_household.org_unit_id)"""


class Migration(migrations.Migration):

    dependencies = [
        ("ledger", "0010_ledgerwrite_resent"),
        ("orgunits", "0002_initials"),
    ]

    operations = [
        migrations.AddField(
            model_name="household",
            name="community_code",
            field=models.CharField(default="", max_length=12),
            preserve_default=False,
        ),
        migrations.RunSQL(FILL, reverse_sql=migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="household",
            name="number",
            field=models.CharField(max_length=30, verbose_name="户号"),
        ),
        migrations.AddConstraint(
            model_name="household",
            constraint=models.UniqueConstraint(fields=("community_code", "number"),
                                               name="household_number_in_community"),
        ),
    ]
