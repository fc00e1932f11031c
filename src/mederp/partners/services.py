"""Suppliers (qualification, approved supplier list, certificates, contacts) and customers.

Suppliers and customers are company-wide master data: permissions are checked as held at any
site (`authorize(actor, perm)`), and their ledger entries carry no site. Every function
authorizes, validates, writes and records its ledger entry in one transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mederp import audit
from mederp.core import attachments
from mederp.data import services as data_services
from mederp.data.models import Person
from mederp.identity.authz import authorize
from mederp.identity.authz import user_or_none as _user
from mederp.identity.models import Site
from mederp.items.choices import ItemStatus
from mederp.items.models import Item
from mederp.partners.choices import (
    CertificateKind,
    ContactRole,
    CustomerKind,
    CustomerStatus,
    LicenceType,
    SupplierStatus,
)
from mederp.partners.models import (
    ApprovedSupplierItem,
    Customer,
    CustomerContact,
    Supplier,
    SupplierCertificate,
    SupplierContact,
    SupplierStatusChange,
)


class CertificateFileAltered(Exception):
    """The stored file of a certificate no longer has the SHA-256 recorded at upload."""


MANAGE_SUPPLIERS = "partners.manage_suppliers"
QUALIFY_SUPPLIERS = "partners.qualify_suppliers"
MANAGE_CUSTOMERS = "partners.manage_customers"

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9._-]{1,19}$")
SUPPLIER_FIELDS = ("name", "name_zh", "country", "address", "notes")
CUSTOMER_FIELDS = (
    "name",
    "name_zh",
    "kind",
    "country",
    "address",
    "licence_type",
    "licence_no",
    "licence_expires_on",
)


def _reason(reason: str | None, message: str) -> str:
    if not reason or not reason.strip():
        raise ValidationError({"reason": message})
    return reason.strip()


def clean_code(code: str) -> str:
    value = (code or "").strip().upper()
    if not CODE_PATTERN.match(value):
        raise ValidationError(
            {
                "code": _(
                    "A code has 2 to 20 characters: capital letters, digits, '.', '_' or '-', "
                    "starting with a letter or digit."
                )
            }
        )
    return value


def clean_country(value: str) -> str:
    text = (value or "").strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", text):
        raise ValidationError(
            {"country": _("Give the two-letter country code (ISO 3166), e.g. CN.")}
        )
    return text


def _clean_text(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v.strip() if isinstance(v, str) else v for k, v in values.items()}


def _full_clean(obj: Any) -> None:
    # Model validation gives the unique-code and choice messages in the user's language.
    obj.full_clean(exclude=["created_by", "updated_by", "approved_by", "attachment"])


# --- suppliers -----------------------------------------------------------------------------------
@transaction.atomic
def create_supplier(
    actor: Any,
    *,
    code: str,
    name: str,
    name_zh: str = "",
    country: str = "CN",
    address: str = "",
    notes: str = "",
) -> Supplier:
    """A new supplier starts pending qualification (the first row of its history)."""
    authorize(actor, MANAGE_SUPPLIERS)
    now = timezone.now()
    supplier = Supplier(
        code=clean_code(code),
        country=clean_country(country),
        status=SupplierStatus.PENDING,
        status_changed_at=now,
        created_by=_user(actor),
        updated_by=_user(actor),
        **_clean_text({"name": name, "name_zh": name_zh, "address": address, "notes": notes}),
    )
    _full_clean(supplier)
    supplier.save()
    SupplierStatusChange.objects.create(
        supplier=supplier,
        from_status="",
        to_status=SupplierStatus.PENDING,
        reason=_("Supplier created"),
        changed_by=_user(actor),
        changed_at=now,
    )
    audit.record("create", supplier, changes=audit.diff(None, supplier), actor=actor, site=None)
    return supplier


@transaction.atomic
def update_supplier(
    actor: Any, supplier: Supplier, *, reason: str = "", **changes: Any
) -> Supplier:
    """Change a supplier's details; the qualification status changes only through
    `change_supplier_status`."""
    authorize(actor, MANAGE_SUPPLIERS)
    unknown = sorted(set(changes) - set(SUPPLIER_FIELDS))
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed here: %(fields)s.") % {"fields": ", ".join(unknown)}
        )
    locked = Supplier.objects.select_for_update().get(pk=supplier.pk)
    before = audit.snapshot(locked)
    changes = _clean_text(changes)
    if "country" in changes:
        changes["country"] = clean_country(changes["country"])
    for name, value in changes.items():
        setattr(locked, name, value)
    diff = audit.diff(before, locked)
    if not diff:
        return locked
    locked.version += 1
    locked.updated_by = _user(actor)
    _full_clean(locked)
    locked.save()
    audit.record(
        "update", locked, changes=audit.diff(before, locked), reason=reason, actor=actor, site=None
    )
    return locked


# Which qualification status may follow which: a disqualified supplier is re-qualified through
# pending (a new qualification), never straight back to approved.
STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    SupplierStatus.PENDING: frozenset(
        {SupplierStatus.APPROVED, SupplierStatus.CONDITIONAL, SupplierStatus.DISQUALIFIED}
    ),
    SupplierStatus.APPROVED: frozenset({SupplierStatus.CONDITIONAL, SupplierStatus.DISQUALIFIED}),
    SupplierStatus.CONDITIONAL: frozenset({SupplierStatus.APPROVED, SupplierStatus.DISQUALIFIED}),
    SupplierStatus.DISQUALIFIED: frozenset({SupplierStatus.PENDING}),
}


@transaction.atomic
def change_supplier_status(
    actor: Any, supplier: Supplier, *, to_status: str, reason: str
) -> Supplier:
    authorize(actor, QUALIFY_SUPPLIERS)
    reason = _reason(reason, _("Give the reason for the qualification status change."))
    if to_status not in SupplierStatus.values:
        raise ValidationError({"to_status": _("Unknown qualification status.")})
    locked = Supplier.objects.select_for_update().get(pk=supplier.pk)
    if to_status not in STATUS_TRANSITIONS[locked.status]:
        raise ValidationError(
            {
                "to_status": _("A supplier cannot go from %(old)s to %(new)s.")
                % {
                    "old": SupplierStatus(locked.status).label,
                    "new": SupplierStatus(to_status).label,
                }
            }
        )
    before = audit.snapshot(locked)
    old = locked.status
    now = timezone.now()
    locked.status = to_status
    locked.status_changed_at = now
    locked.version += 1
    locked.updated_by = _user(actor)
    locked.save()
    SupplierStatusChange.objects.create(
        supplier=locked,
        from_status=old,
        to_status=to_status,
        reason=reason,
        changed_by=_user(actor),
        changed_at=now,
    )
    audit.record(
        "transition",
        locked,
        changes=audit.diff(before, locked),
        reason=reason,
        actor=actor,
        site=None,
    )
    return locked


@transaction.atomic
def add_approved_item(
    actor: Any,
    supplier: Supplier,
    *,
    item: Item,
    manufacturer_part_no: str,
    manufacturer: str = "",
    notes: str = "",
) -> ApprovedSupplierItem:
    """Put supplier × item × manufacturer part number on the approved supplier list (or
    reactivate that entry). Refused for a disqualified supplier and an obsolete item."""
    authorize(actor, QUALIFY_SUPPLIERS)
    locked = Supplier.objects.select_for_update().get(pk=supplier.pk)
    if locked.status == SupplierStatus.DISQUALIFIED:
        raise ValidationError(
            _("Supplier %(code)s is disqualified: it gets no approved supplier list entries.")
            % {"code": locked.code}
        )
    if item.status == ItemStatus.OBSOLETE:
        raise ValidationError({"item": _("Item %(code)s is obsolete.") % {"code": item.code}})
    part_no = (manufacturer_part_no or "").strip()
    if not part_no:
        raise ValidationError({"manufacturer_part_no": _("Give the manufacturer part number.")})
    now = timezone.now()
    entry = (
        ApprovedSupplierItem.objects.select_for_update()
        .filter(supplier=locked, item=item, manufacturer_part_no=part_no)
        .first()
    )
    if entry is not None and entry.active:
        raise ValidationError(
            _("%(item)s with part number %(part)s is already on this supplier's approved list.")
            % {"item": item.code, "part": part_no}
        )
    before = audit.snapshot(entry) if entry is not None else None
    if entry is None:
        entry = ApprovedSupplierItem(
            supplier=locked, item=item, manufacturer_part_no=part_no, created_by=_user(actor)
        )
    else:
        entry.version += 1
    entry.manufacturer = manufacturer.strip() or entry.manufacturer
    entry.notes = notes.strip()
    entry.active = True
    entry.approved_at = now
    entry.approved_by = _user(actor)
    entry.updated_by = _user(actor)
    _full_clean(entry)
    entry.save()
    audit.record("approve", entry, changes=audit.diff(before, entry), actor=actor, site=None)
    return entry


@transaction.atomic
def deactivate_approved_item(
    actor: Any, entry: ApprovedSupplierItem, *, reason: str
) -> ApprovedSupplierItem:
    authorize(actor, QUALIFY_SUPPLIERS)
    reason = _reason(reason, _("Give the reason for removing the entry from the approved list."))
    locked = ApprovedSupplierItem.objects.select_for_update().get(pk=entry.pk)
    if not locked.active:
        raise ValidationError(_("This entry is already inactive."))
    before = audit.snapshot(locked)
    locked.active = False
    locked.version += 1
    locked.updated_by = _user(actor)
    locked.save()
    audit.record(
        "update", locked, changes=audit.diff(before, locked), reason=reason, actor=actor, site=None
    )
    return locked


@transaction.atomic
def add_certificate(
    actor: Any,
    supplier: Supplier,
    *,
    kind: str,
    number: str,
    expires_on: dt.date,
    issuer: str = "",
    valid_from: dt.date | None = None,
    upload: Any = None,
) -> SupplierCertificate:
    """Record a certificate (a renewal is a new certificate of the same kind: the latest one
    counts). The scanned certificate is required and stored as its attachment: a certificate
    without its scan does not count (otherwise anyone recording certificates could clear the
    expired-certificate block by typing a number and a date)."""
    authorize(actor, MANAGE_SUPPLIERS)
    if kind not in CertificateKind.values:
        raise ValidationError({"kind": _("Unknown certificate kind.")})
    if expires_on is None:
        raise ValidationError({"expires_on": _("Give the expiry date.")})
    if valid_from is not None and valid_from > expires_on:
        raise ValidationError({"valid_from": _("A certificate cannot expire before it is valid.")})
    if upload is None:
        raise ValidationError(
            {
                "attachment": _(
                    "Attach the scanned certificate (PDF, PNG or JPEG): a certificate is "
                    "recorded only with its scan."
                )
            }
        )
    cert = SupplierCertificate(
        supplier=supplier,
        kind=kind,
        number=(number or "").strip(),
        issuer=(issuer or "").strip(),
        valid_from=valid_from,
        expires_on=expires_on,
        created_by=_user(actor),
    )
    _full_clean(cert)
    cert.save()
    try:
        cert.attachment = attachments.store(actor, upload, obj=cert)
    except ValidationError as exc:
        raise ValidationError({"attachment": exc.messages}) from exc
    cert.save(update_fields=["attachment"])
    audit.record("create", cert, changes=audit.diff(None, cert), actor=actor, site=None)
    return cert


def _contact_person(
    actor: Any,
    *,
    kind: str,
    organisation: str,
    site: Site | None,
    name: str,
    phone: str,
    email: str,
) -> Person:
    site = site or getattr(actor, "default_site", None)
    if site is None:
        raise ValidationError({"site": _("Choose the site that keeps this contact's record.")})
    return data_services.create_person(
        actor,
        site=site,
        kind=kind,
        organisation=organisation,
        name=name,
        phone=phone,
        email=email,
    )


def _primary_links(links: Any, primary: bool) -> list[Any]:
    """The current primary contact links, locked, when a new primary contact is coming."""
    return list(links.select_for_update().filter(primary=True)) if primary else []


def _demote(actor: Any, links: list[Any], new_primary: Any) -> None:
    """The previous primary contacts stop being primary, each with its own ledger entry that
    names the link that replaced it (the person's name stays out of the ledger)."""
    for link in links:
        before = audit.snapshot(link)
        link.primary = False
        link.save(update_fields=["primary"])
        audit.record(
            "update",
            link,
            changes=audit.diff(before, link),
            reason=_("Replaced as primary contact by contact link %(id)s.")
            % {"id": new_primary.pk},
            actor=actor,
            site=None,
        )


def _check_role(role: str) -> None:
    if role not in ContactRole.values:
        raise ValidationError({"role": _("Unknown contact role.")})


@transaction.atomic
def certificate_file(actor: Any, cert: SupplierCertificate) -> Any:
    """The certificate's stored scan, for download: the file's SHA-256 is checked against the
    one recorded at upload and the download is recorded in the ledger (an `export`).

    Raises `CertificateFileAltered` when the stored file no longer matches its hash: it is not
    served (the refusal is logged by the caller)."""
    authorize(actor, "partners.view")
    attachment = cert.attachment
    if attachment is None:
        raise ValidationError(_("This certificate has no file."))
    if not attachments.verify_file(attachment):
        raise CertificateFileAltered(
            _(
                "The stored file of certificate %(number)s does not match the checksum recorded "
                "at upload: it was changed or damaged and is not served. Tell your "
                "administrator."
            )
            % {"number": cert.number}
        )
    audit.record(
        "export",
        cert,
        changes={
            "file": [None, attachment.name],
            "sha256": [None, attachment.sha256],
            "size": [None, attachment.size],
        },
        actor=actor,
        site=None,
    )
    return attachment


@transaction.atomic
def add_supplier_contact(
    actor: Any,
    supplier: Supplier,
    *,
    name: str,
    role: str,
    phone: str = "",
    email: str = "",
    primary: bool = False,
    site: Site | None = None,
) -> SupplierContact:
    """The person's data go to an encrypted `data.Person` (needs people.manage at its site);
    the link records only who is whose contact."""
    authorize(actor, MANAGE_SUPPLIERS)
    link: SupplierContact = _add_contact(
        actor,
        SupplierContact,
        {"supplier": supplier},
        kind=Person.Kind.SUPPLIER,
        organisation=supplier.name,
        name=name,
        role=role,
        phone=phone,
        email=email,
        primary=primary,
        site=site,
    )
    return link


def _add_contact(
    actor: Any,
    link_model: Any,
    owner: dict[str, Any],
    *,
    kind: str,
    organisation: str,
    name: str,
    role: str,
    phone: str,
    email: str,
    primary: bool,
    site: Site | None,
) -> Any:
    """Supplier and customer contacts alike: the encrypted person, the link, its ledger entry
    and the demotion of the previous primary contact (the caller authorizes)."""
    _check_role(role)
    person = _contact_person(
        actor,
        kind=kind,
        organisation=organisation,
        site=site,
        name=name,
        phone=phone,
        email=email,
    )
    demoted = _primary_links(link_model.objects.filter(**owner), primary)
    link = link_model.objects.create(**owner, person=person, role=role, primary=primary)
    audit.record("create", link, changes=audit.diff(None, link), actor=actor, site=None)
    _demote(actor, demoted, link)
    return link


# --- customers -----------------------------------------------------------------------------------
def check_customer(customer: Customer) -> None:
    if customer.kind not in CustomerKind.values:
        raise ValidationError({"kind": _("Choose hospital, distributor or other.")})
    if customer.licence_type and customer.licence_type not in LicenceType.values:
        raise ValidationError({"licence_type": _("Unknown licence type.")})
    if (customer.licence_no or customer.licence_expires_on) and not customer.licence_type:
        raise ValidationError({"licence_type": _("Give the licence type of this licence.")})
    if customer.licence_type and not customer.licence_no:
        raise ValidationError({"licence_no": _("Give the licence number.")})


@transaction.atomic
def create_customer(
    actor: Any,
    *,
    code: str,
    name: str,
    kind: str,
    name_zh: str = "",
    country: str = "CN",
    address: str = "",
    licence_type: str = "",
    licence_no: str = "",
    licence_expires_on: dt.date | None = None,
) -> Customer:
    authorize(actor, MANAGE_CUSTOMERS)
    customer = Customer(
        code=clean_code(code),
        country=clean_country(country),
        kind=kind,
        licence_expires_on=licence_expires_on,
        status=CustomerStatus.ACTIVE,
        created_by=_user(actor),
        updated_by=_user(actor),
        **_clean_text(
            {
                "name": name,
                "name_zh": name_zh,
                "address": address,
                "licence_type": licence_type or "",
                "licence_no": licence_no,
            }
        ),
    )
    check_customer(customer)
    _full_clean(customer)
    customer.save()
    audit.record("create", customer, changes=audit.diff(None, customer), actor=actor, site=None)
    return customer


@transaction.atomic
def update_customer(
    actor: Any, customer: Customer, *, reason: str = "", **changes: Any
) -> Customer:
    authorize(actor, MANAGE_CUSTOMERS)
    unknown = sorted(set(changes) - set(CUSTOMER_FIELDS))
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed here: %(fields)s.") % {"fields": ", ".join(unknown)}
        )
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    before = audit.snapshot(locked)
    changes = _clean_text(changes)
    if "country" in changes:
        changes["country"] = clean_country(changes["country"])
    for name, value in changes.items():
        setattr(locked, name, "" if value is None and name != "licence_expires_on" else value)
    diff = audit.diff(before, locked)
    if not diff:
        return locked
    check_customer(locked)
    locked.version += 1
    locked.updated_by = _user(actor)
    _full_clean(locked)
    locked.save()
    audit.record("update", locked, changes=diff, reason=reason, actor=actor, site=None)
    return locked


@transaction.atomic
def set_customer_status(actor: Any, customer: Customer, *, status: str, reason: str) -> Customer:
    """Block or re-activate a customer; the reason stays in the ledger (the customer's trail)."""
    authorize(actor, MANAGE_CUSTOMERS)
    reason = _reason(reason, _("Give the reason for the status change."))
    if status not in CustomerStatus.values:
        raise ValidationError({"status": _("Unknown customer status.")})
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    if locked.status == status:
        raise ValidationError(
            {
                "status": _("The customer is already %(status)s.")
                % {"status": CustomerStatus(status).label}
            }
        )
    before = audit.snapshot(locked)
    locked.status = status
    locked.version += 1
    locked.updated_by = _user(actor)
    locked.save()
    audit.record(
        "transition",
        locked,
        changes=audit.diff(before, locked),
        reason=reason,
        actor=actor,
        site=None,
    )
    return locked


@transaction.atomic
def add_customer_contact(
    actor: Any,
    customer: Customer,
    *,
    name: str,
    role: str,
    phone: str = "",
    email: str = "",
    primary: bool = False,
    site: Site | None = None,
) -> CustomerContact:
    authorize(actor, MANAGE_CUSTOMERS)
    link: CustomerContact = _add_contact(
        actor,
        CustomerContact,
        {"customer": customer},
        kind=Person.Kind.CUSTOMER,
        organisation=customer.name,
        name=name,
        role=role,
        phone=phone,
        email=email,
        primary=primary,
        site=site,
    )
    return link
