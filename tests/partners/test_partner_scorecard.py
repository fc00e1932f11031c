"""Supplier scorecard figures from rows built directly (receipts, inspections, returns)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from mederp.identity.authz import SYSTEM
from mederp.inventory import services as inventory
from mederp.partners import scorecard
from mederp.testing import materials as m


def _po_line(site: Any, supplier: Any, item: Any) -> Any:
    from mederp.purchasing.models import PurchaseOrder, PurchaseOrderLine

    n = PurchaseOrder.objects.count() + 1
    order = PurchaseOrder.objects.create(
        number=f"PO-T-{n}", site=site, supplier=supplier, order_date=dt.date(2026, 1, 1)
    )
    return PurchaseOrderLine.objects.create(
        order=order,
        line_no=1,
        item=item,
        approved_supplier=m.approve(supplier, item),
        quantity=Decimal(100),
        uom=m.uom(),
        unit_price=Decimal(1),
        due_date=dt.date(2026, 2, 1),
    )


def _receipt(site: Any, plant: Any, line: Any, qty: int, *, on_time: bool, when: Any) -> Any:
    from mederp.purchasing.models import Receipt

    lot = m.lot(line.item, site, status="quarantine", supplier_obj=line.order.supplier)
    Receipt.objects.create(
        number=f"RC-{lot.number}",
        site=site,
        line=line,
        quantity=Decimal(qty),
        uom=m.uom(),
        base_quantity=Decimal(qty),
        lot=lot,
        location=plant["quarantine"],
        on_time=on_time,
        received_at=when,
    )
    return lot


def _decide(lot: Any, disposition: str, when: Any) -> None:
    from mederp.inspection.models import Inspection, InspectionPlan

    plan = InspectionPlan.objects.filter(item=lot.item).first() or InspectionPlan.objects.create(
        item=lot.item, aql="1.0"
    )
    Inspection.objects.create(
        number=f"IN-{lot.number}",
        site=lot.site,
        lot=lot,
        plan=plan,
        lot_size=100,
        aql="1.0",
        level="II",
        code_letter="F",
        sample_size=20,
        accept_number=0,
        reject_number=1,
        status="closed" if disposition else "open",
        disposition=disposition,
        decided_at=when if disposition else None,
    )


@pytest.mark.django_db
def test_scorecard_figures(site_a: Any) -> None:
    plant = m.locations(site_a)
    now = timezone.now()
    sup, other = m.supplier(), m.supplier()
    item = m.item()
    line = _po_line(site_a, sup, item)
    lots = [
        _receipt(site_a, plant, line, 100, on_time=True, when=now - dt.timedelta(days=10)),
        _receipt(site_a, plant, line, 100, on_time=True, when=now - dt.timedelta(days=20)),
        _receipt(site_a, plant, line, 100, on_time=False, when=now - dt.timedelta(days=30)),
        _receipt(site_a, plant, line, 200, on_time=True, when=now - dt.timedelta(days=40)),
    ]
    # outside the period: counts nowhere
    old = _receipt(site_a, plant, line, 999, on_time=False, when=now - dt.timedelta(days=400))
    _decide(old, "reject", now - dt.timedelta(days=399))
    # another supplier's figures stay its own
    _receipt(site_a, plant, _po_line(site_a, other, item), 50, on_time=False, when=now)
    _decide(lots[0], "accept", now)
    _decide(lots[1], "reject", now)
    _decide(lots[2], "deviation", now)
    _decide(lots[3], "", now)  # still open: not decided
    lots[1].status = "rejected"
    lots[1].save()
    m.stock(lots[1], plant["rejected"], 100)
    inventory.return_to_supplier(
        SYSTEM, lot=lots[1], location=plant["rejected"], quantity=25, reason="NCR-1"
    )

    card = scorecard.compute(sup)
    assert (card.receipts, card.on_time) == (4, 3)
    assert card.on_time_rate == Decimal("0.75")
    assert (card.decided_lots, card.rejected_lots) == (3, 1)
    assert card.reject_rate == Decimal("0.3333")
    assert card.received_quantity == Decimal(500)
    assert card.returned_quantity == Decimal(25)
    assert card.return_rate == Decimal("0.05")

    short = scorecard.compute(sup, start=now - dt.timedelta(days=15), end=now + dt.timedelta(1))
    assert short.receipts == 1


@pytest.mark.django_db
def test_scorecard_without_data_has_no_rates() -> None:
    card = scorecard.compute(m.supplier())
    assert card.receipts == 0
    assert card.on_time_rate is None
    assert card.reject_rate is None
    assert card.return_rate is None
