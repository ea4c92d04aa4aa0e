"""Fill the per-person state of an existing ledger (derived from its facts and residences)."""

from django.db import migrations


def fill(apps, schema_editor):  # noqa: ANN001, ANN201, ARG001
    # The current code, not the historical models: the state is derived, and rebuilding it
    # must follow the same rules as the write path that keeps it (ledger/state.py).
    from yibiao.ledger.state import rebuild_states

    rebuild_states()


class Migration(migrations.Migration):

    dependencies = [("ledger", "0003_personstate")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
