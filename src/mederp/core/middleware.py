"""Request context: request id, client address, actor and site for services, logs and audit."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

import structlog
from django.conf import settings
from django.http import HttpRequest, HttpResponse

from mederp.core import context
from mederp.core.netaddr import Network, client_ip, is_trusted, parse_networks

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


@lru_cache(maxsize=8)
def _parsed_networks(entries: tuple[str, ...]) -> list[Network]:
    return parse_networks(entries)


def trusted_proxies() -> list[Network]:
    """The configured trusted proxies, read from settings on every request (so a settings
    override is seen at once) and parsed only once per distinct value."""
    return _parsed_networks(tuple(settings.MEDERP_TRUSTED_PROXIES))


class RequestContextMiddleware:
    """Outermost middleware: every log line of the request carries its request id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        proxies = trusted_proxies()
        remote = request.META.get("REMOTE_ADDR")
        ip = client_ip(remote, request.META.get("HTTP_X_FORWARDED_FOR"), proxies)
        # An incoming id is only taken from a trusted proxy (nginx), so clients cannot
        # inject ids into our logs; otherwise we mint one.
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        from_proxy = bool(remote) and is_trusted(remote or "", proxies)
        request_id = (
            incoming if from_proxy and _REQUEST_ID_RE.match(incoming) else context.new_request_id()
        )
        request.request_id = request_id  # type: ignore[attr-defined]
        request.client_ip = ip  # type: ignore[attr-defined]
        ctx = context.RequestContext(
            request_id=request_id,
            ip=ip,
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:512],
            channel="api" if request.path.startswith("/api/") else "web",
        )
        token = context.set_current(ctx)
        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            response = self.get_response(request)
        finally:
            structlog.contextvars.unbind_contextvars("request_id")
            context.reset(token)
        response["X-Request-ID"] = request_id
        return response


class ActorContextMiddleware:
    """After authentication: put the user and their current site into the context."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from mederp.identity.selectors import current_site_for

        user = request.user if request.user.is_authenticated else None
        site = current_site_for(request) if user is not None else None
        request.mederp_site = site  # type: ignore[attr-defined]
        ctx = context.current()
        token = context.set_current(
            context.RequestContext(
                request_id=ctx.request_id,
                actor=user,
                site=site,
                ip=ctx.ip,
                user_agent=ctx.user_agent,
                channel=ctx.channel,
            )
        )
        if user is not None:
            structlog.contextvars.bind_contextvars(user_id=user.pk)
        try:
            return self.get_response(request)
        finally:
            structlog.contextvars.unbind_contextvars("user_id")
            context.reset(token)
