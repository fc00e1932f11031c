"""Every URL either declares the permission it needs or is on a reviewed allow-list.

mederp views declare `required_permission` (via `mederp.identity.decorators.requires`, or as a
class attribute on DRF views, enforced by `mederp.api.permissions.RequiredPermission`). A new
view that declares nothing fails here until someone decides what it needs.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework import exceptions
from rest_framework.permissions import IsAuthenticated
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from mederp.identity.models import User
from mederp.identity.permissions import PERMISSIONS

# mederp views anybody may call, and why
PUBLIC = {
    "healthz": "liveness probe for the load balancer; says only ok/error",
    "readyz": "readiness probe; says only ready/not ready",
}

# Third-party views, reviewed: allauth handles sign-in (its own checks, sign-up closed by our
# adapter), Django's set_language only sets a cookie, drf-spectacular serves the API schema
# and the Swagger UI. A new third-party route fails until it is added here.
THIRD_PARTY = {
    "account_login": "allauth",
    "account_logout": "allauth",
    "account_inactive": "allauth",
    "account_signup": "allauth",  # closed: AccountAdapter.is_open_for_signup is False
    "account_reauthenticate": "allauth",
    "account_request_reauthentication_code": "allauth",
    "account_confirm_reauthentication_code": "allauth",
    "account_email": "allauth",
    "account_email_verification_sent": "allauth",
    "account_confirm_email": "allauth",
    "account_change_password": "allauth",
    "account_set_password": "allauth",
    "account_reset_password": "allauth",
    "account_reset_password_done": "allauth",
    "account_reset_password_from_key": "allauth",
    "account_reset_password_from_key_done": "allauth",
    "account_confirm_login_code": "allauth",
    # allauth.mfa: the signed-in user's own second factors (login_required, reauthentication
    # before changes) and the sign-in stage; reviewed for the Authentication section.
    "mfa_index": "allauth.mfa",
    "mfa_authenticate": "allauth.mfa",
    "mfa_reauthenticate": "allauth.mfa",
    "mfa_activate_totp": "allauth.mfa",
    "mfa_deactivate_totp": "allauth.mfa",
    "mfa_view_recovery_codes": "allauth.mfa",
    "mfa_generate_recovery_codes": "allauth.mfa",
    "mfa_download_recovery_codes": "allauth.mfa",
    "mfa_list_webauthn": "allauth.mfa",
    "mfa_add_webauthn": "allauth.mfa",
    "mfa_reauthenticate_webauthn": "allauth.mfa",
    "mfa_remove_webauthn": "allauth.mfa",
    "mfa_edit_webauthn": "allauth.mfa",
    # allauth.usersessions: the user's own sessions (login_required)
    "usersessions_list": "allauth.usersessions",
    "set_language": "django.views.i18n",
    "api:schema": "drf_spectacular.views",
    "api:docs": "drf_spectacular.views",
}


@dataclass(frozen=True)
class Route:
    route: str
    name: str | None
    callback: Callable[..., Any]

    @property
    def target(self) -> Any:
        """The class of a class-based view (DRF's `cls`, Django's `view_class`), or None."""
        return getattr(self.callback, "cls", None) or getattr(self.callback, "view_class", None)

    @property
    def module(self) -> str:
        return (self.target or self.callback).__module__

    @property
    def decorated(self) -> bool:
        """Wrapped by @requires, which enforces what it declares."""
        return hasattr(self.callback, "required_permission")

    @property
    def required(self) -> Any:
        if self.decorated:
            return self.callback.required_permission  # type: ignore[attr-defined]
        return getattr(self.target, "required_permission", _MISSING)

    def required_by_method(self) -> dict[str, Any]:
        """The permission per HTTP method: DRF views whose reads and writes need different
        permissions declare `required_permission` as a property of the request's method."""
        target = self.target
        if target is None or not isinstance(
            inspect.getattr_static(target, "required_permission", None), property
        ):
            return {"*": self.required}
        out = {}
        for method in ("GET", "POST"):
            view = target()
            view.request = SimpleNamespace(method=method)
            out[method] = view.required_permission
        return out


_MISSING = object()


def walk(patterns: list[Any], prefix: str = "", namespace: str | None = None) -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            name = entry.name and (f"{namespace}:{entry.name}" if namespace else entry.name)
            yield Route(prefix + str(entry.pattern), name, entry.callback)
        else:  # pragma: no cover
            raise TypeError(f"unexpected URL entry {entry!r}")


ROUTES = list(walk(get_resolver().url_patterns))


def test_the_walk_finds_the_known_views() -> None:
    names = {r.name for r in ROUTES}
    assert {"healthz", "readyz", "ui:home", "ui:switch_site", "api:me", "account_login"} <= names
    assert len(ROUTES) >= 20


def _drf_lets_in(view_class: type[APIView], user: Any) -> bool:
    """Would `user` pass the view's permission classes?"""
    view = view_class()
    request = view.initialize_request(APIRequestFactory().get("/api/v1/probe"))
    request.user = user
    view.request, view.args, view.kwargs, view.format_kwarg = request, (), {}, None
    try:
        return all(p.has_permission(request, view) for p in view.get_permissions())
    except (PermissionDenied, exceptions.PermissionDenied, exceptions.NotAuthenticated):
        return False


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name or r.route)
def test_every_view_declares_its_permission(route: Route) -> None:
    if route.module.startswith("mederp."):
        if route.name in PUBLIC:
            assert route.required is _MISSING, (
                f"{route.name} is on the public list but also declares a permission"
            )
            return
        assert route.required is not _MISSING, (
            f"{route.module}.{getattr(route.target or route.callback, '__qualname__', '?')} at "
            f"/{route.route} declares no required_permission: use @requires(...) or set "
            "required_permission on the view class (or add it to PUBLIC with a reason)"
        )
        by_method = route.required_by_method()
        for perm in by_method.values():
            assert perm is None or perm in PERMISSIONS, f"unknown permission code {perm!r}"
        perm = by_method.get("GET", by_method.get("*"))
        if route.decorated:
            return
        assert isinstance(route.target, type)
        assert issubclass(route.target, APIView), (
            f"{route.target.__qualname__}: only DRF views enforce a required_permission class "
            "attribute; decorate other views with @requires(...)"
        )
        assert not _drf_lets_in(route.target, AnonymousUser()), (
            f"{route.target.__qualname__} lets anonymous callers in"
        )
        if perm is not None:
            roleless = User(username="probe-without-roles", is_active=True)
            assert not _drf_lets_in(route.target, roleless), (
                f"{route.target.__qualname__} declares {perm!r} but does not enforce it: "
                "a signed-in user without roles passes its permission_classes"
            )
    else:
        assert route.name in THIRD_PARTY, (
            f"third-party view {route.module} at /{route.route} ({route.name}) is not reviewed"
        )
        assert route.module.startswith(THIRD_PARTY[route.name]), route.module


def test_allow_lists_have_no_stale_entries() -> None:
    names = {r.name for r in ROUTES}
    assert set(PUBLIC) <= names
    assert set(THIRD_PARTY) <= names


@pytest.mark.django_db
def test_the_check_catches_an_undeclared_view() -> None:
    """Control: a mederp view without a declaration is reported."""

    def undeclared(request: Any) -> None:
        return None

    undeclared.__module__ = "mederp.fake.views"
    with pytest.raises(AssertionError, match="declares no required_permission"):
        test_every_view_declares_its_permission(Route("fake", "fake:view", undeclared))

    class Open(APIView):
        required_permission = None
        permission_classes: list[Any] = []

    Open.__module__ = "mederp.fake.api"
    with pytest.raises(AssertionError, match="lets anonymous callers in"):
        test_every_view_declares_its_permission(Route("fake3", "fake:open", Open.as_view()))

    class Unenforced(APIView):
        required_permission = "audit.export"
        permission_classes: list[Any] = [IsAuthenticated]

    Unenforced.__module__ = "mederp.fake.api"
    view = Unenforced.as_view()
    with pytest.raises(AssertionError, match="does not enforce"):
        test_every_view_declares_its_permission(Route("fake2", "fake:api", view))
