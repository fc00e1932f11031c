"""The e-signed transitions of access control, shown in the reusable e-signature dialog."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mederp.access import selectors, services
from mederp.access.models import AccessReviewCampaign, PendingGrant
from mederp.signatures.dialog import SignedTransition, SigningInput


def _load_grant(request: HttpRequest, pk: Any) -> PendingGrant:
    return get_object_or_404(selectors.grants_visible_to(request.user), pk=pk)


def _describe_grant(grant: PendingGrant) -> list[tuple[Any, Any]]:
    return [
        (_("User"), grant.user),
        (_("Role"), grant.role.label),
        (_("Site"), grant.site.code if grant.site else _("All sites")),
        (_("Requested by"), grant.requested_by),
        (_("Reason"), grant.reason),
    ]


def _grant_url(grant: PendingGrant) -> str:
    return reverse("access:grant", args=[grant.pk])


def _approve(request: HttpRequest, grant: PendingGrant, s: SigningInput) -> Any:
    return services.approve_grant(
        request.user, grant, password=s.password, otp=s.otp, reason=s.reason, session=s.session
    )


def _reject(request: HttpRequest, grant: PendingGrant, s: SigningInput) -> Any:
    return services.reject_grant(
        request.user, grant, password=s.password, otp=s.otp, reason=s.reason, session=s.session
    )


APPROVE_GRANT = SignedTransition(
    code="access.approve_grant",
    meaning="approved",
    permission="identity.assign_role",
    title=_("Approve privileged role grant"),
    statement=_(
        "The role takes effect as soon as you sign. You must not be the person who requested "
        "it, nor the person who receives it."
    ),
    load=_load_grant,
    perform=_approve,
    describe=_describe_grant,
    success_url=_grant_url,
    success_message=_("The grant is approved and the role is in effect."),
)

REJECT_GRANT = SignedTransition(
    code="access.reject_grant",
    meaning="rejected",
    permission="identity.assign_role",
    title=_("Reject privileged role grant"),
    load=_load_grant,
    perform=_reject,
    describe=_describe_grant,
    success_url=_grant_url,
    reason_required=True,
    success_message=_("The grant is rejected."),
)


def _load_campaign(request: HttpRequest, pk: Any) -> AccessReviewCampaign:
    return get_object_or_404(selectors.campaigns_visible_to(request.user), pk=pk)


def _describe_campaign(campaign: AccessReviewCampaign) -> list[tuple[Any, Any]]:
    left = services.unreviewed(campaign).count()
    return [
        (_("Access review"), campaign.name),
        (_("Site"), campaign.site.code if campaign.site else _("All sites")),
        (pgettext_lazy("access review", "Items"), campaign.items.count()),
        (_("Not reviewed"), left),
    ]


def _complete(request: HttpRequest, campaign: AccessReviewCampaign, s: SigningInput) -> Any:
    return services.complete_campaign(
        request.user,
        campaign,
        password=s.password,
        otp=s.otp,
        reason=s.reason,
        session=s.session,
    )


COMPLETE_REVIEW = SignedTransition(
    code="access.complete_review",
    meaning="approved",
    permission="identity.manage_access_reviews",
    title=_("Complete access review"),
    statement=_(
        "Your signature approves every decision of this review. Items still not reviewed are "
        "reported as such; completing with unreviewed items needs a reason."
    ),
    load=_load_campaign,
    perform=_complete,
    describe=_describe_campaign,
    success_url=lambda campaign: reverse("access:review", args=[campaign.pk]),
    success_message=_("The access review is completed and signed."),
)
