"""The navigation by domain. Entries appear only to users holding their permission."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    permission: str | None


@dataclass(frozen=True)
class NavSection:
    label: str | Promise
    items: tuple[NavItem, ...]


NAVIGATION: tuple[NavSection, ...] = (
    NavSection(_("Overview"), (NavItem(_("Dashboard"), "ui:home", "core.view_dashboard"),)),
    NavSection(
        _("Quality & compliance"),
        (NavItem(_("Audit trail"), "audit:search", "audit.view_trail"),),
    ),
    NavSection(
        _("Sign-in security"),
        (
            NavItem(_("Devices"), "identity:admin_devices", "identity.manage_devices"),
            NavItem(_("Locked accounts"), "identity:lockouts", "identity.unlock_accounts"),
        ),
    ),
    NavSection(
        _("Access control"),
        (
            NavItem(_("Roles and permissions"), "access:roles", "identity.view_roles"),
            NavItem(_("Privileged role grants"), "access:grants", "identity.view_users"),
            NavItem(_("Access reviews"), "access:reviews", "identity.view_access_reviews"),
        ),
    ),
)

# Data protection (mederp.data).
NAVIGATION = (
    *NAVIGATION,
    NavSection(
        _("Data protection"),
        (
            NavItem(_("Contact people"), "data:people", "people.view"),
            NavItem(_("Erasure requests"), "data:erasure_requests", "data.request_shred"),
        ),
    ),
)
