"""The real HTTPS server (gunicorn with mederp.config.gunicorn) refuses TLS < 1.2.

The server is started once for the session on a free port (see mederp.testing.servers).
Two independent proofs that old protocol versions are refused *by the server*:

1. Python's ssl module configured to speak only TLS 1.1 (or 1.0). A control handshake
   against a permissive local server shows this client really can speak that version, so
   the failure against mederp is the server's refusal (an alert received from the peer).
2. A hand-built ClientHello on a raw socket (independent of the local OpenSSL build),
   identical except for the protocol version: the server answers TLS 1.2 with ServerHello
   and TLS 1.1/1.0 with a fatal `protocol_version` alert.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import ssl
import struct
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from mederp.testing.servers import shared_https_server

pytestmark = pytest.mark.slow

TLS_1_0, TLS_1_1, TLS_1_2 = 0x0301, 0x0302, 0x0303
ALERT_PROTOCOL_VERSION = 70


@pytest.fixture(scope="session")
def https_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    with shared_https_server(tmp_path_factory.mktemp("https-server")) as server:
        yield server


@pytest.fixture(scope="session")
def address(https_server: tuple[str, Path]) -> tuple[str, int]:
    parts = urlsplit(https_server[0])
    assert parts.hostname
    assert parts.port
    return parts.hostname, parts.port


def client_context(version: ssl.TLSVersion) -> ssl.SSLContext:
    """A client that offers exactly `version` (old versions allowed by @SECLEVEL=0)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLSv1/TLSv1_1 are deprecated
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.minimum_version = version
        context.maximum_version = version
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def handshake(address: tuple[str, int], context: ssl.SSLContext) -> tuple[str, str]:
    """Complete a handshake; return (protocol version, cipher name)."""
    with (
        socket.create_connection(address, timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=address[0]) as sock,
    ):
        version, cipher = sock.version(), sock.cipher()
        assert version is not None
        assert cipher is not None
        return version, cipher[0]


def permissive_server_accepts(version: ssl.TLSVersion, cert: Path) -> str | None:
    """Handshake our old-version client with a local server that allows every version.

    Returns the negotiated version, or None if the local OpenSSL cannot speak `version`.
    Uses the mederp certificate and key, so the only difference is the server's floor.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server_ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    server_ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    server_ctx.load_cert_chain(cert, cert.with_name("key.pem"))
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)

    def serve() -> None:
        try:
            conn, _ = listener.accept()
            with server_ctx.wrap_socket(conn, server_side=True) as tls:
                tls.recv(1)
        except (OSError, ssl.SSLError):
            pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        negotiated, _ = handshake(listener.getsockname()[:2], client_context(version))
        return negotiated
    except ssl.SSLError:
        return None
    finally:
        thread.join(timeout=10)
        listener.close()


# --- hand-built ClientHello -------------------------------------------------------------------

# AEAD suites the server accepts at TLS 1.2, then CBC suites an old client would use.
CIPHER_SUITES = [0xC02B, 0xC02C, 0xC02F, 0xC030, 0xCCA9, 0xCCA8, 0xC009, 0xC00A, 0xC013, 0xC014]


def _extension(kind: int, data: bytes) -> bytes:
    return struct.pack("!HH", kind, len(data)) + data


def client_hello(version: int) -> bytes:
    """A TLS record with a ClientHello for `version` (no supported_versions: no TLS 1.3)."""
    groups = struct.pack("!HHH", 4, 0x001D, 0x0017)  # x25519, secp256r1
    sig_algs = struct.pack("!HHHHH", 8, 0x0403, 0x0804, 0x0401, 0x0503)
    extensions = b"".join(
        [
            _extension(0x000A, groups),  # supported_groups
            _extension(0x000B, b"\x01\x00"),  # ec_point_formats: uncompressed
            _extension(0x000D, sig_algs),  # signature_algorithms (ignored below TLS 1.2)
            _extension(0x0017, b""),  # extended_master_secret
            _extension(0xFF01, b"\x00"),  # renegotiation_info (initial handshake)
        ]
    )
    suites = struct.pack(f"!H{len(CIPHER_SUITES)}H", 2 * len(CIPHER_SUITES), *CIPHER_SUITES)
    body = (
        struct.pack("!H", version)
        + os.urandom(32)
        + b"\x00"  # no session id
        + suites
        + b"\x01\x00"  # compression: null only
        + struct.pack("!H", len(extensions))
        + extensions
    )
    handshake_msg = b"\x01" + len(body).to_bytes(3, "big") + body
    return struct.pack("!BHH", 0x16, TLS_1_0, len(handshake_msg)) + handshake_msg


def _read_exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError(f"server closed the connection after {len(data)} bytes")
        data += chunk
    return data


def first_server_message(address: tuple[str, int], version: int) -> tuple[str, int]:
    """Send a raw ClientHello; return ("alert", description) or ("handshake", message type)."""
    with socket.create_connection(address, timeout=10) as sock:
        sock.sendall(client_hello(version))
        content_type, _, length = struct.unpack("!BHH", _read_exact(sock, 5))
        payload = _read_exact(sock, min(length, 2))
    if content_type == 0x15:  # alert: level, description
        return "alert", payload[1]
    if content_type == 0x16:  # handshake: message type (2 = ServerHello)
        return "handshake", payload[0]
    raise AssertionError(f"unexpected TLS record type {content_type}")


# --- protocol versions --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "name"),
    [(ssl.TLSVersion.TLSv1_1, "TLSv1.1"), (ssl.TLSVersion.TLSv1, "TLSv1")],
    ids=["tls1.1", "tls1.0"],
)
def test_old_tls_handshake_is_refused_by_the_server(
    address: tuple[str, int], https_server: tuple[str, Path], version: ssl.TLSVersion, name: str
) -> None:
    # Control: this exact client completes a handshake when the server allows the version.
    if permissive_server_accepts(version, https_server[1]) != name:
        pytest.skip(
            f"the local OpenSSL ({ssl.OPENSSL_VERSION}) cannot offer {name} even at "
            "@SECLEVEL=0; the raw ClientHello test below still proves the server refuses it"
        )
    with pytest.raises(ssl.SSLError) as excinfo:
        handshake(address, client_context(version))
    # TLSV1_ALERT_PROTOCOL_VERSION: the *peer* sent a protocol_version alert.
    assert excinfo.value.reason == "TLSV1_ALERT_PROTOCOL_VERSION", excinfo.value


@pytest.mark.parametrize("version", [TLS_1_1, TLS_1_0], ids=["tls1.1", "tls1.0"])
def test_raw_old_client_hello_gets_protocol_version_alert(
    address: tuple[str, int], version: int
) -> None:
    assert first_server_message(address, version) == ("alert", ALERT_PROTOCOL_VERSION)


def test_raw_client_hello_is_a_valid_probe_at_tls_1_2(address: tuple[str, int]) -> None:
    # The same hello with version 1.2 gets a ServerHello: only the version made the difference.
    assert first_server_message(address, TLS_1_2) == ("handshake", 2)


def test_tls_1_2_succeeds_with_forward_secret_aead_cipher(address: tuple[str, int]) -> None:
    version, cipher = handshake(address, client_context(ssl.TLSVersion.TLSv1_2))
    assert version == "TLSv1.2"
    assert cipher.startswith(("ECDHE-", "DHE-")), cipher
    assert "GCM" in cipher or "CHACHA20" in cipher, cipher


def test_tls_1_3_succeeds(address: tuple[str, int]) -> None:
    version, _ = handshake(address, client_context(ssl.TLSVersion.TLSv1_3))
    assert version == "TLSv1.3"


def test_tls_1_2_without_aead_cipher_is_refused(address: tuple[str, int]) -> None:
    context = client_context(ssl.TLSVersion.TLSv1_2)
    context.set_ciphers("ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:AES128-SHA:AES256-SHA")
    with pytest.raises(ssl.SSLError) as excinfo:
        handshake(address, context)
    assert excinfo.value.reason == "SSLV3_ALERT_HANDSHAKE_FAILURE", excinfo.value


def test_certificate_verifies_for_127_0_0_1(
    address: tuple[str, int], https_server: tuple[str, Path]
) -> None:
    context = ssl.create_default_context(cafile=str(https_server[1]))
    version, _ = handshake(address, context)  # check_hostname=True, CERT_REQUIRED
    assert version == "TLSv1.3"


# --- security headers over real HTTPS -------------------------------------------------------------


def https_get(address: tuple[str, int], cert: Path, path: str) -> http.client.HTTPResponse:
    context = ssl.create_default_context(cafile=str(cert))
    conn = http.client.HTTPSConnection(*address, context=context, timeout=10)
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


@pytest.mark.parametrize(("path", "status"), [("/", 302), ("/accounts/login/", 200)])
def test_https_response_carries_security_headers(
    address: tuple[str, int], https_server: tuple[str, Path], path: str, status: int
) -> None:
    response = https_get(address, https_server[1], path)
    assert response.status == status
    if status == 302:
        assert response.getheader("Location", "").startswith("/accounts/login/")

    hsts = response.getheader("Strict-Transport-Security", "")
    match = re.search(r"max-age=(\d+)", hsts)
    assert match, f"no HSTS max-age in {hsts!r}"
    assert int(match.group(1)) >= 31536000
    assert response.getheader("X-Frame-Options") == "DENY"
    csp = response.getheader("Content-Security-Policy", "")
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.getheader("Referrer-Policy")
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert re.fullmatch(r"[A-Za-z0-9._-]{8,64}", response.getheader("X-Request-ID", ""))


def test_each_response_has_its_own_request_id(
    address: tuple[str, int], https_server: tuple[str, Path]
) -> None:
    ids = {https_get(address, https_server[1], "/healthz").getheader("X-Request-ID") for _ in "abc"}
    assert len(ids) == 3
