from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mederp.access.models import AccessReviewItem
from mederp.identity.authz import ALL_SITES, sites_with
from mederp.identity.models import Role, Site, User
from mederp.identity.selectors import users_visible_to

ALL = "all"


def _site_choices(user: Any, perm: str) -> list[tuple[str, str]]:
    scope = sites_with(user, perm)
    sites = Site.objects.filter(is_active=True)
    choices: list[tuple[str, str]] = []
    if scope is ALL_SITES:
        choices.append((ALL, str(_("All sites"))))
    else:
        assert isinstance(scope, frozenset)
        sites = sites.filter(pk__in=sorted(scope))
    choices += [(str(s.pk), f"{s.code} · {s.label}") for s in sites.order_by("code")]
    return choices


def _site_from(value: str) -> Site | None:
    return None if value == ALL else Site.objects.get(pk=int(value))


class GrantRoleForm(forms.Form):
    user: forms.ModelChoiceField[User] = forms.ModelChoiceField(
        queryset=User.objects.none(), label=_("User")
    )
    role: forms.ModelChoiceField[Role] = forms.ModelChoiceField(
        queryset=Role.objects.order_by("code"), label=_("Role")
    )
    site = forms.ChoiceField(label=_("Site"))
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users_visible_to(actor).filter(  # type: ignore[attr-defined]
            is_active=True
        )
        self.fields["site"].choices = _site_choices(actor, "identity.assign_role")  # type: ignore[attr-defined]
        self.fields["role"].label_from_instance = lambda r: (  # type: ignore[attr-defined]
            f"{r.label} ({_('privileged: needs a second administrator')})"
            if r.privileged
            else r.label
        )

    def clean_site(self) -> Site | None:
        return _site_from(self.cleaned_data["site"])


class StartCampaignForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    site = forms.ChoiceField(label=_("Site"))
    due_date = forms.DateField(label=_("Due date"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].choices = _site_choices(actor, "identity.manage_access_reviews")  # type: ignore[attr-defined]
        if not self.is_bound:
            today = timezone.localdate()
            self.initial.setdefault("due_date", today + dt.timedelta(days=30))
            self.initial.setdefault(
                "name", str(_("Access review %(date)s")) % {"date": today.isoformat()}
            )

    def clean_site(self) -> Site | None:
        return _site_from(self.cleaned_data["site"])


class DecideItemForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (AccessReviewItem.Decision.CONFIRMED, _("Confirm")),
            (AccessReviewItem.Decision.REVOKED, _("Revoke")),
        ],
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)
