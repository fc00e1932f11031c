"""gunicorn configuration: HTTPS with TLS 1.2 as the floor, on 127.0.0.1:8443 by default.

Run: gunicorn -c python:mederp.config.gunicorn mederp.config.wsgi
"""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
from typing import Any

from mederp.config.env import var_dir

# The same var/ as the settings use (MEDERP_VAR_DIR, else next to src/ in a checkout).
_var = str(var_dir())

bind = [os.environ.get("MEDERP_BIND", "127.0.0.1:8443")]
workers = int(os.environ.get("MEDERP_WORKERS", "2"))
threads = int(os.environ.get("MEDERP_THREADS", "4"))
timeout = 60
graceful_timeout = 10
certfile = os.environ.get("MEDERP_TLS_CERT", os.path.join(_var, "tls", "cert.pem"))
keyfile = os.environ.get("MEDERP_TLS_KEY", os.path.join(_var, "tls", "key.pem"))
# Per instance, not the per-user default (~/.gunicorn): servers must not take over
# each other's control socket.
control_socket = os.path.join(_var, "gunicorn.ctl")
accesslog = "-"
errorlog = "-"
# Same list as Django's MEDERP_TRUSTED_PROXIES: nobody's X-Forwarded-* is believed by default.
forwarded_allow_ips = os.environ.get("MEDERP_TRUSTED_PROXIES", "")
_settings = os.environ.get("DJANGO_SETTINGS_MODULE", "mederp.config.settings.base")
raw_env = [f"DJANGO_SETTINGS_MODULE={_settings}"]


_jobs: subprocess.Popen[bytes] | None = None


def when_ready(server: Any) -> None:
    """With MEDERP_RUN_JOBS=1 (the demo) the master also runs the Huey consumer, so periodic
    jobs such as audit checkpoints happen without a second command; production runs
    `mederp run_huey` as its own service instead."""
    global _jobs
    if os.environ.get("MEDERP_RUN_JOBS", "").lower() in {"1", "true", "yes", "on"}:
        _jobs = subprocess.Popen(
            [sys.executable, "-m", "mederp.manage", "run_huey", "--workers", "1"],
            env={**os.environ, "DJANGO_SETTINGS_MODULE": _settings},
        )
        server.log.info("background jobs started (pid %s)", _jobs.pid)


def on_exit(server: Any) -> None:
    if _jobs is not None and _jobs.poll() is None:
        _jobs.terminate()
        try:
            _jobs.wait(timeout=10)
        except subprocess.TimeoutExpired:
            _jobs.kill()


def ssl_context(config: Any, default_ssl_context_factory: Any) -> ssl.SSLContext:
    """TLS 1.0 and 1.1 handshakes are refused; only AEAD cipher suites with forward secrecy."""
    context: ssl.SSLContext = default_ssl_context_factory()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers("ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:!aNULL:!MD5:!DSS")
    context.options |= ssl.OP_NO_COMPRESSION | ssl.OP_CIPHER_SERVER_PREFERENCE
    return context
