from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("admission", "0002_subject_filter"),
    ]

    operations = [
        migrations.AddField(
            model_name="formrequest",
            name="filter_status",
            field=models.CharField(blank=True, max_length=10, verbose_name="条件来源"),
        ),
        migrations.AddField(
            model_name="formrequest",
            name="filter_suggestion",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
