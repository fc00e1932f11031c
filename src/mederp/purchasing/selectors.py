"""Read queries of purchase orders and receipts, scoped to the sites where the user holds the
permission; prices are shown only to holders of purchasing.view_prices at the order's site."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from mederp.identity.authz import has_perm
from mederp.purchasing import services
from mederp.purchasing.choices import PoStatus
from mederp.purchasing.models import PurchaseOrder, PurchaseOrderLine, Receipt

VIEW = "purchasing.view"
PRICES = "purchasing.view_prices"
HIDDEN = "—"


def may_see_prices(user: Any, site: Any) -> bool:
    return has_perm(user, PRICES, site)


def price(user: Any, site: Any, value: Any) -> str:
    """A CONFIDENTIAL amount as shown to `user`: the value, or "—" without view_prices."""
    if not may_see_prices(user, site):
        return HIDDEN
    return "" if value is None else str(value)


@dataclass(frozen=True)
class OrderFilter:
    status: str = ""
    supplier: Any = None
    site: Any = None
    search: str = ""


def orders(user: Any, flt: OrderFilter | None = None, perm: str = VIEW) -> QuerySet[Any]:
    flt = flt or OrderFilter()
    qs = PurchaseOrder.objects.visible_to(user, perm).select_related("site", "supplier")
    if flt.status:
        qs = qs.filter(status=flt.status)
    if flt.supplier is not None:
        qs = qs.filter(supplier=flt.supplier)
    if flt.site is not None:
        qs = qs.filter(site=flt.site)
    if flt.search:
        qs = qs.filter(number__icontains=flt.search.strip())
    return qs.order_by("-number")


def order_for(user: Any, pk: Any, perm: str = VIEW) -> PurchaseOrder | None:
    try:
        return orders(user, perm=perm).filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        return None


def lines_of(order: PurchaseOrder) -> list[PurchaseOrderLine]:
    return list(order.lines.select_related("item", "uom", "approved_supplier").order_by("line_no"))


def line_for(user: Any, pk: Any, perm: str = VIEW) -> PurchaseOrderLine | None:
    try:
        key = int(pk)
    except (TypeError, ValueError):
        return None
    return (
        PurchaseOrderLine.objects.visible_to(user, perm)
        .select_related("order", "order__site", "order__supplier", "item", "item__uom", "uom")
        .filter(pk=key)
        .first()
    )


def open_lines(user: Any, search: str = "") -> QuerySet[Any]:
    """Lines of approved or partly received orders at the sites where the user receives."""
    qs = (
        PurchaseOrderLine.objects.visible_to(user, services.RECEIVE)
        .filter(order__status__in=services.RECEIVABLE)
        .select_related("order", "order__site", "order__supplier", "item", "uom")
        .order_by("due_date", "order__number", "line_no")
    )
    if search:
        text = search.strip()
        by_item = qs.filter(item__code__iexact=text) | qs.filter(item__gtin=text)
        qs = qs.filter(order__number__icontains=text) | by_item
    return qs


def is_open(line: PurchaseOrderLine) -> bool:
    return line.received_quantity < line.quantity


def receipts(user: Any, order: PurchaseOrder | None = None) -> QuerySet[Any]:
    qs = Receipt.objects.visible_to(user, VIEW).select_related(
        "site",
        "line",
        "line__order",
        "line__order__supplier",
        "line__item",
        "uom",
        "lot",
        "location",
    )
    if order is not None:
        qs = qs.filter(line__order=order)
    return qs.order_by("-received_at", "-id")


def receipt_for(user: Any, pk: Any) -> Receipt | None:
    try:
        return receipts(user).filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        return None


def order_notes(order: PurchaseOrder, on: dt.date | None = None) -> tuple[list[str], str]:
    """What the PO page shows about the supplier now: (warnings, refusal). The refusal is the
    message that would stop new lines or receipts ("" when none)."""
    try:
        return services.supplier_notes(order.supplier, on or timezone.localdate()), ""
    except ValidationError as exc:
        return [], " ".join(exc.messages)


def can_approve(user: Any, order: PurchaseOrder) -> bool:
    """The approve button: the permission, and not one of the order's authors (creator,
    anyone who changed it or its lines, submitter)."""
    return (
        order.status == PoStatus.PENDING_APPROVAL
        and has_perm(user, services.APPROVE, order.site)
        and user.pk not in (order.created_by_id, order.submitted_by_id)
        and user.pk not in services.authors(order)
    )
