"""Signal wiring of the sign-in security modules (connected in IdentityConfig.ready)."""

from __future__ import annotations

from typing import Any

from allauth.account import signals as account_signals
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import post_save, pre_save


def _on_django_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    from mederp.identity import sessions

    if request is not None and hasattr(request, "session"):
        sessions.start(request, user)


def _on_allauth_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """A complete sign-in through the sign-in page (password, then the second factor)."""
    from mederp.identity import devices, lockout

    lockout.register_success(user)
    devices.register_login(request, user)


def _on_login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    from mederp.identity import lockout

    name = credentials.get("username") or credentials.get("login") or credentials.get("email")
    lockout.register_failure(name, kind="password")


def connect() -> None:
    from mederp.identity import mfa, sessions
    from mederp.identity.models import User

    user_logged_in.connect(_on_django_login, dispatch_uid="mederp.identity.session_start")
    user_login_failed.connect(_on_login_failed, dispatch_uid="mederp.identity.lockout")
    account_signals.user_logged_in.connect(
        _on_allauth_login, dispatch_uid="mederp.identity.device_login"
    )
    for signal in (
        account_signals.password_changed,
        account_signals.password_set,
        account_signals.password_reset,
    ):
        signal.connect(sessions.on_password_changed, dispatch_uid=f"mederp.sessions.{id(signal)}")
    pre_save.connect(sessions.on_user_pre_save, sender=User, dispatch_uid="mederp.user.pre")
    post_save.connect(sessions.on_user_post_save, sender=User, dispatch_uid="mederp.user.post")
    mfa.connect()
