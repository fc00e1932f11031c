"""Security notices to a user: an in-app notice, and an email through Django's email backend.

The email is sent after the transaction commits and never blocks or breaks the action that
caused it (a mail server being down must not stop a sign-in); failures are logged.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mederp.identity.models import SecurityNotice, User

log = logging.getLogger(__name__)

Kind = SecurityNotice.Kind

_MESSAGES = {
    Kind.NEW_DEVICE: gettext_lazy(
        "You signed in from a new device: %(device)s, IP address %(ip)s, at %(time)s UTC. "
        "If this was not you, revoke the device under “My devices” and change your password."
    ),
    Kind.DEVICE_APPROVED: gettext_lazy("Your device %(device)s was approved by %(by)s."),
    Kind.DEVICE_REVOKED: gettext_lazy(
        "Your device %(device)s was revoked by %(by)s. Its sessions have ended."
    ),
    Kind.LOCKOUT: gettext_lazy(
        "Your account was locked at %(time)s UTC after %(failures)s failed sign-in attempts "
        "(last from IP address %(ip)s). If this was not you, tell your administrator."
    ),
    Kind.LOGIN_AFTER_FAILURES: gettext_lazy(
        "You signed in after %(failures)s failed attempts. If those were not yours, change "
        "your password and tell your administrator."
    ),
    Kind.MFA_CHANGED: gettext_lazy("Two-factor authentication changed: %(change)s."),
    Kind.SESSIONS_ENDED: gettext_lazy("All your sessions were ended: %(why)s."),
}


def render(notice: SecurityNotice) -> str:
    template = _MESSAGES.get(Kind(notice.kind))
    if template is None:  # pragma: no cover - every kind has a message
        return notice.get_kind_display()
    params: dict[str, Any] = {
        "device": "",
        "ip": "",
        "time": "",
        "by": "",
        "failures": "",
        "change": "",
        "why": "",
    }
    params.update(notice.details or {})
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):  # pragma: no cover - defensive
        return notice.get_kind_display()


def notify(user: User, kind: str, *, email: bool = True, **details: Any) -> SecurityNotice:
    """Record an in-app notice for `user` and, after commit, email it when they have an
    address. Runs in the caller's transaction."""
    details.setdefault("time", timezone.now().strftime("%Y-%m-%d %H:%M"))
    notice = SecurityNotice.objects.create(user=user, kind=kind, details=details)
    if email and user.email:
        transaction.on_commit(lambda: _send(notice.pk))
    return notice


def _send(notice_id: int) -> None:
    notice = SecurityNotice.objects.select_related("user").filter(pk=notice_id).first()
    if notice is None:
        return
    user = notice.user
    language = user.preferred_language or settings.LANGUAGE_CODE
    try:
        with translation.override(language):
            subject = _("[mederp] Security notice: %(kind)s") % {"kind": notice.get_kind_display()}
            body = render(notice)
        send_mail(subject, body, None, [user.email], fail_silently=False)
    except Exception:  # a mail problem must never break the sign-in that caused it
        log.warning("security notice email failed", exc_info=True, extra={"notice": notice_id})


def unread_count(user: Any) -> int:
    if not getattr(user, "is_authenticated", False) or user.pk is None:
        return 0
    return SecurityNotice.objects.filter(user_id=user.pk, read_at__isnull=True).count()


def mark_read(user: User) -> int:
    return SecurityNotice.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
