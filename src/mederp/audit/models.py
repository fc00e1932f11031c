"""Append-only ledger tables. The database refuses UPDATE and DELETE on them (see migrations).

`AuditEntry.payload` is the canonical JSON (RFC 8785) that is hashed into the Merkle tree; the
other columns are a queryable copy of it, and `audit verify` checks that they match.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from mederp.core.classification import INTERNAL, personal


class LedgerHead(models.Model):
    """One row holding the last sequence number: the lock that keeps numbers gap-free."""

    last_seq = models.BigIntegerField(default=0)

    data_classification: ClassVar[dict[str, Any]] = {"id": INTERNAL, "last_seq": INTERNAL}

    def __str__(self) -> str:
        return f"ledger head at {self.last_seq}"


class SequenceField(models.BigIntegerField):
    """The ledger sequence number as the primary key. SQLite stores a column declared exactly
    `integer primary key` as the table's rowid: the entries are then kept in sequence order
    with no separate index to update, and no AUTOINCREMENT bookkeeping row either."""

    def db_type(self, connection: Any) -> str | None:
        if connection.vendor == "sqlite":
            return "integer"
        return super().db_type(connection)


class AuditEntry(models.Model):
    """One ledger entry. Indexes are few on purpose: every index is one more page written by
    every audited change. The sequence number is the primary key (no surrogate id, so no
    second unique index), and as it grows with time, time-ordered searches walk it."""

    class ActorType(models.TextChoices):
        USER = "user", _("User")
        API_CLIENT = "api_client", _("API client")
        SYSTEM = "system", _("System")
        ANONYMOUS = "anonymous", _("Anonymous")

    seq = SequenceField(_("sequence"), primary_key=True)
    created_at = models.DateTimeField(_("time"))
    actor_type = models.CharField(_("actor type"), max_length=20, choices=ActorType.choices)
    actor_id = models.BigIntegerField(_("actor id"), null=True)
    actor_username = models.CharField(_("username"), max_length=150, blank=True)
    actor_name = models.CharField(_("full name"), max_length=200, blank=True)
    site_id = models.BigIntegerField(_("site id"), null=True)
    site_code = models.CharField(_("site"), max_length=20, blank=True)
    action = models.CharField(_("action"), max_length=50)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=300, blank=True)
    changes = models.JSONField(_("changes"), default=dict)
    reason = models.TextField(_("reason"), blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    ip = models.CharField(_("IP address"), max_length=45, blank=True)
    device_id = models.CharField(_("device"), max_length=64, blank=True)
    payload = models.TextField(_("canonical payload"))
    leaf_hash = models.CharField(_("leaf hash"), max_length=64)

    data_domain = "audit"
    data_classification: ClassVar[dict[str, Any]] = {
        "seq": INTERNAL,
        "created_at": INTERNAL,
        "actor_type": INTERNAL,
        "actor_id": INTERNAL,
        "actor_username": personal(INTERNAL),
        "actor_name": personal(INTERNAL),
        "site_id": INTERNAL,
        "site_code": INTERNAL,
        "action": INTERNAL,
        "object_type": INTERNAL,
        "object_id": INTERNAL,
        "object_repr": INTERNAL,
        "changes": INTERNAL,
        "reason": INTERNAL,
        "request_id": INTERNAL,
        "ip": personal(INTERNAL),
        "device_id": INTERNAL,
        "payload": INTERNAL,
        "leaf_hash": INTERNAL,
    }

    class Meta:
        ordering = ["seq"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"


class Checkpoint(models.Model):
    """A signed statement (tree size, root hash, time) over the first `tree_size` entries."""

    tree_size = models.BigIntegerField(unique=True)
    root_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    key_id = models.CharField(max_length=64)
    signature = models.CharField(max_length=128)
    statement = models.TextField()

    data_domain = "audit"
    data_classification: ClassVar[dict[str, Any]] = {
        "id": INTERNAL,
        "tree_size": INTERNAL,
        "root_hash": INTERNAL,
        "created_at": INTERNAL,
        "key_id": INTERNAL,
        "signature": INTERNAL,
        "statement": INTERNAL,
    }

    class Meta:
        ordering = ["tree_size"]
        verbose_name = _("audit checkpoint")
        verbose_name_plural = _("audit checkpoints")

    def __str__(self) -> str:
        return f"checkpoint {self.tree_size} {self.root_hash[:12]}"
