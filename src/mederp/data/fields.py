"""Model fields for RESTRICTED data: encrypted values, blind indexes and keyed one-way hashes.

Encrypted fields store `crypto.Sealed` bytes (AES-256-GCM, see crypto.py) and hand out the
plaintext through a descriptor that opens the value on first access with the record's identity
(the model's client-generated UUID primary key, known before INSERT) as associated data.
They live on subclasses of `mederp.data.models.EncryptedModel`, whose `enc_key` column names
the data key every encrypted field of the row is sealed with.

Safe by default:
- `filter(name=...)`, `order_by`-style lookups other than `isnull` are refused: search through
  a `BlindIndexField` instead;
- `QuerySet.update(name="x")` and `bulk_update` with plaintext are refused (the value cannot be
  bound to its record there): go through `save()` in a service;
- `values()` / `values_list()` give `Sealed` objects, whose str() is "[encrypted]";
- a value whose data key was destroyed (crypto-shredding) reads as `ERASED` ("[erased]");
  a value that does not authenticate raises `DecryptionFailed` (tampering is loud).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from typing import TYPE_CHECKING, Any

from django import forms
from django.core import validators
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.query_utils import DeferredAttribute

from mederp.data.crypto import DecryptionFailed, Sealed

if TYPE_CHECKING:
    from mederp.data.keyring import KeyHandle


class ErasedValue(str):
    """What a crypto-shredded value reads as, whatever the field's type."""

    __slots__ = ()


ERASED = ErasedValue("[erased]")


def is_erased(value: Any) -> bool:
    return isinstance(value, ErasedValue)


class SubjectErased(Exception):
    """New personal data cannot be stored for a subject whose keys were destroyed."""


# --- encrypted fields ------------------------------------------------------------------------
class EncryptedAttribute(DeferredAttribute):
    """A data descriptor: every read goes through it, so a Sealed value is opened lazily."""

    def __init__(self, field: Any) -> None:
        super().__init__(field)
        self.attname = field.attname  # read on every access of every encrypted value

    def __get__(self, instance: Any, cls: Any = None) -> Any:
        if instance is None:
            return self
        data = instance.__dict__
        try:
            value = data[self.attname]
        except KeyError:
            super().__get__(instance, cls)  # a deferred field: loads it through __set__
            value = data.get(self.attname)
        if value.__class__ is Sealed:
            return self.field.open_for(instance, value)  # type: ignore[attr-defined]
        return value

    def __set__(self, instance: Any, value: Any) -> None:
        # A value read from the database opens with the identity its row was loaded under
        # (EncryptedModel.from_db keeps it): see loaded_record_id().
        instance.__dict__[self.attname] = value


LOADED_PK = "_mederp_loaded_pk"
# Data keys found destroyed when the row was fetched (EncryptedQuerySet): its values sealed
# with them read "[erased]" without a key lookup per value. Only ever the safe direction: a
# key is never taken for alive because of it.
DESTROYED_KEYS = "_mederp_destroyed_keys"


def loaded_record_id(instance: Any) -> str:
    """The record id the instance's sealed values were loaded under (its primary key when it
    was read from the database, even if the primary key was changed since)."""
    return str(instance.__dict__.get(LOADED_PK, instance.pk))


def _sealed_from_db(value: Any, expression: Any, connection: Any) -> Sealed | None:
    """A stored value as it comes from the database: sealed, opened on first read."""
    if value is None:
        return None
    return Sealed(value if value.__class__ is bytes else bytes(value))


class EncryptedField(models.Field):
    """Base class: subclasses say how a value becomes bytes (`encode`) and back (`decode`)."""

    descriptor_class = EncryptedAttribute
    empty_strings_allowed = True
    MASKS = ("name", "phone", "email", "date", "text", "full")

    def __init__(self, *args: Any, mask: str = "full", **kwargs: Any) -> None:
        if mask not in self.MASKS:
            raise ValueError(f"mask must be one of {self.MASKS}")
        self.mask = mask
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.mask != "full":
            kwargs["mask"] = self.mask
        return name, path, args, kwargs

    def get_internal_type(self) -> str:
        return "BinaryField"

    # -- plaintext <-> bytes ----------------------------------------------------------------
    def encode(self, value: Any) -> bytes:
        return str(value).encode("utf-8")

    def decode(self, data: bytes) -> Any:
        return data.decode("utf-8")

    # -- reading ----------------------------------------------------------------------------
    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Sealed | None:
        return _sealed_from_db(value, expression, connection)

    def get_db_converters(self, connection: Any) -> list[Any]:
        # The function itself, not the bound method: it runs for every value of every row.
        if type(self).from_db_value is EncryptedField.from_db_value:
            return [_sealed_from_db]
        return [self.from_db_value]  # pragma: no cover - a subclass with its own

    def open_for(self, instance: Any, sealed: Sealed) -> Any:
        from mederp.data import keyring

        record_id = sealed.record_id or loaded_record_id(instance)
        dead = instance.__dict__.get(DESTROYED_KEYS)
        try:
            if dead and sealed.key_id in dead:
                return ERASED
            plain = keyring.open_field(
                type(instance)._meta.label, record_id, self.name, sealed.data
            )
        except keyring.KeyDestroyed:
            return ERASED
        except DecryptionFailed as exc:
            raise DecryptionFailed(
                f"{type(instance)._meta.label}.{self.name} of record {record_id} does not "
                f"decrypt ({exc}): it was altered or copied from another record or field"
            ) from None
        value = self.decode(plain)
        instance.__dict__[self.attname] = value
        return value

    # -- writing ----------------------------------------------------------------------------
    def pre_save(self, model_instance: Any, add: bool) -> Any:
        from mederp.data import keyring

        raw = model_instance.__dict__.get(self.attname)
        if raw is None:
            return None
        target = resolve_row_key(model_instance)
        if isinstance(raw, Sealed):
            if target is None or raw.key_id == target.id:
                return raw
            try:
                raw = self.open_for(model_instance, raw)
            except keyring.KeyDestroyed:  # pragma: no cover - open_for maps it to ERASED
                return raw
            if is_erased(raw):
                return model_instance.__dict__[self.attname]
        if is_erased(raw):
            raise SubjectErased(f"{self.name}: an erased value cannot be written back")
        if target is None:
            raise SubjectErased(
                f"{type(model_instance)._meta.label}: this subject's data was erased; "
                "new personal data cannot be stored for it"
            )
        data = keyring.seal_field(
            target,
            type(model_instance)._meta.label,
            str(model_instance.pk),
            self.name,
            self.encode(raw),
        )
        return Sealed(data, str(model_instance.pk))

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, Sealed):
            return value.data
        raise TypeError(
            f"{self.model._meta.label}.{self.name} is encrypted: plaintext can only be written "
            "through save() (QuerySet.update() and bulk_update() cannot bind it to its record)"
        )

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        value = super().get_db_prep_value(value, connection, prepared)
        if value is not None:
            return connection.Database.Binary(value)
        return value

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        return None

    def get_transform(self, name: str) -> Any:
        return None

    def value_to_string(self, obj: Any) -> str:
        return "[restricted]"  # dumpdata and friends never get the plaintext

    def audit_value(self, instance: Any) -> Any:
        """What the audit ledger records for this field: a keyed fingerprint, never the value.

        Subject-scoped values (crypto-shreddable) are fingerprinted with a key derived from the
        subject's own data key, so once the subject is shredded nobody can test guesses
        against the ledger either."""
        from mederp.audit.changes import REDACTED
        from mederp.data import keyring

        value = getattr(instance, self.attname)
        if value is None or value == "":
            return None
        if is_erased(value):
            return {REDACTED: "erased"}
        return {REDACTED: keyring.fingerprint_for(instance, self.encode(value))}


class EncryptedCharField(EncryptedField):
    def __init__(self, *args: Any, max_length: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_length = max_length
        if max_length is not None:
            self.validators.append(validators.MaxLengthValidator(max_length))

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.max_length is not None:
            kwargs["max_length"] = self.max_length
        return name, path, args, kwargs

    def to_python(self, value: Any) -> Any:
        if value is None or isinstance(value, str):
            return value
        return str(value)

    def formfield(self, **kwargs: Any) -> Any:
        return super().formfield(
            **{"form_class": forms.CharField, "max_length": self.max_length, **kwargs}
        )


class EncryptedTextField(EncryptedCharField):
    def formfield(self, **kwargs: Any) -> Any:
        return super().formfield(**{"widget": forms.Textarea, **kwargs})


class EncryptedJSONField(EncryptedField):
    empty_strings_allowed = False

    def encode(self, value: Any) -> bytes:
        return json.dumps(
            value, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True, separators=(",", ":")
        ).encode("utf-8")

    def decode(self, data: bytes) -> Any:
        return json.loads(data)

    def formfield(self, **kwargs: Any) -> Any:
        return super().formfield(**{"form_class": forms.JSONField, **kwargs})


class EncryptedDateField(EncryptedField):
    empty_strings_allowed = False

    def encode(self, value: Any) -> bytes:
        return self.to_python(value).isoformat().encode("ascii")

    def decode(self, data: bytes) -> Any:
        return dt.date.fromisoformat(data.decode("ascii"))

    def to_python(self, value: Any) -> Any:
        if value is None or is_erased(value):
            return value
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            from django.core.exceptions import ValidationError

            raise ValidationError("Enter a valid date.", code="invalid") from None

    def formfield(self, **kwargs: Any) -> Any:
        return super().formfield(**{"form_class": forms.DateField, **kwargs})


# --- the row's data key ----------------------------------------------------------------------
def resolve_row_key(instance: Any) -> KeyHandle | None:
    """The data key this save seals with: the newest for the row's scope. None when the
    subject was erased (nothing new may be sealed for it). Cached on the instance for the
    duration of one save (EncryptedModel.save clears it)."""
    from mederp.data import keyring

    cached = instance.__dict__.get("_mederp_target_key", False)
    if cached is not False:
        return cached  # type: ignore[no-any-return,unused-ignore]
    domain, subject = instance.encryption_scope()
    try:
        target: KeyHandle | None = keyring.current("enc", domain, subject)
    except SubjectErased:
        target = None
    instance.__dict__["_mederp_target_key"] = target
    return target


class RowKeyField(models.ForeignKey):
    """`enc_key`: the data key of the row's encrypted values (for `keys status`/`reencrypt`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("to", "data.DataKey")
        kwargs.setdefault("on_delete", models.PROTECT)
        kwargs.setdefault("related_name", "+")
        kwargs.setdefault("null", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def pre_save(self, model_instance: Any, add: bool) -> Any:
        target = resolve_row_key(model_instance)
        if target is not None:
            setattr(model_instance, self.attname, target.id)
        return getattr(model_instance, self.attname)


# --- blind indexes and keyed hashes ----------------------------------------------------------
def _digest_audit_value(field: Any, instance: Any) -> Any:
    """Blind indexes and keyed hashes are fingerprinted in the ledger like the values they
    stand for: a raw digest there would outlive a crypto-shredding and stay linkable."""
    from mederp.audit.changes import REDACTED
    from mederp.data import keyring

    value = getattr(instance, field.attname)
    if not value:
        return None
    return {REDACTED: keyring.fingerprint_for(instance, str(value).encode("ascii"))}


def normalise(kind: str, value: str) -> str:
    value = unicodedata.normalize("NFKC", str(value)).strip()
    if kind == "email":
        return value.casefold()
    if kind == "phone":
        return re.sub(r"\D", "", value)
    if kind == "text":
        return " ".join(value.casefold().split())
    return value


class BlindIndexField(models.CharField):
    """HMAC-SHA256 of the normalised plaintext of `source`, truncated to `digest_bytes`, for
    exact-match search. Leaks equality: rows with equal values have equal indexes."""

    def __init__(
        self,
        *args: Any,
        source: str = "",
        normalizer: str = "text",
        digest_bytes: int = 16,
        **kwargs: Any,
    ) -> None:
        self.source = source
        self.normalizer = normalizer
        self.digest_bytes = digest_bytes
        kwargs["max_length"] = 2 * digest_bytes
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("max_length", None)
        kwargs.update(
            source=self.source, normalizer=self.normalizer, digest_bytes=self.digest_bytes
        )
        for key, default in (("null", True), ("blank", True), ("editable", False)):
            if kwargs.get(key, default) == default:
                kwargs.pop(key, None)
        if kwargs.get("db_index") is True:
            kwargs.pop("db_index")
        return name, path, args, kwargs

    def compute(self, model: Any, value: Any) -> str | None:
        from mederp.data import keyring

        if value is None or is_erased(value):
            return None
        text = normalise(self.normalizer, value)
        if not text:
            return None
        return keyring.blind_index(model, self.source, text, self.digest_bytes)

    def audit_value(self, instance: Any) -> Any:
        return _digest_audit_value(self, instance)

    def pre_save(self, model_instance: Any, add: bool) -> Any:
        value = getattr(model_instance, self.source)
        if is_erased(value):
            return getattr(model_instance, self.attname)
        digest = self.compute(type(model_instance), value)
        setattr(model_instance, self.attname, digest)
        return digest


_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class KeyedHashField(models.CharField):
    """A keyed one-way hash (HMAC-SHA256, its own key) of a value that is compared but never
    shown or stored (e.g. an identity document number). Set it with `keyed_hash()`."""

    def __init__(self, *args: Any, normalizer: str = "text", **kwargs: Any) -> None:
        self.normalizer = normalizer
        kwargs["max_length"] = 64
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("max_length", None)
        kwargs["normalizer"] = self.normalizer
        for key, default in (("null", True), ("blank", True), ("editable", False)):
            if kwargs.get(key, default) == default:
                kwargs.pop(key, None)
        return name, path, args, kwargs

    def audit_value(self, instance: Any) -> Any:
        return _digest_audit_value(self, instance)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value in (None, ""):
            return None
        if not _HEX64.match(str(value)):
            raise TypeError(
                f"{self.model._meta.label}.{self.name} holds keyed hashes only: "
                "set it with mederp.data.fields.keyed_hash()"
            )
        return value


def keyed_hash(model: Any, field_name: str, value: str) -> str | None:
    from mederp.data import keyring

    field = model._meta.get_field(field_name)
    text = normalise(field.normalizer, value)
    if not text:
        return None
    return keyring.keyed_hash(model, field_name, text)


def hash_matches(instance: Any, field_name: str, candidate: str) -> bool:
    import hmac

    stored = getattr(instance, field_name)
    computed = keyed_hash(type(instance), field_name, candidate)
    return bool(stored and computed and hmac.compare_digest(stored, computed))
