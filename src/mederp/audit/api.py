"""GET /api/v1/audit/entries: the ledger, scoped to the caller's sites, filtered and paged.

The filters mean exactly what they mean on the search page: the FilterSet only declares and
validates them, then hands an `EntryFilter` to `selectors.apply_filter`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.pagination import PageNumberPagination

from mederp.api.permissions import RequiredPermission
from mederp.audit.actions import ACTION_LABELS, action_label
from mederp.audit.models import AuditEntry
from mederp.audit.selectors import (
    DEFAULT_SORT,
    SORTS,
    VIEW_PERM,
    EntryFilter,
    apply_filter,
    entries_visible_to,
)
from mederp.identity.models import Site

_UNDECLARED: Any = object()


class RequiredPermissionAtAnySite(RequiredPermission):
    """The view's `required_permission` may be held at any site, not only the session's
    current one (ADR 0006: deliberate). The audit list spans sites, and its queryset keeps
    each caller to the sites where they hold the permission."""

    site_scoped = False


class AuditEntrySerializer(serializers.ModelSerializer[AuditEntry]):
    action_label = serializers.SerializerMethodField(
        help_text="The action in the caller's language"
    )

    class Meta:
        model = AuditEntry
        fields = [
            "seq",
            "created_at",
            "actor_type",
            "actor_id",
            "actor_username",
            "actor_name",
            "site_id",
            "site_code",
            "action",
            "action_label",
            "object_type",
            "object_id",
            "object_repr",
            "changes",
            "reason",
            "request_id",
            "ip",
            "device_id",
            "leaf_hash",
        ]
        read_only_fields = fields

    def get_action_label(self, obj: AuditEntry) -> str:
        return action_label(obj.action)


class AuditEntryFilter(django_filters.FilterSet):
    actor = django_filters.CharFilter(
        method="_text", help_text="Part of the actor's username or full name"
    )
    action = django_filters.ChoiceFilter(
        method="_text", choices=[(code, code) for code in ACTION_LABELS]
    )
    object_type = django_filters.CharFilter(
        method="_text", help_text='Model label, e.g. "identity.roleassignment"'
    )
    object_id = django_filters.CharFilter(method="_text")
    site = django_filters.ModelChoiceFilter(
        method="_text",
        queryset=Site.objects.all(),
        to_field_name="code",
        help_text="Site code",
    )
    date_from = django_filters.DateFilter(
        method="_date", help_text="First day (inclusive), in the caller's time zone"
    )
    date_to = django_filters.DateFilter(
        method="_date", help_text="Last day (inclusive), in the caller's time zone"
    )
    q = django_filters.CharFilter(
        method="_text", help_text="Part of the object's display text or of the reason"
    )
    sort = django_filters.ChoiceFilter(
        method="_text",
        choices=[(key, key) for key in SORTS],
        help_text=f"Order; default {DEFAULT_SORT}",
    )

    class Meta:
        model = AuditEntry
        fields: list[str] = []

    # The filters only declare and validate; filter_queryset applies them all through the
    # selector. These no-ops give the OpenAPI generator each parameter's type.
    def _text(self, queryset: QuerySet[AuditEntry], name: str, value: str) -> Any:
        return queryset

    def _date(self, queryset: QuerySet[AuditEntry], name: str, value: dt.date) -> Any:
        return queryset

    def filter_queryset(self, queryset: QuerySet[AuditEntry]) -> QuerySet[AuditEntry]:
        data = self.form.cleaned_data
        flt = EntryFilter(
            actor=(data.get("actor") or "").strip(),
            action=data.get("action") or "",
            object_type=(data.get("object_type") or "").strip().lower(),
            object_id=(data.get("object_id") or "").strip(),
            site=data.get("site"),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            text=(data.get("q") or "").strip(),
            sort=data.get("sort") or DEFAULT_SORT,
        )
        return apply_filter(queryset, flt)


class AuditEntryPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


@extend_schema_view(get=extend_schema(operation_id="audit_entries_list"))
class AuditEntryList(generics.ListAPIView[AuditEntry]):
    """Audit ledger entries of the sites where the caller holds `audit.view_trail` (entries
    without a site only for company-wide holders), newest first unless `sort` says otherwise."""

    required_permission = VIEW_PERM
    permission_classes = [RequiredPermissionAtAnySite]
    serializer_class = AuditEntrySerializer
    filterset_class = AuditEntryFilter
    pagination_class = AuditEntryPagination

    def get_queryset(self) -> QuerySet[AuditEntry]:
        return entries_visible_to(self.request.user).defer("payload")
