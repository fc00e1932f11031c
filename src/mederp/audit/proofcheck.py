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


def _keys(pems: list[bytes]) -> dict[str, Ed25519PublicKey]:
    keys: dict[str, Ed25519PublicKey] = {}
    for pem in pems:
        key = serialization.load_pem_public_key(pem)
        if not isinstance(key, Ed25519PublicKey):
            raise ProofInvalid("a public key is not an Ed25519 key")
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        keys[hashlib.sha256(raw).hexdigest()[:16]] = key
    return keys


def _checkpoint(cp: dict[str, Any], keys: dict[str, Ed25519PublicKey]) -> dict[str, Any]:
    statement = str(cp["statement"]).encode("utf-8")
    body: dict[str, Any] = json.loads(statement)
    key = keys.get(str(body.get("key_id")))
    if key is None:
        raise ProofInvalid(f"the checkpoint was signed by key {body.get('key_id')}, not trusted")
    try:
        key.verify(bytes.fromhex(cp["signature"]), statement)
    except (InvalidSignature, ValueError) as exc:
        raise ProofInvalid("checkpoint signature does not verify") from exc
    if body.get("log") != LOG_ID:
        raise ProofInvalid("checkpoint is not from a mederp audit ledger")
    return body


def check(proof: dict[str, Any], public_key_pems: list[bytes] | None = None) -> str:
    """Return a one-line description when valid; raise ProofInvalid otherwise."""
    try:
        embedded = [str(p).encode("ascii") for p in dict(proof.get("public_keys") or {}).values()]
        keys = _keys(public_key_pems if public_key_pems is not None else embedded)
        hashes = [bytes.fromhex(h) for h in proof["proof"]]
        if proof["type"] == "inclusion":
            body = _checkpoint(proof["checkpoint"], keys)
            leaf = hashlib.sha256(b"\x00" + str(proof["payload"]).encode("utf-8")).digest()
            if leaf.hex() != proof["leaf_hash"]:
                raise ProofInvalid("the payload does not hash to the stated leaf hash")
            # The entry number shown to the reader must be the one inside the hashed payload,
            # and the tree position must follow from it.
            seq = json.loads(proof["payload"])["seq"]
            if proof.get("seq") != seq or int(proof["index"]) != seq - 1:
                raise ProofInvalid("the stated entry number does not match the signed payload")
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
                f"entry {seq} is included in the signed ledger of "
                f"{body['tree_size']} entries (root {body['root_hash'][:16]}...)"
            )
        if proof["type"] == "consistency":
            old = _checkpoint(proof["old_checkpoint"], keys)
            new = _checkpoint(proof["new_checkpoint"], keys)
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
    except ProofInvalid:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ProofInvalid(f"malformed proof: {exc}") from exc
    raise ProofInvalid(f"unknown proof type {proof.get('type')!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mederp-proofcheck", description=__doc__.splitlines()[0])
    parser.add_argument("proof", help="proof JSON file made by `mederp audit prove` (- for stdin)")
    parser.add_argument(
        "--public-key",
        type=Path,
        action="append",
        help="a trusted public key (PEM file, or a directory of .pub files); "
        "repeat for keys from before a rotation",
    )
    args = parser.parse_args(argv)
    try:
        text = sys.stdin.read() if args.proof == "-" else Path(args.proof).read_text("utf-8")
        proof = json.loads(text)
        pem = None
        if args.public_key:
            files = [
                f for p in args.public_key for f in (sorted(p.glob("*.pub")) if p.is_dir() else [p])
            ]
            pem = [f.read_bytes() for f in files]
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
