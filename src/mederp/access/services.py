"""Access-control services: privileged grants (two-person rule), access reviews, inactive
accounts, SoD rule configuration. Each authorizes, validates (SoD), writes and audits in one
transaction; the decisions that matter are e-signed (`identity.services.sign`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from mederp import audit
from mederp.access import sod
from mederp.access.models import (
    AccessReviewCampaign,
    AccessReviewItem,
    InactiveAccountDisablement,
    PendingGrant,
    SodRule,
)
from mederp.access.refusals import audited_refusals
from mederp.identity import authz
from mederp.identity.models import Role, RoleAssignment, Site, User
from mederp.signatures.models import Meaning, Signature
from mederp.signatures.services import sign

GRANT_PERM = "identity.assign_role"
REVIEW_PERM = "identity.review_access"
MANAGE_REVIEWS_PERM = "identity.manage_access_reviews"
SOD_PERM = "identity.configure_sod"


def _authorize_at(actor: Any, perm: str, site: Site | None) -> None:
    """`perm` at `site`; for company-wide things (site None), company-wide."""
    authz.authorize(actor, perm, site)
    if site is None and authz.sites_with(actor, perm) is not authz.ALL_SITES:
        raise PermissionDenied(
            _("Only a company-wide holder of %(perm)s may do this for every site.") % {"perm": perm}
        )


def _required(value: str, field: str, message: str) -> str:
    if not value or not value.strip():
        raise ValidationError({field: message})
    return value.strip()


# --- privileged grants (two-person rule) ----------------------------------------------------
def request_privileged_grant(
    actor: Any, user: User, role: Role, site: Site | None, reason: str
) -> PendingGrant:
    """Called by `identity.services.assign_role` (which has authorized the requester and
    checked `no_self_grant`, the reason and the user) for a privileged role: record the
    request; nothing changes in the user's rights until a second administrator approves."""
    User.objects.select_for_update().get(pk=user.pk)
    if RoleAssignment.objects.active().filter(user=user, role=role, site=site).exists():
        raise ValidationError(
            _("%(user)s already holds %(role)s at this site.") % {"user": user, "role": role.label}
        )
    if PendingGrant.objects.filter(
        user=user, role=role, site=site, status=PendingGrant.Status.PENDING
    ).exists():
        raise ValidationError(
            _("A grant of %(role)s to %(user)s at this site is already awaiting approval.")
            % {"user": user, "role": role.label}
        )
    sod.check_role_conflicts(actor, user, role, site=site)
    grant = PendingGrant.objects.create(
        user=user, role=role, site=site, reason=reason.strip(), requested_by=actor
    )
    audit.record(
        "grant_requested",
        grant,
        changes=audit.diff(None, grant),
        reason=reason,
        actor=actor,
        site=site,
    )
    return grant


def _lock_pending(grant: PendingGrant) -> PendingGrant:
    locked = (
        PendingGrant.objects.select_for_update(of=("self",))
        .select_related("user", "role", "site")
        .get(pk=grant.pk)
    )
    if locked.status != PendingGrant.Status.PENDING:
        raise ValidationError(
            _("This grant has already been decided (%(status)s).")
            % {"status": locked.get_status_display()}
        )
    return locked


@audited_refusals
@transaction.atomic
def approve_grant(
    actor: Any,
    grant: PendingGrant,
    *,
    password: str,
    otp: str | None = None,
    reason: str = "",
    session: Any = None,
) -> PendingGrant:
    """A second administrator approves a pending privileged grant, with an e-signature
    meaning "approved"; the role assignment is created in the same transaction."""
    _authorize_at(actor, GRANT_PERM, grant.site)
    locked = _lock_pending(grant)
    sod.check("two_person_grant", actor, record=locked)
    if not locked.user.is_active:
        raise ValidationError({"user": _("%(user)s is disabled.") % {"user": locked.user}})
    if locked.site is not None and not locked.site.is_active:
        raise ValidationError(
            {"site": _("Site %(site)s is not active.") % {"site": locked.site.code}}
        )
    signature = sign(locked, actor, Meaning.APPROVED, password, otp, reason=reason, session=session)
    from mederp.identity.services import write_assignment

    assignment = write_assignment(
        actor,
        locked.user,
        locked.role,
        locked.site,
        locked.reason,
        granted_by=locked.requested_by,
    )
    before = audit.snapshot(locked)
    locked.status = PendingGrant.Status.APPROVED
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.decision_reason = (reason or "").strip()
    locked.assignment = assignment
    locked.save(
        update_fields=["status", "decided_by", "decided_at", "decision_reason", "assignment"]
    )
    audit.record(
        "grant_approved",
        locked,
        changes={**audit.diff(before, locked), "signature": [None, str(signature.uid)]},
        reason=reason,
        actor=actor,
        site=locked.site,
    )
    authz.clear_cache(locked.user)
    return locked


@audited_refusals
@transaction.atomic
def reject_grant(
    actor: Any,
    grant: PendingGrant,
    *,
    password: str,
    otp: str | None = None,
    reason: str,
    session: Any = None,
) -> PendingGrant:
    """A second administrator rejects a pending privileged grant (e-signature "rejected")."""
    _authorize_at(actor, GRANT_PERM, grant.site)
    reason = _required(reason, "reason", _("A reason is required to reject a grant."))
    locked = _lock_pending(grant)
    sod.check("two_person_grant", actor, record=locked)
    signature = sign(locked, actor, Meaning.REJECTED, password, otp, reason=reason, session=session)
    before = audit.snapshot(locked)
    locked.status = PendingGrant.Status.REJECTED
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.decision_reason = reason
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    audit.record(
        "grant_rejected",
        locked,
        changes={**audit.diff(before, locked), "signature": [None, str(signature.uid)]},
        reason=reason,
        actor=actor,
        site=locked.site,
    )
    return locked


# --- access reviews -------------------------------------------------------------------------
@transaction.atomic
def start_campaign(
    actor: Any, *, name: str, due_date: dt.date, site: Site | None = None
) -> AccessReviewCampaign:
    """List every active role assignment (of `site`, or of every site and the company-wide
    ones when None) for review."""
    _authorize_at(actor, MANAGE_REVIEWS_PERM, site)
    name = _required(name, "name", _("A campaign needs a name."))
    if due_date < timezone.localdate():
        raise ValidationError({"due_date": _("The due date cannot be in the past.")})
    if site is not None and not site.is_active:
        raise ValidationError({"site": _("Site %(site)s is not active.") % {"site": site.code}})
    campaign = AccessReviewCampaign.objects.create(
        name=name, site=site, due_date=due_date, started_by=actor if actor.pk else None
    )
    assignments = RoleAssignment.objects.active().select_related("user")
    if site is not None:
        assignments = assignments.filter(site=site)
    items = [
        AccessReviewItem(
            campaign=campaign, assignment=a, user_id=a.user_id, role_id=a.role_id, site_id=a.site_id
        )
        for a in assignments.order_by("site_id", "user_id", "role_id", "id")
    ]
    AccessReviewItem.objects.bulk_create(items)
    audit.record(
        "review_started",
        campaign,
        changes={**audit.diff(None, campaign), "items": [None, len(items)]},
        actor=actor,
        site=site,
    )
    return campaign


@audited_refusals
@transaction.atomic
def decide_item(
    actor: Any, item: AccessReviewItem, decision: str, note: str = ""
) -> AccessReviewItem:
    """The reviewer confirms the assignment, or revokes it (through
    `identity.services.revoke_role`, with the note as the reason)."""
    from mederp.identity.services import revoke_role

    _authorize_at(actor, REVIEW_PERM, item.site)
    if decision not in (AccessReviewItem.Decision.CONFIRMED, AccessReviewItem.Decision.REVOKED):
        raise ValidationError({"decision": _("Choose confirm or revoke.")})
    locked = (
        AccessReviewItem.objects.select_for_update(of=("self",))
        .select_related("campaign", "assignment", "user", "role", "site")
        .get(pk=item.pk)
    )
    if locked.campaign.status != AccessReviewCampaign.Status.OPEN:
        raise ValidationError(_("This access review is completed; its items cannot change."))
    if locked.decision != AccessReviewItem.Decision.PENDING:
        raise ValidationError(
            _("This item has already been reviewed (%(decision)s).")
            % {"decision": locked.get_decision_display()}
        )
    sod.check("no_self_review", actor, record=locked)
    note = (note or "").strip()
    assignment_active = RoleAssignment.objects.active().filter(pk=locked.assignment_id).exists()
    if decision == AccessReviewItem.Decision.CONFIRMED and not assignment_active:
        raise ValidationError(
            _(
                "This role assignment has ended since the review started: it cannot be "
                "confirmed. Record it as revoked."
            )
        )
    if decision == AccessReviewItem.Decision.REVOKED:
        note = _required(note, "note", _("Say why the role is revoked."))
        if assignment_active:
            revoke_role(
                actor,
                locked.assignment,
                _("Access review “%(campaign)s”: %(note)s")
                % {"campaign": locked.campaign.name, "note": note},
                permission=REVIEW_PERM,
            )
    before = audit.snapshot(locked)
    locked.decision = decision
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.note = note
    locked.save(update_fields=["decision", "decided_by", "decided_at", "note"])
    audit.record(
        "review_confirmed" if decision == AccessReviewItem.Decision.CONFIRMED else "review_revoked",
        locked,
        changes=audit.diff(before, locked),
        reason=note,
        actor=actor,
        site=locked.site,
    )
    return locked


def unreviewed(campaign: AccessReviewCampaign) -> Any:
    return campaign.items.filter(decision=AccessReviewItem.Decision.PENDING)


@audited_refusals
@transaction.atomic
def complete_campaign(
    actor: Any,
    campaign: AccessReviewCampaign,
    *,
    password: str,
    otp: str | None = None,
    reason: str = "",
    session: Any = None,
) -> AccessReviewCampaign:
    """Close the campaign with an e-signature meaning "approved" that covers every decision.
    Items left unreviewed are reported in the ledger entry (and need a reason)."""
    _authorize_at(actor, MANAGE_REVIEWS_PERM, campaign.site)
    locked = AccessReviewCampaign.objects.select_for_update().get(pk=campaign.pk)
    if locked.status != AccessReviewCampaign.Status.OPEN:
        raise ValidationError(_("This access review is already completed."))
    left = list(unreviewed(locked).values_list("id", flat=True))
    if left and not (reason or "").strip():
        raise ValidationError(
            {
                "reason": _("%(n)s items are not reviewed: give a reason to complete anyway.")
                % {"n": len(left)}
            }
        )
    before = audit.snapshot(locked)
    locked.status = AccessReviewCampaign.Status.COMPLETED
    locked.completed_by = actor
    locked.completed_at = timezone.now()
    locked.unreviewed_at_completion = len(left)
    locked.save(
        update_fields=["status", "completed_by", "completed_at", "unreviewed_at_completion"]
    )
    signature = sign(locked, actor, Meaning.APPROVED, password, otp, reason=reason, session=session)
    audit.record(
        "review_completed",
        locked,
        changes={
            **audit.diff(before, locked),
            "unreviewed_items": [None, left],
            "signature": [None, str(signature.uid)],
        },
        reason=reason,
        actor=actor,
        site=locked.site,
    )
    return locked


# --- inactive accounts ----------------------------------------------------------------------
def inactive_days() -> int:
    return int(getattr(settings, "MEDERP_INACTIVE_ACCOUNT_DAYS", 90))


def inactive_accounts(days: int, now: dt.datetime | None = None) -> Any:
    """Active accounts without a sign-in for `days` days (never signed in: since created)."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    exempt = list(getattr(settings, "MEDERP_INACTIVE_EXEMPT_USERNAMES", []) or [])
    return (
        User.objects.filter(is_active=True)
        .filter(Q(last_login__lt=cutoff) | Q(last_login__isnull=True, date_joined__lt=cutoff))
        .exclude(username__in=exempt)
        .order_by("username")
    )


def disable_inactive_accounts(
    *, days: int | None = None, now: dt.datetime | None = None
) -> list[InactiveAccountDisablement]:
    """Disable every account idle for `days` (default MEDERP_INACTIVE_ACCOUNT_DAYS; 0 turns
    this off), as the system actor, one transaction and one ledger entry each."""
    days = inactive_days() if days is None else days
    if days <= 0:
        return []
    done = []
    for user in inactive_accounts(days, now):
        record = _disable_one(user, days, now)
        if record is not None:
            done.append(record)
    return done


@transaction.atomic
def _disable_one(
    user: User, days: int, now: dt.datetime | None
) -> InactiveAccountDisablement | None:
    locked = User.objects.select_for_update().get(pk=user.pk)
    if not inactive_accounts(days, now).filter(pk=locked.pk).exists():
        return None  # signed in meanwhile, or disabled by someone else
    before = audit.snapshot(locked)
    locked.is_active = False
    locked.save(update_fields=["is_active"])
    authz.clear_cache(locked)
    last = locked.last_login
    audit.record(
        "account_disabled_inactive",
        locked,
        changes=audit.diff(before, locked),
        reason=_("No sign-in for %(days)s days (last sign-in: %(last)s)")
        % {"days": days, "last": last.isoformat() if last else _("never")},
        actor=authz.SYSTEM,
        site=None,
    )
    return InactiveAccountDisablement.objects.create(
        user=locked, last_login=last, inactive_days=days, disabled_at=now or timezone.now()
    )


# --- SoD rule configuration -----------------------------------------------------------------
_RULE_FIELDS = frozenset(
    {
        "is_active",
        "person_fields",
        "person_meanings",
        "applies_to_meanings",
        "message",
        "message_zh",
    }
)


@transaction.atomic
def configure_rule(
    actor: Any,
    rule: SodRule,
    *,
    reason: str,
    roles_a: Iterable[Role] | None = None,
    roles_b: Iterable[Role] | None = None,
    **changes: Any,
) -> SodRule:
    """Change a segregation-of-duties rule (switch it off, change its roles or fields)."""
    _authorize_at(actor, SOD_PERM, None)
    reason = _required(reason, "reason", _("A reason is required to change a rule."))
    unknown = set(changes) - _RULE_FIELDS
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    locked = SodRule.objects.select_for_update().get(pk=rule.pk)
    before = audit.snapshot(locked)
    before_roles = (
        sorted(locked.roles_a.values_list("code", flat=True)),
        sorted(locked.roles_b.values_list("code", flat=True)),
    )
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.full_clean()
    locked.save()
    if roles_a is not None:
        locked.roles_a.set(list(roles_a))
    if roles_b is not None:
        locked.roles_b.set(list(roles_b))
    changed: dict[str, Any] = audit.diff(before, locked)
    after_roles = (
        sorted(locked.roles_a.values_list("code", flat=True)),
        sorted(locked.roles_b.values_list("code", flat=True)),
    )
    if after_roles[0] != before_roles[0]:
        changed["roles_a"] = [before_roles[0], after_roles[0]]
    if after_roles[1] != before_roles[1]:
        changed["roles_b"] = [before_roles[1], after_roles[1]]
    if changed:
        audit.record("update", locked, changes=changed, reason=reason, actor=actor, site=None)
    return locked


def signature_for(obj: Any, meaning: str) -> Signature | None:
    from mederp.signatures.services import signatures_of

    return signatures_of(obj).filter(meaning=meaning).order_by("-signed_at").first()
