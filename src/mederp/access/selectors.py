"""Read queries for access control, always scoped to what the user may see."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from mederp.access.models import (
    AccessReviewCampaign,
    AccessReviewItem,
    InactiveAccountDisablement,
    PendingGrant,
    SodRule,
)
from mederp.identity.authz import ALL_SITES, has_perm, sites_with
from mederp.identity.models import Permission, Role

VIEW_GRANTS_PERM = "identity.view_users"
GRANT_PERM = "identity.assign_role"
VIEW_REVIEWS_PERM = "identity.view_access_reviews"
REVIEW_PERM = "identity.review_access"
MANAGE_REVIEWS_PERM = "identity.manage_access_reviews"


def grants_visible_to(user: Any) -> QuerySet[PendingGrant]:
    """Privileged grants of the user's sites (company-wide ones: company-wide viewers)."""
    qs = PendingGrant.objects.visible_to(user, VIEW_GRANTS_PERM)
    return qs.select_related("user", "role", "site", "requested_by", "decided_by")


def campaigns_visible_to(user: Any) -> QuerySet[AccessReviewCampaign]:
    """Campaigns of the user's sites, and the company-wide ones (their items are scoped)."""
    qs = AccessReviewCampaign.objects.visible_to(user, VIEW_REVIEWS_PERM, include_unsited=True)
    return qs.select_related("site", "started_by", "completed_by")


def items_visible_to(
    user: Any, campaign: AccessReviewCampaign, perm: str = VIEW_REVIEWS_PERM
) -> Any:
    return (
        AccessReviewItem.objects.visible_to(user, perm)
        .filter(campaign=campaign)
        .select_related("user", "role", "site", "decided_by", "assignment")
    )


def can_decide(user: Any, item: AccessReviewItem) -> bool:
    if item.decision != AccessReviewItem.Decision.PENDING or item.user_id == user.pk:
        return False
    if item.site_id is None:
        return sites_with(user, REVIEW_PERM) is ALL_SITES
    return has_perm(user, REVIEW_PERM, item.site_id)


@dataclass(frozen=True)
class SiteProgress:
    site_code: str
    total: int
    confirmed: int
    revoked: int
    pending: int


def progress(items: Any) -> list[SiteProgress]:
    """Per site: how many items, how many reviewed, how many still unreviewed."""
    rows = (
        items.order_by()
        .values("site__code")
        .annotate(
            total=Count("id"),
            confirmed=Count("id", filter=Q(decision=AccessReviewItem.Decision.CONFIRMED)),
            revoked=Count("id", filter=Q(decision=AccessReviewItem.Decision.REVOKED)),
            pending=Count("id", filter=Q(decision=AccessReviewItem.Decision.PENDING)),
        )
        .order_by("site__code")
    )
    return [
        SiteProgress(r["site__code"] or "", r["total"], r["confirmed"], r["revoked"], r["pending"])
        for r in rows
    ]


def disablements_visible_to(user: Any) -> QuerySet[InactiveAccountDisablement]:
    """Accounts disabled for inactivity: every one for a company-wide viewer, else those of
    users who hold or held a role at the viewer's sites."""
    qs = InactiveAccountDisablement.objects.select_related("user")
    scope = sites_with(user, VIEW_REVIEWS_PERM)
    if scope is ALL_SITES:
        return qs
    assert isinstance(scope, frozenset)
    return qs.filter(user__role_assignments__site_id__in=sorted(scope)).distinct()


@dataclass(frozen=True)
class MatrixRow:
    permission: Permission
    granted: list[bool]


def role_matrix() -> tuple[list[Role], list[MatrixRow]]:
    """Roles as columns, permission codes as rows (two queries)."""
    roles = list(Role.objects.order_by("code").prefetch_related("permissions"))
    held = [{p.pk for p in role.permissions.all()} for role in roles]
    rows = [
        MatrixRow(perm, [perm.pk in codes for codes in held])
        for perm in Permission.objects.order_by("code")
    ]
    return roles, rows


def sod_rules() -> list[SodRule]:
    return list(SodRule.objects.prefetch_related("roles_a", "roles_b").order_by("code"))
