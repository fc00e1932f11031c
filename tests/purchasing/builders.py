"""Purchasing test data: orders built through the services (as the SYSTEM actor, so that no
person is the creator or submitter and any approver may approve)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from mederp.identity.authz import SYSTEM
from mederp.inventory.models import Location
from mederp.purchasing import services
from mederp.testing import materials as m


def quarantine(site: Any) -> Any:
    """The site's quarantine location (a warehouse with every kind, made once per site)."""
    found = Location.objects.filter(site=site, kind="quarantine").first()
    return found or m.locations(site)["quarantine"]


def supplier_item(**item_fields: Any) -> tuple[Any, Any, Any]:
    supplier = m.supplier()
    item = m.item(**item_fields)
    entry = m.approve(supplier, item)
    return supplier, item, entry


def order(
    site: Any,
    *,
    supplier: Any = None,
    item: Any = None,
    quantity: Any = "10",
    unit_price: Any = "2",
    due_date: dt.date | None = None,
    submit: bool = False,
    uom: Any = None,
    **item_fields: Any,
) -> Any:
    if supplier is None or item is None:
        supplier, item, _entry = supplier_item(**item_fields)
    po = services.create_order(SYSTEM, site=site, supplier=supplier)
    services.add_line(
        SYSTEM,
        po,
        item=item,
        quantity=Decimal(str(quantity)),
        uom=uom,
        unit_price=Decimal(str(unit_price)),
        due_date=due_date or dt.date.today() + dt.timedelta(days=14),
    )
    if submit:
        po = services.submit(SYSTEM, po)
    po.refresh_from_db()
    return po


def approved_order(site: Any, **kwargs: Any) -> Any:
    quarantine(site)
    return order(site, submit=True, **kwargs)


def pending_order(site: Any, **kwargs: Any) -> Any:
    """Above the approval amount (default 10000): 10 × 2000."""
    return order(site, submit=True, unit_price="2000", **kwargs)
