"""The permission codes mederp knows, and which seeded role holds which.

Codes are `domain.action`. Domain apps add their codes here as they arrive; `seed.py` writes
them to the database at every migrate, so the table always matches the code.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop as N_

PERMISSIONS: dict[str, str] = {
    "core.view_dashboard": N_("See the home dashboard"),
    "identity.view_users": N_("See users and their roles"),
    "identity.manage_users": N_("Create and disable user accounts"),
    "identity.manage_sites": N_("Create and change sites"),
    "identity.assign_role": N_("Grant and revoke roles"),
    "identity.view_roles": N_("See roles and the role × permission matrix"),
    "identity.manage_devices": N_("See every user's devices; approve and revoke devices"),
    "identity.unlock_accounts": N_("See locked accounts and unlock them"),
    "identity.view_access_reviews": N_("See access reviews and their reports"),
    "identity.review_access": N_("Confirm or revoke role assignments in access reviews"),
    "identity.manage_access_reviews": N_("Start and complete access reviews"),
    "identity.configure_sod": N_("Change segregation-of-duties rules"),
    "audit.view_trail": N_("See audit trails and search the audit ledger"),
    "audit.export": N_("Export audit trails"),
    "audit.manage_checkpoints": N_("Create audit checkpoints"),
    "api.manage_tokens": N_("Issue and revoke API tokens"),
}

# Seeded roles whose holders may act only from administrator-approved devices. Set when the
# role is created; administrators may change the flag afterwards.
DEVICE_BOUND_ROLES: frozenset[str] = frozenset({"admin", "quality_manager"})

# code: (English name, Chinese name, privileged, permissions)
_ALL_READ = ["core.view_dashboard"]
SEED_ROLES: dict[str, tuple[str, str, bool, list[str]]] = {
    "admin": (
        "Administrator (IT)",
        "系统管理员（IT）",
        True,
        [
            *_ALL_READ,
            "identity.view_users",
            "identity.manage_users",
            "identity.manage_sites",
            "identity.assign_role",
            "api.manage_tokens",
            "identity.view_roles",
            "identity.manage_devices",
            "identity.unlock_accounts",
            "identity.view_access_reviews",
            "identity.manage_access_reviews",
            "audit.manage_checkpoints",
        ],
    ),
    "quality_manager": (
        "Quality Manager",
        "质量经理",
        True,
        [
            *_ALL_READ,
            "identity.view_users",
            "identity.view_roles",
            "identity.view_access_reviews",
            "identity.review_access",
            "identity.manage_access_reviews",
            "identity.configure_sod",
            "audit.view_trail",
            "audit.export",
        ],
    ),
    "qa_specialist": (
        "QA Specialist",
        "质量保证专员",
        False,
        [
            *_ALL_READ,
            "audit.view_trail",
            "audit.export",
        ],
    ),
    "production_supervisor": (
        "Production Supervisor",
        "生产主管",
        False,
        [*_ALL_READ, "identity.view_access_reviews", "identity.review_access"],
    ),
    "production_operator": ("Production Operator", "生产操作员", False, [*_ALL_READ]),
    "warehouse_clerk": ("Warehouse Clerk", "仓库管理员", False, [*_ALL_READ]),
    "purchaser": ("Purchaser", "采购员", False, [*_ALL_READ]),
    "sales": ("Sales", "销售", False, [*_ALL_READ]),
    "regulatory_affairs": ("Regulatory Affairs", "法规事务专员", False, [*_ALL_READ]),
    "auditor": (
        "Auditor (read-only)",
        "审计员（只读）",
        False,
        [
            *_ALL_READ,
            "identity.view_users",
            "identity.view_roles",
            "identity.view_access_reviews",
            "audit.view_trail",
            "audit.export",
        ],
    ),
    "dpo": (
        "Data Protection Officer",
        "数据保护官",
        False,
        [
            *_ALL_READ,
            "identity.view_users",
            "audit.view_trail",
        ],
    ),
}

# --- data protection (mederp.data): contact records, restricted values, erasure, keys -------
PERMISSIONS.update(
    {
        "people.view": N_("See contact records (restricted values masked)"),
        "people.manage": N_("Create and change contact records"),
        "people.view_restricted": N_("See the restricted personal data of contact records"),
        "people.export": N_("Export contact records"),
        "data.reveal": N_("Reveal one record's restricted values, with a reason"),
        "data.request_shred": N_("Request the erasure (crypto-shredding) of a person's data"),
        "data.shred": N_("Approve erasure requests: destroys the person's keys"),
        "keys.manage": N_("Rotate encryption keys and re-encrypt data"),
    }
)
_DATA_GRANTS: dict[str, list[str]] = {
    "admin": ["keys.manage"],
    "quality_manager": [
        "people.view",
        "people.manage",
        "people.export",
        "data.reveal",
        "data.request_shred",
    ],
    "qa_specialist": ["people.view"],
    "purchaser": ["people.view", "people.manage"],
    "sales": ["people.view", "people.manage", "people.export", "data.request_shred"],
    "auditor": ["people.view"],
    "dpo": [
        "people.view",
        "people.view_restricted",
        "people.export",
        "data.reveal",
        "data.request_shred",
        "data.shred",
    ],
}
for _role, _codes in _DATA_GRANTS.items():
    SEED_ROLES[_role][3].extend(c for c in _codes if c not in SEED_ROLES[_role][3])

# --- materials (issue 6): items, partners, purchasing, inventory, inspection ----------------
SEED_ROLES["purchasing_manager"] = ("Purchasing Manager", "采购经理", False, [*_ALL_READ])
SEED_ROLES["engineer"] = ("Design Engineer", "设计开发工程师", False, [*_ALL_READ])
PERMISSIONS.update(
    {
        "items.view": N_("See items, units of measure and conversions"),
        "items.manage": N_("Create items and change draft items"),
        "items.release": N_("Release and obsolete items; change released items with a reason"),
        "items.import": N_("Import items from CSV/XLSX"),
        "partners.view": N_("See suppliers, the approved supplier list and customers"),
        "partners.manage_suppliers": N_("Create and change suppliers, certificates and contacts"),
        "partners.qualify_suppliers": N_(
            "Change a supplier's qualification status and the approved supplier list"
        ),
        "partners.manage_customers": N_("Create and change customers and their contacts"),
        "partners.import": N_("Import suppliers and customers from CSV/XLSX"),
        "purchasing.view": N_("See purchase orders and receipts"),
        "purchasing.manage": N_("Create, change, submit and cancel purchase orders"),
        "purchasing.approve": N_("Approve purchase orders above the approval amount"),
        "purchasing.view_prices": N_("See prices and totals of purchase orders"),
        "inventory.view": N_("See locations, lots, serial numbers and stock"),
        "inventory.manage_locations": N_("Create and change locations"),
        "inventory.receive": N_("Receive goods against purchase orders"),
        "inventory.move": N_("Transfer and issue stock"),
        "inventory.adjust": N_("Scrap stock, return it to suppliers and post adjustments"),
        "inventory.count": N_("Start and enter cycle counts"),
        "inventory.approve_count": N_("Approve cycle-count adjustments above the threshold"),
        "inventory.hold_lot": N_("Put released lots on hold and lift holds"),
        "inspection.view": N_("See inspection plans and inspections"),
        "inspection.manage_plans": N_("Create and activate inspection plans"),
        "inspection.perform": N_("Record inspection results and decide accept or reject"),
        "inspection.approve_deviation": N_("Approve acceptance with deviation (e-signature)"),
    }
)
_VIEW_MATERIALS = ["items.view", "partners.view", "purchasing.view", "inventory.view"]
_MATERIALS_GRANTS: dict[str, list[str]] = {
    "admin": ["inventory.manage_locations", "items.view", "inventory.view"],
    "quality_manager": [
        *_VIEW_MATERIALS,
        "items.release",
        "partners.qualify_suppliers",
        "inventory.hold_lot",
        "inventory.approve_count",
        "inspection.view",
        "inspection.manage_plans",
        "inspection.approve_deviation",
    ],
    "qa_specialist": [
        *_VIEW_MATERIALS,
        "inventory.hold_lot",
        "inspection.view",
        "inspection.manage_plans",
        "inspection.perform",
    ],
    "production_supervisor": [
        "items.view",
        "inventory.view",
        "inventory.move",
        "inventory.adjust",
        "inventory.approve_count",
    ],
    "production_operator": ["items.view", "inventory.view"],
    "warehouse_clerk": [
        *_VIEW_MATERIALS,
        "inventory.receive",
        "inventory.move",
        "inventory.count",
        "inspection.view",
    ],
    "purchaser": [
        *_VIEW_MATERIALS,
        "partners.manage_suppliers",
        "partners.import",
        "purchasing.manage",
        "purchasing.view_prices",
    ],
    "purchasing_manager": [
        *_VIEW_MATERIALS,
        "purchasing.approve",
        "purchasing.view_prices",
        "partners.manage_suppliers",
    ],
    "sales": [
        "items.view",
        "partners.view",
        "partners.manage_customers",
        "partners.import",
        "inventory.view",
    ],
    "regulatory_affairs": ["items.view", "items.manage", "partners.view"],
    "engineer": ["items.view", "items.manage", "items.import", "inspection.view"],
    "auditor": [
        *_VIEW_MATERIALS,
        "purchasing.view_prices",
        "inspection.view",
    ],
}
for _role, _codes in _MATERIALS_GRANTS.items():
    SEED_ROLES[_role][3].extend(c for c in _codes if c not in SEED_ROLES[_role][3])
