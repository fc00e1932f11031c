"""Authentication events into the ledger: logins, failed logins, logouts."""

from __future__ import annotations

from typing import Any

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
