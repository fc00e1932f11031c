"""The Ed25519 key that signs audit checkpoints, kept in the key directory, never in the DB.

Private key: <keys>/audit-signing.key (PKCS#8 PEM, 0600). Public key: audit-signing.pub, which
is also what an inspector or an outside verifier needs. Override either path with
MEDERP_AUDIT_SIGNING_KEY / MEDERP_AUDIT_PUBLIC_KEY.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

from mederp.core.keys import keys_dir, write_new_file


def private_key_path() -> Path:
    return Path(
        getattr(settings, "MEDERP_AUDIT_SIGNING_KEY", "") or keys_dir() / "audit-signing.key"
    )


def public_key_path() -> Path:
    return Path(
        getattr(settings, "MEDERP_AUDIT_PUBLIC_KEY", "") or keys_dir() / "audit-signing.pub"
    )


def load_private_key(create: bool = True) -> Ed25519PrivateKey:
    path = private_key_path()
    if not path.exists():
        if not create:
            raise FileNotFoundError(f"audit signing key {path} is missing")
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        write_new_file(path, pem)
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    pub = public_key_path()
    if not pub.exists():
        write_new_file(pub, public_pem(loaded.public_key()))
    return loaded


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_public_key(path: Path | None = None) -> Ed25519PublicKey:
    path = path or public_key_path()
    loaded = serialization.load_pem_public_key(path.read_bytes())
    if not isinstance(loaded, Ed25519PublicKey):
        raise ValueError(f"{path} is not an Ed25519 public key")
    return loaded


def key_id(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def verify_signature(key: Ed25519PublicKey, signature_hex: str, message: bytes) -> bool:
    try:
        key.verify(bytes.fromhex(signature_hex), message)
    except (InvalidSignature, ValueError):
        return False
    return True
