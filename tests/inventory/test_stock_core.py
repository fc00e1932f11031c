"""The stock ledger core: movements, balances, status rules, FEFO and the ledger proof."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mederp.audit.models import AuditEntry
from mederp.inventory import selectors, services
from mederp.inventory.models import StockBalance, StockMove
from mederp.testing import materials as m


@pytest.fixture
def plant(site_a: Any) -> dict[str, Any]:
    return m.locations(site_a)


def test_issue_moves_stock_out_and_records_it(site_a: Any, plant: Any, make_user: Any) -> None:
    clerk = make_user("warehouse_clerk", site_a)
    item = m.item()
    lot = m.lot(item, site_a)
    m.stock(lot, plant["stock"], 10)
    services.issue(clerk, lot=lot, location=plant["stock"], quantity="4", reference="WO-1")
    assert selectors.on_hand(item) == Decimal(6)
    assert selectors.on_hand_from_ledger(item) == Decimal(6)
    assert selectors.balance_mismatches() == []
    entry = AuditEntry.objects.filter(action="stock_move").latest("seq")
    assert entry.changes["kind"] == [None, "issue"]
    assert entry.changes["quantity"] == [None, "4"]


def test_issue_more_than_on_hand_is_refused_and_writes_nothing(
    site_a: Any, plant: Any, make_user: Any
) -> None:
    clerk = make_user("warehouse_clerk", site_a)
    lot = m.lot(m.item(), site_a)
    m.stock(lot, plant["stock"], 3)
    moves = StockMove.objects.count()
    with pytest.raises(ValidationError, match="Only 3 EA"):
        services.issue(clerk, lot=lot, location=plant["stock"], quantity=5)
    assert StockMove.objects.count() == moves
    assert StockBalance.objects.get(lot=lot).quantity == 3


@pytest.mark.parametrize("status", ["quarantine", "rejected", "on_hold", "expired"])
def test_only_released_lots_are_issued(
    status: str, site_a: Any, plant: Any, make_user: Any
) -> None:
    clerk = make_user("warehouse_clerk", site_a)
    lot = m.lot(m.item(), site_a, status=status)
    m.stock(lot, plant["quarantine"], 3)
    with pytest.raises(ValidationError, match="only released lots"):
        services.issue(clerk, lot=lot, location=plant["quarantine"], quantity=1)


def test_expired_released_lot_is_refused(site_a: Any, plant: Any, make_user: Any) -> None:
    clerk = make_user("warehouse_clerk", site_a)
    lot = m.lot(m.item(), site_a, expires_on=dt.date(2020, 1, 1))
    m.stock(lot, plant["stock"], 3)
    with pytest.raises(ValidationError, match="expired on 2020-01-01"):
        services.issue(clerk, lot=lot, location=plant["stock"], quantity=1)


def test_wrong_role_cannot_move_stock(site_a: Any, plant: Any, make_user: Any) -> None:
    buyer = make_user("purchaser", site_a)
    lot = m.lot(m.item(), site_a)
    m.stock(lot, plant["stock"], 3)
    with pytest.raises(PermissionDenied):
        services.issue(buyer, lot=lot, location=plant["stock"], quantity=1)


def test_quarantined_lot_cannot_go_to_released_stock(
    site_a: Any, plant: Any, make_user: Any
) -> None:
    clerk = make_user("warehouse_clerk", site_a)
    lot = m.lot(m.item(), site_a, status="quarantine")
    m.stock(lot, plant["quarantine"], 3)
    with pytest.raises(ValidationError, match="cannot be put in a Released stock location"):
        services.transfer(
            clerk,
            lot=lot,
            from_location=plant["quarantine"],
            to_location=plant["stock"],
            quantity=1,
        )


def test_serial_items_move_by_serial(site_a: Any, plant: Any, make_user: Any) -> None:
    clerk = make_user("warehouse_clerk", site_a)
    lot = m.lot(m.item(tracking="lot_serial"), site_a)
    m.stock(lot, plant["stock"], 3, serials=["A1", "A2", "A3"])
    with pytest.raises(ValidationError, match="one serial number per unit"):
        services.issue(clerk, lot=lot, location=plant["stock"], quantity=2, serials=["A1"])
    services.issue(clerk, lot=lot, location=plant["stock"], quantity=2, serials=["A1", "A3"])
    statuses = dict(lot.serials.values_list("serial", "status"))
    assert statuses == {"A1": "issued", "A2": "in_stock", "A3": "issued"}
    with pytest.raises(ValidationError, match="not in stock"):
        services.issue(clerk, lot=lot, location=plant["stock"], quantity=1, serials=["A1"])


def test_fefo_suggests_earliest_expiry_first(site_a: Any, plant: Any) -> None:
    item = m.item()
    late = m.lot(item, site_a, expires_on=dt.date(2031, 1, 1))
    never = m.lot(item, site_a)
    early = m.lot(item, site_a, expires_on=dt.date(2030, 1, 1))
    gone = m.lot(item, site_a, expires_on=dt.date(2020, 1, 1))
    for lot in (late, never, early, gone):
        m.stock(lot, plant["stock"], 5)
    picks = selectors.fefo(item, Decimal(12), site=site_a, today=dt.date(2026, 1, 1))
    assert [(p.lot_number, p.quantity) for p in picks] == [
        (early.number, 5),
        (late.number, 5),
        (never.number, 2),
    ]


def test_hold_and_lift_need_qa_and_a_reason(site_a: Any, plant: Any, make_user: Any) -> None:
    qa = make_user("qa_specialist", site_a)
    clerk = make_user("warehouse_clerk", site_a)
    lot = m.lot(m.item(), site_a)
    with pytest.raises(PermissionDenied):
        services.hold_lot(clerk, lot, reason="x")
    with pytest.raises(ValidationError):
        services.hold_lot(qa, lot, reason=" ")
    services.hold_lot(qa, lot, reason="complaint C-1")
    lot.refresh_from_db()
    assert lot.status == "on_hold"
    services.lift_hold(qa, lot, reason="complaint closed")
    lot.refresh_from_db()
    assert lot.status == "released"


def test_expiry_job(site_a: Any) -> None:
    lot = m.lot(m.item(), site_a, expires_on=dt.date(2026, 1, 1))
    fresh = m.lot(m.item(), site_a, expires_on=dt.date(2027, 1, 1))
    assert services.expire_lots(today=dt.date(2026, 6, 1)) == 1
    lot.refresh_from_db()
    fresh.refresh_from_db()
    assert (lot.status, fresh.status) == ("expired", "released")


def test_moving_a_lots_stock_after_a_disposition_is_in_the_ledger(site_a: Any, plant: Any) -> None:
    from mederp.identity.authz import SYSTEM

    lot = m.lot(m.item(), site_a, status="released")
    m.stock(lot, plant["quarantine"], 7)
    before = AuditEntry.objects.filter(action="stock_move").count()
    assert services.move_lot_stock(SYSTEM, lot, "stock", reason="accepted", reference="INS-1") == 1
    entry = AuditEntry.objects.filter(action="stock_move").latest("seq")
    assert AuditEntry.objects.filter(action="stock_move").count() == before + 1
    # the highest stock location in the tree: the warehouse, from where stock is put away
    assert entry.changes["to_location"] == [None, plant["warehouse"].code]
    assert entry.changes["quantity"] == [None, "7"]
    assert selectors.on_hand(lot.item, location=plant["warehouse"]) == 7
