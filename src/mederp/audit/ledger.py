"""`record()`: append one entry to the ledger inside the caller's transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import cache
from typing import Any

import orjson
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone

from mederp.audit.canonical import PAYLOAD_COLUMNS, build_payload
from mederp.audit.models import AuditEntry, LedgerHead
from mederp.core import context

_MAX = {"object_repr": 300, "actor_name": 200, "actor_username": 150, "object_id": 64}


def _create_head() -> int:
    """The head row is missing (created by migration 0002, so only on a damaged install):
    recreate it after the last entry. The head row's lock, held until our transaction ends,
    is what keeps numbers gap-free: a rolled-back writer gives its number back."""
    last = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    LedgerHead.objects.create(id=1, last_seq=last + 1)
    return last + 1


def _actor_columns(actor: Any, username: str | None) -> dict[str, Any]:
    if actor is None:
        if username is not None:
            return {
                "actor_type": AuditEntry.ActorType.ANONYMOUS.value,
                "actor_id": None,
                "actor_username": username,
                "actor_name": "",
            }
        return {
            "actor_type": AuditEntry.ActorType.SYSTEM.value,
            "actor_id": None,
            "actor_username": "system",
            "actor_name": "",
        }
    kind = getattr(actor, "audit_actor_type", AuditEntry.ActorType.USER.value)
    if kind == AuditEntry.ActorType.SYSTEM.value:
        return {"actor_type": kind, "actor_id": None, "actor_username": "system", "actor_name": ""}
    return {
        "actor_type": kind,
        "actor_id": int(actor.pk),
        "actor_username": str(getattr(actor, "username", "") or getattr(actor, "name", "")),
        "actor_name": str(getattr(actor, "full_name", "") or ""),
    }


def _object_columns(
    obj: Any, object_type: str | None, object_id: Any, object_repr: Any
) -> dict[str, str]:
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk if object_id is None else object_id
        object_repr = str(obj) if object_repr is None else object_repr
    return {
        "object_type": object_type or "",
        "object_id": "" if object_id is None else str(object_id),
        "object_repr": "" if object_repr is None else str(object_repr),
    }


_UNSET: Any = object()


def record(
    action: str,
    obj: Any = None,
    *,
    changes: dict[str, Any] | None = None,
    reason: str = "",
    actor: Any = _UNSET,
    site: Any = _UNSET,
    object_type: str | None = None,
    object_id: Any = None,
    object_repr: Any = None,
    actor_username: str | None = None,
) -> AuditEntry:
    """Append an entry. Runs in the caller's transaction (or its own when there is none), so the
    entry and the change it describes commit or roll back together."""
    ctx = context.current()
    actor = ctx.actor if actor is _UNSET else actor
    site = ctx.site if site is _UNSET else site
    columns: dict[str, Any] = {
        **_actor_columns(actor, actor_username),
        "site_id": None if site is None else int(site.pk),
        "site_code": "" if site is None else str(site.code),
        "action": action,
        **_object_columns(obj, object_type, object_id, object_repr),
        "changes": changes or {},
        "reason": (reason or "").strip(),
        "request_id": ctx.request_id,
        "ip": ctx.ip or "",
        "device_id": ctx.device_id or "",
    }
    for name, limit in _MAX.items():
        if len(columns[name]) > limit:
            columns[name] = columns[name][:limit]
    conn = connections[DEFAULT_DB_ALIAS]
    if conn.in_atomic_block:
        return _append(conn, columns)
    with transaction.atomic():
        return _append(conn, columns)


def _append(conn: Any, columns: dict[str, Any]) -> AuditEntry:
    head_sql, insert_sql = _statements(conn.vendor)
    # One cursor for both statements. A plain INSERT with values prepared by hand: the model
    # save machinery costs more than the whole ledger logic, and the ledger is on the path of
    # every business change.
    with conn.cursor() as cur:
        cur.execute(head_sql)
        head = cur.fetchone()
        seq = int(head[0]) if head is not None else _create_head()
        now = timezone.now()
        columns["seq"] = seq
        columns["created_at"] = now
        payload = build_payload(columns)
        values = [columns[name] for name in PAYLOAD_COLUMNS]
        values[_CHANGES] = orjson.dumps(columns["changes"]).decode("utf-8")
        values[_CREATED] = (
            # What Django's adapter stores on SQLite with a UTC database time zone, cheaper.
            str(now.replace(tzinfo=None))
            if conn.vendor == "sqlite" and conn.timezone is dt.UTC and now.tzinfo is dt.UTC
            else conn.ops.adapt_datetimefield_value(now)
        )
        text = payload.decode("utf-8")
        leaf = _sha256(_LEAF_PREFIX + payload).hexdigest()
        values += (text, leaf)
        cur.execute(insert_sql, values)
    return AuditEntry.from_db(
        conn.alias, _INSERT_COLUMNS, [*(columns[n] for n in PAYLOAD_COLUMNS), text, leaf]
    )


_INSERT_COLUMNS = (*PAYLOAD_COLUMNS, "payload", "leaf_hash")
_CHANGES = _INSERT_COLUMNS.index("changes")
_CREATED = _INSERT_COLUMNS.index("created_at")
_LEAF_PREFIX = b"\x00"  # RFC 9162 leaf: SHA-256(0x00 || payload), as merkle.leaf_hash
_sha256 = hashlib.sha256


@cache
def _statements(vendor: str) -> tuple[str, str]:
    """The head UPDATE that takes the next number and the entry INSERT, built once."""
    qn = connection.ops.quote_name
    head = qn(LedgerHead._meta.db_table)
    marks = ["%s"] * len(_INSERT_COLUMNS)
    if vendor == "postgresql":
        marks[_CHANGES] = "%s::jsonb"
    column = {f.name: str(f.column) for f in AuditEntry._meta.concrete_fields}
    names = ", ".join(qn(column[name]) for name in _INSERT_COLUMNS)
    table = qn(AuditEntry._meta.db_table)
    return (
        f"UPDATE {head} SET last_seq = last_seq + 1 WHERE id = 1 RETURNING last_seq",  # noqa: S608
        f"INSERT INTO {table} ({names}) VALUES ({', '.join(marks)})",  # noqa: S608
    )
