"""Template context of the sign-in security pages: the unread security notices count."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def security(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from mederp.identity import notices

    return {"unread_security_notices": notices.unread_count(user)}
