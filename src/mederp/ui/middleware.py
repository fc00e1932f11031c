"""Show times in the user's time zone: the user's own, else their current site's, else UTC."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone


@lru_cache(maxsize=64)
def _zone(name: str) -> dt.tzinfo | None:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def time_zone_for(user: Any, site: Any = None) -> dt.tzinfo:
    """The zone to show `user` times in. An unknown zone name falls through to the next one."""
    for name in (getattr(user, "time_zone", ""), getattr(site, "time_zone", "")):
        zone = _zone(name) if name else None
        if zone is not None:
            return zone
    return dt.UTC


class TimezoneMiddleware:
    """After ActorContextMiddleware (which sets `request.mederp_site`): activate the zone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user if request.user.is_authenticated else None
        if user is None:
            timezone.activate(dt.UTC)
        else:
            timezone.activate(time_zone_for(user, getattr(request, "mederp_site", None)))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
