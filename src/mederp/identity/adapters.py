"""allauth adapter: accounts are created by administrators, never by self sign-up; locked
accounts and rate-limited attempts are refused before the password is checked, and audited."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from django import forms

from mederp import audit


def _audit_refused(credentials: dict[str, Any], why: str) -> None:
    name = str(credentials.get("username") or credentials.get("email") or "")[:150]
    audit.record(
        "login_failed",
        None,
        actor=None,
        site=None,
        actor_username=name,
        object_type="identity.user",
        object_repr=name,
        changes={"refused": [None, why]},
    )


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: Any) -> bool:
        return False

    def pre_authenticate(self, request: Any, **credentials: Any) -> None:
        from mederp.identity import lockout

        until = lockout.locked_until(credentials.get("username") or credentials.get("email"))
        if until is not None:
            _audit_refused(credentials, "account locked")
            raise forms.ValidationError(lockout.locked_message(until))
        try:
            super().pre_authenticate(request, **credentials)
        except forms.ValidationError:
            _audit_refused(credentials, "rate limited")
            raise

    def is_reauthentication_required(self, *, app: str, **kwargs: Any) -> bool:
        """No second password prompt while a user sets up their first second factor right
        after signing in (enrollment, then the recovery codes): with no earlier factor to
        protect, a password typed again proves nothing the sign-in did not."""
        required = bool(super().is_reauthentication_required(app=app, **kwargs))
        if required and app == "allauth.mfa":
            from mederp.identity import mfa, sessions

            request = context.request
            user = getattr(request, "user", None)
            if (
                user is not None
                and user.is_authenticated
                and sessions.signed_in_within(request, 300)
                and not mfa.factors_before(user, sessions.signed_in_at(request))
            ):
                return False
        return required
