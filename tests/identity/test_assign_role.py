"""The service-layer pattern on its example: identity.services.assign_role."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mederp.audit.models import AuditEntry
from mederp.identity import authz, services
from mederp.identity.models import Role, RoleAssignment

pytestmark = pytest.mark.django_db


def test_admin_grants_role_and_ledger_records_it(site_a: Any, make_user: Any) -> None:
    admin = make_user("admin", None)
    target = make_user()
    before = AuditEntry.objects.count()

    assignment = services.assign_role(
        admin, target, Role.objects.get(code="qa_specialist"), site_a, reason="New hire"
    )

    assert authz.has_perm(target, "audit.view_trail", site_a)
    entry = AuditEntry.objects.get(seq=before + 1)
    assert entry.action == "role_granted"
    assert entry.actor_username == admin.username
    assert entry.object_id == str(assignment.pk)
    assert entry.reason == "New hire"
    assert entry.changes["role"] == [None, assignment.role_id]


@pytest.mark.parametrize("role", ["quality_manager", "production_operator", "auditor", None])
def test_wrong_role_is_refused_and_nothing_is_written(
    role: str | None, site_a: Any, make_user: Any
) -> None:
    actor = make_user(role, site_a)
    target = make_user()
    rows, entries = RoleAssignment.objects.count(), AuditEntry.objects.count()

    with pytest.raises(PermissionDenied, match=r"identity\.assign_role"):
        services.assign_role(actor, target, Role.objects.get(code="sales"), site_a, reason="x")

    assert RoleAssignment.objects.count() == rows
    assert AuditEntry.objects.count() == entries


def test_site_admin_cannot_grant_at_other_site(site_a: Any, site_b: Any, make_user: Any) -> None:
    site_admin = make_user("admin", site_a)
    target = make_user()
    role = Role.objects.get(code="sales")
    services.assign_role(site_admin, target, role, site_a, reason="ok here")
    with pytest.raises(PermissionDenied):
        services.assign_role(site_admin, target, role, site_b, reason="not there")
    with pytest.raises(PermissionDenied, match="every site"):
        services.assign_role(site_admin, target, role, None, reason="not everywhere")


def test_self_grant_is_refused(site_a: Any, make_user: Any) -> None:
    admin = make_user("admin", None)
    with pytest.raises(PermissionDenied, match="yourself"):
        services.assign_role(admin, admin, Role.objects.get(code="sales"), site_a, reason="me")


def test_reason_required_and_duplicates_refused(site_a: Any, make_user: Any) -> None:
    admin = make_user("admin", None)
    target = make_user()
    role = Role.objects.get(code="sales")
    with pytest.raises(ValidationError, match="reason"):
        services.assign_role(admin, target, role, site_a, reason="  ")
    services.assign_role(admin, target, role, site_a, reason="first")
    with pytest.raises(ValidationError, match="already holds"):
        services.assign_role(admin, target, role, site_a, reason="again")
    assert RoleAssignment.objects.filter(user=target).count() == 1


def test_revoke_removes_permission_and_is_audited(site_a: Any, make_user: Any) -> None:
    admin = make_user("admin", None)
    target = make_user("qa_specialist", site_a)
    assignment = RoleAssignment.objects.get(user=target)
    services.revoke_role(admin, assignment, reason="Left the company")
    fresh = type(target).objects.get(pk=target.pk)
    assert not authz.has_perm(fresh, "audit.view_trail", site_a)
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry is not None
    assert entry.action == "role_revoked"
    assert entry.changes["revoked_by"] == [None, admin.pk]


def test_update_site_records_old_and_new(site_a: Any, make_user: Any) -> None:
    admin = make_user("admin", None)
    services.update_site(admin, site_a, reason="Renamed by board decision", name="Site Alpha")
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry is not None
    assert (entry.action, entry.reason) == ("update", "Renamed by board decision")
    assert entry.changes == {"name": ["Site A", "Site Alpha"]}
    with pytest.raises(ValidationError, match="cannot be changed"):
        services.update_site(admin, site_a, reason="x", code="NEW")
    with pytest.raises(ValidationError, match="reason"):
        services.update_site(admin, site_a, reason="", name="Other")
    operator = make_user("production_operator", site_a)
    with pytest.raises(PermissionDenied):
        services.update_site(operator, site_a, reason="x", name="Mine")
