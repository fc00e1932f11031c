"""Cycle-count controls found by review: segregation of duties across everyone who counted or
submitted, lot status against location type for stock found, save-and-submit in one
transaction, expired stock left in place and shown as such."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from mederp.audit.models import AuditEntry
from mederp.identity import services as identity
from mederp.identity.authz import SYSTEM
from mederp.identity.models import Role
from mederp.inventory import counts, services
from mederp.inventory.models import CycleCount, StockBalance, StockMove
from mederp.testing import materials as m


@pytest.fixture
def plant(site_a: Any) -> dict[str, Any]:
    return m.locations(site_a)


@pytest.fixture
def stocked(site_a: Any, plant: Any) -> Any:
    lot = m.lot(m.item(), site_a)
    m.stock(lot, plant["stock"], 100)
    return lot


@pytest.fixture
def x_and_y(site_a: Any, make_user: Any) -> tuple[Any, Any]:
    """X counts and may approve counts; Y is a colleague who counts."""
    x = make_user("warehouse_clerk", site_a)
    identity.assign_role(
        SYSTEM, x, Role.objects.get(code="production_supervisor"), site_a, reason="t"
    )
    return x, make_user("warehouse_clerk", site_a)


def _line(count: Any) -> Any:
    return count.lines.get()


def _refused_as_counter(actor: Any, count: Any) -> None:
    with pytest.raises(PermissionDenied, match="counter_not_adjustment_approver"):
        counts.approve_count(actor, count, reason="mine")
    count.refresh_from_db()
    assert count.status == "pending_approval"
    assert AuditEntry.objects.filter(
        action="sod_violation", actor_id=actor.pk, object_id=str(count.pk)
    ).exists()
    assert not StockMove.objects.filter(reference=count.number).exists()


# --- 1. segregation of duties --------------------------------------------------------------
def test_empty_entry_by_a_colleague_does_not_let_the_counter_approve(
    plant: Any, stocked: Any, x_and_y: Any
) -> None:
    x, y = x_and_y
    count = counts.start_count(x, location=plant["stock"])
    counts.enter_counts(x, count, {_line(count).pk: ("50", "Half the shelf is gone")})
    counts.enter_counts(y, count, {})
    count = counts.submit_count(y, count)
    assert count.status == "pending_approval"
    _refused_as_counter(x, count)


def test_empty_entry_changes_nothing_and_records_nothing(
    plant: Any, stocked: Any, x_and_y: Any
) -> None:
    x, y = x_and_y
    count = counts.start_count(x, location=plant["stock"])
    counts.enter_counts(x, count, {_line(count).pk: ("50", "Half")})
    count.refresh_from_db()
    before = (count.counted_by_id, count.counted_at, count.version)
    entries = AuditEntry.objects.filter(object_id=str(count.pk)).count()
    counts.enter_counts(y, count, {})
    counts.enter_counts(y, count, {_line(count).pk: ("50.000", "Half")})  # the same figure
    count.refresh_from_db()
    assert (count.counted_by_id, count.counted_at, count.version) == before
    assert AuditEntry.objects.filter(object_id=str(count.pk)).count() == entries
    assert _line(count).counted_by == x


def test_each_line_keeps_who_counted_it(
    site_a: Any, plant: Any, stocked: Any, x_and_y: Any
) -> None:
    x, y = x_and_y
    other = m.lot(stocked.item, site_a)
    m.stock(other, plant["stock"], 10)
    count = counts.start_count(x, location=plant["stock"])
    first, second = count.lines.order_by("lot_id")
    counts.enter_counts(x, count, {first.pk: ("100", "")})
    counts.enter_counts(y, count, {second.pk: ("10", "")})
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.counted_by, second.counted_by) == (x, y)
    # a reason alone does not make someone the counter of the figure
    counts.enter_counts(y, count, {first.pk: ("100", "checked twice")})
    first.refresh_from_db()
    assert (first.counted_by, first.reason) == (x, "checked twice")


def test_the_submitter_cannot_approve(plant: Any, stocked: Any, x_and_y: Any) -> None:
    x, y = x_and_y
    count = counts.start_count(x, location=plant["stock"])
    counts.enter_counts(y, count, {_line(count).pk: ("50", "Half the shelf is gone")})
    count = counts.submit_count(x, count)
    assert count.submitted_by == x
    _refused_as_counter(x, count)


def test_a_counter_whose_figure_was_replaced_still_cannot_approve(
    plant: Any, stocked: Any, x_and_y: Any
) -> None:
    x, y = x_and_y
    count = counts.start_count(x, location=plant["stock"])
    counts.enter_counts(x, count, {_line(count).pk: ("50", "Half the shelf is gone")})
    counts.enter_counts(y, count, {_line(count).pk: ("49", "Recounted")})
    count = counts.submit_count(y, count)
    _refused_as_counter(x, count)


def test_a_counter_of_an_earlier_round_cannot_approve_the_recount(
    site_a: Any, plant: Any, stocked: Any, x_and_y: Any, make_user: Any
) -> None:
    x, y = x_and_y
    count = counts.start_count(y, location=plant["stock"])
    counts.enter_counts(y, count, {_line(count).pk: ("50", "Half")})
    counts.submit_count(y, count)
    counts.reject_count(make_user("quality_manager", site_a), count, reason="Recount")
    counts.enter_counts(x, count, {_line(count).pk: ("40", "Recounted")})
    counts.enter_counts(y, count, {_line(count).pk: ("50", "Recounted again")})
    count = counts.submit_count(y, count)
    _refused_as_counter(x, count)


def test_someone_who_neither_counted_nor_submitted_approves(
    site_a: Any, plant: Any, stocked: Any, x_and_y: Any
) -> None:
    x, y = x_and_y
    count = counts.start_count(x, location=plant["stock"])  # starting is not counting
    counts.enter_counts(y, count, {_line(count).pk: ("50", "Half the shelf is gone")})
    count = counts.submit_count(y, count)
    count = counts.approve_count(x, count, reason="Seen the empty shelf")
    assert count.status == "posted"
    assert StockBalance.objects.get(lot=stocked, location=plant["stock"]).quantity == 50


def test_api_empty_entry_does_not_let_the_counter_approve(
    client: Client, plant: Any, stocked: Any, x_and_y: Any
) -> None:
    x, y = x_and_y
    client.force_login(x)
    data = client.post(
        "/api/v1/cycle-counts",
        {"site": plant["stock"].site.code, "location": plant["stock"].code},
        content_type="application/json",
    ).json()
    url = f"/api/v1/cycle-counts/{data['id']}"
    lines = [{"line": data["lines"][0]["id"], "counted": "50", "reason": "Half"}]
    assert (
        client.post(f"{url}/counts", {"lines": lines}, content_type="application/json").status_code
        == 200
    )
    client.force_login(y)
    assert (
        client.post(f"{url}/counts", {"lines": []}, content_type="application/json").status_code
        == 200
    )
    assert client.post(f"{url}/submit").json()["status"] == "pending_approval"
    client.force_login(x)
    refused = client.post(f"{url}/approve", {"reason": "ok"}, content_type="application/json")
    assert refused.status_code == 403
    assert "counter_not_adjustment_approver" in refused.json()["detail"]
    assert AuditEntry.objects.filter(action="sod_violation", actor_id=x.pk).exists()


# --- 2. lot status against location type ---------------------------------------------------
@pytest.mark.parametrize("status", ["quarantine", "rejected", "expired"])
def test_a_lot_that_may_not_sit_in_released_stock_cannot_be_found_there(
    site_a: Any, plant: Any, make_user: Any, status: str
) -> None:
    clerk = make_user("warehouse_clerk", site_a)
    lot = m.lot(m.item(), site_a, status=status)
    count = counts.start_count(clerk, location=plant["stock"])
    with pytest.raises(ValidationError) as refused:
        counts.add_line(clerk, count, lot=lot, location=plant["stock"])
    message = " ".join(refused.value.messages)
    assert lot.get_status_display() in message
    assert "Released stock" in message
    assert not count.lines.exists()


def test_a_quarantine_lot_can_be_found_in_quarantine(
    site_a: Any, plant: Any, make_user: Any
) -> None:
    clerk = make_user("warehouse_clerk", site_a)
    lot = m.lot(m.item(), site_a, status="quarantine")
    count = counts.start_count(clerk, location=plant["quarantine"])
    line = counts.add_line(clerk, count, lot=lot, location=plant["quarantine"])
    counts.enter_counts(clerk, count, {line.pk: ("3", "Found on the pallet")})
    counts.submit_count(clerk, count)
    counts.approve_count(make_user("quality_manager", site_a), count, reason="Seen")
    assert StockBalance.objects.get(lot=lot, location=plant["quarantine"]).quantity == 3


def test_post_adjustment_refuses_stock_found_for_a_lot_not_allowed_there(
    site_a: Any, plant: Any, make_user: Any
) -> None:
    lot = m.lot(m.item(), site_a, status="quarantine")
    with pytest.raises(ValidationError) as refused:
        services.post_adjustment(
            SYSTEM,
            lot=lot,
            location=plant["stock"],
            difference=Decimal(5),
            reason="found",
            reference="CC-X",
        )
    message = " ".join(refused.value.messages)
    assert "Quarantine" in message
    assert "Released stock" in message
    assert not StockMove.objects.filter(lot=lot).exists()


def test_stock_missing_of_an_expired_lot_in_released_stock_is_adjusted(
    site_a: Any, plant: Any, stocked: Any
) -> None:
    services.expire_lots(today=dt.date.today())  # nothing due: the lot has no expiry date
    stocked.status = "expired"
    stocked.save(update_fields=["status"])
    services.post_adjustment(
        SYSTEM,
        lot=stocked,
        location=plant["stock"],
        difference=Decimal(-5),
        reason="missing",
        reference="CC-X",
    )
    assert StockBalance.objects.get(lot=stocked, location=plant["stock"]).quantity == 95


def test_a_lot_that_expired_during_the_count_cannot_be_found_into_stock(
    site_a: Any, plant: Any, stocked: Any, make_user: Any
) -> None:
    clerk = make_user("warehouse_clerk", site_a)
    count = counts.start_count(clerk, location=plant["stock"])
    counts.enter_counts(clerk, count, {_line(count).pk: ("101", "One more found")})
    stocked.expires_on = dt.date.today() - dt.timedelta(days=1)
    stocked.save(update_fields=["expires_on"])
    assert services.expire_lots() == 1
    with pytest.raises(ValidationError, match="Expired"):
        counts.submit_count(clerk, count)
    count.refresh_from_db()
    assert count.status == "open"
    assert not StockMove.objects.filter(reference=count.number).exists()


# --- 3. save and submit in one transaction -------------------------------------------------
def test_submit_with_entries_refused_leaves_nothing_written(
    site_a: Any, plant: Any, stocked: Any, make_user: Any
) -> None:
    clerk = make_user("warehouse_clerk", site_a)
    count = counts.start_count(clerk, location=plant["stock"])
    entries = AuditEntry.objects.count()
    with pytest.raises(ValidationError, match="a difference needs a reason"):
        counts.submit_count(clerk, count, entries={_line(count).pk: ("90", "")})
    line = _line(count)
    assert (line.counted_quantity, line.counted_by) == (None, None)
    count.refresh_from_db()
    assert (count.status, count.counted_by) == ("open", None)
    assert AuditEntry.objects.count() == entries
    done = counts.submit_count(clerk, count, entries={line.pk: ("99", "One broken")})
    assert done.status == "posted"
    assert _line(done).counted_by == clerk


def test_page_save_and_submit_refused_leaves_the_entries_unsaved(
    client: Client, site_a: Any, plant: Any, stocked: Any, make_user: Any
) -> None:
    clerk = make_user("warehouse_clerk", site_a)
    client.force_login(clerk)
    count = counts.start_count(clerk, location=plant["stock"])
    line = _line(count)
    response = client.post(
        f"/inventory/counts/{count.pk}/enter/",
        {f"counted-{line.pk}": "90", f"reason-{line.pk}": "", "submit": "1"},
    )
    assert response.status_code == 400
    assert "a difference needs a reason" in response.content.decode()
    line.refresh_from_db()
    assert line.counted_quantity is None
    assert CycleCount.objects.get(pk=count.pk).counted_by is None
    response = client.post(
        f"/inventory/counts/{count.pk}/enter/",
        {f"counted-{line.pk}": "90", f"reason-{line.pk}": "Shelf half empty", "submit": "1"},
    )
    assert response.status_code == 302
    assert CycleCount.objects.get(pk=count.pk).status == "pending_approval"


# --- 4. expired stock stays where it is, shown as expired ----------------------------------
def test_expired_stock_stays_in_place_and_is_shown_as_expired(
    client: Client, site_a: Any, plant: Any, stocked: Any, make_user: Any
) -> None:
    stocked.expires_on = dt.date.today() - dt.timedelta(days=1)
    stocked.save(update_fields=["expires_on"])
    assert services.expire_lots() == 1
    assert StockBalance.objects.get(lot=stocked, location=plant["stock"]).quantity == 100
    client.force_login(make_user("warehouse_clerk", site_a))
    badge = 'class="inv-status inv-status-expired"'
    assert badge in client.get("/inventory/?by=location").content.decode()
    assert badge in client.get(f"/inventory/locations/{plant['stock'].pk}/").content.decode()
    count = counts.start_count(make_user("warehouse_clerk", site_a), location=plant["stock"])
    assert badge in client.get(f"/inventory/counts/{count.pk}/").content.decode()
    # the rules allow moving it to quarantine (or MRB)
    services.transfer(
        make_user("warehouse_clerk", site_a),
        lot=stocked,
        from_location=plant["stock"],
        to_location=plant["quarantine"],
        quantity=100,
        reason="Expired",
    )
    assert StockBalance.objects.get(lot=stocked, location=plant["quarantine"]).quantity == 100
