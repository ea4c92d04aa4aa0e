from django.db import migrations, models


def fill_initials(apps, schema_editor):  # noqa: ANN001, ARG001
    """Units already in the database (communities and grids included) get their initials."""
    from yibiao.values.pinyin import unit_initials

    OrgUnit = apps.get_model("orgunits", "OrgUnit")
    units = list(OrgUnit.objects.only("id", "name"))
    for unit in units:
        unit.initials = unit_initials(unit.name)
    OrgUnit.objects.bulk_update(units, ["initials"], batch_size=2000)


class Migration(migrations.Migration):

    dependencies = [
        ('orgunits', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='orgunit',
            name='initials',
            field=models.CharField(blank=True, db_index=True, max_length=20, verbose_name='拼音首字母'),
        ),
        migrations.RunPython(fill_initials, migrations.RunPython.noop),
    ]
