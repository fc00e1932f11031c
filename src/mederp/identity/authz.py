"""Default-deny authorization: roles → permission codes → assignments per site."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Final

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _


class _AllSites:
    def __repr__(self) -> str:
        return "ALL_SITES"


ALL_SITES: Final = _AllSites()
SiteScope = frozenset[int] | _AllSites

_CACHE_ATTR = "_mederp_grants"


class SystemActor:
    """mederp itself, acting from the CLI or a background job: holds every permission.

    Views never receive it (they pass `request.user`), so it cannot be reached over HTTP.
    """

    pk = None
    is_authenticated = True
    is_active = True
    username = "system"
    full_name = "mederp"
    audit_actor_type = "system"

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM: Final = SystemActor()


def _site_id(site: Any) -> int | None:
    if site is None:
        return None
    return site if isinstance(site, int) else int(site.pk)


def grants(user: Any) -> dict[str, SiteScope]:
    """Permission code → the sites where the user holds it. Cached on the user object for the
    request; `clear_cache(user)` after a role change."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return {}
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    from mederp.identity.models import RoleAssignment

    rows = (
        RoleAssignment.objects.active()
        .filter(user_id=user.pk)
        .values_list("site_id", "role__permissions__code")
    )
    sites: dict[str, set[int]] = defaultdict(set)
    everywhere: set[str] = set()
    for site_id, code in rows:
        if code is None:
            continue
        if site_id is None:
            everywhere.add(code)
        else:
            sites[code].add(site_id)
    result: dict[str, SiteScope] = {code: frozenset(ids) for code, ids in sites.items()}
    result.update({code: ALL_SITES for code in everywhere})
    setattr(user, _CACHE_ATTR, result)
    return result


def clear_cache(user: Any) -> None:
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def has_perm(user: Any, perm: str, site: Any = None) -> bool:
    """True when the user holds `perm` at `site` (or at any site when `site` is None)."""
    if user is SYSTEM:
        return True
    scope = grants(user).get(perm)
    if scope is None:
        return False
    if isinstance(scope, _AllSites):
        return True
    site_id = _site_id(site)
    return bool(scope) if site_id is None else site_id in scope


def sites_with(user: Any, perm: str) -> SiteScope:
    if user is SYSTEM:
        return ALL_SITES
    return grants(user).get(perm, frozenset())


def authorize(user: Any, perm: str, site: Any = None) -> None:
    """Raise PermissionDenied (with a message naming the permission) unless allowed."""
    if not has_perm(user, perm, site):
        where = f" @ {getattr(site, 'code', site)}" if site is not None else ""
        raise PermissionDenied(
            _("You do not have the permission %(perm)s%(where)s.") % {"perm": perm, "where": where}
        )


def user_or_none(actor: Any) -> Any:
    """The user to store as created_by / approved_by: None for the SYSTEM actor (jobs, CLI)."""
    return actor if getattr(actor, "pk", None) is not None else None
