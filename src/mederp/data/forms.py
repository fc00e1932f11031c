from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mederp.data import exports
from mederp.data.models import Person
from mederp.data.selectors import PersonFilter
from mederp.identity.authz import ALL_SITES, sites_with
from mederp.identity.models import Site


class PersonFilterForm(forms.Form):
    email = forms.CharField(
        label=_("Email (exact)"),
        required=False,
        max_length=254,
        help_text=_("Exact match only: the address is searched through its blind index."),
    )
    phone = forms.CharField(label=_("Phone (exact)"), required=False, max_length=40)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any")), *Person.Kind.choices]
    )

    def to_filter(self) -> PersonFilter:
        data = self.cleaned_data
        return PersonFilter(
            email=(data.get("email") or "").strip(),
            phone=(data.get("phone") or "").strip(),
            kind=data.get("kind") or "",
        )


class PersonForm(forms.Form):
    site = forms.ModelChoiceField(label=_("Site"), queryset=Site.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=Person.Kind.choices)
    organisation = forms.CharField(label=_("Organisation"), required=False, max_length=200)
    name = forms.CharField(label=_("Name"), max_length=200)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=40)
    email = forms.EmailField(label=_("Email"), required=False)
    birth_date = forms.DateField(
        label=_("Date of birth"),
        required=False,
        help_text=_("YYYY-MM-DD"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    id_number = forms.CharField(
        label=_("Identity document number"),
        required=False,
        max_length=40,
        help_text=_("Kept only as a keyed one-way hash: it can be checked, never shown."),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scope = sites_with(user, "people.manage")
        qs = Site.objects.filter(is_active=True)
        if scope is not ALL_SITES:
            assert isinstance(scope, frozenset)
            qs = qs.filter(pk__in=sorted(scope))
        self.fields["site"].queryset = qs  # type: ignore[attr-defined]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Recorded in the audit trail. Do not write personal data here."),
    )


class ExportForm(PersonFilterForm):
    format = forms.ChoiceField(label=_("Format"), choices=[(f, f.upper()) for f in exports.FORMATS])
    purpose = forms.CharField(
        label=_("Purpose (for clear values)"),
        required=False,
        max_length=300,
        help_text=_(
            "Leave empty for a masked export. Stating a purpose exports restricted values in "
            "clear, if you hold people.view_restricted; the purpose is recorded."
        ),
    )


class DecisionForm(ReasonForm):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
