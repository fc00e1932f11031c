"""The sealing primitives: AES-256-GCM, random nonces, associated data, padding."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given
from hypothesis import strategies as st

from mederp.data import crypto

KEY = AESGCM(b"k" * 32)


def seal(data: bytes, *, record: str = "r1", field: str = "name", key_id: int = 7) -> bytes:
    return crypto.seal(KEY, key_id, data, crypto.field_aad("data.Person", record, field, key_id, 1))


@given(st.binary(max_size=300))
def test_round_trip_and_padding(data: bytes) -> None:
    sealed = seal(data)
    assert crypto.header_key_id(sealed) == 7
    assert (
        crypto.open_sealed(KEY, sealed, crypto.field_aad("data.Person", "r1", "name", 7, 1)) == data
    )
    # Lengths are padded to 16-byte classes: the exact length of a value is not stored.
    assert (len(sealed) - crypto.OVERHEAD) % 16 == 0
    assert len(sealed) - crypto.OVERHEAD > len(data)


def test_same_value_twice_gives_different_ciphertexts() -> None:
    a, b = seal(b"13812345678"), seal(b"13812345678")
    assert a != b
    nonces = {seal(b"x")[9:21] for _ in range(200)}
    assert len(nonces) == 200  # 96-bit random nonces


@pytest.mark.parametrize(
    "aad",
    [
        ("data.Person", "r2", "name", 7, 1),  # another record
        ("data.Person", "r1", "phone", 7, 1),  # another field
        ("data.Other", "r1", "name", 7, 1),  # another model
        ("data.Person", "r1", "name", 8, 1),  # another key id
        ("data.Person", "r1", "name", 7, 2),  # another key generation
    ],
)
def test_associated_data_binds_the_value(aad: tuple[str, str, str, int, int]) -> None:
    sealed = seal(b"secret")
    with pytest.raises(crypto.DecryptionFailed):
        crypto.open_sealed(KEY, sealed, crypto.field_aad(*aad))


def _opens(sealed: bytes, aad: bytes) -> bool:
    try:
        if crypto.header_key_id(sealed) != 7:
            return False
        crypto.open_sealed(KEY, sealed, aad)
    except crypto.DecryptionFailed:
        return False
    return True


def test_tampered_bytes_and_header_fail() -> None:
    sealed = bytearray(seal(b"secret"))
    aad = crypto.field_aad("data.Person", "r1", "name", 7, 1)
    for i in (0, 5, 12, len(sealed) - 1):
        changed = bytearray(sealed)
        changed[i] ^= 1
        assert not _opens(bytes(changed), aad)
    with pytest.raises(crypto.DecryptionFailed):
        crypto.header_key_id(b"\x01short")


def test_sealed_never_prints_its_bytes() -> None:
    sealed = crypto.Sealed(seal(b"secret"))
    assert str(sealed) == "[encrypted]"
    assert "secret" not in repr(sealed)


def test_nul_in_associated_data_is_refused() -> None:
    with pytest.raises(ValueError, match="NUL"):
        crypto.field_aad("a\x00b", "r", "f", 1, 1)
