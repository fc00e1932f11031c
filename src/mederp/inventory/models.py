"""Locations, lots, serial numbers and the stock ledger.

Every quantity belongs to a lot: receiving always makes one (for items tracked by serial only
or not tracked at all it is the receiving lot), so the ledger has one key, item × lot ×
location. `StockMove` rows are never changed or deleted; `StockBalance` is a cache of their
sums that `mederp inventory check` proves equal to the ledger.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from mederp.core.classification import INTERNAL
from mederp.core.models import user_fk
from mederp.core.querysets import SiteScopedManager, SiteScopedQuerySet
from mederp.inventory.choices import (
    CountStatus,
    LocationKind,
    LocationLevel,
    LotStatus,
    MoveKind,
    SerialStatus,
)
from mederp.items.choices import StorageCondition


class Location(models.Model):
    """Site → warehouse → zone → bin; stock sits in any of them."""

    site = models.ForeignKey(
        "identity.Site", on_delete=models.PROTECT, related_name="+", verbose_name=_("site")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=LocationLevel.choices)
    kind = models.CharField(_("type"), max_length=12, choices=LocationKind.choices)
    storage_condition = models.CharField(
        _("storage conditions"),
        max_length=12,
        choices=StorageCondition.choices,
        default=StorageCondition.AMBIENT,
    )
    active = models.BooleanField(_("active"), default=True)

    objects = SiteScopedManager()

    data_domain = "inventory"
    data_classification: ClassVar[dict[str, Any]] = {
        "id": INTERNAL,
        "site": INTERNAL,
        "parent": INTERNAL,
        "code": INTERNAL,
        "name": INTERNAL,
        "level": INTERNAL,
        "kind": INTERNAL,
        "storage_condition": INTERNAL,
        "active": INTERNAL,
    }

    class Meta:
        ordering = ["site__code", "code"]
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        constraints = [
            models.UniqueConstraint(fields=["site", "code"], name="inventory_location_code")
        ]

    def __str__(self) -> str:
        return self.code


class Lot(models.Model):
    item = models.ForeignKey(
        "items.Item", on_delete=models.PROTECT, related_name="lots", verbose_name=_("item")
    )
    number = models.CharField(_("lot number"), max_length=40, unique=True)
    site = models.ForeignKey(
        "identity.Site", on_delete=models.PROTECT, related_name="+", verbose_name=_("site")
    )
    supplier = models.ForeignKey(
        "partners.Supplier",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lots",
        verbose_name=_("supplier"),
    )
    supplier_lot = models.CharField(_("supplier lot"), max_length=40, blank=True)
    manufactured_on = models.DateField(_("manufactured on"), null=True, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=LotStatus.choices, default=LotStatus.QUARANTINE
    )
    status_reason = models.CharField(_("status reason"), max_length=300, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = user_fk(null=True, blank=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)
    updated_by = user_fk(null=True, blank=True)

    objects = SiteScopedManager()

    data_domain = "inventory"
    data_retention = "device-lifetime"
    data_classification: ClassVar[dict[str, Any]] = {
        "id": INTERNAL,
        "item": INTERNAL,
        "number": INTERNAL,
        "site": INTERNAL,
        "supplier": INTERNAL,
        "supplier_lot": INTERNAL,
        "manufactured_on": INTERNAL,
        "expires_on": INTERNAL,
        "status": INTERNAL,
        "status_reason": INTERNAL,
        "version": INTERNAL,
        "created_at": INTERNAL,
        "created_by": INTERNAL,
        "updated_at": INTERNAL,
        "updated_by": INTERNAL,
    }

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        indexes = [
            models.Index(fields=["item", "status", "expires_on"], name="inventory_lot_fefo"),
            models.Index(fields=["supplier", "supplier_lot"], name="inventory_lot_supplier_lot"),
        ]

    def __str__(self) -> str:
        return self.number


class Serial(models.Model):
    item = models.ForeignKey(
        "items.Item", on_delete=models.PROTECT, related_name="serials", verbose_name=_("item")
    )
    serial = models.CharField(_("serial number"), max_length=40)
    lot = models.ForeignKey(
        Lot, on_delete=models.PROTECT, related_name="serials", verbose_name=_("lot")
    )
    site = models.ForeignKey(
        "identity.Site", on_delete=models.PROTECT, related_name="+", verbose_name=_("site")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=SerialStatus.choices, default=SerialStatus.IN_STOCK
    )
    location = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="serials",
        verbose_name=_("location"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    objects = SiteScopedManager()

    data_domain = "inventory"
    data_retention = "device-lifetime"
    data_classification: ClassVar[dict[str, Any]] = {
        "id": INTERNAL,
        "item": INTERNAL,
        "serial": INTERNAL,
        "lot": INTERNAL,
        "site": INTERNAL,
        "status": INTERNAL,
        "location": INTERNAL,
        "created_at": INTERNAL,
        "updated_at": INTERNAL,
    }

    class Meta:
        ordering = ["item__code", "serial"]
        verbose_name = _("serial number")
        verbose_name_plural = _("serial numbers")
        constraints = [
            models.UniqueConstraint(fields=["item", "serial"], name="inventory_serial_unique")
        ]

    def __str__(self) -> str:
        return self.serial


class ImmutableMoveError(RuntimeError):
    """A stock movement row was about to be changed or deleted: the ledger never allows it."""


class StockMoveQuerySet(SiteScopedQuerySet["StockMove"]):
    """Bulk UPDATE and DELETE are refused: a wrong movement is corrected by a new one."""

    def update(self, **kwargs: Any) -> int:
        raise ImmutableMoveError("stock movements are never changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ImmutableMoveError("stock movements are never deleted")


class StockMoveManager(SiteScopedManager["StockMove"]):
    def get_queryset(self) -> StockMoveQuerySet:
        return StockMoveQuerySet(self.model, using=self._db)


class StockMove(models.Model):
    """One movement of one lot (and serial) between locations; never changed or deleted.

    A receipt has no `from_location`; an issue, scrap or return has no `to_location`; an
    adjustment has one of the two. `quantity` is always positive, in the item's base unit
    (`uom` is recorded so the row reads on its own).
    """

    site = models.ForeignKey(
        "identity.Site", on_delete=models.PROTECT, related_name="+", verbose_name=_("site")
    )
    kind = models.CharField(_("movement"), max_length=10, choices=MoveKind.choices)
    item = models.ForeignKey(
        "items.Item", on_delete=models.PROTECT, related_name="+", verbose_name=_("item")
    )
    lot = models.ForeignKey(
        Lot, on_delete=models.PROTECT, related_name="moves", verbose_name=_("lot")
    )
    serial = models.ForeignKey(
        Serial,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="moves",
        verbose_name=_("serial number"),
    )
    from_location = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("from"),
    )
    to_location = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("to"),
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
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    reference = models.CharField(_("reference"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("time"))
    created_by = user_fk(null=True, blank=True)

    objects = StockMoveManager()

    data_domain = "inventory"
    data_retention = "device-lifetime"
    data_classification: ClassVar[dict[str, Any]] = {
        "id": INTERNAL,
        "site": INTERNAL,
        "kind": INTERNAL,
        "item": INTERNAL,
        "lot": INTERNAL,
        "serial": INTERNAL,
        "from_location": INTERNAL,
        "to_location": INTERNAL,
        "quantity": INTERNAL,
        "uom": INTERNAL,
        "reason": INTERNAL,
        "reference": INTERNAL,
        "created_at": INTERNAL,
        "created_by": INTERNAL,
    }

    class Meta:
        ordering = ["-id"]
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        indexes = [
            models.Index(fields=["item", "lot"], name="inventory_move_item_lot"),
            models.Index(fields=["reference"], name="inventory_move_reference"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="inventory_move_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(from_location__isnull=False)
                | models.Q(to_location__isnull=False),
                name="inventory_move_has_location",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity} {self.lot_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The database trigger (migration 0003) refuses an UPDATE too; this says it earlier.
        if not self._state.adding or kwargs.get("force_update"):
            raise ImmutableMoveError("stock movements are never changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableMoveError("stock movements are never deleted")


class StockBalance(models.Model):
    """On hand per lot × location: the sum of the ledger, kept in the movement's transaction
    (row locked), checked against the ledger by `mederp inventory check`."""

    item = models.ForeignKey(
        "items.Item", on_delete=models.PROTECT, related_name="+", verbose_name=_("item")
    )
    lot = models.ForeignKey(
        Lot, on_delete=models.PROTECT, related_name="balances", verbose_name=_("lot")
    )
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="balances", verbose_name=_("location")
    )
    quantity = models.DecimalField(
        _("on hand"), max_digits=18, decimal_places=6, default=Decimal(0)
    )

    objects = SiteScopedManager()
    site_field = "location__site"

    data_domain = "inventory"
    data_classification: ClassVar[dict[str, Any]] = {
        "id": INTERNAL,
        "item": INTERNAL,
        "lot": INTERNAL,
        "location": INTERNAL,
        "quantity": INTERNAL,
    }

    class Meta:
        verbose_name = _("stock balance")
        verbose_name_plural = _("stock balances")
        constraints = [
            models.UniqueConstraint(fields=["lot", "location"], name="inventory_balance_key"),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=0), name="inventory_balance_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["item", "location"], name="inventory_balance_item")]

    def __str__(self) -> str:
        return f"{self.lot_id}@{self.location_id}: {self.quantity}"


class CycleCount(models.Model):
    number = models.CharField(_("count number"), max_length=40, unique=True)
    site = models.ForeignKey(
        "identity.Site", on_delete=models.PROTECT, related_name="+", verbose_name=_("site")
    )
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="+", verbose_name=_("location")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=CountStatus.choices, default=CountStatus.OPEN
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = user_fk(null=True, blank=True)
    counted_at = models.DateTimeField(_("counted"), null=True, blank=True)
    counted_by = user_fk(null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    submitted_by = user_fk(null=True, blank=True)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    approved_by = user_fk(null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    objects = SiteScopedManager()

    data_domain = "inventory"
    data_classification: ClassVar[dict[str, Any]] = {
        "id": INTERNAL,
        "number": INTERNAL,
        "site": INTERNAL,
        "location": INTERNAL,
        "status": INTERNAL,
        "reason": INTERNAL,
        "created_at": INTERNAL,
        "created_by": INTERNAL,
        "counted_at": INTERNAL,
        "counted_by": INTERNAL,
        "submitted_at": INTERNAL,
        "submitted_by": INTERNAL,
        "approved_at": INTERNAL,
        "approved_by": INTERNAL,
        "version": INTERNAL,
    }

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("cycle count")
        verbose_name_plural = _("cycle counts")

    def __str__(self) -> str:
        return self.number


class CycleCountLine(models.Model):
    count = models.ForeignKey(
        CycleCount, on_delete=models.PROTECT, related_name="lines", verbose_name=_("count")
    )
    item = models.ForeignKey(
        "items.Item", on_delete=models.PROTECT, related_name="+", verbose_name=_("item")
    )
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="+", verbose_name=_("lot"))
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="+", verbose_name=_("location")
    )
    expected_quantity = models.DecimalField(_("expected"), max_digits=18, decimal_places=6)
    counted_quantity = models.DecimalField(
        _("counted"), max_digits=18, decimal_places=6, null=True, blank=True
    )
    reason = models.CharField(_("reason for difference"), max_length=300, blank=True)
    # who entered the counted quantity now on the line (a reason alone does not change it)
    counted_by = user_fk(null=True, blank=True, verbose_name=_("counted by"))

    data_domain = "inventory"
    data_classification: ClassVar[dict[str, Any]] = {
        "id": INTERNAL,
        "count": INTERNAL,
        "item": INTERNAL,
        "lot": INTERNAL,
        "location": INTERNAL,
        "expected_quantity": INTERNAL,
        "counted_quantity": INTERNAL,
        "reason": INTERNAL,
        "counted_by": INTERNAL,
    }

    class Meta:
        ordering = ["count", "id"]
        verbose_name = _("cycle count line")
        verbose_name_plural = _("cycle count lines")
        constraints = [
            models.UniqueConstraint(
                fields=["count", "lot", "location"], name="inventory_count_line_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.count_id}: {self.lot_id}@{self.location_id}"

    @property
    def difference(self) -> Decimal | None:
        if self.counted_quantity is None:
            return None
        return self.counted_quantity - self.expected_quantity
