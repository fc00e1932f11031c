"""Item forms: shape only. The services decide what is allowed and say why."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from mederp.items.choices import ItemStatus, ItemType, Tracking
from mederp.items.models import Item, UnitOfMeasure
from mederp.items.selectors import ItemFilter
from mederp.items.services import ITEM_FIELDS


class ItemFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    item_type = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("Any")), *ItemType.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any")), *ItemStatus.choices]
    )
    tracking = forms.ChoiceField(
        label=_("Tracking"), required=False, choices=[("", _("Any")), *Tracking.choices]
    )

    def to_filter(self) -> ItemFilter:
        data = self.cleaned_data
        return ItemFilter(
            item_type=data.get("item_type") or "",
            status=data.get("status") or "",
            tracking=data.get("tracking") or "",
            q=data.get("q") or "",
        )


class ItemForm(forms.Form):
    """Every item field, labelled as the model labels them; `reason` and `version` on edit."""

    def __init__(self, *args: Any, item: Item | None = None, **kwargs: Any) -> None:
        if item is not None and "initial" not in kwargs:
            kwargs["initial"] = {**forms.model_to_dict(item, fields=ITEM_FIELDS)}
            kwargs["initial"]["version"] = item.version
        super().__init__(*args, **kwargs)
        self.item = item
        self.fields.update(forms.fields_for_model(Item, fields=ITEM_FIELDS))
        self.fields["uom"].queryset = UnitOfMeasure.objects.order_by("code")  # type: ignore[attr-defined]
        for name in ("code", "gtin", "registration_no"):
            # The model validators run in the service; here only the shape.
            self.fields[name].validators = []
        if item is not None:
            self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput)
            released = item.status == ItemStatus.RELEASED
            self.fields["reason"] = forms.CharField(
                label=_("Reason for the change"),
                required=released,
                max_length=500,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text=_("Required for a released item; kept in the audit trail."),
            )
            if released:
                for name in ("code", "uom"):
                    self.fields[name].disabled = True

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in ITEM_FIELDS if name in self.cleaned_data}


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class OptionalReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ConversionForm(forms.Form):
    from_uom = forms.ModelChoiceField(
        label=_("From unit"), queryset=UnitOfMeasure.objects.order_by("code")
    )
    factor = forms.DecimalField(
        label=_("Factor"),
        max_digits=18,
        decimal_places=9,
        help_text=_("1 from-unit = factor × to-unit"),
    )
    to_uom = forms.ModelChoiceField(
        label=_("To unit"), queryset=UnitOfMeasure.objects.order_by("code")
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required for a released item; kept in the audit trail."),
    )

    def __init__(self, *args: Any, item: Item | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A released item's conversion changes how its receipts are counted: with a reason.
        self.fields["reason"].required = item is None or item.status == ItemStatus.RELEASED


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"), help_text=_("CSV (UTF-8, comma or semicolon separated) or XLSX.")
    )


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: on its field when the form has it."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
