"""户号 are each community's own numbering (ledger.Household.community_code): two communities
may both have a household 001. Households written before this was so get their community
from their unit when migrated."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from yibiao.ledger.models import Household

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_migration_gives_existing_households_their_community(world):
    executor = MigrationExecutor(connection)
    executor.migrate([("ledger", "0010_ledgerwrite_resent")])
    with connection.cursor() as cursor:
        for number, unit in (("001", world.grid_a), ("002", world.community_b)):
            cursor.execute("INSERT INTO ledger_household (number, org_unit_id, address, created_at) "
                           "VALUES (%s, %s, '', CURRENT_TIMESTAMP)", [number, unit.pk])
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    found = dict(Household.objects.values_list("number", "community_code"))
    assert found == {"001": world.community_a.code, "002": world.community_b.code}
    # and the number is now free in the other community
    Household.objects.create(number="001", org_unit=world.community_b)
    assert Household.objects.filter(number="001").count() == 2
