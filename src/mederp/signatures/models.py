"""Electronic signatures (21 CFR Part 11 Subpart C).

A Signature is written once by `signatures.services.sign` and never changed: database
triggers refuse UPDATE and DELETE (migration 0002). It is bound to its record and to the
record's content at signing twice over: by the SHA-256 `content_hash` of the record's
canonical content, and by the ledger entry `ledger_seq` (action `sign`), which repeats the
record, the signer, the meaning, the time and the hash in the tamper-evident audit ledger.
`services.verify` checks both.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from mederp.core.classification import INTERNAL, personal
from mederp.core.querysets import SiteScopedManager
from mederp.identity.models import Site, User


class Meaning(models.TextChoices):
    """The controlled list of what a signature means (11.50(a)(3))."""

    AUTHORED = "authored", _("Authored")
    REVIEWED = "reviewed", _("Reviewed")
    APPROVED = "approved", _("Approved")
    RELEASED = "released", _("Released")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")


class Method(models.TextChoices):
    PASSWORD = "password", _("Password")
    PASSWORD_TOTP = "password+totp", _("Password and authenticator code")


class Signature(models.Model):
    uid = models.UUIDField(_("signature id"), default=uuid.uuid4, unique=True, editable=False)
    content_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("record type")
    )
    object_id = models.CharField(_("record id"), max_length=64)
    record = GenericForeignKey("content_type", "object_id")
    site = models.ForeignKey(
        Site,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("site"),
    )
    signer = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("signer")
    )
    # Copied at signing (11.50(a)(1)): a later change of the account does not change the
    # name the signature shows.
    printed_name = models.CharField(_("printed name"), max_length=200)
    signer_username = models.CharField(_("username"), max_length=150)
    meaning = models.CharField(_("meaning"), max_length=20, choices=Meaning.choices)
    signed_at = models.DateTimeField(_("signed at"))
    content_hash = models.CharField(_("content hash (SHA-256)"), max_length=64)
    method = models.CharField(_("method"), max_length=20, choices=Method.choices)
    reason = models.TextField(_("comment"), blank=True)
    ledger_seq = models.BigIntegerField(_("ledger entry"), unique=True)

    objects = SiteScopedManager["Signature"]()

    data_domain = "people"
    data_classification: ClassVar[dict[str, Any]] = {
        "id": INTERNAL,
        "uid": INTERNAL,
        "content_type": INTERNAL,
        "object_id": INTERNAL,
        "site": INTERNAL,
        "signer": INTERNAL,
        "printed_name": personal(INTERNAL),
        "signer_username": personal(INTERNAL),
        "meaning": INTERNAL,
        "signed_at": INTERNAL,
        "content_hash": INTERNAL,
        "method": INTERNAL,
        "reason": INTERNAL,
        "ledger_seq": INTERNAL,
    }

    class Meta:
        ordering = ["signed_at", "id"]
        verbose_name = _("electronic signature")
        verbose_name_plural = _("electronic signatures")
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="signature_record_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_meaning_display()}: {self.printed_name} ({self.signer_username})"
