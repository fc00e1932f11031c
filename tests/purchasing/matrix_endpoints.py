"""Purchasing endpoints in the permission matrix (tests/test_permission_matrix.py loads
ENDPOINTS). Factories build the order at the given site through the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from mederp.identity.authz import SYSTEM
from mederp.purchasing import services
from mederp.testing.matrix import Endpoint
from purchasing import builders as b


def draft(site: Any) -> Any:
    return b.order(site)


def approved(site: Any) -> Any:
    return b.approved_order(site)


def pending(site: Any) -> Any:
    return b.pending_order(site)


def draft_line(site: Any) -> Any:
    return b.order(site).lines.get()


def open_line(site: Any) -> Any:
    return b.approved_order(site).lines.get()


def receipt(site: Any) -> Any:
    line = open_line(site)
    return services.receive(SYSTEM, line=line, quantity=1, uom=None, supplier_lot="MX-1")


def new_line(po: Any, user: Any) -> dict[str, Any]:
    line = po.lines.get()
    return {
        "item": line.item_id,
        "quantity": "2",
        "unit_price": "1",
        "due_date": (dt.date.today() + dt.timedelta(days=5)).isoformat(),
    }


def new_api_line(po: Any, user: Any) -> dict[str, Any]:
    line = po.lines.get()
    return {
        "item": line.item.code,
        "quantity": "2",
        "unit_price": "1",
        "due_date": (dt.date.today() + dt.timedelta(days=5)).isoformat(),
    }


def line_values(line: Any, user: Any) -> dict[str, Any]:
    return {
        "quantity": "3",
        "uom": line.uom_id,
        "unit_price": "1",
        "due_date": line.due_date.isoformat(),
    }


REASON = {"reason": "matrix"}
GTIN_SCAN = "(01)09506000134352(10)LOT1"
ORDER = "/purchasing/orders"
API = "/api/v1"

ENDPOINTS: list[Endpoint] = [
    # pages
    Endpoint(
        "purchasing:orders",
        f"{ORDER}/",
        "purchasing.view",
        factory=draft,
        object_url=False,
        marker=lambda po: po.number,
    ),
    Endpoint("purchasing:order_create", f"{ORDER}/new/", "purchasing.manage"),
    Endpoint(
        "purchasing:order_create",
        f"{ORDER}/new/",
        "purchasing.manage",
        method="post",
        factory=lambda site: site,
        object_url=False,
        data=lambda site, user: {
            "site": site.pk,
            "supplier": b.supplier_item()[0].pk,
            "currency": "CNY",
        },
        success=302,
    ),
    Endpoint("purchasing:order", lambda po: f"{ORDER}/{po.pk}/", "purchasing.view", factory=draft),
    Endpoint(
        "purchasing:order",
        lambda po: f"{ORDER}/{po.pk}/?tab=audit",
        "purchasing.view",
        factory=draft,
    ),
    Endpoint(
        "purchasing:order_edit",
        lambda po: f"{ORDER}/{po.pk}/edit/",
        "purchasing.manage",
        factory=draft,
    ),
    Endpoint(
        "purchasing:order_edit",
        lambda po: f"{ORDER}/{po.pk}/edit/",
        "purchasing.manage",
        method="post",
        factory=draft,
        data=lambda po, user: {"order_date": po.order_date.isoformat(), "currency": "USD"},
        success=302,
    ),
    Endpoint(
        "purchasing:line_add",
        lambda po: f"{ORDER}/{po.pk}/lines/",
        "purchasing.manage",
        method="post",
        factory=draft,
        data=new_line,
        success=302,
    ),
    Endpoint(
        "purchasing:order_submit",
        lambda po: f"{ORDER}/{po.pk}/submit/",
        "purchasing.manage",
        method="post",
        factory=draft,
        data={},
        success=302,
    ),
    Endpoint(
        "purchasing:order_approve",
        lambda po: f"{ORDER}/{po.pk}/approve/",
        "purchasing.approve",
        method="post",
        factory=pending,
        data=REASON,
        success=302,
    ),
    Endpoint(
        "purchasing:order_cancel",
        lambda po: f"{ORDER}/{po.pk}/cancel/",
        "purchasing.manage",
        method="post",
        factory=draft,
        data=REASON,
        success=302,
    ),
    Endpoint(
        "purchasing:order_close",
        lambda po: f"{ORDER}/{po.pk}/close/",
        "purchasing.manage",
        method="post",
        factory=approved,
        data=REASON,
        success=302,
    ),
    Endpoint(
        "purchasing:line_edit",
        lambda line: f"/purchasing/lines/{line.pk}/edit/",
        "purchasing.manage",
        factory=draft_line,
    ),
    Endpoint(
        "purchasing:line_edit",
        lambda line: f"/purchasing/lines/{line.pk}/edit/",
        "purchasing.manage",
        method="post",
        factory=draft_line,
        data=line_values,
        success=302,
    ),
    Endpoint(
        "purchasing:line_remove",
        lambda line: f"/purchasing/lines/{line.pk}/remove/",
        "purchasing.manage",
        method="post",
        factory=draft_line,
        data={},
        success=302,
    ),
    Endpoint(
        "purchasing:receiving",
        "/purchasing/receiving/",
        "inventory.receive",
        factory=open_line,
        object_url=False,
        marker=lambda line: line.order.number,
    ),
    Endpoint(
        "purchasing:receive",
        lambda line: f"/purchasing/receiving/lines/{line.pk}/",
        "inventory.receive",
        factory=open_line,
    ),
    Endpoint(
        "purchasing:receive",
        lambda line: f"/purchasing/receiving/lines/{line.pk}/",
        "inventory.receive",
        method="post",
        factory=open_line,
        data=lambda line, user: {"quantity": "1", "uom": line.uom_id, "supplier_lot": "MX"},
        success=302,
    ),
    Endpoint(
        "purchasing:receive_scan",
        lambda line: f"/purchasing/receiving/lines/{line.pk}/scan/",
        "inventory.receive",
        method="post",
        factory=open_line,
        data={"scan": "(10)LOT1(17)301231"},
    ),
    Endpoint(
        "purchasing:receipts",
        "/purchasing/receipts/",
        "purchasing.view",
        factory=receipt,
        object_url=False,
        marker=lambda r: r.number,
    ),
    Endpoint(
        "purchasing:receipt",
        lambda r: f"/purchasing/receipts/{r.pk}/",
        "purchasing.view",
        factory=receipt,
    ),
    # API
    Endpoint(
        "api:purchase-orders",
        f"{API}/purchase-orders",
        "purchasing.view",
        factory=draft,
        object_url=False,
        marker=lambda po: po.number,
    ),
    Endpoint(
        "api:purchase-orders",
        f"{API}/purchase-orders",
        "purchasing.manage",
        method="post",
        factory=lambda site: site,
        object_url=False,
        data=lambda site, user: {"site": site.code, "supplier": b.supplier_item()[0].code},
        success=201,
    ),
    Endpoint(
        "api:purchase-order",
        lambda po: f"{API}/purchase-orders/{po.pk}",
        "purchasing.view",
        factory=draft,
    ),
    Endpoint(
        "api:purchase-order-lines",
        lambda po: f"{API}/purchase-orders/{po.pk}/lines",
        "purchasing.view",
        factory=draft,
    ),
    Endpoint(
        "api:purchase-order-lines",
        lambda po: f"{API}/purchase-orders/{po.pk}/lines",
        "purchasing.manage",
        method="post",
        factory=draft,
        data=new_api_line,
        success=201,
    ),
    Endpoint(
        "api:purchase-order-line",
        lambda line: f"{API}/purchase-order-lines/{line.pk}",
        "purchasing.view",
        factory=draft_line,
    ),
    Endpoint(
        "api:purchase-order-line",
        lambda line: f"{API}/purchase-order-lines/{line.pk}",
        "purchasing.manage",
        method="patch",
        factory=draft_line,
        data={"quantity": "4"},
    ),
    Endpoint(
        "api:purchase-order-line",
        lambda line: f"{API}/purchase-order-lines/{line.pk}",
        "purchasing.manage",
        method="delete",
        factory=draft_line,
        success=204,
    ),
    Endpoint(
        "api:purchase-order-submit",
        lambda po: f"{API}/purchase-orders/{po.pk}/submit",
        "purchasing.manage",
        method="post",
        factory=draft,
        data={},
    ),
    Endpoint(
        "api:purchase-order-approve",
        lambda po: f"{API}/purchase-orders/{po.pk}/approve",
        "purchasing.approve",
        method="post",
        factory=pending,
        data=REASON,
    ),
    Endpoint(
        "api:purchase-order-cancel",
        lambda po: f"{API}/purchase-orders/{po.pk}/cancel",
        "purchasing.manage",
        method="post",
        factory=draft,
        data=REASON,
    ),
    Endpoint(
        "api:purchase-order-close",
        lambda po: f"{API}/purchase-orders/{po.pk}/close",
        "purchasing.manage",
        method="post",
        factory=approved,
        data=REASON,
    ),
    Endpoint(
        "api:receipts",
        f"{API}/receipts",
        "purchasing.view",
        factory=receipt,
        object_url=False,
        marker=lambda r: r.number,
    ),
    Endpoint(
        "api:receipts",
        f"{API}/receipts",
        "inventory.receive",
        method="post",
        factory=open_line,
        object_url=False,
        data=lambda line, user: {"line": line.pk, "quantity": "1", "supplier_lot": "MX"},
        success=201,
    ),
    Endpoint("api:receipt", lambda r: f"{API}/receipts/{r.pk}", "purchasing.view", factory=receipt),
    Endpoint(
        "api:receipt-parse-scan",
        f"{API}/receipts/parse-scan",
        "inventory.receive",
        method="post",
        data={"scan": GTIN_SCAN},
    ),
]
