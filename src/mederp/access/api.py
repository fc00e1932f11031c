"""API of access control: privileged grants and the unreviewed items of an access review.

Both list what the caller may see: the permission may be held at any site, and the
querysets keep each caller to the sites where they hold it (as the audit list does).
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from mederp.access import selectors
from mederp.access.models import AccessReviewItem, PendingGrant
from mederp.api.permissions import RequiredPermission


class RequiredPermissionAtAnySite(RequiredPermission):
    site_scoped = False


class PendingGrantSerializer(serializers.ModelSerializer[PendingGrant]):
    user = serializers.CharField(source="user.username")
    user_name = serializers.CharField(source="user.full_name")
    role = serializers.CharField(source="role.code")
    role_name = serializers.CharField(source="role.label")
    site = serializers.CharField(
        source="site.code", allow_null=True, default=None, help_text="Site code; null = every site"
    )
    requested_by = serializers.CharField(source="requested_by.username")
    decided_by = serializers.CharField(source="decided_by.username", allow_null=True, default=None)

    class Meta:
        model = PendingGrant
        fields = [
            "id",
            "user",
            "user_name",
            "role",
            "role_name",
            "site",
            "reason",
            "status",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "decision_reason",
        ]
        read_only_fields = fields


class PendingGrantFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=PendingGrant.Status.choices)

    class Meta:
        model = PendingGrant
        fields = ["status"]


@extend_schema_view(get=extend_schema(operation_id="access_grants_list"))
class PendingGrantList(generics.ListAPIView[PendingGrant]):
    """Privileged role grants (awaiting approval, approved, rejected) of the caller's sites."""

    required_permission = selectors.VIEW_GRANTS_PERM
    permission_classes = [RequiredPermissionAtAnySite]
    serializer_class = PendingGrantSerializer
    filterset_class = PendingGrantFilter

    def get_queryset(self) -> QuerySet[PendingGrant]:
        return selectors.grants_visible_to(self.request.user).order_by("-requested_at", "-id")


class ReviewItemSerializer(serializers.ModelSerializer[AccessReviewItem]):
    user = serializers.CharField(source="user.username")
    user_name = serializers.CharField(source="user.full_name")
    role = serializers.CharField(source="role.code")
    site = serializers.CharField(source="site.code", allow_null=True, default=None)
    assignment = serializers.IntegerField(source="assignment_id")

    class Meta:
        model = AccessReviewItem
        fields = ["id", "assignment", "user", "user_name", "role", "site", "decision"]
        read_only_fields = fields


class SiteProgressSerializer(serializers.Serializer[Any]):
    site = serializers.CharField(source="site_code", help_text="Site code; empty = every site")
    total = serializers.IntegerField()
    confirmed = serializers.IntegerField()
    revoked = serializers.IntegerField()
    pending = serializers.IntegerField()


class UnreviewedReportSerializer(serializers.Serializer[Any]):
    campaign = serializers.IntegerField()
    name = serializers.CharField()
    site = serializers.CharField(allow_null=True)
    status = serializers.CharField()
    due_date = serializers.DateField()
    progress = SiteProgressSerializer(many=True)
    unreviewed = ReviewItemSerializer(many=True)


class UnreviewedReport(APIView):
    """The items of an access review still not reviewed, with the progress per site: only
    the sites where the caller may see access reviews."""

    required_permission = selectors.VIEW_REVIEWS_PERM
    permission_classes = [RequiredPermissionAtAnySite]

    @extend_schema(responses=UnreviewedReportSerializer, operation_id="access_review_unreviewed")
    def get(self, request: Request, pk: int) -> Response:
        campaign = get_object_or_404(selectors.campaigns_visible_to(request.user), pk=pk)
        items = selectors.items_visible_to(request.user, campaign)
        data = {
            "campaign": campaign.pk,
            "name": campaign.name,
            "site": campaign.site.code if campaign.site else None,
            "status": campaign.status,
            "due_date": campaign.due_date,
            "progress": selectors.progress(items),
            "unreviewed": items.filter(decision=AccessReviewItem.Decision.PENDING),
        }
        return Response(UnreviewedReportSerializer(data).data)
