"""Key providers: where the key-encryption key (KEK) lives and how data keys are wrapped.

The KEK never enters the database. A provider wraps a data key (32 random bytes) under the
current KEK version, unwraps it under the version it was wrapped with, re-wraps it to the
current version, and starts a new version. `context` binds a wrapped key to its row in the key
table (its uid, purpose and scope): a wrapped key copied to another row does not unwrap.

Providers: `local` (LocalFileKeyProvider, files under <keys dir>/data-kek/, the default) and
`vault` (HashiCorp Vault transit, optional extra `mederp[vault]`). The contract test
(tests/data/test_providers.py) runs the same tests against each.
"""

from __future__ import annotations

import abc
from functools import cache
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class KeyProviderError(Exception):
    """The provider cannot do what was asked (missing KEK version, refused context, outage)."""


class UnwrapFailed(KeyProviderError):
    """The wrapped key does not authenticate under the given version and context."""


class Wrapped(NamedTuple):
    """A wrapped data key: the KEK version it is wrapped under, and the provider's blob."""

    version: int
    blob: bytes


class KeyProvider(abc.ABC):
    name: str = ""

    @abc.abstractmethod
    def current_version(self) -> int:
        """The KEK version new wraps use (creating version 1 on first use where allowed)."""

    @abc.abstractmethod
    def versions(self) -> list[int]:
        """Every KEK version the provider can still unwrap with."""

    @abc.abstractmethod
    def wrap(self, key: bytes, context: bytes) -> Wrapped: ...

    @abc.abstractmethod
    def unwrap(self, wrapped: Wrapped, context: bytes) -> bytes: ...

    @abc.abstractmethod
    def rewrap(self, wrapped: Wrapped, context: bytes) -> Wrapped:
        """The same key wrapped under the current version (plaintext stays in the provider
        where it can: Vault's rewrap never returns it)."""

    @abc.abstractmethod
    def rotate(self) -> int:
        """Start a new KEK version and return it; older versions still unwrap."""

    def unwrap_many(self, items: list[tuple[Wrapped, bytes]]) -> list[bytes]:
        return [self.unwrap(w, c) for w, c in items]

    def rewrap_many(self, items: list[tuple[Wrapped, bytes]]) -> list[Wrapped]:
        return [self.rewrap(w, c) for w, c in items]


def build_provider(name: str) -> KeyProvider:
    if name == "local":
        from mederp.data.providers.local import LocalFileKeyProvider

        return LocalFileKeyProvider()
    if name == "vault":
        from mederp.data.providers.vault import VaultTransitKeyProvider

        return VaultTransitKeyProvider.from_settings()
    raise ImproperlyConfigured(f"MEDERP_KEY_PROVIDER must be 'local' or 'vault', got {name!r}")


@cache
def _cached(name: str, keys_dir: str) -> KeyProvider:
    return build_provider(name)


def get_provider() -> KeyProvider:
    """The configured provider (one instance per provider name and key directory)."""
    name = getattr(settings, "MEDERP_KEY_PROVIDER", "local") or "local"
    return _cached(name, str(getattr(settings, "MEDERP_KEYS_DIR", "")))


def reset() -> None:
    _cached.cache_clear()
