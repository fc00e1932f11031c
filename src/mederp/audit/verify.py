"""`audit verify`: recompute the ledger and prove it has not been altered.

One streaming pass over the entries checks, for each: the sequence is gap-free, the leaf hash
is SHA-256(0x00 || payload), and every structured column equals the payload. A running Merkle
tree gives the root at every checkpoint, which must match the signed statement; both roots
come from the same verified entry stream, so consecutive checkpoints are consistent by
construction. The head row and the latest checkpoint catch tail truncation; the external
checkpoint copy (`against`) catches a rewrite of the whole database, checkpoints included.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import multiprocessing
import operator
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from django.db import connection, connections

from mederp.audit import triggers
from mederp.audit.canonical import PAYLOAD_COLUMNS, format_ts
from mederp.audit.checkpoints import LOG_ID, read_export
from mederp.audit.merkle import CompactRange, fold_stack
from mederp.audit.models import AuditEntry, Checkpoint, LedgerHead
from mederp.audit.signing import trusted_keys, verify_signature

_LEAF_PREFIX = b"\x00"
_CHUNK = 10_000
# Below this many entries one process is faster than starting workers.
PARALLEL_FROM = 200_000
# Entries per worker job: a power of two, so each job's subtrees are subtrees of the whole.
CHUNK_ENTRIES = 1 << 17


@dataclass
class VerifyResult:
    entries: int = 0
    checkpoints: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def fail(self, seq: int | None, reason: str) -> None:
        self.errors.append({"seq": seq, "reason": reason})

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "checkpoints": self.checkpoints,
            "errors": self.errors,
        }


def _ts(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return format_ts(value if value.tzinfo else value.replace(tzinfo=dt.UTC))
    text = str(value).replace(" ", "T", 1)
    text = text.removesuffix("+00:00").removesuffix("Z")
    if "." not in text:
        text += ".000000"
    return text + "Z"


def _entry_rows(offset: int = 0, limit: int | None = None) -> Any:
    qn = connection.ops.quote_name
    table = qn(AuditEntry._meta.db_table)
    names = [qn(c) for c in (*PAYLOAD_COLUMNS, "payload", "leaf_hash")]
    # The timestamp is formatted by the database exactly as the payload writes it: a Python
    # datetime conversion per row would cost more than all the hashing.
    ts = PAYLOAD_COLUMNS.index("created_at")
    if connection.vendor == "sqlite":
        names[ts] = (
            "CASE WHEN instr(created_at, '.') THEN replace(created_at, ' ', 'T') || 'Z' "
            "ELSE replace(created_at, ' ', 'T') || '.000000Z' END"
        )
    elif connection.vendor == "postgresql":
        names[ts] = "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
    sql = f"SELECT {', '.join(names)} FROM {table} ORDER BY seq"  # noqa: S608
    params: list[int] = []
    if limit is not None:
        sql += " LIMIT %s OFFSET %s"
        params = [limit, offset]
    with connection.cursor() as cur:
        cur.execute(sql, params)
        while rows := cur.fetchmany(_CHUNK):
            yield from rows


@dataclass
class _Scan:
    """What one pass over a run of consecutive entries found."""

    entries: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    error: tuple[int, str] | None = None
    stacks: dict[int, list[bytes]] = field(default_factory=dict)  # size -> inner subtrees
    final_stack: list[bytes] = field(default_factory=list)


def _scan(offset: int, limit: int | None, expected: int | None, wanted: frozenset[int]) -> _Scan:
    """Check every entry of the run and build its Merkle subtrees.

    `offset` is a multiple of a power of two at least as large as `limit`, so the run's perfect
    subtrees are also perfect subtrees of the whole tree and can be combined by the caller.
    """
    out = _Scan()
    acc = CompactRange()
    sha256 = hashlib.sha256
    loads = orjson.loads
    n_cols = len(PAYLOAD_COLUMNS)
    ts_index = PAYLOAD_COLUMNS.index("created_at")
    changes_index = PAYLOAD_COLUMNS.index("changes")
    columns_of = operator.itemgetter(*PAYLOAD_COLUMNS)
    for row in _entry_rows(offset, limit):
        seq = row[0]
        if out.first_seq is None:
            out.first_seq = seq
            expected = seq if expected is None else expected
        payload = row[n_cols].encode("utf-8")
        digest = sha256(_LEAF_PREFIX + payload).digest()
        if out.error is None:
            if seq != expected:
                why = (
                    "duplicate or reordered" if seq < expected else f"missing {expected}..{seq - 1}"
                )
                out.error = (seq, f"sequence is not gap-free at {seq} ({why})")
            elif digest.hex() != row[n_cols + 1]:
                out.error = (seq, f"entry {seq}: leaf hash does not match its payload")
            else:
                actual = list(row[:n_cols])
                if not isinstance(actual[ts_index], str):
                    actual[ts_index] = _ts(actual[ts_index])
                if isinstance(actual[changes_index], str):
                    actual[changes_index] = loads(actual[changes_index])
                try:
                    wanted_cols = columns_of(loads(payload))
                except (KeyError, orjson.JSONDecodeError):
                    wanted_cols = None
                if wanted_cols is None or tuple(actual) != wanted_cols:
                    bad = _first_difference(actual, wanted_cols)
                    out.error = (seq, f"entry {seq}: column {bad} differs from the hashed payload")
        expected = seq + 1
        acc.append(digest)
        out.entries += 1
        if offset + acc.size in wanted:
            out.stacks[offset + acc.size] = acc.stack
    out.last_seq = expected - 1 if expected is not None else None
    out.final_stack = acc.stack
    return out


def _scan_in_child(args: tuple[int, int, int | None, frozenset[int]]) -> _Scan:
    return _scan(*args)


def _scan_all(total: int, wanted: frozenset[int], workers: int) -> list[_Scan]:
    if workers <= 1 or total < PARALLEL_FROM:
        return [_scan(0, None, 1, wanted)]
    chunk = CHUNK_ENTRIES
    jobs = [(off, chunk, 1 if off == 0 else None, wanted) for off in range(0, total, chunk)]
    # Each child opens its own connection; the parent's must not be shared across fork.
    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(workers) as pool:
        return pool.map(_scan_in_child, jobs, chunksize=1)


def _check_checkpoint(
    result: VerifyResult, cp: dict[str, Any], key: Any, root_at: dict[int, str], source: str
) -> None:
    size = cp["tree_size"]
    statement = cp["statement"].encode("utf-8")
    if not verify_signature(key, cp["signature"], statement):
        result.fail(size, f"{source} checkpoint at tree size {size}: signature does not verify")
        return
    try:
        body = json.loads(statement)
    except ValueError:
        result.fail(size, f"{source} checkpoint at tree size {size}: statement is not JSON")
        return
    if (
        body.get("log") != LOG_ID
        or body.get("tree_size") != size
        or body.get("root_hash") != cp["root_hash"]
    ):
        result.fail(
            size,
            f"{source} checkpoint at tree size {size}: columns differ from the signed statement",
        )
        return
    computed = root_at.get(size)
    if computed is None:
        result.fail(
            size,
            f"{source} checkpoint covers {size} entries but the ledger has only "
            f"{result.entries}: entries were removed",
        )
    elif computed != cp["root_hash"]:
        result.fail(
            size,
            f"{source} checkpoint at tree size {size}: root hash differs from the "
            "ledger (history was altered)",
        )


def _first_difference(actual: list[Any], wanted: tuple[Any, ...] | None) -> str:
    if wanted is None:
        return "payload (not a complete ledger payload)"
    for name, have, want in zip(PAYLOAD_COLUMNS, actual, wanted, strict=True):
        if have != want:
            return name
    return "?"


def _head() -> int | None:
    return LedgerHead.objects.filter(pk=1).values_list("last_seq", flat=True).first()


def verify_ledger(
    against: Path | None = None,
    public_keys: list[Path] | None = None,
    workers: int | None = None,
) -> VerifyResult:
    """Verify everything; `public_keys` (files or directories) replace the server's trusted
    keys, `against` is the directory holding the external checkpoint copy."""
    result = VerifyResult()
    # Read in this order so that writers running meanwhile cannot cause false alarms: the
    # external copy, then the database checkpoints, then the head, then the entries.
    external: list[dict[str, Any]] = []
    if against is not None:
        try:
            for line in read_export(against):
                body = json.loads(line["statement"])
                external.append(
                    {
                        **line,
                        "tree_size": body["tree_size"],
                        "root_hash": body["root_hash"],
                        "key_id": body.get("key_id"),
                    }
                )
        except (ValueError, KeyError, TypeError) as exc:
            result.fail(None, f"external checkpoint copy in {against} is unreadable: {exc}")
    db_checkpoints: list[dict[str, Any]] = [
        dict(cp)
        for cp in Checkpoint.objects.order_by("tree_size").values(
            "tree_size", "root_hash", "statement", "signature", "key_id"
        )
    ]
    head_before = _head()
    wanted = {cp["tree_size"] for cp in db_checkpoints} | {cp["tree_size"] for cp in external}
    root_at: dict[int, str] = {}
    total = AuditEntry.objects.count()
    scans = _scan_all(total, frozenset(wanted), workers or min(4, os.cpu_count() or 1))
    top = CompactRange()  # over the roots of the runs, which are perfect subtrees
    previous_last: int | None = None
    for scan in scans:
        if (
            scan.first_seq is not None
            and previous_last is not None
            and scan.first_seq != previous_last + 1
        ):
            result.fail(scan.first_seq, f"sequence is not gap-free at {scan.first_seq}")
        if scan.error is not None:
            result.fail(*scan.error)
        prefix = top.stack
        for size, inner in scan.stacks.items():
            root_at[size] = fold_stack(prefix + inner).hex()
        result.entries += scan.entries
        previous_last = scan.last_seq if scan.last_seq is not None else previous_last
        if len(scans) > 1 and len(scan.final_stack) == 1:
            top.append(scan.final_stack[0])
    head_after = _head()
    missing = triggers.expected(connection.vendor) - triggers.installed(connection)
    if missing:
        result.fail(None, "the append-only triggers are missing: " + ", ".join(sorted(missing)))
    if head_before is not None and head_before > result.entries:
        result.fail(
            result.entries + 1,
            f"the ledger head says {head_before} entries were written but "
            f"{result.entries} remain: entries were removed",
        )
    elif head_after is not None and head_after < result.entries:
        result.fail(
            head_after + 1,
            f"{result.entries - head_after} entries after seq {head_after} were not "
            "written by the ledger (inserted outside the application)",
        )
    _check_signatures(result, db_checkpoints, external, root_at, public_keys, against)
    result.errors.sort(key=lambda e: (e["seq"] is None, e["seq"] or 0))
    return result


def _check_signatures(
    result: VerifyResult,
    db_checkpoints: list[dict[str, Any]],
    external: list[dict[str, Any]],
    root_at: dict[int, str],
    public_keys: list[Path] | None,
    against: Path | None,
) -> None:
    try:
        keys = trusted_keys(public_keys)
    except (OSError, ValueError) as exc:
        result.fail(None, f"cannot read the trusted public keys: {exc}")
        return
    for source, checkpoints in (("database", db_checkpoints), ("external", external)):
        for cp in checkpoints:
            result.checkpoints += source == "database"
            key = keys.get(str(cp["key_id"]))
            if key is None:
                result.fail(
                    cp["tree_size"],
                    f"{source} checkpoint at tree size {cp['tree_size']} was signed by key "
                    f"{cp['key_id']}, which is not a trusted key",
                )
                continue
            _check_checkpoint(result, cp, key, root_at, source)
    if against is None:
        return
    in_db = {(cp["tree_size"], cp["root_hash"]) for cp in db_checkpoints}
    in_copy = {(cp["tree_size"], cp["root_hash"]) for cp in external}
    for cp in external:
        if (cp["tree_size"], cp["root_hash"]) not in in_db:
            result.fail(
                cp["tree_size"],
                f"external checkpoint at tree size {cp['tree_size']} is missing from the database",
            )
    newest_copied = max((size for size, _ in in_copy), default=0)
    for cp in db_checkpoints:
        # A checkpoint newer than the copy may have been signed while we read; older ones must
        # all be in the copy.
        if cp["tree_size"] <= newest_copied and (cp["tree_size"], cp["root_hash"]) not in in_copy:
            result.fail(
                cp["tree_size"],
                f"database checkpoint at tree size {cp['tree_size']} is missing from the "
                "external copy",
            )
