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
    DemoUser("clerk_sz", "Huang Lei 黄磊", "warehouse_clerk", "SZ01"),
    DemoUser("pm", "Ma Lin 马琳", "purchasing_manager", "SZ01"),
    DemoUser("engineer", "Guo Qiang 郭强", "engineer", None),
    DemoUser("buyer", "Sun Hao 孙浩", "purchaser", "SZ01"),
    DemoUser("sales", "Emma Clarke", "sales", "KS02"),
    DemoUser("ra", "Zhou Xin 周欣", "regulatory_affairs", "SZ01"),
    DemoUser("auditor", "Hans Becker", "auditor", None),
    DemoUser("dpo", "Wu Fang 吴芳", "dpo", None),
]


@dataclass(frozen=True)
class DemoPerson:
    """A contact person (personal data: encrypted, masked unless the viewer may see it)."""

    site: str
    kind: str  # data.Person.Kind: "supplier" or "customer"
    organisation: str
    name: str
    phone: str
    email: str  # the demo's identity of the record: loading again finds it by this
    notes: str = ""
    language: str = "zh"


PEOPLE = [
    # Supplier contacts of the Suzhou plant (the buyer, QA and the QM see them masked).
    DemoPerson(
        "SZ01",
        "supplier",
        "Jiangsu Medical Polymer Co. (江苏医用高分子材料有限公司)",
        "王建国",
        "+86 139 1234 0001",
        "wang.jianguo@js-polymer.example",
        "PVC compound for tubing; quality agreement QA-2024-07.",
    ),
    DemoPerson(
        "SZ01",
        "supplier",
        "Ningbo Precision Needles (宁波精密针头有限公司)",
        "李秀英",
        "+86 158 6612 3407",
        "li.xiuying@nb-needle.example",
        "Supplier audit contact; prefers calls before 10:00.",
    ),
    DemoPerson(
        "SZ01",
        "supplier",
        "Suzhou Medical Packaging (苏州医疗包装有限公司)",
        "陈志强",
        "+86 186 2100 7788",
        "chen.zhiqiang@sz-pack.example",
        "Sterile barrier pouches; change notifications go to him.",
    ),
    DemoPerson(
        "SZ01",
        "supplier",
        "Rheinland Sterilisation Services GmbH",
        "Markus Weber",
        "+49 221 555 0142",
        "m.weber@rheinland-sterile.example",
        "EO sterilisation validation reports.",
        "en",
    ),
    # Customer contacts of the Kunshan warehouse (the sales user sees them masked).
    DemoPerson(
        "KS02",
        "customer",
        "Huadong Union Hospital (华东联合医院)",
        "刘芳",
        "+86 137 0182 4455",
        "liu.fang@hd-union-hospital.example",
        "Purchasing department, infusion sets.",
    ),
    DemoPerson(
        "KS02",
        "customer",
        "Zhejiang Kangyuan Medical Distribution (浙江康源医疗器械经销有限公司)",
        "赵磊",
        "+86 135 7123 9900",
        "zhao.lei@kangyuan-med.example",
        "Distributor; quarterly forecast in March, June, September, December.",
    ),
    DemoPerson(
        "KS02",
        "customer",
        "Kunshan Lakeside Clinic (昆山湖滨诊所)",
        "孙丽",
        "+86 189 1502 6634",
        "sun.li@ks-lakeside-clinic.example",
        "Head nurse; reports product complaints for the clinic.",
    ),
    DemoPerson(
        "KS02",
        "customer",
        "Northbridge Healthcare Ltd",
        "Sarah Thompson",
        "+44 20 7946 0321",
        "sarah.thompson@northbridge-health.example",
        "UK distributor; English documents only.",
        "en",
    ),
]


def _load_people(sites: dict[str, Site]) -> int:
    """Contact people, through the data services (encrypted, audited). A person already
    there is found by the blind index of their email (an erased one is not: it comes back)."""
    from mederp.data import services as data
    from mederp.data.models import Person
    from mederp.data.selectors import PersonFilter, apply_filter

    created = 0
    for spec in PEOPLE:
        if apply_filter(Person.objects.all(), PersonFilter(email=spec.email)).exists():
            continue
        data.create_person(
            SYSTEM,
            site=sites[spec.site],
            kind=spec.kind,
            organisation=spec.organisation,
            name=spec.name,
            phone=spec.phone,
            email=spec.email,
            notes=spec.notes,
            preferences={"language": spec.language, "channel": "email"},
        )
        created += 1
    return created


@transaction.atomic
def load() -> dict[str, int]:
    """Load the demo plant; returns how many objects were created."""
    created = {"sites": 0, "users": 0, "roles": 0, "people": 0}
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
    created["people"] = _load_people(sites)
    from mederp.demo import materials

    created.update(materials.load(sites))
    return created
