"""Trusted devices (device binding).

Each browser gets a long-lived `__Host-` cookie (Secure, HttpOnly, SameSite=Lax) holding a
random browser key, signed by Django's signer. The server keeps a `Device` row per user and
browser with the key's SHA-256 only, so the device credential is revocable on the server.

- Sign-in from a browser without a valid device credential: allauth has required the second
  factor (every sign-in of a user who has one asks for it), then `register_login` records
  the device (name, first/last seen, IP, user agent), audits `device_registered` and notifies
  the user (in-app notice and email).
- Every request of a session that signed in on a device presents that device's cookie, and
  the device must still be active: otherwise the session ends (`SessionPolicyMiddleware`).
- Holders of a device-bound role (`Role.device_bound`) act only from a device an
  administrator approved (`DeviceBindingMiddleware`, when `MEDERP_DEVICE_BINDING` is on).
  Nobody approves their own device; the first administrator's device is approved from the
  command line (`mederp devices approve`).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Any

from allauth.usersessions.models import UserSession
from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from mederp import audit
from mederp.core import context
from mederp.identity import authz, notices
from mederp.identity.models import Device, RoleAssignment, User

SESSION_KEY = "mederp_device"
COOKIE_SALT = "mederp.identity.device"
_NEW_KEY_ATTR = "_mederp_new_device_key"
_TOUCH_EVERY_SECONDS = 300


# --- the cookie -----------------------------------------------------------------------------
def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("ascii")).hexdigest()


def cookie_key(request: HttpRequest) -> str | None:
    """The browser key of a valid (correctly signed) device cookie, or None."""
    name = settings.MEDERP_DEVICE_COOKIE_NAME
    if name not in request.COOKIES:
        return None
    try:
        value = request.get_signed_cookie(name, salt=COOKIE_SALT)
    except (signing.BadSignature, KeyError):
        return None
    return value if re.fullmatch(r"[A-Za-z0-9_-]{43}", value or "") else None


def browser_key(request: HttpRequest) -> str:
    """The browser's key; a new one (set on the response) when it has no valid cookie."""
    key = getattr(request, _NEW_KEY_ATTR, None) or cookie_key(request)
    if key is None:
        key = secrets.token_urlsafe(32)
        setattr(request, _NEW_KEY_ATTR, key)
    return key


def set_cookie_if_new(request: HttpRequest, response: HttpResponse) -> None:
    key = getattr(request, _NEW_KEY_ATTR, None)
    if key is None:
        return
    response.set_signed_cookie(
        settings.MEDERP_DEVICE_COOKIE_NAME,
        key,
        salt=COOKIE_SALT,
        max_age=int(settings.MEDERP_DEVICE_COOKIE_DAYS) * 86400,
        path="/",
        secure=True,
        httponly=True,
        samesite="Lax",
    )


# --- names ----------------------------------------------------------------------------------
_BROWSERS = [
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
]
_SYSTEMS = [
    ("Windows", "Windows"),
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
]


def describe(user_agent: str) -> str:
    """A short human name for a browser, e.g. "Firefox on Windows"."""
    browser = next((name for marker, name in _BROWSERS if marker in user_agent), None)
    system = next((name for marker, name in _SYSTEMS if marker in user_agent), None)
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return browser or system or _("Unknown browser")


# --- policy ---------------------------------------------------------------------------------
def binding_enforced() -> bool:
    return bool(getattr(settings, "MEDERP_DEVICE_BINDING", True))


def is_device_bound(user: Any) -> bool:
    """True when the user holds an active device-bound role."""
    return RoleAssignment.objects.active().filter(user_id=user.pk, role__device_bound=True).exists()


def session_device(request: HttpRequest) -> Device | None:
    pk = request.session.get(SESSION_KEY)
    if pk is None:
        return None
    return Device.objects.filter(pk=pk).first()


def check_session_device(request: HttpRequest) -> tuple[Device | None, str | None]:
    """(device, problem): the session's device, and why the session must end, if it must."""
    pk = request.session.get(SESSION_KEY)
    if pk is None:
        return None, None  # a session not opened through the sign-in page (tests, tools)
    device = Device.objects.filter(pk=pk, user_id=int(request.user.pk or 0)).first()
    if device is None or device.revoked_at is not None:
        return device, "device revoked"
    key = cookie_key(request)
    if key is None or key_hash(key) != device.key_hash:
        return device, "device credential missing or changed"
    now = timezone.now()
    if (now - device.last_seen_at).total_seconds() > _TOUCH_EVERY_SECONDS:
        ip = context.current().ip or None
        Device.objects.filter(pk=device.pk).update(last_seen_at=now, last_ip=ip)
    return device, None


# --- services -------------------------------------------------------------------------------
def _mfa_used(request: HttpRequest) -> bool:
    methods = request.session.get("account_authentication_methods") or []
    return any(isinstance(m, dict) and m.get("method") == "mfa" for m in methods)


@transaction.atomic
def register_login(request: HttpRequest, user: User) -> Device:
    """After a complete sign-in: find or record the device, stamp the session with it."""
    key = browser_key(request)
    digest = key_hash(key)
    ctx = context.current()
    ip = ctx.ip or None
    user_agent = (request.META.get("HTTP_USER_AGENT") or "")[:512]
    device = Device.objects.active().select_for_update().filter(user=user, key_hash=digest).first()
    if device is None:
        device = Device.objects.create(
            user=user,
            key_hash=digest,
            name=describe(user_agent)[:200],
            user_agent=user_agent,
            first_ip=ip,
            last_ip=ip,
        )
        with context.bind(device_id=str(device.public_id)):
            audit.record(
                "device_registered",
                device,
                actor=user,
                site=None,
                changes={
                    "name": [None, device.name],
                    "user_agent": [None, user_agent],
                    "ip": [None, ip],
                    "second_factor_used": [None, _mfa_used(request)],
                    "approval_needed": [None, is_device_bound(user)],
                },
            )
        notices.notify(user, notices.Kind.NEW_DEVICE, device=device.name, ip=ip or "?")
    else:
        device.last_seen_at = timezone.now()
        device.last_ip = ip
        device.save(update_fields=["last_seen_at", "last_ip"])
    request.session[SESSION_KEY] = device.pk
    return device


@transaction.atomic
def approve(actor: Any, device: Device, reason: str = "") -> Device:
    authz.authorize(actor, "identity.manage_devices")
    locked = Device.objects.select_for_update().get(pk=device.pk)
    if actor.pk is not None and locked.user_id == actor.pk:
        raise PermissionDenied(
            _("Segregation of duties: another administrator must approve your own device.")
        )
    if locked.revoked_at is not None:
        raise ValidationError(_("This device is revoked; it cannot be approved."))
    if locked.approved_at is not None:
        raise ValidationError(_("This device is already approved."))
    before = audit.snapshot(locked)
    locked.approved_at = timezone.now()
    locked.approved_by = actor if actor.pk else None
    locked.save(update_fields=["approved_at", "approved_by"])
    audit.record(
        "device_approved",
        locked,
        changes=audit.diff(before, locked),
        reason=reason,
        actor=actor,
        site=None,
    )
    notices.notify(
        locked.user,
        notices.Kind.DEVICE_APPROVED,
        device=locked.name,
        by=str(getattr(actor, "full_name", "") or getattr(actor, "username", "")),
    )
    return locked


def _end_sessions_on(device: Device) -> int:
    ended = 0
    for session in UserSession.objects.filter(user_id=device.user_id):
        store = session._session_store(session.session_key)
        if store.get(SESSION_KEY) == device.pk:
            session.end()
            ended += 1
    return ended


@transaction.atomic
def revoke(actor: Any, device: Device, reason: str) -> Device:
    """The owner forgets one of their devices, or an administrator revokes anybody's. Its
    sessions end; the next sign-in from that browser is a new device."""
    if device.user_id != getattr(actor, "pk", None):
        authz.authorize(actor, "identity.manage_devices")
    if not reason or not reason.strip():
        raise ValidationError({"reason": _("A reason is required to revoke a device.")})
    locked = Device.objects.select_for_update().get(pk=device.pk)
    if locked.revoked_at is not None:
        raise ValidationError(_("This device is already revoked."))
    before = audit.snapshot(locked)
    locked.revoked_at = timezone.now()
    locked.revoked_by = actor if getattr(actor, "pk", None) else None
    locked.revoke_reason = reason.strip()
    locked.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    ended = _end_sessions_on(locked)
    changes = audit.diff(before, locked)
    changes["sessions_ended"] = [None, ended]
    audit.record("device_revoked", locked, changes=changes, reason=reason, actor=actor, site=None)
    if locked.user_id != getattr(actor, "pk", None):
        notices.notify(
            locked.user,
            notices.Kind.DEVICE_REVOKED,
            device=locked.name,
            by=str(getattr(actor, "full_name", "") or getattr(actor, "username", "")),
        )
    return locked


def devices_of(user: Any) -> QuerySet[Device]:
    return Device.objects.filter(user_id=user.pk).select_related("approved_by", "revoked_by")


def all_devices(viewer: Any) -> QuerySet[Device]:
    """Every device (administrators)."""
    authz.authorize(viewer, "identity.manage_devices")
    return Device.objects.select_related("user", "approved_by", "revoked_by").order_by(
        "revoked_at", "approved_at", "-last_seen_at"
    )


def pending_for_bound_users() -> QuerySet[Device]:
    bound_users = RoleAssignment.objects.active().filter(role__device_bound=True)
    return Device.objects.active().filter(
        approved_at__isnull=True, user_id__in=bound_users.values("user_id")
    )
