"""The second signing component: the user's TOTP code, checked by allauth.mfa.

Two functions, so tests (and a later change of MFA provider) replace one place:

- `has_totp(user)`: the user has an authenticator app enrolled;
- `verify_totp(user, code)`: the code is valid now and has not been used before (allauth
  marks a code used for its whole validity window, so a replayed code is refused).

While allauth.mfa is not installed nobody has TOTP, and signing asks for the password only.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps


def mfa_installed() -> bool:
    return apps.is_installed("allauth.mfa")


def _authenticator(user: Any) -> Any:
    if not mfa_installed() or getattr(user, "pk", None) is None:
        return None
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).first()


def has_totp(user: Any) -> bool:
    return _authenticator(user) is not None


def verify_totp(user: Any, code: str) -> bool:
    authenticator = _authenticator(user)
    if authenticator is None or not code:
        return False
    from allauth.mfa.totp.internal.auth import TOTP

    code = "".join(code.split())
    if not TOTP(authenticator).validate_code(code):
        return False
    authenticator.record_usage()
    return True
