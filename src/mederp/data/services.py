"""Contact records, revealing restricted values, exports and crypto-shredding.

Every function authorizes, validates, writes and records its ledger entry in one transaction.
RESTRICTED values reach the ledger only as keyed fingerprints (subject data: keyed by the
subject's own data key), never in clear; the ledger never learns a revealed value either.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from mederp import audit
from mederp.data import destruction, exports, keyring, masking
from mederp.data.fields import BlindIndexField, KeyedHashField, keyed_hash
from mederp.data.models import DataKey, EncryptedModel, Person, ShredRequest
from mederp.data.selectors import EXPORT_PERM, PersonFilter, apply_filter, people_visible_to
from mederp.identity.authz import authorize, has_perm
from mederp.identity.authz import user_or_none as _user
from mederp.identity.models import Site

EDITABLE = ("kind", "organisation", "name", "phone", "email", "birth_date", "notes", "preferences")
_REF_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def _require_reason(reason: str, message: str) -> str:
    if not reason or not reason.strip():
        raise ValidationError({"reason": message})
    return reason.strip()


def _new_reference() -> str:
    while True:
        ref = "CT-" + "".join(secrets.choice(_REF_ALPHABET) for _ in range(10))
        if not Person.objects.filter(reference=ref).exists():
            return ref


def _set_id_number(person: Person, id_number: str | None) -> None:
    if id_number is not None:
        digest = keyed_hash(Person, "id_number_hash", id_number) if id_number else None
        person.id_number_hash = digest  # type: ignore[assignment]


# --- contact records -------------------------------------------------------------------------
@transaction.atomic
def create_person(
    actor: Any,
    *,
    site: Site,
    name: str,
    kind: str = Person.Kind.CUSTOMER,
    organisation: str = "",
    phone: str = "",
    email: str = "",
    birth_date: Any = None,
    notes: str = "",
    preferences: dict[str, Any] | None = None,
    id_number: str = "",
) -> Person:
    authorize(actor, "people.manage", site)
    person = Person(
        reference=_new_reference(),
        site=site,
        kind=kind,
        organisation=organisation.strip(),
        name=name.strip(),
        phone=phone.strip(),
        email=email.strip(),
        birth_date=birth_date,
        notes=notes.strip(),
        preferences=preferences or {},
        created_by=_user(actor),
        updated_by=_user(actor),
    )
    _set_id_number(person, id_number)
    person.full_clean()
    person.save()
    audit.record("create", person, changes=audit.diff(None, person), actor=actor, site=site)
    return person


@transaction.atomic
def update_person(actor: Any, person: Person, *, reason: str, **changes: Any) -> Person:
    """Change a contact record; `id_number=` replaces the keyed hash of the ID number."""
    authorize(actor, "people.manage", person.site)
    unknown = set(changes) - set(EDITABLE) - {"id_number"}
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    reason = _require_reason(reason, _("A reason is required to change a contact record."))
    locked = Person.objects.select_for_update().get(pk=person.pk)
    if locked.is_erased:
        raise ValidationError(_("This person's data was erased; the record cannot be changed."))
    before = audit.snapshot(locked)
    id_number = changes.pop("id_number", None)
    for name, value in changes.items():
        setattr(locked, name, value.strip() if isinstance(value, str) else value)
    _set_id_number(locked, id_number)
    locked.full_clean()
    changed = audit.diff(before, locked)
    changed.pop("enc_key", None)
    if not changed:
        return locked
    locked.updated_by = _user(actor)
    locked.version = F("version") + 1
    locked.save()
    locked.refresh_from_db(fields=["version", "updated_at"])
    changed = audit.diff(before, locked)
    audit.record("update", locked, changes=changed, reason=reason, actor=actor, site=locked.site)
    return locked


@transaction.atomic
def reveal(actor: Any, person: Person, *, reason: str) -> dict[str, Any]:
    """The clear RESTRICTED values of one record, for one look; the ledger records who, which
    record, which fields and why (never the values)."""
    authorize(actor, "data.reveal", person.site)
    reason = _require_reason(reason, _("A reason is required to reveal restricted values."))
    if person.is_erased:
        raise ValidationError(_("This person's data was erased: there is nothing to reveal."))
    names = [f.name for f in Person.encrypted_fields()]
    values = {name: masking.display(getattr(person, name)) for name in names}
    audit.record(
        "reveal",
        person,
        changes={"fields": [None, names]},
        reason=reason,
        actor=actor,
        site=person.site,
    )
    return values


# --- exports ---------------------------------------------------------------------------------
EXPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("reference", "Reference"),
    ("site", "Site"),
    ("kind", "Kind"),
    ("organisation", "Organisation"),
    ("name", "Name"),
    ("phone", "Phone"),
    ("email", "Email"),
    ("birth_date", "Date of birth"),
    ("status", "Status"),
)
MAX_EXPORT_ROWS = 10_000


EXPORTED_FIELDS = ("name", "phone", "email", "birth_date")


def _export_row(person: Person, clear: bool) -> list[Any]:
    shown = masking.present_all(person, list(EXPORTED_FIELDS), clear)
    return [
        person.reference,
        person.site.code,
        person.get_kind_display(),
        person.organisation,
        shown["name"],
        shown["phone"],
        shown["email"],
        shown["birth_date"],
        _("erased") if person.is_erased else _("active"),
    ]


@transaction.atomic
def export_people(actor: Any, flt: PersonFilter, fmt: str, *, purpose: str = "") -> bytes:
    """CSV, XLSX or PDF of the contact records `actor` may export, masked unless a purpose is
    stated by a holder of people.view_restricted at every exported record's site. Records an
    `export` ledger entry (format, rows, columns, clear or masked, filter; purpose as reason)."""
    if fmt not in exports.FORMATS:
        raise ValidationError({"format": _("Unknown export format %(fmt)s.") % {"fmt": fmt}})
    authorize(actor, EXPORT_PERM)
    purpose = (purpose or "").strip()
    clear = bool(purpose)
    visible = people_visible_to(actor, EXPORT_PERM).open_fields(*EXPORTED_FIELDS)  # type: ignore[attr-defined]
    people = list(apply_filter(visible, flt)[: MAX_EXPORT_ROWS + 1])
    if len(people) > MAX_EXPORT_ROWS:
        raise ValidationError(
            _("An export holds at most %(cap)s records. Narrow the filter.")
            % {"cap": MAX_EXPORT_ROWS}
        )
    if clear:
        refused = sorted(
            {p.site.code for p in people if not has_perm(actor, "people.view_restricted", p.site)}
        )
        if refused:
            raise PermissionDenied(
                _(
                    "An export in clear needs the permission people.view_restricted at every "
                    "exported site (missing at %(sites)s). Export without a purpose to get "
                    "masked values."
                )
                % {"sites": ", ".join(refused)}
            )
    headers = [_(label) for _key, label in EXPORT_COLUMNS]
    rows = [_export_row(p, clear) for p in people]
    data = exports.render(fmt, _("Contact people"), headers, rows)
    audit.record(
        "export",
        None,
        actor=actor,
        object_type="data.person",
        object_id="",
        object_repr=f"contact people export ({fmt.upper()}, {len(rows)} rows, "
        f"{'clear' if clear else 'masked'})",
        changes={
            "format": [None, fmt],
            "rows": [None, len(rows)],
            "columns": [None, [key for key, _label in EXPORT_COLUMNS]],
            "restricted_values": [None, "clear" if clear else "masked"],
            "filter": [None, flt.describe()],
        },
        reason=purpose,
    )
    return data


# --- crypto-shredding ------------------------------------------------------------------------
@transaction.atomic
def request_erasure(actor: Any, person: Person, *, reason: str) -> ShredRequest:
    """Step 1 of 2: ask for a person's data to be erased (a DPO approves, step 2)."""
    authorize(actor, "data.request_shred", person.site)
    reason = _require_reason(reason, _("A reason is required to request an erasure."))
    locked = Person.objects.select_for_update().get(pk=person.pk)
    if locked.is_erased:
        raise ValidationError(_("This person's data is already erased."))
    if ShredRequest.objects.filter(person=locked, status=ShredRequest.Status.PENDING).exists():
        raise ValidationError(_("An erasure request for this person is already waiting."))
    request = ShredRequest.objects.create(
        person=locked, site=locked.site, reason=reason, requested_by=actor
    )
    audit.record(
        "shred_requested",
        request,
        changes=audit.diff(None, request),
        reason=reason,
        actor=actor,
        site=locked.site,
    )
    return request


def _locked_pending(actor: Any, request: ShredRequest) -> ShredRequest:
    authorize(actor, "data.shred", request.site)
    locked = ShredRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status != ShredRequest.Status.PENDING:
        raise ValidationError(_("This erasure request was already decided."))
    if getattr(actor, "pk", None) is not None and actor.pk == locked.requested_by_id:
        raise PermissionDenied(
            _("Segregation of duties: the person who requested an erasure cannot approve it.")
        )
    return locked


def _decide(actor: Any, locked: ShredRequest, status: str, reason: str, action: str) -> None:
    """Record the DPO's decision on a locked, pending request (and its ledger entry)."""
    before = audit.snapshot(locked)
    locked.status = status
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.decision_reason = reason
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    audit.record(
        action,
        locked,
        changes=audit.diff(before, locked),
        reason=reason,
        actor=actor,
        site=locked.site,
    )


def _erase_rows(model: type[EncryptedModel], subject: str, now: Any, actor: Any) -> list[Any]:
    """Mark the subject's rows erased and drop their searchable traces (blind indexes, keyed
    hashes), which would otherwise still link them to a known value."""
    prefix = model.encryption_subject_prefix
    if not prefix or not subject.startswith(prefix + ":"):
        return []
    pk = subject.split(":", 1)[1]
    traces = {
        f.name: None
        for f in model._meta.concrete_fields
        if isinstance(f, BlindIndexField | KeyedHashField)
    }
    extra: dict[str, Any] = {}
    names = {f.name for f in model._meta.concrete_fields}
    if "erased_at" in names:
        extra["erased_at"] = now
    if "updated_by" in names:
        extra["updated_by"] = _user(actor)
    if "version" in names:
        extra["version"] = F("version") + 1
    if "updated_at" in names:
        extra["updated_at"] = now
    rows = list(model.objects.filter(pk=pk))
    model.objects.filter(pk=pk).update(**traces, **extra)
    return rows


def destroy_subject_keys(actor: Any, domain: str, subject: str, *, reason: str) -> list[DataKey]:
    """Destroy every data key of one subject (inside the caller's transaction): wipe the
    wrapped material, record each destruction, mark the rows erased, evict the keys from
    memory, and append the uids to the destruction list outside the database (last, so that
    a failure there rolls everything back)."""
    keys = list(
        DataKey.objects.select_for_update().filter(
            domain=domain, subject=subject, destroyed_at__isnull=True
        )
    )
    now = timezone.now()
    stamp = now.isoformat().replace("+00:00", "Z")
    DataKey.objects.filter(pk__in=[k.pk for k in keys]).update(
        wrapped=None, destroyed_at=now, is_current=False
    )
    for key in keys:
        audit.record(
            "key_destroyed",
            key,
            object_repr=f"{key.purpose} data key of {subject} (generation {key.generation})",
            changes={"destroyed_at": [None, stamp], "wrapped": ["[key material]", None]},
            reason=reason,
            actor=actor,
        )
    for model in encrypted_models():
        for row in _erase_rows(model, subject, now, actor):
            audit.record(
                "data_erased",
                row,
                changes={"erased_at": [None, stamp]},
                reason=reason,
                actor=actor,
                site=getattr(row, "site", None),
            )
    keyring.evict(k.pk for k in keys)
    destruction.append(str(k.uid) for k in keys)
    return keys


@transaction.atomic
def shred_subject(actor: Any, request: ShredRequest, *, reason: str) -> ShredRequest:
    """Step 2 of 2: a Data Protection Officer (not the requester) approves the erasure, which
    destroys the person's data keys. Their values then read "[erased]" everywhere, in this
    database and in every copy of it (backups included: see the destruction list)."""
    locked = _locked_pending(actor, request)
    reason = _require_reason(reason, _("A reason is required to approve an erasure."))
    person = Person.objects.select_for_update().get(pk=locked.person_id)
    domain, subject = person.encryption_scope()
    _decide(actor, locked, ShredRequest.Status.APPROVED, reason, "shred_approved")
    destroy_subject_keys(actor, domain, subject, reason=reason)
    return locked


@transaction.atomic
def reject_erasure(actor: Any, request: ShredRequest, *, reason: str) -> ShredRequest:
    locked = _locked_pending(actor, request)
    reason = _require_reason(reason, _("A reason is required to reject an erasure."))
    _decide(actor, locked, ShredRequest.Status.REJECTED, reason, "shred_rejected")
    return locked


def encrypted_models() -> list[type[EncryptedModel]]:
    from django.apps import apps

    return [
        m
        for m in apps.get_models()
        if issubclass(m, EncryptedModel) and not m._meta.abstract and not m._meta.proxy
    ]
