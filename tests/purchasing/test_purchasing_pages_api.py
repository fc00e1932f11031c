"""Pages and API: prices hidden without purchasing.view_prices, the receiving screen's scan
(htmx partial), scan errors, SoD shown on the approval tab, receiving through the API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from mederp.purchasing.models import Receipt
from purchasing import builders as b

GTIN = "09506000134352"


@pytest.fixture(autouse=True)
def _english() -> None:
    from django.utils import translation

    translation.activate("en")


def test_prices_are_hidden_without_view_prices(client: Client, site_a: Any, make_user: Any) -> None:
    po = b.order(site_a, quantity="10", unit_price="7.25")
    client.force_login(make_user("warehouse_clerk", site_a))  # purchasing.view, no prices
    page = client.get(f"/purchasing/orders/{po.pk}/").content.decode()
    assert "7.25" not in page
    assert "72.5" not in page
    assert "—" in page
    body = client.get(f"/api/v1/purchase-orders/{po.pk}").json()
    assert body["prices_visible"] is False
    assert body["total"] == "—"
    assert body["lines"][0]["unit_price"] == "—"
    assert body["lines"][0]["amount"] == "—"

    client.force_login(make_user("purchaser", site_a))
    assert "7.25" in client.get(f"/purchasing/orders/{po.pk}/").content.decode()
    body = client.get(f"/api/v1/purchase-orders/{po.pk}").json()
    assert body["lines"][0]["unit_price"] == "7.2500"


def test_asl_refusal_is_shown_on_the_form(client: Client, site_a: Any, make_user: Any) -> None:
    from mederp.testing import materials as m

    po = b.order(site_a)
    other = m.item("CMP-77777")
    client.force_login(make_user("purchaser", site_a))
    response = client.post(
        f"/purchasing/orders/{po.pk}/lines/",
        {"item": other.pk, "quantity": "1", "unit_price": "1", "due_date": "2030-01-01"},
    )
    assert response.status_code == 400
    assert "Rule ASL" in response.content.decode()
    assert "CMP-77777" in response.content.decode()


def test_creator_sees_why_they_cannot_approve(client: Client, site_a: Any, make_user: Any) -> None:
    from mederp.identity import services as identity
    from mederp.identity.authz import SYSTEM
    from mederp.identity.models import Role
    from mederp.purchasing import services

    boss = make_user("purchaser", site_a)
    identity.assign_role(SYSTEM, boss, Role.objects.get(code="purchasing_manager"), site_a, "t")
    supplier, item, _ = b.supplier_item()
    po = services.create_order(boss, site=site_a, supplier=supplier)
    services.add_line(
        boss, po, item=item, quantity=10, uom=None, unit_price=5000, due_date=dt.date(2030, 1, 1)
    )
    services.submit(boss, po)
    client.force_login(boss)
    page = client.get(f"/purchasing/orders/{po.pk}/?tab=approval").content.decode()
    assert "segregation of duties" in page
    response = client.post(f"/purchasing/orders/{po.pk}/approve/", {"reason": "mine"})
    assert response.status_code == 403
    po.refresh_from_db()
    assert po.status == "pending_approval"


def test_scan_fills_the_receiving_form_via_htmx(
    client: Client, site_a: Any, make_user: Any
) -> None:
    line = b.approved_order(site_a, quantity="5", tracking="lot_serial").lines.get()
    client.force_login(make_user("warehouse_clerk", site_a))
    page = client.get(f"/purchasing/receiving/lines/{line.pk}/").content.decode()
    assert "autofocus" in page
    assert "purchasing/receiving.js" in page
    scan = f"]d201{GTIN}11250101172712311" + "0LOT42\x1d21SN001"
    response = client.post(
        f"/purchasing/receiving/lines/{line.pk}/scan/",
        {"scan": scan, "serials": "SN000"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html  # a partial
    assert 'value="LOT42"' in html
    assert 'value="2027-12-31"' in html
    assert 'value="2025-01-01"' in html
    assert "SN000\nSN001" in html
    assert 'value="2"' in html  # one unit per serial


def test_scan_errors_are_clear(client: Client, site_a: Any, make_user: Any) -> None:
    line = b.approved_order(site_a, item_type="finished_device", gtin=GTIN).lines.get()
    client.force_login(make_user("warehouse_clerk", site_a))
    url = f"/purchasing/receiving/lines/{line.pk}/scan/"
    # htmx swaps only 2xx answers: the refreshed form carries the error as an alert
    bad = client.post(url, {"scan": "(17)271341"}, headers={"HX-Request": "true"})
    assert bad.status_code == 200
    assert 'data-testid="scan-error"' in bad.content.decode()
    assert "not a GS1 barcode we can read" in bad.content.decode()
    wrong = client.post(url, {"scan": "(01)09506000134369(10)X"}, headers={"HX-Request": "true"})
    assert wrong.status_code == 200
    text = wrong.content.decode()
    assert "09506000134369" in text
    assert GTIN in text
    # without htmx (no JavaScript) the whole page comes back as a 400 with the error
    page = client.post(url, {"scan": "(17)271341"})
    assert page.status_code == 400
    assert "not a GS1 barcode we can read" in page.content.decode()


def test_receive_through_the_page(client: Client, site_a: Any, make_user: Any) -> None:
    line = b.approved_order(site_a, quantity="5").lines.get()
    client.force_login(make_user("warehouse_clerk", site_a))
    response = client.post(
        f"/purchasing/receiving/lines/{line.pk}/",
        {"quantity": "9", "uom": line.uom_id, "supplier_lot": "S1"},
    )
    assert response.status_code == 400
    assert "Over-receipt refused" in response.content.decode()
    response = client.post(
        f"/purchasing/receiving/lines/{line.pk}/",
        {"quantity": "5", "uom": line.uom_id, "supplier_lot": "S1"},
    )
    receipt = Receipt.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/purchasing/receipts/{receipt.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert receipt.lot.number in page
    assert "Quarantine" in page


def test_api_receives_from_a_scan_and_reports_errors_as_problems(
    client: Client, site_a: Any, make_user: Any
) -> None:
    line = b.approved_order(site_a, quantity="5", shelf_life_days=100).lines.get()
    client.force_login(make_user("warehouse_clerk", site_a))
    missing = client.post(
        "/api/v1/receipts",
        {"line": line.pk, "quantity": "2", "supplier_lot": "A"},
        content_type="application/json",
    )
    assert missing.status_code == 400
    assert missing["Content-Type"].startswith("application/problem+json")
    assert "shelf life" in str(missing.json())
    ok = client.post(
        "/api/v1/receipts",
        {"line": line.pk, "quantity": "2", "scan": "(17)280101(10)SCANLOT"},
        content_type="application/json",
    )
    assert ok.status_code == 201, ok.content
    body = ok.json()
    assert body["supplier_lot"] == "SCANLOT"
    assert body["expires_on"] == "2028-01-01"
    assert body["lot_status"] == "quarantine"
    bad = client.post(
        "/api/v1/receipts/parse-scan", {"scan": "garbage"}, content_type="application/json"
    )
    assert bad.status_code == 400
    assert "scan" in bad.json()["errors"]


def test_prices_never_reach_the_ledger_in_clear(
    client: Client, site_a: Any, make_user: Any
) -> None:
    """QA reads audit trails but holds no purchasing.view_prices: prices are fingerprinted in
    the ledger, so neither the PO's audit tab nor the audit API shows an amount."""
    from mederp.audit.models import AuditEntry

    order = b.order(site_a, unit_price="1234.5678", submit=True)
    assert order.total == Decimal("12345.678")
    payloads = "".join(AuditEntry.objects.values_list("payload", flat=True))
    assert "1234.5678" not in payloads
    assert "12345.678" not in payloads
    qa = make_user("qa_specialist", site_a)
    client.force_login(qa)
    page = client.get(f"/purchasing/orders/{order.pk}/?tab=audit")
    assert page.status_code == 200
    assert "1234.5678" not in page.content.decode()
