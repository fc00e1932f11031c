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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connection

from mederp.audit.canonical import PAYLOAD_COLUMNS, format_ts
from mederp.audit.checkpoints import LOG_ID, read_export
from mederp.audit.merkle import CompactRange
from mederp.audit.models import AuditEntry, Checkpoint, LedgerHead
from mederp.audit.signing import key_id, load_public_key, verify_signature

_LEAF_PREFIX = b"\x00"
_CHUNK = 10_000


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
    text = str(value).replace(" ", "T")
    text = text.removesuffix("+00:00").removesuffix("Z")
    if "." not in text:
        text += ".000000"
    return text + "Z"


def _entry_rows() -> Any:
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    cols = ", ".join(
        connection.ops.quote_name(c) for c in (*PAYLOAD_COLUMNS, "payload", "leaf_hash")
    )
    with connection.cursor() as cur:
        cur.execute(f"SELECT {cols} FROM {table} ORDER BY seq")  # noqa: S608
        while rows := cur.fetchmany(_CHUNK):
            yield from rows


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


def verify_ledger(against: Path | None = None, public_key: Path | None = None) -> VerifyResult:
    result = VerifyResult()
    db_checkpoints: list[dict[str, Any]] = [
        dict(cp)
        for cp in Checkpoint.objects.order_by("tree_size").values(
            "tree_size", "root_hash", "statement", "signature", "key_id"
        )
    ]
    external: list[dict[str, Any]] = []
    if against is not None:
        try:
            for line in read_export(against):
                body = json.loads(line["statement"])
                external.append(
                    {**line, "tree_size": body["tree_size"], "root_hash": body["root_hash"]}
                )
        except (ValueError, KeyError, TypeError) as exc:
            result.fail(None, f"external checkpoint copy in {against} is unreadable: {exc}")
    wanted = {cp["tree_size"] for cp in db_checkpoints} | {cp["tree_size"] for cp in external}
    root_at: dict[int, str] = {}
    acc = CompactRange()
    sha256 = hashlib.sha256
    loads = json.loads
    expected = 1
    first_error_seq: int | None = None
    n_cols = len(PAYLOAD_COLUMNS)
    ts_index = PAYLOAD_COLUMNS.index("created_at")
    changes_index = PAYLOAD_COLUMNS.index("changes")
    for row in _entry_rows():
        seq = row[0]
        payload_text, stored_hash = row[n_cols], row[n_cols + 1]
        payload = payload_text.encode("utf-8")
        digest = sha256(_LEAF_PREFIX + payload).digest()
        if seq != expected and first_error_seq is None:
            first_error_seq = seq
            reason = (
                "duplicate or reordered" if seq < expected else f"missing {expected}..{seq - 1}"
            )
            result.fail(seq, f"sequence is not gap-free at {seq} ({reason})")
        expected = seq + 1
        if digest.hex() != stored_hash and first_error_seq is None:
            first_error_seq = seq
            result.fail(seq, f"entry {seq}: leaf hash does not match its payload")
        body = loads(payload)
        if first_error_seq is None:
            for i, name in enumerate(PAYLOAD_COLUMNS):
                value = row[i]
                if i == ts_index:
                    value = _ts(value)
                elif i == changes_index and isinstance(value, str):
                    value = loads(value)
                if body.get(name) != value:
                    first_error_seq = seq
                    result.fail(seq, f"entry {seq}: column {name} differs from the hashed payload")
                    break
        acc.append(digest)
        result.entries += 1
        if acc.size in wanted:
            root_at[acc.size] = acc.root().hex()
    head = LedgerHead.objects.filter(pk=1).values_list("last_seq", flat=True).first()
    if head is not None and head != result.entries and head > result.entries:
        result.fail(
            result.entries + 1,
            f"the ledger head says {head} entries were written but "
            f"{result.entries} remain: entries were removed",
        )
    elif head is not None and head < result.entries:
        result.fail(
            head + 1,
            f"{result.entries - head} entries after seq {head} were not "
            "written by the ledger (inserted outside the application)",
        )

    try:
        key = load_public_key(public_key)
    except (OSError, ValueError) as exc:
        if db_checkpoints or external:
            result.fail(None, f"cannot check checkpoint signatures: {exc}")
        return result
    kid = key_id(key)
    for cp in db_checkpoints:
        result.checkpoints += 1
        if cp["key_id"] != kid:
            result.fail(
                cp["tree_size"],
                f"checkpoint at tree size {cp['tree_size']} was signed "
                f"by key {cp['key_id']}, not the trusted key {kid}",
            )
            continue
        _check_checkpoint(result, cp, key, root_at, "database")
    if against is not None:
        in_db = {(cp["tree_size"], cp["root_hash"]) for cp in db_checkpoints}
        for cp in external:
            _check_checkpoint(result, cp, key, root_at, "external")
            if (cp["tree_size"], cp["root_hash"]) not in in_db:
                result.fail(
                    cp["tree_size"],
                    f"external checkpoint at tree size {cp['tree_size']} "
                    "is missing from the database",
                )
    result.errors.sort(key=lambda e: (e["seq"] is None, e["seq"] or 0))
    return result
