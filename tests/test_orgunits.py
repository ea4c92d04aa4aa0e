"""The org-unit tree holds the real division codes and answers subtree queries by prefix."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yibiao.orgunits.divisions import load_divisions
from yibiao.orgunits.models import Level, OrgUnit, prefix_upper_bound

pytestmark = pytest.mark.django_db


def test_every_real_township_is_loaded_with_its_parents():
    assert OrgUnit.objects.filter(level=Level.PROVINCE).count() == 31
    assert OrgUnit.objects.filter(level=Level.CITY).count() == 342
    assert OrgUnit.objects.filter(level=Level.COUNTY).count() == 2978
    assert OrgUnit.objects.filter(level=Level.TOWNSHIP).count() == 41352
    street = OrgUnit.objects.select_related("parent__parent__parent").get(code="110101001")
    assert street.name == "东华门街道"
    assert street.parent.code == "110101"
    assert street.parent.parent.parent.code == "11"
    assert street.full_name == "北京市 / 东城区 / 东华门街道"


def test_loading_twice_changes_nothing():
    before = OrgUnit.objects.count()
    load_divisions()
    assert OrgUnit.objects.count() == before


def test_subtree_is_a_prefix_range_in_one_query(world):
    with CaptureQueriesContext(connection) as queries:
        codes = set(world.county.descendants().values_list("code", flat=True))
    assert len(queries) == 1
    assert world.grid_a.code in codes and world.township_b.code in codes
    assert "430105" not in codes  # the neighbouring county
    assert not any(code.startswith("430105") for code in codes)


def test_ancestors_walk_up_by_code_prefix(world):
    names = list(world.grid_a.ancestors().values_list("level", flat=True))
    assert names == ["province", "city", "county", "township", "community"]


@pytest.mark.parametrize(("code", "bound"), [("43", "44"), ("430109", "43010:"), ("1", "2")])
def test_prefix_upper_bound(code, bound):
    assert prefix_upper_bound(code) == bound
