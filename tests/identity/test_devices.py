"""Trusted devices: registration at the first sign-in from a browser (after MFA), a signed
revocable device cookie bound to the session, notices, and device-bound roles that act only
from devices an administrator approved."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client

from mederp.audit.models import AuditEntry
from mederp.identity import devices
from mederp.identity.authz import SYSTEM
from mederp.identity.models import Device, SecurityNotice
from mederp.testing.auth import (
    LOGOUT,
    MFA_AUTHENTICATE,
    enroll_totp,
    login,
    password_login,
    strict_policy,
    totp,
)
from mederp.testing.users import PASSWORD

pytestmark = pytest.mark.django_db
COOKIE = "__Host-mederp_device"
CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36"


@pytest.fixture(autouse=True)
def _policy(settings: Any) -> None:
    strict_policy(settings)
    settings.MEDERP_MFA_EXEMPT_ROLES = ["*"]  # most tests here are about devices only


def _browser() -> Client:
    return Client(HTTP_USER_AGENT=CHROME)


def _login(client: Client, user: Any, **capture: Any) -> Client:
    assert password_login(client, user.username, PASSWORD).status_code == 302
    return client


def test_first_sign_in_registers_the_device_sets_the_cookie_and_notifies(
    make_user: Any, site_a: Any, django_capture_on_commit_callbacks: Any
) -> None:
    user = make_user("sales", site_a, email="emma@example.test")
    client = _browser()
    with django_capture_on_commit_callbacks(execute=True):
        response = password_login(client, user.username, PASSWORD)
    cookie = response.cookies[COOKIE]
    assert cookie["secure"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/"
    assert not cookie["domain"]
    assert int(cookie["max-age"]) >= 365 * 86400
    device = Device.objects.get(user=user)
    assert device.name == "Chrome on Linux"
    assert device.first_ip == "127.0.0.1"
    assert device.user_agent == CHROME
    assert device.key_hash not in cookie.value  # only the hash is stored, never the key
    entry = AuditEntry.objects.filter(action="device_registered").latest("seq")
    assert entry.actor_id == user.pk
    assert entry.device_id == str(device.public_id)
    assert SecurityNotice.objects.filter(user=user, kind="new_device").count() == 1
    assert [m.to for m in mail.outbox] == [["emma@example.test"]]
    assert "new device" in mail.outbox[0].body
    # the next requests carry the device id into the ledger
    client.get("/security/devices/")
    client.post("/security/sessions/", {"action": "end_others"})
    last = AuditEntry.objects.filter(action="sessions_ended").latest("seq")
    assert last.device_id == str(device.public_id)


def test_same_browser_is_recognised_a_new_one_is_not(make_user: Any, site_a: Any) -> None:
    user = make_user("sales", site_a)
    client = _login(_browser(), user)
    client.post(LOGOUT)
    _login(client, user)
    assert Device.objects.filter(user=user).count() == 1
    _login(_browser(), user)  # a new browser context: no device cookie
    assert Device.objects.filter(user=user).count() == 2
    assert SecurityNotice.objects.filter(user=user, kind="new_device").count() == 2


def test_a_shared_browser_keeps_one_device_per_user(make_user: Any, site_a: Any) -> None:
    first, second = make_user("sales", site_a), make_user("sales", site_a)
    client = _login(_browser(), first)
    client.post(LOGOUT)
    _login(client, second)
    client.post(LOGOUT)
    _login(client, first)
    assert Device.objects.filter(user=first).count() == 1
    assert Device.objects.filter(user=second).count() == 1


def test_new_device_is_registered_only_after_the_second_factor(
    make_user: Any, site_a: Any, settings: Any
) -> None:
    settings.MEDERP_MFA_EXEMPT_ROLES = []
    user = make_user("sales", site_a)
    setup = _browser()
    password_login(setup, user.username, PASSWORD)
    secret = enroll_totp(setup)
    client = _browser()
    response = password_login(client, user.username, PASSWORD)
    assert response["Location"] == MFA_AUTHENTICATE
    assert Device.objects.filter(user=user).count() == 1  # only the set-up browser
    code = totp(secret)
    client.post(MFA_AUTHENTICATE, {"code": code})
    assert Device.objects.filter(user=user).count() == 2
    entry = AuditEntry.objects.filter(action="device_registered").latest("seq")
    assert entry.changes["second_factor_used"] == [None, True]


@pytest.mark.parametrize("tamper", ["remove", "forge"])
def test_session_needs_its_device_cookie(make_user: Any, site_a: Any, tamper: str) -> None:
    user = make_user("sales", site_a)
    client = _login(_browser(), user)
    assert client.get("/").status_code == 200
    if tamper == "remove":
        del client.cookies[COOKIE]
    else:
        client.cookies[COOKIE] = "A" * 43 + ":forged:signature"
    response = client.get("/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    entry = AuditEntry.objects.filter(action="session_expired").latest("seq")
    assert entry.changes == {"why": [None, "device credential missing or changed"]}


def test_revoking_a_device_ends_its_sessions(make_user: Any, site_a: Any) -> None:
    user = make_user("sales", site_a)
    lost = _login(_browser(), user)
    here = _login(_browser(), user)
    lost_device = Device.objects.filter(user=user).order_by("pk").first()
    assert lost_device is not None
    page = here.get("/security/devices/").content.decode()
    assert page.count('data-testid="device-row"') == 2
    here.post("/security/devices/", {"device": lost_device.pk, "reason": "laptop stolen"})
    lost_device.refresh_from_db()
    assert lost_device.revoked_at is not None
    assert lost_device.revoke_reason == "laptop stolen"
    assert lost.get("/").status_code == 302  # that browser's session is over
    assert here.get("/").status_code == 200
    entry = AuditEntry.objects.filter(action="device_revoked").latest("seq")
    assert entry.changes["sessions_ended"] == [None, 1]
    # signing in there again is a new device (and notified again)
    _login(lost, user)
    assert Device.objects.active().filter(user=user).count() == 2


def test_users_see_only_their_devices(make_user: Any, site_a: Any) -> None:
    me, other = make_user("sales", site_a), make_user("sales", site_a)
    _login(_browser(), other)
    client = _login(_browser(), me)
    theirs = Device.objects.get(user=other)
    assert client.get("/security/admin/devices/").status_code == 403
    assert (
        client.post("/security/devices/", {"device": theirs.pk, "reason": "x"}).status_code == 404
    )
    assert str(theirs.public_id) not in client.get("/security/devices/").content.decode()


def _approved_admin(make_user: Any) -> tuple[Any, Client]:
    admin = make_user("admin", None)
    client = _login(_browser(), admin)
    assert client.get("/").status_code == 302  # the administrator is device-bound too
    devices.approve(SYSTEM, Device.objects.get(user=admin), "first administrator")
    assert client.get("/").status_code == 200
    return admin, client


def test_device_bound_role_waits_for_an_administrators_approval(
    make_user: Any, site_a: Any
) -> None:
    qm = make_user("quality_manager", None)
    client = _login(_browser(), qm)
    response = client.get("/")
    assert response["Location"] == "/security/device-pending/"
    api = client.get("/api/v1/me")
    assert api.status_code == 403
    pending = client.get("/security/device-pending/").content.decode()
    device = Device.objects.get(user=qm)
    assert str(device.public_id) in pending
    assert client.get("/security/devices/").status_code == 200  # still sees own devices

    admin, admin_client = _approved_admin(make_user)
    listing = admin_client.get("/security/admin/devices/").content.decode()
    assert "Waiting for approval" in listing
    assert str(device.public_id) in listing
    admin_client.post(
        "/security/admin/devices/",
        {"device": device.pk, "action": "approve", "reason": "QM laptop, checked"},
    )
    device.refresh_from_db()
    assert device.approved_by == admin
    assert client.get("/").status_code == 200
    entry = AuditEntry.objects.filter(action="device_approved").latest("seq")
    assert entry.actor_id == admin.pk
    assert entry.reason == "QM laptop, checked"
    assert SecurityNotice.objects.filter(user=qm, kind="device_approved").exists()


def test_another_browser_of_an_approved_user_is_not_approved(make_user: Any) -> None:
    _admin, _ = _approved_admin(make_user)
    qm = make_user("quality_manager", None)
    first = _login(_browser(), qm)
    devices.approve(SYSTEM, Device.objects.get(user=qm), "ok")
    assert first.get("/").status_code == 200
    second = _login(_browser(), qm)
    assert second.get("/")["Location"] == "/security/device-pending/"


def test_nobody_approves_their_own_device(make_user: Any) -> None:
    admin, client = _approved_admin(make_user)
    second = _login(_browser(), admin)
    own = Device.objects.filter(user=admin, approved_at__isnull=True).get()
    assert second.get("/").status_code == 302
    response = client.post(
        "/security/admin/devices/", {"device": own.pk, "action": "approve", "reason": "mine"}
    )
    assert response.status_code == 403
    own.refresh_from_db()
    assert own.approved_at is None


def test_a_revoked_device_cannot_be_approved(make_user: Any) -> None:
    from django.core.exceptions import ValidationError

    qm = make_user("quality_manager", None)
    _login(_browser(), qm)
    device = Device.objects.get(user=qm)
    devices.revoke(SYSTEM, device, "gone")
    with pytest.raises(ValidationError, match="revoked"):
        devices.approve(SYSTEM, device, "")


def test_binding_can_be_turned_off(make_user: Any, settings: Any) -> None:
    settings.MEDERP_DEVICE_BINDING = False
    client = _login(_browser(), make_user("quality_manager", None))
    assert client.get("/").status_code == 200


def test_first_administrator_device_is_approved_from_the_command_line(
    make_user: Any, capsys: Any
) -> None:
    admin = make_user("admin", None)
    client = _login(_browser(), admin)
    call_command("devices", "list", "--user", admin.username)
    assert "not approved" in capsys.readouterr().out
    call_command("devices", "approve", "--user", admin.username)
    assert client.get("/").status_code == 200
    entry = AuditEntry.objects.filter(action="device_approved").latest("seq")
    assert entry.actor_username == "system"
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No active, unapproved device"):
        call_command("devices", "approve", "--user", admin.username)


def test_login_with_mfa_from_a_new_browser(make_user: Any, site_a: Any, settings: Any) -> None:
    settings.MEDERP_MFA_EXEMPT_ROLES = []
    user = make_user("sales", site_a)
    setup = _browser()
    password_login(setup, user.username, PASSWORD)
    secret = enroll_totp(setup)
    setup.post(LOGOUT)
    fresh = _browser()
    assert login(fresh, user.username, PASSWORD, totp(secret)).status_code == 302
    assert fresh.get("/").status_code == 200
