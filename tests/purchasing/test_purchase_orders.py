"""Purchase orders: the line rules (ASL, supplier status, released item, certificates), the
approval threshold with segregation of duties, cancel and close."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mederp.audit.models import AuditEntry
from mederp.identity.authz import SYSTEM
from mederp.purchasing import services
from mederp.purchasing.models import PurchaseOrderLine
from mederp.testing import materials as m
from purchasing import builders as b

DUE = dt.date.today() + dt.timedelta(days=10)


def _add(actor: Any, po: Any, item: Any, **kwargs: Any) -> Any:
    return services.add_line(
        actor,
        po,
        item=item,
        quantity=kwargs.pop("quantity", "5"),
        uom=None,
        unit_price=kwargs.pop("unit_price", "3"),
        due_date=DUE,
        **kwargs,
    )


def test_create_numbers_a_draft_and_records_it(site_a: Any, make_user: Any) -> None:
    buyer = make_user("purchaser", site_a)
    po = services.create_order(buyer, site=site_a, supplier=m.supplier())
    assert po.number.startswith(f"PO-{dt.date.today().year}-")
    assert po.status == "draft"
    entry = AuditEntry.objects.filter(action="create", object_type="purchasing.purchaseorder")
    assert entry.filter(object_id=str(po.pk), actor_id=buyer.pk).exists()


def test_wrong_role_or_site_cannot_create(site_a: Any, site_b: Any, make_user: Any) -> None:
    with pytest.raises(PermissionDenied, match=r"purchasing\.manage"):
        services.create_order(
            make_user("warehouse_clerk", site_a), site=site_a, supplier=m.supplier()
        )
    with pytest.raises(PermissionDenied, match=r"purchasing\.manage"):
        services.create_order(make_user("purchaser", site_b), site=site_a, supplier=m.supplier())


def test_line_for_item_not_on_the_asl_is_refused_naming_the_rule(
    site_a: Any, make_user: Any
) -> None:
    buyer = make_user("purchaser", site_a)
    supplier = m.supplier("SUP01")
    item = m.item("CMP-00012")
    po = services.create_order(buyer, site=site_a, supplier=supplier)
    with pytest.raises(ValidationError) as exc:
        _add(buyer, po, item)
    assert exc.value.message_dict["item"] == [
        "Rule ASL: supplier SUP01 is not on the approved supplier list for item CMP-00012."
    ]
    assert not PurchaseOrderLine.objects.filter(order=po).exists()
    # an inactive entry does not count either
    entry = m.approve(supplier, item)
    entry.active = False
    entry.save()
    with pytest.raises(ValidationError, match="Rule ASL"):
        _add(buyer, po, item)


def test_line_on_the_asl_is_added_and_audited(site_a: Any, make_user: Any) -> None:
    buyer = make_user("purchaser", site_a)
    supplier, item, entry = b.supplier_item()
    po = services.create_order(buyer, site=site_a, supplier=supplier)
    line = _add(buyer, po, item)
    assert line.line_no == 1
    assert line.approved_supplier == entry
    assert line.uom == item.uom
    last = AuditEntry.objects.filter(object_id=str(po.pk)).latest("seq")
    assert last.changes["line 1"][1]["item"] == item.code


@pytest.mark.parametrize("status", ["pending", "disqualified"])
def test_pending_or_disqualified_supplier_is_refused(
    status: str, site_a: Any, make_user: Any
) -> None:
    buyer = make_user("purchaser", site_a)
    supplier, item, _ = b.supplier_item()
    po = services.create_order(buyer, site=site_a, supplier=supplier)
    supplier.status = status
    supplier.save()
    with pytest.raises(ValidationError, match=f"Rule SUPPLIER-STATUS: supplier {supplier.code}"):
        _add(buyer, po, item)
    with pytest.raises(ValidationError, match="Rule SUPPLIER-STATUS"):
        services.create_order(buyer, site=site_a, supplier=supplier)


def test_conditional_supplier_is_allowed_with_a_note(site_a: Any, make_user: Any) -> None:
    buyer = make_user("purchaser", site_a)
    supplier, item, _ = b.supplier_item()
    supplier.status = "conditional"
    supplier.save()
    po = services.create_order(buyer, site=site_a, supplier=supplier)
    line = _add(buyer, po, item)
    assert line.warnings == [f"Supplier {supplier.code} is only conditionally approved."]
    last = AuditEntry.objects.filter(object_id=str(po.pk)).latest("seq")
    assert last.changes["warnings"] == [None, line.warnings]


def test_unreleased_item_is_refused(site_a: Any, make_user: Any) -> None:
    buyer = make_user("purchaser", site_a)
    supplier, item, _ = b.supplier_item(status="draft")
    po = services.create_order(buyer, site=site_a, supplier=supplier)
    with pytest.raises(ValidationError, match="only released items can be ordered"):
        _add(buyer, po, item)


def test_expired_certificate_blocks(site_a: Any, make_user: Any, settings: Any) -> None:
    settings.MEDERP_EXPIRED_CERTIFICATE = "block"
    buyer = make_user("purchaser", site_a)
    supplier, item, _ = b.supplier_item()
    po = services.create_order(buyer, site=site_a, supplier=supplier)
    cert = m.certificate(supplier, expires_on=dt.date.today() - dt.timedelta(days=1))
    with pytest.raises(ValidationError, match=f"certificate ISO 13485 {cert.number} expired"):
        _add(buyer, po, item)
    assert not po.lines.exists()


def test_renewed_certificate_no_longer_blocks(site_a: Any, make_user: Any) -> None:
    buyer = make_user("purchaser", site_a)
    supplier, item, _ = b.supplier_item()
    m.certificate(supplier, expires_on=dt.date.today() - dt.timedelta(days=100))
    m.certificate(supplier, expires_on=dt.date.today() + dt.timedelta(days=300))
    po = services.create_order(buyer, site=site_a, supplier=supplier)
    assert _add(buyer, po, item).warnings == []


def test_expired_certificate_warns(site_a: Any, make_user: Any, settings: Any) -> None:
    settings.MEDERP_EXPIRED_CERTIFICATE = "warn"
    buyer = make_user("purchaser", site_a)
    supplier, item, _ = b.supplier_item()
    cert = m.certificate(supplier, expires_on=dt.date.today() - dt.timedelta(days=1))
    po = services.create_order(buyer, site=site_a, supplier=supplier)
    line = _add(buyer, po, item)
    assert len(line.warnings) == 1
    assert cert.number in line.warnings[0]
    last = AuditEntry.objects.filter(object_id=str(po.pk)).latest("seq")
    assert cert.number in last.changes["warnings"][1][0]


def test_unit_that_does_not_convert_is_refused(site_a: Any, make_user: Any) -> None:
    buyer = make_user("purchaser", site_a)
    supplier, item, _ = b.supplier_item()
    po = services.create_order(buyer, site=site_a, supplier=supplier)
    with pytest.raises(ValidationError) as exc:
        services.add_line(
            buyer, po, item=item, quantity=1, uom=m.uom("KG"), unit_price=1, due_date=DUE
        )
    assert "KG" in exc.value.message_dict["uom"][0]


def test_change_and_remove_lines_only_while_draft(site_a: Any, make_user: Any) -> None:
    buyer = make_user("purchaser", site_a)
    supplier, item, _ = b.supplier_item()
    po = services.create_order(buyer, site=site_a, supplier=supplier)
    line = _add(buyer, po, item)
    changed = services.update_line(buyer, line, quantity=Decimal(8), unit_price=Decimal("1.5"))
    assert changed.quantity == 8
    second = _add(buyer, po, item)
    services.remove_line(buyer, second)
    assert list(po.lines.values_list("line_no", flat=True)) == [1]
    po = services.submit(buyer, po)
    assert po.total == Decimal("12.0000")
    with pytest.raises(ValidationError, match="only a draft can be changed"):
        services.update_line(buyer, line, quantity=Decimal(1))
    with pytest.raises(ValidationError, match="only a draft can be changed"):
        services.remove_line(buyer, line)
    with pytest.raises(ValidationError, match="only a draft can be changed"):
        _add(buyer, po, item)


def test_submit_needs_a_line(site_a: Any, make_user: Any) -> None:
    buyer = make_user("purchaser", site_a)
    po = services.create_order(buyer, site=site_a, supplier=m.supplier())
    with pytest.raises(ValidationError, match="at least one line"):
        services.submit(buyer, po)


def test_submit_rechecks_the_rules(site_a: Any, make_user: Any) -> None:
    buyer = make_user("purchaser", site_a)
    po = b.order(site_a)
    line = po.lines.get()
    line.approved_supplier.active = False
    line.approved_supplier.save()
    with pytest.raises(ValidationError, match="Rule ASL"):
        services.submit(buyer, po)
    po.refresh_from_db()
    assert po.status == "draft"


def test_total_within_the_amount_is_approved_at_once(
    site_a: Any, make_user: Any, settings: Any
) -> None:
    settings.MEDERP_PO_APPROVAL_AMOUNT = "100"
    buyer = make_user("purchaser", site_a)
    po = b.order(site_a, quantity="10", unit_price="10")  # exactly the amount
    po = services.submit(buyer, po)
    assert po.status == "approved"
    assert po.total == Decimal("100")
    assert po.approved_at is not None
    assert po.approved_by is None


def test_total_above_the_amount_needs_another_person(
    site_a: Any, make_user: Any, settings: Any
) -> None:
    settings.MEDERP_PO_APPROVAL_AMOUNT = "100"
    buyer = make_user("purchaser", site_a)
    supplier, item, _ = b.supplier_item()
    po = services.create_order(buyer, site=site_a, supplier=supplier)
    _add(buyer, po, item, quantity="10", unit_price="10.01")
    po = services.submit(buyer, po)
    assert po.status == "pending_approval"
    assert po.total == Decimal("100.1")

    # the wrong role is refused
    with pytest.raises(PermissionDenied, match=r"purchasing\.approve"):
        services.approve(make_user("purchaser", site_a), po)
    manager = make_user("purchasing_manager", None)  # company-wide
    from mederp.identity import services as identity
    from mederp.identity.models import Role

    boss = make_user()
    identity.assign_role(SYSTEM, boss, Role.objects.get(code="purchaser"), site_a, reason="t")
    identity.assign_role(
        SYSTEM, boss, Role.objects.get(code="purchasing_manager"), site_a, reason="t"
    )
    # the creator/submitter holding purchasing.approve is refused by the SoD rule, and audited
    own = services.create_order(boss, site=site_a, supplier=supplier)
    _add(boss, own, item, quantity="10", unit_price="50")
    own = services.submit(boss, own)
    with pytest.raises(PermissionDenied, match="rule buyer_not_po_approver"):
        services.approve(boss, own)
    assert AuditEntry.objects.filter(action="sod_violation", actor_id=boss.pk).exists()
    own.refresh_from_db()
    assert own.status == "pending_approval"

    approved = services.approve(manager, po, reason="budget ok")
    assert approved.status == "approved"
    assert approved.approved_by == manager
    entry = AuditEntry.objects.filter(action="approve", object_id=str(po.pk)).get()
    assert entry.changes["status"] == ["pending_approval", "approved"]
    with pytest.raises(ValidationError, match="only an order awaiting approval"):
        services.approve(manager, po)


def test_cancel_needs_a_reason_and_not_after_receipt(site_a: Any, make_user: Any) -> None:
    buyer = make_user("purchaser", site_a)
    po = b.approved_order(site_a)
    with pytest.raises(ValidationError, match="reason is required"):
        services.cancel(buyer, po, reason=" ")
    done = services.cancel(buyer, po, reason="Supplier cannot deliver")
    assert done.status == "cancelled"
    with pytest.raises(ValidationError, match="already Cancelled"):
        services.cancel(buyer, po, reason="again")


def test_close_short_needs_a_reason(site_a: Any, make_user: Any) -> None:
    buyer = make_user("purchaser", site_a)
    po = b.approved_order(site_a)
    with pytest.raises(ValidationError, match="close the order short"):
        services.close(buyer, po)
    assert services.close(buyer, po, reason="Rest not needed").status == "closed"
    with pytest.raises(ValidationError, match="only approved or received orders"):
        services.close(buyer, po, reason="x")
    with pytest.raises(PermissionDenied):
        services.close(make_user("warehouse_clerk", site_a), po, reason="x")


def test_whoever_changed_the_lines_cannot_approve(
    site_a: Any, make_user: Any, settings: Any
) -> None:
    """Not only the creator and the submitter: someone who priced a line is an author too."""
    from mederp.identity import services as identity
    from mederp.identity.models import Role

    settings.MEDERP_PO_APPROVAL_AMOUNT = "100"
    buyer = make_user("purchaser", site_a)
    editor = make_user("purchaser", site_a)
    identity.assign_role(
        SYSTEM, editor, Role.objects.get(code="purchasing_manager"), site_a, reason="t"
    )
    supplier, item, _ = b.supplier_item()
    po = services.create_order(buyer, site=site_a, supplier=supplier)
    _add(buyer, po, item, quantity="10", unit_price="1")
    services.update_line(editor, po.lines.get(), unit_price="500")
    po = services.submit(buyer, po)
    assert po.status == "pending_approval"
    with pytest.raises(PermissionDenied, match="rule buyer_not_po_approver"):
        services.approve(editor, po)
    po.refresh_from_db()
    assert po.status == "pending_approval"
    assert services.approve(make_user("purchasing_manager", site_a), po).status == "approved"


def test_a_currency_needs_its_own_approval_amount(site_a: Any, settings: Any) -> None:
    """Switching currency must not slip an order under the approval limit."""
    settings.MEDERP_PO_APPROVAL_AMOUNT = "10000"
    settings.MEDERP_PO_APPROVAL_AMOUNTS = ["USD=1400"]
    supplier, item, _ = b.supplier_item()
    with pytest.raises(ValidationError, match="Currency JPY has no approval amount"):
        services.create_order(SYSTEM, site=site_a, supplier=supplier, currency="jpy")
    po = services.create_order(SYSTEM, site=site_a, supplier=supplier)
    assert po.currency == "CNY"
    with pytest.raises(ValidationError, match="Currency GBP has no approval amount"):
        services.update_order(SYSTEM, po, currency="GBP")
    services.update_order(SYSTEM, po, currency="usd")
    _add(SYSTEM, po, item, quantity="1", unit_price="9999")
    # 9,999 USD is under the CNY amount but above the USD one
    assert services.submit(SYSTEM, po).status == "pending_approval"
