"""A form sent from a page older than the login (the worker logged in again in another tab,
or the page stayed open past a logout) fails Django's CSRF check. It was Django's own
English page ("Forbidden (403) CSRF verification failed"), outside the layout, the typing
apparently gone; in the grid the row's status showed that page's HTML source. Now it says,
in the product's words, that nothing was stored and how to get the typing back."""

from __future__ import annotations

import pytest
from django.test import Client

from yibiao.ledger.models import Household

pytestmark = pytest.mark.django_db

FORM = {"org_unit": "", "address": "桃花岭路 1 号", "name_0": "刘兵彬", "id_number_0": "430104195003040010"}


@pytest.fixture
def strict(world) -> Client:  # noqa: ANN001
    """A browser as it is: the CSRF check enforced (the test client skips it otherwise)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.worker_a)
    return client


def test_a_household_form_from_a_stale_page_says_nothing_was_stored(strict, world):
    response = strict.post("/ledger/households/new/", {**FORM, "org_unit": world.grid_a.code})
    page = response.content.decode()
    assert response.status_code == 403
    assert "这次提交没有保存" in page and "返回" in page
    assert 'id="error-message"' in page and "verification failed" not in page  # the product's page, its words
    assert not Household.objects.exists()


def test_a_grid_row_from_a_stale_page_gets_the_sentence_alone(strict):
    response = strict.post("/reports/tasks/1/rows/", {"cell|p:1|D": "13812345678"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode().startswith("这次提交没有保存")
