"""Inspection plans (per item: characteristics, AQL, inspection level), incoming inspections of
received lots, their results and dispositions."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from mederp.core.classification import INTERNAL
from mederp.core.models import user_fk
from mederp.core.querysets import SiteScopedManager
from mederp.inspection.choices import (
    CharacteristicKind,
    Disposition,
    InspectionStatus,
    PlanStatus,
)


class InspectionPlan(models.Model):
    item = models.ForeignKey(
        "items.Item",
        on_delete=models.PROTECT,
        related_name="inspection_plans",
        verbose_name=_("item"),
    )
    revision = models.PositiveIntegerField(_("revision"), default=1)
    aql = models.CharField(_("AQL"), max_length=6)
    level = models.CharField(_("inspection level"), max_length=4, default="II")
    status = models.CharField(
        _("status"), max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    notes = models.TextField(_("notes"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = user_fk(null=True, blank=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)
    updated_by = user_fk(null=True, blank=True)

    data_domain = "quality"
    data_retention = "device-lifetime"
    data_classification: ClassVar[dict[str, Any]] = {
        "id": INTERNAL,
        "item": INTERNAL,
        "revision": INTERNAL,
        "aql": INTERNAL,
        "level": INTERNAL,
        "status": INTERNAL,
        "notes": INTERNAL,
        "version": INTERNAL,
        "created_at": INTERNAL,
        "created_by": INTERNAL,
        "updated_at": INTERNAL,
        "updated_by": INTERNAL,
    }

    class Meta:
        ordering = ["item__code", "-revision"]
        verbose_name = _("inspection plan")
        verbose_name_plural = _("inspection plans")
        constraints = [
            models.UniqueConstraint(fields=["item", "revision"], name="inspection_plan_revision"),
            models.UniqueConstraint(
                fields=["item"],
                condition=models.Q(status="active"),
                name="inspection_plan_one_active",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} rev {self.revision}"


class Characteristic(models.Model):
    plan = models.ForeignKey(
        InspectionPlan,
        on_delete=models.PROTECT,
        related_name="characteristics",
        verbose_name=_("plan"),
    )
    seq = models.PositiveIntegerField(_("no."))
    name = models.CharField(_("characteristic"), max_length=200)
    method = models.CharField(_("method"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=CharacteristicKind.choices)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    lower_limit = models.DecimalField(
        _("lower limit"), max_digits=18, decimal_places=6, null=True, blank=True
    )
    upper_limit = models.DecimalField(
        _("upper limit"), max_digits=18, decimal_places=6, null=True, blank=True
    )

    data_domain = "quality"
    data_classification: ClassVar[dict[str, Any]] = {
        "id": INTERNAL,
        "plan": INTERNAL,
        "seq": INTERNAL,
        "name": INTERNAL,
        "method": INTERNAL,
        "kind": INTERNAL,
        "unit": INTERNAL,
        "lower_limit": INTERNAL,
        "upper_limit": INTERNAL,
    }

    class Meta:
        ordering = ["plan", "seq"]
        verbose_name = _("characteristic")
        verbose_name_plural = _("characteristics")
        constraints = [
            models.UniqueConstraint(fields=["plan", "seq"], name="inspection_characteristic_seq")
        ]

    def __str__(self) -> str:
        return self.name


class Inspection(models.Model):
    number = models.CharField(_("inspection number"), max_length=40, unique=True)
    site = models.ForeignKey(
        "identity.Site", on_delete=models.PROTECT, related_name="+", verbose_name=_("site")
    )
    lot = models.ForeignKey(
        "inventory.Lot", on_delete=models.PROTECT, related_name="inspections", verbose_name=_("lot")
    )
    receipt = models.ForeignKey(
        "purchasing.Receipt",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inspections",
        verbose_name=_("receipt"),
    )
    plan = models.ForeignKey(
        InspectionPlan, on_delete=models.PROTECT, related_name="+", verbose_name=_("plan")
    )
    lot_size = models.PositiveIntegerField(_("lot size"))
    aql = models.CharField(_("AQL"), max_length=6)
    level = models.CharField(_("inspection level"), max_length=4)
    code_letter = models.CharField(_("sample size code letter"), max_length=1)
    sample_size = models.PositiveIntegerField(_("sample size"))
    accept_number = models.PositiveIntegerField(_("Ac"))
    reject_number = models.PositiveIntegerField(_("Re"))
    status = models.CharField(
        _("status"), max_length=20, choices=InspectionStatus.choices, default=InspectionStatus.OPEN
    )
    disposition = models.CharField(
        _("disposition"), max_length=10, choices=Disposition.choices, blank=True
    )
    disposition_reason = models.TextField(_("disposition reason"), blank=True)
    inspected_by = user_fk(null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    approved_by = user_fk(null=True, blank=True)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = user_fk(null=True, blank=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    objects = SiteScopedManager()

    data_domain = "quality"
    data_retention = "device-lifetime"
    data_classification: ClassVar[dict[str, Any]] = {
        "id": INTERNAL,
        "number": INTERNAL,
        "site": INTERNAL,
        "lot": INTERNAL,
        "receipt": INTERNAL,
        "plan": INTERNAL,
        "lot_size": INTERNAL,
        "aql": INTERNAL,
        "level": INTERNAL,
        "code_letter": INTERNAL,
        "sample_size": INTERNAL,
        "accept_number": INTERNAL,
        "reject_number": INTERNAL,
        "status": INTERNAL,
        "disposition": INTERNAL,
        "disposition_reason": INTERNAL,
        "inspected_by": INTERNAL,
        "decided_at": INTERNAL,
        "approved_by": INTERNAL,
        "approved_at": INTERNAL,
        "version": INTERNAL,
        "created_at": INTERNAL,
        "created_by": INTERNAL,
        "updated_at": INTERNAL,
    }

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")

    def __str__(self) -> str:
        return self.number


class InspectionResult(models.Model):
    inspection = models.ForeignKey(
        Inspection, on_delete=models.PROTECT, related_name="results", verbose_name=_("inspection")
    )
    characteristic = models.ForeignKey(
        Characteristic, on_delete=models.PROTECT, related_name="+", verbose_name=_("characteristic")
    )
    inspected_quantity = models.PositiveIntegerField(_("units inspected"))
    nonconforming = models.PositiveIntegerField(_("nonconforming units"), default=0)
    measured_min = models.DecimalField(
        _("lowest value"), max_digits=18, decimal_places=6, null=True, blank=True
    )
    measured_max = models.DecimalField(
        _("highest value"), max_digits=18, decimal_places=6, null=True, blank=True
    )
    notes = models.CharField(_("notes"), max_length=300, blank=True)
    recorded_at = models.DateTimeField(_("recorded"))
    recorded_by = user_fk(null=True, blank=True)

    data_domain = "quality"
    data_retention = "device-lifetime"
    data_classification: ClassVar[dict[str, Any]] = {
        "id": INTERNAL,
        "inspection": INTERNAL,
        "characteristic": INTERNAL,
        "inspected_quantity": INTERNAL,
        "nonconforming": INTERNAL,
        "measured_min": INTERNAL,
        "measured_max": INTERNAL,
        "notes": INTERNAL,
        "recorded_at": INTERNAL,
        "recorded_by": INTERNAL,
    }

    class Meta:
        ordering = ["inspection", "characteristic__seq"]
        verbose_name = _("inspection result")
        verbose_name_plural = _("inspection results")
        constraints = [
            models.UniqueConstraint(
                fields=["inspection", "characteristic"], name="inspection_result_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.inspection_id}/{self.characteristic_id}"
