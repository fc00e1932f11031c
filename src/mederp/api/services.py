"""API token services: issue, revoke, authenticate, and the api_call ledger entry."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mederp import audit
from mederp.api import tokens
from mederp.api.models import ApiToken
from mederp.identity import authz
from mederp.identity.models import User

MAX_DAYS = 365


@transaction.atomic
def issue_token(
    actor: Any, *, user: User, name: str, scopes: list[str], days: int, reason: str
) -> tuple[ApiToken, str]:
    """Issue a token acting as `user`, limited to `scopes`; returns (token, secret shown once).

    A token can never do more than its user: every scope must be a permission the user holds.
    """
    authz.authorize(actor, "api.manage_tokens")
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = _("A name is required.")
    if not 1 <= days <= MAX_DAYS:
        errors["days"] = _("A token lives between 1 and %(max)s days.") % {"max": MAX_DAYS}
    if not scopes:
        errors["scopes"] = _("Give the token at least one scope.")
    held = authz.grants(user)
    beyond = sorted(set(scopes) - set(held))
    if beyond:
        errors["scopes"] = _("%(user)s does not hold: %(perms)s") % {
            "user": user.username,
            "perms": ", ".join(beyond),
        }
    if not reason.strip():
        errors["reason"] = _("A reason is required.")
    if not user.is_active:
        errors["user"] = _("%(user)s is disabled.") % {"user": user.username}
    if errors:
        raise ValidationError(errors)
    full, prefix, digest = tokens.new_token()
    token = ApiToken.objects.create(
        prefix=prefix,
        digest=digest,
        name=name.strip(),
        user=user,
        scopes=sorted(set(scopes)),
        created_by=actor if getattr(actor, "pk", None) else None,
        expires_at=timezone.now() + dt.timedelta(days=days),
    )
    audit.record(
        "create", token, changes=audit.diff(None, token), reason=reason, actor=actor, site=None
    )
    return token, full


@transaction.atomic
def revoke_token(actor: Any, token: ApiToken, reason: str) -> ApiToken:
    authz.authorize(actor, "api.manage_tokens")
    if not reason.strip():
        raise ValidationError({"reason": _("A reason is required.")})
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked_at is not None:
        raise ValidationError(_("This token is already revoked."))
    before = audit.snapshot(locked)
    locked.revoked_at = timezone.now()
    locked.save(update_fields=["revoked_at"])
    audit.record(
        "revoke", locked, changes=audit.diff(before, locked), reason=reason, actor=actor, site=None
    )
    return locked


def authenticate_token(presented: str) -> ApiToken | None:
    """The active token matching `presented`, or None; every failure is in the ledger."""
    parsed = tokens.parse(presented)
    token = None
    if parsed is not None:
        prefix, secret = parsed
        token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
        if (
            token is not None
            and tokens.matches(secret, token.digest)
            and token.active
            and token.user.is_active
        ):
            return token
    audit.record(
        "login_failed",
        token,
        actor=None,
        site=None,
        actor_username=token.user.username if token else "",
        object_type="api.apitoken",
        object_repr=f"token {parsed[0]}" if parsed else "malformed token",
        reason="unknown or malformed token"
        if token is None
        else "expired, revoked or wrong secret",
    )
    return None


def record_api_call(request: Any, response: Any) -> None:
    token = getattr(request, "auth", None)
    if not isinstance(token, ApiToken):
        return
    audit.record(
        "api_call",
        token,
        site=None,
        object_repr=f"{request.method} {request.get_full_path()[:250]} → {response.status_code}",
    )
