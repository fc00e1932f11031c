"""Forms of the purchasing pages: shape and field validation only (the rules are in
services.py)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mederp.identity.authz import ALL_SITES, sites_with
from mederp.identity.models import Site
from mederp.inventory.choices import LocationKind
from mederp.inventory.models import Location
from mederp.items.choices import ItemStatus
from mederp.items.models import Item, UnitOfMeasure
from mederp.partners.models import Supplier
from mederp.purchasing.choices import PoStatus
from mederp.purchasing.selectors import OrderFilter

DATE = forms.DateInput(attrs={"type": "date"})


def sites_for(user: Any, perm: str) -> Any:
    scope = sites_with(user, perm)
    qs = Site.objects.filter(is_active=True).order_by("code")
    if scope is ALL_SITES:
        return qs
    assert isinstance(scope, frozenset)
    return qs.filter(pk__in=sorted(scope))


class OrderFilterForm(forms.Form):
    q = forms.CharField(label=_("PO number"), required=False, max_length=40)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any")), *PoStatus.choices]
    )
    supplier = forms.ModelChoiceField(
        label=_("Supplier"), required=False, queryset=Supplier.objects.order_by("code")
    )
    site = forms.ModelChoiceField(label=_("Site"), required=False, queryset=Site.objects.none())

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites_for(user, "purchasing.view")  # type: ignore[attr-defined]

    def to_filter(self) -> OrderFilter:
        data = self.cleaned_data
        return OrderFilter(
            status=data.get("status") or "",
            supplier=data.get("supplier"),
            site=data.get("site"),
            search=(data.get("q") or "").strip(),
        )


class OrderForm(forms.Form):
    site = forms.ModelChoiceField(label=_("Site"), queryset=Site.objects.none())
    supplier = forms.ModelChoiceField(
        label=_("Supplier"),
        queryset=Supplier.objects.order_by("code"),
        help_text=_("Pending and disqualified suppliers are refused."),
    )
    order_date = forms.DateField(label=_("Order date"), required=False, widget=DATE)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="CNY")
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites_for(user, "purchasing.manage")  # type: ignore[attr-defined]


class OrderEditForm(forms.Form):
    order_date = forms.DateField(label=_("Order date"), widget=DATE)
    currency = forms.CharField(label=_("Currency"), max_length=3)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class LineForm(forms.Form):
    item = forms.ModelChoiceField(
        label=_("Item"),
        queryset=Item.objects.filter(status=ItemStatus.RELEASED).order_by("code"),
        help_text=_("The supplier must be on the approved supplier list for the item."),
    )
    manufacturer_part_no = forms.CharField(
        label=_("Manufacturer part number"),
        required=False,
        max_length=60,
        help_text=_("Optional: which approved supplier list entry the line uses."),
    )
    quantity = forms.DecimalField(label=_("Quantity"), max_digits=18, decimal_places=6)
    uom = forms.ModelChoiceField(
        label=_("Unit"),
        required=False,
        queryset=UnitOfMeasure.objects.order_by("code"),
        help_text=_("Empty: the item's base unit."),
    )
    unit_price = forms.DecimalField(
        label=_("Unit price"), max_digits=18, decimal_places=4, min_value=0
    )
    due_date = forms.DateField(label=_("Due date"), widget=DATE)


class LineEditForm(forms.Form):
    quantity = forms.DecimalField(label=_("Quantity"), max_digits=18, decimal_places=6)
    uom = forms.ModelChoiceField(label=_("Unit"), queryset=UnitOfMeasure.objects.order_by("code"))
    unit_price = forms.DecimalField(
        label=_("Unit price"), max_digits=18, decimal_places=4, min_value=0
    )
    due_date = forms.DateField(label=_("Due date"), widget=DATE)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Recorded in the audit trail."),
    )


class ScanForm(forms.Form):
    scan = forms.CharField(
        label=_("Scan"),
        required=False,
        max_length=500,
        strip=False,  # the GS separators and the symbology identifier matter
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "off", "class": "receive-scan"}
        ),
        help_text=_(
            "Scan the GS1 barcode (GS1-128 or DataMatrix): GTIN, lot, dates and serial fill in."
        ),
    )


class ReceiveForm(forms.Form):
    gtin = forms.CharField(label=_("GTIN"), required=False, max_length=14)
    supplier_lot = forms.CharField(label=_("Supplier lot"), required=False, max_length=40)
    manufactured_on = forms.DateField(label=_("Manufactured on"), required=False, widget=DATE)
    expires_on = forms.DateField(label=_("Expires on"), required=False, widget=DATE)
    serials = forms.CharField(
        label=_("Serial numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line (serial-tracked items: one per unit)."),
    )
    quantity = forms.DecimalField(label=_("Quantity"), max_digits=18, decimal_places=6)
    uom = forms.ModelChoiceField(label=_("Unit"), queryset=UnitOfMeasure.objects.order_by("code"))
    location = forms.ModelChoiceField(
        label=_("Quarantine location"), required=False, queryset=Location.objects.none()
    )
    certificate = forms.FileField(label=_("Certificate of conformance"), required=False)

    def __init__(self, *args: Any, site: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = Location.objects.filter(  # type: ignore[attr-defined]
            site=site, kind=LocationKind.QUARANTINE, active=True
        ).order_by("code")
        self.fields["location"].empty_label = _("Default quarantine location")  # type: ignore[attr-defined]

    def serial_list(self) -> list[str]:
        text = self.cleaned_data.get("serials") or ""
        return [s.strip() for s in text.splitlines() if s.strip()]
