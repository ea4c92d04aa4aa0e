from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("ledger", "0006_ledgerwrite"),
    ]

    operations = [
        migrations.AddField(
            model_name="personstate",
            name="row_digest",
            field=models.CharField(blank=True, max_length=32, null=True),
        ),
    ]
