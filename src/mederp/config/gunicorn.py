"""gunicorn configuration: HTTPS with TLS 1.2 as the floor, on 127.0.0.1:8443 by default.

Run: gunicorn -c python:mederp.config.gunicorn mederp.config.wsgi
"""

from __future__ import annotations

import os
import ssl
from typing import Any

_var = os.environ.get("MEDERP_VAR_DIR") or os.path.join(os.getcwd(), "var")

bind = [os.environ.get("MEDERP_BIND", "127.0.0.1:8443")]
workers = int(os.environ.get("MEDERP_WORKERS", "2"))
threads = int(os.environ.get("MEDERP_THREADS", "4"))
timeout = 60
graceful_timeout = 10
certfile = os.environ.get("MEDERP_TLS_CERT", os.path.join(_var, "tls", "cert.pem"))
keyfile = os.environ.get("MEDERP_TLS_KEY", os.path.join(_var, "tls", "key.pem"))
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("MEDERP_TRUSTED_PROXIES", "127.0.0.1")
_settings = os.environ.get("DJANGO_SETTINGS_MODULE", "mederp.config.settings.base")
raw_env = [f"DJANGO_SETTINGS_MODULE={_settings}"]


def ssl_context(config: Any, default_ssl_context_factory: Any) -> ssl.SSLContext:
    """TLS 1.0 and 1.1 handshakes are refused; only AEAD cipher suites with forward secrecy."""
    context: ssl.SSLContext = default_ssl_context_factory()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers("ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:!aNULL:!MD5:!DSS")
    context.options |= ssl.OP_NO_COMPRESSION | ssl.OP_CIPHER_SERVER_PREFERENCE
    return context
