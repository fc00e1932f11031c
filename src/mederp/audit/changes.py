"""Before/after snapshots of model instances, so services never build change dicts by hand.

RESTRICTED fields never reach the ledger in clear: their values become a marker with a keyed
fingerprint (HMAC-SHA256, truncated), so a change stays visible without revealing the value.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import hmac
import uuid
from functools import cache
from typing import Any

from django.db import models

from mederp.core.classification import declared
from mederp.core.keys import audit_fingerprint_key, keys_dir

REDACTED = "[restricted]"
FINGERPRINT_KEY_FILE = "audit-fingerprint.key"
# Fingerprints made with the ledger's own key carry this tag (and its version), so they can
# be told apart from those keyed per subject by the data-protection module.
FINGERPRINT_TAG = "a1:"


class FingerprintKeyMissing(RuntimeError):
    """The fingerprint key file is gone while the ledger holds fingerprints made with it."""


def _ledger_has_fingerprints() -> bool:
    from mederp.audit.models import AuditEntry

    # Canonical JSON (RFC 8785): the marker is always written exactly like this. Subject-keyed
    # fingerprints (untagged) do not count: they were not made with this key.
    marker = '{"' + REDACTED + '":"' + FINGERPRINT_TAG
    return AuditEntry.objects.filter(payload__contains=marker).exists()


@cache
def _fingerprint_key() -> bytes:
    """The HMAC key of the fingerprints. Created on first use only while the ledger holds no
    fingerprint: once it does, a missing key file is an incident (an unmounted or lost key
    directory), never something to paper over with a new key whose fingerprints would not
    match the old ones."""
    path = keys_dir() / FINGERPRINT_KEY_FILE
    if not path.exists() and _ledger_has_fingerprints():
        raise FingerprintKeyMissing(
            f"the audit fingerprint key {path} is missing while the audit ledger holds "
            "fingerprints made with it: restore the key directory from its backup"
        )
    return audit_fingerprint_key()


def fingerprint(value: Any) -> str:
    data = str(value).encode("utf-8")
    return FINGERPRINT_TAG + hmac.new(_fingerprint_key(), data, hashlib.sha256).hexdigest()[:16]


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date | dt.time | uuid.UUID):
        return value.isoformat() if not isinstance(value, uuid.UUID) else str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, bytes | memoryview):
        return hashlib.sha256(bytes(value)).hexdigest()
    return str(value)


@cache
def _fields(model: type[models.Model]) -> tuple[tuple[str, str, Any], ...]:
    """(name, attname, audit_value hook) of the audited concrete fields: the model's structure
    is fixed once apps are loaded. Classification is not cached: it is read on every call."""
    excluded: frozenset[str] = getattr(model, "audit_exclude", frozenset())
    return tuple(
        (f.name, f.attname, getattr(f, "audit_value", None))
        for f in model._meta.concrete_fields
        if f.name not in excluded
    )


_SCALARS = (str, int, bool, type(None))


def snapshot(instance: models.Model) -> dict[str, Any]:
    """The audit view of an instance: concrete field values, RESTRICTED ones fingerprinted."""
    model = type(instance)
    # The declarations as they are now (never cached, so a reclassified field takes effect at
    # once); `field_class` reads the same mapping and treats an undeclared field as RESTRICTED.
    declarations = declared(model)
    # `audit_fingerprint`: fields that are not personal data but must not be readable by every
    # holder of audit.view_trail either (prices: commercial terms).
    hidden: frozenset[str] = getattr(model, "audit_fingerprint", frozenset())
    out: dict[str, Any] = {}
    for name, attname, hook in _fields(model):
        if hook is not None:
            # Encrypted fields fingerprint themselves (subject data with the subject's own,
            # shreddable key); they never hand the ledger their value.
            out[name] = hook(instance)
            continue
        raw = getattr(instance, attname)
        decl = declarations.get(name)
        if name == "password":
            # The hash is not a secret to the ledger, but it is of no use to a reader either.
            out[name] = None if not raw else {REDACTED: fingerprint(raw)}
        elif decl is None or decl.restricted or name in hidden:
            out[name] = None if raw in (None, "") else {REDACTED: fingerprint(raw)}
        elif type(raw) in _SCALARS:
            out[name] = raw
        else:
            out[name] = _plain(raw)
    return out


def diff(
    before: dict[str, Any] | None, after: models.Model | dict[str, Any]
) -> dict[str, list[Any]]:
    """`{field: [old, new]}` for fields that differ; `before=None` means a creation."""
    new = after if isinstance(after, dict) else snapshot(after)
    old = before or {}
    return {
        name: [old.get(name), value]
        for name, value in new.items()
        if before is None or old.get(name) != value
    }
