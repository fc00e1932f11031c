"""Signed checkpoints: (tree size, root hash, time) over the ledger, signed with Ed25519.

Each checkpoint is stored in the database and appended to MEDERP_AUDIT_CHECKPOINT_EXPORT_DIR
(one JSON line per checkpoint in checkpoints.jsonl), meant for WORM storage or another system:
a complete rewrite of the database is then caught by comparing with that external copy.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from mederp.audit import ledger
from mederp.audit.canonical import canonical_bytes, format_ts
from mederp.audit.merkle import CompactRange
from mederp.audit.models import AuditEntry, Checkpoint
from mederp.audit.signing import key_id, load_private_key, public_pem

LOG_ID = "mederp-audit-ledger"
EXPORT_FILE = "checkpoints.jsonl"


def statement_bytes(tree_size: int, root_hash: str, created_at: str, kid: str) -> bytes:
    return canonical_bytes(
        {
            "log": LOG_ID,
            "v": 1,
            "tree_size": tree_size,
            "root_hash": root_hash,
            "timestamp": created_at,
            "key_id": kid,
        }
    )


def export_dir() -> Path:
    return Path(settings.MEDERP_AUDIT_CHECKPOINT_EXPORT_DIR)


def leaf_hashes(upto: int | None = None) -> list[bytes]:
    qs = AuditEntry.objects.order_by("seq")
    if upto is not None:
        qs = qs.filter(seq__lte=upto)
    return [bytes.fromhex(h) for h in qs.values_list("leaf_hash", flat=True).iterator(5000)]


def _export(checkpoint: Checkpoint, public_key_pem: bytes) -> None:
    directory = export_dir()
    (directory / "keys").mkdir(parents=True, exist_ok=True)
    pub = directory / "keys" / f"{checkpoint.key_id}.pub"
    if not pub.exists():
        pub.write_bytes(public_key_pem)
    line = json.dumps(
        {
            "statement": checkpoint.statement,
            "signature": checkpoint.signature,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    # Append-only and fsynced: the external copy must survive a crash right after commit.
    fd = os.open(directory / EXPORT_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, (line + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def create_checkpoint() -> Checkpoint | None:
    """Sign the current ledger. Returns None when nothing was added since the last checkpoint.

    Entries take their numbers under a lock held until commit, so numbers commit in order and
    one SELECT sees a gap-free prefix of the ledger.
    """
    hashes = leaf_hashes()
    size = len(hashes)
    last = Checkpoint.objects.order_by("-tree_size").first()
    if size == 0 or (last is not None and last.tree_size >= size):
        return None
    acc = CompactRange()
    for h in hashes:
        acc.append(h)
    root = acc.root().hex()
    private = load_private_key()
    kid = key_id(private.public_key())
    # The ledger's clock (the database server's on PostgreSQL), so that a checkpoint is never
    # stamped earlier than the entries it covers when an application server's clock lags.
    created = ledger.current_time()
    statement = statement_bytes(size, root, format_ts(created), kid)
    signature = private.sign(statement).hex()
    try:
        with transaction.atomic():
            checkpoint = Checkpoint.objects.create(
                tree_size=size,
                root_hash=root,
                created_at=created,
                key_id=kid,
                signature=signature,
                statement=statement.decode("utf-8"),
            )
    except IntegrityError:
        return None  # another process signed the same size at the same moment
    _export(checkpoint, public_pem(private.public_key()))
    return checkpoint


def rotate_signing_key(actor: Any, reason: str) -> Checkpoint | None:
    """Start signing with a new key (after a suspected leak, a lost key, or on schedule).

    Checkpoints already signed keep verifying: the old public key stays in the trusted set.
    The rotation is recorded in the ledger and sealed at once by a checkpoint under the new key.
    """
    from mederp import audit
    from mederp.audit.signing import new_signing_key
    from mederp.identity.authz import authorize

    authorize(actor, "audit.manage_checkpoints")
    if not reason or not reason.strip():
        raise ValidationError({"reason": "A reason is required to rotate the signing key."})
    old, new = new_signing_key()
    with transaction.atomic():
        audit.record(
            "key_rotated",
            None,
            object_type="audit.signing_key",
            object_id=new,
            object_repr=f"audit signing key {new}",
            changes={"key_id": [old, new]},
            reason=reason,
            actor=actor,
            site=None,
        )
    return create_checkpoint()


def checkpoint_due(now: dt.datetime | None = None) -> bool:
    """Every N entries or T seconds (with at least one new entry), whichever comes first."""
    now = now or timezone.now()
    last = Checkpoint.objects.order_by("-tree_size").first()
    newest = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    covered = last.tree_size if last else 0
    if newest <= covered:
        return False
    if newest - covered >= settings.MEDERP_AUDIT_CHECKPOINT_EVERY:
        return True
    since = last.created_at if last else None
    return (
        since is None or (now - since).total_seconds() >= settings.MEDERP_AUDIT_CHECKPOINT_SECONDS
    )


def read_export(directory: Path) -> list[dict[str, Any]]:
    path = directory / EXPORT_FILE
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
