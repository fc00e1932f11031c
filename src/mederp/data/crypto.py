"""AES-256-GCM sealing of one field value, bound to its record, field and data key.

A sealed value is `0x01 || key id (8 bytes, big-endian) || nonce (12) || ciphertext || tag (16)`.
The associated data (authenticated, not stored) is

    b"mederp-field-v1" NUL model label NUL record id NUL field name NUL key id NUL key generation

so a ciphertext copied to another record, another field or another model, or relabelled with
another key id, fails authentication. The plaintext is padded (ISO/IEC 7816-4) to a multiple
of 16 bytes before encryption, so the stored length tells only the length class of the value.
Pure functions, no Django imports: docs/adr/0010-envelope-encryption.md.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

FORMAT = 1
NONCE_BYTES = 12  # 96-bit random nonce, the GCM standard size
KEY_BYTES = 32  # AES-256
TAG_BYTES = 16
HEADER = struct.Struct(">BQ")  # format version, data key id
PAD_BLOCK = 16
OVERHEAD = HEADER.size + NONCE_BYTES + TAG_BYTES


class DecryptionFailed(Exception):
    """The value does not authenticate: it was altered, copied from elsewhere, or the key is
    not the one it was sealed with. The message never contains the value."""


def new_key() -> bytes:
    return os.urandom(KEY_BYTES)


def pad(data: bytes) -> bytes:
    n = PAD_BLOCK - (len(data) % PAD_BLOCK)
    return data + b"\x80" + b"\x00" * (n - 1)


def unpad(data: bytes) -> bytes:
    end = data.rstrip(b"\x00")
    if not end or end[-1] != 0x80:
        raise DecryptionFailed("bad padding")
    return end[:-1]


def field_aad(model_label: str, record_id: str, field: str, key_id: int, generation: int) -> bytes:
    parts = ["mederp-field-v1", model_label, record_id, field, str(key_id), str(generation)]
    for part in parts:
        if "\x00" in part:
            raise ValueError("associated data parts cannot contain NUL")
    return "\x00".join(parts).encode("utf-8")


class FieldAAD:
    """`field_aad` for many records of one model field (opening a page of rows), with the
    constant parts encoded once: `prefix + record(record_id) + infix + key_part(key_id,
    generation)` equals `field_aad(model_label, record_id, field, key_id, generation)`."""

    __slots__ = ("infix", "prefix")

    def __init__(self, model_label: str, field: str) -> None:
        if "\x00" in model_label or "\x00" in field:
            raise ValueError("associated data parts cannot contain NUL")
        self.prefix = f"mederp-field-v1\x00{model_label}\x00".encode()
        self.infix = f"\x00{field}\x00".encode()

    @staticmethod
    def record(record_id: str) -> bytes:
        if "\x00" in record_id:
            raise ValueError("associated data parts cannot contain NUL")
        return record_id.encode("utf-8")

    @staticmethod
    def key_part(key_id: int, generation: int) -> bytes:
        return b"%d\x00%d" % (key_id, generation)

    def aad(self, record_id: str, key_id: int, generation: int) -> bytes:
        return self.prefix + self.record(record_id) + self.infix + self.key_part(key_id, generation)


def header_key_id(sealed: bytes) -> int:
    """The data key id a sealed value names (unauthenticated until it is opened)."""
    if len(sealed) < OVERHEAD + PAD_BLOCK:
        raise DecryptionFailed("value too short to be a sealed value")
    version, key_id = HEADER.unpack_from(sealed)
    if version != FORMAT:
        raise DecryptionFailed(f"unknown sealed-value format {version}")
    return int(key_id)


def seal(aead: AESGCM, key_id: int, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return HEADER.pack(FORMAT, key_id) + nonce + aead.encrypt(nonce, pad(plaintext), aad)


def open_sealed(aead: AESGCM, sealed: bytes, aad: bytes) -> bytes:
    start = HEADER.size
    nonce = sealed[start : start + NONCE_BYTES]
    try:
        return unpad(aead.decrypt(nonce, sealed[start + NONCE_BYTES :], aad))
    except InvalidTag:
        raise DecryptionFailed("authentication failed") from None


def derive(key: bytes, info: str, length: int = 32) -> bytes:
    """A sub-key for one purpose (HKDF-SHA256, no salt: `key` is already uniformly random)."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info.encode()).derive(key)


def mac(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


class Sealed:
    """A value as stored: ciphertext bytes, read lazily by the field's descriptor.

    It never turns into the plaintext by accident: str() and repr() say "[encrypted]".
    `record_id` is the identity the value was loaded under, when known. A plain class with
    slots (not a frozen dataclass): one is made per encrypted column of every fetched row.
    """

    __slots__ = ("data", "record_id")

    def __init__(self, data: bytes, record_id: str | None = None) -> None:
        self.data = data
        self.record_id = record_id

    @property
    def key_id(self) -> int:
        return header_key_id(self.data)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sealed):
            return NotImplemented
        return self.data == other.data and self.record_id == other.record_id

    def __hash__(self) -> int:
        return hash((self.data, self.record_id))

    def __str__(self) -> str:
        return "[encrypted]"

    def __repr__(self) -> str:
        return "<Sealed [encrypted]>"
