"""Units of measure: conversions and the `convert` function other apps call."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mederp.audit.models import AuditEntry
from mederp.items import services
from mederp.items.models import UomConversion
from mederp.testing import materials as m


def test_identity_returns_the_quantity(db: None) -> None:
    assert services.convert(Decimal("2.5"), "EA", "EA") == Decimal("2.5")


def test_company_wide_conversion_and_its_inverse(db: None) -> None:
    # Seeded by the migration: 1 KG = 1000 G.
    assert services.convert(Decimal("1.5"), "KG", "G") == Decimal("1500")
    assert services.convert(Decimal("250"), m.uom("G"), m.uom("KG")) == Decimal("0.25")


def test_item_specific_conversion_comes_first(db: None) -> None:
    item = m.item()
    other = m.item()
    services.add_conversion(
        services_actor(), from_uom="BOX", to_uom="EA", factor="50", item=item, reason="r"
    )
    services.add_conversion(services_actor(), from_uom="BOX", to_uom="EA", factor="10", reason="r")
    assert services.convert(Decimal(2), "BOX", "EA", item=item) == Decimal(100)
    # Another item falls back to the company-wide box.
    assert services.convert(Decimal(2), "BOX", "EA", item=other) == Decimal(20)
    assert services.convert(Decimal(2), "BOX", "EA") == Decimal(20)
    # The other way: the inverse of the item's box wins over the inverse of the company's.
    assert services.convert(Decimal(100), "EA", "BOX", item=item) == Decimal(2)


def test_item_direct_beats_company_inverse(db: None) -> None:
    item = m.item()
    services.add_conversion(services_actor(), from_uom="EA", to_uom="BOX", factor="0.1", reason="r")
    services.add_conversion(
        services_actor(), from_uom="BOX", to_uom="EA", factor="25", item=item, reason="r"
    )
    assert services.convert(Decimal(1), "BOX", "EA", item=item) == Decimal(25)
    # Without the item: the inverse of the company-wide EA → BOX.
    assert services.convert(Decimal(1), "BOX", "EA") == Decimal(10)


def test_different_dimensions_convert_only_through_the_items_packaging(db: None) -> None:
    with pytest.raises(ValidationError, match=r"KG .* cannot be converted to EA"):
        services.convert(Decimal(1), "KG", "EA")
    tubing = m.item(uom=m.uom("M"))
    other = m.item(uom=m.uom("M"))
    # A roll of this tubing holds 500 m: a packaging unit of the item, across dimensions.
    services.add_conversion(
        services_actor(), from_uom="ROLL", to_uom="M", factor="500", item=tubing, reason="r"
    )
    assert services.convert(Decimal(4), "ROLL", "M", item=tubing) == Decimal(2000)
    assert services.convert(Decimal(250), "M", "ROLL", item=tubing) == Decimal("0.5")
    with pytest.raises(ValidationError, match=r"ROLL .* cannot be converted to M"):
        services.convert(Decimal(4), "ROLL", "M", item=other)
    with pytest.raises(ValidationError, match="measure different things"):
        services.add_conversion(
            services_actor(), from_uom="ROLL", to_uom="M", factor="500", reason="r"
        )


def test_no_path_names_both_units(db: None) -> None:
    item = m.item(code="CMP-77777")
    with pytest.raises(ValidationError) as exc:
        services.convert(Decimal(1), "CTN", "BOX", item=item)
    message = exc.value.messages[0]
    assert "CTN" in message
    assert "BOX" in message
    assert "CMP-77777" in message
    with pytest.raises(ValidationError, match="No company-wide conversion from CTN to BOX"):
        services.convert(Decimal(1), "CTN", "BOX")


def test_unknown_unit_and_float_quantity_are_refused(db: None) -> None:
    with pytest.raises(ValidationError, match="no unit of measure XYZ"):
        services.convert(Decimal(1), "XYZ", "EA")
    with pytest.raises(ValidationError, match="not floats"):
        services.convert(0.1, "KG", "G")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="Enter a number"):
        services.convert("abc", "KG", "G")


def test_add_conversion_is_audited(site_a: Any, make_user: Any) -> None:
    engineer = make_user("engineer", site_a)
    item = m.item(status="draft")
    conversion = services.add_conversion(
        engineer, from_uom="CTN", to_uom="EA", factor="144", item=item
    )
    entry = AuditEntry.objects.filter(action="create").latest("seq")
    assert entry.object_id == str(conversion.pk)
    assert entry.changes["factor"][1] == "144"
    assert entry.actor_id == engineer.pk


def test_add_conversion_needs_items_manage(site_a: Any, make_user: Any) -> None:
    clerk = make_user("warehouse_clerk", site_a)
    with pytest.raises(PermissionDenied, match=r"items\.manage"):
        services.add_conversion(
            clerk, from_uom="CTN", to_uom="EA", factor="10", item=m.item(status="draft")
        )
    assert not UomConversion.objects.filter(from_uom__code="CTN").exists()


def test_released_item_conversion_needs_release_a_reason_and_the_hook(
    site_a: Any, make_user: Any, monkeypatch: Any
) -> None:
    item = m.item()  # released
    engineer = make_user("engineer", site_a)
    with pytest.raises(PermissionDenied, match=r"items\.release"):
        services.add_conversion(
            engineer, from_uom="CTN", to_uom="EA", factor="10", item=item, reason="r"
        )
    qm = make_user("quality_manager", site_a)
    with pytest.raises(ValidationError) as exc:
        services.add_conversion(qm, from_uom="CTN", to_uom="EA", factor="10", item=item)
    assert "reason" in exc.value.message_dict
    seen: list[tuple[Any, dict[str, Any]]] = []

    def hook(it: Any, changes: dict[str, Any]) -> str:
        seen.append((it.pk, dict(changes)))
        return "Change request CR-7 is not approved."

    monkeypatch.setattr(services, "change_control_required", hook)
    with pytest.raises(ValidationError, match="CR-7"):
        services.add_conversion(
            qm, from_uom="CTN", to_uom="EA", factor="10", item=item, reason="New carton"
        )
    assert seen == [(item.pk, {"conversion": "1 CTN = 10 EA"})]
    assert not UomConversion.objects.filter(item=item).exists()
    monkeypatch.undo()
    conversion = services.add_conversion(
        qm, from_uom="CTN", to_uom="EA", factor="10", item=item, reason=" New carton "
    )
    entry = AuditEntry.objects.filter(
        action="create", object_type="items.uomconversion", object_id=str(conversion.pk)
    ).get()
    assert entry.reason == "New carton"
    assert entry.actor_id == qm.pk


def test_company_wide_conversion_needs_release_and_a_reason(site_a: Any, make_user: Any) -> None:
    engineer = make_user("engineer", site_a)
    with pytest.raises(PermissionDenied, match=r"items\.release"):
        services.add_conversion(engineer, from_uom="CTN", to_uom="EA", factor="10", reason="r")
    qm = make_user("quality_manager", site_a)
    with pytest.raises(ValidationError) as exc:
        services.add_conversion(qm, from_uom="CTN", to_uom="EA", factor="10", reason="  ")
    assert "reason" in exc.value.message_dict
    assert not UomConversion.objects.filter(from_uom__code="CTN").exists()
    conversion = services.add_conversion(
        qm, from_uom="CTN", to_uom="EA", factor="10", reason="Standard carton of 10"
    )
    entry = AuditEntry.objects.filter(
        action="create", object_type="items.uomconversion", object_id=str(conversion.pk)
    ).get()
    assert entry.reason == "Standard carton of 10"


def test_draft_item_conversion_needs_no_reason(site_a: Any, make_user: Any) -> None:
    engineer = make_user("engineer", site_a)
    item = m.item(status="draft")
    services.add_conversion(engineer, from_uom="CTN", to_uom="EA", factor="10", item=item)
    assert UomConversion.objects.filter(item=item).count() == 1


@pytest.mark.parametrize(
    ("src", "dst", "factor", "match"),
    [
        ("BOX", "EA", "0", "greater than zero"),
        ("BOX", "EA", "-2", "greater than zero"),
        ("BOX", "BOX", "2", "converts to itself"),
        ("KG", "EA", "2", "measure different things"),
        ("G", "KG", "0.001", "already defined"),  # the inverse of the seeded KG → G
        ("BOX", "EA", "x", "Enter a number"),
    ],
)
def test_bad_conversions_are_refused(src: str, dst: str, factor: str, match: str, db: None) -> None:
    before = UomConversion.objects.count()
    with pytest.raises(ValidationError, match=match):
        services.add_conversion(
            services_actor(), from_uom=src, to_uom=dst, factor=factor, reason="r"
        )
    assert UomConversion.objects.count() == before


def test_obsolete_item_gets_no_conversion(db: None) -> None:
    item = m.item(status="obsolete")
    with pytest.raises(ValidationError, match="obsolete"):
        services.add_conversion(services_actor(), from_uom="BOX", to_uom="EA", factor=5, item=item)


def services_actor() -> Any:
    from mederp.identity.authz import SYSTEM

    return SYSTEM
