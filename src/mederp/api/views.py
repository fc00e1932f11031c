"""API endpoints of the platform itself."""

from __future__ import annotations

from typing import cast

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from mederp.identity.models import Site, User
from mederp.identity.selectors import active_assignments, user_sites


class SiteRefSerializer(serializers.Serializer[object]):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class RoleAtSiteSerializer(serializers.Serializer[object]):
    role = serializers.CharField()
    role_name = serializers.CharField()
    site = serializers.CharField(allow_null=True, help_text="Site code; null = every site")


class MeSerializer(serializers.Serializer[object]):
    id = serializers.IntegerField()
    username = serializers.CharField()
    full_name = serializers.CharField()
    language = serializers.CharField()
    current_site = SiteRefSerializer(allow_null=True)
    sites = SiteRefSerializer(many=True)
    roles = RoleAtSiteSerializer(many=True)
    permissions = serializers.ListField(child=serializers.CharField())


class MeView(APIView):
    """The signed-in user, their sites, roles and permission codes."""

    required_permission = None  # any signed-in user may read their own profile

    @extend_schema(responses=MeSerializer, operation_id="me_retrieve")
    def get(self, request: Request) -> Response:
        from mederp.identity.authz import grants

        user = cast(User, request.user)

        def site_ref(site: Site | None) -> dict[str, object] | None:
            if site is None:
                return None
            return {"id": site.pk, "code": site.code, "name": site.label}

        data = {
            "id": user.pk,
            "username": user.username,
            "full_name": user.full_name,
            "language": getattr(request, "LANGUAGE_CODE", "en"),
            "current_site": site_ref(getattr(request._request, "mederp_site", None)),
            "sites": [site_ref(s) for s in user_sites(user)],
            "roles": [
                {
                    "role": a.role.code,
                    "role_name": a.role.label,
                    "site": a.site.code if a.site else None,
                }
                for a in active_assignments(user)
            ],
            "permissions": sorted(grants(user)),
        }
        return Response(MeSerializer(data).data)
