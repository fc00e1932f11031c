"""Two-factor authentication on django-allauth's MFA app.

- Who must use it: everyone, except users whose every active role is listed in
  `MEDERP_MFA_EXEMPT_ROLES` (`mfa_required`). `MFAEnrollmentMiddleware` sends a signed-in user
  who must but has no authenticator to the enrollment page before anything else.
- TOTP secrets and recovery-code seeds are stored encrypted (AES-256-GCM, key file
  `mfa-secrets.key` in the keys directory) through the adapter's encrypt/decrypt hooks.
- A used TOTP code is refused for its whole validity window (allauth marks it in the shared
  cache); a locked account is refused before the code is checked; wrong codes count toward
  the lockout and are audited (`mfa_failed`).
- The last second factor of a user who must use MFA cannot be removed.
"""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime
from typing import Any

from allauth.mfa import signals as mfa_signals
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.base.forms import AuthenticateForm as _AuthenticateForm
from allauth.mfa.base.forms import ReauthenticateForm as _ReauthenticateForm
from allauth.mfa.models import Authenticator
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from mederp import audit
from mederp.core.keys import keys_dir, secret_bytes
from mederp.identity import lockout, notices
from mederp.identity.models import RoleAssignment

SECOND_FACTORS = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)
_PREFIX = "enc1:"
_AAD = b"mederp.mfa.secret.v1"
KEY_FILE = "mfa-secrets.key"


# --- policy ---------------------------------------------------------------------------------
def exempt_roles() -> frozenset[str]:
    return frozenset(getattr(settings, "MEDERP_MFA_EXEMPT_ROLES", []) or [])


def mfa_required(user: Any) -> bool:
    """True unless every active role of the user is on the exempt list (a user without any
    role must use MFA too)."""
    exempt = exempt_roles()
    if not exempt:
        return True
    if "*" in exempt:  # everyone (tests and the demo; `mederp check --deploy` warns)
        return False
    codes = set(
        RoleAssignment.objects.active().filter(user_id=user.pk).values_list("role__code", flat=True)
    )
    return not codes or not codes <= exempt


def factors_before(user: Any, timestamp: float | None) -> bool:
    """Did the user have any authenticator (recovery codes included) before `timestamp`?"""
    if timestamp is None:
        return True
    when = datetime.fromtimestamp(timestamp, tz=UTC)
    return Authenticator.objects.filter(user_id=user.pk, created_at__lt=when).exists()


def has_second_factor(user: Any) -> bool:
    return Authenticator.objects.filter(user_id=user.pk, type__in=SECOND_FACTORS).exists()


@transaction.atomic
def reset(actor: Any, user: Any, reason: str) -> int:
    """Remove every authenticator of `user` (lost device and recovery codes); their sessions
    end and they enroll again at the next sign-in."""
    from mederp.identity import authz, sessions

    authz.authorize(actor, "identity.manage_users")
    if not reason or not reason.strip():
        raise ValidationError({"reason": _("A reason is required to reset two-factor sign-in.")})
    if getattr(actor, "pk", None) is not None and actor.pk == user.pk:
        raise PermissionDenied(_("You cannot reset your own two-factor sign-in."))
    removed = list(Authenticator.objects.filter(user_id=user.pk).values_list("type", flat=True))
    Authenticator.objects.filter(user_id=user.pk).delete()
    audit.record(
        "mfa_removed",
        user,
        actor=actor,
        site=None,
        changes={"authenticators": [sorted(removed), []]},
        reason=reason,
    )
    sessions.end_all_sessions(user, why="two-factor sign-in reset", actor=actor)
    notices.notify(user, notices.Kind.MFA_CHANGED, change=_("reset by an administrator"))
    return len(removed)


# --- secrets at rest ------------------------------------------------------------------------
class MFAKeyMissing(RuntimeError):
    """The key file is gone while encrypted secrets exist: restore it, never make a new one."""


def _cipher() -> AESGCM:
    if not (keys_dir() / KEY_FILE).exists() and Authenticator.objects.exists():
        raise MFAKeyMissing(
            f"{keys_dir() / KEY_FILE} is missing but two-factor secrets encrypted with it "
            "exist: restore the keys directory from the backup (docs/operations/keys.md)."
        )
    return AESGCM(secret_bytes(KEY_FILE))


def encrypt_secret(text: str) -> str:
    nonce = os.urandom(12)
    sealed = _cipher().encrypt(nonce, text.encode("utf-8"), _AAD)
    return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def decrypt_secret(value: str) -> str:
    if not value.startswith(_PREFIX):
        return value  # stored before encryption was introduced
    raw = base64.urlsafe_b64decode(value[len(_PREFIX) :].encode("ascii"))
    return _cipher().decrypt(raw[:12], raw[12:], _AAD).decode("utf-8")


class MFAAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        return encrypt_secret(text)

    def decrypt(self, encrypted_text: str) -> str:
        return decrypt_secret(encrypted_text)

    def get_totp_label(self, user: Any) -> str:
        return str(user.username)

    def get_totp_issuer(self) -> str:
        return str(getattr(settings, "MFA_TOTP_ISSUER", "") or "mederp")

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        """Keep at least one second factor for users who must use MFA."""
        if authenticator.type not in SECOND_FACTORS:
            return True
        if not mfa_required(authenticator.user):
            return True
        others = (
            Authenticator.objects.filter(user_id=authenticator.user_id, type__in=SECOND_FACTORS)
            .exclude(pk=authenticator.pk)
            .exists()
        )
        return others


# --- forms: a locked account is refused before the code is checked ---------------------------
class _LockoutCheck(forms.Form):
    user: Any

    def clean_code(self) -> str:
        until = lockout.locked_until(self.user.username)
        if until is not None:
            raise forms.ValidationError(lockout.locked_message(until))
        code: str = super().clean_code()  # type: ignore[misc]
        return code


class AuthenticateForm(_LockoutCheck, _AuthenticateForm):
    pass


class ReauthenticateForm(_LockoutCheck, _ReauthenticateForm):
    pass


# --- audit and notices ----------------------------------------------------------------------
def _type_label(authenticator: Authenticator) -> str:
    return str(authenticator.get_type_display())


def on_authenticator_added(
    sender: Any, request: Any = None, user: Any = None, authenticator: Any = None, **kw: Any
) -> None:
    with transaction.atomic():
        audit.record(
            "mfa_enrolled",
            user,
            actor=user,
            site=None,
            changes={"authenticator": [None, authenticator.type]},
        )
        notices.notify(
            user, notices.Kind.MFA_CHANGED, change=_("added %s") % _type_label(authenticator)
        )


def on_authenticator_removed(
    sender: Any, request: Any = None, user: Any = None, authenticator: Any = None, **kw: Any
) -> None:
    with transaction.atomic():
        audit.record(
            "mfa_removed",
            user,
            actor=user,
            site=None,
            changes={"authenticator": [authenticator.type, None]},
        )
        notices.notify(
            user, notices.Kind.MFA_CHANGED, change=_("removed %s") % _type_label(authenticator)
        )


def on_authenticator_reset(
    sender: Any, request: Any = None, user: Any = None, authenticator: Any = None, **kw: Any
) -> None:
    # The codes themselves never reach the ledger.
    audit.record(
        "mfa_recovery_codes_regenerated",
        user,
        actor=user,
        site=None,
        changes={"authenticator": [authenticator.type, authenticator.type]},
    )


def on_authentication_failed(
    sender: Any, request: Any = None, user: Any = None, authenticator: Any = None, **kw: Any
) -> None:
    audit.record(
        "mfa_failed",
        user,
        actor=None,
        actor_username=str(getattr(user, "username", "")),
        site=None,
        changes={
            "authenticator": [None, getattr(authenticator, "type", "")],
            "reauthentication": [None, bool(kw.get("reauthentication"))],
        },
    )
    lockout.register_failure(user.username, user=user, kind="mfa")


def connect() -> None:
    mfa_signals.authenticator_added.connect(on_authenticator_added, dispatch_uid="mederp.mfa.add")
    mfa_signals.authenticator_removed.connect(
        on_authenticator_removed, dispatch_uid="mederp.mfa.remove"
    )
    mfa_signals.authenticator_reset.connect(on_authenticator_reset, dispatch_uid="mederp.mfa.reset")
    mfa_signals.authentication_failed.connect(
        on_authentication_failed, dispatch_uid="mederp.mfa.failed"
    )
