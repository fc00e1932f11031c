"""Sign-in security records: trusted devices, failed-login throttles, security notices.

Imported by `identity.models` (Django finds models there). They change only through the
services in `devices.py`, `lockout.py` and `notices.py`.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mederp.core.classification import CONFIDENTIAL, INTERNAL, personal


class DeviceQuerySet(models.QuerySet["Device"]):
    def active(self) -> DeviceQuerySet:
        return self.filter(revoked_at__isnull=True)


class Device(models.Model):
    """A browser a user signed in from, bound to the long-lived device cookie.

    The cookie carries a random browser key (signed); only its SHA-256 is stored here. One
    browser shared by several users has one record per user. Revoking the record ends the
    user's sessions on that browser; the next sign-in there is a new device again.
    """

    public_id = models.UUIDField(_("device id"), default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="devices",
        verbose_name=_("user"),
    )
    key_hash = models.CharField(_("key hash"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    user_agent = models.CharField(_("user agent"), max_length=512, blank=True)
    first_seen_at = models.DateTimeField(_("first seen"), default=timezone.now)
    first_ip = models.GenericIPAddressField(_("first IP address"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("last seen"), default=timezone.now)
    last_ip = models.GenericIPAddressField(_("last IP address"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )
    revoke_reason = models.TextField(_("reason for revoking"), blank=True)

    objects = DeviceQuerySet.as_manager()

    data_domain = "people"
    data_classification: ClassVar[dict[str, Any]] = {
        "id": INTERNAL,
        "public_id": INTERNAL,
        "user": INTERNAL,
        "key_hash": CONFIDENTIAL,
        "name": INTERNAL,
        "user_agent": personal(INTERNAL),
        "first_seen_at": personal(INTERNAL),
        "first_ip": personal(INTERNAL),
        "last_seen_at": personal(INTERNAL),
        "last_ip": personal(INTERNAL),
        "approved_at": INTERNAL,
        "approved_by": INTERNAL,
        "revoked_at": INTERNAL,
        "revoked_by": INTERNAL,
        "revoke_reason": INTERNAL,
    }

    class Meta:
        ordering = ["-last_seen_at"]
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key_hash"],
                condition=models.Q(revoked_at__isnull=True),
                name="uniq_active_device_per_browser",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({str(self.public_id)[:8]})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def is_approved(self) -> bool:
        return self.revoked_at is None and self.approved_at is not None


class LoginThrottle(models.Model):
    """Failed sign-ins for one login name (as typed, lower-cased; it need not exist, so the
    lockout message does not tell whether an account exists)."""

    username = models.CharField(_("username"), max_length=150, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    consecutive_failures = models.PositiveIntegerField(_("consecutive failures"), default=0)
    failures_since_success = models.PositiveIntegerField(
        _("failures since last sign-in"), default=0
    )
    lockouts = models.PositiveIntegerField(_("lockouts in a row"), default=0)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    last_failure_at = models.DateTimeField(_("last failure"), null=True, blank=True)
    last_failure_ip = models.GenericIPAddressField(_("last failure IP"), null=True, blank=True)

    data_domain = "people"
    data_classification: ClassVar[dict[str, Any]] = {
        "id": INTERNAL,
        "username": personal(INTERNAL),
        "user": INTERNAL,
        "consecutive_failures": INTERNAL,
        "failures_since_success": INTERNAL,
        "lockouts": INTERNAL,
        "locked_until": INTERNAL,
        "last_failure_at": INTERNAL,
        "last_failure_ip": personal(INTERNAL),
    }

    class Meta:
        ordering = ["username"]
        verbose_name = _("login throttle")
        verbose_name_plural = _("login throttles")

    def __str__(self) -> str:
        return self.username

    def is_locked(self, now: Any = None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or timezone.now())


class SecurityNotice(models.Model):
    """An in-app notice to a user about their account (new device, lockout, ...)."""

    class Kind(models.TextChoices):
        NEW_DEVICE = "new_device", _("New device")
        DEVICE_APPROVED = "device_approved", _("Device approved")
        DEVICE_REVOKED = "device_revoked", _("Device revoked")
        LOCKOUT = "lockout", _("Account locked")
        LOGIN_AFTER_FAILURES = "login_after_failures", _("Sign-in after failed attempts")
        MFA_CHANGED = "mfa_changed", _("Two-factor authentication changed")
        SESSIONS_ENDED = "sessions_ended", _("Sessions ended")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="security_notices",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    details = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    data_domain = "people"
    data_classification: ClassVar[dict[str, Any]] = {
        "id": INTERNAL,
        "user": INTERNAL,
        "kind": INTERNAL,
        "details": personal(INTERNAL),
        "created_at": INTERNAL,
        "read_at": INTERNAL,
    }

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("security notice")
        verbose_name_plural = _("security notices")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} – {self.created_at:%Y-%m-%d %H:%M}"
