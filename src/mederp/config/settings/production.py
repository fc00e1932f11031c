"""Production profile: behind nginx, on PostgreSQL and Redis, several app servers.

Refuses to start without an explicit secret key, database URL and allowed hosts, so that a
misconfigured server fails loudly instead of running on generated defaults.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from mederp.config.env import env_bool, env_str
from mederp.config.settings.base import *  # noqa: F403

for _name in ("MEDERP_SECRET_KEY", "MEDERP_DATABASE_URL", "MEDERP_ALLOWED_HOSTS"):
    if not env_str(_name):
        raise ImproperlyConfigured(f"{_name} must be set in production")

DEBUG = False
SECURE_SSL_REDIRECT = env_bool("MEDERP_SSL_REDIRECT", True)
SECURE_HSTS_PRELOAD = env_bool("MEDERP_HSTS_PRELOAD", True)
