"""Read queries for items and units.

Items, units and conversions are company-wide master data: a holder of `items.view` at any
site sees them all. What hangs off an item at a site (lots) stays scoped to the sites where
the reader holds `inventory.view`; the approved supplier list needs `partners.view`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db.models import Q, QuerySet
from django.utils.translation import get_language

from mederp.identity.authz import has_perm
from mederp.items.choices import ItemStatus, ItemType, Tracking
from mederp.items.models import Item, UnitOfMeasure, UomConversion

VIEW = "items.view"


@dataclass(frozen=True)
class ItemFilter:
    item_type: str = ""
    status: str = ""
    tracking: str = ""
    q: str = ""

    def problems(self) -> dict[str, str]:
        """Filter values that name no choice (the caller reports them as bad input)."""
        out = {}
        for name, choices in (
            ("item_type", ItemType.values),
            ("status", ItemStatus.values),
            ("tracking", Tracking.values),
        ):
            value = getattr(self, name)
            if value and value not in choices:
                out[name] = value
        return out


def items(user: Any, flt: ItemFilter | None = None) -> QuerySet[Item]:
    if not has_perm(user, VIEW):
        return Item.objects.none()
    qs = Item.objects.select_related("uom")
    flt = flt or ItemFilter()
    if flt.item_type:
        qs = qs.filter(item_type=flt.item_type)
    if flt.status:
        qs = qs.filter(status=flt.status)
    if flt.tracking:
        qs = qs.filter(tracking=flt.tracking)
    text = flt.q.strip()
    if text:
        qs = qs.filter(
            Q(code__icontains=text) | Q(name_en__icontains=text) | Q(name_zh__icontains=text)
        )
    return qs.order_by("code")


def item_for(user: Any, pk: Any) -> Item | None:
    try:
        return items(user).filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        return None


def units(user: Any) -> QuerySet[UnitOfMeasure]:
    if not has_perm(user, VIEW):
        return UnitOfMeasure.objects.none()
    return UnitOfMeasure.objects.order_by("dimension", "code")


def conversions_for(item: Item) -> list[UomConversion]:
    """The item's own conversions, then the company-wide ones that touch its base unit."""
    rows = UomConversion.objects.select_related("from_uom", "to_uom").filter(
        Q(item=item)
        | Q(item__isnull=True, from_uom=item.uom_id)
        | Q(item__isnull=True, to_uom=item.uom_id)
    )
    return sorted(rows, key=lambda c: (c.item_id is None, c.from_uom.code, c.to_uom.code))


def approved_suppliers(user: Any, item: Item) -> QuerySet[Any] | None:
    """The approved supplier list entries of the item; None when the user may not see it."""
    if not has_perm(user, "partners.view"):
        return None
    model = apps.get_model("partners", "ApprovedSupplierItem")
    return (
        model.objects.select_related("supplier")
        .filter(item=item)
        .order_by("-active", "supplier__code")
    )


def lots(user: Any, item: Item) -> QuerySet[Any]:
    model = apps.get_model("inventory", "Lot")
    qs: QuerySet[Any] = model.objects.visible_to(user, "inventory.view")
    return qs.select_related("site").filter(item=item).order_by("-created_at")


def display_name(obj: Item | UnitOfMeasure) -> str:
    """The name in the user's language (Chinese for zh-hans), the other one as a fallback."""
    chinese = (get_language() or "").lower().startswith("zh")
    first, second = (obj.name_zh, obj.name_en) if chinese else (obj.name_en, obj.name_zh)
    return first or second
