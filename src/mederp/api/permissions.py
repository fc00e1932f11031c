"""The default DRF permission: enforce the `required_permission` a view declares.

Default deny: a view that declares nothing is refused to everybody, so an API endpoint cannot
go live by forgetting its permission. `required_permission = None` means any signed-in user.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from mederp.api.models import ApiToken
from mederp.identity.authz import authorize

_UNDECLARED: Any = object()


class RequiredPermission(BasePermission):
    # False: the permission may be held at any site (for views whose querysets are scoped to
    # the sites where the caller holds it, e.g. the audit search; ADR 0006).
    site_scoped = True

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if user is None or not user.is_authenticated:
            return False  # DRF answers 401 when no authenticator succeeded
        perm = getattr(view, "required_permission", _UNDECLARED)
        if perm is _UNDECLARED:
            self.message = _("This endpoint declares no permission and is closed.")
            return False
        if perm is None:
            return True
        token = getattr(request, "auth", None)
        if isinstance(token, ApiToken) and perm not in token.scopes:
            self.message = _("The API token is not scoped for %(perm)s.") % {"perm": perm}
            return False
        try:
            site = getattr(request._request, "mederp_site", None) if self.site_scoped else None
            authorize(user, perm, site)
        except PermissionDenied as exc:
            self.message = str(exc)
            return False
        return True
