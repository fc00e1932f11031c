"""API authentication: bearer tokens for programs, the browser session for the UI's own calls.

Unauthenticated API requests answer 401 with `WWW-Authenticate: Bearer realm="mederp"`.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from mederp.core import context


class SessionAuthentication(authentication.SessionAuthentication):
    def authenticate_header(self, request: Request) -> str:
        return 'Session realm="mederp"'


class TokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header.startswith(self.keyword + " "):
            return None
        from mederp.api.services import authenticate_token

        token = authenticate_token(header[len(self.keyword) + 1 :].strip())
        if token is None:
            raise exceptions.AuthenticationFailed(
                _("The API token is invalid, expired or revoked.")
            )
        user = token.user
        # The ledger shows who acted and through which token.
        user.audit_actor_type = "api_client"  # type: ignore[attr-defined]
        context.set_current(
            context.RequestContext(
                request_id=context.current().request_id,
                actor=user,
                site=context.current().site,
                ip=context.current().ip,
                user_agent=context.current().user_agent,
                device_id=f"token:{token.prefix}",
                channel="api",
            )
        )
        return user, token

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="mederp"'
