"""The audit search filter (GET) and the export request (POST) that carries the same filter."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mederp.audit.actions import ACTION_LABELS
from mederp.audit.exports import FORMATS
from mederp.audit.selectors import DEFAULT_SORT, EntryFilter, filter_sites
from mederp.identity.models import Site

SORT_CHOICES = [
    ("-seq", _("Newest first (sequence)")),
    ("seq", _("Oldest first (sequence)")),
    ("-time", _("Newest first (time)")),
    ("time", _("Oldest first (time)")),
]


class SiteChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Site) -> str:
        return f"{obj.code} · {obj.label}"


class AuditFilterForm(forms.Form):
    actor = forms.CharField(
        label=_("User"),
        required=False,
        max_length=150,
        help_text=_("Part of a username or full name."),
    )
    action = forms.ChoiceField(label=_("Action"), required=False)
    object_type = forms.CharField(
        label=_("Object type"),
        required=False,
        max_length=100,
        help_text=_("For example identity.roleassignment."),
    )
    object_id = forms.CharField(label=_("Object id"), required=False, max_length=64)
    site = SiteChoiceField(
        label=_("Site"), required=False, queryset=Site.objects.none(), empty_label=_("All sites")
    )
    date_from = forms.DateField(
        label=pgettext_lazy("date range", "From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=pgettext_lazy("date range", "To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    q = forms.CharField(
        label=_("Text"),
        required=False,
        max_length=200,
        help_text=_("Part of the object's name or of the reason."),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    sort = forms.ChoiceField(label=_("Order"), required=False, choices=SORT_CHOICES)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        action = self.fields["action"]
        assert isinstance(action, forms.ChoiceField)
        action.choices = [("", _("All actions")), *ACTION_LABELS.items()]
        site = self.fields["site"]
        assert isinstance(site, forms.ModelChoiceField)
        site.queryset = filter_sites(user)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The “from” date is after the “to” date."))
        return data

    def to_filter(self) -> EntryFilter:
        data = self.cleaned_data
        return EntryFilter(
            actor=(data.get("actor") or "").strip(),
            action=data.get("action") or "",
            object_type=(data.get("object_type") or "").strip().lower(),
            object_id=(data.get("object_id") or "").strip(),
            site=data.get("site"),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            text=(data.get("q") or "").strip(),
            sort=data.get("sort") or DEFAULT_SORT,
        )


class ExportForm(AuditFilterForm):
    """The filter again (as hidden inputs) plus the format; posted with a CSRF token."""

    format = forms.ChoiceField(label=_("Format"), choices=[(f, f.upper()) for f in FORMATS])

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", False)
        super().__init__(*args, user=user, **kwargs)
