"""Read queries on contact records, always scoped to the sites where the user may see them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from mederp.data.fields import normalise
from mederp.data.models import Person, ShredRequest
from mederp.identity.authz import ALL_SITES, sites_with
from mederp.identity.models import Site

VIEW_PERM = "people.view"
EXPORT_PERM = "people.export"


def people_visible_to(user: Any, perm: str = VIEW_PERM) -> QuerySet[Person]:
    scope = sites_with(user, perm)
    qs = Person.objects.select_related("site")
    if scope is ALL_SITES:
        return qs.all()
    assert isinstance(scope, frozenset)
    return qs.filter(site_id__in=sorted(scope))


@dataclass(frozen=True)
class PersonFilter:
    """Exact-match search: email and phone through their blind indexes."""

    email: str = ""
    phone: str = ""
    kind: str = ""
    site: Site | None = None

    def describe(self) -> dict[str, str]:
        # The searched email/phone are personal data: the ledger only learns that they were set.
        out = {"kind": self.kind, "site": self.site.code if self.site else ""}
        if self.email:
            out["email"] = "[restricted]"
        if self.phone:
            out["phone"] = "[restricted]"
        return {k: v for k, v in out.items() if v}


def apply_filter(qs: QuerySet[Person], flt: PersonFilter) -> QuerySet[Person]:
    if flt.email:
        field = Person._meta.get_field("email_index")
        qs = qs.filter(email_index=field.compute(Person, flt.email))
    if flt.phone:
        digits = normalise("phone", flt.phone)
        field = Person._meta.get_field("phone_index")
        qs = qs.filter(phone_index=field.compute(Person, digits) if digits else "-")
    if flt.kind:
        qs = qs.filter(kind=flt.kind)
    if flt.site is not None:
        qs = qs.filter(site=flt.site)
    return qs


def search_people(user: Any, flt: PersonFilter, perm: str = VIEW_PERM) -> QuerySet[Person]:
    return apply_filter(people_visible_to(user, perm), flt)


def person_for(user: Any, pk: Any) -> Person | None:
    try:
        return people_visible_to(user).filter(pk=pk).first()
    except (ValueError, TypeError):
        return None
    except Exception as exc:  # an invalid UUID in the URL
        from django.core.exceptions import ValidationError

        if isinstance(exc, ValidationError):
            return None
        raise


def shred_requests_visible_to(user: Any) -> QuerySet[ShredRequest]:
    qs = ShredRequest.objects.select_related("person", "site", "requested_by", "decided_by")
    scopes = [sites_with(user, p) for p in ("data.shred", "data.request_shred")]
    if any(s is ALL_SITES for s in scopes):
        return qs.all()
    ids: set[int] = set()
    for scope in scopes:
        assert isinstance(scope, frozenset)
        ids |= scope
    return qs.filter(site_id__in=sorted(ids))
