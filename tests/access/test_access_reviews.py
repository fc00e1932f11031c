"""Access reviews (confirm / revoke through revoke_role, unreviewed items reported, signed
completion) and the nightly disabling of inactive accounts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from mederp.access import services, sod
from mederp.access.models import (
    AccessReviewCampaign,
    AccessReviewItem,
    InactiveAccountDisablement,
)
from mederp.access.tasks import disable_inactive_accounts_nightly
from mederp.audit.models import AuditEntry
from mederp.identity import authz
from mederp.identity.models import RoleAssignment, User
from mederp.signatures.models import Signature
from mederp.signatures.services import verify

PASSWORD = "correct-horse-battery-staple"
DUE = dt.date.today() + dt.timedelta(days=14)

pytestmark = pytest.mark.django_db


@pytest.fixture
def plant(site_a: Any, site_b: Any, make_user: Any) -> dict[str, Any]:
    return {
        "qm": make_user("quality_manager", None, username="qm"),
        "admin": make_user("admin", None, username="it"),
        "supervisor_a": make_user("production_supervisor", site_a, username="sup-a"),
        "operator_a": make_user("production_operator", site_a, username="op-a"),
        "clerk_b": make_user("warehouse_clerk", site_b, username="clerk-b"),
    }


def item_of(campaign: AccessReviewCampaign, user: Any) -> AccessReviewItem:
    return campaign.items.get(user=user)


def test_campaign_lists_every_active_assignment_of_its_site(
    site_a: Any, plant: dict[str, Any]
) -> None:
    campaign = services.start_campaign(plant["admin"], name="Q3 SA01", due_date=DUE, site=site_a)
    listed = {(i.user.username, i.role.code) for i in campaign.items.all()}
    assert listed == {("sup-a", "production_supervisor"), ("op-a", "production_operator")}
    entry = AuditEntry.objects.get(action="review_started")
    assert entry.changes["items"] == [None, 2]
    everything = services.start_campaign(plant["qm"], name="Q3 all", due_date=DUE)
    assert everything.items.count() == RoleAssignment.objects.active().count()
    assert everything.items.filter(site__isnull=True).count() == 2  # qm and it


def test_starting_needs_the_permission_and_sane_input(site_a: Any, plant: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        services.start_campaign(plant["supervisor_a"], name="x", due_date=DUE, site=site_a)
    with pytest.raises(ValidationError, match="past"):
        services.start_campaign(
            plant["qm"], name="x", due_date=dt.date.today() - dt.timedelta(days=1)
        )
    with pytest.raises(ValidationError, match="name"):
        services.start_campaign(plant["qm"], name=" ", due_date=DUE)


def test_reviewer_confirms_and_revokes(site_a: Any, plant: dict[str, Any]) -> None:
    campaign = services.start_campaign(plant["admin"], name="Q3", due_date=DUE, site=site_a)
    supervisor = plant["supervisor_a"]
    # supervisor reviews the operator; qm reviews the supervisor (nobody reviews themselves)
    services.decide_item(
        supervisor, item_of(campaign, plant["operator_a"]), "revoked", note="Moved to another line"
    )
    services.decide_item(plant["qm"], item_of(campaign, supervisor), "confirmed")

    operator_item = item_of(campaign, plant["operator_a"])
    assert operator_item.decision == "revoked"
    assert operator_item.decided_by == supervisor
    assignment = RoleAssignment.objects.get(pk=operator_item.assignment_id)
    assert assignment.revoked_at is not None
    assert assignment.revoked_by == supervisor
    operator = User.objects.get(pk=plant["operator_a"].pk)
    assert not authz.has_perm(operator, "core.view_dashboard", site_a)
    revoked = AuditEntry.objects.get(action="role_revoked")
    assert revoked.actor_id == supervisor.pk
    assert revoked.reason == "Access review “Q3”: Moved to another line"
    assert AuditEntry.objects.get(action="review_revoked").actor_id == supervisor.pk
    confirmed = AuditEntry.objects.get(action="review_confirmed")
    assert confirmed.actor_id == plant["qm"].pk
    assert confirmed.changes["decision"] == ["pending", "confirmed"]


def test_revoking_needs_a_note(site_a: Any, plant: dict[str, Any]) -> None:
    campaign = services.start_campaign(plant["admin"], name="Q3", due_date=DUE, site=site_a)
    item = item_of(campaign, plant["operator_a"])
    with pytest.raises(ValidationError, match="why"):
        services.decide_item(plant["supervisor_a"], item, "revoked", note="")
    assert RoleAssignment.objects.active().filter(pk=item.assignment_id).exists()


def test_nobody_reviews_their_own_roles(site_a: Any, plant: dict[str, Any]) -> None:
    campaign = services.start_campaign(plant["admin"], name="Q3", due_date=DUE, site=site_a)
    supervisor = plant["supervisor_a"]
    with pytest.raises(sod.SodViolation, match="rule no_self_review"):
        services.decide_item(supervisor, item_of(campaign, supervisor), "confirmed")
    assert item_of(campaign, supervisor).decision == "pending"
    assert AuditEntry.objects.get(action="sod_violation").changes["rule"] == [
        None,
        "no_self_review",
    ]


def test_reviewer_of_another_site_cannot_decide(
    site_b: Any, make_user: Any, plant: dict[str, Any]
) -> None:
    campaign = services.start_campaign(plant["qm"], name="Q3", due_date=DUE)
    with pytest.raises(PermissionDenied):
        services.decide_item(
            plant["supervisor_a"], item_of(campaign, plant["clerk_b"]), "confirmed"
        )
    # company-wide assignments are reviewed company-wide only
    with pytest.raises(PermissionDenied):
        services.decide_item(plant["supervisor_a"], item_of(campaign, plant["admin"]), "confirmed")
    # and the IT administrator is no reviewer
    with pytest.raises(PermissionDenied, match=r"identity\.review_access"):
        services.decide_item(plant["admin"], item_of(campaign, plant["clerk_b"]), "confirmed")


def test_decided_items_stay_decided(site_a: Any, plant: dict[str, Any]) -> None:
    campaign = services.start_campaign(plant["admin"], name="Q3", due_date=DUE, site=site_a)
    item = item_of(campaign, plant["operator_a"])
    services.decide_item(plant["supervisor_a"], item, "confirmed")
    with pytest.raises(ValidationError, match="already been reviewed"):
        services.decide_item(plant["supervisor_a"], item, "revoked", note="changed my mind")


def test_assignment_ended_meanwhile_cannot_be_confirmed(site_a: Any, plant: dict[str, Any]) -> None:
    from mederp.identity.services import revoke_role

    campaign = services.start_campaign(plant["admin"], name="Q3", due_date=DUE, site=site_a)
    item = item_of(campaign, plant["operator_a"])
    revoke_role(plant["admin"], RoleAssignment.objects.get(pk=item.assignment_id), "left")
    with pytest.raises(ValidationError, match="ended"):
        services.decide_item(plant["supervisor_a"], item, "confirmed")
    services.decide_item(plant["supervisor_a"], item, "revoked", note="already gone")
    assert AuditEntry.objects.filter(action="role_revoked").count() == 1


def test_completion_is_signed_and_reports_unreviewed_items(
    site_a: Any, plant: dict[str, Any], as_user: Any
) -> None:
    campaign = services.start_campaign(plant["qm"], name="Q3", due_date=DUE, site=site_a)
    services.decide_item(plant["supervisor_a"], item_of(campaign, plant["operator_a"]), "confirmed")
    left = item_of(campaign, plant["supervisor_a"])
    qm = plant["qm"]
    with as_user(qm):
        with pytest.raises(ValidationError, match="1 items are not reviewed"):
            services.complete_campaign(qm, campaign, password=PASSWORD)
        with pytest.raises(ValidationError, match="password"):
            services.complete_campaign(qm, campaign, password="wrong", reason="Due date")
        assert AccessReviewCampaign.objects.get(pk=campaign.pk).status == "open"
        done = services.complete_campaign(
            qm, campaign, password=PASSWORD, reason="Supervisor on leave; next quarter"
        )
    assert done.status == "completed"
    assert done.unreviewed_at_completion == 1
    entry = AuditEntry.objects.get(action="review_completed")
    assert entry.changes["unreviewed_items"] == [None, [left.pk]]
    signature = Signature.objects.get(meaning="approved")
    assert signature.signer == qm
    assert entry.changes["signature"] == [None, str(signature.uid)]
    assert verify(signature).state == "current"
    with pytest.raises(ValidationError, match="completed"):
        services.decide_item(qm, left, "confirmed")
    assert services.unreviewed(done).get() == left


def test_completion_needs_the_permission(site_a: Any, plant: dict[str, Any], as_user: Any) -> None:
    campaign = services.start_campaign(plant["qm"], name="Q3", due_date=DUE, site=site_a)
    with as_user(plant["supervisor_a"]), pytest.raises(PermissionDenied):
        services.complete_campaign(plant["supervisor_a"], campaign, password=PASSWORD, reason="x")


# --- inactive accounts ------------------------------------------------------------------------
def _last_login(user: Any, days_ago: int | None, joined_days_ago: int = 400) -> None:
    now = timezone.now()
    User.objects.filter(pk=user.pk).update(
        last_login=None if days_ago is None else now - dt.timedelta(days=days_ago),
        date_joined=now - dt.timedelta(days=joined_days_ago),
    )


def test_accounts_idle_for_90_days_are_disabled_and_reported(
    site_a: Any, make_user: Any, settings: Any
) -> None:
    settings.MEDERP_INACTIVE_EXEMPT_USERNAMES = ["break-glass"]
    idle = make_user("sales", site_a, username="idle")
    recent = make_user("sales", site_a, username="recent")
    never = make_user("sales", site_a, username="never")
    new = make_user("sales", site_a, username="new")
    exempt = make_user("admin", None, username="break-glass")
    _last_login(idle, 91)
    _last_login(recent, 89)
    _last_login(never, None)
    _last_login(new, None, joined_days_ago=10)
    _last_login(exempt, 300)

    assert disable_inactive_accounts_nightly.call_local() == 2

    states = dict(User.objects.values_list("username", "is_active"))
    assert states == {
        "idle": False,
        "never": False,
        "recent": True,
        "new": True,
        "break-glass": True,
    }
    entries = AuditEntry.objects.filter(action="account_disabled_inactive").order_by("seq")
    assert [e.object_repr for e in entries] == [
        str(User.objects.get(username="idle")),
        str(User.objects.get(username="never")),
    ]
    for entry in entries:
        assert entry.actor_type == "system"
        assert entry.changes["is_active"] == [True, False]
        assert "No sign-in for 90 days" in entry.reason
    report = list(InactiveAccountDisablement.objects.values_list("user__username", flat=True))
    assert sorted(report) == ["idle", "never"]
    # a second run finds nothing more to do
    assert services.disable_inactive_accounts() == []


def test_inactivity_limit_is_configurable_and_can_be_off(make_user: Any, settings: Any) -> None:
    user = make_user()
    _last_login(user, 40)
    settings.MEDERP_INACTIVE_ACCOUNT_DAYS = 0
    assert services.disable_inactive_accounts() == []
    settings.MEDERP_INACTIVE_ACCOUNT_DAYS = 30
    assert [d.user for d in services.disable_inactive_accounts()] == [user]


def test_disabled_account_loses_its_permissions(site_a: Any, make_user: Any) -> None:
    user = make_user("qa_specialist", site_a)
    _last_login(user, 120)
    services.disable_inactive_accounts()
    assert not authz.has_perm(User.objects.get(pk=user.pk), "audit.view_trail", site_a)
