"""Start the real HTTPS server (gunicorn + the project's gunicorn config) for tests.

`https_server(tmp_dir)` prepares an isolated instance in `tmp_dir` (its own SQLite database,
secret key, key files, static files and self-signed certificate), runs gunicorn on a free
port of 127.0.0.1 and yields `(base_url, cert_path)`. On exit the server is stopped with
SIGTERM (SIGKILL after a grace period), so nothing is left running.

The environment of the test process is not trusted: every inherited MEDERP_* variable is
dropped, so a PostgreSQL URL set for the test run never lets the server migrate or load demo
data into a real database.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SETTINGS = "mederp.config.settings.base"
SETUP_COMMANDS: list[list[str]] = [
    ["compile_translations"],
    ["migrate", "--noinput", "--verbosity", "0"],
    ["load_demo"],
    ["collectstatic", "--noinput", "--verbosity", "0"],
    ["tls_cert"],
]


class ServerError(RuntimeError):
    """The test server could not be prepared or did not come up."""


def _bin_dir() -> Path:
    return Path(sys.executable).parent


def _mederp_command() -> list[str]:
    script = _bin_dir() / "mederp"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "mederp.manage"]


def _gunicorn_command() -> list[str]:
    script = _bin_dir() / "gunicorn"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "gunicorn"]


def free_port() -> int:
    """A port that was free a moment ago (the server retries if it is taken meanwhile)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def server_env(var_dir: Path, settings: str = SETTINGS, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDERP_")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": settings,
            "MEDERP_VAR_DIR": str(var_dir),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


def prepare_instance(var_dir: Path, settings: str = SETTINGS, timeout: float = 300) -> Path:
    """Migrate, load the demo plant, collect static files and create the certificate."""
    var_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    env = server_env(var_dir, settings)
    for args in SETUP_COMMANDS:
        cmd = [*_mederp_command(), *args]
        result = subprocess.run(  # noqa: S603  (fixed argument list, no shell)
            cmd, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
        if result.returncode != 0:
            raise ServerError(
                f"`mederp {' '.join(args)}` failed (exit {result.returncode}) while preparing "
                f"the test server in {var_dir}:\n{result.stdout}\n{result.stderr}"
            )
    cert = var_dir / "tls" / "cert.pem"
    if not cert.exists():
        raise ServerError(f"`mederp tls_cert` did not create {cert}")
    return cert


def _answers(host: str, port: int, path: str = "/healthz") -> bool:
    """True once the server completes a TLS handshake and answers `path` with 200."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the certificate is checked by the tests themselves
    try:
        with (
            socket.create_connection((host, port), timeout=2) as raw,
            context.wrap_socket(raw, server_hostname=host) as sock,
        ):
            request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n"
            sock.sendall(request.encode("ascii"))
            head = b""
            while b"\r\n" not in head and len(head) < 1024:
                chunk = sock.recv(1024)
                if not chunk:
                    break
                head += chunk
            return head.split(b"\r\n", 1)[0].split(b" ")[1:2] == [b"200"]
    except (OSError, IndexError):
        return False


def _tail(path: Path, start: int = 0, limit: int = 6000) -> str:
    """The server's output written since byte `start`, at most the last `limit` characters."""
    try:
        with path.open("rb") as handle:
            handle.seek(start)
            text = handle.read().decode(errors="replace")
    except OSError:
        return "(no server output)"
    return (text[-limit:] if len(text) > limit else text) or "(no server output)"


def _stop(proc: subprocess.Popen[bytes], grace: float = 15) -> None:
    """SIGTERM the gunicorn master (it stops its workers), SIGKILL its group if it lingers."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
    # Workers exit with their master; make sure no straggler of this server's group remains.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def _start(var_dir: Path, settings: str, port: int, log_path: Path) -> subprocess.Popen[bytes]:
    env = server_env(
        var_dir,
        settings,
        MEDERP_BIND=f"127.0.0.1:{port}",
        MEDERP_WORKERS="1",
        MEDERP_THREADS="4",
    )
    cmd = [
        *_gunicorn_command(),
        "-c",
        "python:mederp.config.gunicorn",
        # gunicorn >= 25 defaults to one control socket per user ($HOME/.gunicorn/gunicorn.ctl)
        # that a new server takes over and unlinks on exit: keep ours inside the instance.
        "--control-socket",
        str(var_dir / "gunicorn.ctl"),
        "mederp.config.wsgi",
    ]
    with log_path.open("ab") as log:
        return subprocess.Popen(  # noqa: S603  (fixed argument list, no shell)
            cmd,
            env=env,
            cwd=var_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: stopped as a whole
        )


@contextlib.contextmanager
def https_server(
    var_dir: Path, settings: str = SETTINGS, startup_timeout: float = 30, attempts: int = 3
) -> Iterator[tuple[str, Path]]:
    """Prepare an isolated instance in `var_dir`, serve it over HTTPS, yield (url, cert).

    `settings` is the DJANGO_SETTINGS_MODULE of the server (default: the embedded profile
    `make demo` runs).
    """
    var_dir = Path(var_dir)
    cert = prepare_instance(var_dir, settings)
    log_path = var_dir / "gunicorn.log"
    proc: subprocess.Popen[bytes] | None = None
    try:
        for attempt in range(1, attempts + 1):
            port = free_port()
            log_start = log_path.stat().st_size if log_path.exists() else 0
            proc = _start(var_dir, settings, port, log_path)
            deadline = time.monotonic() + startup_timeout
            up = False
            listening = f"Listening at: https://127.0.0.1:{port} "
            while not up and proc.poll() is None and time.monotonic() < deadline:
                # Only probe once *our* server has bound the port, not whoever else holds it.
                bound = listening in _tail(log_path, log_start, limit=1 << 20)
                up = bound and _answers("127.0.0.1", port)
                if not up:
                    time.sleep(0.2)
            if up:
                break
            _stop(proc)
            proc = None
            output = _tail(log_path, start=log_start)
            if "Address already in use" in output and attempt < attempts:
                continue  # another process took the port between our probe and its bind
            raise ServerError(
                f"gunicorn did not answer https://127.0.0.1:{port}/healthz within "
                f"{startup_timeout:.0f} s (var dir {var_dir}). Server output:\n{output}"
            )
        yield f"https://127.0.0.1:{port}", cert
    finally:
        if proc is not None:
            _stop(proc)


_shared: dict[str, Any] = {}


@contextlib.contextmanager
def shared_https_server(var_dir: Path) -> Iterator[tuple[str, Path]]:
    """Like `https_server`, but one server per process is shared by every caller.

    The first caller starts it in its `var_dir` (later callers' `var_dir` is unused); the
    last one to leave stops it. Lets several session fixtures (TLS tests, browser tests)
    share one server instead of preparing one each.
    """
    if not _shared:
        stack = contextlib.ExitStack()
        _shared.update(stack=stack, value=stack.enter_context(https_server(var_dir)), users=0)
    _shared["users"] += 1
    try:
        yield _shared["value"]
    finally:
        _shared["users"] -= 1
        if _shared["users"] == 0:
            stack = _shared["stack"]
            _shared.clear()
            stack.close()
