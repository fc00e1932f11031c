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
from mederp.inventory.models import StockBalance, StockMove

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
