"""Session policy: idle and absolute timeouts, rotation, ending sessions.

- Idle timeout: `SESSION_COOKIE_AGE` (MEDERP_SESSION_IDLE_SECONDS, default 15 min) with
  `SESSION_SAVE_EVERY_REQUEST`: the server-side expiry moves with each request, so a session
  left alone expires in the database, whatever the browser keeps.
- Absolute timeout: `MEDERP_SESSION_ABSOLUTE_SECONDS` (default 12 h) after sign-in, checked by
  `SessionPolicyMiddleware` on every request, whatever the activity.
- Rotation: Django gives a new session key at sign-in; `SessionPolicyMiddleware` gives a new
  one when the user's roles changed since the last request (privilege change).
- Ending: every session of a user ends when their password changes (allauth logs out the
  current one, we end the others) and when their account is disabled; users end their own
  sessions from "My sessions". Sessions are tracked by allauth.usersessions.
"""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta
from typing import Any

from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from mederp import audit
from mederp.core import context
from mederp.identity import authz
from mederp.identity.models import User

AUTH_AT_KEY = "mederp_auth_at"
PRIVILEGE_KEY = "mederp_privileges"


def privilege_fingerprint(user: Any) -> str:
    """A short digest of the user's effective permissions and where they hold them.

    Built from `authz.grants`, which the request's permission checks load anyway (it is
    cached on the user object), so the check costs no extra query.
    """
    items = sorted(
        (code, "*" if scope is authz.ALL_SITES else ",".join(map(str, sorted(scope))))  # type: ignore[arg-type]
        for code, scope in authz.grants(user).items()
    )
    return hashlib.sha256(repr(items).encode()).hexdigest()[:32]


def start(request: HttpRequest, user: Any) -> None:
    """At sign-in (after Django's login() rotated the key): stamp the session."""
    request.session[AUTH_AT_KEY] = time.time()
    request.session[PRIVILEGE_KEY] = privilege_fingerprint(user)


def absolute_expired(request: HttpRequest, now: float | None = None) -> bool:
    started = request.session.get(AUTH_AT_KEY)
    if started is None:
        request.session[AUTH_AT_KEY] = now or time.time()
        return False
    limit = int(settings.MEDERP_SESSION_ABSOLUTE_SECONDS)
    return (now or time.time()) - float(started) > limit


def expire(request: HttpRequest, why: str) -> None:
    """End the request's session (absolute timeout, revoked device, ...), audited."""
    user = request.user
    audit.record("session_expired", user, actor=user, site=None, changes={"why": [None, why]})
    logout(request)


def rotate_if_privileges_changed(request: HttpRequest) -> bool:
    user = request.user
    current = privilege_fingerprint(user)
    stored = request.session.get(PRIVILEGE_KEY)
    if stored == current:
        return False
    old_key = request.session.session_key
    request.session.cycle_key()
    request.session[PRIVILEGE_KEY] = current
    if old_key:
        # "My sessions" lists sessions by key: follow the new one.
        UserSession.objects.filter(session_key=old_key).update(
            session_key=request.session.session_key
        )
    authz.clear_cache(user)
    if stored is not None:
        audit.record(
            "session_rotated",
            user,
            actor=user,
            site=None,
            changes={"why": [None, "privileges changed"]},
        )
    return True


def sessions_of(user: Any) -> list[UserSession]:
    """The user's live sessions, most recently active first (ended ones are purged).

    The last activity is the session's expiry minus the idle timeout (the expiry moves with
    every request), stored on each item as `last_seen_at`.
    """
    live = UserSession.objects.purge_and_list(user)
    expiry = dict(
        Session.objects.filter(session_key__in=[s.session_key for s in live]).values_list(
            "session_key", "expire_date"
        )
    )
    idle = timedelta(seconds=int(settings.SESSION_COOKIE_AGE))
    for item in live:
        if item.session_key in expiry:
            item.last_seen_at = max(item.created_at, expiry[item.session_key] - idle)
    return sorted(live, key=lambda s: s.last_seen_at, reverse=True)


@transaction.atomic
def end_all_sessions(
    user: User, *, why: str, actor: Any = None, keep_session_key: str | None = None
) -> int:
    """End every session of `user` (but `keep_session_key`). Returns how many ended."""
    ended = 0
    for session in UserSession.objects.filter(user_id=user.pk):
        if keep_session_key and session.session_key == keep_session_key:
            continue
        session.end()
        ended += 1
    audit.record(
        "sessions_ended",
        user,
        actor=actor if actor is not None else context.current().actor,
        site=None,
        changes={"sessions": [None, ended], "why": [None, why]},
    )
    return ended


@transaction.atomic
def revoke_session(actor: Any, session: UserSession, *, current_key: str | None = None) -> None:
    """A user ends one of their own sessions (an administrator: anybody's)."""
    if session.user_id != getattr(actor, "pk", None):
        authz.authorize(actor, "identity.manage_devices")
    if current_key and session.session_key == current_key:
        raise ValidationError(_("Use “Sign out” to end the session you are using."))
    if session.user_id is None:  # pragma: no cover - the column is not nullable
        raise PermissionDenied
    audit.record(
        "session_revoked",
        session.user,
        actor=actor,
        site=None,
        changes={
            "session_started": [session.created_at.isoformat(), None],
            "ip": [session.ip, None],
        },
    )
    session.end()


# --- receivers ------------------------------------------------------------------------------
def on_password_changed(sender: Any, request: Any = None, user: Any = None, **kw: Any) -> None:
    """allauth has logged out the current session (ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE); end
    every other one."""
    if user is not None and user.pk is not None:
        end_all_sessions(user, why="password changed", actor=user)


def on_user_pre_save(sender: Any, instance: Any, **kw: Any) -> None:
    if instance.pk is None:
        instance._mederp_was_active = None
        return
    instance._mederp_was_active = (
        type(instance).objects.filter(pk=instance.pk).values_list("is_active", flat=True).first()
    )


def on_user_post_save(sender: Any, instance: Any, created: bool = False, **kw: Any) -> None:
    """Disabling an account ends its sessions, whichever service disabled it."""
    if created or kw.get("raw"):
        return
    if getattr(instance, "_mederp_was_active", None) and not instance.is_active:
        end_all_sessions(instance, why="account disabled", actor=None)


def signed_in_at(request: HttpRequest) -> float | None:
    started = request.session.get(AUTH_AT_KEY)
    return None if started is None else float(started)


def signed_in_within(request: HttpRequest, seconds: int) -> bool:
    started = signed_in_at(request)
    return started is not None and time.time() - started <= seconds
