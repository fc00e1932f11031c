"""Identity services: every change authorizes, validates, writes and audits in one transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mederp import audit
from mederp.access import sod
from mederp.access.refusals import audited_refusals
from mederp.identity import authz
from mederp.identity.models import Role, RoleAssignment, Site, User

# Electronic signatures (Part 11): implemented in mederp.signatures, offered here.
from mederp.signatures.services import sign as sign

if TYPE_CHECKING:
    from mederp.access.models import PendingGrant


@transaction.atomic
def create_site(
    actor: Any,
    *,
    code: str,
    name: str,
    name_zh: str = "",
    kind: str = "plant",
    time_zone: str = "Asia/Shanghai",
    address: str = "",
) -> Site:
    authz.authorize(actor, "identity.manage_sites")
    site = Site(
        code=code.strip().upper(),
        name=name.strip(),
        name_zh=name_zh.strip(),
        kind=kind,
        time_zone=time_zone,
        address=address,
    )
    site.full_clean()
    site.save()
    audit.record("create", site, changes=audit.diff(None, site), actor=actor, site=site)
    return site


@transaction.atomic
def create_user(
    actor: Any,
    *,
    username: str,
    full_name: str,
    password: str,
    email: str = "",
    default_site: Site | None = None,
    preferred_language: str = "",
) -> User:
    """Create an account. The password is checked against the password policy."""
    authz.authorize(actor, "identity.manage_users", default_site)
    user = User(
        username=username.strip(),
        full_name=full_name.strip(),
        email=email.strip(),
        default_site=default_site,
        preferred_language=preferred_language,
    )
    user.full_clean(exclude=["password"])
    validate_password(password, user)
    user.set_password(password)
    user.save()
    audit.record("create", user, changes=audit.diff(None, user), actor=actor, site=default_site)
    return user


@audited_refusals
@transaction.atomic
def assign_role(
    actor: Any, user: User, role: Role, site: Site | None, reason: str
) -> RoleAssignment | PendingGrant:
    """Grant `role` to `user` at `site` (every site when None).

    A privileged role (Role.privileged) granted by a person does not take effect here: it
    becomes a PendingGrant that a second administrator approves (two-person rule,
    `access.services.approve_grant`). The system actor (first administrator, demo, CLI)
    grants it at once. Segregation-of-duties rules `no_self_grant` and the role conflicts
    (`it_admin_not_quality_approver`) apply; a violation is recorded as `sod_violation`.
    """
    authz.authorize(actor, "identity.assign_role", site)
    if site is None and authz.sites_with(actor, "identity.assign_role") is not authz.ALL_SITES:
        raise PermissionDenied(
            _("Only a company-wide administrator can grant a role at every site.")
        )
    sod.check("no_self_grant", actor, people=[user], user=user, site=site)
    if not reason or not reason.strip():
        raise ValidationError({"reason": _("A reason is required to grant a role.")})
    if not user.is_active:
        raise ValidationError({"user": _("%(user)s is disabled.") % {"user": user}})
    if site is not None and not site.is_active:
        raise ValidationError({"site": _("Site %(site)s is not active.") % {"site": site.code}})
    if role.privileged and actor is not authz.SYSTEM:
        from mederp.access.services import request_privileged_grant

        return request_privileged_grant(actor, user, role, site, reason)
    return write_assignment(actor, user, role, site, reason)


def write_assignment(
    actor: Any, user: User, role: Role, site: Site | None, reason: str, *, granted_by: Any = None
) -> RoleAssignment:
    """The write of a grant that is authorized and decided (by `assign_role`, or by the
    approval of a pending privileged grant): runs in the caller's transaction."""
    # Lock the user row so two grants of the same role cannot race past the duplicate check.
    User.objects.select_for_update().get(pk=user.pk)
    if RoleAssignment.objects.active().filter(user=user, role=role, site=site).exists():
        raise ValidationError(
            _("%(user)s already holds %(role)s at this site.") % {"user": user, "role": role.label}
        )
    sod.check_role_conflicts(actor, user, role, site=site)
    granter = granted_by if granted_by is not None else actor
    assignment = RoleAssignment.objects.create(
        user=user,
        role=role,
        site=site,
        granted_by=granter if granter.pk else None,
        reason=reason.strip(),
    )
    audit.record(
        "role_granted",
        assignment,
        changes=audit.diff(None, assignment),
        reason=reason,
        actor=actor,
        site=site,
    )
    authz.clear_cache(user)
    return assignment


# Who may revoke: administrators, and reviewers deciding an access review (access.services).
_REVOKE_PERMISSIONS = frozenset({"identity.assign_role", "identity.review_access"})


@transaction.atomic
def revoke_role(
    actor: Any,
    assignment: RoleAssignment,
    reason: str,
    *,
    permission: str = "identity.assign_role",
) -> RoleAssignment:
    if permission not in _REVOKE_PERMISSIONS:
        raise ValueError(f"revoke_role does not accept the permission {permission!r}")
    authz.authorize(actor, permission, assignment.site)
    if assignment.site is None and authz.sites_with(actor, permission) is not authz.ALL_SITES:
        raise PermissionDenied(
            _("Only a company-wide holder of %(perm)s can revoke a role held at every site.")
            % {"perm": permission}
        )
    if not reason or not reason.strip():
        raise ValidationError({"reason": _("A reason is required to revoke a role.")})
    locked = RoleAssignment.objects.select_for_update().get(pk=assignment.pk)
    if locked.revoked_at is not None:
        raise ValidationError(_("This role assignment is already revoked."))
    before = audit.snapshot(locked)
    locked.revoked_at = timezone.now()
    locked.revoked_by = actor if actor.pk else None
    locked.save(update_fields=["revoked_at", "revoked_by"])
    audit.record(
        "role_revoked",
        locked,
        changes=audit.diff(before, locked),
        reason=reason,
        actor=actor,
        site=locked.site,
    )
    # `locked` is a fresh instance: clear the cached grants on the caller's user object too.
    authz.clear_cache(locked.user)
    authz.clear_cache(assignment.user)
    return locked


_SITE_EDITABLE = frozenset({"name", "name_zh", "kind", "time_zone", "address", "is_active"})


@transaction.atomic
def update_site(actor: Any, site: Site, *, reason: str, **changes: Any) -> Site:
    """Change a site's fields; the ledger keeps old → new and the reason."""
    authz.authorize(actor, "identity.manage_sites", site)
    unknown = set(changes) - _SITE_EDITABLE
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    if not reason or not reason.strip():
        raise ValidationError({"reason": _("A reason is required to change a site.")})
    locked = Site.objects.select_for_update().get(pk=site.pk)
    before = audit.snapshot(locked)
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.full_clean()
    changed = audit.diff(before, locked)
    if not changed:
        return locked
    locked.save(update_fields=list(changed))
    audit.record("update", locked, changes=changed, reason=reason, actor=actor, site=locked)
    return locked


@transaction.atomic
def bootstrap_admin(*, username: str, full_name: str, password: str, email: str = "") -> User:
    """The first administrator, from the command line (`mederp create_admin`)."""
    from mederp.identity.authz import SYSTEM

    user = create_user(
        SYSTEM, username=username, full_name=full_name, password=password, email=email
    )
    assign_role(
        SYSTEM,
        user,
        Role.objects.get(code="admin"),
        None,
        reason="Initial administrator created from the command line",
    )
    return user


@transaction.atomic
def disable_user(actor: Any, user: User, reason: str) -> User:
    """An administrator disables an account: it can no longer sign in, and every session it
    has ends (identity.sessions, on the saved change)."""
    authz.authorize(actor, "identity.manage_users", user.default_site)
    if not reason or not reason.strip():
        raise ValidationError({"reason": _("A reason is required to disable an account.")})
    if actor.pk is not None and actor.pk == user.pk:
        raise PermissionDenied(_("You cannot disable your own account."))
    locked = User.objects.select_for_update().get(pk=user.pk)
    if not locked.is_active:
        raise ValidationError(_("%(user)s is already disabled.") % {"user": locked})
    before = audit.snapshot(locked)
    locked.is_active = False
    locked.save(update_fields=["is_active"])
    authz.clear_cache(locked)
    audit.record(
        "update", locked, changes=audit.diff(before, locked), reason=reason, actor=actor, site=None
    )
    return locked
