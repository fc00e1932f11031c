"""`record()`: append one entry to the ledger inside the caller's transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from functools import cache
from typing import Any

import orjson
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models.base import ModelState

from mederp.audit.canonical import PAYLOAD_COLUMNS, build_payload
from mederp.audit.models import AuditEntry, LedgerHead
from mederp.core import context


def _create_head() -> None:
    """The head row is missing (created by migration 0002, so only on a damaged install):
    recreate it at the last entry. The head row's lock, held until our transaction ends, is
    what keeps numbers gap-free: a rolled-back writer gives its number back."""
    last = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    # Another writer may be recreating it too: the loser waits for the winner's commit, keeps
    # the winner's row, and its retried UPDATE then numbers after the winner's entry.
    LedgerHead.objects.bulk_create([LedgerHead(id=1, last_seq=last)], ignore_conflicts=True)


# Text longer than its column is cut to fit (PostgreSQL would refuse it, SQLite keep it whole).
_LIMIT: dict[str, int] = {
    f.name: f.max_length
    for f in AuditEntry._meta.concrete_fields
    if f.name in {"actor_username", "actor_name", "object_id", "object_repr"} and f.max_length
}
_USER = AuditEntry.ActorType.USER.value
_SYSTEM = AuditEntry.ActorType.SYSTEM.value
_SYSTEM_ACTOR = (_SYSTEM, None, "system", "")


def _actor_columns(actor: Any, username: str | None) -> tuple[str, int | None, str, str]:
    """(actor_type, actor_id, actor_username, actor_name)."""
    if actor is None:
        if username is not None:
            return (AuditEntry.ActorType.ANONYMOUS.value, None, username, "")
        return _SYSTEM_ACTOR
    kind = getattr(actor, "audit_actor_type", _USER)
    if kind == _SYSTEM:
        return _SYSTEM_ACTOR
    return (
        kind,
        int(actor.pk),
        str(getattr(actor, "username", "") or getattr(actor, "name", "")),
        str(getattr(actor, "full_name", "") or ""),
    )


# A fixed clock for tests. None: entries take the database server's time on PostgreSQL (one
# clock for every application server, read under the head row's lock, so times never go back
# as sequence numbers go up) and the application's on SQLite (one host).
clock: Callable[[], dt.datetime] | None = None


def current_time(conn: Any = None) -> dt.datetime:
    """The trail's clock: the entries' (read by the append statement itself on PostgreSQL)
    and what is stamped beside them (checkpoints)."""
    if clock is not None:
        return clock()
    conn = conn or connections[DEFAULT_DB_ALIAS]
    if conn.vendor == "postgresql":
        with conn.cursor() as cur:
            cur.execute("SELECT clock_timestamp()")
            (now,) = cur.fetchone()
            return now
    return dt.datetime.now(dt.UTC)


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
    actor_type, actor_id, username, name = _actor_columns(actor, actor_username)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk if object_id is None else object_id
        object_repr = str(obj) if object_repr is None else object_repr
    # In payload order (PAYLOAD_COLUMNS); seq and created_at are set under the head row's lock.
    row: dict[str, Any] = {
        "seq": 0,
        "created_at": None,
        "actor_type": actor_type,
        "actor_id": actor_id,
        "actor_username": username[: _LIMIT["actor_username"]],
        "actor_name": name[: _LIMIT["actor_name"]],
        "site_id": None if site is None else int(site.pk),
        "site_code": "" if site is None else str(site.code),
        "action": action,
        "object_type": object_type or "",
        "object_id": "" if object_id is None else str(object_id)[: _LIMIT["object_id"]],
        "object_repr": "" if object_repr is None else str(object_repr)[: _LIMIT["object_repr"]],
        "changes": changes or {},
        "reason": (reason or "").strip(),
        "request_id": ctx.request_id,
        "ip": ctx.ip or "",
        "device_id": ctx.device_id or "",
    }
    conn = connections[DEFAULT_DB_ALIAS]
    if conn.in_atomic_block:
        return _append(conn, row)
    with transaction.atomic():
        return _append(conn, row)


def _append(conn: Any, row: dict[str, Any]) -> AuditEntry:
    # The driver's own cursor, with the placeholders it takes: Django's cursor wrapper (query
    # logging hooks, placeholder rewriting) costs more than the ledger logic, and the ledger is
    # on the path of every business change. Errors still become Django's exceptions, and a
    # broken transaction is still refused, as through the wrapper.
    conn.validate_no_broken_transaction()
    with conn.wrap_database_errors:
        raw = conn.connection
        postgres = conn.vendor == "postgresql"
        cur = _pg_cursor(raw) if postgres else raw.cursor()
        try:
            text, leaf = (
                _insert_postgresql(cur, row, raw.prepare_threshold is not None)
                if postgres
                else _insert_sqlite(conn, cur, row)
            )
        finally:
            cur.close()
    # The entry as loading it would give, without Model.__init__'s per-field work (no model
    # signal is connected to the ledger).
    entry = AuditEntry.__new__(AuditEntry)
    entry.__dict__.update(row, payload=text, leaf_hash=leaf)
    state = entry._state = ModelState()
    state.adding = False
    state.db = conn.alias
    return entry


def _insert_sqlite(conn: Any, cur: Any, row: dict[str, Any]) -> tuple[str, str]:
    """Two statements: take the next number from the head row, then insert the entry built
    with it (in-process, so a statement costs microseconds)."""
    head_sql, insert_sql = _sqlite_statements()
    head = cur.execute(head_sql).fetchone()
    if head is None:
        _create_head()
        head = cur.execute(head_sql).fetchone()
    now = current_time(conn)
    row["seq"] = int(head[0])
    row["created_at"] = now
    # The time formatted once, for the payload and for the column.
    iso = now.astimezone(dt.UTC).isoformat(sep=" ", timespec="microseconds")
    payload = build_payload(row, created_at=iso[:10] + "T" + iso[11:26] + "Z")
    text = payload.decode("utf-8")
    leaf = _sha256(_LEAF_PREFIX + payload).hexdigest()
    values = list(row.values())
    values[_CHANGES] = orjson.dumps(row["changes"]).decode("utf-8")
    values[_CREATED] = (
        # What Django's adapter stores on SQLite with a UTC database time zone (str() of the
        # naive time: no fraction on a whole second), cheaper.
        (iso[:26] if now.microsecond else iso[:19])
        if conn.timezone is dt.UTC
        else conn.ops.adapt_datetimefield_value(now)
    )
    values.append(text)
    values.append(leaf)
    cur.execute(insert_sql, values)
    return text, leaf


# The payload around the two values the database fills in. Keys are sorted and every top-level
# value after "changes" is a scalar, so the last occurrence of each key is the top-level one
# (inside a JSON string a quote is always escaped).
_TS_HOLE = '"created_at":""'
_SEQ_HOLE = '"seq":0,'


def _pg_cursor(raw: Any) -> Any:
    """A server-side binding cursor (Django's is client-side), so that the append can run as a
    prepared statement: parsing and planning it cost as much as the round trip."""
    import psycopg
    from psycopg.types.numeric import Int8Dumper

    cur = psycopg.Cursor(raw)
    # Every integer sent as int8, whatever its size: psycopg prepares one statement per set of
    # parameter types, and would otherwise pick int2, int4 or int8 by value.
    cur.adapters.register_dumper(int, Int8Dumper)
    return cur


def _insert_postgresql(cur: Any, row: dict[str, Any], prepare: bool) -> tuple[str, str]:
    """One statement, so one round trip to the server: it takes the next number from the head
    row and the time, completes the canonical payload with both, hashes it (RFC 9162 leaf) and
    inserts the entry. A round trip costs more than all the rest of the ledger. Prepared on its
    first use on a connection (and again after a rollback, when psycopg forgets it), unless the
    connection has prepared statements turned off
    (`prepare_threshold: None` in the database OPTIONS, for a transaction-pooling proxy)."""
    text = build_payload(row, created_at="").decode("utf-8")  # row["seq"] is still 0
    at = text.rindex(_TS_HOLE) + len(_TS_HOLE) - 1
    seq_at = text.rindex(_SEQ_HOLE) + len(_SEQ_HOLE) - 2
    values = list(row.values())[2:]  # seq and created_at come from the head row
    values[_CHANGES - 2] = orjson.dumps(row["changes"]).decode("utf-8")
    params = [
        None if clock is None else clock(),
        text[:at],
        text[at:seq_at],
        text[seq_at + 1 :],
        *values,
    ]
    sql = _postgresql_statement()
    done = cur.execute(sql, params, prepare=prepare).fetchone()
    if done is None:
        _create_head()
        done = cur.execute(sql, params, prepare=prepare).fetchone()
    row["seq"], row["created_at"], text, leaf = done
    return text, leaf


_INSERT_COLUMNS = (*PAYLOAD_COLUMNS, "payload", "leaf_hash")
_CHANGES = _INSERT_COLUMNS.index("changes")
_CREATED = _INSERT_COLUMNS.index("created_at")
_LEAF_PREFIX = b"\x00"  # RFC 9162 leaf: SHA-256(0x00 || payload), as merkle.leaf_hash
_sha256 = hashlib.sha256
# The payload's time as format_ts writes it, and the leaf hash, computed by PostgreSQL.
_PG_TS = "to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
_PG_LEAF = "encode(sha256('\\x00'::bytea || convert_to(payload, 'UTF8')), 'hex')"


def _names() -> tuple[str, str, str, dict[str, str]]:
    """The entry table, the head UPDATE that takes the next number, the INSERT's column list
    and each field's column, quoted."""
    qn = connection.ops.quote_name
    column = {f.name: qn(str(f.column)) for f in AuditEntry._meta.concrete_fields}
    return (
        qn(AuditEntry._meta.db_table),
        f"UPDATE {qn(LedgerHead._meta.db_table)} SET last_seq = last_seq + 1 WHERE id = 1",  # noqa: S608
        ", ".join(column[name] for name in _INSERT_COLUMNS),
        column,
    )


@cache
def _sqlite_statements() -> tuple[str, str]:
    """The head UPDATE that takes the next number, and the entry INSERT; built once."""
    table, take, names, _ = _names()
    marks = ", ".join("?" * len(_INSERT_COLUMNS))
    return (
        f"{take} RETURNING last_seq",
        f"INSERT INTO {table} ({names}) VALUES ({marks})",  # noqa: S608
    )


@cache
def _postgresql_statement() -> str:
    """The one statement of an append on PostgreSQL; built once."""
    table, take, names, column = _names()
    # Typed parameters, as server-side binding needs; text rather than varchar(n), so that a
    # value too long for its column is refused, never cut short behind the payload's back.
    cast = {"BigIntegerField": "bigint", "JSONField": "jsonb"}
    fields = {f.name: f for f in AuditEntry._meta.concrete_fields}
    rest = [f"%s::{cast.get(fields[n].get_internal_type(), 'text')}" for n in _INSERT_COLUMNS[2:-2]]
    return (
        f"WITH h AS ({take} RETURNING last_seq AS seq, "  # noqa: S608
        "COALESCE(%s::timestamptz, clock_timestamp()) AS at), "
        f"p AS (SELECT seq, at, %s::text || {_PG_TS} || %s::text || seq::text || %s::text "
        "AS payload FROM h) "
        f"INSERT INTO {table} ({names}) "
        f"SELECT seq, at, {', '.join(rest)}, payload, {_PG_LEAF} FROM p "
        f"RETURNING {column['seq']}, {column['created_at']}, payload, leaf_hash"
    )
