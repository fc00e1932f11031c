"""The demo plant's materials are what issue 6 promises a newcomer: 30 items (finished
infusion sets with valid GTINs), 6 suppliers (one disqualified, one with an expiring
certificate), 5 customers, 3 purchase orders received with inspections (one lot rejected),
stock in several locations — all through the services, with a ledger that verifies."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from mederp.audit.verify import verify_ledger
from mederp.core import attachments
from mederp.demo import plant
from mederp.inspection.models import Inspection
from mederp.inventory import selectors
from mederp.inventory.models import Lot, StockBalance
from mederp.items import gs1
from mederp.items.models import Item
from mederp.partners.models import Customer, Supplier, SupplierCertificate
from mederp.purchasing.models import PurchaseOrder, Receipt


@pytest.fixture
def demo(db: None) -> dict[str, int]:
    return plant.load()


def test_items(demo: Any) -> None:
    assert Item.objects.count() == 30
    devices = Item.objects.filter(item_type="finished_device", status="released")
    assert devices.count() >= 4
    for device in devices:
        assert len(device.gtin) == 14
        assert gs1.gtin_is_valid(device.gtin)
    assert {i.item_type for i in Item.objects.all()} == {
        "raw_material",
        "component",
        "sub_assembly",
        "finished_device",
        "packaging",
        "label",
    }


def test_suppliers_and_customers(demo: Any) -> None:
    assert Supplier.objects.count() == 6
    assert Supplier.objects.filter(status="disqualified").count() == 1
    soon = timezone.localdate() + dt.timedelta(days=60)
    expiring = SupplierCertificate.objects.filter(
        expires_on__gte=timezone.localdate(), expires_on__lte=soon
    )
    assert expiring.exists()
    # Every certificate comes with its scan (a small generated PDF), intact in storage.
    certificates = SupplierCertificate.objects.select_related("attachment")
    assert certificates.exists()
    for cert in certificates:
        assert cert.attachment is not None
        assert cert.attachment.content_type == "application/pdf"
        assert cert.attachment.name.startswith("ISO13485-SUP-")
        assert attachments.verify_file(cert.attachment)
    assert Customer.objects.count() == 5
    assert set(Customer.objects.values_list("kind", flat=True)) == {"hospital", "distributor"}


def test_orders_received_and_inspected(demo: Any) -> None:
    assert PurchaseOrder.objects.filter(status="received").count() == 3
    assert Receipt.objects.count() >= 3
    decided = Inspection.objects.exclude(disposition="")
    assert decided.filter(disposition="reject").count() == 1
    assert decided.filter(disposition="accept").count() >= 2
    rejected = Lot.objects.get(inspections__disposition="reject")
    assert rejected.status == "rejected"
    assert {b.location.kind for b in rejected.balances.filter(quantity__gt=0)} == {"rejected"}


def test_stock_sits_in_several_locations_and_agrees_with_the_ledger(demo: Any) -> None:
    held = StockBalance.objects.filter(quantity__gt=0)
    assert held.values("location").distinct().count() >= 4
    assert {b.location.kind for b in held} >= {"quarantine", "stock", "production", "rejected"}
    assert selectors.balance_mismatches() == []


def test_the_ledger_verifies_after_the_demo(demo: Any) -> None:
    report = verify_ledger()
    assert report.ok, report.errors
