"""Restricted querysets: a user sees the records of their sites only (ARCHITECTURE.md §4).

A model that belongs to a site declares its manager from here:

    class Lot(models.Model):
        site = models.ForeignKey(Site, on_delete=models.PROTECT)
        objects = SiteScopedManager()

and views read through `Lot.objects.visible_to(request.user, "inventory.view_lots")`, never
through an unscoped `objects.all()`. The scope comes from `identity.authz.sites_with`: the
sites where the user holds the permission, or every site (and the records without a site)
when they hold it through a company-wide assignment (site = NULL, ADR 0006).

The path to the site is `site` by default; a model whose site is further away names it with
`site_field = "lot__site"` (a class attribute of the model or of a queryset subclass).
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from django.db import models

from mederp.identity.authz import ALL_SITES, sites_with

M = TypeVar("M", bound=models.Model)


def site_field_of(model: type[models.Model], default: str = "site") -> str:
    return str(getattr(model, "site_field", default))


class SiteScopedQuerySet(models.QuerySet[M], Generic[M]):
    site_field: str | None = None  # None: the model's `site_field`, else "site"

    def _site_path(self) -> str:
        return self.site_field or site_field_of(self.model)

    def visible_to(self, user: Any, perm: str, *, include_unsited: bool = False) -> Any:
        """The rows of the sites where `user` holds `perm`.

        Rows without a site are company-wide records: only a company-wide holder of `perm`
        sees them, unless `include_unsited` says they are visible to every holder (for
        records such as company-wide campaigns whose contents are scoped further).
        Nobody (anonymous, disabled, no roles) sees anything.
        """
        scope = sites_with(user, perm)
        if scope is ALL_SITES:
            return self.all()
        assert isinstance(scope, frozenset)
        path = self._site_path()
        if not scope:
            return self.filter(**{f"{path}__isnull": True}) if include_unsited else self.none()
        condition = models.Q(**{f"{path}__in": sorted(scope)})
        if include_unsited:
            condition |= models.Q(**{f"{path}__isnull": True})
        return self.filter(condition)

    def at_site(self, site: Any) -> Any:
        """Rows of one site (None: the company-wide rows)."""
        path = self._site_path()
        if site is None:
            return self.filter(**{f"{path}__isnull": True})
        return self.filter(**{path: site})


class SiteScopedManager(models.Manager[M], Generic[M]):
    """`Model.objects.visible_to(user, perm)`; the rest is a plain manager."""

    def get_queryset(self) -> SiteScopedQuerySet[M]:
        return SiteScopedQuerySet(self.model, using=self._db)

    def visible_to(self, user: Any, perm: str, *, include_unsited: bool = False) -> Any:
        return self.get_queryset().visible_to(user, perm, include_unsited=include_unsited)

    def at_site(self, site: Any) -> Any:
        return self.get_queryset().at_site(site)


def scoped(queryset: models.QuerySet[Any], user: Any, perm: str, **kwargs: Any) -> Any:
    """`visible_to` for a model whose manager is not site-scoped (e.g. identity models)."""
    qs: SiteScopedQuerySet[Any] = SiteScopedQuerySet(
        queryset.model, query=queryset.query.chain(), using=queryset.db
    )
    return qs.visible_to(user, perm, **kwargs)
