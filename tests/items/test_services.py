"""Item services: create, change by status, release checks, obsolete, audit entries."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mederp.audit.models import AuditEntry
from mederp.identity.authz import SYSTEM
from mederp.items import services
from mederp.items.models import Item
from mederp.testing import materials as m

GTIN = "06901234567892"  # a valid GTIN-14


def draft(**fields: Any) -> Item:
    values: dict[str, Any] = {
        "code": "CMP-10001",
        "name_en": "Luer lock",
        "name_zh": "鲁尔接头",
        "item_type": "component",
        "uom": "EA",
    }
    values.update(fields)
    return services.create_item(SYSTEM, **values)


def device(**fields: Any) -> Item:
    values: dict[str, Any] = {
        "code": "FG-10001",
        "item_type": "finished_device",
        "name_en": "Infusion set",
        "name_zh": "输液器",
        "gtin": GTIN,
        "nmpa_class": "II",
        "registration_no": "国械注准20233140001",
    }
    values.update(fields)
    return draft(**values)


def entries(item: Item) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(object_type="items.item", object_id=str(item.pk)).order_by("seq")
    )


def test_create_item_is_a_draft_at_version_1_and_audited(site_a: Any, make_user: Any) -> None:
    engineer = make_user("engineer", site_a)
    item = services.create_item(
        engineer,
        code=" cmp-20001 ",
        name_en="Tube",
        name_zh="管",
        item_type="component",
        uom="M",
        tracking="lot",
    )
    assert item.code == "CMP-20001"
    assert item.status == "draft"
    assert item.version == 1
    assert item.created_by == engineer
    (entry,) = entries(item)
    assert entry.action == "create"
    assert entry.changes["code"] == [None, "CMP-20001"]


def test_create_needs_items_manage(site_a: Any, make_user: Any) -> None:
    with pytest.raises(PermissionDenied, match=r"items\.manage"):
        services.create_item(
            make_user("warehouse_clerk", site_a),
            code="CMP-20002",
            name_en="x",
            name_zh="x",
            item_type="component",
            uom="EA",
        )
    assert not Item.objects.filter(code="CMP-20002").exists()


@pytest.mark.parametrize(
    ("fields", "field", "match"),
    [
        ({"code": "bad code"}, "code", "does not match the configured pattern"),
        ({"gtin": "06901234567891"}, "gtin", "not a valid GTIN-14"),
        ({"implantable": True}, "tracking", "implantable"),
        ({"uom": "XX"}, None, "no unit of measure XX"),
        ({"status": "released"}, None, "cannot be set: status"),
    ],
)
def test_bad_items_are_refused(
    fields: dict[str, Any], field: str | None, match: str, db: None
) -> None:
    with pytest.raises(ValidationError, match=match) as exc:
        draft(**fields)
    if field:
        assert field in exc.value.message_dict
    assert not Item.objects.exists()


def test_duplicate_code_is_refused(db: None) -> None:
    draft()
    with pytest.raises(ValidationError, match="already exists"):
        draft(name_en="Other")


def test_draft_changes_with_items_manage_and_versions(site_a: Any, make_user: Any) -> None:
    engineer = make_user("engineer", site_a)
    item = draft()
    item = services.update_item(engineer, item, {"name_en": "Luer lock, male", "code": "CMP-10002"})
    assert item.version == 2
    assert item.code == "CMP-10002"
    entry = entries(item)[-1]
    assert entry.action == "update"
    assert entry.changes["name_en"] == ["Luer lock", "Luer lock, male"]
    # No change: no new version, no entry.
    services.update_item(engineer, item, {"name_en": "Luer lock, male"})
    item.refresh_from_db()
    assert item.version == 2
    assert len(entries(item)) == 2


def test_stale_version_is_refused(db: None) -> None:
    item = draft()
    services.update_item(SYSTEM, item, {"name_en": "A"}, expected_version=1)
    with pytest.raises(ValidationError, match="changed by someone else"):
        services.update_item(SYSTEM, item, {"name_en": "B"}, expected_version=1)


def test_released_item_needs_items_release_and_a_reason(site_a: Any, make_user: Any) -> None:
    item = services.release_item(SYSTEM, draft())
    with pytest.raises(PermissionDenied, match=r"items\.release"):
        services.update_item(make_user("engineer", site_a), item, {"name_en": "New"}, reason="x")
    qm = make_user("quality_manager", site_a)
    with pytest.raises(ValidationError, match="only with a reason"):
        services.update_item(qm, item, {"name_en": "New"})
    item = services.update_item(qm, item, {"name_en": "New"}, reason="Supplier renamed it")
    assert item.version == 3
    entry = entries(item)[-1]
    assert entry.reason == "Supplier renamed it"
    assert entry.changes["name_en"] == ["Luer lock", "New"]


def test_released_item_code_and_unit_are_locked(db: None) -> None:
    item = services.release_item(SYSTEM, draft())
    with pytest.raises(ValidationError) as exc:
        services.update_item(SYSTEM, item, {"code": "CMP-99999", "uom": "BOX"}, reason="x")
    assert set(exc.value.message_dict) == {"code", "uom"}


def test_released_change_must_keep_the_item_releasable(db: None) -> None:
    item = services.release_item(SYSTEM, device())
    with pytest.raises(ValidationError, match="registration certificate number"):
        services.update_item(SYSTEM, item, {"registration_no": ""}, reason="typo")
    item.refresh_from_db()
    assert item.registration_no


def test_change_control_hook_can_refuse(db: None, monkeypatch: Any) -> None:
    item = services.release_item(SYSTEM, draft())
    seen: list[dict[str, Any]] = []

    def hook(it: Item, changes: dict[str, Any]) -> str:
        seen.append(dict(changes))
        return "Change request CR-1 is not approved."

    monkeypatch.setattr(services, "change_control_required", hook)
    with pytest.raises(ValidationError, match="CR-1"):
        services.update_item(SYSTEM, item, {"name_en": "X"}, reason="r")
    assert seen == [{"name_en": "X"}]
    item.refresh_from_db()
    assert item.name_en == "Luer lock"


def test_hook_allows_by_default(db: None) -> None:
    assert services.change_control_required(draft(), {"name_en": "x"}) is None


def test_release_needs_items_release(site_a: Any, make_user: Any) -> None:
    item = draft()
    with pytest.raises(PermissionDenied, match=r"items\.release"):
        services.release_item(make_user("engineer", site_a), item)
    item = services.release_item(make_user("quality_manager", site_a), item)
    assert item.status == "released"
    assert item.version == 2
    assert entries(item)[-1].changes["status"] == ["draft", "released"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"gtin": ""}, "gtin"),
        ({"nmpa_class": ""}, "nmpa_class"),
        ({"nmpa_class": "III", "registration_no": ""}, "registration_no"),
        ({"implantable": True, "tracking": "serial", "gtin": ""}, "gtin"),
    ],
)
def test_finished_device_release_checks(fields: dict[str, Any], field: str, db: None) -> None:
    item = device(**fields)
    with pytest.raises(ValidationError) as exc:
        services.release_item(SYSTEM, item)
    assert field in exc.value.message_dict
    item.refresh_from_db()
    assert item.status == "draft"


def test_class_i_device_needs_no_registration_number(db: None) -> None:
    item = services.release_item(SYSTEM, device(nmpa_class="I", registration_no=""))
    assert item.status == "released"


def test_implantable_released_when_serial_tracked(db: None) -> None:
    item = services.release_item(SYSTEM, device(implantable=True, tracking="lot_serial"))
    assert item.status == "released"


def test_release_only_from_draft(db: None) -> None:
    item = services.release_item(SYSTEM, draft())
    with pytest.raises(ValidationError, match="Only a draft item"):
        services.release_item(SYSTEM, item)


def test_obsolete_needs_a_reason_and_freezes_the_item(site_a: Any, make_user: Any) -> None:
    qm = make_user("quality_manager", site_a)
    item = services.release_item(qm, draft())
    with pytest.raises(ValidationError, match="Say why"):
        services.obsolete_item(qm, item, reason=" ")
    with pytest.raises(PermissionDenied):
        services.obsolete_item(make_user("engineer", site_a), item, reason="old")
    item = services.obsolete_item(qm, item, reason="Replaced by CMP-10002")
    assert item.status == "obsolete"
    assert entries(item)[-1].reason == "Replaced by CMP-10002"
    with pytest.raises(ValidationError, match="obsolete"):
        services.update_item(SYSTEM, item, {"name_en": "x"}, reason="x")
    with pytest.raises(ValidationError, match="already obsolete"):
        services.obsolete_item(qm, item, reason="again")


def test_builder_items_are_still_valid(db: None) -> None:
    # The builders used across the materials tests make items these services accept.
    item = m.item(status="draft")
    assert services.update_item(SYSTEM, item, {"revision": "B"}).revision == "B"


def test_tracking_and_implantable_are_locked_once_lots_exist(site_a: Any) -> None:
    item = services.release_item(SYSTEM, draft(tracking="serial"))
    # Without lots a released item's tracking may still change (with a reason).
    item = services.update_item(SYSTEM, item, {"tracking": "lot_serial"}, reason="Design")
    m.lot(item, site_a)
    for change in ({"tracking": "lot"}, {"implantable": True}):
        with pytest.raises(ValidationError) as exc:
            services.update_item(SYSTEM, item, change, reason="Simplify")
        assert set(exc.value.message_dict) == set(change)
        assert "Lots of item CMP-10001 exist" in exc.value.messages[0]
        assert "new revision" in exc.value.messages[0]
    item.refresh_from_db()
    assert (item.tracking, item.implantable, item.version) == ("lot_serial", False, 3)
    # Other fields still change.
    item = services.update_item(SYSTEM, item, {"name_en": "Luer lock B"}, reason="Typo")
    assert item.version == 4


def test_gtin_change_of_a_released_item_goes_through_the_hook(db: None, monkeypatch: Any) -> None:
    from mederp.items import gs1

    item = services.release_item(SYSTEM, device())
    other = next(c for c in (f"0690123456790{d}" for d in range(10)) if gs1.gtin_is_valid(c))
    seen: list[dict[str, Any]] = []

    def hook(it: Item, changes: dict[str, Any]) -> str | None:
        seen.append(dict(changes))
        return "The UDI-DI changes only through an approved change request."

    monkeypatch.setattr(services, "change_control_required", hook)
    with pytest.raises(ValidationError, match="approved change request"):
        services.update_item(SYSTEM, item, {"gtin": f" {other} "}, reason="New packaging")
    assert seen == [{"gtin": other}]
    item.refresh_from_db()
    assert item.gtin == GTIN
