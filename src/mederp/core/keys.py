"""Key material kept outside the database, in MEDERP_KEYS_DIR (default var/keys/, mode 0700).

Files are created on first use with mode 0600. They are never written to the database, the
logs or the repository; back them up separately from database backups (docs/operations/keys.md).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.conf import settings


def keys_dir() -> Path:
    path = Path(getattr(settings, "MEDERP_KEYS_DIR", "") or settings.VAR_DIR / "keys")
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def write_new_file(path: Path, data: bytes) -> bool:
    """Create `path` atomically with mode 0600; False if another process created it first."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    try:
        os.link(tmp, path)
        return True
    except FileExistsError:
        return False
    finally:
        tmp.unlink()


def secret_bytes(name: str, size: int = 32) -> bytes:
    path = keys_dir() / name
    if not path.exists():
        write_new_file(path, secrets.token_bytes(size))
    data = path.read_bytes()
    if len(data) != size:
        raise RuntimeError(f"key file {path} is damaged (expected {size} bytes)")
    return data


def audit_fingerprint_key() -> bytes:
    return secret_bytes("audit-fingerprint.key")
