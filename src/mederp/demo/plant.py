"""Demo plant data. Loading is idempotent: what exists is kept, what is missing is added."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from mederp.identity import services as identity
from mederp.identity.authz import SYSTEM
from mederp.identity.models import Role, RoleAssignment, Site, User

DEMO_PASSWORD = "demo-mederp-2026"  # noqa: S105  (printed by `make demo`; demo data only)
COMPANY = "Huaxin Medical Devices (华信医疗器械)"

SITES = [
    # code, English, Chinese, kind
    ("SZ01", "Suzhou infusion-set plant", "苏州输液器工厂", "plant"),
    ("KS02", "Kunshan distribution warehouse", "昆山配送仓库", "warehouse"),
]


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    role: str
    site: str | None  # None: every site


USERS = [
    DemoUser("admin", "Wang Lei 王磊", "admin", None),
    DemoUser("qm", "Chen Jing 陈静", "quality_manager", None),
    DemoUser("qa", "Li Na 李娜", "qa_specialist", "SZ01"),
    DemoUser("supervisor", "Zhang Wei 张伟", "production_supervisor", "SZ01"),
    DemoUser("operator", "Liu Yang 刘洋", "production_operator", "SZ01"),
    DemoUser("clerk", "Zhao Min 赵敏", "warehouse_clerk", "KS02"),
    DemoUser("buyer", "Sun Hao 孙浩", "purchaser", "SZ01"),
    DemoUser("sales", "Emma Clarke", "sales", "KS02"),
    DemoUser("ra", "Zhou Xin 周欣", "regulatory_affairs", "SZ01"),
    DemoUser("auditor", "Hans Becker", "auditor", None),
    DemoUser("dpo", "Wu Fang 吴芳", "dpo", None),
]


@transaction.atomic
def load() -> dict[str, int]:
    """Load the demo plant; returns how many objects were created."""
    created = {"sites": 0, "users": 0, "roles": 0}
    sites: dict[str, Site] = {}
    for code, name, name_zh, kind in SITES:
        site = Site.objects.filter(code=code).first()
        if site is None:
            site = identity.create_site(SYSTEM, code=code, name=name, name_zh=name_zh, kind=kind)
            created["sites"] += 1
        sites[code] = site
    for spec in USERS:
        user = User.objects.filter(username=spec.username).first()
        if user is None:
            user = identity.create_user(
                SYSTEM,
                username=spec.username,
                full_name=spec.full_name,
                password=DEMO_PASSWORD,
                email=f"{spec.username}@huaxin-demo.example",
                default_site=sites[spec.site] if spec.site else sites["SZ01"],
            )
            created["users"] += 1
        role = Role.objects.get(code=spec.role)
        site = sites[spec.site] if spec.site else None
        if not RoleAssignment.objects.active().filter(user=user, role=role, site=site).exists():
            identity.assign_role(SYSTEM, user, role, site, reason="Demo plant set-up")
            created["roles"] += 1
    return created
