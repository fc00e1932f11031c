"""Cycle counts: expected quantities, reasons, the approval threshold and SoD, posting."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mederp.audit.models import AuditEntry
from mederp.inventory import counts, selectors, services
from mederp.inventory.models import StockBalance, StockMove
from mederp.testing import materials as m


@pytest.fixture
def plant(site_a: Any) -> dict[str, Any]:
    return m.locations(site_a)


@pytest.fixture
def stocked(site_a: Any, plant: Any) -> Any:
    lot = m.lot(m.item(), site_a)
    m.stock(lot, plant["stock"], 100)
    return lot


def _line(count: Any) -> Any:
    return count.lines.get()


def test_start_takes_expected_quantities_from_balances(
    site_a: Any, plant: Any, stocked: Any, make_user: Any
) -> None:
    clerk = make_user("warehouse_clerk", site_a)
    count = counts.start_count(clerk, location=plant["warehouse"], reason="Quarterly")
    line = _line(count)
    assert (line.lot, line.location, line.expected_quantity) == (stocked, plant["stock"], 100)
    assert count.number.startswith("CC-")
    assert AuditEntry.objects.filter(action="create", object_id=str(count.pk)).exists()


def test_wrong_role_cannot_start_or_approve(
    site_a: Any, plant: Any, stocked: Any, make_user: Any
) -> None:
    with pytest.raises(PermissionDenied):
        counts.start_count(make_user("sales", site_a), location=plant["stock"])
    clerk = make_user("warehouse_clerk", site_a)
    count = counts.start_count(clerk, location=plant["stock"])
    counts.enter_counts(clerk, count, {_line(count).pk: ("50", "Damaged, binned")})
    count = counts.submit_count(clerk, count)
    with pytest.raises(PermissionDenied):
        counts.approve_count(clerk, count, reason="ok")


def test_small_difference_posts_at_once_with_adjustment_and_ledger_entry(
    site_a: Any, plant: Any, stocked: Any, make_user: Any
) -> None:
    clerk = make_user("warehouse_clerk", site_a)
    count = counts.start_count(clerk, location=plant["stock"])
    counts.enter_counts(clerk, count, {_line(count).pk: ("98", "Two found broken")})
    count = counts.submit_count(clerk, count)
    assert count.status == "posted"
    move = StockMove.objects.get(reference=count.number)
    assert (move.kind, move.quantity, move.from_location) == ("adjustment", 2, plant["stock"])
    assert selectors.on_hand(stocked.item) == 98
    assert selectors.balance_mismatches() == []
    entry = AuditEntry.objects.filter(action="count_posted").latest("seq")
    assert entry.changes["adjustments"] == [None, {f"{stocked.number}@{plant['stock'].code}": "-2"}]


def test_difference_needs_a_reason(site_a: Any, plant: Any, stocked: Any, make_user: Any) -> None:
    clerk = make_user("warehouse_clerk", site_a)
    count = counts.start_count(clerk, location=plant["stock"])
    counts.enter_counts(clerk, count, {_line(count).pk: ("99", "")})
    with pytest.raises(ValidationError, match="a difference needs a reason"):
        counts.submit_count(clerk, count)


def test_uncounted_line_blocks_submission(
    site_a: Any, plant: Any, stocked: Any, make_user: Any
) -> None:
    clerk = make_user("warehouse_clerk", site_a)
    count = counts.start_count(clerk, location=plant["stock"])
    with pytest.raises(ValidationError, match="not counted yet"):
        counts.submit_count(clerk, count)


def test_negative_count_is_refused(site_a: Any, plant: Any, stocked: Any, make_user: Any) -> None:
    clerk = make_user("warehouse_clerk", site_a)
    count = counts.start_count(clerk, location=plant["stock"])
    with pytest.raises(ValidationError, match="cannot be negative"):
        counts.enter_counts(clerk, count, {_line(count).pk: ("-1", "x")})


def test_large_difference_waits_for_a_second_person(
    site_a: Any, plant: Any, stocked: Any, make_user: Any, settings: Any
) -> None:
    settings.MEDERP_COUNT_APPROVAL_PERCENT = "2"
    clerk = make_user("warehouse_clerk", site_a)
    count = counts.start_count(clerk, location=plant["stock"])
    counts.enter_counts(clerk, count, {_line(count).pk: ("90", "Shelf half empty")})
    count = counts.submit_count(clerk, count)
    assert count.status == "pending_approval"
    assert not StockMove.objects.filter(reference=count.number).exists()
    approver = make_user("quality_manager", site_a)
    count = counts.approve_count(approver, count, reason="Checked the shelf")
    assert count.status == "posted"
    assert count.approved_by == approver
    assert StockBalance.objects.get(lot=stocked, location=plant["stock"]).quantity == 90


def test_counter_cannot_approve_own_count(
    site_a: Any, plant: Any, stocked: Any, make_user: Any
) -> None:
    counter = make_user("warehouse_clerk", site_a)
    # the same person also holds the approval permission: only the SoD rule stops them
    from mederp.identity import services as identity
    from mederp.identity.authz import SYSTEM
    from mederp.identity.models import Role

    identity.assign_role(
        SYSTEM, counter, Role.objects.get(code="production_supervisor"), site_a, reason="t"
    )
    count = counts.start_count(counter, location=plant["stock"])
    counts.enter_counts(counter, count, {_line(count).pk: ("50", "Lost")})
    count = counts.submit_count(counter, count)
    with pytest.raises(PermissionDenied, match="counter_not_adjustment_approver"):
        counts.approve_count(counter, count, reason="mine")
    count.refresh_from_db()
    assert count.status == "pending_approval"
    assert AuditEntry.objects.filter(action="sod_violation", actor_id=counter.pk).exists()


def test_any_difference_where_nothing_was_expected_needs_approval(
    site_a: Any, plant: Any, make_user: Any
) -> None:
    clerk = make_user("warehouse_clerk", site_a)
    lot = m.lot(m.item(), site_a)
    count = counts.start_count(clerk, location=plant["stock"])
    line = counts.add_line(clerk, count, lot=lot, location=plant["stock"])
    assert line.expected_quantity == 0
    counts.enter_counts(clerk, count, {line.pk: ("1", "Found behind the rack")})
    assert counts.submit_count(clerk, count).status == "pending_approval"
    counts.approve_count(make_user("quality_manager", site_a), count, reason="Seen")
    assert selectors.on_hand(lot.item) == 1
    assert selectors.balance_mismatches() == []


def test_stock_moved_during_the_count_refuses_posting(
    site_a: Any, plant: Any, stocked: Any, make_user: Any
) -> None:
    clerk = make_user("warehouse_clerk", site_a)
    count = counts.start_count(clerk, location=plant["stock"])
    counts.enter_counts(clerk, count, {_line(count).pk: ("99", "One missing")})
    services.issue(clerk, lot=stocked, location=plant["stock"], quantity=5)
    with pytest.raises(ValidationError, match="Stock moved at the counted locations"):
        counts.submit_count(clerk, count)
    count.refresh_from_db()
    assert count.status == "open"
    assert not StockMove.objects.filter(reference=count.number).exists()


def test_serial_items_are_not_adjusted_by_count(site_a: Any, plant: Any, make_user: Any) -> None:
    clerk = make_user("warehouse_clerk", site_a)
    lot = m.lot(m.item(tracking="serial"), site_a)
    m.stock(lot, plant["stock"], 2, serials=["S1", "S2"])
    count = counts.start_count(clerk, location=plant["stock"])
    counts.enter_counts(clerk, count, {_line(count).pk: ("1", "One missing")})
    with pytest.raises(ValidationError, match="serial-tracked items are not adjusted"):
        counts.submit_count(clerk, count)
    counts.enter_counts(clerk, count, {_line(count).pk: ("2", "")})
    assert counts.submit_count(clerk, count).status == "posted"


def test_reject_reopens_and_cancel_closes(
    site_a: Any, plant: Any, stocked: Any, make_user: Any
) -> None:
    clerk = make_user("warehouse_clerk", site_a)
    count = counts.start_count(clerk, location=plant["stock"])
    counts.enter_counts(clerk, count, {_line(count).pk: ("10", "Missing")})
    counts.submit_count(clerk, count)
    qm = make_user("quality_manager", site_a)
    with pytest.raises(ValidationError, match="reason"):
        counts.reject_count(qm, count, reason=" ")
    assert counts.reject_count(qm, count, reason="Recount").status == "open"
    assert counts.cancel_count(clerk, count, reason="Wrong shelf").status == "cancelled"
    with pytest.raises(ValidationError, match="not possible now"):
        counts.submit_count(clerk, count)
