"""core.querysets: a user sees records of their sites only, unless company-wide."""

from __future__ import annotations

from typing import Any

import pytest

from mederp.access.models import PendingGrant
from mederp.core.querysets import SiteScopedQuerySet, scoped
from mederp.identity import services as identity
from mederp.identity.models import Role, RoleAssignment

pytestmark = pytest.mark.django_db

PERM = "identity.view_users"


@pytest.fixture
def assignments(site_a: Any, site_b: Any, make_user: Any) -> dict[str, Any]:
    return {
        "a": RoleAssignment.objects.get(user=make_user("sales", site_a)),
        "b": RoleAssignment.objects.get(user=make_user("sales", site_b)),
        "all": RoleAssignment.objects.get(user=make_user("sales", None)),
    }


def visible(user: Any, **kwargs: Any) -> set[int]:
    return set(
        scoped(RoleAssignment.objects.all(), user, PERM, **kwargs).values_list("pk", flat=True)
    )


def test_site_user_sees_their_site_only(
    assignments: dict[str, Any], site_a: Any, make_user: Any
) -> None:
    viewer = make_user("dpo", site_a)  # dpo holds identity.view_users
    own = RoleAssignment.objects.get(user=viewer).pk
    assert visible(viewer) == {assignments["a"].pk, own}
    assert visible(viewer, include_unsited=True) == {
        assignments["a"].pk,
        assignments["all"].pk,
        own,
    }


def test_company_wide_role_sees_every_site_and_company_wide_rows(
    assignments: dict[str, Any], make_user: Any
) -> None:
    viewer = make_user("dpo", None)
    assert {a.pk for a in assignments.values()} <= visible(viewer)
    assert visible(viewer) == set(RoleAssignment.objects.values_list("pk", flat=True))


def test_without_the_permission_nothing_is_visible(
    assignments: dict[str, Any], site_a: Any, make_user: Any
) -> None:
    assert visible(make_user("production_operator", site_a)) == set()
    assert visible(make_user()) == set()
    assert visible(make_user("production_operator", site_a), include_unsited=True) == {
        assignments["all"].pk
    }


def test_the_permission_is_per_site(
    assignments: dict[str, Any], site_a: Any, site_b: Any, make_user: Any
) -> None:
    viewer = make_user("dpo", site_a)
    identity.assign_role(
        identity.authz.SYSTEM, viewer, Role.objects.get(code="sales"), site_b, reason="x"
    )
    # sales grants no identity.view_users: site B stays invisible
    assert assignments["b"].pk not in visible(viewer)


def test_disabled_user_sees_nothing(assignments: dict[str, Any], make_user: Any) -> None:
    viewer = make_user("dpo", None)
    type(viewer).objects.filter(pk=viewer.pk).update(is_active=False)
    viewer.refresh_from_db()
    assert visible(viewer) == set()


def test_manager_on_a_model_and_custom_site_path(site_a: Any, site_b: Any, make_user: Any) -> None:
    admin = make_user("admin", None)
    grants = [
        identity.assign_role(admin, make_user(), Role.objects.get(code="admin"), site, reason="x")
        for site in (site_a, site_b)
    ]
    viewer = make_user("dpo", site_b)
    assert list(PendingGrant.objects.visible_to(viewer, PERM)) == [grants[1]]
    assert list(PendingGrant.objects.at_site(site_a)) == [grants[0]]

    class ByUserDefaultSite(SiteScopedQuerySet[RoleAssignment]):
        site_field = "user__default_site"

    make_user("sales", site_a, default_site=site_a)
    qs = ByUserDefaultSite(RoleAssignment).visible_to(make_user("dpo", site_a), PERM)
    assert {a.user.default_site for a in qs} == {site_a}
