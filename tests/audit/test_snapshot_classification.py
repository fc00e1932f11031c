"""`snapshot` decides which values to fingerprint exactly as the classification registry does."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps

from mederp.audit.changes import REDACTED, snapshot
from mederp.core.classification import field_class, is_mederp_model

pytestmark = pytest.mark.django_db


def _audited_plain_fields(model: type[Any]) -> list[Any]:
    excluded = getattr(model, "audit_exclude", frozenset())
    return [
        f
        for f in model._meta.concrete_fields
        if f.name not in excluded and f.name != "password" and not hasattr(f, "audit_value")
    ]


@pytest.mark.parametrize(
    "model",
    [m for m in apps.get_models() if is_mederp_model(m)],
    ids=lambda m: m._meta.label_lower,
)
def test_snapshot_fingerprints_exactly_the_restricted_fields(model: type[Any]) -> None:
    """`snapshot` reads the declarations directly; it must decide as `field_class` does (plus
    the fields a model lists in `audit_fingerprint`, such as prices)."""
    if any(hasattr(f, "audit_value") for f in model._meta.concrete_fields):
        pytest.skip("encrypted fields fingerprint themselves")
    instance = model.__new__(model)
    instance.__dict__.update({f.attname: "x-value" for f in model._meta.concrete_fields})
    snap = snapshot(instance)
    for f in _audited_plain_fields(model):
        fingerprinted = isinstance(snap[f.name], dict) and set(snap[f.name]) == {REDACTED}
        expected = field_class(model, f.name).restricted or f.name in getattr(
            model, "audit_fingerprint", ()
        )
        assert fingerprinted == expected, f.name


def test_snapshot_reads_a_reclassified_field_at_once(site_a: Any) -> None:
    from mederp.core.classification import RESTRICTED
    from mederp.identity.models import Site

    assert snapshot(site_a)["address"] == site_a.address
    original = Site.data_classification
    Site.data_classification = {**original, "address": RESTRICTED}
    try:
        site_a.address = "Room 7"
        assert set(snapshot(site_a)["address"]) == {REDACTED}
    finally:
        Site.data_classification = original
