"""Authorization: has_perm / authorize / sites_with across sites, and the UI that relies on it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from mederp.audit.models import AuditEntry
from mederp.identity import authz, services
from mederp.identity.authz import ALL_SITES, SYSTEM, authorize, has_perm, sites_with
from mederp.identity.models import Role, RoleAssignment, User
from mederp.identity.selectors import SESSION_SITE_KEY

pytestmark = pytest.mark.django_db

TRAIL = "audit.view_trail"  # held by qa_specialist, not by sales


def fresh(user: Any) -> User:
    """A new instance, so no permission cache from an earlier call is used."""
    return User.objects.get(pk=user.pk)


# --- has_perm / authorize / sites_with -------------------------------------------------------
def test_site_scoped_assignment_grants_only_at_that_site(
    site_a: Any, site_b: Any, make_user: Any
) -> None:
    user = make_user("qa_specialist", site_a)
    assert has_perm(user, TRAIL, site_a)
    assert has_perm(user, TRAIL, site_a.pk)  # a site id works as well
    assert not has_perm(user, TRAIL, site_b)
    assert has_perm(user, TRAIL)  # None: "at any site"
    assert not has_perm(user, "identity.assign_role", site_a)
    assert not has_perm(user, "no.such_permission", site_a)
    assert sites_with(user, TRAIL) == frozenset({site_a.pk})
    assert sites_with(user, "identity.assign_role") == frozenset()

    authorize(user, TRAIL, site_a)
    with pytest.raises(PermissionDenied, match=r"audit\.view_trail @ SB02"):
        authorize(user, TRAIL, site_b)


def test_roles_at_two_sites_add_up(site_a: Any, site_b: Any, make_user: Any) -> None:
    user = make_user("qa_specialist", site_a)
    services.assign_role(SYSTEM, user, Role.objects.get(code="auditor"), site_b, reason="t")
    user = fresh(user)
    assert sites_with(user, TRAIL) == frozenset({site_a.pk, site_b.pk})
    assert has_perm(user, "identity.view_users", site_b)  # auditor only
    assert not has_perm(user, "identity.view_users", site_a)


def test_company_wide_assignment_grants_everywhere(
    site_a: Any, site_b: Any, make_user: Any
) -> None:
    user = make_user("qa_specialist", None)
    site_c = services.create_site(SYSTEM, code="SC03", name="Site C, created later")
    assert has_perm(user, TRAIL, site_a)
    assert has_perm(user, TRAIL, site_b)
    assert has_perm(user, TRAIL, site_c)
    assert has_perm(user, TRAIL)
    assert sites_with(user, TRAIL) is ALL_SITES
    assert not has_perm(user, "identity.assign_role", site_a)


def test_revoked_assignment_grants_nothing(site_a: Any, make_user: Any) -> None:
    user = make_user("qa_specialist", site_a)
    assert has_perm(user, TRAIL, site_a)
    services.revoke_role(SYSTEM, RoleAssignment.objects.get(user=user), reason="left")
    user = fresh(user)
    assert not has_perm(user, TRAIL, site_a)
    assert not has_perm(user, TRAIL)
    assert sites_with(user, TRAIL) == frozenset()
    with pytest.raises(PermissionDenied):
        authorize(user, TRAIL, site_a)


def test_expired_assignment_grants_nothing(site_a: Any, make_user: Any) -> None:
    user = make_user("qa_specialist", site_a)
    RoleAssignment.objects.filter(user=user).update(
        valid_until=timezone.now() - timedelta(seconds=1)
    )
    assert not has_perm(fresh(user), TRAIL, site_a)
    assert not has_perm(fresh(user), "core.view_dashboard")


def test_assignment_valid_until_the_future_still_grants(site_a: Any, make_user: Any) -> None:
    user = make_user("qa_specialist", site_a)
    RoleAssignment.objects.filter(user=user).update(valid_until=timezone.now() + timedelta(days=1))
    assert has_perm(fresh(user), TRAIL, site_a)


def test_company_wide_expired_assignment_grants_nothing(site_a: Any, make_user: Any) -> None:
    user = make_user("qa_specialist", None)
    RoleAssignment.objects.filter(user=user).update(
        valid_until=timezone.now() - timedelta(minutes=5)
    )
    assert not has_perm(fresh(user), TRAIL, site_a)
    assert sites_with(fresh(user), TRAIL) == frozenset()


def test_inactive_user_holds_nothing(site_a: Any, make_user: Any) -> None:
    user = make_user("admin", None)
    User.objects.filter(pk=user.pk).update(is_active=False)
    user = fresh(user)
    assert not has_perm(user, "identity.assign_role", site_a)
    assert not has_perm(user, "core.view_dashboard")
    assert sites_with(user, "core.view_dashboard") == frozenset()
    with pytest.raises(PermissionDenied):
        authorize(user, "core.view_dashboard", site_a)


def test_anonymous_and_none_hold_nothing(site_a: Any) -> None:
    for nobody in (AnonymousUser(), None):
        assert not has_perm(nobody, "core.view_dashboard", site_a)
        assert not has_perm(nobody, "core.view_dashboard")
        with pytest.raises(PermissionDenied):
            authorize(nobody, "core.view_dashboard")


def test_system_actor_passes_everything(site_a: Any) -> None:
    assert has_perm(SYSTEM, "identity.assign_role", site_a)
    assert has_perm(SYSTEM, "any.permission_at_all")
    assert sites_with(SYSTEM, "identity.assign_role") is ALL_SITES
    authorize(SYSTEM, "identity.manage_sites")


def test_grant_cache_is_cleared_by_services(site_a: Any, make_user: Any) -> None:
    admin = make_user("admin", None)
    user = make_user()
    assert not has_perm(user, TRAIL, site_a)  # fills the cache with "nothing"
    assignment = services.assign_role(
        admin, user, Role.objects.get(code="qa_specialist"), site_a, reason="t"
    )
    assert has_perm(user, TRAIL, site_a)
    services.revoke_role(admin, assignment, reason="t")
    assert not has_perm(assignment.user, TRAIL, site_a)
    authz.clear_cache(user)
    assert not has_perm(user, TRAIL, site_a)


# --- the UI ----------------------------------------------------------------------------------
def test_anonymous_home_redirects_to_login(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/")


def test_user_without_dashboard_permission_is_denied_and_audited(
    client: Client, make_user: Any
) -> None:
    user = make_user()  # no role at all
    client.force_login(user)
    before = AuditEntry.objects.count()
    response = client.get("/")
    assert response.status_code == 403
    assert "core.view_dashboard" in response.content.decode()
    entries = list(AuditEntry.objects.filter(seq__gt=before))
    assert [e.action for e in entries] == ["permission_denied"]
    entry = entries[0]
    assert entry.actor_id == user.pk
    assert entry.actor_username == user.username
    assert entry.object_repr == "/"
    assert entry.object_id == "GET"
    assert "core.view_dashboard" in entry.reason
    assert entry.request_id == response["X-Request-ID"]


def test_user_with_role_sees_dashboard(client: Client, site_a: Any, make_user: Any) -> None:
    user = make_user("warehouse_clerk", site_a)
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Warehouse Clerk" in html
    assert "SA01" in html


def test_site_switcher_refuses_site_without_role(
    client: Client, site_a: Any, site_b: Any, make_user: Any
) -> None:
    user = make_user("sales", site_a)
    client.force_login(user)
    response = client.post("/site/switch", {"site": site_b.pk, "next": "/"})
    assert response.status_code == 400
    assert "You hold no role at that site." in response.content.decode()
    assert client.session.get(SESSION_SITE_KEY) is None
    # a site id that does not exist is refused the same way
    assert client.post("/site/switch", {"site": 999_999}).status_code == 400


def test_site_switcher_accepts_site_with_role(
    client: Client, site_a: Any, site_b: Any, make_user: Any
) -> None:
    user = make_user("sales", site_a)
    services.assign_role(SYSTEM, user, Role.objects.get(code="sales"), site_b, reason="t")
    client.force_login(user)
    home = client.get("/").content.decode()
    assert f'value="{site_a.pk}" selected' in home

    response = client.post("/site/switch", {"site": site_b.pk, "next": "/"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session[SESSION_SITE_KEY] == site_b.pk
    home = client.get("/").content.decode()
    assert f'value="{site_b.pk}" selected' in home
    assert "You are now working at Site B." in home


def test_site_switcher_ignores_offsite_next(client: Client, site_a: Any, make_user: Any) -> None:
    user = make_user("sales", site_a)
    client.force_login(user)
    response = client.post("/site/switch", {"site": site_a.pk, "next": "https://evil.example/"})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_site_switcher_requires_post_and_sign_in(client: Client, site_a: Any) -> None:
    assert client.get("/site/switch").status_code == 405
    response = client.post("/site/switch", {"site": site_a.pk})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
