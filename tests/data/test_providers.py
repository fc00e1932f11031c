"""Contract test of the KeyProvider interface, run against every provider: the local key
files, and the Vault transit provider talking (through hvac) to an in-memory transit server."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from mederp.data.providers import KeyProvider, KeyProviderError, UnwrapFailed
from mederp.data.providers.local import LocalFileKeyProvider

from .fake_vault import FakeTransit, vault_client

KEY = os.urandom(32)
CTX = b"mederp-data-key-v1\x00uid-1\x00enc\x00people\x00person:1\x001"


def _local(tmp_path: Path) -> KeyProvider:
    return LocalFileKeyProvider(tmp_path / "data-kek")


def _vault(tmp_path: Path) -> KeyProvider:
    pytest.importorskip("hvac", reason="the vault extra (hvac) is not installed")
    from mederp.data.providers.vault import VaultTransitKeyProvider

    provider = VaultTransitKeyProvider(vault_client(FakeTransit()))
    provider.create_key()
    return provider


@pytest.fixture(params=["local", "vault"])
def provider(request: Any, tmp_path: Path) -> KeyProvider:
    return {"local": _local, "vault": _vault}[request.param](tmp_path)


def test_wrap_unwrap_round_trip(provider: KeyProvider) -> None:
    wrapped = provider.wrap(KEY, CTX)
    assert wrapped.version == provider.current_version() == 1
    assert KEY not in wrapped.blob
    assert provider.unwrap(wrapped, CTX) == KEY
    assert provider.wrap(KEY, CTX).blob != wrapped.blob  # random nonce


def test_context_binds_the_wrapped_key(provider: KeyProvider) -> None:
    wrapped = provider.wrap(KEY, CTX)
    with pytest.raises(UnwrapFailed):
        provider.unwrap(wrapped, CTX.replace(b"uid-1", b"uid-2"))


def test_tampered_wrap_fails(provider: KeyProvider) -> None:
    wrapped = provider.wrap(KEY, CTX)
    blob = bytearray(wrapped.blob)
    blob[-3] = ord("A") if blob[-3] != ord("A") else ord("B")
    with pytest.raises(UnwrapFailed):
        provider.unwrap(type(wrapped)(wrapped.version, bytes(blob)), CTX)


def test_rotate_keeps_old_versions_and_rewrap_moves_to_the_new(provider: KeyProvider) -> None:
    old = provider.wrap(KEY, CTX)
    assert provider.rotate() == 2
    assert provider.current_version() == 2
    assert provider.versions() == [1, 2]
    assert provider.unwrap(old, CTX) == KEY  # old wraps still open
    new = provider.rewrap(old, CTX)
    assert new.version == 2
    assert new.blob != old.blob
    assert provider.unwrap(new, CTX) == KEY
    assert provider.wrap(KEY, CTX).version == 2
    with pytest.raises(UnwrapFailed):
        provider.rewrap(old, CTX + b"x")


def test_batch_unwrap(provider: KeyProvider) -> None:
    keys = [os.urandom(32) for _ in range(5)]
    ctxs = [CTX + str(i).encode() for i in range(5)]
    wrapped = [provider.wrap(k, c) for k, c in zip(keys, ctxs, strict=True)]
    assert provider.unwrap_many(list(zip(wrapped, ctxs, strict=True))) == keys
    assert provider.rewrap_many(list(zip(wrapped, ctxs, strict=True)))[0].version == 1


# --- local provider specifics --------------------------------------------------------------
def test_local_kek_created_on_first_use_with_private_modes(tmp_path: Path) -> None:
    provider = LocalFileKeyProvider(tmp_path / "data-kek")
    assert not provider.exists()
    provider.wrap(KEY, CTX)
    path = tmp_path / "data-kek" / "v1.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "data-kek").stat().st_mode) == 0o700
    assert len(path.read_bytes()) == 32


def test_local_missing_version_is_an_error_never_recreated(tmp_path: Path) -> None:
    provider = LocalFileKeyProvider(tmp_path / "data-kek")
    wrapped = provider.wrap(KEY, CTX)
    provider.rotate()
    (tmp_path / "data-kek" / "v1.key").unlink()
    fresh = LocalFileKeyProvider(tmp_path / "data-kek")
    with pytest.raises(KeyProviderError, match="restore the key directory"):
        fresh.unwrap(wrapped, CTX)
    assert not (tmp_path / "data-kek" / "v1.key").exists()


# --- vault provider specifics --------------------------------------------------------------
def test_vault_needs_a_derived_key_context_and_keeps_plaintext_inside(tmp_path: Path) -> None:
    pytest.importorskip("hvac")
    from mederp.data.providers.vault import VaultTransitKeyProvider

    server = FakeTransit()
    provider = VaultTransitKeyProvider(vault_client(server))
    with pytest.raises(KeyProviderError, match="not found"):
        provider.current_version()
    provider.create_key()
    wrapped = provider.wrap(KEY, CTX)
    assert wrapped.blob.startswith(b"vault:v1:")
    provider.rotate()
    provider.rewrap(wrapped, CTX)
    # Rotation re-wraps through the rewrap endpoint: the plaintext key never crosses the wire.
    assert any("/rewrap/" in call for call in server.calls)
    assert not any("/decrypt/" in call for call in server.calls)


def test_vault_refuses_a_wrong_token() -> None:
    pytest.importorskip("hvac")
    from mederp.data.providers.vault import VaultTransitKeyProvider

    provider = VaultTransitKeyProvider(vault_client(FakeTransit(), token="wrong"))
    with pytest.raises(KeyProviderError):
        provider.current_version()


def test_vault_from_settings_needs_address_and_token(settings: Any, tmp_path: Path) -> None:
    pytest.importorskip("hvac")
    from django.core.exceptions import ImproperlyConfigured

    from mederp.data.providers.vault import VaultTransitKeyProvider

    settings.MEDERP_VAULT_ADDR = ""
    with pytest.raises(ImproperlyConfigured, match="MEDERP_VAULT_ADDR"):
        VaultTransitKeyProvider.from_settings()
    token = tmp_path / "token"
    token.write_text("s.abc\n")
    settings.MEDERP_VAULT_ADDR = "https://vault.invalid:8200"
    settings.MEDERP_VAULT_TOKEN_FILE = str(token)
    provider = VaultTransitKeyProvider.from_settings()
    assert provider.client.token == "s.abc"
    assert (provider.mount, provider.key_name) == ("transit", "mederp-kek")
