"""Supplier scorecard: figures computed from receipts, incoming inspections and returns.

Read-only; nothing here writes. Over a period (default: the last 365 days):

- receipts: receipts of the supplier's purchase orders received in the period;
- on-time rate: the share of those receipts marked on time (`Receipt.on_time`);
- lot reject rate: of the supplier's lots (`Lot.supplier`) whose incoming inspection was
  decided in the period, the share rejected (an accept with deviation is not a reject);
- return rate: quantity returned to the supplier in the period (stock moves of kind "return"
  of its lots) over the base quantity received from it in the period.

A rate is None when there is nothing to divide by (no receipts, no decided inspection).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from mederp.partners.models import Supplier

DEFAULT_DAYS = 365
_RATE = Decimal("0.0001")


@dataclass(frozen=True)
class Scorecard:
    supplier: Supplier
    start: dt.datetime
    end: dt.datetime
    receipts: int
    on_time: int
    decided_lots: int
    rejected_lots: int
    received_quantity: Decimal
    returned_quantity: Decimal

    @property
    def on_time_rate(self) -> Decimal | None:
        return _rate(Decimal(self.on_time), Decimal(self.receipts))

    @property
    def reject_rate(self) -> Decimal | None:
        return _rate(Decimal(self.rejected_lots), Decimal(self.decided_lots))

    @property
    def return_rate(self) -> Decimal | None:
        return _rate(self.returned_quantity, self.received_quantity)


def _rate(part: Decimal, whole: Decimal) -> Decimal | None:
    if not whole:
        return None
    return (part / whole).quantize(_RATE)


def period(
    days: int = DEFAULT_DAYS, end: dt.datetime | None = None
) -> tuple[dt.datetime, dt.datetime]:
    stop = end or timezone.now()
    return stop - dt.timedelta(days=days), stop


def compute(
    supplier: Supplier, *, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> Scorecard:
    from mederp.inspection.choices import Disposition
    from mederp.inspection.models import Inspection
    from mederp.inventory.choices import MoveKind
    from mederp.inventory.models import StockMove
    from mederp.purchasing.models import Receipt

    default_start, default_end = period(end=end)
    start = start or default_start
    end = end or default_end
    receipts = Receipt.objects.filter(
        line__order__supplier=supplier, received_at__gte=start, received_at__lt=end
    ).aggregate(
        n=Count("id"),
        on_time=Count("id", filter=Q(on_time=True)),
        quantity=Sum("base_quantity"),
    )
    inspections = (
        Inspection.objects.filter(lot__supplier=supplier, decided_at__gte=start, decided_at__lt=end)
        .exclude(disposition="")
        .aggregate(
            decided=Count("lot", distinct=True),
            rejected=Count("lot", distinct=True, filter=Q(disposition=Disposition.REJECT)),
        )
    )
    returned = StockMove.objects.filter(
        lot__supplier=supplier, kind=MoveKind.RETURN, created_at__gte=start, created_at__lt=end
    ).aggregate(q=Sum("quantity"))["q"]
    return Scorecard(
        supplier=supplier,
        start=start,
        end=end,
        receipts=receipts["n"] or 0,
        on_time=receipts["on_time"] or 0,
        decided_lots=inspections["decided"] or 0,
        rejected_lots=inspections["rejected"] or 0,
        received_quantity=receipts["quantity"] or Decimal(0),
        returned_quantity=returned or Decimal(0),
    )
