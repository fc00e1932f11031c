"""Canonical JSON (RFC 8785) and the leaf hash of an audit payload (RFC 9162 §2.1.1)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
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


_ORJSON_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER


def ascii_keys(value: Any) -> bool:
    """No float anywhere, and every object key an ASCII string (iterative: this runs for
    every ledger entry)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, inner in item.items():
                if not (isinstance(key, str) and key.isascii()):
                    return False
                if isinstance(inner, dict | list | tuple | float):
                    stack.append(inner)
        elif isinstance(item, list | tuple):
            stack.extend(v for v in item if isinstance(v, dict | list | tuple | float))
        elif isinstance(item, float):
            return False
    return True


def canonical_bytes(value: Any, *, checked: bool = False) -> bytes:
    """RFC 8785 canonical JSON.

    orjson with sorted keys produces the same bytes as RFC 8785 for what the ledger holds
    (strings, integers within 2**53, booleans, null, lists, objects with ASCII keys) at a
    fraction of the cost; anything else (floats, non-ASCII keys, whose RFC 8785 order is by
    UTF-16 code units) goes through the reference implementation. A property test holds the
    two to the same output.
    """
    if checked or ascii_keys(value):
        try:
            return orjson.dumps(value, option=_ORJSON_OPTIONS)
        except orjson.JSONEncodeError:
            pass  # e.g. an integer beyond 2**53: let the reference implementation decide
    return bytes(rfc8785.dumps(value))


def format_ts(value: dt.datetime) -> str:
    """RFC 3339 in UTC with microseconds: 2026-03-01T08:00:00.000000Z."""
    if value.tzinfo is not dt.UTC:
        value = value.astimezone(dt.UTC)
    # isoformat(): a fraction of strftime's cost, and four-digit years as RFC 3339 wants.
    return value.isoformat(timespec="microseconds")[:26] + "Z"


def build_payload(columns: dict[str, Any], *, created_at: str | None = None) -> bytes:
    """The canonical payload of an entry's columns. `created_at`: the time already written as
    format_ts writes it, when the caller has it in that form (the ledger does)."""
    body = {name: columns[name] for name in PAYLOAD_COLUMNS}
    body["created_at"] = format_ts(columns["created_at"]) if created_at is None else created_at
    body["v"] = PAYLOAD_VERSION
    # Every top-level value is a string, an integer or null by construction; only the changes
    # can hold arbitrary structure.
    return canonical_bytes(body, checked=ascii_keys(body["changes"]))


def entry_leaf_hash(payload: bytes) -> str:
    return leaf_hash(payload).hex()
