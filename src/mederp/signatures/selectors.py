"""Read queries on signatures."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType

from mederp.signatures.models import Signature


def signer_ids(record: Any, meanings: Iterable[str]) -> set[int]:
    """Users who signed `record` (any version) with one of `meanings`."""
    return set(
        Signature.objects.filter(
            content_type=ContentType.objects.get_for_model(type(record)),
            object_id=str(record.pk),
            meaning__in=list(meanings),
        ).values_list("signer_id", flat=True)
    )
