"""Property: random sequences of receipts, transfers, issues and scraps never make a balance
negative, and the balances always equal the ledger."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mederp.inventory import selectors, services
from mederp.inventory.models import StockBalance
from mederp.testing import materials as m

KINDS = ("stock", "production", "shipping")
step = st.tuples(
    st.sampled_from(["receive", "transfer", "issue", "scrap"]),
    st.integers(min_value=0, max_value=2),  # lot
    st.sampled_from(KINDS),  # from
    st.sampled_from(KINDS),  # to
    st.decimals(min_value=Decimal("0.5"), max_value=Decimal(30), places=1),
)


@pytest.fixture
def world(site_a: Any, make_user: Any) -> dict[str, Any]:
    from mederp.identity import services as identity
    from mederp.identity.authz import SYSTEM
    from mederp.identity.models import Role

    clerk = make_user("warehouse_clerk", site_a)
    identity.assign_role(
        SYSTEM, clerk, Role.objects.get(code="production_supervisor"), site_a, reason="scrap"
    )
    plant = m.locations(site_a)
    item = m.item()
    lots = [m.lot(item, site_a) for _ in range(3)]
    return {"clerk": clerk, "plant": plant, "lots": lots, "item": item}


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=1, max_size=20))
def test_random_movements_keep_the_ledger_true(world: dict[str, Any], steps: list[Any]) -> None:
    clerk, plant, lots = world["clerk"], world["plant"], world["lots"]
    sid = transaction.savepoint()  # each example starts from the same empty stock
    try:
        for kind, n, src, dst, qty in steps:
            lot, a, b = lots[n], plant[src], plant[dst]
            try:
                if kind == "receive":
                    m.stock(lot, a, qty)
                elif kind == "transfer":
                    services.transfer(clerk, lot=lot, from_location=a, to_location=b, quantity=qty)
                elif kind == "issue":
                    services.issue(clerk, lot=lot, location=a, quantity=qty)
                else:
                    services.scrap(clerk, lot=lot, location=a, quantity=qty, reason="damaged")
            except ValidationError:
                pass  # refused (not enough stock, same location): nothing may have changed
            assert not StockBalance.objects.filter(quantity__lt=0).exists()
            assert selectors.balance_mismatches() == []
        assert selectors.on_hand(world["item"]) == selectors.on_hand_from_ledger(world["item"])
    finally:
        transaction.savepoint_rollback(sid)
