"""Read queries: stock on hand (from the balance cache), the same from the ledger itself,
the proof that both agree, and FEFO picking suggestions."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, Sum
from django.utils import timezone

from mederp.inventory.choices import LocationKind, LotStatus
from mederp.inventory.models import (
    CycleCount,
    Location,
    Lot,
    Serial,
    StockBalance,
    StockMove,
)

ZERO = Decimal(0)


def on_hand(item: Any, *, site: Any = None, lot: Any = None, location: Any = None) -> Decimal:
    """Quantity on hand of an item (in its base unit), from the balance cache."""
    rows = StockBalance.objects.filter(item=item)
    if site is not None:
        rows = rows.filter(location__site=site)
    if lot is not None:
        rows = rows.filter(lot=lot)
    if location is not None:
        rows = rows.filter(location=location)
    return rows.aggregate(total=Sum("quantity"))["total"] or ZERO


def on_hand_from_ledger(item: Any, *, lot: Any = None, location: Any = None) -> Decimal:
    """The same figure summed from the immutable movement rows (slow path, for proofs)."""
    moves = StockMove.objects.filter(item=item)
    if lot is not None:
        moves = moves.filter(lot=lot)
    into = moves if location is None else moves.filter(to_location=location)
    out = moves if location is None else moves.filter(from_location=location)
    gained = into.filter(to_location__isnull=False).aggregate(t=Sum("quantity"))["t"] or ZERO
    lost = out.filter(from_location__isnull=False).aggregate(t=Sum("quantity"))["t"] or ZERO
    return gained - lost


def ledger_balances() -> dict[tuple[int, int], Decimal]:
    """(lot id, location id) → quantity, summed from every movement row."""
    sums: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    for lot_id, loc_id, total in (
        StockMove.objects.filter(to_location__isnull=False)
        .values_list("lot_id", "to_location_id")
        .annotate(total=Sum("quantity"))
        .order_by()
    ):
        sums[(lot_id, loc_id)] += total
    for lot_id, loc_id, total in (
        StockMove.objects.filter(from_location__isnull=False)
        .values_list("lot_id", "from_location_id")
        .annotate(total=Sum("quantity"))
        .order_by()
    ):
        sums[(lot_id, loc_id)] -= total
    return dict(sums)


@dataclass(frozen=True)
class Mismatch:
    lot_id: int
    location_id: int
    ledger: Decimal
    cached: Decimal


def balance_mismatches() -> list[Mismatch]:
    """Every lot × location where the balance cache differs from the ledger (empty: proven)."""
    ledger = ledger_balances()
    cached = {
        (lot_id, loc_id): qty
        for lot_id, loc_id, qty in StockBalance.objects.values_list(
            "lot_id", "location_id", "quantity"
        )
    }
    out = []
    for key in sorted(set(ledger) | set(cached)):
        a, b = ledger.get(key, ZERO), cached.get(key, ZERO)
        if a != b:
            out.append(Mismatch(key[0], key[1], a, b))
    return out


@dataclass(frozen=True)
class Pick:
    lot_number: str
    expires_on: dt.date | None
    location_code: str
    quantity: Decimal


def fefo(item: Any, quantity: Decimal, *, site: Any, today: dt.date | None = None) -> list[Pick]:
    """First-expired-first-out: released, unexpired stock of the item at the site in
    released-stock locations, earliest expiry first (lots without expiry last, then oldest
    lot), until `quantity` is covered. Fewer picks than asked when stock is short."""
    today = today or timezone.localdate()
    rows = (
        StockBalance.objects.filter(
            item=item,
            quantity__gt=0,
            location__site=site,
            location__kind=LocationKind.STOCK,
            lot__status=LotStatus.RELEASED,
        )
        .filter(Q(lot__expires_on__isnull=True) | Q(lot__expires_on__gte=today))
        .select_related("lot", "location")
        .order_by("lot__expires_on", "lot__created_at", "lot__number", "location__code")
    )
    # NULL sorts first on SQLite and last on PostgreSQL: put lots without expiry last here.
    ordered = sorted(rows, key=lambda b: (b.lot.expires_on is None,))
    picks: list[Pick] = []
    remaining = Decimal(quantity)
    for balance in ordered:
        if remaining <= 0:
            break
        take = min(remaining, balance.quantity)
        picks.append(Pick(balance.lot.number, balance.lot.expires_on, balance.location.code, take))
        remaining -= take
    return picks


# --- scoped reads for pages and the API ------------------------------------------------------
VIEW = "inventory.view"


def locations_for(user: Any, perm: str = VIEW) -> Any:
    return Location.objects.visible_to(user, perm).select_related("site", "parent")


def location_tree(user: Any) -> list[tuple[Location, int]]:
    """(location, depth) in tree order: each site's warehouses, their zones, their bins."""
    rows = list(locations_for(user).order_by("site__code", "code"))
    children: dict[int | None, list[Location]] = defaultdict(list)
    known = {loc.pk for loc in rows}
    for loc in rows:
        children[loc.parent_id if loc.parent_id in known else None].append(loc)
    out: list[tuple[Location, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for loc in children.get(parent, []):
            out.append((loc, depth))
            walk(loc.pk, depth + 1)

    walk(None, 0)
    return out


@dataclass(frozen=True)
class LotFilter:
    item: str = ""  # item code
    status: str = ""
    site: Any = None
    expires_before: dt.date | None = None
    number: str = ""


def lots_for(user: Any, flt: LotFilter | None = None) -> Any:
    flt = flt or LotFilter()
    lots = Lot.objects.visible_to(user, VIEW).select_related("item", "site", "supplier")
    if flt.item:
        lots = lots.filter(item__code=flt.item.strip().upper())
    if flt.status:
        lots = lots.filter(status=flt.status)
    if flt.site is not None:
        lots = lots.filter(site=flt.site)
    if flt.expires_before is not None:
        lots = lots.filter(expires_on__lt=flt.expires_before)
    if flt.number:
        lots = lots.filter(number__icontains=flt.number.strip())
    return lots


def lot_for(user: Any, pk: Any) -> Lot | None:
    lot: Lot | None = lots_for(user).filter(pk=pk).first()
    return lot


def lot_by_number(user: Any, number: str) -> Lot | None:
    lot: Lot | None = lots_for(user).filter(number=number.strip()).first()
    return lot


def serials_for(user: Any, *, status: str = "", lot: Any = None, item: str = "") -> Any:
    serials = Serial.objects.visible_to(user, VIEW).select_related("item", "lot", "location")
    if status:
        serials = serials.filter(status=status)
    if lot is not None:
        serials = serials.filter(lot=lot)
    if item:
        serials = serials.filter(item__code=item.strip().upper())
    return serials


def moves_for(
    user: Any, *, lot: Any = None, item: str = "", location: Any = None, kind: str = ""
) -> Any:
    moves = StockMove.objects.visible_to(user, VIEW).select_related(
        "item", "lot", "serial", "from_location", "to_location", "uom", "created_by"
    )
    if lot is not None:
        moves = moves.filter(lot=lot)
    if item:
        moves = moves.filter(item__code=item.strip().upper())
    if location is not None:
        moves = moves.filter(Q(from_location=location) | Q(to_location=location))
    if kind:
        moves = moves.filter(kind=kind)
    return moves


def balances_for(user: Any, *, site: Any = None) -> Any:
    rows = StockBalance.objects.visible_to(user, VIEW).filter(quantity__gt=0)
    if site is not None:
        rows = rows.filter(location__site=site)
    return rows


STOCK_VIEWS = ("item", "lot", "location")


def stock(user: Any, by: str, *, site: Any = None, item: str = "") -> list[dict[str, Any]]:
    """On hand grouped by item, by lot (with its status and expiry) or by lot × location."""
    rows = balances_for(user, site=site)
    if item:
        rows = rows.filter(item__code=item.strip().upper())
    if by == "item":
        return list(
            rows.values(
                "item_id", "item__code", "item__name_en", "item__name_zh", "item__uom__code"
            )
            .annotate(quantity=Sum("quantity"))
            .order_by("item__code")
        )
    if by == "lot":
        return list(
            rows.values(
                "lot_id",
                "lot__number",
                "lot__status",
                "lot__expires_on",
                "lot__site__code",
                "item__code",
                "item__uom__code",
            )
            .annotate(quantity=Sum("quantity"))
            .order_by("item__code", "lot__expires_on", "lot__number")
        )
    return list(
        rows.values(
            "location_id",
            "location__code",
            "location__kind",
            "location__site__code",
            "lot_id",
            "lot__number",
            "lot__status",
            "lot__expires_on",
            "item__code",
            "item__uom__code",
            "quantity",
        ).order_by("location__site__code", "location__code", "item__code", "lot__number")
    )


def counts_for(user: Any, *, status: str = "") -> Any:
    counts = CycleCount.objects.visible_to(user, VIEW).select_related(
        "site", "location", "created_by", "counted_by", "submitted_by", "approved_by"
    )
    return counts.filter(status=status) if status else counts


def count_for(user: Any, pk: Any) -> CycleCount | None:
    count: CycleCount | None = counts_for(user).filter(pk=pk).first()
    return count
