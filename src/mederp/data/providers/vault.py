"""VaultTransitKeyProvider: the KEK is a HashiCorp Vault transit key; it never leaves Vault.

Needs the optional extra `pip install 'mederp[vault]'` (hvac). The transit key must be created
by the operator as a *derived* AES-256-GCM key, so that the per-row context binds every wrap:

    vault secrets enable transit
    vault write -f transit/keys/mederp-kek type=aes256-gcm96 derived=true

Wrap = transit encrypt (context = the row's context), unwrap = decrypt, rewrap = transit
rewrap (Vault re-encrypts under its latest version without returning the plaintext), rotate =
transit rotate. The wrapped blob is Vault's `vault:v<N>:...` ciphertext string.
Settings: MEDERP_VAULT_ADDR, MEDERP_VAULT_TOKEN_FILE (or MEDERP_VAULT_TOKEN),
MEDERP_VAULT_TRANSIT_MOUNT (default "transit"), MEDERP_VAULT_KEY_NAME (default "mederp-kek"),
MEDERP_VAULT_CA_FILE, MEDERP_VAULT_NAMESPACE. See docs/operations/encryption.md.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from mederp.data.providers import KeyProvider, KeyProviderError, UnwrapFailed, Wrapped


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _version_of(ciphertext: str) -> int:
    parts = ciphertext.split(":", 2)
    if len(parts) != 3 or parts[0] != "vault" or not parts[1].startswith("v"):
        raise UnwrapFailed("not a Vault transit ciphertext")
    return int(parts[1][1:])


class VaultTransitKeyProvider(KeyProvider):
    name = "vault"

    def __init__(
        self, client: Any, *, mount: str = "transit", key_name: str = "mederp-kek"
    ) -> None:
        self.client = client
        self.mount = mount
        self.key_name = key_name

    @classmethod
    def from_settings(cls) -> VaultTransitKeyProvider:
        try:
            import hvac
        except ImportError as exc:  # pragma: no cover - depends on the installed extras
            raise ImproperlyConfigured(
                "MEDERP_KEY_PROVIDER=vault needs the optional extra: pip install 'mederp[vault]'"
            ) from exc
        addr = getattr(settings, "MEDERP_VAULT_ADDR", "")
        token = getattr(settings, "MEDERP_VAULT_TOKEN", "")
        token_file = getattr(settings, "MEDERP_VAULT_TOKEN_FILE", "")
        if token_file:
            token = Path(token_file).read_text().strip()
        if not addr or not token:
            raise ImproperlyConfigured(
                "MEDERP_KEY_PROVIDER=vault needs MEDERP_VAULT_ADDR and MEDERP_VAULT_TOKEN_FILE"
            )
        verify: Any = getattr(settings, "MEDERP_VAULT_CA_FILE", "") or True
        client = hvac.Client(
            url=addr,
            token=token,
            verify=verify,
            namespace=getattr(settings, "MEDERP_VAULT_NAMESPACE", "") or None,
            timeout=10,
        )
        return cls(
            client,
            mount=getattr(settings, "MEDERP_VAULT_TRANSIT_MOUNT", "transit") or "transit",
            key_name=getattr(settings, "MEDERP_VAULT_KEY_NAME", "mederp-kek") or "mederp-kek",
        )

    @property
    def _transit(self) -> Any:
        return self.client.secrets.transit

    def _call(self, method: str, **kwargs: Any) -> Any:
        import hvac.exceptions

        try:
            return getattr(self._transit, method)(
                name=self.key_name, mount_point=self.mount, **kwargs
            )
        except hvac.exceptions.InvalidRequest as exc:
            if method in {"decrypt_data", "rewrap_data"}:
                raise UnwrapFailed(f"Vault refused to {method.split('_')[0]}: {exc}") from None
            raise KeyProviderError(f"Vault transit {method} failed: {exc}") from None
        except hvac.exceptions.VaultError as exc:
            raise KeyProviderError(f"Vault transit {method} failed: {exc}") from None

    def _key_info(self) -> dict[str, Any]:
        response = self._call("read_key")
        return dict(response["data"])

    def create_key(self) -> None:
        """Create the derived transit key (normally an operator's step, see the module doc)."""
        self._call("create_key", key_type="aes256-gcm96", derived=True)

    def current_version(self) -> int:
        return int(self._key_info()["latest_version"])

    def versions(self) -> list[int]:
        info = self._key_info()
        low = int(info.get("min_decryption_version") or 1)
        return list(range(low, int(info["latest_version"]) + 1))

    def wrap(self, key: bytes, context: bytes) -> Wrapped:
        response = self._call("encrypt_data", plaintext=_b64(key), context=_b64(context))
        ciphertext = response["data"]["ciphertext"]
        return Wrapped(_version_of(ciphertext), ciphertext.encode("ascii"))

    def unwrap(self, wrapped: Wrapped, context: bytes) -> bytes:
        response = self._call(
            "decrypt_data", ciphertext=wrapped.blob.decode("ascii"), context=_b64(context)
        )
        return base64.b64decode(response["data"]["plaintext"])

    def unwrap_many(self, items: list[tuple[Wrapped, bytes]]) -> list[bytes]:
        if len(items) <= 1:
            return [self.unwrap(w, c) for w, c in items]
        batch = [{"ciphertext": w.blob.decode("ascii"), "context": _b64(c)} for w, c in items]
        response = self._call("decrypt_data", ciphertext="", batch_input=batch)
        out = []
        for result in response["data"]["batch_results"]:
            if result.get("error"):
                raise UnwrapFailed(f"Vault refused to decrypt: {result['error']}")
            out.append(base64.b64decode(result["plaintext"]))
        return out

    def rewrap(self, wrapped: Wrapped, context: bytes) -> Wrapped:
        response = self._call(
            "rewrap_data", ciphertext=wrapped.blob.decode("ascii"), context=_b64(context)
        )
        ciphertext = response["data"]["ciphertext"]
        return Wrapped(_version_of(ciphertext), ciphertext.encode("ascii"))

    def rotate(self) -> int:
        self._call("rotate_key")
        return self.current_version()
