"""Incoming inspection endpoints in the permission matrix, and the builders of their data
(tests/inspection/conftest.py loads this file too: the builders serve both)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from mederp.identity.authz import SYSTEM
from mederp.testing import materials as m
from mederp.testing.matrix import Endpoint

PASSWORD = "correct-horse-battery-staple"
_n = itertools.count(1)


def plant(site: Any) -> dict[str, Any]:
    """The site's locations by kind (made once per site)."""
    from mederp.inventory.models import Location

    existing = {loc.kind: loc for loc in Location.objects.filter(site=site, level="zone")}
    if existing:
        return existing
    return m.locations(site)


def active_plan(item: Any, *, aql: str = "1.0", level: str = "II") -> Any:
    from mederp.inspection import services

    plan = services.create_plan(SYSTEM, item=item, aql=aql, level=level)
    services.add_characteristic(
        SYSTEM, plan, name="Visual: no burrs", method="Visual, 10x loupe", kind="attribute"
    )
    services.add_characteristic(
        SYSTEM,
        plan,
        name="Outer diameter",
        method="Caliper",
        kind="variable",
        unit="mm",
        lower_limit="3.90",
        upper_limit="4.10",
    )
    return services.activate_plan(SYSTEM, plan)


def received_lot(
    site: Any, quantity: Any = 1000, *, item: Any = None, with_plan: bool = True, **plan: Any
) -> Any:
    """A lot received against a PO line into quarantine, as receiving leaves it."""
    from mederp.inventory import services as inventory
    from mederp.purchasing.models import PurchaseOrder, PurchaseOrderLine, Receipt

    locations = plant(site)
    item = item or m.item()
    if with_plan and not item.inspection_plans.filter(status="active").exists():
        active_plan(item, **plan)
    supplier = m.supplier()
    asl = m.approve(supplier, item)
    n = next(_n)
    with transaction.atomic():
        order = PurchaseOrder.objects.create(
            number=f"PO-T-{n:05d}",
            site=site,
            supplier=supplier,
            status="approved",
            order_date=dt.date.today(),
        )
        line = PurchaseOrderLine.objects.create(
            order=order,
            line_no=1,
            item=item,
            approved_supplier=asl,
            quantity=Decimal(str(quantity)),
            uom=item.uom,
            unit_price=Decimal("1.5"),
            due_date=dt.date.today(),
        )
        lot = inventory.create_lot(
            SYSTEM, item=item, site=site, supplier=supplier, supplier_lot=f"SL{n}"
        )
        Receipt.objects.create(
            number=f"RCV-T-{n:05d}",
            site=site,
            line=line,
            quantity=Decimal(str(quantity)),
            uom=item.uom,
            base_quantity=Decimal(str(quantity)),
            supplier_lot=f"SL{n}",
            lot=lot,
            location=locations["quarantine"],
            on_time=True,
            received_at=timezone.now(),
        )
        inventory.receive_into_quarantine(
            SYSTEM, lot=lot, location=locations["quarantine"], quantity=quantity
        )
    return lot


def started(site: Any, quantity: Any = 1000, **kwargs: Any) -> Any:
    from mederp.inspection import services

    return services.start_inspection(SYSTEM, received_lot(site, quantity, **kwargs))


def all_recorded(inspection: Any, bad: int = 0, actor: Any = SYSTEM) -> Any:
    """Every characteristic inspected on the full sample; `bad` nonconforming on the first."""
    from mederp.inspection import services

    for i, c in enumerate(inspection.plan.characteristics.all()):
        nonconforming = bad if i == 0 else 0
        extra = {"measured_min": "3.95", "measured_max": "4.05"} if c.kind == "variable" else {}
        services.record_result(
            actor,
            inspection,
            c,
            inspected_quantity=inspection.sample_size,
            nonconforming=nonconforming,
            **extra,
        )
    return inspection


def pending_deviation(site: Any) -> Any:
    from mederp.inspection import services

    inspection = all_recorded(started(site), bad=3)
    return services.decide(SYSTEM, inspection, "deviation", "Cosmetic burrs only, function OK")


def draft_plan(site: Any) -> Any:
    from mederp.inspection import services

    plan = services.create_plan(SYSTEM, item=m.item(), aql="0.65")
    services.add_characteristic(
        SYSTEM, plan, name="Label legible", method="Visual", kind="attribute"
    )
    return plan


def sign_with_password(obj: Any, user: Any) -> dict[str, str]:
    return {"password": PASSWORD, "reason": "matrix"}


def _plan_marker(plan: Any) -> str:
    return plan.item.code


ENDPOINTS: list[Endpoint] = [
    # pages
    Endpoint("inspection:plans", "/inspection/plans/", "inspection.view"),
    Endpoint("inspection:plan_new", "/inspection/plans/new/", "inspection.manage_plans"),
    Endpoint(
        "inspection:plan_new",
        "/inspection/plans/new/",
        "inspection.manage_plans",
        method="post",
        data={"aql": "1.0", "level": "II"},
        success=200,  # no item: the form is shown again with its error
    ),
    Endpoint(
        "inspection:plan",
        lambda p: f"/inspection/plans/{p.pk}/",
        "inspection.view",
        factory=draft_plan,
        object_url=False,  # plans are company-wide: no site to be wrong about
    ),
    Endpoint(
        "inspection:plan_characteristic",
        lambda p: f"/inspection/plans/{p.pk}/characteristics/",
        "inspection.manage_plans",
        method="post",
        factory=draft_plan,
        object_url=False,
        data={"name": "Length", "method": "Ruler", "kind": "variable", "upper_limit": "10"},
        success=302,
    ),
    Endpoint(
        "inspection:plan_activate",
        lambda p: f"/inspection/plans/{p.pk}/activate/",
        "inspection.manage_plans",
        method="post",
        factory=draft_plan,
        object_url=False,
        data={"reason": "matrix"},
        success=302,
    ),
    Endpoint(
        "inspection:queue",
        "/inspection/queue/",
        "inspection.view",
        factory=lambda site: received_lot(site),
        object_url=False,
        marker=lambda lot: lot.number,
    ),
    Endpoint(
        "inspection:start",
        lambda lot: f"/inspection/queue/{lot.pk}/start/",
        "inspection.perform",
        method="post",
        factory=lambda site: received_lot(site),
        success=302,
    ),
    Endpoint(
        "inspection:list",
        "/inspection/",
        "inspection.view",
        factory=started,
        object_url=False,
        marker=lambda i: i.number,
    ),
    Endpoint(
        "inspection:detail", lambda i: f"/inspection/{i.pk}/", "inspection.view", factory=started
    ),
    Endpoint(
        "inspection:record",
        lambda i: f"/inspection/{i.pk}/results/{i.plan.characteristics.first().pk}/",
        "inspection.perform",
        method="post",
        factory=started,
        data={"inspected_quantity": "80", "nonconforming": "0"},
        success=302,
    ),
    Endpoint(
        "inspection:decide",
        lambda i: f"/inspection/{i.pk}/decide/",
        "inspection.perform",
        method="post",
        factory=started,
        data={"disposition": "reject", "reason": "matrix"},
        success=302,
    ),
    Endpoint(
        "inspection:approve",
        lambda i: f"/inspection/{i.pk}/approve/",
        "inspection.approve_deviation",
        factory=pending_deviation,
    ),
    Endpoint(
        "inspection:approve",
        lambda i: f"/inspection/{i.pk}/approve/",
        "inspection.approve_deviation",
        method="post",
        factory=pending_deviation,
        data=sign_with_password,
        success=302,
    ),
    Endpoint(
        "inspection:reject_deviation",
        lambda i: f"/inspection/{i.pk}/reject-deviation/",
        "inspection.approve_deviation",
        method="post",
        factory=pending_deviation,
        data=sign_with_password,
        success=302,
    ),
    # API
    Endpoint(
        "api:inspection-plans",
        "/api/v1/inspection-plans",
        "inspection.view",
        factory=draft_plan,
        object_url=False,
    ),
    Endpoint(
        "api:inspection-plans",
        "/api/v1/inspection-plans",
        "inspection.manage_plans",
        method="post",
        data=lambda obj, user: {"item": m.item().code, "aql": "2.5", "level": "II"},
        success=201,
    ),
    Endpoint(
        "api:inspection-plan",
        lambda p: f"/api/v1/inspection-plans/{p.pk}",
        "inspection.view",
        factory=draft_plan,
        object_url=False,
    ),
    Endpoint(
        "api:inspections",
        "/api/v1/inspections",
        "inspection.view",
        factory=started,
        object_url=False,
        marker=lambda i: i.number,
    ),
    Endpoint(
        "api:inspections",
        "/api/v1/inspections",
        "inspection.perform",
        method="post",
        factory=lambda site: received_lot(site),
        object_url=False,
        data=lambda lot, user: {"lot": lot.number},
        success=201,
    ),
    Endpoint(
        "api:inspection",
        lambda i: f"/api/v1/inspections/{i.pk}",
        "inspection.view",
        factory=started,
    ),
    Endpoint(
        "api:inspection-results",
        lambda i: f"/api/v1/inspections/{i.pk}/results",
        "inspection.perform",
        method="post",
        factory=started,
        data=lambda i, user: {
            "characteristic": i.plan.characteristics.first().pk,
            "inspected_quantity": 80,
            "nonconforming": 0,
        },
        success=201,
    ),
    Endpoint(
        "api:inspection-decision",
        lambda i: f"/api/v1/inspections/{i.pk}/decision",
        "inspection.perform",
        method="post",
        factory=started,
        data={"disposition": "reject", "reason": "matrix"},
    ),
    Endpoint(
        "api:inspection-deviation",
        lambda i: f"/api/v1/inspections/{i.pk}/deviation",
        "inspection.approve_deviation",
        method="post",
        factory=pending_deviation,
        data=lambda i, user: {"approve": True, "password": PASSWORD, "reason": "matrix"},
    ),
]
