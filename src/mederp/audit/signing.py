"""The Ed25519 keys that sign audit checkpoints, kept in the key directory, never in the DB.

<keys>/audit-signing.key   current private key (PKCS#8 PEM, 0600)
<keys>/audit-signing.pub   its public key: what an inspector or outside verifier needs
<keys>/audit-trusted/      every public key that ever signed (<key id>.pub), so checkpoints
                           signed before a rotation keep verifying

The private key is created on first use only while no checkpoint exists. Once the ledger has
checkpoints a missing key is an incident (restore it from the key backup, or rotate), never
something to paper over with a silent new key.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

from mederp.core.keys import keys_dir, write_new_file


class SigningKeyMissing(RuntimeError):
    pass


def private_key_path() -> Path:
    return Path(settings.MEDERP_AUDIT_SIGNING_KEY or keys_dir() / "audit-signing.key")


def public_key_path() -> Path:
    return private_key_path().with_suffix(".pub")


def trusted_dir() -> Path:
    path = private_key_path().parent / "audit-trusted"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def key_id(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def _private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _trust(key: Ed25519PublicKey) -> None:
    path = trusted_dir() / f"{key_id(key)}.pub"
    if not path.exists():
        write_new_file(path, public_pem(key))


def _install(key: Ed25519PrivateKey) -> None:
    """Make `key` the current signing key (atomic renames; the old public key stays trusted)."""
    _trust(key.public_key())
    for path, data in (
        (private_key_path(), _private_pem(key)),
        (public_key_path(), public_pem(key.public_key())),
    ):
        tmp = path.with_name(path.name + ".new")
        tmp.unlink(missing_ok=True)
        write_new_file(tmp, data)
        os.replace(tmp, path)


def load_private_key() -> Ed25519PrivateKey:
    from mederp.audit.models import Checkpoint

    path = private_key_path()
    if not path.exists():
        signed = Checkpoint.objects.count()
        if signed:
            raise SigningKeyMissing(
                f"the audit signing key {path} is missing while {signed} checkpoints exist: "
                "restore the key directory from its backup, or start a new key with "
                "`mederp audit rotate-key --reason ...`"
            )
        _install(Ed25519PrivateKey.generate())
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    _trust(loaded.public_key())
    return loaded


def new_signing_key() -> tuple[str | None, str]:
    """Replace the signing key; returns (old key id or None when it was lost, new key id)."""
    old: str | None = None
    if public_key_path().exists():
        previous = load_public_key(public_key_path())
        _trust(previous)
        old = key_id(previous)
    key = Ed25519PrivateKey.generate()
    _install(key)
    return old, key_id(key.public_key())


def load_public_key(path: Path | None = None) -> Ed25519PublicKey:
    path = path or public_key_path()
    loaded = serialization.load_pem_public_key(path.read_bytes())
    if not isinstance(loaded, Ed25519PublicKey):
        raise ValueError(f"{path} is not an Ed25519 public key")
    return loaded


def trusted_keys(paths: list[Path] | None = None) -> dict[str, Ed25519PublicKey]:
    """Key id → public key. Explicit `paths` (files or directories) replace the key directory:
    an inspector verifies with keys they were handed, not with whatever the server holds."""
    files: list[Path] = []
    for path in paths or [trusted_dir(), public_key_path()]:
        if path.is_dir():
            files += sorted(path.glob("*.pub"))
        elif path.exists():
            files.append(path)
    keys = {}
    for file in files:
        key = load_public_key(file)
        keys[key_id(key)] = key
    return keys


def verify_signature(key: Ed25519PublicKey, signature_hex: str, message: bytes) -> bool:
    try:
        key.verify(bytes.fromhex(signature_hex), message)
    except (InvalidSignature, ValueError):
        return False
    return True
