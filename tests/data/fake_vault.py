"""An in-memory HashiCorp Vault transit engine behind a `requests` transport adapter.

hvac talks to it exactly as to a Vault server (same URLs, JSON bodies, error statuses), but
nothing leaves the process: no socket is opened. Implements what the provider uses: keys
(create, read, rotate), encrypt, decrypt (single and batch) and rewrap, with derived keys
(the context is required and binds the ciphertext) and versioned ciphertexts `vault:vN:...`.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any
from urllib.parse import urlparse

import requests
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class _Error(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class FakeTransit(requests.adapters.BaseAdapter):
    def __init__(self, mount: str = "transit") -> None:
        super().__init__()
        self.mount = mount
        self.keys: dict[str, dict[str, Any]] = {}
        self.calls: list[str] = []

    # -- transport -----------------------------------------------------------------------
    def send(self, request: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        path = urlparse(request.url).path
        body = json.loads(request.body) if request.body else {}
        self.calls.append(f"{request.method} {path}")
        try:
            if request.headers.get("X-Vault-Token") != "test-token":
                raise _Error(403, "permission denied")
            status, payload = self._route(request.method, path, body)
        except _Error as exc:
            status, payload = exc.status, {"errors": [str(exc)]}
        response = requests.Response()
        response.status_code = status
        response._content = json.dumps(payload).encode() if payload is not None else b""
        response.headers["Content-Type"] = "application/json"
        response.url = request.url
        response.request = request
        return response

    def close(self) -> None:
        return None

    # -- transit -------------------------------------------------------------------------
    def _route(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        parts = path.strip("/").split("/")
        if parts[:2] != ["v1", self.mount] or len(parts) < 4:
            raise _Error(404, f"no handler for route {path}")
        op, name, rest = parts[2], parts[3], parts[4:]
        if op == "keys" and method == "POST" and not rest:
            if name not in self.keys:
                self.keys[name] = {
                    "derived": bool(body.get("derived")),
                    "type": body.get("type", "aes256-gcm96"),
                    "versions": {1: os.urandom(32)},
                }
            return 204, None
        key = self.keys.get(name)
        if key is None:
            raise _Error(404 if method == "GET" else 400, f"encryption key not found: {name}")
        if op == "keys" and method == "GET":
            latest = max(key["versions"])
            return 200, {
                "data": {
                    "name": name,
                    "type": key["type"],
                    "derived": key["derived"],
                    "latest_version": latest,
                    "min_decryption_version": 1,
                    "keys": {str(v): 0 for v in key["versions"]},
                }
            }
        if op == "keys" and rest == ["rotate"]:
            key["versions"][max(key["versions"]) + 1] = os.urandom(32)
            return 200, {"data": {"latest_version": max(key["versions"])}}
        if op == "encrypt":
            return 200, {"data": {"ciphertext": self._encrypt(key, body)}}
        if op == "decrypt":
            if body.get("batch_input"):
                results = []
                for item in body["batch_input"]:
                    try:
                        results.append({"plaintext": self._decrypt(key, item)})
                    except _Error as exc:
                        results.append({"error": str(exc)})
                return 200, {"data": {"batch_results": results}}
            return 200, {"data": {"plaintext": self._decrypt(key, body)}}
        if op == "rewrap":
            plaintext = self._decrypt(key, body)
            return 200, {
                "data": {"ciphertext": self._encrypt(key, {**body, "plaintext": plaintext})}
            }
        raise _Error(405, f"unsupported operation {method} {path}")

    @staticmethod
    def _key(key: dict[str, Any], version: int, context: str | None) -> AESGCM:
        if version not in key["versions"]:
            raise _Error(400, "invalid key version")
        material = key["versions"][version]
        if key["derived"]:
            if not context:
                raise _Error(400, "missing 'context' for key derivation")
            material = HKDF(
                algorithm=hashes.SHA256(), length=32, salt=None, info=base64.b64decode(context)
            ).derive(material)
        return AESGCM(material)

    def _encrypt(self, key: dict[str, Any], body: dict[str, Any]) -> str:
        version = max(key["versions"])
        aead = self._key(key, version, body.get("context"))
        nonce = os.urandom(12)
        ct = aead.encrypt(nonce, base64.b64decode(body["plaintext"]), None)
        return f"vault:v{version}:" + base64.b64encode(nonce + ct).decode()

    def _decrypt(self, key: dict[str, Any], body: dict[str, Any]) -> str:
        try:
            _prefix, ver, blob = body["ciphertext"].split(":", 2)
            version = int(ver[1:])
            raw = base64.b64decode(blob)
        except (KeyError, ValueError) as exc:
            raise _Error(400, "invalid ciphertext") from exc
        aead = self._key(key, version, body.get("context"))
        try:
            plain = aead.decrypt(raw[:12], raw[12:], None)
        except InvalidTag:
            raise _Error(400, "cipher: message authentication failed") from None
        return base64.b64encode(plain).decode()


def vault_client(server: FakeTransit, token: str = "test-token") -> Any:
    import hvac

    session = requests.Session()
    session.mount("https://", server)
    return hvac.Client(url="https://vault.invalid:8200", token=token, session=session)
