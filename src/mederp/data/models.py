"""Data protection models: the key table, the encrypted-model base, contact records (people)
and crypto-shredding requests."""

from __future__ import annotations

import secrets
import uuid
from typing import Any, ClassVar, Self

from django.conf import settings
from django.core.validators import validate_email
from django.db import models
from django.utils.translation import gettext_lazy as _

from mederp.core.classification import CONFIDENTIAL, INTERNAL, RESTRICTED, personal
from mederp.data.fields import (
    DESTROYED_KEYS,
    LOADED_PK,
    BlindIndexField,
    EncryptedCharField,
    EncryptedDateField,
    EncryptedField,
    EncryptedJSONField,
    EncryptedTextField,
    KeyedHashField,
    RowKeyField,
)


def random_key_id() -> int:
    """Data key ids are random (never reused, even after a rolled-back transaction), and below
    2**53 so that they stay exact in the ledger's canonical JSON."""
    return secrets.randbelow(2**53 - 2) + 1


class DataKey(models.Model):
    """A data key, stored only wrapped by the key-encryption key (which is not in the DB)."""

    class Purpose(models.TextChoices):
        ENC = "enc", _("Encryption (AES-256-GCM)")
        INDEX = "index", _("Blind index (HMAC-SHA256)")
        HASH = "hash", _("Keyed one-way hash (HMAC-SHA256)")

    id = models.BigIntegerField(primary_key=True, default=random_key_id, editable=False)
    uid = models.UUIDField(_("uid"), unique=True, default=uuid.uuid4, editable=False)
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices)
    domain = models.CharField(_("data domain"), max_length=50)
    subject = models.CharField(
        _("subject"), max_length=100, blank=True, help_text=_("Empty: the domain's key.")
    )
    generation = models.PositiveIntegerField(_("generation"), default=1)
    is_current = models.BooleanField(_("current"), default=True)
    kek_provider = models.CharField(_("key provider"), max_length=20)
    kek_version = models.PositiveIntegerField(_("key-encryption key version"))
    wrapped = models.BinaryField(_("wrapped key"), null=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    destroyed_at = models.DateTimeField(_("destroyed"), null=True, blank=True)

    data_domain = "keys"
    data_retention = "key-lifetime"
    data_classification: ClassVar[dict[str, Any]] = {
        "id": INTERNAL,
        "uid": INTERNAL,
        "purpose": INTERNAL,
        "domain": INTERNAL,
        "subject": INTERNAL,
        "generation": INTERNAL,
        "is_current": INTERNAL,
        "kek_provider": INTERNAL,
        "kek_version": INTERNAL,
        "wrapped": CONFIDENTIAL,
        "created_at": INTERNAL,
        "destroyed_at": INTERNAL,
    }

    class Meta:
        ordering = ["domain", "subject", "purpose", "generation"]
        verbose_name = _("data key")
        verbose_name_plural = _("data keys")
        constraints = [
            models.UniqueConstraint(
                fields=["purpose", "domain", "subject", "generation"], name="data_key_generation"
            ),
            models.UniqueConstraint(
                fields=["purpose", "domain", "subject"],
                condition=models.Q(is_current=True),
                name="data_key_one_current",
            ),
        ]
        indexes = [models.Index(fields=["kek_version"], name="data_key_kek_idx")]

    def __str__(self) -> str:
        scope = self.subject or self.domain
        return f"{self.purpose} key {scope} g{self.generation}"


class EncryptedQuerySet(models.QuerySet[Any]):
    """Unwraps the data keys of a fetched page with one query and one provider batch, not one
    per row; `open_fields(...)` also opens the named encrypted fields of the whole page in one
    pass (a list that shows them anyway), instead of one attribute read at a time."""

    _open_fields: tuple[str, ...] = ()

    def open_fields(self, *names: str) -> Self:
        fields = {f.name for f in self.model.encrypted_fields()}
        unknown = sorted(set(names) - fields)
        if unknown:
            raise ValueError(f"{self.model._meta.label} has no encrypted field {unknown}")
        clone = self.all()
        clone._open_fields = tuple(dict.fromkeys((*self._open_fields, *names)))
        return clone

    def only(self, *fields: str) -> Self:
        """Always with `enc_key`: the page's keys are preloaded by it (without it every row
        would fetch its key on its own)."""
        return super().only(*fields, "enc_key")

    def _clone(self) -> Self:
        clone: Self = super()._clone()  # type: ignore[misc]
        clone._open_fields = self._open_fields
        return clone

    def _fetch_all(self) -> None:
        fresh = self._result_cache is None
        super()._fetch_all()
        rows = self._result_cache
        if fresh and rows and isinstance(rows[0], EncryptedModel):
            from mederp.data import keyring

            dead = keyring.preload(o.__dict__.get("enc_key_id") for o in rows)
            if dead:  # erased subjects: their values read "[erased]" without asking again
                for row in rows:
                    if row.__dict__.get("enc_key_id") in dead:
                        row.__dict__[DESTROYED_KEYS] = dead
            if self._open_fields:
                by_name = {f.name: f for f in self.model.encrypted_fields()}
                keyring.open_rows(rows, [by_name[n] for n in self._open_fields], dead)


class EncryptedModel(models.Model):
    """Base of every model with encrypted fields.

    - `id` is a UUID made in Python, so the record's identity is known before INSERT and is
      part of every value's associated data (ADR 0010).
    - `enc_key` names the data key all encrypted fields of the row are sealed with.
    - `encryption_subject_prefix` set (e.g. "person") makes each record its own subject with
      its own data key, which crypto-shredding destroys.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    enc_key = RowKeyField(verbose_name=_("data key"))

    objects = EncryptedQuerySet.as_manager()

    encryption_subject_prefix: ClassVar[str] = ""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.__dict__.pop("_mederp_target_key", None)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            names = set(update_fields)
            sealed = {f.name for f in self.encrypted_fields()}
            if names & (sealed | {"enc_key", "enc_key_id"}):
                # All values of a row are sealed with the row's key: write them together.
                kwargs["update_fields"] = sorted(names | sealed | {"enc_key"})
        try:
            super().save(*args, **kwargs)
        finally:
            self.__dict__.pop("_mederp_target_key", None)

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any, **kwargs: Any) -> Self:
        instance = super().from_db(db, field_names, values, **kwargs)
        instance.__dict__[LOADED_PK] = instance.pk  # the identity its sealed values open with
        return instance

    def encryption_scope(self) -> tuple[str, str]:
        domain = str(getattr(self, "data_domain", "") or "default")
        prefix = self.encryption_subject_prefix
        return domain, f"{prefix}:{self.pk}" if prefix else ""

    @classmethod
    def encrypted_fields(cls) -> list[EncryptedField]:
        return [f for f in cls._meta.concrete_fields if isinstance(f, EncryptedField)]


class Person(EncryptedModel):
    """A contact record: a customer's, supplier's or complainant's contact person.

    Name, phone, email, birth date, notes and preferences are RESTRICTED personal data,
    encrypted with the person's own data key (crypto-shreddable). Email and phone have blind
    indexes for exact search; the identity document number is kept only as a keyed hash.
    """

    class Kind(models.TextChoices):
        CUSTOMER = "customer", _("Customer contact")
        SUPPLIER = "supplier", _("Supplier contact")
        COMPLAINANT = "complainant", _("Complainant")
        OTHER = "other", _("Other")

    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    site = models.ForeignKey(
        "identity.Site", on_delete=models.PROTECT, related_name="+", verbose_name=_("site")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.CUSTOMER)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    name = EncryptedCharField(_("name"), max_length=200, mask="name")
    phone = EncryptedCharField(_("phone"), max_length=40, blank=True, mask="phone")
    email = EncryptedCharField(
        _("email"), max_length=254, blank=True, mask="email", validators=[validate_email]
    )
    birth_date = EncryptedDateField(_("date of birth"), null=True, blank=True, mask="date")
    notes = EncryptedTextField(_("notes"), blank=True, mask="text")
    preferences = EncryptedJSONField(_("contact preferences"), default=dict, blank=True)
    email_index = BlindIndexField(source="email", normalizer="email")
    phone_index = BlindIndexField(source="phone", normalizer="phone")
    id_number_hash = KeyedHashField(_("identity document number (keyed hash)"))
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("changed"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    encryption_subject_prefix = "person"
    data_domain = "people"
    data_retention = "contact-record"
    data_classification: ClassVar[dict[str, Any]] = {
        "id": INTERNAL,
        "enc_key": INTERNAL,
        "reference": INTERNAL,
        "site": INTERNAL,
        "kind": INTERNAL,
        "organisation": INTERNAL,
        "name": RESTRICTED,
        "phone": RESTRICTED,
        "email": RESTRICTED,
        "birth_date": RESTRICTED,
        "notes": RESTRICTED,
        "preferences": RESTRICTED,
        "email_index": personal(CONFIDENTIAL),
        "phone_index": personal(CONFIDENTIAL),
        "id_number_hash": personal(CONFIDENTIAL),
        "erased_at": INTERNAL,
        "version": INTERNAL,
        "created_at": INTERNAL,
        "created_by": INTERNAL,
        "updated_at": INTERNAL,
        "updated_by": INTERNAL,
    }

    class Meta:
        ordering = ["reference"]
        verbose_name = _("contact person")
        verbose_name_plural = _("contact people")

    def __str__(self) -> str:
        # Never the name: str() goes into the audit ledger and into logs.
        return self.reference

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None


class ShredRequest(models.Model):
    """Crypto-shredding of one subject: requested by one person, approved by a Data Protection
    Officer (another person), which destroys the subject's keys."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting approval")
        APPROVED = "approved", _("Approved: data erased")
        REJECTED = "rejected", _("Rejected")

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="shred_requests", verbose_name=_("person")
    )
    site = models.ForeignKey(
        "identity.Site", on_delete=models.PROTECT, related_name="+", verbose_name=_("site")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    reason = models.TextField(_("reason"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_reason = models.TextField(_("decision reason"), blank=True)

    data_domain = "people"
    data_retention = "erasure-evidence"
    data_classification: ClassVar[dict[str, Any]] = {
        "id": INTERNAL,
        "person": INTERNAL,
        "site": INTERNAL,
        "status": INTERNAL,
        "reason": INTERNAL,
        "requested_by": INTERNAL,
        "requested_at": INTERNAL,
        "decided_by": INTERNAL,
        "decided_at": INTERNAL,
        "decision_reason": INTERNAL,
    }

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("erasure request")
        verbose_name_plural = _("erasure requests")
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(status="pending"),
                name="data_one_pending_shred_request",
            )
        ]

    def __str__(self) -> str:
        return f"erasure request {self.pk} for {self.person_id}"
