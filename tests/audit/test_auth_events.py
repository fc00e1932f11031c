"""Sign-in, failed sign-in and sign-out through the real login page go into the ledger."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from mederp.audit.models import AuditEntry
from mederp.testing.users import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN, LOGOUT = "/accounts/login/", "/accounts/logout/"
WRONG = "Wr0ng-but-Memorable-Passw0rd!"


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    cache.clear()  # allauth rate-limits failed logins per IP and username in the cache


def _new_entries(before: int) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(seq__gt=before).order_by("seq"))


def _last_seq() -> int:
    return AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def _every_text(entry: AuditEntry) -> str:
    """All a ledger entry stores, as text."""
    return " ".join(str(getattr(entry, f.attname)) for f in AuditEntry._meta.concrete_fields)


def test_successful_login_writes_login(client: Client, site_a: Any, make_user: Any) -> None:
    user = make_user("sales", site_a)
    before = _last_seq()
    response = client.post(LOGIN, {"login": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    entries = _new_entries(before)
    # the first sign-in from this (test) browser also registers it as a device
    assert [e.action for e in entries] == ["login", "device_registered"]
    entry = entries[0]
    assert entry.actor_type == "user"
    assert entry.actor_id == user.pk
    assert entry.actor_username == user.username
    assert entry.object_type == "identity.user"
    assert entry.object_id == str(user.pk)
    assert entry.request_id == response["X-Request-ID"]
    assert entry.ip == "127.0.0.1"
    assert PASSWORD not in _every_text(entry)


def test_failed_login_writes_login_failed_without_the_password(
    client: Client, make_user: Any
) -> None:
    user = make_user("sales")
    before = _last_seq()
    response = client.post(LOGIN, {"login": user.username, "password": WRONG})
    assert response.status_code == 200  # the form again, with an error
    assert "_auth_user_id" not in client.session
    entries = _new_entries(before)
    assert [e.action for e in entries] == ["login_failed"]
    entry = entries[0]
    assert entry.actor_type == "anonymous"
    assert entry.actor_id is None
    assert entry.actor_username == user.username
    assert entry.object_repr == user.username
    assert entry.request_id == response["X-Request-ID"]
    # the attempted password is nowhere in the ledger: not in the payload, not in any column
    for stored in AuditEntry.objects.all():
        assert WRONG not in stored.payload
        assert WRONG not in _every_text(stored)
        assert PASSWORD not in _every_text(stored)


def test_failed_login_for_unknown_username(client: Client, db: None) -> None:
    before = _last_seq()
    response = client.post(LOGIN, {"login": "nobody-here", "password": WRONG})
    assert response.status_code == 200
    entries = _new_entries(before)
    assert [e.action for e in entries] == ["login_failed"]
    assert entries[0].actor_username == "nobody-here"
    assert WRONG not in _every_text(entries[0])


def test_login_of_disabled_account_is_a_failure(client: Client, make_user: Any) -> None:
    user = make_user("sales")
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    before = _last_seq()
    client.post(LOGIN, {"login": user.username, "password": PASSWORD})
    assert [e.action for e in _new_entries(before)] == ["login_failed"]
    assert "_auth_user_id" not in client.session


def test_logout_writes_logout(client: Client, make_user: Any) -> None:
    user = make_user("sales")
    assert client.post(LOGIN, {"login": user.username, "password": PASSWORD}).status_code == 302
    before = _last_seq()
    response = client.post(LOGOUT)
    assert response.status_code == 302
    entries = _new_entries(before)
    assert [e.action for e in entries] == ["logout"]
    assert entries[0].actor_id == user.pk
    assert entries[0].request_id == response["X-Request-ID"]
    assert "_auth_user_id" not in client.session


def test_logout_by_get_changes_nothing(client: Client, make_user: Any) -> None:
    user = make_user("sales")
    client.force_login(user)
    before = _last_seq()
    client.get(LOGOUT)  # a confirmation page, not a logout (ACCOUNT_LOGOUT_ON_GET = False)
    assert _new_entries(before) == []
    assert client.session.get("_auth_user_id") == str(user.pk)


def test_anonymous_logout_writes_nothing(client: Client, db: None) -> None:
    before = _last_seq()
    client.post(LOGOUT)
    assert _new_entries(before) == []


@pytest.mark.django_db
def test_password_change_is_audited_without_the_password(client: Any, make_user: Any) -> None:
    user = make_user("qa_specialist", None, username="pwchanger")
    client.force_login(user)
    new = "a-new-and-long-passphrase-2026"
    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": new, "password2": new},
        secure=True,
    )
    assert response.status_code in (200, 302)
    entry = AuditEntry.objects.filter(action="password_changed").get()
    assert entry.actor_username == "pwchanger"
    assert not AuditEntry.objects.filter(payload__contains=new).exists()
    assert not AuditEntry.objects.filter(payload__contains=PASSWORD).exists()
