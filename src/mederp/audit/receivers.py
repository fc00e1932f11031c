"""Authentication events into the ledger: logins, failed logins, logouts, password changes."""

from __future__ import annotations

from typing import Any

from allauth.account import signals as account_signals
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from mederp import audit


@receiver(user_logged_in)
def on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit.record("login", user, actor=user, site=None)


@receiver(user_logged_out)
def on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit.record("logout", user, actor=user, site=None)


@receiver(user_login_failed)
def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    # Only the attempted username is kept; the password never leaves the auth backend
    # (Django has already replaced it in `credentials` with asterisks).
    username = str(credentials.get("username") or credentials.get("login") or "")[:150]
    audit.record(
        "login_failed",
        None,
        actor=None,
        site=None,
        actor_username=username,
        object_type="identity.user",
        object_repr=username,
    )


def _password_event(action: str) -> Any:
    def receive(sender: Any, request: Any = None, user: Any = None, **kwargs: Any) -> None:
        # The password itself and its hash never go to the ledger: only that it changed.
        if user is not None:
            audit.record(action, user, actor=user, site=None, changes={"password": ["*", "*"]})

    return receive


on_password_changed = _password_event("password_changed")
on_password_set = _password_event("password_set")
on_password_reset = _password_event("password_reset")
account_signals.password_changed.connect(on_password_changed, dispatch_uid="audit.pw_changed")
account_signals.password_set.connect(on_password_set, dispatch_uid="audit.pw_set")
account_signals.password_reset.connect(on_password_reset, dispatch_uid="audit.pw_reset")
