"""Brute force: per-IP and per-account rate limits, progressive lockout after at most 10
consecutive failures, lifted by time or an administrator, everything audited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from mederp.audit.models import AuditEntry
from mederp.identity import lockout
from mederp.identity.models import LoginThrottle, SecurityNotice
from mederp.testing.auth import password_login, strict_policy
from mederp.testing.users import PASSWORD

pytestmark = pytest.mark.django_db
WRONG = "not-the-password-at-all"


@pytest.fixture(autouse=True)
def _policy(settings: Any) -> None:
    strict_policy(settings)
    settings.MEDERP_MFA_EXEMPT_ROLES = ["*"]  # password only: this file is about guessing
    settings.ACCOUNT_RATE_LIMITS = False  # rate limits have their own tests below
    settings.MEDERP_DEVICE_BINDING = False  # the administrator acts from a test client


def _fail(client: Client, username: str, times: int) -> Any:
    response = None
    for _ in range(times):
        response = password_login(client, username, WRONG)
    return response


def test_threshold_is_at_most_ten(settings: Any) -> None:
    assert settings.MEDERP_LOCKOUT_THRESHOLD <= 10
    settings.MEDERP_LOCKOUT_THRESHOLD = 50
    assert lockout.threshold() == 10


def test_lockout_after_ten_failures_refuses_even_the_right_password(
    client: Client, make_user: Any
) -> None:
    user = make_user("sales", email="sales@example.test")
    _fail(client, user.username, 9)
    assert password_login(Client(), user.username, PASSWORD).status_code == 302  # not yet
    _fail(client, user.username, 10)  # the success reset the count: ten in a row again
    throttle = LoginThrottle.objects.get(username=user.username)
    assert throttle.is_locked()
    locked = AuditEntry.objects.filter(action="lockout").latest("seq")
    assert locked.object_id == str(user.pk)
    assert locked.changes["consecutive_failures"] == [None, 10]
    response = password_login(Client(), user.username, PASSWORD)
    assert response.status_code == 200
    assert "locked until" in response.content.decode()
    refused = AuditEntry.objects.filter(action="login_failed").latest("seq")
    assert refused.changes == {"refused": [None, "account locked"]}
    assert SecurityNotice.objects.filter(user=user, kind="lockout").exists()


def test_every_failure_is_audited(client: Client, make_user: Any) -> None:
    user = make_user("sales")
    before = AuditEntry.objects.filter(action="login_failed").count()
    _fail(client, user.username, 3)
    assert AuditEntry.objects.filter(action="login_failed").count() == before + 3


def test_lockout_is_lifted_by_time_and_the_next_login_is_flagged(
    client: Client, make_user: Any
) -> None:
    user = make_user("sales")
    _fail(client, user.username, 10)
    LoginThrottle.objects.filter(username=user.username).update(
        locked_until=timezone.now() - timedelta(seconds=1)
    )
    assert password_login(Client(), user.username, PASSWORD).status_code == 302
    flagged = AuditEntry.objects.filter(action="login_after_failures").latest("seq")
    assert flagged.actor_id == user.pk
    assert flagged.changes == {"failures_since_last_sign_in": [None, 10]}
    assert SecurityNotice.objects.filter(user=user, kind="login_after_failures").exists()
    throttle = LoginThrottle.objects.get(username=user.username)
    assert throttle.failures_since_success == 0
    assert throttle.lockouts == 0


def test_login_after_a_few_failures_is_not_flagged(client: Client, make_user: Any) -> None:
    user = make_user("sales")
    _fail(client, user.username, 2)
    assert password_login(Client(), user.username, PASSWORD).status_code == 302
    assert not AuditEntry.objects.filter(action="login_after_failures").exists()


def test_lockout_is_progressive(client: Client, make_user: Any, settings: Any) -> None:
    user = make_user("sales")
    _fail(client, user.username, 10)
    first = LoginThrottle.objects.get(username=user.username)
    first_length = first.locked_until - first.last_failure_at
    LoginThrottle.objects.filter(pk=first.pk).update(locked_until=timezone.now())
    _fail(client, user.username, 10)
    second = LoginThrottle.objects.get(pk=first.pk)
    assert second.lockouts == 2
    second_length = second.locked_until - second.last_failure_at
    assert second_length.total_seconds() == pytest.approx(2 * first_length.total_seconds(), 2)
    assert first_length == timedelta(seconds=settings.MEDERP_LOCKOUT_BASE_SECONDS)


def test_unknown_names_lock_like_real_ones(client: Client, db: None) -> None:
    response = _fail(client, "no-such-person", 11)
    assert "locked until" in response.content.decode()  # says nothing about existence


def test_administrator_unlocks_with_a_reason(client: Client, make_user: Any, site_a: Any) -> None:
    user = make_user("sales")
    admin = make_user("admin", None)
    _fail(Client(), user.username, 10)
    throttle = LoginThrottle.objects.get(username=user.username)
    client.force_login(admin)
    page = client.get("/security/admin/lockouts/")
    assert page.status_code == 200
    assert user.username in page.content.decode()
    response = client.post("/security/admin/lockouts/", {"throttle": throttle.pk, "reason": ""})
    assert response.status_code == 302
    assert LoginThrottle.objects.get(pk=throttle.pk).is_locked()  # no reason, no unlock
    client.post("/security/admin/lockouts/", {"throttle": throttle.pk, "reason": "called her"})
    assert not LoginThrottle.objects.get(pk=throttle.pk).is_locked()
    entry = AuditEntry.objects.filter(action="unlock").latest("seq")
    assert entry.actor_id == admin.pk
    assert entry.reason == "called her"
    assert password_login(Client(), user.username, PASSWORD).status_code == 302


def test_nobody_unlocks_themselves_and_others_need_the_permission(
    client: Client, make_user: Any
) -> None:
    from django.core.exceptions import PermissionDenied

    admin = make_user("admin", None)
    _fail(Client(), admin.username, 10)
    throttle = LoginThrottle.objects.get(username=admin.username)
    with pytest.raises(PermissionDenied, match="your own account"):
        lockout.unlock(admin, throttle, "me")
    clerk = make_user("sales")
    client.force_login(clerk)
    assert client.get("/security/admin/lockouts/").status_code == 403


def test_lockout_notice_is_emailed(make_user: Any, django_capture_on_commit_callbacks: Any) -> None:
    user = make_user("sales", email="li.na@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(10):
            lockout.register_failure(user.username)
    assert [m.to for m in mail.outbox] == [["li.na@example.test"]]
    assert "locked" in mail.outbox[0].body


def test_account_and_ip_rate_limits(client: Client, make_user: Any, settings: Any) -> None:
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/300s/key"}
    user = make_user("sales")
    for _ in range(5):
        assert "Too many" not in password_login(client, user.username, WRONG).content.decode()
    response = password_login(client, user.username, PASSWORD)  # per account: 6th attempt
    assert "Too many failed login attempts" in response.content.decode()
    refused = AuditEntry.objects.filter(action="login_failed").latest("seq")
    assert refused.changes == {"refused": [None, "rate limited"]}
    # per IP: other names from the same address are slowed down too
    for n in range(5):
        password_login(client, f"someone-{n}", WRONG)
    response = password_login(client, "someone-else", WRONG)
    assert "Too many failed login attempts" in response.content.decode()
