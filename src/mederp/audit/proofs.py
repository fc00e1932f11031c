"""Inclusion and consistency proofs for an inspector, checkable without the database
(see `proofcheck.py`)."""

from __future__ import annotations

from typing import Any

from mederp.audit.checkpoints import LOG_ID, leaf_hashes
from mederp.audit.merkle import consistency_proof_from_hashes, inclusion_proof_from_hashes
from mederp.audit.models import AuditEntry, Checkpoint
from mederp.audit.signing import public_pem, trusted_keys


class ProofError(Exception):
    """A proof cannot be made (unknown entry, no checkpoint covering it, ...)."""


def _checkpoint_json(cp: Checkpoint) -> dict[str, Any]:
    return {"statement": cp.statement, "signature": cp.signature}


def inclusion(seq: int) -> dict[str, Any]:
    entry = AuditEntry.objects.filter(seq=seq).first()
    if entry is None:
        raise ProofError(f"there is no audit entry {seq}")
    cp = Checkpoint.objects.order_by("-tree_size").first()
    if cp is None or cp.tree_size < seq:
        raise ProofError(
            f"entry {seq} is not covered by a checkpoint yet; run `mederp audit checkpoint` first"
        )
    hashes = leaf_hashes(upto=cp.tree_size)
    return {
        "type": "inclusion",
        "log": LOG_ID,
        "seq": seq,
        "index": seq - 1,
        "tree_size": cp.tree_size,
        "payload": entry.payload,
        "leaf_hash": entry.leaf_hash,
        "proof": [h.hex() for h in inclusion_proof_from_hashes(hashes, seq - 1)],
        "checkpoint": _checkpoint_json(cp),
        "public_keys": _keys_for(cp),
    }


def _keys_for(*checkpoints: Checkpoint) -> dict[str, str]:
    keys = trusted_keys()
    return {
        cp.key_id: public_pem(keys[cp.key_id]).decode("ascii")
        for cp in checkpoints
        if cp.key_id in keys
    }


def consistency(old_size: int, new_size: int) -> dict[str, Any]:
    old = Checkpoint.objects.filter(tree_size=old_size).first()
    new = Checkpoint.objects.filter(tree_size=new_size).first()
    missing = [str(n) for n, cp in ((old_size, old), (new_size, new)) if cp is None]
    if missing:
        sizes = ", ".join(str(s) for s in Checkpoint.objects.values_list("tree_size", flat=True))
        raise ProofError(f"no checkpoint at tree size {', '.join(missing)} (checkpoints: {sizes})")
    if old_size > new_size:
        raise ProofError("the old tree size must not be larger than the new one")
    assert old is not None
    assert new is not None
    hashes = leaf_hashes(upto=new_size)
    return {
        "type": "consistency",
        "log": LOG_ID,
        "old_size": old_size,
        "new_size": new_size,
        "proof": [h.hex() for h in consistency_proof_from_hashes(hashes, old_size)],
        "old_checkpoint": _checkpoint_json(old),
        "new_checkpoint": _checkpoint_json(new),
        "public_keys": _keys_for(old, new),
    }
