"""Read queries on the ledger, always scoped to what the user may see.

An entry belongs to the site it was recorded at. A user sees the entries of the sites where they
hold `audit.view_trail`; entries without a site (sign-ins, system jobs) only when they hold it
company-wide (a role at every site).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone

from mederp.audit.models import AuditEntry
from mederp.identity.authz import ALL_SITES, has_perm, sites_with
from mederp.identity.models import Site

VIEW_PERM = "audit.view_trail"
EXPORT_PERM = "audit.export"

# sort key → ORDER BY; seq breaks ties so the order is total and pages never overlap.
SORTS: dict[str, tuple[str, ...]] = {
    "-seq": ("-seq",),
    "seq": ("seq",),
    "-time": ("-created_at", "-seq"),
    "time": ("created_at", "seq"),
}
DEFAULT_SORT = "-seq"


@dataclass(frozen=True)
class EntryFilter:
    """One search over the ledger: what the search page, the API and exports share."""

    actor: str = ""  # part of a username or full name
    action: str = ""
    object_type: str = ""  # model label, e.g. "identity.roleassignment"
    object_id: str = ""
    site: Site | None = None
    date_from: dt.date | None = None  # inclusive, a day in the viewer's time zone
    date_to: dt.date | None = None  # inclusive
    text: str = ""  # part of the object's display text or of the reason
    sort: str = DEFAULT_SORT

    def describe(self) -> dict[str, str]:
        """The filter as plain strings (only what is set), for the export's ledger entry."""
        values: dict[str, Any] = {
            "actor": self.actor,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "site": self.site.code if self.site is not None else "",
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
            "text": self.text,
        }
        out = {key: str(value) for key, value in values.items() if value}
        out["sort"] = self.sort if self.sort in SORTS else DEFAULT_SORT
        return out


def _scope_q(user: Any, perm: str) -> Q | None:
    """Q of the entries visible through `perm`; None means every entry."""
    scope = sites_with(user, perm)
    if scope is ALL_SITES:
        return None
    assert isinstance(scope, frozenset)
    return Q(site_id__in=sorted(scope))


def entries_visible_to(user: Any, perm: str = VIEW_PERM) -> QuerySet[AuditEntry]:
    """Entries of the sites where `user` holds `perm`; site-less entries only company-wide."""
    scope = _scope_q(user, perm)
    if scope is None:
        return AuditEntry.objects.all()
    return AuditEntry.objects.filter(scope)


def entries_exportable_by(user: Any) -> QuerySet[AuditEntry]:
    """Entries the user may both see and export."""
    qs = entries_visible_to(user, VIEW_PERM)
    scope = _scope_q(user, EXPORT_PERM)
    return qs if scope is None else qs.filter(scope)


def filter_sites(user: Any) -> QuerySet[Site]:
    """The sites offered in the search form's site filter."""
    scope = sites_with(user, VIEW_PERM)
    if scope is ALL_SITES:
        return Site.objects.all()
    assert isinstance(scope, frozenset)
    return Site.objects.filter(pk__in=sorted(scope))


def day_start(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min).replace(tzinfo=tz)


def apply_filter(
    qs: QuerySet[AuditEntry], flt: EntryFilter, tz: dt.tzinfo | None = None
) -> QuerySet[AuditEntry]:
    """Narrow `qs` by `flt` and order it. Dates are days in `tz` (default: the active zone)."""
    tz = tz or timezone.get_current_timezone()
    if flt.actor:
        qs = qs.filter(Q(actor_username__icontains=flt.actor) | Q(actor_name__icontains=flt.actor))
    if flt.action:
        qs = qs.filter(action=flt.action)
    if flt.object_type:
        qs = qs.filter(object_type=flt.object_type.strip().lower())
    if flt.object_id:
        qs = qs.filter(object_id=flt.object_id.strip())
    if flt.site is not None:
        qs = qs.filter(site_id=flt.site.pk)
    if flt.date_from is not None:
        qs = qs.filter(created_at__gte=day_start(flt.date_from, tz))
    if flt.date_to is not None:
        qs = qs.filter(created_at__lt=day_start(flt.date_to + dt.timedelta(days=1), tz))
    if flt.text:
        qs = qs.filter(Q(object_repr__icontains=flt.text) | Q(reason__icontains=flt.text))
    return qs.order_by(*SORTS.get(flt.sort, SORTS[DEFAULT_SORT]))


def search_entries(
    user: Any, flt: EntryFilter, tz: dt.tzinfo | None = None
) -> QuerySet[AuditEntry]:
    return apply_filter(entries_visible_to(user), flt, tz)


def entry_for(user: Any, seq: int) -> AuditEntry | None:
    return entries_visible_to(user).filter(seq=seq).first()


# --- the trail of one record ------------------------------------------------------------------
def resolve_object(object_type: str, object_id: str) -> Any:
    """The live record an entry is about, or None (unknown type, bad id, or deleted)."""
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return None
    try:
        return model._default_manager.filter(pk=object_id).first()
    except (ValueError, TypeError, ValidationError):
        return None


def object_site(obj: Any) -> Any:
    """The site a record belongs to: `audit_site` when the model defines it, a Site itself,
    or its `site` foreign key. None for records that belong to no site (users, roles)."""
    if obj is None:
        return None
    if hasattr(obj, "audit_site"):
        return obj.audit_site
    if isinstance(obj, Site):
        return obj
    site_id = getattr(obj, "site_id", None)
    return site_id if isinstance(site_id, int) else None


def object_trail(
    user: Any, object_type: str, object_id: str, obj: Any = None
) -> QuerySet[AuditEntry] | None:
    """The entries about one record, newest first; None when the user may not see its trail.

    A record of a site: the user needs `audit.view_trail` at that site and then sees its whole
    trail. A record of no site (or one that no longer exists): the entries visible to the user.
    """
    if not has_perm(user, VIEW_PERM):
        return None
    if obj is None:
        obj = resolve_object(object_type, object_id)
    site = object_site(obj)
    if site is not None:
        if not has_perm(user, VIEW_PERM, site):
            return None
        qs = AuditEntry.objects.all()
    else:
        qs = entries_visible_to(user)
    return qs.filter(object_type=object_type, object_id=str(object_id)).order_by("-seq")
