"""Canonical JSON (RFC 8785) and the leaf hash of an audit payload (RFC 9162 §2.1.1)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import rfc8785

from mederp.audit.merkle import leaf_hash

PAYLOAD_VERSION = 1

# The columns of AuditEntry that are a copy of the payload, in payload key order.
PAYLOAD_COLUMNS = (
    "seq",
    "created_at",
    "actor_type",
    "actor_id",
    "actor_username",
    "actor_name",
    "site_id",
    "site_code",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "changes",
    "reason",
    "request_id",
    "ip",
    "device_id",
)


def canonical_bytes(value: Any) -> bytes:
    return bytes(rfc8785.dumps(value))


def format_ts(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def build_payload(columns: dict[str, Any]) -> bytes:
    body = {name: columns[name] for name in PAYLOAD_COLUMNS}
    body["created_at"] = format_ts(columns["created_at"])
    body["v"] = PAYLOAD_VERSION
    return canonical_bytes(body)


def entry_leaf_hash(payload: bytes) -> str:
    return leaf_hash(payload).hex()
