"""Human-readable, gap-free-per-year document numbers (`PO-2026-00042`, `LOT-2026-00007`).

`next_number("PO")` must run inside the transaction that creates the numbered record: the
sequence row stays locked until that transaction ends, so a rolled-back record gives its
number back and two writers never get the same one.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from mederp.core.models import NumberSequence


def next_number(prefix: str, *, width: int = 5, year: int | None = None) -> str:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_number() must run inside the transaction of the numbered record")
    year = year or timezone.localdate().year
    updated = NumberSequence.objects.filter(prefix=prefix, year=year).update(last=F("last") + 1)
    if not updated:
        try:
            with transaction.atomic():
                NumberSequence.objects.create(prefix=prefix, year=year, last=1)
        except IntegrityError:  # another writer created the year's row first
            NumberSequence.objects.filter(prefix=prefix, year=year).update(last=F("last") + 1)
    last = NumberSequence.objects.values_list("last", flat=True).get(prefix=prefix, year=year)
    return f"{prefix}-{year}-{last:0{width}d}"
