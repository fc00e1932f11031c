"""Forms of the supplier and customer pages: shape and field checks only (the services decide
the rules)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mederp.identity.authz import sites_with
from mederp.identity.models import Site
from mederp.items.choices import ItemStatus
from mederp.items.models import Item
from mederp.partners.choices import (
    CertificateKind,
    ContactRole,
    CustomerKind,
    CustomerStatus,
    LicenceType,
    SupplierStatus,
)

_DATE = forms.DateInput(attrs={"type": "date"})


class SupplierFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Qualification status"),
        required=False,
        choices=[("", _("Any")), *SupplierStatus.choices],
    )
    certificate = forms.ChoiceField(
        label=_("Certificates"),
        required=False,
        choices=[
            ("", _("Any")),
            ("expired", _("Expired")),
            ("expiring", _("Expiring soon")),
            ("valid", _("Valid")),
            ("none", _("None recorded")),
        ],
    )


class CustomerFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any")), *CustomerKind.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any")), *CustomerStatus.choices]
    )


class SupplierForm(forms.Form):
    code = forms.CharField(label=_("Supplier code"), max_length=20)
    name = forms.CharField(label=_("Name"), max_length=200)
    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=200, required=False)
    country = forms.CharField(
        label=_("Country"), max_length=2, initial="CN", help_text=_("Two letters, e.g. CN")
    )
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class SupplierEditForm(SupplierForm):
    reason = forms.CharField(label=_("Reason for the change"), max_length=500, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["code"]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class SupplierStatusForm(ReasonForm):
    to_status = forms.ChoiceField(label=_("New status"), choices=SupplierStatus.choices)

    field_order = ["to_status", "reason"]


class ApprovedItemForm(forms.Form):
    item = forms.ModelChoiceField(
        label=_("Item"),
        queryset=Item.objects.exclude(status=ItemStatus.OBSOLETE).order_by("code"),
    )
    manufacturer = forms.CharField(label=_("Manufacturer"), max_length=200, required=False)
    manufacturer_part_no = forms.CharField(label=_("Manufacturer part number"), max_length=60)
    notes = forms.CharField(label=_("Notes"), max_length=300, required=False)


class CertificateForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=CertificateKind.choices)
    number = forms.CharField(label=_("Certificate number"), max_length=80)
    issuer = forms.CharField(label=_("Issued by"), max_length=200, required=False)
    valid_from = forms.DateField(label=_("Valid from"), required=False, widget=_DATE)
    expires_on = forms.DateField(label=_("Expires on"), widget=_DATE)
    upload = forms.FileField(
        label=_("Scan (PDF, PNG or JPEG)"),
        help_text=_("Required: a certificate counts only with its scan. At most 20 MB."),
    )


class ContactForm(forms.Form):
    site = forms.ModelChoiceField(
        label=_("Site keeping the record"),
        queryset=Site.objects.none(),
        help_text=_("The contact's personal data are kept (encrypted) under this site."),
    )
    name = forms.CharField(label=_("Name"), max_length=200)
    role = forms.ChoiceField(label=_("Role"), choices=ContactRole.choices)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=40)
    email = forms.EmailField(label=_("Email"), required=False)
    primary = forms.BooleanField(label=_("Primary contact"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scope = sites_with(user, "people.manage")
        sites = Site.objects.order_by("code")
        field: Any = self.fields["site"]
        field.queryset = sites.filter(pk__in=list(scope)) if isinstance(scope, frozenset) else sites
        default = getattr(user, "default_site_id", None)
        if default:
            field.initial = default


class CustomerForm(forms.Form):
    code = forms.CharField(label=_("Customer code"), max_length=20)
    name = forms.CharField(label=_("Name"), max_length=200)
    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=200, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=CustomerKind.choices)
    country = forms.CharField(
        label=_("Country"), max_length=2, initial="CN", help_text=_("Two letters, e.g. CN")
    )
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    licence_type = forms.ChoiceField(
        label=_("Licence type"), required=False, choices=[("", "—"), *LicenceType.choices]
    )
    licence_no = forms.CharField(label=_("Licence number"), max_length=80, required=False)
    licence_expires_on = forms.DateField(
        label=_("Licence expires on"), required=False, widget=_DATE
    )


class CustomerEditForm(CustomerForm):
    reason = forms.CharField(label=_("Reason for the change"), max_length=500, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["code"]


class CustomerStatusForm(ReasonForm):
    status = forms.ChoiceField(label=_("New status"), choices=CustomerStatus.choices)

    field_order = ["status", "reason"]


class ImportForm(forms.Form):
    file = forms.FileField(label=_("File (CSV or XLSX)"))
