"""Never lies under concurrency: 16 workers, each on its own database connection, issue from
one lot more than it holds. On PostgreSQL they race for real (the lot row lock queues them);
SQLite has one writer at a time, so there the same workers take turns."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from mederp.inventory import selectors, services
from mederp.inventory.models import Lot, StockBalance, StockMove
from mederp.testing import materials as m

WORKERS = 16
TRIES = 3  # each worker tries 3 issues of 2: 96 units asked of 40 held
EACH = Decimal(2)
HELD = Decimal(40)


def _race(site: Any, clerk: Any, serialize: bool) -> None:
    plant = m.locations(site)
    lot = m.lot(m.item(), site)
    m.stock(lot, plant["stock"], HELD)
    location = plant["stock"]
    barrier = threading.Barrier(WORKERS)
    turn = threading.Lock()
    done: list[Decimal] = []
    refused: list[str] = []
    errors: list[BaseException] = []

    @contextlib.contextmanager
    def maybe_serialized() -> Iterator[None]:
        if serialize:
            with turn:
                yield
        else:
            yield

    def worker(n: int) -> None:
        try:
            barrier.wait()
            for i in range(TRIES):
                with maybe_serialized():
                    try:
                        # a fresh Lot object each time: nothing cached from another worker
                        services.issue(
                            clerk,
                            lot=Lot.objects.get(pk=lot.pk),
                            location=location,
                            quantity=EACH,
                            reference=f"W{n}-{i}",
                        )
                    except ValidationError as exc:
                        refused.append(" ".join(exc.messages))
                    else:
                        done.append(EACH)
        except BaseException as exc:  # reported to the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert not errors, errors
    consumed = sum(done, Decimal(0))
    balance = StockBalance.objects.get(lot=lot, location=location).quantity
    issues = StockMove.objects.filter(lot=lot, kind="issue")
    assert balance >= 0
    assert consumed == HELD - balance == HELD  # every unit went out, none twice
    assert issues.count() == len(done) == HELD / EACH  # no movement lost
    assert len(refused) == WORKERS * TRIES - len(done)
    assert all("Only" in r for r in refused), refused[:3]
    assert selectors.on_hand_from_ledger(lot.item) == balance == 0
    assert selectors.balance_mismatches() == []


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="parallel writers need PostgreSQL")
@pytest.mark.usefixtures("ledger_transactional_db")
def test_sixteen_parallel_issuers_on_postgres(site_a: Any, make_user: Any) -> None:
    _race(site_a, make_user("warehouse_clerk", site_a), serialize=False)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the serialized SQLite variant")
@pytest.mark.usefixtures("ledger_transactional_db")
def test_sixteen_issuers_serialized_on_sqlite(site_a: Any, make_user: Any) -> None:
    _race(site_a, make_user("warehouse_clerk", site_a), serialize=True)
