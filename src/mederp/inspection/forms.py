"""Forms of the inspection pages: shape and field checks only; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mederp.inspection.choices import CharacteristicKind, Disposition, InspectionStatus, PlanStatus
from mederp.inspection.sampling import AQL_VALUES, LEVELS


class PlanFilterForm(forms.Form):
    item = forms.CharField(label=_("Item code"), required=False, max_length=40)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any")), *PlanStatus.choices]
    )


class PlanForm(forms.Form):
    item = forms.CharField(label=_("Item code"), max_length=40)
    aql = forms.ChoiceField(
        label=_("AQL"),
        choices=[(a, a) for a in AQL_VALUES],
        initial="1.0",
        help_text=_("Acceptance quality limit, percent nonconforming (ISO 2859-1 Table 2-A)."),
    )
    level = forms.ChoiceField(
        label=_("Inspection level"), choices=[(v, v) for v in LEVELS], initial="II"
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    copy_previous = forms.BooleanField(
        label=_("Copy the characteristics of the latest revision"), required=False, initial=True
    )

    def clean_item(self) -> Any:
        from mederp.items.models import Item

        code = self.cleaned_data["item"].strip()
        item = Item.objects.filter(code__iexact=code).first()
        if item is None:
            raise forms.ValidationError(_("No item with code %(code)s.") % {"code": code})
        return item


class CharacteristicForm(forms.Form):
    seq = forms.IntegerField(
        label=_("No."), required=False, min_value=1, help_text=_("Empty: after the last one.")
    )
    name = forms.CharField(label=_("Characteristic"), max_length=200)
    method = forms.CharField(label=_("Method"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=CharacteristicKind.choices)
    unit = forms.CharField(label=_("Unit"), max_length=20, required=False)
    lower_limit = forms.DecimalField(
        label=_("Lower limit"), required=False, max_digits=18, decimal_places=6
    )
    upper_limit = forms.DecimalField(
        label=_("Upper limit"), required=False, max_digits=18, decimal_places=6
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)


class ResultForm(forms.Form):
    inspected_quantity = forms.IntegerField(label=_("Units inspected"), min_value=1)
    nonconforming = forms.IntegerField(label=_("Nonconforming units"), min_value=0, initial=0)
    measured_min = forms.DecimalField(
        label=_("Lowest value"), required=False, max_digits=18, decimal_places=6
    )
    measured_max = forms.DecimalField(
        label=_("Highest value"), required=False, max_digits=18, decimal_places=6
    )
    notes = forms.CharField(label=_("Notes"), required=False, max_length=300)
    reason = forms.CharField(
        label=_("Reason for the change"),
        required=False,
        max_length=300,
        help_text=_("Required when you correct a recorded result."),
    )


class DecisionForm(forms.Form):
    disposition = forms.ChoiceField(label=_("Disposition"), choices=Disposition.choices)
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required to reject or to accept with deviation."),
    )


class InspectionFilterForm(forms.Form):
    number = forms.CharField(label=_("Number"), required=False, max_length=40)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any")), *InspectionStatus.choices]
    )
    disposition = forms.ChoiceField(
        label=_("Disposition"), required=False, choices=[("", _("Any")), *Disposition.choices]
    )
