"""Brute-force protection: progressive lockout per login name, on top of allauth's rate limits.

- allauth's `login_failed` rate limit (ACCOUNT_RATE_LIMITS) slows guessing per client IP and
  per account;
- here, `MEDERP_LOCKOUT_THRESHOLD` (at most 10) consecutive failures — wrong password, wrong
  second-factor code, failed signature re-authentication — lock the login name for
  `MEDERP_LOCKOUT_BASE_SECONDS`, doubled at each further lockout up to
  `MEDERP_LOCKOUT_MAX_SECONDS`. Time or an administrator (`unlock`) lifts it.
- Every failure is audited (`login_failed`, `mfa_failed`), so is every lockout (`lockout`),
  and a successful sign-in after `MEDERP_LOGIN_FLAG_AFTER_FAILURES` failures is flagged
  (`login_after_failures`).

The counter is kept per login name as typed (lower-cased), whether or not such an account
exists: the lockout message then tells an attacker nothing about which accounts exist.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from allauth.account.auth_backends import AuthenticationBackend
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from mederp import audit
from mederp.core import context
from mederp.identity import authz, notices
from mederp.identity.models import LoginThrottle, User


def normalize(username: Any) -> str:
    return str(username or "").strip().lower()[:150]


def threshold() -> int:
    return max(1, min(int(settings.MEDERP_LOCKOUT_THRESHOLD), 10))


def locked_until(username: Any) -> Any:
    """When the login name's lockout ends, or None when it is not locked."""
    key = normalize(username)
    if not key:
        return None
    until = (
        LoginThrottle.objects.filter(username=key, locked_until__gt=timezone.now())
        .values_list("locked_until", flat=True)
        .first()
    )
    return until


def is_locked(username: Any) -> bool:
    return locked_until(username) is not None


def locked_message(until: Any) -> str:
    local = timezone.localtime(until)
    return _(
        "Too many failed sign-in attempts: this account is locked until %(until)s. "
        "Try again later or ask your administrator to unlock it."
    ) % {"until": formats.date_format(local, "DATETIME_FORMAT")}


def _lock_row(key: str) -> LoginThrottle:
    LoginThrottle.objects.get_or_create(username=key)
    return LoginThrottle.objects.select_for_update().get(username=key)


def _duration(lockouts: int) -> timedelta:
    base = int(settings.MEDERP_LOCKOUT_BASE_SECONDS)
    cap = int(settings.MEDERP_LOCKOUT_MAX_SECONDS)
    return timedelta(seconds=min(base * 2 ** max(lockouts - 1, 0), cap))


@transaction.atomic
def register_failure(username: Any, *, user: User | None = None, kind: str = "password") -> Any:
    """Count one failed authentication (password, second factor or signature) for the name.

    Returns the throttle row, or None for an empty name. Attempts while locked are not
    counted again (they are audited by the caller).
    """
    key = normalize(username or getattr(user, "username", ""))
    if not key:
        return None
    throttle = _lock_row(key)
    now = timezone.now()
    if throttle.is_locked(now):
        return throttle
    if user is None:
        user = User.objects.filter(username__iexact=key).first()
    ip = context.current().ip
    throttle.user = user
    throttle.consecutive_failures += 1
    throttle.failures_since_success += 1
    throttle.last_failure_at = now
    throttle.last_failure_ip = ip or None
    if throttle.consecutive_failures >= threshold():
        throttle.lockouts += 1
        throttle.locked_until = now + _duration(throttle.lockouts)
        failures = throttle.consecutive_failures
        throttle.consecutive_failures = 0
        audit.record(
            "lockout",
            user,
            actor=None,
            actor_username=key,
            site=None,
            object_type="identity.user",
            object_repr=str(user) if user is not None else key,
            changes={
                "locked_until": [None, throttle.locked_until.isoformat()],
                "consecutive_failures": [None, failures],
                "lockouts_in_a_row": [None, throttle.lockouts],
                "last_failure": [None, kind],
            },
        )
        if user is not None:
            notices.notify(user, notices.Kind.LOCKOUT, failures=failures, ip=ip or "?", email=True)
    throttle.save()
    return throttle


@transaction.atomic
def register_success(user: User) -> None:
    """A complete sign-in: reset the counters, flagging it when many failures came first."""
    key = normalize(user.username)
    throttle = LoginThrottle.objects.select_for_update().filter(username=key).first()
    if throttle is None:
        return
    failures = throttle.failures_since_success
    if failures >= int(settings.MEDERP_LOGIN_FLAG_AFTER_FAILURES):
        audit.record(
            "login_after_failures",
            user,
            actor=user,
            site=None,
            changes={"failures_since_last_sign_in": [None, failures]},
            reason=_("Successful sign-in after %(n)s failed attempts") % {"n": failures},
        )
        notices.notify(user, notices.Kind.LOGIN_AFTER_FAILURES, failures=failures)
    if failures or throttle.lockouts or throttle.consecutive_failures:
        throttle.consecutive_failures = 0
        throttle.failures_since_success = 0
        throttle.lockouts = 0
        throttle.user = user
        throttle.save()


@transaction.atomic
def unlock(actor: Any, throttle: LoginThrottle, reason: str) -> LoginThrottle:
    """An administrator lifts a lockout at once."""
    authz.authorize(actor, "identity.unlock_accounts")
    if not reason or not reason.strip():
        raise ValidationError({"reason": _("A reason is required to unlock an account.")})
    locked = LoginThrottle.objects.select_for_update().get(pk=throttle.pk)
    if not locked.is_locked():
        raise ValidationError(_("%(name)s is not locked.") % {"name": locked.username})
    if actor.pk is not None and locked.user_id == actor.pk:
        raise PermissionDenied(_("Segregation of duties: you cannot unlock your own account."))
    before = locked.locked_until
    locked.locked_until = None
    locked.consecutive_failures = 0
    locked.lockouts = 0
    locked.save(update_fields=["locked_until", "consecutive_failures", "lockouts"])
    audit.record(
        "unlock",
        locked.user,
        actor=actor,
        site=None,
        object_type="identity.user",
        object_repr=str(locked.user) if locked.user else locked.username,
        changes={"locked_until": [before.isoformat() if before else None, None]},
        reason=reason,
    )
    return locked


def locked_accounts() -> Any:
    return LoginThrottle.objects.filter(locked_until__gt=timezone.now()).select_related("user")


class LockoutAuthenticationBackend(AuthenticationBackend):
    """allauth's backend, refusing a locked login name before the password is even checked
    (so a locked account cannot be guessed either). Django then fires `user_login_failed`."""

    def authenticate(self, request: Any, **credentials: Any) -> Any:
        name = credentials.get("username") or credentials.get("email")
        if name and is_locked(name):
            raise PermissionDenied("locked")
        return super().authenticate(request, **credentials)
