"""`audit verify`: recompute the ledger and prove it has not been altered.

One streaming pass over the entries checks, for each: the sequence is gap-free, the leaf hash
is SHA-256(0x00 || payload), and every structured column equals the payload. A running Merkle
tree gives the root at every checkpoint, which must match the signed statement; both roots
come from the same verified entry stream, so consecutive checkpoints are consistent by
construction. The head row and the latest checkpoint catch tail truncation; the external
checkpoint copy (`against`) catches a rewrite of the whole database, checkpoints included.
"""

from __future__ import annotations

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
from mederp.audit.canonical import PAYLOAD_COLUMNS
from mederp.audit.checkpoints import LOG_ID, read_export
from mederp.audit.merkle import CompactRange, fold_stack
from mederp.audit.models import AuditEntry, Checkpoint, LedgerHead
from mederp.audit.signing import trusted_keys, verify_signature

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
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


# The scan reads the payload columns except `changes` (compared as one tuple with the parsed
# payload), then `changes`, the payload and the leaf hash.
_PLAIN_COLUMNS = tuple(c for c in PAYLOAD_COLUMNS if c != "changes")
_N_PLAIN = len(_PLAIN_COLUMNS)
_CHANGES_AT, _PAYLOAD_AT, _LEAF_AT = _N_PLAIN, _N_PLAIN + 1, _N_PLAIN + 2


def _entry_rows(after: int | None = None, upto: int | None = None) -> Any:
    """Chunks of entry rows in sequence order, those with `after < seq <= upto` (a bound left
    out is open)."""
    qn = connection.ops.quote_name
    table = qn(AuditEntry._meta.db_table)
    names = [qn(c) for c in (*_PLAIN_COLUMNS, "changes", "payload", "leaf_hash")]
    # The timestamp is formatted by the database exactly as the payload writes it: a Python
    # datetime conversion per row would cost more than all the hashing.
    ts = _PLAIN_COLUMNS.index("created_at")
    if connection.vendor == "sqlite":
        names[ts] = (
            "CASE WHEN instr(created_at, '.') THEN replace(created_at, ' ', 'T') || 'Z' "
            "ELSE replace(created_at, ' ', 'T') || '.000000Z' END"
        )
        # The payload's UTF-8 bytes as stored, which are what is hashed: no decoding to str
        # and encoding back for every row.
        names[_PAYLOAD_AT] = "CAST(payload AS BLOB)"
    elif connection.vendor == "postgresql":
        names[ts] = "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
        # As text, parsed by orjson (psycopg would parse jsonb with the slower json module).
        names[_CHANGES_AT] = "changes::text"
    where: list[str] = []
    params: list[int] = []
    if after is not None:
        where.append("seq > %s")
        params.append(after)
    if upto is not None:
        where.append("seq <= %s")
        params.append(upto)
    sql = f"SELECT {', '.join(names)} FROM {table}"  # noqa: S608
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY seq"
    with connection.cursor() as cur:
        cur.execute(sql, params)
        while rows := cur.fetchmany(_CHUNK):
            yield rows


@dataclass
class _Scan:
    """What one pass over a run of consecutive entries found."""

    entries: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    error: tuple[int, str] | None = None
    out_of_sequence: bool = False  # a gap, duplicate or reordering inside the run
    stacks: dict[int, list[bytes]] = field(default_factory=dict)  # size -> inner subtrees
    final_stack: list[bytes] = field(default_factory=list)


def _scan(
    offset: int,
    after: int | None,
    upto: int | None,
    expected: int | None,
    wanted: frozenset[int],
) -> _Scan:
    """Check every entry of the run (`after < seq <= upto`) and build its Merkle subtrees.

    `offset`, the position of the run's first entry in the ledger, is a multiple of a power of
    two at least as large as the run, so the run's perfect subtrees are also perfect subtrees
    of the whole tree and can be combined by the caller.
    """
    out = _Scan()
    sha256 = hashlib.sha256
    loads = orjson.loads
    decode_error = orjson.JSONDecodeError
    plain_of = operator.itemgetter(*_PLAIN_COLUMNS)
    leaf_prefix, node_prefix = _LEAF_PREFIX, _NODE_PREFIX
    changes_at, payload_at, leaf_at, n_plain = _CHANGES_AT, _PAYLOAD_AT, _LEAF_AT, _N_PLAIN
    # The running Merkle tree (merkle.CompactRange, inlined: this loop runs for every entry).
    stack: list[bytes] = []
    push, pop = stack.append, stack.pop
    size = 0
    error = None
    seq = None
    for rows in _entry_rows(after, upto):
        if expected is None:
            expected = rows[0][0]
        if out.first_seq is None:
            out.first_seq = rows[0][0]
        for row in rows:
            seq = row[0]
            payload = row[payload_at]
            if not isinstance(payload, bytes):
                payload = payload.encode("utf-8")
            digest = sha256(leaf_prefix + payload).digest()
            if error is None:
                if seq != expected:
                    why = (
                        "duplicate or reordered"
                        if seq < expected
                        else f"missing {expected}..{seq - 1}"
                    )
                    error = (seq, f"sequence is not gap-free at {seq} ({why})")
                    out.out_of_sequence = True
                elif digest.hex() != row[leaf_at]:
                    error = (seq, f"entry {seq}: leaf hash does not match its payload")
                else:
                    try:
                        body = loads(payload)
                        changes = row[changes_at]
                        same = (
                            row[:n_plain] == plain_of(body)
                            and (loads(changes) if type(changes) is str else changes)
                            == body["changes"]
                        )
                    except (KeyError, TypeError, decode_error):
                        same = False
                    if not same:
                        bad = _first_difference(row, payload)
                        error = (seq, f"entry {seq}: column {bad} differs from the hashed payload")
            expected = seq + 1
            size += 1
            c = size
            while not c & 1:
                digest = sha256(node_prefix + pop() + digest).digest()
                c >>= 1
            push(digest)
            if offset + size in wanted:
                out.stacks[offset + size] = list(stack)
    out.error = error
    out.entries = size
    out.last_seq = seq
    out.final_stack = stack
    return out


def _same_changes(column: Any, wanted: Any, loads: Any) -> bool:
    return (loads(column) if isinstance(column, str | bytes) else column) == wanted


def _scan_in_child(args: tuple[int, int | None, int | None, int | None, frozenset[int]]) -> _Scan:
    return _scan(*args)


def _scan_all(total: int, wanted: frozenset[int], workers: int) -> list[_Scan]:
    if workers <= 1 or total < PARALLEL_FROM:
        return [_scan(0, None, None, 1, wanted)]
    chunk = CHUNK_ENTRIES
    starts = list(range(0, total, chunk))
    # Runs by sequence number: run k holds seq k*chunk+1 .. (k+1)*chunk, which is its position
    # in an intact ledger; the first and last runs are open-ended, so that every row is read
    # by exactly one run whatever its number.
    jobs = [
        (
            off,
            None if off == 0 else off,
            None if off == starts[-1] else off + chunk,
            1 if off == 0 else None,
            wanted,
        )
        for off in starts
    ]
    # Each child opens its own connection; the parent's must not be shared across fork.
    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(workers) as pool:
        scans = pool.map(_scan_in_child, jobs, chunksize=1)
    aligned = all(
        not scan.out_of_sequence
        and scan.first_seq == off + 1
        and (off == starts[-1] or (scan.entries == chunk and scan.last_seq == off + chunk))
        for scan, (off, *_) in zip(scans, jobs, strict=True)
    )
    if aligned:
        return scans
    # Numbers are missing, doubled or out of place, so the runs are not where an intact ledger
    # would have them: scan once from the start, which places every entry by its position.
    return [_scan(0, None, None, 1, wanted)]


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


def _first_difference(row: Any, payload: bytes) -> str:
    """The first payload column whose stored copy differs (the slow path, for the report)."""
    try:
        body = orjson.loads(payload)
    except orjson.JSONDecodeError:
        body = None
    if not isinstance(body, dict) or not set(PAYLOAD_COLUMNS) <= set(body):
        return "payload (not a complete ledger payload)"
    have = dict(zip(_PLAIN_COLUMNS, row[:_N_PLAIN], strict=True))
    for name in PAYLOAD_COLUMNS:
        if name == "changes":
            try:
                if not _same_changes(row[_CHANGES_AT], body["changes"], orjson.loads):
                    return name
            except (TypeError, orjson.JSONDecodeError):
                return name
        elif have[name] != body[name]:
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
