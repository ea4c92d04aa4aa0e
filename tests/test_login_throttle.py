"""Wrong passwords are throttled per account (5) and, with a higher limit (30), per address;
a lock names what it holds, a try during it does not extend it, an administrator unlocks it;
every attempt is audited, and so is every refused (403) request, on pages and the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from tests.conftest import PASSWORD
from yibiao.audit.models import Action, AuditEntry

pytestmark = pytest.mark.django_db
LIMIT = 5  # YIBIAO_LOGIN_FAILURES' default
PER_ADDRESS = 30  # YIBIAO_LOGIN_FAILURES_PER_ADDRESS' default
WRONG = "wrong-password"


def attempt(client, username: str, password: str = WRONG, ip: str = "10.0.0.1"):  # noqa: ANN001, ANN201
    return client.post("/login/", {"username": username, "password": password},
                       REMOTE_ADDR=ip)


def logged_in(response) -> bool:  # noqa: ANN001
    return response.status_code == 302 and response["Location"] == "/"


def test_a_wrong_password_says_so_and_is_audited(world, client):
    response = attempt(client, "worker_a")
    assert response.status_code == 200
    assert "账号或密码不正确" in response.content.decode()
    entry = AuditEntry.objects.get(action=Action.LOGIN_FAILED)
    assert (entry.actor_id, entry.actor_name, entry.subject_id) == (None, "worker_a", "worker_a")
    assert entry.org_code == world.community_a.code  # the account's reviewers see it
    assert entry.detail["ip"] == "10.0.0.1" and entry.detail["path"] == "/login/"


def test_after_the_limit_even_the_right_password_is_refused_with_a_message(world, client):
    for _ in range(LIMIT - 1):
        assert attempt(client, "worker_a").status_code == 200
    locked = attempt(client, "worker_a")
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "账号 worker_a 登录失败 5 次，该账号已被暂时锁定" in page and "15 分钟后" in page
    assert 'name="password"' in page and "一表通" in page  # the login page, not bare text

    right = attempt(client, "worker_a", PASSWORD)
    assert right.status_code == 429 and "_auth_user_id" not in client.session

    failed = AuditEntry.objects.filter(action=Action.LOGIN_FAILED)
    lockouts = AuditEntry.objects.filter(action=Action.LOCKOUT).order_by("id")
    assert failed.count() == LIMIT - 1
    assert lockouts.count() == 2  # the attempt that locked, the right password refused
    assert all(e.detail["ip"] == "10.0.0.1" and e.actor_name == "worker_a" for e in lockouts)
    assert all((e.subject_kind, e.subject_id) == ("user", "worker_a") for e in lockouts)
    assert lockouts[0].detail["failures"] == LIMIT and "锁定期间" in lockouts[1].reason
    assert not AuditEntry.objects.filter(action=Action.LOGIN).exists()


def test_one_account_is_locked_whichever_address_tries(world, client):
    for n in range(LIMIT):
        attempt(client, "worker_a", ip=f"10.0.1.{n}")
    assert attempt(client, "worker_a", PASSWORD, ip="10.0.2.1").status_code == 429
    assert logged_in(attempt(client, "worker_b", PASSWORD, ip="10.0.2.1"))


def test_one_colleagues_typos_do_not_lock_the_office(world, client):
    """Behind one NAT: worker_a's five typos lock worker_a only."""
    for _ in range(LIMIT):
        attempt(client, "worker_a", ip="10.0.3.3")
    assert attempt(client, "worker_a", PASSWORD, ip="10.0.3.3").status_code == 429
    assert logged_in(attempt(client, "worker_b", PASSWORD, ip="10.0.3.3"))
    client.logout()
    # worker_b's login did not clear worker_a's failures from the same address
    assert attempt(client, "worker_a", PASSWORD, ip="10.0.3.3").status_code == 429
    lockouts = AuditEntry.objects.filter(action=Action.LOCKOUT)
    assert {(e.subject_kind, e.subject_id) for e in lockouts} == {("user", "worker_a")}


def test_many_accounts_tried_from_one_address_lock_the_address(world, client):
    names = [f"guess{n}" for n in range(PER_ADDRESS // (LIMIT - 1) + 1)]
    tries = [name for name in names for _ in range(LIMIT - 1)][:PER_ADDRESS]
    for name in tries[:-1]:
        assert attempt(client, name, ip="10.0.3.3").status_code == 200
    assert attempt(client, tries[-1], ip="10.0.3.3").status_code == 429
    locked = attempt(client, "reviewer", PASSWORD, ip="10.0.3.3")
    assert locked.status_code == 429
    assert f"地址 10.0.3.3 登录失败 {PER_ADDRESS} 次" in locked.content.decode()
    assert "本机所在地址已被暂时锁定" in locked.content.decode()
    assert logged_in(attempt(client, "reviewer", PASSWORD, ip="10.0.3.4"))
    entry = AuditEntry.objects.filter(action=Action.LOCKOUT).order_by("id").first()
    assert (entry.subject_kind, entry.subject_id) == ("address", "10.0.3.3")
    assert entry.detail["failures"] == PER_ADDRESS and entry.org_code == ""
    refused = AuditEntry.objects.filter(action=Action.LOCKOUT, actor_name="reviewer").get()
    assert (refused.subject_kind, refused.subject_id) == ("address", "10.0.3.3")
    unknown = AuditEntry.objects.filter(action=Action.LOGIN_FAILED, subject_id="guess0").first()
    assert unknown.org_code == "" and unknown.actor_id is None


def test_the_login_page_says_how_many_tries_remain(world, client):
    assert "将被暂时锁定" not in attempt(client, "worker_a").content.decode()
    for _ in range(LIMIT - 4):
        attempt(client, "worker_a")
    assert "再错 2 次将被暂时锁定" in attempt(client, "worker_a").content.decode()
    assert "再错 1 次将被暂时锁定" in attempt(client, "worker_a").content.decode()


@override_settings(AXES_COOLOFF_TIME=dt.timedelta(seconds=2))
def test_a_try_during_the_lock_does_not_extend_it(world, client):
    from axes.models import AccessAttempt

    from yibiao.accounts import logins

    for _ in range(LIMIT):
        attempt(client, "worker_a")
    lock = logins.lock_of(logins.Subject.ACCOUNT, "worker_a")
    assert lock is not None and lock.failures == LIMIT
    assert attempt(client, "worker_a").status_code == 429  # wrong, during the lock
    assert attempt(client, "worker_a", PASSWORD).status_code == 429  # right, during the lock
    assert logins.lock_of(logins.Subject.ACCOUNT, "worker_a").until == lock.until
    assert AccessAttempt.objects.get().failures_since_start == LIMIT
    # axes' own cool-off arithmetic: a moment after `until` nothing is counted any more
    assert logins.lock_of(logins.Subject.ACCOUNT, "worker_a",
                          at=lock.until + dt.timedelta(milliseconds=1)) is None
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(seconds=3))
    assert logged_in(attempt(client, "worker_a", PASSWORD))


def test_an_administrator_lists_and_unlocks_an_account(world, client):
    for _ in range(LIMIT):
        attempt(client, "worker_a", ip="10.0.7.7")
    client.force_login(world.admin)
    page = client.get("/audit/locked/").content.decode()
    assert "worker_a" in page and "解锁" in page and "10.0.7.7" not in page
    response = client.post("/audit/locked/", {"kind": "user", "subject": "worker_a"})
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action=Action.UNLOCK)
    assert entry.actor == world.admin and (entry.subject_kind, entry.subject_id) == ("user", "worker_a")
    assert "登录失败 5 次" in entry.reason and entry.org_code == world.community_a.code
    assert "当前没有被锁定" in client.get("/audit/locked/").content.decode()
    client.logout()
    assert logged_in(attempt(client, "worker_a", PASSWORD, ip="10.0.7.7"))


@override_settings(YIBIAO_LOGIN_FAILURES_PER_ADDRESS=3)
def test_an_administrator_unlocks_an_address(world, client):
    for name in ["x1", "x2", "x3"]:
        attempt(client, name, ip="10.0.8.8")
    client.force_login(world.admin)
    assert "10.0.8.8" in client.get("/audit/locked/").content.decode()
    client.post("/audit/locked/", {"kind": "address", "subject": "10.0.8.8"})
    entry = AuditEntry.objects.get(action=Action.UNLOCK)
    assert (entry.subject_kind, entry.subject_id) == ("address", "10.0.8.8")
    client.logout()
    assert logged_in(attempt(client, "worker_a", PASSWORD, ip="10.0.8.8"))


def test_only_an_administrator_unlocks(world, client):
    for _ in range(LIMIT):
        attempt(client, "worker_a")
    client.force_login(world.reviewer)
    assert client.get("/audit/locked/").status_code == 403
    assert client.post("/audit/locked/", {"kind": "user", "subject": "worker_a"}).status_code == 403
    assert not AuditEntry.objects.filter(action=Action.UNLOCK).exists()
    client.force_login(world.admin)
    assert client.post("/audit/locked/", {"kind": "x", "subject": "worker_a"}).status_code == 400


def test_the_lock_lifts_after_the_cool_off(world, client):
    from axes.models import AccessAttempt

    for _ in range(LIMIT):
        attempt(client, "worker_a")
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=16))
    assert logged_in(attempt(client, "worker_a", PASSWORD))
    assert AuditEntry.objects.filter(action=Action.LOGIN, actor=world.worker_a).exists()


def test_a_success_clears_earlier_typos(world, client):
    for _ in range(LIMIT - 1):
        attempt(client, "worker_a")
    assert logged_in(attempt(client, "worker_a", PASSWORD))
    client.logout()
    for _ in range(LIMIT - 1):
        attempt(client, "worker_a")
    assert logged_in(attempt(client, "worker_a", PASSWORD))


@override_settings(AXES_FAILURE_LIMIT=2)
def test_the_limit_is_a_setting(world, client):
    attempt(client, "worker_a")
    assert attempt(client, "worker_a").status_code == 429


def test_the_admin_login_is_throttled_too(world, client):
    for _ in range(LIMIT):
        client.post("/admin/login/", {"username": "admin", "password": "x"}, REMOTE_ADDR="10.0.4.4")
    response = client.post("/admin/login/?next=/admin/", {"username": "admin", "password": PASSWORD},
                           REMOTE_ADDR="10.0.4.4")
    assert response.status_code == 429 and "_auth_user_id" not in client.session


def test_personas_log_in_as_before(world, client):
    assert client.login(username="worker_a", password=PASSWORD)
    assert client.get("/").status_code == 200
    client.force_login(world.reviewer)
    assert client.get("/").status_code == 200


@override_settings(YIBIAO_PROXY_COUNT=1, YIBIAO_LOGIN_FAILURES_PER_ADDRESS=LIMIT)
def test_behind_one_proxy_the_address_it_saw_counts(world, client):
    for n in range(LIMIT):  # the client forges the left part; the proxy appends what it saw
        client.post("/login/", {"username": f"u{n}", "password": "x"}, REMOTE_ADDR="10.9.9.9",
                    HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, 203.0.113.7")
    assert client.post("/login/", {"username": "reviewer", "password": PASSWORD},
                       REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 429
    assert logged_in(client.post("/login/", {"username": "reviewer", "password": PASSWORD},
                                 REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="203.0.113.8"))
    assert AuditEntry.objects.filter(action=Action.LOGIN_FAILED,
                                     detail__ip="203.0.113.7").count() == LIMIT - 1


# --- refused requests -------------------------------------------------------------------


def test_a_refused_page_is_audited_with_user_address_and_path(world, client):
    from yibiao.ledger.models import Person

    person = Person.objects.create(name="王秀英", id_number="11010519491231002X",
                                   org_unit=world.community_a)
    client.force_login(world.worker_b)
    url = f"/ledger/people/{person.pk}/"
    response = client.get(url, REMOTE_ADDR="10.0.5.5")
    assert response.status_code == 403
    assert "无权访问" in response.content.decode() and "一表通" in response.content.decode()
    entry = AuditEntry.objects.get(action=Action.DENIED)
    assert entry.actor == world.worker_b and entry.org_code == world.community_b.code
    assert entry.detail == {"path": url, "method": "GET", "ip": "10.0.5.5"}
    assert entry.subject_id == url and "无权" in entry.reason


def test_a_refused_api_call_is_audited(world, client):
    client.force_login(world.worker_b)
    response = client.get(f"/api/v1/org-units/{world.community_a.code}", REMOTE_ADDR="10.0.6.6")
    assert response.status_code == 403
    entry = AuditEntry.objects.get(action=Action.DENIED)
    assert entry.actor == world.worker_b and entry.detail["ip"] == "10.0.6.6"
    assert entry.detail["path"] == f"/api/v1/org-units/{world.community_a.code}"


def test_an_absurdly_long_account_name_is_a_failed_login_not_a_server_error(world, client):
    response = attempt(client, "长" * 300)
    assert response.status_code == 200 and "账号或密码不正确" in response.content.decode()
    entry = AuditEntry.objects.get(action=Action.LOGIN_FAILED)
    assert entry.actor_name == "长" * 150
