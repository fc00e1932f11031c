"""Read queries for identity, always scoped to what the user may see."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from mederp.identity.authz import ALL_SITES, sites_with
from mederp.identity.models import RoleAssignment, Site, User

SESSION_SITE_KEY = "mederp_site_id"


def user_sites(user: Any) -> QuerySet[Site]:
    """Sites where the user holds any active role (all active sites for a company-wide role)."""
    assignments = RoleAssignment.objects.active().filter(user_id=user.pk)
    if assignments.filter(site__isnull=True).exists():
        return Site.objects.filter(is_active=True)
    return Site.objects.filter(is_active=True, role_assignments__in=assignments).distinct()


def current_site_for(request: HttpRequest) -> Site | None:
    user = request.user
    sites = user_sites(user)
    wanted = request.session.get(SESSION_SITE_KEY) or getattr(user, "default_site_id", None)
    if wanted is not None:
        site = sites.filter(pk=wanted).first()
        if site is not None:
            return site
    return sites.first()


def active_assignments(user: Any) -> QuerySet[RoleAssignment]:
    return (
        RoleAssignment.objects.active()
        .filter(user_id=user.pk)
        .select_related("role", "site")
        .order_by("site__code", "role__code")
    )


def users_visible_to(viewer: Any) -> QuerySet[User]:
    """Users holding a role at a site where the viewer may see users."""
    scope = sites_with(viewer, "identity.view_users")
    if scope is ALL_SITES:
        return User.objects.all()
    active = RoleAssignment.objects.active()
    return User.objects.filter(
        role_assignments__in=active.filter(site_id__in=scope)  # type: ignore[misc]
    ).distinct()
