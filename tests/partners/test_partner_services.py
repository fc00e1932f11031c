"""Supplier and customer services: permissions, rules, history and ledger entries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from mederp.audit.models import AuditEntry
from mederp.identity.authz import SYSTEM
from mederp.partners import selectors, services
from mederp.partners.models import (
    ApprovedSupplierItem,
    Supplier,
    SupplierCertificate,
    SupplierContact,
    SupplierStatusChange,
)
from mederp.testing import materials as m

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def purchaser(site_a: Any, make_user: Any) -> Any:
    return make_user("purchaser", site_a, default_site=site_a)


@pytest.fixture
def qm(site_a: Any, make_user: Any) -> Any:
    return make_user("quality_manager", site_a)


def test_create_supplier_starts_pending_with_history_and_ledger(purchaser: Any) -> None:
    sup = services.create_supplier(purchaser, code="acme01", name=" ACME Tubing ", country="cn")
    assert (sup.code, sup.name, sup.country, sup.status) == (
        "ACME01",
        "ACME Tubing",
        "CN",
        "pending",
    )
    history = list(sup.status_history.all())
    assert [(h.from_status, h.to_status) for h in history] == [("", "pending")]
    entry = AuditEntry.objects.filter(
        action="create", object_type="partners.supplier", object_id=str(sup.pk)
    ).get()
    assert entry.changes["code"] == [None, "ACME01"]
    assert entry.site_id is None


def test_supplier_code_is_validated_and_unique(purchaser: Any) -> None:
    services.create_supplier(purchaser, code="ACME01", name="ACME")
    with pytest.raises(ValidationError) as exc:
        services.create_supplier(purchaser, code="ACME01", name="Other")
    assert "code" in exc.value.message_dict
    with pytest.raises(ValidationError, match="2 to 20 characters"):
        services.create_supplier(purchaser, code="a b", name="Other")
    with pytest.raises(ValidationError, match="two-letter"):
        services.create_supplier(purchaser, code="OK1", name="Other", country="China")
    assert Supplier.objects.count() == 1


@pytest.mark.parametrize("role", ["sales", "qa_specialist", "warehouse_clerk"])
def test_wrong_roles_may_not_create_suppliers(role: str, site_a: Any, make_user: Any) -> None:
    with pytest.raises(PermissionDenied, match=r"partners\.manage_suppliers"):
        services.create_supplier(make_user(role, site_a), code="X1", name="X")


def test_update_supplier_bumps_version_and_records_the_diff(purchaser: Any) -> None:
    sup = m.supplier(name="Old")
    sup = services.update_supplier(purchaser, sup, name="New", reason="renamed")
    assert (sup.name, sup.version) == ("New", 2)
    entry = AuditEntry.objects.filter(
        action="update", object_type="partners.supplier", object_id=str(sup.pk)
    ).get()
    assert entry.changes["name"] == ["Old", "New"]
    assert entry.reason == "renamed"
    with pytest.raises(ValidationError, match="status"):
        services.update_supplier(purchaser, sup, status="approved")


def test_status_change_needs_permission_and_reason(purchaser: Any, qm: Any) -> None:
    sup = m.supplier(status="pending")
    with pytest.raises(PermissionDenied, match=r"partners\.qualify_suppliers"):
        services.change_supplier_status(purchaser, sup, to_status="approved", reason="audit ok")
    with pytest.raises(ValidationError, match="reason"):
        services.change_supplier_status(qm, sup, to_status="approved", reason="  ")
    sup = services.change_supplier_status(
        qm, sup, to_status="approved", reason="Audit 2026-03 passed"
    )
    assert sup.status == "approved"
    change = SupplierStatusChange.objects.get(supplier=sup)
    assert (change.from_status, change.to_status, change.reason) == (
        "pending",
        "approved",
        "Audit 2026-03 passed",
    )
    entry = AuditEntry.objects.filter(
        action="transition", object_type="partners.supplier", object_id=str(sup.pk)
    ).get()
    assert entry.changes["status"] == ["pending", "approved"]
    assert entry.reason == "Audit 2026-03 passed"


def test_disqualified_supplier_returns_through_pending(qm: Any) -> None:
    sup = m.supplier(status="disqualified")
    with pytest.raises(ValidationError, match="cannot go from"):
        services.change_supplier_status(qm, sup, to_status="approved", reason="r")
    assert Supplier.objects.get(pk=sup.pk).status == "disqualified"
    services.change_supplier_status(qm, sup, to_status="pending", reason="re-qualification")


def test_asl_entry_add_deactivate_and_reactivate(qm: Any) -> None:
    sup, item = m.supplier(), m.item()
    entry = services.add_approved_item(qm, sup, item=item, manufacturer_part_no="MPN-9")
    assert selectors.approved_entry(sup, item, "MPN-9") == entry
    assert entry.approved_by == qm
    with pytest.raises(ValidationError, match="already on"):
        services.add_approved_item(qm, sup, item=item, manufacturer_part_no="MPN-9")
    with pytest.raises(ValidationError, match="reason"):
        services.deactivate_approved_item(qm, entry, reason="")
    services.deactivate_approved_item(qm, entry, reason="part discontinued")
    assert selectors.approved_entry(sup, item) is None
    again = services.add_approved_item(qm, sup, item=item, manufacturer_part_no="MPN-9")
    assert again.pk == entry.pk
    assert again.active
    assert again.version == 3
    assert (
        AuditEntry.objects.filter(
            action="approve", object_type="partners.approvedsupplieritem", object_id=str(entry.pk)
        ).count()
        == 2
    )


def test_disqualified_supplier_gets_no_asl_entry(qm: Any) -> None:
    sup = m.supplier(status="disqualified")
    with pytest.raises(ValidationError, match="disqualified"):
        services.add_approved_item(qm, sup, item=m.item(), manufacturer_part_no="X")
    assert not ApprovedSupplierItem.objects.filter(supplier=sup).exists()


def test_asl_needs_qualify_permission_and_a_live_item(purchaser: Any, qm: Any) -> None:
    sup = m.supplier()
    with pytest.raises(PermissionDenied):
        services.add_approved_item(purchaser, sup, item=m.item(), manufacturer_part_no="X")
    with pytest.raises(ValidationError, match="obsolete"):
        services.add_approved_item(
            qm, sup, item=m.item(status="obsolete"), manufacturer_part_no="X"
        )


def test_certificate_with_attachment(purchaser: Any, settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    sup = m.supplier()
    cert = services.add_certificate(
        purchaser,
        sup,
        kind="iso13485",
        number="CN-13485-001",
        issuer="TÜV",
        valid_from=dt.date(2025, 1, 1),
        expires_on=dt.date(2028, 1, 1),
        upload=SimpleUploadedFile("iso.pdf", PDF, content_type="application/pdf"),
    )
    assert cert.attachment is not None
    assert cert.attachment.object_id == str(cert.pk)
    with pytest.raises(ValidationError) as exc:
        services.add_certificate(
            purchaser,
            sup,
            kind="iso13485",
            number="N",
            expires_on=dt.date(2028, 1, 1),
            upload=SimpleUploadedFile("iso.pdf", b"not a pdf"),
        )
    assert "attachment" in exc.value.message_dict
    with pytest.raises(ValidationError, match="expire before"):
        services.add_certificate(
            purchaser,
            sup,
            kind="iso9001",
            number="N",
            valid_from=dt.date(2028, 1, 2),
            expires_on=dt.date(2028, 1, 1),
        )
    assert SupplierCertificate.objects.filter(supplier=sup).count() == 1


def test_supplier_contact_is_an_encrypted_person(purchaser: Any, site_a: Any) -> None:
    sup = m.supplier(name="ACME")
    link = services.add_supplier_contact(
        purchaser, sup, name="张三", role="quality", phone="13812345678", primary=True
    )
    assert link.person.kind == "supplier"
    assert link.person.site == site_a  # the actor's default site
    assert link.person.organisation == "ACME"
    second = services.add_supplier_contact(purchaser, sup, name="李四", role="sales", primary=True)
    assert list(SupplierContact.objects.filter(primary=True)) == [second]


def test_contact_needs_a_site_and_people_permission(site_a: Any, make_user: Any) -> None:
    sup = m.supplier()
    no_site = make_user("purchaser", site_a)
    with pytest.raises(ValidationError, match="site"):
        services.add_supplier_contact(no_site, sup, name="X", role="sales")
    manager = make_user("purchasing_manager", site_a, default_site=site_a)
    with pytest.raises(PermissionDenied, match=r"people\.manage"):
        services.add_supplier_contact(manager, sup, name="X", role="sales")
    assert not SupplierContact.objects.exists()


# --- customers -----------------------------------------------------------------------------------
def test_customer_create_licence_rules_and_block(site_a: Any, make_user: Any) -> None:
    sales = make_user("sales", site_a, default_site=site_a)
    with pytest.raises(ValidationError, match="licence number"):
        services.create_customer(
            sales, code="H1", name="Hospital", kind="hospital", licence_type="practice_licence"
        )
    cust = services.create_customer(
        sales,
        code="H1",
        name="Hospital",
        kind="hospital",
        licence_type="practice_licence",
        licence_no="PDY-123",
        licence_expires_on=dt.date(2027, 1, 1),
    )
    assert cust.status == "active"
    with pytest.raises(ValidationError, match="reason"):
        services.set_customer_status(sales, cust, status="blocked", reason="")
    cust = services.set_customer_status(sales, cust, status="blocked", reason="licence revoked")
    assert cust.status == "blocked"
    entry = AuditEntry.objects.filter(
        action="transition", object_type="partners.customer", object_id=str(cust.pk)
    ).get()
    assert entry.reason == "licence revoked"
    with pytest.raises(ValidationError, match="already"):
        services.set_customer_status(sales, cust, status="blocked", reason="again")
    cust = services.update_customer(sales, cust, licence_no="PDY-124", reason="renewed")
    assert cust.version == 3
    link = services.add_customer_contact(sales, cust, name="Dr Wang", role="management")
    assert link.person.kind == "customer"


def test_purchaser_may_not_manage_customers(purchaser: Any) -> None:
    with pytest.raises(PermissionDenied, match=r"partners\.manage_customers"):
        services.create_customer(purchaser, code="H1", name="H", kind="hospital")
    cust = services.create_customer(SYSTEM, code="H1", name="H", kind="hospital")
    with pytest.raises(PermissionDenied):
        services.set_customer_status(purchaser, cust, status="blocked", reason="r")


def test_certificate_without_its_scan_is_refused(purchaser: Any) -> None:
    # A buyer could otherwise clear the expired-certificate block alone with a number and a date.
    sup = m.supplier()
    m.certificate(sup, expires_on=dt.date(2020, 1, 1))
    with pytest.raises(ValidationError) as exc:
        services.add_certificate(
            purchaser, sup, kind="iso13485", number="CN-13485-002", expires_on=dt.date(2030, 1, 1)
        )
    assert "attachment" in exc.value.message_dict
    assert "scan" in exc.value.message_dict["attachment"][0]
    assert SupplierCertificate.objects.filter(supplier=sup).count() == 1
    assert selectors.supplier_certificate_state(sup) == "expired"


@pytest.mark.parametrize("kind", ["supplier", "customer"])
def test_new_primary_contact_records_the_demotion(kind: str, site_a: Any, make_user: Any) -> None:
    actor = make_user("purchaser" if kind == "supplier" else "sales", site_a, default_site=site_a)
    if kind == "supplier":
        owner: Any = m.supplier()
        add: Any = services.add_supplier_contact
    else:
        owner = services.create_customer(SYSTEM, code="H9", name="H", kind="hospital")
        add = services.add_customer_contact
    first = add(actor, owner, name="张三", role="quality", primary=True)
    second = add(actor, owner, name="李四", role="sales", primary=True)
    first.refresh_from_db()
    assert (first.primary, second.primary) == (False, True)
    entry = AuditEntry.objects.filter(
        action="update",
        object_type=first._meta.label_lower,
        object_id=str(first.pk),
    ).get()
    assert entry.changes["primary"] == [True, False]
    assert str(second.pk) in entry.reason
    assert entry.actor_id == actor.pk
    assert "张三" not in str(entry.changes) + entry.reason
    # A contact that is not primary demotes nobody.
    add(actor, owner, name="王五", role="sales")
    assert AuditEntry.objects.filter(action="update", object_id=str(second.pk)).count() == 0
