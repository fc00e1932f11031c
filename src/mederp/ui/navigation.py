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

# Materials (items, partners, purchasing, inspection, inventory).
NAVIGATION = (
    *NAVIGATION[:1],
    NavSection(
        _("Items & partners"),
        (
            NavItem(_("Items"), "items:list", "items.view"),
            NavItem(_("Suppliers"), "partners:suppliers", "partners.view"),
            NavItem(_("Customers"), "partners:customers", "partners.view"),
        ),
    ),
    NavSection(
        _("Purchasing"),
        (
            NavItem(_("Purchase orders"), "purchasing:orders", "purchasing.view"),
            NavItem(_("Receiving"), "purchasing:receiving", "inventory.receive"),
            NavItem(_("Receipts"), "purchasing:receipts", "purchasing.view"),
        ),
    ),
    NavSection(
        _("Incoming inspection"),
        (
            NavItem(_("Inspection queue"), "inspection:queue", "inspection.view"),
            NavItem(_("Inspections"), "inspection:list", "inspection.view"),
            NavItem(_("Inspection plans"), "inspection:plans", "inspection.view"),
        ),
    ),
    NavSection(
        _("Inventory"),
        (
            NavItem(_("Stock"), "inventory:stock", "inventory.view"),
            NavItem(_("Lots"), "inventory:lots", "inventory.view"),
            NavItem(_("Serial numbers"), "inventory:serials", "inventory.view"),
            NavItem(_("Movements"), "inventory:moves", "inventory.view"),
            NavItem(_("Cycle counts"), "inventory:counts", "inventory.view"),
            NavItem(_("Locations"), "inventory:locations", "inventory.view"),
        ),
    ),
    *NAVIGATION[1:],
)
