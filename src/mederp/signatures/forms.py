from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class SignatureForm(forms.Form):
    """Re-authentication for one signature. The password is never rendered back."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    otp = forms.CharField(
        label=_("Code from your authenticator app"),
        required=False,
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*"}
        ),
    )
    reason = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(
        self, *args: Any, needs_otp: bool = False, reason_required: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.needs_otp = needs_otp
        if needs_otp:
            self.fields["otp"].required = True
        else:
            del self.fields["otp"]
        if reason_required:
            self.fields["reason"].required = True
            self.fields["reason"].label = _("Reason")
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("id", f"esign-{name}")
            if field.required:
                field.widget.attrs["required"] = True
