"""Inventory benchmarks (issue 6, "Performance").

1. On hand for one item across 100,000 ledger rows: selectors.on_hand (the locked balance
   cache that `mederp inventory check` proves equal to the ledger) against a plain SQL SUM over
   the same StockMove rows, in the same run; both figures must agree.
2. Receiving 10,000 lots through the service layer with their audit entries, in lots/s:
   purchasing.services.receive against an approved PO line (our lot, the quarantine movement,
   the receipt and the ledger entries per lot), against the same rows written by plain ORM
   inserts without services or ledger, in the same run. If purchasing is not installed, the
   inventory services that receiving calls (create_lot + receive_into_quarantine) are used,
   and the line says so.

Run: .venv/bin/python bench/inventory.py [--scale 0.1] (make bench runs it).
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import best_of, django_setup, parse, report


def _plant() -> dict[str, Any]:
    from mederp.identity import services as identity
    from mederp.identity.authz import SYSTEM
    from mederp.identity.models import Role
    from mederp.testing import materials as m
    from mederp.testing.users import PASSWORD

    site = identity.create_site(SYSTEM, code="BENCH", name="Bench site")
    user = identity.create_user(SYSTEM, username="bench", full_name="Bench user", password=PASSWORD)
    for role in ("warehouse_clerk", "purchaser"):
        identity.assign_role(SYSTEM, user, Role.objects.get(code=role), site, reason="bench")
    return {"site": site, "user": user, "plant": m.locations(site)}


def build_ledger(ctx: dict[str, Any], rows: int) -> Any:
    """`rows` movements of one item over 100 lots and two locations, plus a fifth as many of
    other items; balances set to the sums (set-up only; not what is measured)."""
    from django.db import transaction
    from django.utils import timezone

    from mederp.inventory.models import Lot, StockBalance, StockMove
    from mederp.testing import materials as m

    site, plant = ctx["site"], ctx["plant"]
    places = [plant["stock"], plant["production"]]
    target = m.item("BENCH-ITEM")
    others = [m.item() for _ in range(5)]
    now = timezone.now()

    def fill(item: Any, n: int) -> None:
        lots = Lot.objects.bulk_create(
            [
                Lot(item=item, number=f"B-{item.code}-{i:04d}", site=site, status="released")
                for i in range(100)
            ]
        )
        sums: dict[tuple[int, int], Decimal] = {}
        seen: dict[tuple[int, int], int] = {}
        batch: list[StockMove] = []
        for i in range(n):
            lot, loc = lots[i % 100], places[(i // 100) % 2]
            key = (lot.pk, loc.pk)
            seen[key] = seen.get(key, 0) + 1
            receipt = seen[key] % 3 != 0  # per lot × location: two receipts of 5, an issue of 3
            qty = Decimal(5) if receipt else Decimal(3)
            sums[key] = sums.get(key, Decimal(0)) + (qty if receipt else -qty)
            batch.append(
                StockMove(
                    site=site,
                    kind="receipt" if receipt else "issue",
                    item=item,
                    lot=lot,
                    to_location=loc if receipt else None,
                    from_location=None if receipt else loc,
                    quantity=qty,
                    uom_id=item.uom_id,
                    created_at=now,
                )
            )
            if len(batch) == 5000:
                StockMove.objects.bulk_create(batch)
                batch.clear()
        StockMove.objects.bulk_create(batch)
        StockBalance.objects.bulk_create(
            [
                StockBalance(item=item, lot_id=lot_id, location_id=loc_id, quantity=q)
                for (lot_id, loc_id), q in sums.items()
            ]
        )

    with transaction.atomic():
        fill(target, rows)
        for item in others:
            fill(item, rows // 25)
    return target


def bench_on_hand(ctx: dict[str, Any], rows: int) -> None:
    from django.db import connection

    from mederp.inventory import selectors

    item = build_ledger(ctx, rows)
    sql = (
        "SELECT COALESCE(SUM(CASE WHEN to_location_id IS NOT NULL THEN quantity ELSE 0 END), 0)"
        " - COALESCE(SUM(CASE WHEN from_location_id IS NOT NULL THEN quantity ELSE 0 END), 0)"
        " FROM inventory_stockmove WHERE item_id = %s"
    )
    got: dict[str, Decimal] = {}

    def cached() -> None:
        got["on_hand"] = selectors.on_hand(item)

    def plain_sum() -> None:
        with connection.cursor() as cur:
            cur.execute(sql, [item.pk])
            got["sum"] = Decimal(str(cur.fetchone()[0]))

    cached_s = best_of(cached, repeat=5)
    sum_s = best_of(plain_sum, repeat=5)
    if got["on_hand"] != got["sum"]:
        raise SystemExit(f"on hand {got['on_hand']} differs from the ledger sum {got['sum']}")
    report(
        f"on hand of one item over {rows:,} ledger rows (selectors.on_hand)",
        cached_s * 1000,
        "ms",
        cached_s / sum_s,
        f"plain SQL SUM over the same rows, {sum_s * 1000:.1f} ms",
    )


def _po_line(ctx: dict[str, Any], item: Any, quantity: int) -> Any:
    from mederp.purchasing import services as purchasing
    from mederp.testing import materials as m

    supplier = m.supplier()
    m.approve(supplier, item)
    m.certificate(supplier, expires_on=dt.date.today() + dt.timedelta(days=3650))
    user = ctx["user"]
    order = purchasing.create_order(user, site=ctx["site"], supplier=supplier)
    line = purchasing.add_line(
        user,
        order,
        item=item,
        quantity=quantity,
        uom=None,
        unit_price=0,
        due_date=dt.date.today() + dt.timedelta(days=30),
    )
    purchasing.submit(user, order)  # a zero-amount order needs no approval
    return line


def bench_receiving(ctx: dict[str, Any], lots: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from mederp.audit.models import AuditEntry
    from mederp.inventory import services
    from mederp.inventory.models import Lot, StockBalance, StockMove
    from mederp.testing import materials as m

    user, site, quarantine = ctx["user"], ctx["site"], ctx["plant"]["quarantine"]
    item = m.item("BENCH-RECV", shelf_life_days=730)
    try:
        from mederp.purchasing import services as purchasing

        line = _po_line(ctx, item, lots)
        path = "purchasing.services.receive"

        def receive_one(i: int) -> None:
            purchasing.receive(
                user,
                line=line,
                quantity=1,
                uom=None,
                supplier_lot=f"S{i}",
                manufactured_on=dt.date.today(),
            )
    except ImportError:
        path = "inventory.services.create_lot + receive_into_quarantine"

        @transaction.atomic
        def receive_one(i: int) -> None:
            lot = services.create_lot(user, item=item, site=site, supplier_lot=f"S{i}")
            services.receive_into_quarantine(user, lot=lot, location=quarantine, quantity=1)

    entries = AuditEntry.objects.count()
    start = time.perf_counter()
    for i in range(lots):
        receive_one(i)
    took = time.perf_counter() - start
    written = AuditEntry.objects.count() - entries

    plain_n = max(lots // 5, 100)
    now = timezone.now()

    def plain() -> None:
        for i in range(plain_n):
            with transaction.atomic():
                lot = Lot.objects.create(
                    item=item, number=f"P-{time.monotonic_ns()}-{i}", site=site, supplier_lot="P"
                )
                StockMove.objects.create(
                    site=site,
                    kind="receipt",
                    item=item,
                    lot=lot,
                    to_location=quarantine,
                    quantity=1,
                    uom_id=item.uom_id,
                    created_at=now,
                )
                StockBalance.objects.create(item=item, lot=lot, location=quarantine, quantity=1)

    plain_s = best_of(plain, repeat=1)
    rate, plain_rate = lots / took, plain_n / plain_s
    report(
        f"receiving {lots:,} lots via {path} ({written:,} audit entries)",
        rate,
        "lots/s",
        plain_rate / rate,  # how many times slower the audited path is
        f"plain ORM inserts of lot, movement and balance (no services, no ledger), "
        f"{plain_rate:,.0f} lots/s",
    )


def main() -> None:
    args = parse(__doc__.splitlines()[0])
    django_setup(args.database_url)
    from mederp.core import context

    with context.bind(channel="cli"):
        ctx = _plant()
        bench_on_hand(ctx, int(100_000 * args.scale))
        bench_receiving(ctx, int(10_000 * args.scale))


if __name__ == "__main__":
    main()
