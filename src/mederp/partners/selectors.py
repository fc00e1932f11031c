"""Read queries of suppliers and customers (master data: company-wide, no site scope)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from mederp.partners.choices import SupplierStatus
from mederp.partners.models import (
    ApprovedSupplierItem,
    Customer,
    Supplier,
    SupplierCertificate,
)

# A supplier in one of these states may supply the items on its approved list; a pending or
# disqualified supplier's entries are blocked (shown, but not usable for purchasing).
SUPPLYING_STATUSES = frozenset({SupplierStatus.APPROVED, SupplierStatus.CONDITIONAL})


def supplier_may_supply(supplier: Supplier) -> bool:
    return supplier.status in SUPPLYING_STATUSES


def approved_entry(
    supplier: Supplier, item: Any, manufacturer_part_no: str | None = None
) -> ApprovedSupplierItem | None:
    """The active approved-supplier-list entry for this supplier and item, or None.

    None as well when the supplier itself may not supply (pending or disqualified): its
    entries are blocked, so no purchase can lean on them. With `manufacturer_part_no`, only
    the entry for that part number counts.
    """
    if not supplier_may_supply(supplier):
        return None
    qs = ApprovedSupplierItem.objects.filter(supplier=supplier, item=item, active=True)
    if manufacturer_part_no is not None:
        qs = qs.filter(manufacturer_part_no=manufacturer_part_no)
    return qs.order_by("id").first()


def current_certificates(supplier: Supplier) -> list[SupplierCertificate]:
    """For each certificate kind, the certificate that expires last (the one in force, or the
    last one that was): an older expired certificate does not matter once it was renewed.

    Uses the supplier's prefetched certificates when there are (`suppliers()` prefetches
    them: one query for a whole list page), else one query."""
    prefetched = getattr(supplier, "_prefetched_objects_cache", {}).get("certificates")
    if prefetched is not None:
        certs = sorted(prefetched, key=lambda c: (c.kind, -c.expires_on.toordinal(), -c.id))
    else:
        certs = list(
            SupplierCertificate.objects.filter(supplier=supplier).order_by(
                "kind", "-expires_on", "-id"
            )
        )
    latest: dict[str, SupplierCertificate] = {}
    for cert in certs:
        latest.setdefault(cert.kind, cert)
    return list(latest.values())


def expired_certificates(supplier: Supplier, on: dt.date) -> list[SupplierCertificate]:
    """The latest certificate of each kind when it expired before `on` (it is valid through
    its expiry date)."""
    return [c for c in current_certificates(supplier) if c.expires_on < on]


def expiring_certificates(supplier: Supplier, on: dt.date, days: int) -> list[SupplierCertificate]:
    """The latest certificate of each kind when it is still valid on `on` but expires within
    `days` days of it."""
    limit = on + dt.timedelta(days=days)
    return [c for c in current_certificates(supplier) if on <= c.expires_on <= limit]


def warning_days() -> int:
    return int(settings.MEDERP_CERTIFICATE_WARNING_DAYS)


def certificate_state(expires_on: dt.date | None, on: dt.date | None = None) -> str:
    """ "expired", "expiring" (within MEDERP_CERTIFICATE_WARNING_DAYS) or "valid" ("" when no
    date)."""
    if expires_on is None:
        return ""
    today = on or timezone.localdate()
    if expires_on < today:
        return "expired"
    if expires_on <= today + dt.timedelta(days=warning_days()):
        return "expiring"
    return "valid"


def supplier_certificate_state(supplier: Supplier, on: dt.date | None = None) -> str:
    """The worst state over the supplier's current certificates ("" when it has none)."""
    states = {certificate_state(c.expires_on, on) for c in current_certificates(supplier)}
    for state in ("expired", "expiring", "valid"):
        if state in states:
            return state
    return ""


def suppliers(
    *, status: str = "", search: str = "", certificate: str = ""
) -> QuerySet[Supplier] | list[Supplier]:
    """Suppliers with their certificates prefetched (the list's certificate state costs one
    query per page, not one per supplier)."""
    qs = Supplier.objects.all().order_by("code").prefetch_related("certificates")
    if status:
        qs = qs.filter(status=status)
    if search:
        qs = qs.filter(
            Q(code__icontains=search) | Q(name__icontains=search) | Q(name_zh__icontains=search)
        )
    if certificate:
        return [s for s in qs if (supplier_certificate_state(s) or "none") == certificate]
    return qs


def customers(*, status: str = "", kind: str = "", search: str = "") -> QuerySet[Customer]:
    qs = Customer.objects.all().order_by("code")
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if search:
        qs = qs.filter(
            Q(code__icontains=search) | Q(name__icontains=search) | Q(name_zh__icontains=search)
        )
    return qs
