"""`sign()`: an electronic signature on any record; `verify()`: is it still what it was.

    from mederp.identity.services import sign     # re-exported from here

    sign(document, request.user, "approved", password, otp, session=request.session)

Signing re-authenticates the signer (11.200(a)): the password every time, and the TOTP code
of their authenticator app for the first signature of a session and, when
`MEDERP_SIGNATURE_TOTP = "always"`, for every signature. The signer must be the person the
request is authenticated as (11.200(a)(2)/(3): nobody signs for someone else). E-signatures
apply the segregation-of-duties rules of their meaning (an author does not approve).

A refusal (wrong password or code, signing as someone else, a disabled account, too many
failures) is recorded as `sign_failed` once the transaction has rolled back, and a wrong
password or code counts toward the account lockout.
"""

from __future__ import annotations

import importlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mederp import audit
from mederp.access import sod
from mederp.access.refusals import AuditedRefusal, audited_refusals
from mederp.audit.canonical import entry_leaf_hash, format_ts
from mederp.audit.models import AuditEntry
from mederp.core import context
from mederp.identity.models import Site, User
from mederp.signatures import totp
from mederp.signatures.content import content_hash, record_label
from mederp.signatures.models import Meaning, Method, Signature

# The session remembers that its user proved the second factor while signing (11.200(a)(1)).
SESSION_KEY = "mederp_esign_second_factor"

FAILURE_KINDS: dict[str, Promise] = {
    "not_the_signer": gettext_lazy("signer is not the signed-in user"),
    "inactive": gettext_lazy("account disabled"),
    "throttled": gettext_lazy("too many failed attempts"),
    "locked": gettext_lazy("account locked"),
    "wrong_password": gettext_lazy("wrong password"),
    "otp_missing": gettext_lazy("authenticator code missing"),
    "wrong_otp": gettext_lazy("wrong or reused authenticator code"),
}
# Guesses: these count toward the signing throttle and the account lockout.
_GUESSES = frozenset({"wrong_password", "wrong_otp"})


# --- refusals -------------------------------------------------------------------------------
class _SigningRefusal(AuditedRefusal):
    kind: str
    record_obj: Any
    actor: Any
    signer: Any
    meaning: str

    def _setup(self, kind: str, record: Any, actor: Any, signer: Any, meaning: str) -> None:
        self.kind = kind
        self.record_obj = record
        self.actor = actor
        self.signer = signer
        self.meaning = meaning

    def record(self) -> None:
        person = self.actor if getattr(self.actor, "pk", None) is not None else None
        saved = getattr(self.record_obj, "pk", None) is not None
        target: dict[str, Any] = {}
        if not saved:
            target = {"object_type": "", "object_repr": str(self.record_obj)[:300]}
        audit.record(
            "sign_failed",
            self.record_obj if saved else None,
            actor=person,
            actor_username=None if person is not None else "",
            site=record_site(self.record_obj),
            reason=str(FAILURE_KINDS.get(self.kind, self.kind)),
            changes={
                "failure": [None, self.kind],
                "meaning": [None, self.meaning],
                "signer": [None, getattr(self.signer, "username", str(self.signer))],
            },
            **target,
        )
        if self.kind in _GUESSES and person is not None:
            _count_failure(person, self.kind)


class SignatureRefused(PermissionDenied, _SigningRefusal):
    """Signing is not allowed at all (someone else's name, disabled account, throttled)."""

    def __init__(
        self, message: str, *, kind: str, record: Any, actor: Any, signer: Any, meaning: str
    ) -> None:
        super().__init__(message)
        self._setup(kind, record, actor, signer, meaning)


class SignatureCredentialsInvalid(ValidationError, _SigningRefusal):
    """The password or the authenticator code did not check out (a form error)."""

    def __init__(
        self,
        errors: dict[str, Any],
        *,
        kind: str,
        record: Any,
        actor: Any,
        signer: Any,
        meaning: str,
    ) -> None:
        super().__init__(errors)
        self._setup(kind, record, actor, signer, meaning)


# --- throttle and lockout -------------------------------------------------------------------
def _limits() -> tuple[int, int]:
    return (
        int(getattr(settings, "MEDERP_SIGNATURE_MAX_FAILURES", 5)),
        int(getattr(settings, "MEDERP_SIGNATURE_FAILURE_WINDOW", 15 * 60)),
    )


def _failure_key(user: Any) -> str:
    return f"mederp:esign-failures:{user.pk}"


def _count_failure(user: Any, kind: str) -> None:
    _, window = _limits()
    key = _failure_key(user)
    if not cache.add(key, 1, timeout=window):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=window)
    register_lockout_failure(user, kind)


def _lockout_module() -> Any:
    """`mederp.identity.lockout` (the authentication work), or None where it is absent."""
    try:
        return importlib.import_module("mederp.identity.lockout")
    except ImportError:
        return None


def register_lockout_failure(user: Any, kind: str) -> bool:
    """Count a failed signing toward the account lockout (`identity.lockout.register_failure`):
    after MEDERP_LOCKOUT_THRESHOLD consecutive failures of any kind the account is locked."""
    register = getattr(_lockout_module(), "register_failure", None)
    if register is None:
        return False
    register(user.username, user=user, kind=f"signature:{kind}")
    return True


def account_locked(user: Any) -> bool:
    is_locked = getattr(_lockout_module(), "is_locked", None)
    return bool(is_locked(user.username)) if is_locked is not None else False


def throttled(user: Any) -> bool:
    limit, _ = _limits()
    return limit > 0 and int(cache.get(_failure_key(user), 0) or 0) >= limit


def clear_failures(user: Any) -> None:
    cache.delete(_failure_key(user))


# --- helpers --------------------------------------------------------------------------------
def record_site(record: Any) -> Site | None:
    if isinstance(record, Site):
        return record
    site = getattr(record, "site", None)
    return site if isinstance(site, Site) else None


def totp_mode() -> str:
    return str(getattr(settings, "MEDERP_SIGNATURE_TOTP", "first") or "first")


def totp_required(user: Any, session: Any = None) -> bool:
    """Does this signature need the authenticator code? Only users who have one enrolled
    (MFA enrolment is the authentication module's business); then the first signature of a
    session, every signature without a session (API), or all of them when configured."""
    if not totp.has_totp(user):
        return False
    if totp_mode() == "always" or session is None:
        return True
    return bool(session.get(SESSION_KEY) != user.pk)


def printed_name(user: User) -> str:
    return user.full_name.strip() or user.username


# --- sign -----------------------------------------------------------------------------------
@audited_refusals
@transaction.atomic
def sign(
    record: models.Model,
    signer: User,
    meaning: str,
    password: str,
    otp: str | None = None,
    *,
    reason: str = "",
    session: Any = None,
) -> Signature:
    """Sign `record` as `signer` with `meaning`; returns the Signature.

    `session` (the request's session) lets the TOTP code be asked once per session; without it
    every signature by a user with TOTP needs the code.
    """
    actor = context.current().actor
    meaning_label = str(dict(Meaning.choices).get(meaning, meaning))

    def refuse(kind: str, message: str) -> SignatureRefused:
        return SignatureRefused(
            message, kind=kind, record=record, actor=actor, signer=signer, meaning=meaning
        )

    def invalid(kind: str, field: str, message: str) -> SignatureCredentialsInvalid:
        return SignatureCredentialsInvalid(
            {field: [message]},
            kind=kind,
            record=record,
            actor=actor,
            signer=signer,
            meaning=meaning,
        )

    if meaning not in Meaning.values:
        raise ValidationError(
            {"meaning": _("%(meaning)s is not a signature meaning.") % {"meaning": meaning}}
        )
    if getattr(record, "pk", None) is None:
        raise ValidationError(_("Only a saved record can be signed."))
    signer_id = getattr(signer, "pk", None)
    if (
        not isinstance(signer, User)
        or getattr(actor, "pk", None) is None
        or signer_id is None
        or int(actor.pk) != int(signer_id)
    ):
        raise refuse(
            "not_the_signer",
            _("You can sign only in your own name, as the person signed in."),
        )
    fresh_signer = User.objects.get(pk=signer.pk)
    if not fresh_signer.is_active:
        raise refuse("inactive", _("This account is disabled and cannot sign."))
    if account_locked(fresh_signer):
        raise refuse(
            "locked",
            _("This account is locked after too many failed attempts and cannot sign now."),
        )
    if throttled(fresh_signer):
        raise refuse(
            "throttled",
            _("Too many failed signing attempts. Wait a few minutes, then try again."),
        )
    if not password or not fresh_signer.check_password(password):
        raise invalid("wrong_password", "password", _("The password is not correct."))
    method = Method.PASSWORD
    if totp_required(fresh_signer, session):
        if not otp or not otp.strip():
            raise invalid("otp_missing", "otp", _("Enter the code from your authenticator app."))
        if not totp.verify_totp(fresh_signer, otp):
            raise invalid(
                "wrong_otp",
                "otp",
                _("The authenticator code is not correct or was already used."),
            )
        method = Method.PASSWORD_TOTP
    elif otp and totp.has_totp(fresh_signer) and totp.verify_totp(fresh_signer, otp):
        method = Method.PASSWORD_TOTP

    model = type(record)
    locked = model._default_manager.select_for_update().get(pk=record.pk)
    for rule in sod.rules_for_meaning(meaning):
        sod.check(rule, fresh_signer, record=locked)
    digest = content_hash(locked)
    ctype = ContentType.objects.get_for_model(model)
    if Signature.objects.filter(
        content_type=ctype,
        object_id=str(locked.pk),
        signer=fresh_signer,
        meaning=meaning,
        content_hash=digest,
    ).exists():
        raise ValidationError(
            _("You have already signed this version of the record as “%(meaning)s”.")
            % {"meaning": meaning_label}
        )
    uid = uuid.uuid4()
    name = printed_name(fresh_signer)
    site = record_site(locked)
    entry = audit.record(
        "sign",
        locked,
        actor=fresh_signer,
        site=site,
        reason=reason,
        changes={
            "signature": [None, str(uid)],
            "meaning": [None, meaning],
            "content_hash": [None, digest],
            "signer": [None, fresh_signer.pk],
            "printed_name": [None, name],
            "method": [None, str(method)],
        },
    )
    signature = Signature.objects.create(
        uid=uid,
        content_type=ctype,
        object_id=str(locked.pk),
        site=site,
        signer=fresh_signer,
        printed_name=name,
        signer_username=fresh_signer.username,
        meaning=meaning,
        signed_at=entry.created_at,
        content_hash=digest,
        method=method,
        reason=(reason or "").strip(),
        ledger_seq=entry.seq,
    )
    if session is not None and method == Method.PASSWORD_TOTP:
        session[SESSION_KEY] = fresh_signer.pk
    clear_failures(fresh_signer)
    return signature


# --- verify ---------------------------------------------------------------------------------
CURRENT = "current"
EARLIER_VERSION = "earlier_version"
INVALID = "invalid"

STATE_LABELS: dict[str, Promise] = {
    CURRENT: gettext_lazy("Applies to this version"),
    EARLIER_VERSION: gettext_lazy("Applies to an earlier version"),
    INVALID: gettext_lazy("Not valid for this record"),
}


@dataclass(frozen=True)
class SignatureCheck:
    signature: Signature
    state: str
    problems: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        return self.state != INVALID

    @property
    def current(self) -> bool:
        return self.state == CURRENT

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS[self.state])


def _ledger_problems(signature: Signature, entry: AuditEntry | None) -> list[str]:
    if entry is None:
        return ["no ledger entry"]
    if entry_leaf_hash(entry.payload.encode("utf-8")) != entry.leaf_hash:
        return ["ledger entry altered"]
    body = json.loads(entry.payload)
    changes = body.get("changes") or {}

    def new(name: str) -> Any:
        value = changes.get(name)
        return value[1] if isinstance(value, list) and len(value) == 2 else None

    expected = {
        "action": (body.get("action"), "sign"),
        "record type": (body.get("object_type"), record_label_of(signature)),
        "record id": (body.get("object_id"), signature.object_id),
        "signer": (body.get("actor_id"), signature.signer_id),
        "signature id": (new("signature"), str(signature.uid)),
        "meaning": (new("meaning"), signature.meaning),
        "content hash": (new("content_hash"), signature.content_hash),
        "printed name": (new("printed_name"), signature.printed_name),
        "time": (body.get("created_at"), format_ts(signature.signed_at)),
    }
    return [name for name, (seen, wanted) in expected.items() if seen != wanted]


def record_label_of(signature: Signature) -> str:
    model = signature.content_type.model_class()
    return str(model._meta.label_lower) if model is not None else ""


def _record_problems(signature: Signature, record: Any) -> list[str]:
    if record is None:
        return ["record missing"]
    if record_label(record) != record_label_of(signature) or str(record.pk) != signature.object_id:
        return ["belongs to another record"]
    return []


def verify(
    signature: Signature,
    record: Any = None,
    *,
    entry: AuditEntry | None = None,
    current_hash: str | None = None,
) -> SignatureCheck:
    """Check `signature` against its ledger entry and against `record` (by default the record
    it names): INVALID when anything does not match (copied, moved, altered), else
    EARLIER_VERSION when the record changed after signing, else CURRENT."""
    if entry is None:
        entry = AuditEntry.objects.filter(seq=signature.ledger_seq).first()
    if record is None:
        model = signature.content_type.model_class()
        record = (
            model._default_manager.filter(pk=signature.object_id).first()
            if model is not None
            else None
        )
    problems = _ledger_problems(signature, entry) + _record_problems(signature, record)
    if problems:
        return SignatureCheck(signature, INVALID, tuple(problems))
    digest = current_hash if current_hash is not None else stored_hash(record)
    state = CURRENT if digest == signature.content_hash else EARLIER_VERSION
    return SignatureCheck(signature, state)


def stored_hash(record: models.Model) -> str:
    """The content hash of the record as stored now (an in-memory copy may be stale or
    carry unsaved changes; what counts is what is in the database)."""
    fresh = type(record)._default_manager.filter(pk=record.pk).first()
    return content_hash(fresh if fresh is not None else record)


def signatures_of(record: models.Model) -> models.QuerySet[Signature]:
    return Signature.objects.filter(
        content_type=ContentType.objects.get_for_model(type(record)), object_id=str(record.pk)
    ).select_related("content_type")


def check_all(
    record: models.Model, signatures: Iterable[Signature] | None = None
) -> list[SignatureCheck]:
    """Every signature of `record`, verified, oldest first (four queries in all)."""
    sigs = list(signatures if signatures is not None else signatures_of(record))
    if not sigs:
        return []
    entries = {e.seq: e for e in AuditEntry.objects.filter(seq__in=[s.ledger_seq for s in sigs])}
    digest = stored_hash(record)
    return [verify(s, record, entry=entries.get(s.ledger_seq), current_hash=digest) for s in sigs]
