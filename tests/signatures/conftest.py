"""The e-signature tests use the signing fixtures shared with tests/access."""

from mederp.testing.signing import (  # noqa: F401  (fixtures, found by pytest by name)
    _fresh_cache_and_english,
    as_user,
    fake_totp,
    session,
)
