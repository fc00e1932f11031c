"""Shared records: document number sequences and file attachments."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mederp.core.classification import CONFIDENTIAL, INTERNAL


class NumberSequence(models.Model):
    """The last number given per prefix and year (`PO-2026-00042`): a row locked while a number
    is taken, in the transaction of the record that gets it, so numbers are gap-free."""

    prefix = models.CharField(_("prefix"), max_length=20)
    year = models.PositiveIntegerField(_("year"))
    last = models.PositiveIntegerField(_("last number"), default=0)

    data_domain = "platform"
    data_classification: ClassVar[dict[str, Any]] = {
        "id": INTERNAL,
        "prefix": INTERNAL,
        "year": INTERNAL,
        "last": INTERNAL,
    }

    class Meta:
        verbose_name = _("number sequence")
        verbose_name_plural = _("number sequences")
        constraints = [
            models.UniqueConstraint(fields=["prefix", "year"], name="core_number_sequence_year")
        ]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.last}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # Stored under a random name: the original file name is kept in `name`, never in the path.
    return f"attachments/{instance.uploaded_at:%Y/%m}/{instance.id}"


class Attachment(models.Model):
    """A file attached to a record (certificate of conformance, supplier certificate). Never
    replaced in place: a new file is a new attachment, and `sha256` proves the content."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    object_type = models.CharField(_("record type"), max_length=100, blank=True)
    object_id = models.CharField(_("record id"), max_length=64, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"))

    data_domain = "documents"
    data_retention = "record-lifetime"
    data_classification: ClassVar[dict[str, Any]] = {
        "id": INTERNAL,
        "file": CONFIDENTIAL,
        "name": INTERNAL,
        "content_type": INTERNAL,
        "size": INTERNAL,
        "sha256": INTERNAL,
        "object_type": INTERNAL,
        "object_id": INTERNAL,
        "uploaded_by": INTERNAL,
        "uploaded_at": INTERNAL,
    }

    class Meta:
        ordering = ["-uploaded_at"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        indexes = [models.Index(fields=["object_type", "object_id"], name="core_attachment_obj")]

    def __str__(self) -> str:
        return self.name


def user_fk(**kwargs: Any) -> Any:
    """A reference to the user who did something to a record (created, approved, counted):
    protected, so the person behind a regulated record can never be deleted from under it."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", **kwargs
    )
