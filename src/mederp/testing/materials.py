"""Builders of materials test data (items, suppliers, locations, lots in stock).

They write rows directly: they set up the state a test starts from, and the services under
test are exercised by the tests themselves. `stock()` goes through the inventory service so
that movements and balances always agree.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from django.db import transaction

from mederp.identity.authz import SYSTEM

_counter = itertools.count(1)


def uom(code: str = "EA") -> Any:
    from mederp.items.models import UnitOfMeasure

    return UnitOfMeasure.objects.get(code=code)


def item(
    code: str | None = None,
    *,
    tracking: str = "lot",
    item_type: str = "component",
    status: str = "released",
    shelf_life_days: int | None = None,
    **fields: Any,
) -> Any:
    from mederp.items.models import Item

    n = next(_counter)
    return Item.objects.create(
        code=code or f"CMP-{n:05d}",
        name_en=fields.pop("name_en", f"Component {n}"),
        name_zh=fields.pop("name_zh", f"组件 {n}"),
        item_type=item_type,
        uom=fields.pop("uom", None) or uom("EA"),
        tracking=tracking,
        status=status,
        shelf_life_days=shelf_life_days,
        **fields,
    )


def supplier(code: str | None = None, *, status: str = "approved", **fields: Any) -> Any:
    from mederp.partners.models import Supplier

    n = next(_counter)
    return Supplier.objects.create(
        code=code or f"SUP{n:04d}",
        name=fields.pop("name", f"Supplier {n}"),
        status=status,
        **fields,
    )


def approve(supplier_obj: Any, item_obj: Any, part_no: str | None = None) -> Any:
    from mederp.partners.models import ApprovedSupplierItem

    return ApprovedSupplierItem.objects.create(
        supplier=supplier_obj,
        item=item_obj,
        manufacturer=supplier_obj.name,
        manufacturer_part_no=part_no or f"MPN-{next(_counter)}",
    )


def certificate(supplier_obj: Any, *, expires_on: dt.date, kind: str = "iso13485") -> Any:
    from mederp.partners.models import SupplierCertificate

    return SupplierCertificate.objects.create(
        supplier=supplier_obj, kind=kind, number=f"CERT-{next(_counter)}", expires_on=expires_on
    )


def locations(site: Any) -> dict[str, Any]:
    """A warehouse with one location of every kind: keys are the kinds."""
    from mederp.inventory.models import Location

    wh = Location.objects.create(
        site=site, code=f"{site.code}-WH", name="Warehouse", level="warehouse", kind="stock"
    )
    out = {"warehouse": wh}
    for kind in ("quarantine", "stock", "rejected", "production", "shipping"):
        out[kind] = Location.objects.create(
            site=site,
            parent=wh,
            code=f"{site.code}-{kind.upper()[:4]}",
            name=kind.title(),
            level="zone",
            kind=kind,
        )
    return out


def lot(
    item_obj: Any,
    site: Any,
    *,
    status: str = "released",
    expires_on: dt.date | None = None,
    supplier_obj: Any = None,
) -> Any:
    from mederp.inventory.models import Lot

    n = next(_counter)
    return Lot.objects.create(
        item=item_obj,
        number=f"LOT-T-{n:06d}",
        site=site,
        supplier=supplier_obj,
        supplier_lot=f"S{n}",
        status=status,
        expires_on=expires_on,
    )


def stock(
    lot_obj: Any, location: Any, quantity: Any, serials: list[str] | None = None
) -> list[Any]:
    """Put `quantity` of a lot into a location through the ledger (a receipt movement)."""
    from mederp.inventory import services
    from mederp.inventory.models import Serial

    with transaction.atomic():
        made = []
        if serials:
            made = [
                Serial.objects.create(
                    item=lot_obj.item, serial=s, lot=lot_obj, site_id=lot_obj.site_id
                )
                for s in serials
            ]
        return services._post(
            SYSTEM,
            kind="receipt",
            lot=lot_obj,
            quantity=Decimal(str(quantity)),
            to_location=location,
            serials=made,
            reference="TEST",
        )
