"""Segregation of duties: the rule table, each seeded rule, the error naming the rule, the
`sod_violation` ledger entry, configuration."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError

from mederp.access import services, sod
from mederp.access.models import PendingGrant, SodRule
from mederp.access.rules import SEED_RULES, sync_rules
from mederp.audit.models import AuditEntry
from mederp.identity import services as identity
from mederp.identity.authz import SYSTEM
from mederp.identity.models import Role, RoleAssignment, Site
from mederp.signatures.models import Signature

PASSWORD = "correct-horse-battery-staple"

pytestmark = pytest.mark.django_db


def role(code: str) -> Role:
    return Role.objects.get(code=code)


def violations() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="sod_violation").order_by("seq"))


def test_rule_table_is_seeded() -> None:
    codes = set(SodRule.objects.values_list("code", flat=True))
    assert {
        "no_self_grant",
        "author_not_approver",
        "executor_not_releaser",
        "it_admin_not_quality_approver",
        "two_person_grant",
        "no_self_review",
    } <= codes
    conflict = SodRule.objects.get(code="it_admin_not_quality_approver")
    assert set(conflict.roles_a.values_list("code", flat=True)) == {"admin"}
    assert set(conflict.roles_b.values_list("code", flat=True)) == {
        "quality_manager",
        "qa_specialist",
    }
    assert all(r.is_system and r.is_active for r in SodRule.objects.all())


def test_seeding_again_keeps_what_was_configured() -> None:
    SodRule.objects.filter(code="author_not_approver").update(
        is_active=False, applies_to_meanings="released", message="edited"
    )
    sync_rules()
    rule = SodRule.objects.get(code="author_not_approver")
    assert rule.is_active is False
    assert rule.applies_to_meanings == "released"
    assert rule.message == next(s for s in SEED_RULES if s.code == rule.code).message
    assert SodRule.objects.count() == len(SEED_RULES)


def test_unknown_rule_is_a_programming_error(make_user: Any) -> None:
    with pytest.raises(ImproperlyConfigured):
        sod.check("no_such_rule", make_user())


# --- no_self_grant ----------------------------------------------------------------------------
def test_self_grant_is_refused_with_the_rule_named_and_recorded(
    site_a: Any, make_user: Any
) -> None:
    admin = make_user("admin", None)
    rows = RoleAssignment.objects.count()
    with pytest.raises(PermissionDenied) as info:
        identity.assign_role(admin, admin, role("sales"), site_a, reason="me")
    assert isinstance(info.value, sod.SodViolation)
    assert str(info.value) == (
        "Segregation of duties (rule no_self_grant): You cannot grant roles to yourself."
    )
    assert RoleAssignment.objects.count() == rows
    [entry] = violations()
    assert entry.actor_id == admin.pk
    assert entry.changes["rule"] == [None, "no_self_grant"]
    assert entry.object_type == "identity.user"
    assert entry.object_id == str(admin.pk)
    assert "no_self_grant" in entry.reason


def test_self_grant_of_a_privileged_role_is_refused_too(make_user: Any) -> None:
    admin = make_user("admin", None)
    with pytest.raises(sod.SodViolation, match="no_self_grant"):
        identity.assign_role(admin, admin, role("quality_manager"), None, reason="me")
    assert not PendingGrant.objects.exists()


# --- it_admin_not_quality_approver ------------------------------------------------------------
@pytest.mark.parametrize("quality_role", ["qa_specialist", "quality_manager"])
def test_it_admin_cannot_receive_a_quality_approval_role(
    site_a: Any, make_user: Any, quality_role: str
) -> None:
    granter = make_user("admin", None)
    it_admin = make_user("admin", site_a)
    with pytest.raises(sod.SodViolation) as info:
        identity.assign_role(granter, it_admin, role(quality_role), site_a, reason="help out")
    message = str(info.value)
    assert "rule it_admin_not_quality_approver" in message
    assert "Administrator (IT)" in message
    assert "Quality Manager, QA Specialist" in message  # the conflicting roles are named
    assert not RoleAssignment.objects.filter(user=it_admin, role__code=quality_role).exists()
    assert not PendingGrant.objects.filter(user=it_admin).exists()
    entry = violations()[-1]
    assert entry.changes["rule"] == [None, "it_admin_not_quality_approver"]
    assert entry.changes["user"] == [None, it_admin.pk]


def test_quality_holder_cannot_become_it_admin(site_a: Any, make_user: Any) -> None:
    granter = make_user("admin", None)
    qa = make_user("qa_specialist", site_a)
    # the admin role is privileged: the conflict is caught at the request already
    with pytest.raises(sod.SodViolation, match="it_admin_not_quality_approver"):
        identity.assign_role(granter, qa, role("admin"), site_a, reason="also IT")
    assert not PendingGrant.objects.exists()
    # and the system actor (CLI, demo) is held to it as well
    with pytest.raises(sod.SodViolation, match="it_admin_not_quality_approver"):
        identity.assign_role(SYSTEM, qa, role("admin"), None, reason="also IT")


def test_pending_privileged_grant_counts_as_held(site_a: Any, make_user: Any) -> None:
    granter = make_user("admin", None)
    target = make_user("sales", site_a)
    grant = identity.assign_role(granter, target, role("admin"), site_a, reason="IT help")
    assert isinstance(grant, PendingGrant)
    with pytest.raises(sod.SodViolation, match="it_admin_not_quality_approver"):
        identity.assign_role(granter, target, role("qa_specialist"), site_a, reason="QA too")


def test_unrelated_roles_pass_the_conflict_rule(site_a: Any, make_user: Any) -> None:
    granter = make_user("admin", None)
    it_admin = make_user("admin", site_a)
    assignment = identity.assign_role(granter, it_admin, role("auditor"), site_a, reason="ok")
    assert isinstance(assignment, RoleAssignment)


# --- author_not_approver and executor_not_releaser ---------------------------------------------
def test_author_cannot_approve_or_release(site_a: Any, make_user: Any, as_user: Any) -> None:
    author = make_user("qa_specialist", site_a)
    other = make_user("qa_specialist", site_a)
    record = SimpleNamespace(created_by=author, site=site_a)
    for meaning_rule in ("author_not_approver",):
        with pytest.raises(sod.SodViolation, match=f"rule {meaning_rule}"):
            sod.check(meaning_rule, author, record=record)
        sod.check(meaning_rule, other, record=record)
    # through e-signatures: who signed "authored" cannot sign "approved" or "released"
    with as_user(author):
        identity.sign(site_a, author, "authored", PASSWORD)
        for meaning in ("approved", "released"):
            with pytest.raises(sod.SodViolation) as info:
                identity.sign(site_a, author, meaning, PASSWORD)
            assert "The author of a record cannot approve or release it." in str(info.value)
        identity.sign(site_a, author, "reviewed", PASSWORD)  # not covered by the rule
    with as_user(other):
        identity.sign(site_a, other, "approved", PASSWORD)
    assert [e.changes["rule"][1] for e in violations()] == ["author_not_approver"] * 2
    assert Signature.objects.filter(meaning="approved").get().signer == other


def test_executor_cannot_release(
    site_a: Any, make_user: Any, as_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    executor = make_user("qa_specialist", site_a)
    releaser = make_user("qa_specialist", site_a)
    step = SimpleNamespace(executed_by=executor.pk)
    with pytest.raises(sod.SodViolation, match="rule executor_not_releaser"):
        sod.check("executor_not_releaser", executor, record=step)
    sod.check("executor_not_releaser", releaser, record=step)
    # a record names its executors through sod_persons(rule): a batch lists its step operators
    monkeypatch.setattr(
        Site,
        "sod_persons",
        lambda self, code: [executor] if code == "executor_not_releaser" else [],
        raising=False,
    )
    with as_user(executor), pytest.raises(sod.SodViolation) as info:
        identity.sign(site_a, executor, "released", PASSWORD)
    assert "cannot QA-release" in str(info.value)
    with as_user(releaser):
        identity.sign(site_a, releaser, "released", PASSWORD)
    assert violations()[-1].object_type == "identity.site"


def test_system_actor_is_nobodys_author(site_a: Any, make_user: Any) -> None:
    author = make_user()
    sod.check("author_not_approver", SYSTEM, record=SimpleNamespace(created_by=author))


# --- configuration ----------------------------------------------------------------------------
def test_rule_switched_off_no_longer_refuses(site_a: Any, make_user: Any) -> None:
    qm = make_user("quality_manager", None)
    granter = make_user("admin", None)
    it_admin = make_user("admin", site_a)
    rule = SodRule.objects.get(code="it_admin_not_quality_approver")
    services.configure_rule(qm, rule, reason="Small site, one person does both", is_active=False)
    identity.assign_role(granter, it_admin, role("qa_specialist"), site_a, reason="ok now")
    entry = AuditEntry.objects.filter(action="update", object_type="access.sodrule").get()
    assert entry.changes["is_active"] == [True, False]
    assert entry.reason == "Small site, one person does both"


def test_rule_roles_can_be_changed_and_are_audited(site_a: Any, make_user: Any) -> None:
    qm = make_user("quality_manager", None)
    rule = SodRule.objects.get(code="it_admin_not_quality_approver")
    services.configure_rule(
        qm,
        rule,
        reason="RA approves labels",
        roles_b=[role("quality_manager"), role("regulatory_affairs")],
    )
    entry = AuditEntry.objects.filter(action="update", object_type="access.sodrule").get()
    assert entry.changes["roles_b"] == [
        ["qa_specialist", "quality_manager"],
        ["quality_manager", "regulatory_affairs"],
    ]
    granter = make_user("admin", None)
    it_admin = make_user("admin", site_a)
    with pytest.raises(sod.SodViolation):
        identity.assign_role(granter, it_admin, role("regulatory_affairs"), site_a, reason="x")
    identity.assign_role(granter, it_admin, role("qa_specialist"), site_a, reason="now ok")


def test_configuring_rules_needs_the_permission_and_a_reason(make_user: Any) -> None:
    rule = SodRule.objects.get(code="no_self_grant")
    admin = make_user("admin", None)
    with pytest.raises(PermissionDenied, match=r"identity\.configure_sod"):
        services.configure_rule(admin, rule, reason="I want to", is_active=False)
    qm = make_user("quality_manager", None)
    with pytest.raises(ValidationError, match="reason"):
        services.configure_rule(qm, rule, reason=" ", is_active=False)
    with pytest.raises(ValidationError, match="cannot be changed"):
        services.configure_rule(qm, rule, reason="x", code="renamed")
    assert SodRule.objects.get(code="no_self_grant").is_active
