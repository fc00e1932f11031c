"""Purchase orders, their lines, and receipts against the lines."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from mederp.core.classification import CONFIDENTIAL, INTERNAL
from mederp.core.models import user_fk
from mederp.core.querysets import SiteScopedManager
from mederp.purchasing.choices import PoStatus


class PurchaseOrder(models.Model):
    number = models.CharField(_("PO number"), max_length=40, unique=True)
    site = models.ForeignKey(
        "identity.Site", on_delete=models.PROTECT, related_name="+", verbose_name=_("site")
    )
    supplier = models.ForeignKey(
        "partners.Supplier",
        on_delete=models.PROTECT,
        related_name="purchase_orders",
        verbose_name=_("supplier"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=PoStatus.choices, default=PoStatus.DRAFT
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    order_date = models.DateField(_("order date"))
    total = models.DecimalField(
        _("total amount"), max_digits=18, decimal_places=4, default=Decimal(0)
    )
    notes = models.TextField(_("notes"), blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    submitted_by = user_fk(null=True, blank=True)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    approved_by = user_fk(null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = user_fk(null=True, blank=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)
    updated_by = user_fk(null=True, blank=True)

    objects = SiteScopedManager()

    # Prices are commercial terms shown only with purchasing.view_prices: the ledger keeps a
    # keyed fingerprint (a change stays visible), not the amount.
    audit_fingerprint = frozenset({"total"})
    data_domain = "commercial"
    data_retention = "purchasing-record"
    data_classification: ClassVar[dict[str, Any]] = {
        "id": INTERNAL,
        "number": INTERNAL,
        "site": INTERNAL,
        "supplier": INTERNAL,
        "status": INTERNAL,
        "currency": INTERNAL,
        "order_date": INTERNAL,
        "total": CONFIDENTIAL,
        "notes": INTERNAL,
        "submitted_at": INTERNAL,
        "submitted_by": INTERNAL,
        "approved_at": INTERNAL,
        "approved_by": INTERNAL,
        "version": INTERNAL,
        "created_at": INTERNAL,
        "created_by": INTERNAL,
        "updated_at": INTERNAL,
        "updated_by": INTERNAL,
    }

    class Meta:
        ordering = ["-number"]
        verbose_name = _("purchase order")
        verbose_name_plural = _("purchase orders")

    def __str__(self) -> str:
        return self.number


class PurchaseOrderLine(models.Model):
    order = models.ForeignKey(
        PurchaseOrder, on_delete=models.PROTECT, related_name="lines", verbose_name=_("order")
    )
    line_no = models.PositiveIntegerField(_("line"))
    item = models.ForeignKey(
        "items.Item", on_delete=models.PROTECT, related_name="+", verbose_name=_("item")
    )
    approved_supplier = models.ForeignKey(
        "partners.ApprovedSupplierItem",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("approved supplier list entry"),
    )
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=18,
        decimal_places=6,
        validators=[MinValueValidator(Decimal("0.000001"))],
    )
    uom = models.ForeignKey(
        "items.UnitOfMeasure", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    unit_price = models.DecimalField(
        _("unit price"), max_digits=18, decimal_places=4, validators=[MinValueValidator(Decimal(0))]
    )
    due_date = models.DateField(_("due date"))
    received_quantity = models.DecimalField(
        _("received"), max_digits=18, decimal_places=6, default=Decimal(0)
    )

    objects = SiteScopedManager()
    site_field = "order__site"
    audit_fingerprint = frozenset({"unit_price"})

    data_domain = "commercial"
    data_retention = "purchasing-record"
    data_classification: ClassVar[dict[str, Any]] = {
        "id": INTERNAL,
        "order": INTERNAL,
        "line_no": INTERNAL,
        "item": INTERNAL,
        "approved_supplier": INTERNAL,
        "quantity": INTERNAL,
        "uom": INTERNAL,
        "unit_price": CONFIDENTIAL,
        "due_date": INTERNAL,
        "received_quantity": INTERNAL,
    }

    class Meta:
        ordering = ["order", "line_no"]
        verbose_name = _("purchase order line")
        verbose_name_plural = _("purchase order lines")
        constraints = [
            models.UniqueConstraint(fields=["order", "line_no"], name="purchasing_line_no")
        ]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.line_no}"


class Receipt(models.Model):
    """Goods received against a PO line: makes our lot (linked to the supplier's lot) and puts
    it into quarantine."""

    number = models.CharField(_("receipt number"), max_length=40, unique=True)
    site = models.ForeignKey(
        "identity.Site", on_delete=models.PROTECT, related_name="+", verbose_name=_("site")
    )
    line = models.ForeignKey(
        PurchaseOrderLine,
        on_delete=models.PROTECT,
        related_name="receipts",
        verbose_name=_("PO line"),
    )
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=18,
        decimal_places=6,
        validators=[MinValueValidator(Decimal("0.000001"))],
    )
    uom = models.ForeignKey(
        "items.UnitOfMeasure", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    base_quantity = models.DecimalField(_("quantity in base unit"), max_digits=18, decimal_places=6)
    supplier_lot = models.CharField(_("supplier lot"), max_length=40, blank=True)
    manufactured_on = models.DateField(_("manufactured on"), null=True, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    lot = models.OneToOneField(
        "inventory.Lot", on_delete=models.PROTECT, related_name="receipt", verbose_name=_("lot")
    )
    location = models.ForeignKey(
        "inventory.Location",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("quarantine location"),
    )
    certificate = models.ForeignKey(
        "core.Attachment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("certificate of conformance"),
    )
    on_time = models.BooleanField(_("on time"))
    received_at = models.DateTimeField(_("received"))
    received_by = user_fk(null=True, blank=True)

    objects = SiteScopedManager()

    data_domain = "inventory"
    data_retention = "device-lifetime"
    data_classification: ClassVar[dict[str, Any]] = {
        "id": INTERNAL,
        "number": INTERNAL,
        "site": INTERNAL,
        "line": INTERNAL,
        "quantity": INTERNAL,
        "uom": INTERNAL,
        "base_quantity": INTERNAL,
        "supplier_lot": INTERNAL,
        "manufactured_on": INTERNAL,
        "expires_on": INTERNAL,
        "lot": INTERNAL,
        "location": INTERNAL,
        "certificate": INTERNAL,
        "on_time": INTERNAL,
        "received_at": INTERNAL,
        "received_by": INTERNAL,
    }

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")

    def __str__(self) -> str:
        return self.number
