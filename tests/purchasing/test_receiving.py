"""Receiving against PO lines: quarantine, lot linked to the supplier lot, serials, units,
shelf life, on-time flag, over-receipt, GS1 scans and all-or-nothing writes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from mederp.audit.models import AuditEntry
from mederp.identity.authz import SYSTEM
from mederp.inventory.models import Lot, Serial, StockBalance, StockMove
from mederp.items.models import UomConversion
from mederp.purchasing import services
from mederp.purchasing.models import Receipt
from mederp.testing import materials as m
from purchasing import builders as b

TODAY = dt.date.today()
GTIN = "09506000134352"


def _receive(clerk: Any, line: Any, **kwargs: Any) -> Receipt:
    kwargs.setdefault("quantity", "4")
    kwargs.setdefault("uom", None)
    kwargs.setdefault("supplier_lot", "SL-1")
    return services.receive(clerk, line=line, **kwargs)


@pytest.fixture
def clerk(site_a: Any, make_user: Any) -> Any:
    return make_user("warehouse_clerk", site_a)


def test_receipt_puts_a_new_lot_in_quarantine(site_a: Any, clerk: Any) -> None:
    po = b.approved_order(site_a, quantity="10")
    line = po.lines.get()
    receipt = _receive(
        clerk, line, supplier_lot="SUP-LOT-77", expires_on=TODAY.replace(year=TODAY.year + 2)
    )
    lot = receipt.lot
    assert receipt.number.startswith(f"GR-{TODAY.year}-")
    assert lot.number.startswith(f"LOT-{TODAY.year}-")
    assert lot.status == "quarantine"
    assert lot.supplier_lot == "SUP-LOT-77"
    assert lot.supplier == po.supplier
    quarantine = b.quarantine(site_a)
    assert receipt.location == quarantine
    assert StockBalance.objects.get(lot=lot, location=quarantine).quantity == 4
    move = StockMove.objects.get(lot=lot)
    assert (move.kind, move.reference) == ("receipt", receipt.number)
    line.refresh_from_db()
    po.refresh_from_db()
    assert line.received_quantity == 4
    assert po.status == "partially_received"
    entry = AuditEntry.objects.get(action="receive", object_id=str(receipt.pk))
    assert entry.changes["po"] == [None, po.number]
    assert entry.actor_id == clerk.pk


def test_receiving_the_rest_completes_the_order(site_a: Any, clerk: Any) -> None:
    po = b.approved_order(site_a, quantity="10")
    line = po.lines.get()
    _receive(clerk, line, quantity="4")
    _receive(clerk, line, quantity="6", supplier_lot="SL-2")
    po.refresh_from_db()
    assert po.status == "received"
    assert po.lines.get().received_quantity == 10


def test_over_receipt_is_refused(site_a: Any, clerk: Any) -> None:
    po = b.approved_order(site_a, quantity="10")
    line = po.lines.get()
    _receive(clerk, line, quantity="8")
    with pytest.raises(ValidationError, match="Over-receipt refused") as exc:
        _receive(clerk, line, quantity="3")
    assert "2 still open" in exc.value.message_dict["quantity"][0]
    assert Receipt.objects.count() == 1


def test_only_approved_orders_are_received(site_a: Any, clerk: Any) -> None:
    b.quarantine(site_a)
    draft = b.order(site_a)
    with pytest.raises(ValidationError, match="only against approved orders"):
        _receive(clerk, draft.lines.get())
    pending = b.pending_order(site_a)
    with pytest.raises(ValidationError, match="only against approved orders"):
        _receive(clerk, pending.lines.get())


def test_wrong_role_and_wrong_site_cannot_receive(site_a: Any, site_b: Any, make_user: Any) -> None:
    line = b.approved_order(site_a).lines.get()
    with pytest.raises(PermissionDenied, match=r"inventory\.receive"):
        _receive(make_user("purchaser", site_a), line)
    with pytest.raises(PermissionDenied, match=r"inventory\.receive"):
        _receive(make_user("warehouse_clerk", site_b), line)
    assert not Lot.objects.exists()


def test_serial_receipt_creates_the_serials(site_a: Any, clerk: Any) -> None:
    po = b.approved_order(site_a, quantity="3", tracking="lot_serial")
    receipt = _receive(clerk, po.lines.get(), quantity="3", serials=["A1", "A2", "A3"])
    serials = Serial.objects.filter(lot=receipt.lot).order_by("serial")
    assert [s.serial for s in serials] == ["A1", "A2", "A3"]
    assert {s.location_id for s in serials} == {receipt.location_id}
    assert StockMove.objects.filter(lot=receipt.lot).count() == 3


def test_serial_count_must_match_and_nothing_is_left(site_a: Any, clerk: Any) -> None:
    po = b.approved_order(site_a, quantity="3", tracking="serial")
    line = po.lines.get()
    with pytest.raises(ValidationError, match="one serial number per unit"):
        _receive(clerk, line, quantity="3", serials=["A1", "A2"])
    assert not Lot.objects.exists()
    assert not Serial.objects.exists()
    assert not Receipt.objects.exists()


def test_quantity_is_converted_to_the_base_unit(site_a: Any, clerk: Any) -> None:
    supplier, item, _ = b.supplier_item()
    UomConversion.objects.create(item=item, from_uom=m.uom("BOX"), to_uom=m.uom("EA"), factor=50)
    po = b.approved_order(site_a, supplier=supplier, item=item, quantity="4", uom=m.uom("BOX"))
    line = po.lines.get()
    receipt = _receive(clerk, line, quantity="75", uom=m.uom("EA"))  # 1.5 boxes
    assert receipt.base_quantity == 75
    assert StockBalance.objects.get(lot=receipt.lot).quantity == 75
    line.refresh_from_db()
    assert line.received_quantity == Decimal("1.5")
    receipt = _receive(clerk, line, quantity="2", uom=m.uom("BOX"))
    assert receipt.base_quantity == 100
    with pytest.raises(ValidationError, match="Over-receipt"):
        _receive(clerk, line, quantity="26", uom=m.uom("EA"))  # 0.5 box open = 25 EA


def test_shelf_life_needs_an_expiry_or_a_manufacture_date(site_a: Any, clerk: Any) -> None:
    po = b.approved_order(site_a, shelf_life_days=365)
    line = po.lines.get()
    with pytest.raises(ValidationError, match="has a shelf life"):
        _receive(clerk, line)
    receipt = _receive(clerk, line, manufactured_on=dt.date(2026, 1, 10))
    assert receipt.expires_on == dt.date(2027, 1, 10)
    assert receipt.lot.expires_on == dt.date(2027, 1, 10)


def test_on_time_flag(site_a: Any, clerk: Any) -> None:
    late = b.approved_order(site_a, due_date=TODAY - dt.timedelta(days=1))
    assert _receive(clerk, late.lines.get()).on_time is False
    today = b.approved_order(site_a, due_date=TODAY)
    assert _receive(clerk, today.lines.get()).on_time is True


def test_certificate_of_conformance_is_stored(site_a: Any, clerk: Any) -> None:
    line = b.approved_order(site_a).lines.get()
    upload = SimpleUploadedFile("coc.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    receipt = _receive(clerk, line, certificate=upload)
    assert receipt.certificate is not None
    assert receipt.certificate.object_id == str(receipt.pk)
    assert receipt.certificate.name == "coc.pdf"


def test_expired_certificate_at_receipt_blocks_or_warns(
    site_a: Any, clerk: Any, settings: Any
) -> None:
    po = b.approved_order(site_a)
    cert = m.certificate(po.supplier, expires_on=TODAY - dt.timedelta(days=3))
    settings.MEDERP_EXPIRED_CERTIFICATE = "block"
    with pytest.raises(ValidationError, match=cert.number):
        _receive(clerk, po.lines.get())
    settings.MEDERP_EXPIRED_CERTIFICATE = "warn"
    receipt = _receive(clerk, po.lines.get())
    entry = AuditEntry.objects.get(action="receive", object_id=str(receipt.pk))
    assert cert.number in entry.changes["warnings"][1][0]


def test_disqualified_supplier_cannot_be_received_from(site_a: Any, clerk: Any) -> None:
    po = b.approved_order(site_a)
    po.supplier.status = "disqualified"
    po.supplier.save()
    with pytest.raises(ValidationError, match="Rule SUPPLIER-STATUS"):
        _receive(clerk, po.lines.get())


def test_a_failure_late_in_receiving_leaves_nothing(
    site_a: Any, clerk: Any, monkeypatch: Any
) -> None:
    po = b.approved_order(site_a)
    line = po.lines.get()
    counts = (Lot.objects.count(), StockMove.objects.count(), StockBalance.objects.count())
    seq = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first()
    real = services.audit.record

    def failing(action: str, *args: Any, **kwargs: Any) -> Any:
        if action == "receive":
            raise RuntimeError("disk full")
        return real(action, *args, **kwargs)

    monkeypatch.setattr(services.audit, "record", failing)
    with pytest.raises(RuntimeError):
        _receive(clerk, line)
    monkeypatch.undo()
    assert (Lot.objects.count(), StockMove.objects.count()) == counts[:2]
    assert StockBalance.objects.filter(quantity__gt=0).count() == counts[2]
    assert not Receipt.objects.exists()
    line.refresh_from_db()
    po.refresh_from_db()
    assert line.received_quantity == 0
    assert po.status == "approved"
    assert not AuditEntry.objects.filter(seq__gt=seq, action__in=["create", "stock_move"]).exists()
    # and the numbers were given back: the next receipt gets the first ones
    receipt = _receive(clerk, line)
    assert receipt.number.endswith("-00001")


# --- GS1 ---------------------------------------------------------------------------------------
def test_parse_scan_element_string_with_gs_and_symbology_identifier() -> None:
    found = services.parse_scan(f"]d201{GTIN}1125010117271231" + "10LOT42\x1d21SN001")
    assert found == {
        "gtin": GTIN,
        "supplier_lot": "LOT42",
        "manufactured_on": dt.date(2025, 1, 1),
        "expires_on": dt.date(2027, 12, 31),
        "serial": "SN001",
    }


def test_parse_scan_human_readable_and_pipe_separator() -> None:
    hri = services.parse_scan(f"(01){GTIN}(17)271231(10)LOT42(21)SN9")
    assert hri["supplier_lot"] == "LOT42"
    assert hri["serial"] == "SN9"
    piped = services.parse_scan(f"]C101{GTIN}10LOT42|21SN9")
    assert piped["supplier_lot"] == "LOT42"
    assert piped["serial"] == "SN9"


@pytest.mark.parametrize("scan", ["", "hello", f"01{GTIN[:-1]}9", "(17)271341"])
def test_malformed_scans_give_a_clear_error(scan: str) -> None:
    with pytest.raises(ValidationError) as exc:
        services.parse_scan(scan)
    assert "scan" in exc.value.message_dict


def test_scanned_gtin_must_match_the_item(site_a: Any, clerk: Any) -> None:
    po = b.approved_order(site_a, item_type="finished_device", gtin=GTIN)
    line = po.lines.get()
    other = "09506000134369"
    with pytest.raises(ValidationError) as exc:
        _receive(clerk, line, gtin=other)
    message = exc.value.message_dict["gtin"][0]
    assert other in message
    assert GTIN in message
    assert line.item.code in message
    assert not Lot.objects.exists()
    receipt = _receive(clerk, line, gtin="9506000134352")  # GTIN-13 of the same item
    entry = AuditEntry.objects.get(action="receive", object_id=str(receipt.pk))
    assert entry.changes["gtin"] == [None, GTIN]


def test_system_actor_can_receive(site_a: Any) -> None:
    line = b.approved_order(site_a).lines.get()
    assert _receive(SYSTEM, line).received_by is None
