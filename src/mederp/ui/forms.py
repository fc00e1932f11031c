from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mederp.identity.models import Site
from mederp.identity.selectors import user_sites


class SiteSwitchForm(forms.Form):
    site: forms.ModelChoiceField[Site] = forms.ModelChoiceField(
        queryset=Site.objects.none(), label=_("Site")
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = user_sites(user)  # type: ignore[attr-defined]
        self.fields["site"].error_messages["invalid_choice"] = _("You hold no role at that site.")
