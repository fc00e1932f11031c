"""Standalone proof verifier: `mederp-proofcheck proof.json --public-key audit-signing.pub`.

Needs neither Django nor the database: only this file, `merkle.py` and `cryptography`. It checks
the Ed25519 signature of the checkpoint(s), then the Merkle inclusion or consistency proof
(RFC 9162 §2.1.3.2 / §2.1.4.2). The key to trust should come from the operator (the
--public-key file), not from the proof itself; without it the embedded key is used and a
warning says so.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from mederp.audit.merkle import verify_consistency, verify_inclusion

LOG_ID = "mederp-audit-ledger"


class ProofInvalid(Exception):
    pass


def _key(pem: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ProofInvalid("the public key is not an Ed25519 key")
    return key


def _checkpoint(cp: dict[str, Any], key: Ed25519PublicKey) -> dict[str, Any]:
    statement = str(cp["statement"]).encode("utf-8")
    try:
        key.verify(bytes.fromhex(cp["signature"]), statement)
    except (InvalidSignature, ValueError) as exc:
        raise ProofInvalid("checkpoint signature does not verify") from exc
    body: dict[str, Any] = json.loads(statement)
    if body.get("log") != LOG_ID:
        raise ProofInvalid("checkpoint is not from a mederp audit ledger")
    return body


def check(proof: dict[str, Any], public_key_pem: bytes | None = None) -> str:
    """Return a one-line description when valid; raise ProofInvalid otherwise."""
    try:
        key = _key(public_key_pem or str(proof["public_key"]).encode("ascii"))
        hashes = [bytes.fromhex(h) for h in proof["proof"]]
        if proof["type"] == "inclusion":
            body = _checkpoint(proof["checkpoint"], key)
            leaf = hashlib.sha256(b"\x00" + str(proof["payload"]).encode("utf-8")).digest()
            if leaf.hex() != proof["leaf_hash"]:
                raise ProofInvalid("the payload does not hash to the stated leaf hash")
            ok = verify_inclusion(
                leaf,
                int(proof["index"]),
                int(body["tree_size"]),
                hashes,
                bytes.fromhex(body["root_hash"]),
            )
            if not ok:
                raise ProofInvalid("the inclusion proof does not lead to the signed root")
            return (
                f"entry {proof['seq']} is included in the signed ledger of "
                f"{body['tree_size']} entries (root {body['root_hash'][:16]}...)"
            )
        if proof["type"] == "consistency":
            old = _checkpoint(proof["old_checkpoint"], key)
            new = _checkpoint(proof["new_checkpoint"], key)
            ok = verify_consistency(
                int(old["tree_size"]),
                int(new["tree_size"]),
                bytes.fromhex(old["root_hash"]),
                bytes.fromhex(new["root_hash"]),
                hashes,
            )
            if not ok:
                raise ProofInvalid("the consistency proof does not hold: history was rewritten")
            return (
                f"the ledger of {new['tree_size']} entries extends the ledger of "
                f"{old['tree_size']} entries without changing it"
            )
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, ProofInvalid):
            raise
        raise ProofInvalid(f"malformed proof: {exc}") from exc
    raise ProofInvalid(f"unknown proof type {proof.get('type')!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mederp-proofcheck", description=__doc__.splitlines()[0])
    parser.add_argument("proof", help="proof JSON file made by `mederp audit prove` (- for stdin)")
    parser.add_argument("--public-key", type=Path, help="trusted audit-signing.pub (PEM)")
    args = parser.parse_args(argv)
    try:
        text = sys.stdin.read() if args.proof == "-" else Path(args.proof).read_text("utf-8")
        proof = json.loads(text)
        pem = args.public_key.read_bytes() if args.public_key else None
    except (OSError, ValueError) as exc:
        print(f"error: cannot read the proof: {exc}", file=sys.stderr)
        return 2
    if pem is None:
        print(
            "warning: no --public-key given; trusting the key embedded in the proof",
            file=sys.stderr,
        )
    try:
        message = check(proof, pem)
    except ProofInvalid as exc:
        print(f"INVALID: {exc}", file=sys.stderr)
        return 1
    print(f"VALID: {message}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
