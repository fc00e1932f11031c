"""Inventory endpoints in the permission matrix (loaded by tests/test_permission_matrix.py)."""

from __future__ import annotations

import itertools
from typing import Any

from mederp.identity.authz import SYSTEM
from mederp.testing import materials as m
from mederp.testing.matrix import Endpoint

_n = itertools.count()


class Stocked:
    """A lot with 10 in the site's stock location (and the plant around it). A plain class:
    this module is loaded by path, outside sys.modules, where dataclasses cannot resolve it."""

    def __init__(self, site: Any, plant: dict[str, Any], lot: Any, pk: int) -> None:
        self.site, self.plant, self.lot, self.pk = site, plant, lot, pk


def _clerk(site: Any) -> Any:
    from mederp.identity import services as identity
    from mederp.identity.models import Role

    name = f"invmx{next(_n)}"
    user = identity.create_user(
        SYSTEM, username=name, full_name=f"Clerk {name}", password="correct-horse-battery-staple"
    )
    identity.assign_role(SYSTEM, user, Role.objects.get(code="warehouse_clerk"), site, reason="mx")
    return user


def stocked(site: Any, status: str = "released") -> Stocked:
    plant = m.locations(site)
    lot = m.lot(m.item(), site, status=status, supplier_obj=m.supplier())
    m.stock(lot, plant["stock" if status != "quarantine" else "quarantine"], 10)
    return Stocked(site, plant, lot, lot.pk)


def on_hold(site: Any) -> Stocked:
    return stocked(site, status="on_hold")


def serial(site: Any) -> Any:
    plant = m.locations(site)
    lot = m.lot(m.item(tracking="serial"), site)
    m.stock(lot, plant["stock"], 1, serials=[f"SN-{site.code}-{next(_n)}"])
    return lot.serials.get()


def count(site: Any) -> Any:
    from mederp.inventory import counts

    s = stocked(site)
    return counts.start_count(_clerk(site), location=s.plant["stock"])


def pending_count(site: Any) -> Any:
    from mederp.inventory import counts

    s = stocked(site)
    clerk = _clerk(site)
    c = counts.start_count(clerk, location=s.plant["stock"])
    counts.enter_counts(clerk, c, {c.lines.get().pk: ("5", "Half missing")})
    return counts.submit_count(clerk, c)


def counted(site: Any) -> Any:
    """A count whose line was counted as expected: submitting posts it."""
    from mederp.inventory import counts

    c = count(site)
    return counts.enter_counts(c.created_by, c, {c.lines.get().pk: ("10", "")})


def fefo_stock(site: Any) -> Stocked:
    plant = m.locations(site)
    lot = m.lot(m.item("CMP-FEFO1"), site)
    m.stock(lot, plant["stock"], 10)
    return Stocked(site, plant, lot, lot.pk)


def location(site: Any) -> Any:
    return m.locations(site)["stock"]


def _move_form(s: Stocked, user: Any) -> dict[str, Any]:
    return {
        "lot": s.lot.number,
        "from_location": s.plant["stock"].pk,
        "to_location": s.plant["production"].pk,
        "quantity": "1",
        "reason": "Matrix",
    }


def _move_api(s: Stocked, user: Any) -> dict[str, Any]:
    return {
        "lot": s.lot.number,
        "from_location": s.plant["stock"].code,
        "to_location": s.plant["production"].code,
        "quantity": "1",
        "reason": "Matrix",
    }


REASON = {"reason": "Matrix check"}
LOT_LIST = {"factory": stocked, "object_url": False, "marker": lambda s: s.lot.number}

ENDPOINTS: list[Endpoint] = [
    # pages
    Endpoint(
        "inventory:stock",
        "/inventory/?by=lot",
        "inventory.view",
        **LOT_LIST,  # type: ignore[arg-type]
    ),
    Endpoint(
        "inventory:locations",
        "/inventory/locations/",
        "inventory.view",
        factory=location,
        object_url=False,
        marker=lambda loc: loc.code,
    ),
    Endpoint(
        "inventory:location_create", "/inventory/locations/new/", "inventory.manage_locations"
    ),
    Endpoint(
        "inventory:location_create",
        "/inventory/locations/new/",
        "inventory.manage_locations",
        method="post",
        factory=lambda site: site,
        object_url=False,
        data=lambda site, user: {
            "site": site.pk,
            "code": f"WH{next(_n)}",
            "name": "Matrix warehouse",
            "level": "warehouse",
            "kind": "stock",
            "storage_condition": "ambient",
        },
        success=302,
    ),
    Endpoint(
        "inventory:location",
        lambda loc: f"/inventory/locations/{loc.pk}/",
        "inventory.view",
        factory=location,
    ),
    Endpoint(
        "inventory:location_update",
        lambda loc: f"/inventory/locations/{loc.pk}/change/",
        "inventory.manage_locations",
        method="post",
        factory=location,
        data={
            "name": "Renamed",
            "kind": "stock",
            "storage_condition": "cool",
            "active": "on",
            **REASON,
        },
        success=302,
    ),
    Endpoint("inventory:lots", "/inventory/lots/", "inventory.view", **LOT_LIST),  # type: ignore[arg-type]
    *[
        Endpoint(
            "inventory:lot",
            lambda s, t=tab: f"/inventory/lots/{s.pk}/?tab={t}",
            "inventory.view",
            factory=stocked,
        )
        for tab in ("details", "stock", "serials", "movements", "audit")
    ],
    Endpoint(
        "inventory:lot_hold",
        lambda s: f"/inventory/lots/{s.pk}/hold/",
        "inventory.hold_lot",
        method="post",
        factory=stocked,
        data=REASON,
        success=302,
    ),
    Endpoint(
        "inventory:lot_lift_hold",
        lambda s: f"/inventory/lots/{s.pk}/lift-hold/",
        "inventory.hold_lot",
        method="post",
        factory=on_hold,
        data=REASON,
        success=302,
    ),
    Endpoint(
        "inventory:serials",
        "/inventory/serials/",
        "inventory.view",
        factory=serial,
        object_url=False,
        marker=lambda s: s.serial,
    ),
    Endpoint(
        "inventory:serial",
        lambda s: f"/inventory/serials/{s.pk}/",
        "inventory.view",
        factory=serial,
    ),
    Endpoint("inventory:moves", "/inventory/moves/", "inventory.view", **LOT_LIST),  # type: ignore[arg-type]
    Endpoint("inventory:transfer", "/inventory/transfer/", "inventory.move"),
    Endpoint(
        "inventory:transfer",
        "/inventory/transfer/",
        "inventory.move",
        method="post",
        factory=stocked,
        object_url=False,
        data=_move_form,
        success=302,
    ),
    Endpoint("inventory:issue", "/inventory/issue/", "inventory.move"),
    Endpoint(
        "inventory:issue",
        "/inventory/issue/",
        "inventory.move",
        method="post",
        factory=stocked,
        object_url=False,
        data=_move_form,
        success=302,
    ),
    Endpoint("inventory:scrap", "/inventory/scrap/", "inventory.adjust"),
    Endpoint(
        "inventory:scrap",
        "/inventory/scrap/",
        "inventory.adjust",
        method="post",
        factory=stocked,
        object_url=False,
        data=_move_form,
        success=302,
    ),
    Endpoint("inventory:return", "/inventory/return/", "inventory.adjust"),
    Endpoint(
        "inventory:return",
        "/inventory/return/",
        "inventory.adjust",
        method="post",
        factory=stocked,
        object_url=False,
        data=_move_form,
        success=302,
    ),
    Endpoint(
        "inventory:counts",
        "/inventory/counts/",
        "inventory.view",
        factory=count,
        object_url=False,
        marker=lambda c: c.number,
    ),
    Endpoint("inventory:count_start", "/inventory/counts/new/", "inventory.count"),
    Endpoint(
        "inventory:count_start",
        "/inventory/counts/new/",
        "inventory.count",
        method="post",
        factory=location,
        object_url=False,
        data=lambda loc, user: {"location": loc.pk, "reason": "Matrix"},
        success=302,
    ),
    Endpoint(
        "inventory:count", lambda c: f"/inventory/counts/{c.pk}/", "inventory.view", factory=count
    ),
    Endpoint(
        "inventory:count_enter",
        lambda c: f"/inventory/counts/{c.pk}/enter/",
        "inventory.count",
        method="post",
        factory=count,
        data=lambda c, user: {f"counted-{c.lines.get().pk}": "10"},
        success=302,
    ),
    Endpoint(
        "inventory:count_add_line",
        lambda c: f"/inventory/counts/{c.pk}/add-line/",
        "inventory.count",
        method="post",
        factory=count,
        data=lambda c, user: {
            "lot": m.lot(m.item(), c.site).number,
            "location": c.location_id,
        },
        success=302,
    ),
    Endpoint(
        "inventory:count_approve",
        lambda c: f"/inventory/counts/{c.pk}/approve/",
        "inventory.approve_count",
        method="post",
        factory=pending_count,
        data=REASON,
        success=302,
    ),
    Endpoint(
        "inventory:count_reject",
        lambda c: f"/inventory/counts/{c.pk}/reject/",
        "inventory.approve_count",
        method="post",
        factory=pending_count,
        data=REASON,
        success=302,
    ),
    Endpoint(
        "inventory:count_cancel",
        lambda c: f"/inventory/counts/{c.pk}/cancel/",
        "inventory.count",
        method="post",
        factory=count,
        data=REASON,
        success=302,
    ),
    # API
    Endpoint(
        "api:locations",
        "/api/v1/locations",
        "inventory.view",
        factory=location,
        object_url=False,
        marker=lambda loc: loc.code,
    ),
    Endpoint(
        "api:locations",
        "/api/v1/locations",
        "inventory.manage_locations",
        method="post",
        factory=lambda site: site,
        object_url=False,
        data=lambda site, user: {
            "site": site.code,
            "code": f"WH{next(_n)}",
            "name": "Matrix warehouse",
            "level": "warehouse",
            "kind": "stock",
        },
        success=201,
    ),
    Endpoint(
        "api:location",
        lambda loc: f"/api/v1/locations/{loc.pk}",
        "inventory.view",
        factory=location,
    ),
    Endpoint(
        "api:location",
        lambda loc: f"/api/v1/locations/{loc.pk}",
        "inventory.manage_locations",
        method="patch",
        factory=location,
        data={"name": "Renamed", **REASON},
    ),
    Endpoint("api:lots", "/api/v1/lots", "inventory.view", **LOT_LIST),  # type: ignore[arg-type]
    Endpoint("api:lot", lambda s: f"/api/v1/lots/{s.pk}", "inventory.view", factory=stocked),
    Endpoint(
        "api:lot-hold",
        lambda s: f"/api/v1/lots/{s.pk}/hold",
        "inventory.hold_lot",
        method="post",
        factory=stocked,
        data=REASON,
    ),
    Endpoint(
        "api:lot-lift-hold",
        lambda s: f"/api/v1/lots/{s.pk}/lift-hold",
        "inventory.hold_lot",
        method="post",
        factory=on_hold,
        data=REASON,
    ),
    Endpoint(
        "api:serials",
        "/api/v1/serials",
        "inventory.view",
        factory=serial,
        object_url=False,
        marker=lambda s: s.serial,
    ),
    Endpoint("api:stock", "/api/v1/stock?by=lot", "inventory.view", **LOT_LIST),  # type: ignore[arg-type]
    Endpoint("api:stock-moves", "/api/v1/stock/moves", "inventory.view", **LOT_LIST),  # type: ignore[arg-type]
    Endpoint(
        "api:stock-fefo",
        "/api/v1/stock/fefo?item=CMP-FEFO1&quantity=4&site=SA01",
        "inventory.view",
        factory=fefo_stock,
        object_url=False,
    ),
    *[
        Endpoint(
            f"api:stock-{name}",
            f"/api/v1/stock/{name}",
            perm,
            method="post",
            factory=stocked,
            object_url=False,
            data=_move_api,
            success=201,
        )
        for name, perm in (
            ("transfers", "inventory.move"),
            ("issues", "inventory.move"),
            ("scraps", "inventory.adjust"),
            ("returns", "inventory.adjust"),
        )
    ],
    Endpoint(
        "api:cycle-counts",
        "/api/v1/cycle-counts",
        "inventory.view",
        factory=count,
        object_url=False,
        marker=lambda c: c.number,
    ),
    Endpoint(
        "api:cycle-counts",
        "/api/v1/cycle-counts",
        "inventory.count",
        method="post",
        factory=location,
        object_url=False,
        data=lambda loc, user: {"site": loc.site.code, "location": loc.code},
        success=201,
    ),
    Endpoint(
        "api:cycle-count", lambda c: f"/api/v1/cycle-counts/{c.pk}", "inventory.view", factory=count
    ),
    Endpoint(
        "api:cycle-count-enter",
        lambda c: f"/api/v1/cycle-counts/{c.pk}/counts",
        "inventory.count",
        method="post",
        factory=count,
        data=lambda c, user: {"lines": [{"line": c.lines.get().pk, "counted": "10"}]},
    ),
    Endpoint(
        "api:cycle-count-submit",
        lambda c: f"/api/v1/cycle-counts/{c.pk}/submit",
        "inventory.count",
        method="post",
        factory=counted,
    ),
    Endpoint(
        "api:cycle-count-approve",
        lambda c: f"/api/v1/cycle-counts/{c.pk}/approve",
        "inventory.approve_count",
        method="post",
        factory=pending_count,
        data=REASON,
    ),
    Endpoint(
        "api:cycle-count-reject",
        lambda c: f"/api/v1/cycle-counts/{c.pk}/reject",
        "inventory.approve_count",
        method="post",
        factory=pending_count,
        data=REASON,
    ),
    Endpoint(
        "api:cycle-count-cancel",
        lambda c: f"/api/v1/cycle-counts/{c.pk}/cancel",
        "inventory.count",
        method="post",
        factory=count,
        data=REASON,
    ),
]
