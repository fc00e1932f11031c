"""The item master: one code per material from the supplier's dock to the customer."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from mederp.core.classification import INTERNAL, PUBLIC
from mederp.items import gs1
from mederp.items.choices import (
    Dimension,
    FdaClass,
    ItemStatus,
    ItemType,
    MdrClass,
    NmpaClass,
    StorageCondition,
    Tracking,
)

_AUDIT_COLUMNS: dict[str, Any] = {
    "version": INTERNAL,
    "created_at": INTERNAL,
    "created_by": INTERNAL,
    "updated_at": INTERNAL,
    "updated_by": INTERNAL,
}


class UnitOfMeasure(models.Model):
    code = models.CharField(_("code"), max_length=10, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=50)
    name_zh = models.CharField(_("name (Chinese)"), max_length=50)
    dimension = models.CharField(_("dimension"), max_length=10, choices=Dimension.choices)

    data_domain = "items"
    data_classification: ClassVar[dict[str, Any]] = {
        "id": PUBLIC,
        "code": PUBLIC,
        "name_en": PUBLIC,
        "name_zh": PUBLIC,
        "dimension": PUBLIC,
    }

    class Meta:
        ordering = ["code"]
        verbose_name = _("unit of measure")
        verbose_name_plural = _("units of measure")

    def __str__(self) -> str:
        return self.code


def validate_item_code(code: str) -> None:
    pattern = settings.MEDERP_ITEM_CODE_PATTERN
    if not re.fullmatch(pattern, code or ""):
        raise ValidationError(
            _("Item code %(code)s does not match the configured pattern %(pattern)s.")
            % {"code": code, "pattern": pattern},
            code="item_code_pattern",
        )


def validate_gtin(code: str) -> None:
    if code and (len(code) != 14 or not gs1.gtin_is_valid(code)):
        raise ValidationError(
            _("%(code)s is not a valid GTIN-14 (14 digits with a correct check digit).")
            % {"code": code},
            code="gtin",
        )


class Item(models.Model):
    code = models.CharField(
        _("item code"), max_length=40, unique=True, validators=[validate_item_code]
    )
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    item_type = models.CharField(_("type"), max_length=20, choices=ItemType.choices)
    uom = models.ForeignKey(
        UnitOfMeasure,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("base unit of measure"),
    )
    tracking = models.CharField(
        _("tracking"), max_length=12, choices=Tracking.choices, default=Tracking.LOT
    )
    shelf_life_days = models.PositiveIntegerField(_("shelf life (days)"), null=True, blank=True)
    storage_condition = models.CharField(
        _("storage conditions"),
        max_length=12,
        choices=StorageCondition.choices,
        default=StorageCondition.AMBIENT,
    )
    storage_notes = models.CharField(_("storage notes"), max_length=200, blank=True)
    revision = models.CharField(_("revision"), max_length=10, default="A")
    status = models.CharField(
        _("status"), max_length=10, choices=ItemStatus.choices, default=ItemStatus.DRAFT
    )
    # Finished devices (UDI, registration).
    nmpa_class = models.CharField(
        _("NMPA class"), max_length=3, choices=NmpaClass.choices, blank=True
    )
    fda_class = models.CharField(_("FDA class"), max_length=3, choices=FdaClass.choices, blank=True)
    mdr_class = models.CharField(
        _("EU MDR class"), max_length=3, choices=MdrClass.choices, blank=True
    )
    gtin = models.CharField(
        _("UDI-DI (GTIN-14)"), max_length=14, blank=True, validators=[validate_gtin]
    )
    registration_no = models.CharField(
        _("registration certificate number (注册证编号)"), max_length=60, blank=True
    )
    implantable = models.BooleanField(_("implantable"), default=False)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("changed"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    data_domain = "items"
    data_retention = "device-lifetime"
    data_classification: ClassVar[dict[str, Any]] = {
        "id": INTERNAL,
        "code": INTERNAL,
        "name_en": INTERNAL,
        "name_zh": INTERNAL,
        "item_type": INTERNAL,
        "uom": INTERNAL,
        "tracking": INTERNAL,
        "shelf_life_days": INTERNAL,
        "storage_condition": INTERNAL,
        "storage_notes": INTERNAL,
        "revision": INTERNAL,
        "status": INTERNAL,
        "nmpa_class": PUBLIC,
        "fda_class": PUBLIC,
        "mdr_class": PUBLIC,
        "gtin": PUBLIC,
        "registration_no": PUBLIC,
        "implantable": PUBLIC,
        **_AUDIT_COLUMNS,
    }

    class Meta:
        ordering = ["code"]
        verbose_name = _("item")
        verbose_name_plural = _("items")
        constraints = [
            models.UniqueConstraint(
                fields=["gtin"], condition=~models.Q(gtin=""), name="items_item_gtin_unique"
            )
        ]
        indexes = [models.Index(fields=["status", "item_type"], name="items_item_status_type")]

    def __str__(self) -> str:
        return f"{self.code} {self.name_en}"

    @property
    def is_finished_device(self) -> bool:
        return self.item_type == ItemType.FINISHED_DEVICE

    @property
    def lot_tracked(self) -> bool:
        return self.tracking in (Tracking.LOT, Tracking.LOT_SERIAL)

    @property
    def serial_tracked(self) -> bool:
        return self.tracking in (Tracking.SERIAL, Tracking.LOT_SERIAL)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.implantable and not self.serial_tracked:
            errors["tracking"] = str(_("An implantable device must be tracked by serial number."))
        device_fields = ("nmpa_class", "fda_class", "mdr_class", "gtin", "registration_no")
        if not self.is_finished_device and any(getattr(self, f) for f in device_fields):
            errors["item_type"] = str(
                _("Device class, UDI-DI and registration number belong to finished devices only.")
            )
        if errors:
            raise ValidationError(errors)


class UomConversion(models.Model):
    """`1 from_uom = factor × to_uom`, company-wide (item empty) or for one item (a box of 50)."""

    item = models.ForeignKey(
        Item,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="conversions",
        verbose_name=_("item"),
    )
    from_uom = models.ForeignKey(
        UnitOfMeasure, on_delete=models.PROTECT, related_name="+", verbose_name=_("from unit")
    )
    to_uom = models.ForeignKey(
        UnitOfMeasure, on_delete=models.PROTECT, related_name="+", verbose_name=_("to unit")
    )
    factor = models.DecimalField(
        _("factor"),
        max_digits=18,
        decimal_places=9,
        validators=[MinValueValidator(Decimal("0.000000001"))],
    )

    data_domain = "items"
    data_classification: ClassVar[dict[str, Any]] = {
        "id": INTERNAL,
        "item": INTERNAL,
        "from_uom": INTERNAL,
        "to_uom": INTERNAL,
        "factor": INTERNAL,
    }

    class Meta:
        verbose_name = _("unit conversion")
        verbose_name_plural = _("unit conversions")
        constraints = [
            models.UniqueConstraint(
                fields=["item", "from_uom", "to_uom"], name="items_conversion_unique"
            ),
            models.UniqueConstraint(
                fields=["from_uom", "to_uom"],
                condition=models.Q(item__isnull=True),
                name="items_conversion_global_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"1 {self.from_uom} = {self.factor} {self.to_uom}"
