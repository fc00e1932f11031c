"""Two-person rule: a privileged role takes effect only when a second administrator approves."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mederp.access import services, sod
from mederp.access.models import PendingGrant
from mederp.audit.models import AuditEntry
from mederp.identity import authz
from mederp.identity import services as identity
from mederp.identity.authz import SYSTEM
from mederp.identity.models import Role, RoleAssignment
from mederp.signatures.models import Signature
from mederp.signatures.services import verify

PASSWORD = "correct-horse-battery-staple"

pytestmark = pytest.mark.django_db


def role(code: str) -> Role:
    return Role.objects.get(code=code)


def actions_since(seq: int) -> list[str]:
    return list(
        AuditEntry.objects.filter(seq__gt=seq).order_by("seq").values_list("action", flat=True)
    )


def top() -> int:
    return AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


@pytest.fixture
def people(make_user: Any) -> dict[str, Any]:
    return {
        "requester": make_user("admin", None, username="requester"),
        "approver": make_user("admin", None, username="approver"),
        "grantee": make_user("sales", None, username="grantee"),
    }


def request_qm(people: dict[str, Any], site: Any = None) -> PendingGrant:
    grant = identity.assign_role(
        people["requester"], people["grantee"], role("quality_manager"), site, reason="New QM"
    )
    assert isinstance(grant, PendingGrant)
    return grant


def test_privileged_grant_waits_for_approval(people: dict[str, Any]) -> None:
    start = top()
    grant = request_qm(people)
    assert grant.status == PendingGrant.Status.PENDING
    assert grant.requested_by == people["requester"]
    assert not RoleAssignment.objects.filter(
        user=people["grantee"], role__code="quality_manager"
    ).exists()
    assert not authz.has_perm(people["grantee"], "audit.view_trail")
    assert actions_since(start) == ["grant_requested"]
    entry = AuditEntry.objects.get(action="grant_requested")
    assert entry.actor_id == people["requester"].pk
    assert entry.reason == "New QM"
    assert entry.changes["role"] == [None, role("quality_manager").pk]


def test_second_administrator_approves_with_a_signature(
    people: dict[str, Any], as_user: Any
) -> None:
    grant = request_qm(people)
    start = top()
    with as_user(people["approver"]):
        approved = services.approve_grant(
            people["approver"], grant, password=PASSWORD, reason="Confirmed with HR"
        )
    assert approved.status == PendingGrant.Status.APPROVED
    assert approved.decided_by == people["approver"]
    assignment = approved.assignment
    assert assignment is not None
    assert (assignment.user, assignment.role.code, assignment.site) == (
        people["grantee"],
        "quality_manager",
        None,
    )
    assert assignment.granted_by == people["requester"]
    grantee = type(people["grantee"]).objects.get(pk=people["grantee"].pk)
    assert authz.has_perm(grantee, "audit.view_trail")
    assert actions_since(start) == ["sign", "role_granted", "grant_approved"]
    assert {e.actor_id for e in AuditEntry.objects.filter(seq__gt=start)} == {people["approver"].pk}
    signature = Signature.objects.get()
    assert (signature.meaning, signature.signer) == ("approved", people["approver"])
    assert verify(signature).state == "current"  # the decision does not change what was signed
    decision = AuditEntry.objects.get(action="grant_approved")
    assert decision.changes["signature"] == [None, str(signature.uid)]
    assert decision.changes["status"] == ["pending", "approved"]
    with as_user(people["approver"]), pytest.raises(ValidationError, match="already been"):
        services.approve_grant(people["approver"], approved, password=PASSWORD)


def test_requester_cannot_approve(people: dict[str, Any], as_user: Any) -> None:
    grant = request_qm(people)
    with as_user(people["requester"]), pytest.raises(sod.SodViolation) as info:
        services.approve_grant(people["requester"], grant, password=PASSWORD)
    assert "rule two_person_grant" in str(info.value)
    assert PendingGrant.objects.get(pk=grant.pk).status == PendingGrant.Status.PENDING
    assert not Signature.objects.exists()
    entry = AuditEntry.objects.filter(action="sod_violation").get()
    assert entry.actor_id == people["requester"].pk
    assert entry.object_type == "access.pendinggrant"
    assert entry.object_id == str(grant.pk)


def test_grantee_cannot_approve_their_own_grant(
    site_a: Any, make_user: Any, people: dict[str, Any], as_user: Any
) -> None:
    # the grantee is a company-wide administrator asking for the admin role at one more scope
    grantee = make_user("admin", None, username="admin-grantee")
    grant = identity.assign_role(
        people["requester"], grantee, role("admin"), site_a, reason="Local admin as well"
    )
    assert isinstance(grant, PendingGrant)
    with as_user(grantee), pytest.raises(sod.SodViolation, match="two_person_grant"):
        services.approve_grant(grantee, grant, password=PASSWORD)
    with as_user(grantee), pytest.raises(sod.SodViolation, match="two_person_grant"):
        services.reject_grant(grantee, grant, password=PASSWORD, reason="no")
    assert PendingGrant.objects.get(pk=grant.pk).status == PendingGrant.Status.PENDING


def test_wrong_password_leaves_the_grant_pending(people: dict[str, Any], as_user: Any) -> None:
    grant = request_qm(people)
    start = top()
    with as_user(people["approver"]), pytest.raises(ValidationError) as info:
        services.approve_grant(people["approver"], grant, password="wrong password")
    assert "password" in info.value.message_dict
    assert PendingGrant.objects.get(pk=grant.pk).status == PendingGrant.Status.PENDING
    assert not RoleAssignment.objects.filter(
        user=people["grantee"], role__code="quality_manager"
    ).exists()
    assert actions_since(start) == ["sign_failed"]


def test_non_administrator_cannot_approve(
    people: dict[str, Any], make_user: Any, as_user: Any, site_a: Any
) -> None:
    grant = request_qm(people)
    for outsider in (make_user("quality_manager", None), make_user("admin", site_a)):
        with as_user(outsider), pytest.raises(PermissionDenied):
            services.approve_grant(outsider, grant, password=PASSWORD)
    assert PendingGrant.objects.get(pk=grant.pk).status == PendingGrant.Status.PENDING


def test_rejection_is_signed_and_needs_a_reason(people: dict[str, Any], as_user: Any) -> None:
    grant = request_qm(people)
    with as_user(people["approver"]):
        with pytest.raises(ValidationError, match="reason"):
            services.reject_grant(people["approver"], grant, password=PASSWORD, reason="")
        rejected = services.reject_grant(
            people["approver"], grant, password=PASSWORD, reason="Not agreed with QA director"
        )
    assert rejected.status == PendingGrant.Status.REJECTED
    assert rejected.assignment is None
    assert Signature.objects.get().meaning == "rejected"
    entry = AuditEntry.objects.get(action="grant_rejected")
    assert entry.reason == "Not agreed with QA director"
    assert not RoleAssignment.objects.filter(
        user=people["grantee"], role__code="quality_manager"
    ).exists()


def test_same_request_twice_is_refused(people: dict[str, Any]) -> None:
    request_qm(people)
    with pytest.raises(ValidationError, match="already awaiting approval"):
        request_qm(people)


def test_non_privileged_role_is_granted_at_once(site_a: Any, people: dict[str, Any]) -> None:
    result = identity.assign_role(
        people["requester"], people["grantee"], role("auditor"), site_a, reason="Audit"
    )
    assert isinstance(result, RoleAssignment)
    assert not PendingGrant.objects.exists()


def test_system_actor_grants_privileged_roles_at_once(make_user: Any) -> None:
    user = make_user()
    result = identity.assign_role(SYSTEM, user, role("admin"), None, reason="First admin")
    assert isinstance(result, RoleAssignment)


def test_approval_rechecks_the_grantee(people: dict[str, Any], as_user: Any) -> None:
    grant = request_qm(people)
    type(people["grantee"]).objects.filter(pk=people["grantee"].pk).update(is_active=False)
    with as_user(people["approver"]), pytest.raises(ValidationError, match="disabled"):
        services.approve_grant(people["approver"], grant, password=PASSWORD)


def test_site_administrator_decides_grants_of_their_site_only(
    site_a: Any, site_b: Any, make_user: Any, as_user: Any
) -> None:
    requester = make_user("admin", None)
    grantee = make_user("sales", site_a)
    grant = identity.assign_role(requester, grantee, role("admin"), site_a, reason="Local IT")
    assert isinstance(grant, PendingGrant)
    other_site_admin = make_user("admin", site_b)
    with as_user(other_site_admin), pytest.raises(PermissionDenied):
        services.approve_grant(other_site_admin, grant, password=PASSWORD)
    site_admin = make_user("admin", site_a)
    with as_user(site_admin):
        services.approve_grant(site_admin, grant, password=PASSWORD)
    assert (
        RoleAssignment.objects.active()
        .filter(user=grantee, role__code="admin", site=site_a)
        .exists()
    )
