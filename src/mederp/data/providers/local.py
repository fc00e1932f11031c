"""LocalFileKeyProvider: KEK versions as files `<keys dir>/data-kek/v<N>.key` (32 bytes, 0600).

Version 1 is created on first use (directory 0700, file 0600, atomic: several workers starting
at once create it once). A wrap is `nonce (12) || AES-256-GCM(KEK, data key, AAD = context)`.
A missing version file is never re-created: unwrapping under it fails with a message that says
to restore the key directory from its backup.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mederp.core.keys import keys_dir, write_new_file
from mederp.data.crypto import KEY_BYTES, NONCE_BYTES
from mederp.data.providers import KeyProvider, KeyProviderError, UnwrapFailed, Wrapped

_NAME = re.compile(r"^v(\d+)\.key$")
_WRAP_AAD_PREFIX = b"mederp-kek-wrap-v1\x00"


class LocalFileKeyProvider(KeyProvider):
    name = "local"

    def __init__(self, directory: Path | None = None) -> None:
        self._dir = directory
        self._aeads: dict[int, AESGCM] = {}
        self._lock = threading.Lock()

    @property
    def directory(self) -> Path:
        path = self._dir or keys_dir() / "data-kek"
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        return path

    def versions(self) -> list[int]:
        found = []
        for entry in os.listdir(self.directory):
            match = _NAME.match(entry)
            if match:
                found.append(int(match.group(1)))
        return sorted(found)

    def exists(self) -> bool:
        return bool(self.versions())

    def current_version(self) -> int:
        versions = self.versions()
        if versions:
            return versions[-1]
        write_new_file(self.directory / "v1.key", os.urandom(KEY_BYTES))
        return self.versions()[-1]

    def _aead(self, version: int) -> AESGCM:
        aead = self._aeads.get(version)
        if aead is not None:
            return aead
        path = self.directory / f"v{version}.key"
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise KeyProviderError(
                f"key-encryption key version {version} ({path}) is missing: restore the key "
                "directory from its backup (it is never re-created)"
            ) from None
        if len(data) != KEY_BYTES:
            raise KeyProviderError(f"key-encryption key file {path} is damaged")
        aead = AESGCM(data)
        with self._lock:
            self._aeads[version] = aead
        return aead

    def wrap(self, key: bytes, context: bytes) -> Wrapped:
        version = self.current_version()
        nonce = os.urandom(NONCE_BYTES)
        blob = nonce + self._aead(version).encrypt(nonce, key, _WRAP_AAD_PREFIX + context)
        return Wrapped(version, blob)

    def unwrap(self, wrapped: Wrapped, context: bytes) -> bytes:
        aead = self._aead(wrapped.version)
        nonce, body = wrapped.blob[:NONCE_BYTES], wrapped.blob[NONCE_BYTES:]
        try:
            return aead.decrypt(nonce, body, _WRAP_AAD_PREFIX + context)
        except InvalidTag:
            raise UnwrapFailed("wrapped key does not authenticate") from None

    def unwrap_many(self, items: list[tuple[Wrapped, bytes]]) -> list[bytes]:
        """unwrap() for a page of keys, without the per-call overhead."""
        aeads: dict[int, AESGCM] = {}
        out = []
        for wrapped, context in items:
            aead = aeads.get(wrapped.version)
            if aead is None:
                aead = aeads[wrapped.version] = self._aead(wrapped.version)
            blob = wrapped.blob
            try:
                out.append(
                    aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], _WRAP_AAD_PREFIX + context)
                )
            except InvalidTag:
                raise UnwrapFailed("wrapped key does not authenticate") from None
        return out

    def rewrap(self, wrapped: Wrapped, context: bytes) -> Wrapped:
        current = self.current_version()
        if wrapped.version == current:
            return wrapped
        return self.wrap(self.unwrap(wrapped, context), context)

    def rotate(self) -> int:
        latest = self.current_version()
        write_new_file(self.directory / f"v{latest + 1}.key", os.urandom(KEY_BYTES))
        return self.versions()[-1]
