"""Shared fixtures: the reference data loaded once per run, and personas for every role.

Personas follow healthchecks' habit: named people with known scopes, so a test reads
"worker Wang of 桃花岭 cannot see 东塘" rather than "user 3 cannot see unit 7".
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.http import HttpRequest
from django.test import Client

COUNTY = "430104"  # 湖南省长沙市岳麓区, a real county
PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing():
    """PBKDF2's deliberate slowness costs a second per persona; tests need no brute-force defence."""
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def _reference_data_present(request, django_db_setup, django_db_blocker):  # noqa: ANN001
    """A transactional test (test_replica, test_intake_jobs' progress test) ends by flushing
    every table, and the reference data loaded once per run goes with it: the next test that
    uses the database finds it loaded again (a browser test's grid had no code lists)."""
    if request.node.get_closest_marker("django_db") or \
            {"db", "transactional_db", "live_server", "world"} & set(request.fixturenames):
        with django_db_blocker.unblock():
            from yibiao.orgunits.models import OrgUnit

            if not OrgUnit.objects.filter(code=COUNTY).exists():
                from yibiao.setup import initialise

                initialise()
    yield


@pytest.fixture(autouse=True)
def _language_as_configured():
    """Each test starts in the settings' language: a command run in English (YIBIAO_LANGUAGE=en
    activates it in the process) must not make the next test's messages English."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # noqa: ANN001
    """Reference data (44,703 real division codes, the dictionary) once for the whole run."""
    with django_db_blocker.unblock():
        from yibiao.setup import initialise

        initialise()


class PersonaClient(Client):
    """Django's test client whose login() gives authenticate() a request, as the login page
    does: django-axes will not judge a login it cannot place (address, path)."""

    def login(self, **credentials: object) -> bool:
        if "request" not in credentials:
            request = HttpRequest()
            request.META["REMOTE_ADDR"] = "127.0.0.1"
            request.path = request.path_info = "/login/"
            credentials["request"] = request
        return super().login(**credentials)


@pytest.fixture
def client() -> PersonaClient:
    """pytest-django's client, able to log personas in through the throttled backends."""
    return PersonaClient()


@dataclass
class World:
    county: object
    township_a: object
    township_b: object
    community_a: object
    community_b: object
    grid_a: object
    admin: object
    reviewer: object
    officer: object
    worker_a: object
    worker_b: object
    department: object


@pytest.fixture
def world(db) -> World:  # noqa: ANN001
    from yibiao.accounts.models import Department, Role, User
    from yibiao.orgunits.divisions import add_unit
    from yibiao.orgunits.models import Level, OrgUnit

    county = OrgUnit.objects.get(code=COUNTY)
    township_a, township_b = county.children.order_by("code")[:2]
    community_a = add_unit(township_a.code + "001", "桃花岭社区", Level.COMMUNITY, township_a)
    community_b = add_unit(township_b.code + "002", "东塘村", Level.COMMUNITY, township_b)
    grid_a = add_unit(community_a.code + "001", "第一网格", Level.GRID, community_a)
    department = Department.objects.create(name="区卫生健康局", short_name="卫健")

    def user(username: str, role: str, unit: object, **extra: object) -> User:
        account = User(username=username, role=role, org_unit=unit, display_name=username, **extra)
        account.set_password(PASSWORD)
        account.save()
        return account

    return World(
        county=county,
        township_a=township_a,
        township_b=township_b,
        community_a=community_a,
        community_b=community_b,
        grid_a=grid_a,
        admin=user("admin", Role.ADMIN, None, is_staff=True, is_superuser=True),
        reviewer=user("reviewer", Role.REVIEWER, county),
        officer=user("officer", Role.OFFICER, township_a, department=department),
        worker_a=user("worker_a", Role.WORKER, community_a),
        worker_b=user("worker_b", Role.WORKER, community_b),
        department=department,
    )



@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):  # noqa: ANN001
    """Browser tests last: Playwright's sync API keeps an event loop running for the session,
    after which Django (rightly) refuses synchronous database calls in that thread."""
    items.sort(key=lambda item: "browser" in item.path.parts)
