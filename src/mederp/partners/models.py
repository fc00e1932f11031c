"""Suppliers with their qualification history, approved supplier list and certificates;
customers with their licences; contact persons of both (RESTRICTED, in `data.Person`)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from mederp.core.classification import CONFIDENTIAL, INTERNAL
from mederp.core.models import user_fk
from mederp.partners.choices import (
    CertificateKind,
    ContactRole,
    CustomerKind,
    CustomerStatus,
    LicenceType,
    SupplierStatus,
)

_AUDIT_COLUMNS: dict[str, Any] = {
    "version": INTERNAL,
    "created_at": INTERNAL,
    "created_by": INTERNAL,
    "updated_at": INTERNAL,
    "updated_by": INTERNAL,
}


class Supplier(models.Model):
    code = models.CharField(_("supplier code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200, blank=True)
    country = models.CharField(_("country"), max_length=2, default="CN")
    address = models.CharField(_("address"), max_length=300, blank=True)
    status = models.CharField(
        _("qualification status"),
        max_length=12,
        choices=SupplierStatus.choices,
        default=SupplierStatus.PENDING,
    )
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = user_fk(null=True, blank=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)
    updated_by = user_fk(null=True, blank=True)

    data_domain = "commercial"
    data_retention = "supplier-lifetime"
    data_classification: ClassVar[dict[str, Any]] = {
        "id": INTERNAL,
        "code": INTERNAL,
        "name": INTERNAL,
        "name_zh": INTERNAL,
        "country": INTERNAL,
        "address": INTERNAL,
        "status": INTERNAL,
        "status_changed_at": INTERNAL,
        "notes": CONFIDENTIAL,
        **_AUDIT_COLUMNS,
    }

    class Meta:
        ordering = ["code"]
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class SupplierStatusChange(models.Model):
    """Qualification history: one row per status change, never edited."""

    supplier = models.ForeignKey(
        Supplier,
        on_delete=models.PROTECT,
        related_name="status_history",
        verbose_name=_("supplier"),
    )
    from_status = models.CharField(
        _("from"), max_length=12, choices=SupplierStatus.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=12, choices=SupplierStatus.choices)
    reason = models.TextField(_("reason"))
    changed_by = user_fk(null=True)
    changed_at = models.DateTimeField(_("changed"))

    data_domain = "commercial"
    data_retention = "supplier-lifetime"
    data_classification: ClassVar[dict[str, Any]] = {
        "id": INTERNAL,
        "supplier": INTERNAL,
        "from_status": INTERNAL,
        "to_status": INTERNAL,
        "reason": INTERNAL,
        "changed_by": INTERNAL,
        "changed_at": INTERNAL,
    }

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("qualification status change")
        verbose_name_plural = _("qualification status changes")

    def __str__(self) -> str:
        return f"{self.supplier_id}: {self.from_status or '-'} → {self.to_status}"


class ApprovedSupplierItem(models.Model):
    """An approved supplier list entry: this supplier may supply this item (made by this
    manufacturer under this part number)."""

    supplier = models.ForeignKey(
        Supplier,
        on_delete=models.PROTECT,
        related_name="approved_items",
        verbose_name=_("supplier"),
    )
    item = models.ForeignKey(
        "items.Item",
        on_delete=models.PROTECT,
        related_name="approved_suppliers",
        verbose_name=_("item"),
    )
    manufacturer = models.CharField(_("manufacturer"), max_length=200, blank=True)
    manufacturer_part_no = models.CharField(_("manufacturer part number"), max_length=60)
    active = models.BooleanField(_("active"), default=True)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    approved_by = user_fk(null=True, blank=True)
    notes = models.CharField(_("notes"), max_length=300, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = user_fk(null=True, blank=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)
    updated_by = user_fk(null=True, blank=True)

    data_domain = "commercial"
    data_retention = "supplier-lifetime"
    data_classification: ClassVar[dict[str, Any]] = {
        "id": INTERNAL,
        "supplier": INTERNAL,
        "item": INTERNAL,
        "manufacturer": INTERNAL,
        "manufacturer_part_no": INTERNAL,
        "active": INTERNAL,
        "approved_at": INTERNAL,
        "approved_by": INTERNAL,
        "notes": INTERNAL,
        **_AUDIT_COLUMNS,
    }

    class Meta:
        ordering = ["supplier__code", "item__code"]
        verbose_name = _("approved supplier list entry")
        verbose_name_plural = _("approved supplier list")
        constraints = [
            models.UniqueConstraint(
                fields=["supplier", "item", "manufacturer_part_no"], name="partners_asl_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.supplier_id} × {self.item_id} ({self.manufacturer_part_no})"


class SupplierCertificate(models.Model):
    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, related_name="certificates", verbose_name=_("supplier")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=CertificateKind.choices)
    number = models.CharField(_("certificate number"), max_length=80)
    issuer = models.CharField(_("issued by"), max_length=200, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    expires_on = models.DateField(_("expires on"))
    attachment = models.ForeignKey(
        "core.Attachment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("attachment"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = user_fk(null=True, blank=True)

    data_domain = "commercial"
    data_retention = "supplier-lifetime"
    data_classification: ClassVar[dict[str, Any]] = {
        "id": INTERNAL,
        "supplier": INTERNAL,
        "kind": INTERNAL,
        "number": INTERNAL,
        "issuer": INTERNAL,
        "valid_from": INTERNAL,
        "expires_on": INTERNAL,
        "attachment": INTERNAL,
        "created_at": INTERNAL,
        "created_by": INTERNAL,
    }

    class Meta:
        ordering = ["supplier__code", "kind", "-expires_on"]
        verbose_name = _("supplier certificate")
        verbose_name_plural = _("supplier certificates")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


class SupplierContact(models.Model):
    """Links a supplier to a contact person; the person's name, phone and email are RESTRICTED
    and live encrypted in `data.Person` (masked, crypto-shreddable)."""

    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, related_name="contacts", verbose_name=_("supplier")
    )
    person = models.ForeignKey(
        "data.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("person")
    )
    role = models.CharField(_("role"), max_length=12, choices=ContactRole.choices)
    primary = models.BooleanField(_("primary contact"), default=False)

    data_domain = "people"
    data_classification: ClassVar[dict[str, Any]] = {
        "id": INTERNAL,
        "supplier": INTERNAL,
        "person": INTERNAL,
        "role": INTERNAL,
        "primary": INTERNAL,
    }

    class Meta:
        verbose_name = _("supplier contact")
        verbose_name_plural = _("supplier contacts")
        constraints = [
            models.UniqueConstraint(fields=["supplier", "person"], name="partners_supplier_contact")
        ]

    def __str__(self) -> str:
        return f"{self.supplier_id}/{self.person_id}"


class Customer(models.Model):
    code = models.CharField(_("customer code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=CustomerKind.choices)
    country = models.CharField(_("country"), max_length=2, default="CN")
    address = models.CharField(_("address"), max_length=300, blank=True)
    licence_type = models.CharField(
        _("licence type"), max_length=20, choices=LicenceType.choices, blank=True
    )
    licence_no = models.CharField(_("licence number"), max_length=80, blank=True)
    licence_expires_on = models.DateField(_("licence expires on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=CustomerStatus.choices, default=CustomerStatus.ACTIVE
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = user_fk(null=True, blank=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)
    updated_by = user_fk(null=True, blank=True)

    data_domain = "commercial"
    data_retention = "customer-lifetime"
    data_classification: ClassVar[dict[str, Any]] = {
        "id": INTERNAL,
        "code": INTERNAL,
        "name": INTERNAL,
        "name_zh": INTERNAL,
        "kind": INTERNAL,
        "country": INTERNAL,
        "address": INTERNAL,
        "licence_type": INTERNAL,
        "licence_no": INTERNAL,
        "licence_expires_on": INTERNAL,
        "status": INTERNAL,
        **_AUDIT_COLUMNS,
    }

    class Meta:
        ordering = ["code"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class CustomerContact(models.Model):
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="contacts", verbose_name=_("customer")
    )
    person = models.ForeignKey(
        "data.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("person")
    )
    role = models.CharField(_("role"), max_length=12, choices=ContactRole.choices)
    primary = models.BooleanField(_("primary contact"), default=False)

    data_domain = "people"
    data_classification: ClassVar[dict[str, Any]] = {
        "id": INTERNAL,
        "customer": INTERNAL,
        "person": INTERNAL,
        "role": INTERNAL,
        "primary": INTERNAL,
    }

    class Meta:
        verbose_name = _("customer contact")
        verbose_name_plural = _("customer contacts")
        constraints = [
            models.UniqueConstraint(fields=["customer", "person"], name="partners_customer_contact")
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}/{self.person_id}"
