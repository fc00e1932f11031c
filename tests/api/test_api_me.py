"""GET /api/v1/me: who am I, where may I work, what may I do."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from mederp.identity import services
from mederp.identity.authz import SYSTEM
from mederp.identity.models import Role, RoleAssignment
from mederp.identity.permissions import SEED_ROLES

pytestmark = pytest.mark.django_db

ME = "/api/v1/me"


def _perms(*roles: str) -> list[str]:
    return sorted({code for role in roles for code in SEED_ROLES[role][3]})


def test_anonymous_gets_401_problem(client: Client) -> None:
    response = client.get(ME)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"]  # a 401 must name how to authenticate
    body = response.json()
    assert body["type"].endswith("/not_authenticated")
    assert body["title"] == "Not signed in"
    assert body["status"] == 401
    assert body["detail"]
    assert body["instance"] == ME
    assert body["request_id"] == response["X-Request-ID"]


def test_signed_in_user_sees_roles_sites_and_permissions(
    client: Client, site_a: Any, site_b: Any, make_user: Any
) -> None:
    user = make_user("qa_specialist", site_a)
    services.assign_role(SYSTEM, user, Role.objects.get(code="auditor"), site_b, reason="t")
    client.force_login(user)

    response = client.get(ME)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["id"] == user.pk
    assert body["username"] == user.username
    assert body["full_name"] == user.full_name
    assert body["language"] == "en"
    assert [s["code"] for s in body["sites"]] == ["SA01", "SB02"]
    assert body["sites"][0] == {"id": site_a.pk, "code": "SA01", "name": "Site A"}
    assert body["current_site"]["code"] == "SA01"
    assert body["roles"] == [
        {"role": "qa_specialist", "role_name": "QA Specialist", "site": "SA01"},
        {"role": "auditor", "role_name": "Auditor (read-only)", "site": "SB02"},
    ]
    assert body["permissions"] == _perms("qa_specialist", "auditor")
    assert "identity.assign_role" not in body["permissions"]


def test_current_site_follows_the_switcher(
    client: Client, site_a: Any, site_b: Any, make_user: Any
) -> None:
    user = make_user("sales", site_a)
    services.assign_role(SYSTEM, user, Role.objects.get(code="sales"), site_b, reason="t")
    client.force_login(user)
    assert client.get(ME).json()["current_site"]["code"] == "SA01"
    assert client.post("/site/switch", {"site": site_b.pk}).status_code == 302
    assert client.get(ME).json()["current_site"]["code"] == "SB02"


def test_company_wide_role_lists_every_site(
    client: Client, site_a: Any, site_b: Any, make_user: Any
) -> None:
    client.force_login(make_user("admin", None))
    body = client.get(ME).json()
    assert body["roles"] == [{"role": "admin", "role_name": "Administrator (IT)", "site": None}]
    assert [s["code"] for s in body["sites"]] == ["SA01", "SB02"]
    assert body["permissions"] == _perms("admin")


def test_user_without_role_may_read_own_profile(client: Client, make_user: Any) -> None:
    client.force_login(make_user())
    body = client.get(ME).json()
    assert body["roles"] == []
    assert body["sites"] == []
    assert body["permissions"] == []
    assert body["current_site"] is None


def test_revoked_role_is_gone(client: Client, site_a: Any, make_user: Any) -> None:
    user = make_user("qa_specialist", site_a)
    services.revoke_role(SYSTEM, RoleAssignment.objects.get(user=user), reason="left")
    client.force_login(user)
    body = client.get(ME).json()
    assert body["roles"] == []
    assert body["permissions"] == []


def test_names_follow_the_language(client: Client, site_a: Any, make_user: Any) -> None:
    client.force_login(make_user("quality_manager", site_a))
    body = client.get(ME, headers={"Accept-Language": "zh-CN"}).json()
    assert body["language"] == "zh-hans"
    assert body["roles"][0]["role_name"] == "质量经理"
    assert body["sites"][0]["name"] == "甲工厂"


def test_me_is_read_only(client: Client, make_user: Any) -> None:
    client.force_login(make_user())
    response = client.post(ME, {}, content_type="application/json")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 405
