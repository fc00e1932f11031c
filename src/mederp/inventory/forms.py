"""Forms of the inventory pages: shape and field checks only; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mederp.identity.authz import ALL_SITES, sites_with
from mederp.identity.models import Site
from mederp.inventory.choices import (
    CountStatus,
    LocationKind,
    LocationLevel,
    LotStatus,
    MoveKind,
    SerialStatus,
)
from mederp.inventory.models import Location
from mederp.inventory.selectors import LotFilter
from mederp.items.choices import StorageCondition


def sites_for(user: Any, perm: str) -> Any:
    scope = sites_with(user, perm)
    qs = Site.objects.filter(is_active=True)
    if scope is not ALL_SITES:
        assert isinstance(scope, frozenset)
        qs = qs.filter(pk__in=sorted(scope))
    return qs


def locations_for(user: Any, perm: str) -> Any:
    return (
        Location.objects.visible_to(user, perm)
        .filter(active=True)
        .select_related("site")
        .order_by("site__code", "code")
    )


class _LocationChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.site.code} · {obj.code} — {obj.name} ({obj.get_kind_display()})"


def _reason_field(required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=_("Reason"),
        required=required,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Recorded in the audit trail."),
    )


class LocationForm(forms.Form):
    site = forms.ModelChoiceField(label=_("Site"), queryset=Site.objects.none())
    parent = _LocationChoice(
        label=_("Parent"),
        queryset=Location.objects.none(),
        required=False,
        help_text=_("Empty for a warehouse; a zone sits in a warehouse, a bin in a zone."),
    )
    code = forms.CharField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=100)
    level = forms.ChoiceField(label=_("Level"), choices=LocationLevel.choices)
    kind = forms.ChoiceField(label=_("Type"), choices=LocationKind.choices)
    storage_condition = forms.ChoiceField(
        label=_("Storage conditions"), choices=StorageCondition.choices
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites_for(user, "inventory.manage_locations")  # type: ignore[attr-defined]
        self.fields["parent"].queryset = locations_for(user, "inventory.manage_locations")  # type: ignore[attr-defined]


class LocationChangeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Type"), choices=LocationKind.choices)
    storage_condition = forms.ChoiceField(
        label=_("Storage conditions"), choices=StorageCondition.choices
    )
    active = forms.BooleanField(label=_("Active"), required=False)
    reason = _reason_field()


class LotFilterForm(forms.Form):
    number = forms.CharField(label=_("Lot number"), required=False, max_length=40)
    item = forms.CharField(label=_("Item code"), required=False, max_length=40)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any")), *LotStatus.choices]
    )
    site = forms.ModelChoiceField(
        label=_("Site"), required=False, queryset=Site.objects.none(), empty_label=_("Any")
    )
    expires_before = forms.DateField(
        label=_("Expires before"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites_for(user, "inventory.view")  # type: ignore[attr-defined]

    def to_filter(self) -> LotFilter:
        d = self.cleaned_data
        return LotFilter(
            item=d.get("item") or "",
            status=d.get("status") or "",
            site=d.get("site"),
            expires_before=d.get("expires_before"),
            number=d.get("number") or "",
        )


class SerialFilterForm(forms.Form):
    item = forms.CharField(label=_("Item code"), required=False, max_length=40)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any")), *SerialStatus.choices]
    )


class MoveFilterForm(forms.Form):
    item = forms.CharField(label=_("Item code"), required=False, max_length=40)
    kind = forms.ChoiceField(
        label=_("Movement"), required=False, choices=[("", _("Any")), *MoveKind.choices]
    )


class StockViewForm(forms.Form):
    by = forms.ChoiceField(
        label=_("View"),
        required=False,
        choices=[("item", _("By item")), ("lot", _("By lot")), ("location", _("By location"))],
    )
    item = forms.CharField(label=_("Item code"), required=False, max_length=40)
    site = forms.ModelChoiceField(
        label=_("Site"), required=False, queryset=Site.objects.none(), empty_label=_("Any")
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites_for(user, "inventory.view")  # type: ignore[attr-defined]


class ReasonForm(forms.Form):
    reason = _reason_field()


class MoveForm(forms.Form):
    """Transfer, issue, scrap or return: which fields show depends on the kind."""

    lot = forms.CharField(label=_("Lot number"), max_length=40)
    from_location = _LocationChoice(label=_("From"), queryset=Location.objects.none())
    to_location = _LocationChoice(label=_("To"), queryset=Location.objects.none())
    quantity = forms.DecimalField(label=_("Quantity"), min_value=0, max_digits=18, decimal_places=6)
    serials = forms.CharField(
        label=_("Serial numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Serial-tracked items: one serial number per line (or scan them)."),
    )
    reference = forms.CharField(label=_("Reference"), required=False, max_length=40)
    reason = _reason_field(required=False)

    def __init__(self, *args: Any, user: Any, kind: str, perm: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        places = locations_for(user, perm)
        self.fields["from_location"].queryset = places  # type: ignore[attr-defined]
        self.fields["to_location"].queryset = places  # type: ignore[attr-defined]
        if kind != "transfer":
            del self.fields["to_location"]
        if kind != "issue":
            del self.fields["reference"]
        if kind in ("scrap", "return"):
            self.fields["reason"].required = True

    def serial_list(self) -> list[str]:
        text = self.cleaned_data.get("serials") or ""
        return [s.strip() for s in text.replace(",", "\n").splitlines() if s.strip()]


class FefoForm(forms.Form):
    item = forms.CharField(label=_("Item code"), max_length=40)
    quantity = forms.DecimalField(
        label=_("Quantity needed"), min_value=0, max_digits=18, decimal_places=6
    )
    site = forms.ModelChoiceField(label=_("Site"), queryset=Site.objects.none())

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites_for(user, "inventory.move")  # type: ignore[attr-defined]


class CountStartForm(forms.Form):
    location = _LocationChoice(label=_("Location"), queryset=Location.objects.none())
    reason = _reason_field(required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations_for(user, "inventory.count")  # type: ignore[attr-defined]


class CountFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any")), *CountStatus.choices]
    )


class CountAddLineForm(forms.Form):
    lot = forms.CharField(label=_("Lot number"), max_length=40)
    location = _LocationChoice(label=_("Location"), queryset=Location.objects.none())

    def __init__(self, *args: Any, count: Any, **kwargs: Any) -> None:
        from mederp.inventory.counts import locations_under

        super().__init__(*args, **kwargs)
        ids = [loc.pk for loc in locations_under(count.location)]
        self.fields["location"].queryset = (  # type: ignore[attr-defined]
            Location.objects.filter(pk__in=ids).select_related("site").order_by("code")
        )
