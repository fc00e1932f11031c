"""The ledger cannot be rewritten; the check command proves balances equal the ledger; the
expiry job expires lots."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from mederp.audit.models import AuditEntry
from mederp.inventory.models import ImmutableMoveError, StockBalance, StockMove
from mederp.inventory.tasks import expire_lots_daily
from mederp.testing import materials as m


@pytest.fixture
def move(site_a: Any) -> StockMove:
    plant = m.locations(site_a)
    lot = m.lot(m.item(), site_a)
    return m.stock(lot, plant["stock"], 5)[0]


def test_orm_refuses_changing_or_deleting_a_move(move: StockMove) -> None:
    move.quantity = 50
    with pytest.raises(ImmutableMoveError):
        move.save()
    with pytest.raises(ImmutableMoveError):
        move.delete()
    with pytest.raises(ImmutableMoveError):
        StockMove.objects.filter(pk=move.pk).update(quantity=50)
    with pytest.raises(ImmutableMoveError):
        StockMove.objects.filter(pk=move.pk).delete()
    assert StockMove.objects.get(pk=move.pk).quantity == 5


def test_database_refuses_update_with_raw_sql(move: StockMove) -> None:
    with (
        pytest.raises(DatabaseError, match="immutable"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute("UPDATE inventory_stockmove SET quantity = 50 WHERE id = %s", [move.pk])
    assert StockMove.objects.get(pk=move.pk).quantity == 5


def test_check_passes_when_balances_equal_the_ledger(move: StockMove) -> None:
    out = StringIO()
    call_command("inventory", "check", stdout=out)
    assert out.getvalue().startswith("OK: 1 stock balances equal the sums of 1 ledger movements")


def test_check_fails_and_names_each_mismatch(move: StockMove) -> None:
    balance = StockBalance.objects.get(lot=move.lot_id)
    with connection.cursor() as cur:
        cur.execute("UPDATE inventory_stockbalance SET quantity = 7 WHERE id = %s", [balance.pk])
    err, out = StringIO(), StringIO()
    with pytest.raises(CommandError, match="1 stock balance"):
        call_command("inventory", "check", stdout=out, stderr=err)
    assert f"MISMATCH lot {move.lot.number} at" in err.getvalue()
    assert "ledger 5, balance 7" in err.getvalue()
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("inventory", "check", "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert result["ok"] is False
    assert result["mismatches"][0]["balance"] == "7"


def test_check_exit_status_through_the_console_script(move: StockMove) -> None:
    """CommandError → non-zero exit: what a cron job or monitoring sees."""
    from django.core.management import ManagementUtility

    with connection.cursor() as cur:
        cur.execute("UPDATE inventory_stockbalance SET quantity = 0")
    with pytest.raises(SystemExit) as exc:
        ManagementUtility(["mederp", "inventory", "check"]).execute()
    assert exc.value.code != 0


def test_expiry_job_expires_due_lots(site_a: Any) -> None:
    item = m.item()
    old = m.lot(item, site_a, expires_on=dt.date(2020, 1, 1))
    fresh = m.lot(item, site_a, expires_on=dt.date.today() + dt.timedelta(days=30))
    rejected = m.lot(item, site_a, status="rejected", expires_on=dt.date(2020, 1, 1))
    assert expire_lots_daily.call_local() == 1
    old.refresh_from_db()
    fresh.refresh_from_db()
    rejected.refresh_from_db()
    assert (old.status, fresh.status, rejected.status) == ("expired", "released", "rejected")
    entry = AuditEntry.objects.filter(action="transition", object_id=str(old.pk)).latest("seq")
    assert entry.actor_id is None
    assert entry.changes["status"] == ["released", "expired"]
    assert expire_lots_daily.call_local() == 0
