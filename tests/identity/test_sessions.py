"""Sessions: idle (15 min) and absolute (12 h) timeouts, configurable; a new session key at
sign-in and at a privilege change; every session ends when the password changes or the
account is disabled; "My sessions" lists and ends sessions."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from mederp.audit.models import AuditEntry
from mederp.identity import services, sessions
from mederp.identity.authz import SYSTEM
from mederp.identity.models import Role
from mederp.testing.auth import LOGIN, password_login, strict_policy
from mederp.testing.users import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _policy(settings: Any) -> None:
    strict_policy(settings)
    settings.MEDERP_MFA_EXEMPT_ROLES = ["*"]  # sessions, not second factors, are tested here
    settings.MEDERP_DEVICE_BINDING = False


def _signed_in(client: Client) -> bool:
    response = client.get("/")
    return response.status_code == 200


def _login(client: Client, user: Any) -> Client:
    assert password_login(client, user.username, PASSWORD).status_code == 302
    return client


def test_defaults(settings: Any) -> None:
    assert settings.SESSION_COOKIE_AGE == 15 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.MEDERP_SESSION_ABSOLUTE_SECONDS == 12 * 3600
    assert settings.SESSION_COOKIE_NAME.startswith("__Host-")
    assert settings.SESSION_COOKIE_SECURE
    assert settings.SESSION_COOKIE_HTTPONLY


def test_idle_session_expires_on_the_server(client: Client, make_user: Any, site_a: Any) -> None:
    _login(client, make_user("sales", site_a))
    assert _signed_in(client)
    key = client.session.session_key
    expiry = Session.objects.get(session_key=key).expire_date
    assert expiry > timezone.now() + timedelta(minutes=14)  # moved by the last request
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_absolute_timeout_ends_an_active_session(
    client: Client, make_user: Any, site_a: Any
) -> None:
    user = make_user("sales", site_a)
    _login(client, user)
    session = client.session
    session[sessions.AUTH_AT_KEY] = time.time() - 12 * 3600 - 1
    session.save()
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    entry = AuditEntry.objects.filter(action="session_expired").latest("seq")
    assert entry.actor_id == user.pk
    assert entry.changes == {"why": [None, "absolute timeout"]}
    assert "_auth_user_id" not in client.session


def test_expired_session_sends_htmx_to_the_login_page(
    client: Client, make_user: Any, site_a: Any
) -> None:
    _login(client, make_user("sales", site_a))
    session = client.session
    session[sessions.AUTH_AT_KEY] = time.time() - 12 * 3600 - 1
    session.save()
    response = client.get("/", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"] == LOGIN


def test_absolute_timeout_is_configurable(
    client: Client, make_user: Any, site_a: Any, settings: Any
) -> None:
    settings.MEDERP_SESSION_ABSOLUTE_SECONDS = 60
    _login(client, make_user("sales", site_a))
    session = client.session
    session[sessions.AUTH_AT_KEY] = time.time() - 30
    session.save()
    assert _signed_in(client)
    session = client.session
    session[sessions.AUTH_AT_KEY] = time.time() - 61
    session.save()
    assert not _signed_in(client)


def test_session_key_changes_at_sign_in(client: Client, make_user: Any, site_a: Any) -> None:
    user = make_user("sales", site_a)
    client.get(LOGIN)
    session = client.session
    session["probe"] = 1
    session.save()
    before = session.session_key
    _login(client, user)
    assert client.session.session_key != before


def test_session_key_changes_at_privilege_change(
    client: Client, make_user: Any, site_a: Any, site_b: Any
) -> None:
    user = make_user("sales", site_a)
    _login(client, user)
    assert _signed_in(client)
    before = client.session.session_key
    services.assign_role(SYSTEM, user, Role.objects.get(code="purchaser"), site_b, "more work")
    assert _signed_in(client)
    after = client.session.session_key
    assert after != before
    entry = AuditEntry.objects.filter(action="session_rotated").latest("seq")
    assert entry.actor_id == user.pk
    # "My sessions" follows the new key, so the session can still be listed and ended
    assert UserSession.objects.filter(user=user, session_key=after).exists()
    assert _signed_in(client)
    assert client.session.session_key == after  # no change: no rotation


def test_password_change_ends_every_session(make_user: Any, site_a: Any) -> None:
    user = make_user("sales", site_a)
    here, there = _login(Client(), user), _login(Client(), user)
    assert UserSession.objects.filter(user=user).count() == 2
    new = "a-brand-new-passphrase-for-2026"
    response = here.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": new, "password2": new},
    )
    assert response.status_code == 302
    assert not _signed_in(here)
    assert not _signed_in(there)
    assert UserSession.objects.filter(user=user).count() == 0
    entry = AuditEntry.objects.filter(action="sessions_ended").latest("seq")
    assert entry.changes["why"] == [None, "password changed"]


def test_disabling_the_account_ends_its_sessions(make_user: Any, site_a: Any) -> None:
    user = make_user("sales", site_a)
    client = _login(Client(), user)
    user.is_active = False
    user.save()
    assert UserSession.objects.filter(user=user).count() == 0
    assert not _signed_in(client)
    entry = AuditEntry.objects.filter(action="sessions_ended").latest("seq")
    assert entry.changes["why"] == [None, "account disabled"]


def test_my_sessions_lists_and_ends_sessions(make_user: Any, site_a: Any) -> None:
    user = make_user("sales", site_a)
    here, there = _login(Client(), user), _login(Client(), user)
    page = here.get("/security/sessions/")
    assert page.status_code == 200
    assert page.content.decode().count('data-testid="session-row"') == 2
    other = UserSession.objects.get(user=user, session_key=there.session.session_key)
    current = UserSession.objects.get(user=user, session_key=here.session.session_key)
    here.post("/security/sessions/", {"session": current.pk})  # not the one in use
    assert _signed_in(here)
    here.post("/security/sessions/", {"session": other.pk})
    assert not _signed_in(there)
    assert _signed_in(here)
    entry = AuditEntry.objects.filter(action="session_revoked").latest("seq")
    assert entry.actor_id == user.pk


def test_end_all_other_sessions(make_user: Any, site_a: Any) -> None:
    user = make_user("sales", site_a)
    here = _login(Client(), user)
    others = [_login(Client(), user) for _ in range(2)]
    here.post("/security/sessions/", {"action": "end_others"})
    assert _signed_in(here)
    assert not any(_signed_in(c) for c in others)


def test_nobody_ends_someone_elses_session(make_user: Any, site_a: Any) -> None:
    mine, theirs = make_user("sales", site_a), make_user("sales", site_a)
    here, there = _login(Client(), mine), _login(Client(), theirs)
    target = UserSession.objects.get(user=theirs)
    response = here.post("/security/sessions/", {"session": target.pk}, follow=True)
    assert "already ended" in response.content.decode()
    assert _signed_in(there)


def test_an_administrator_disables_an_account_and_its_sessions_end(
    make_user: Any, site_a: Any
) -> None:
    from django.core.exceptions import PermissionDenied, ValidationError

    user = make_user("sales", site_a)
    admin = make_user("admin", None)
    client = _login(Client(), user)
    with pytest.raises(ValidationError):
        services.disable_user(admin, user, " ")
    with pytest.raises(PermissionDenied):
        services.disable_user(admin, admin, "me")
    with pytest.raises(PermissionDenied):
        services.disable_user(make_user("sales", site_a), user, "not an admin")
    services.disable_user(admin, user, "left the company")
    assert not _signed_in(client)
    assert UserSession.objects.filter(user=user).count() == 0
    ended = AuditEntry.objects.filter(action="sessions_ended").latest("seq")
    assert ended.actor_id == admin.pk or ended.actor_username in {admin.username, "system"}
    changed = AuditEntry.objects.filter(action="update", object_id=str(user.pk)).latest("seq")
    assert changed.reason == "left the company"
    again = Client()
    assert password_login(again, user.username, PASSWORD)["Location"] == "/accounts/inactive/"
    assert "_auth_user_id" not in again.session


def test_allauths_unaudited_session_page_is_replaced_by_ours(
    client: Client, make_user: Any, site_a: Any
) -> None:
    _login(client, make_user("sales", site_a))
    response = client.get("/accounts/sessions/")
    assert response.status_code == 302
    assert response["Location"] == "/security/sessions/"
    assert client.post("/accounts/sessions/")["Location"] == "/security/sessions/"
