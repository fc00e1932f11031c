"""Every endpoint through the permission matrix (mederp.testing.matrix): anonymous → 401 or
the sign-in page, wrong role → 403 and audited, wrong site → 404 (or not listed), right role
→ success. A new mederp URL fails `test_every_endpoint_is_in_the_matrix` until it is added
here (or, with a reason, to NOT_IN_MATRIX)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from mederp import audit
from mederp.access import services as access
from mederp.access.models import AccessReviewCampaign, AccessReviewItem, PendingGrant
from mederp.identity import services as identity
from mederp.identity.authz import SYSTEM
from mederp.identity.models import Role, User
from mederp.testing.matrix import Endpoint, check_endpoint, mederp_routes

PASSWORD = "correct-horse-battery-staple"
_n = itertools.count()


# --- factories: each makes an object that belongs to the given site ------------------------
def person(role: str | None = None, site: Any = None) -> User:
    name = f"mx{next(_n)}"
    user = identity.create_user(
        SYSTEM, username=name, full_name=f"Matrix {name}", password=PASSWORD
    )
    if role:
        identity.assign_role(SYSTEM, user, Role.objects.get(code=role), site, reason="matrix")
    return user


def audit_entry(site: Any) -> Any:
    return audit.record(
        "update",
        None,
        actor=None,
        site=site,
        object_type="test.thing",
        object_id=str(next(_n)),
        object_repr=f"Thing {next(_n)} at {site.code}",
    )


def pending_grant(site: Any) -> PendingGrant:
    requester = person("admin", None)
    return access.request_privileged_grant(
        requester, person("sales", site), Role.objects.get(code="admin"), site, "Local IT"
    )


def campaign(site: Any) -> AccessReviewCampaign:
    person("production_operator", site)
    return access.start_campaign(
        SYSTEM,
        name=f"Review {next(_n)}",
        site=site,
        due_date=dt.date.today() + dt.timedelta(days=30),
    )


def review_item(site: Any) -> AccessReviewItem:
    return campaign(site).items.first()  # type: ignore[return-value]


def contact(site: Any) -> Any:
    from mederp.data import services as data

    # A user first: the audit fingerprint key is created with the first fingerprint of a
    # password. A contact written first leaves "[restricted]" markers without creating the
    # key, and the next fingerprint then refuses to create it (FingerprintKeyMissing).
    person()
    return data.create_person(
        SYSTEM, site=site, name="王五", email=f"c{next(_n)}@example.com", phone="13900000000"
    )


def erasure_request(site: Any) -> Any:
    from mederp.data import services as data

    return data.request_erasure(person("sales", site), contact(site), reason="Asked by the person")


def sign_with_password(obj: Any, user: Any) -> dict[str, str]:
    return {"password": PASSWORD, "reason": "matrix"}


ENDPOINTS: list[Endpoint] = [
    # platform
    Endpoint("ui:home", "/", "core.view_dashboard"),
    Endpoint(
        "ui:switch_site",
        "/site/switch",
        None,
        method="post",
        factory=lambda site: site,
        data=lambda site, user: {"site": site.pk if site else ""},
        object_url=False,
        success=302,
    ),
    Endpoint("api:me", "/api/v1/me", None),
    # audit
    Endpoint(
        "audit:search",
        "/audit/",
        "audit.view_trail",
        factory=audit_entry,
        object_url=False,
        marker=lambda e: e.object_repr,
    ),
    Endpoint("audit:entry", lambda e: f"/audit/{e.seq}/", "audit.view_trail", factory=audit_entry),
    Endpoint(
        "audit:trail",
        lambda site: f"/audit/trail/identity.site/{site.pk}/",
        "audit.view_trail",
        factory=lambda site: site,
    ),
    Endpoint(
        "audit:export",
        "/audit/export/",
        "audit.export",
        method="post",
        data={"format": "csv"},
        factory=audit_entry,
        object_url=False,
        marker=lambda e: e.object_repr,
    ),
    Endpoint(
        "api:audit-entries",
        "/api/v1/audit/entries",
        "audit.view_trail",
        factory=audit_entry,
        object_url=False,
        marker=lambda e: e.object_repr,
    ),
    # sign-in security (identity)
    Endpoint("identity:my_devices", "/security/devices/", None),
    Endpoint("identity:my_sessions", "/security/sessions/", None),
    Endpoint("identity:my_notices", "/security/notices/", None),
    Endpoint("identity:admin_devices", "/security/admin/devices/", "identity.manage_devices"),
    Endpoint("identity:lockouts", "/security/admin/lockouts/", "identity.unlock_accounts"),
    # access control
    Endpoint("access:roles", "/access/roles/", "identity.view_roles"),
    Endpoint(
        "access:grants",
        "/access/grants/",
        "identity.view_users",
        factory=pending_grant,
        object_url=False,
        marker=lambda g: str(g.user),
    ),
    Endpoint("access:grant_new", "/access/grants/new/", "identity.assign_role"),
    Endpoint(
        "access:grant",
        lambda g: f"/access/grants/{g.pk}/",
        "identity.view_users",
        factory=pending_grant,
    ),
    Endpoint(
        "access:grant_approve",
        lambda g: f"/access/grants/{g.pk}/approve/",
        "identity.assign_role",
        factory=pending_grant,
    ),
    Endpoint(
        "access:grant_approve",
        lambda g: f"/access/grants/{g.pk}/approve/",
        "identity.assign_role",
        method="post",
        factory=pending_grant,
        data=sign_with_password,
        success=302,
    ),
    Endpoint(
        "access:grant_reject",
        lambda g: f"/access/grants/{g.pk}/reject/",
        "identity.assign_role",
        method="post",
        factory=pending_grant,
        data=sign_with_password,
        success=302,
    ),
    Endpoint(
        "access:reviews",
        "/access/reviews/",
        "identity.view_access_reviews",
        factory=campaign,
        object_url=False,
        marker=lambda c: c.name,
    ),
    Endpoint(
        "access:review_start",
        "/access/reviews/start/",
        "identity.manage_access_reviews",
        method="post",
        factory=lambda site: site,
        object_url=False,
        success=302,
        data=lambda site, user: {
            "name": "Matrix review",
            "site": str(site.pk),
            "due_date": (dt.date.today() + dt.timedelta(days=9)).isoformat(),
        },
    ),
    Endpoint(
        "access:review",
        lambda c: f"/access/reviews/{c.pk}/",
        "identity.view_access_reviews",
        factory=campaign,
    ),
    Endpoint(
        "access:review_complete",
        lambda c: f"/access/reviews/{c.pk}/complete/",
        "identity.manage_access_reviews",
        factory=campaign,
    ),
    Endpoint(
        "access:review_complete",
        lambda c: f"/access/reviews/{c.pk}/complete/",
        "identity.manage_access_reviews",
        method="post",
        factory=campaign,
        data=sign_with_password,
        success=302,
    ),
    Endpoint(
        "access:review_decide",
        lambda i: f"/access/reviews/items/{i.pk}/decide/",
        "identity.review_access",
        method="post",
        factory=review_item,
        data={"decision": "confirmed"},
        success=302,
    ),
    # data protection (contact people)
    Endpoint(
        "data:people",
        "/people/",
        "people.view",
        factory=contact,
        object_url=False,
        marker=lambda p: p.reference,
    ),
    Endpoint("data:person_create", "/people/new/", "people.manage"),
    Endpoint(
        "data:people_export",
        "/people/export/",
        "people.export",
        method="post",
        factory=contact,
        object_url=False,
        marker=lambda p: p.reference,
        data={"format": "csv", "purpose": "Matrix test"},
    ),
    Endpoint("data:person", lambda p: f"/people/{p.pk}/", "people.view", factory=contact),
    Endpoint(
        "data:person_reveal",
        lambda p: f"/people/{p.pk}/reveal/",
        "data.reveal",
        method="post",
        factory=contact,
        data={"reveal-reason": "Customer called back"},
    ),
    Endpoint(
        "data:erasure_request",
        lambda p: f"/people/{p.pk}/erasure/",
        "data.request_shred",
        method="post",
        factory=contact,
        data={"erasure-reason": "Asked by the person"},
        success=302,
    ),
    Endpoint(
        "data:erasure_requests",
        "/people/erasure/",
        "data.request_shred",
        factory=erasure_request,
        object_url=False,
        marker=lambda r: r.person.reference,
    ),
    Endpoint(
        "data:erasure_decide",
        lambda r: f"/people/erasure/{r.pk}/decide/",
        "data.shred",
        method="post",
        factory=erasure_request,
        data={"decision": "reject", "reason": "Legal hold"},
        success=302,
    ),
    Endpoint(
        "api:people",
        "/api/v1/people",
        "people.view",
        factory=contact,
        object_url=False,
        marker=lambda p: p.reference,
    ),
    Endpoint(
        "api:people-search",
        "/api/v1/people/search",
        "people.view",
        method="post",
        factory=contact,
        object_url=False,
        marker=lambda p: p.reference,
        data=lambda p, user: {"email": p.email},
    ),
    Endpoint("api:person", lambda p: f"/api/v1/people/{p.pk}", "people.view", factory=contact),
    Endpoint(
        "api:person-reveal",
        lambda p: f"/api/v1/people/{p.pk}/reveal",
        "data.reveal",
        method="post",
        factory=contact,
        data={"reason": "Customer called back"},
    ),
    Endpoint(
        "api:access-grants",
        "/api/v1/access/grants",
        "identity.view_users",
        factory=pending_grant,
        object_url=False,
        marker=lambda g: g.user.username,
    ),
    Endpoint(
        "api:access-review-unreviewed",
        lambda c: f"/api/v1/access/reviews/{c.pk}/unreviewed",
        "identity.view_access_reviews",
        factory=campaign,
    ),
]


def _app_matrices() -> list[Endpoint]:
    """Domain apps keep their endpoints beside their tests, in tests/<app>/matrix_endpoints.py
    (a list named ENDPOINTS); they join the one matrix here."""
    found: list[Endpoint] = []
    for path in sorted(Path(__file__).parent.glob("*/matrix_endpoints.py")):
        spec = importlib.util.spec_from_file_location(f"matrix_{path.parent.name}", path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        found += module.ENDPOINTS
    return found


ENDPOINTS += _app_matrices()

# mederp URLs outside the matrix, and why.
NOT_IN_MATRIX = {
    "healthz": "public liveness probe (tests/platform/test_urls_declare_permissions.py)",
    "readyz": "public readiness probe",
    "identity:device_pending": "the page a session of an unapproved device is held on",
    "identity_allauth_sessions_redirect": "redirects allauth's session list to My sessions",
}


# Work in progress elsewhere: URL-name prefixes, until their endpoints join the matrix.
IN_PROGRESS: tuple[str, ...] = ()


@pytest.fixture(autouse=True)
def _forget_cached_keys() -> Iterator[None]:
    """Each test has its own key directory: the key caches must start empty, before the site
    and user fixtures write their first fingerprints (as tests/data/conftest.py does)."""
    from mederp.audit import changes
    from mederp.data import destruction, keyring, providers

    def reset() -> None:
        keyring.clear_cache()
        keyring._scope_ids.clear()
        destruction.reset()
        providers.reset()
        changes._fingerprint_key.cache_clear()

    reset()
    yield
    reset()


def _id(ep: Endpoint) -> str:
    return f"{ep.name}-{ep.method}"


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=_id)
def test_permission_matrix(
    endpoint: Endpoint, client: Client, site_a: Any, site_b: Any, make_user: Any
) -> None:
    from django.core.cache import cache
    from django.utils import translation

    cache.clear()
    translation.activate("en")
    check_endpoint(endpoint, client=client, site_a=site_a, site_b=site_b, make_user=make_user)


def test_every_endpoint_is_in_the_matrix() -> None:
    covered = {ep.name for ep in ENDPOINTS}
    missing = [
        f"{name} (/{route})"
        for name, route in mederp_routes()
        if name not in covered and name not in NOT_IN_MATRIX and not name.startswith(IN_PROGRESS)
    ]
    assert not missing, (
        "these endpoints are not in the permission matrix: add them to ENDPOINTS in "
        f"tests/test_permission_matrix.py: {', '.join(missing)}"
    )
    names = {name for name, _ in mederp_routes()}
    assert covered <= names, f"stale matrix entries: {sorted(covered - names)}"


@pytest.mark.django_db
def test_the_matrix_catches_missing_checks(
    client: Client, site_a: Any, site_b: Any, make_user: Any
) -> None:
    """Controls: the helper fails an endpoint that lets the wrong role in, and one that shows
    the other site's record."""
    # /audit/ needs audit.view_trail; claimed to need audit.export, the DPO (view_trail but no
    # export) gets in where the matrix expects a 403
    wrong_perm = Endpoint("audit:search", "/audit/", "audit.export")
    with pytest.raises(AssertionError, match=r"as dpo@A: HTTP 200"):
        check_endpoint(wrong_perm, client=client, site_a=site_a, site_b=site_b, make_user=make_user)
    # a marker that the other site's user does see stands for a leaking list
    leaking = Endpoint(
        "audit:search",
        "/audit/",
        "audit.view_trail",
        factory=audit_entry,
        object_url=False,
        marker=lambda e: "Audit trail",
    )
    with pytest.raises(AssertionError, match="a user of the other site sees"):
        check_endpoint(leaking, client=client, site_a=site_a, site_b=site_b, make_user=make_user)
    # an object endpoint answering 200 to the other site's user
    shown = Endpoint("ui:home", lambda site: "/", "core.view_dashboard", factory=lambda site: site)
    with pytest.raises(AssertionError, match=r"@B: HTTP 200"):
        check_endpoint(shown, client=client, site_a=site_a, site_b=site_b, make_user=make_user)
