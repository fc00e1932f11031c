"""API tokens for programmatic clients: hashed at rest, scoped, expiring, revocable."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mederp.core.classification import CONFIDENTIAL, INTERNAL


class ApiToken(models.Model):
    """A bearer token `mederp_<prefix>_<secret>`. Only SHA-256(secret) is stored: a 256-bit
    random secret needs no slow hash, and the database never holds a usable token."""

    prefix = models.CharField(_("token id"), max_length=16, unique=True)
    digest = models.CharField(_("secret digest"), max_length=64)
    name = models.CharField(_("name"), max_length=100)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="api_tokens",
        verbose_name=_("acts as"),
    )
    scopes = models.JSONField(_("scopes"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    # The digest does not reveal the token, but it is of no use to a reader of the ledger.
    audit_exclude: ClassVar[frozenset[str]] = frozenset({"digest"})
    data_domain = "security"
    data_classification: ClassVar[dict[str, Any]] = {
        "id": INTERNAL,
        "prefix": INTERNAL,
        "digest": CONFIDENTIAL,
        "name": INTERNAL,
        "user": INTERNAL,
        "scopes": INTERNAL,
        "created_by": INTERNAL,
        "created_at": INTERNAL,
        "expires_at": INTERNAL,
        "revoked_at": INTERNAL,
    }

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
