"""Document numbers: per prefix and year, gap-free, and given back by a rolled-back
transaction."""

from __future__ import annotations

import pytest
from django.db import transaction

from mederp.core.numbering import next_number


@pytest.mark.django_db
def test_numbers_count_per_prefix_and_year() -> None:
    with transaction.atomic():
        assert next_number("PO", year=2026) == "PO-2026-00001"
        assert next_number("PO", year=2026) == "PO-2026-00002"
        assert next_number("GR", year=2026) == "GR-2026-00001"
        assert next_number("PO", year=2027) == "PO-2027-00001"
        assert next_number("LOT", year=2026, width=6) == "LOT-2026-000001"


@pytest.mark.django_db
def test_a_rolled_back_number_is_given_again() -> None:
    class Boom(Exception):
        pass

    with transaction.atomic():
        next_number("PO", year=2026)
    taken: list[str] = []

    def take_and_fail() -> None:
        with transaction.atomic():
            taken.append(next_number("PO", year=2026))
            raise Boom

    with pytest.raises(Boom):
        take_and_fail()
    assert taken == ["PO-2026-00002"]
    with transaction.atomic():
        assert next_number("PO", year=2026) == "PO-2026-00002"


def test_outside_a_transaction_is_refused(ledger_transactional_db: None) -> None:
    with pytest.raises(RuntimeError, match="inside the transaction"):
        next_number("PO")
