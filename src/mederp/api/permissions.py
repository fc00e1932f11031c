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

from mederp.identity.authz import authorize

_UNDECLARED: Any = object()


class RequiredPermission(BasePermission):
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
        try:
            authorize(user, perm, getattr(request._request, "mederp_site", None))
        except PermissionDenied as exc:
            self.message = str(exc)
            return False
        return True
