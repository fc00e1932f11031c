"""Test profile: same code paths as production, with fast hashing and in-process jobs."""

from __future__ import annotations

from mederp.config.settings.base import *  # noqa: F403
from mederp.config.settings.base import HUEY, STATIC_ROOT

# Argon2 stays the hasher (it is what production runs), with cheap parameters in tests.
PASSWORD_HASHERS = ["mederp.testing.hashers.FastArgon2PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
HUEY = {**HUEY, "huey_class": "huey.MemoryHuey", "immediate": True}
HUEY.pop("filename", None)
HUEY.pop("url", None)
# Tests sign users in with force_login and no second factor: MFA and device binding are
# relaxed here, and the tests of tests/identity/ turn them on (identity_policy fixture).
MEDERP_MFA_EXEMPT_ROLES = ["*"]
MEDERP_DEVICE_BINDING = False

# WhiteNoise warns at every request when STATIC_ROOT does not exist; tests serve from finders.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
