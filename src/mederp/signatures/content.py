"""What a signature attests: the SHA-256 of the record's canonical content.

The content is `audit.snapshot(record)` (every concrete field, RESTRICTED values as keyed
fingerprints) without the volatile fields, which change without changing what was signed
(`updated_at`, `last_login`, ...), wrapped with the record's type and id and serialised as
RFC 8785 canonical JSON (`audit.canonical.canonical_bytes`). Binding the type and id into the
hash means two records with equal fields still hash differently.

A model narrows or widens what is signed with one of:

- `signature_fields = ("title", "body", ...)`: only these fields (a request, not its decision);
- `signature_exclude = {"status", ...}`: every field but these (and the volatile ones);
- `def signature_content(self) -> dict`: anything, e.g. the record with its lines.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import models

from mederp.audit.canonical import canonical_bytes
from mederp.audit.changes import _plain, snapshot

VOLATILE_FIELDS = frozenset(
    {
        "updated_at",
        "updated_by",
        "modified_at",
        "modified_by",
        "last_login",
        "last_seen_at",
    }
)


def record_label(record: models.Model) -> str:
    return str(record._meta.label_lower)


def canonical_content(record: models.Model) -> dict[str, Any]:
    custom = getattr(record, "signature_content", None)
    if callable(custom):
        content = _plain(custom())
    else:
        snap = snapshot(record)
        only = getattr(record, "signature_fields", None)
        if only:
            content = {name: snap[name] for name in only}
        else:
            exclude = VOLATILE_FIELDS | set(getattr(record, "signature_exclude", ()) or ())
            content = {name: value for name, value in snap.items() if name not in exclude}
    return {"type": record_label(record), "id": str(record.pk), "content": content}


def content_hash(record: models.Model) -> str:
    """Hex SHA-256 of the canonical content of `record` as it is in memory."""
    if record.pk is None:
        raise ValueError("an unsaved record cannot be signed")
    return hashlib.sha256(canonical_bytes(canonical_content(record))).hexdigest()
