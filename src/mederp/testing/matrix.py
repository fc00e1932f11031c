"""Permission-matrix test helper (ARCHITECTURE.md §9): one call checks an endpoint for
anonymous callers, the wrong role, the wrong site and the right role.

    from mederp.testing.matrix import Endpoint, check_endpoint

    GRANT = Endpoint(
        "access:grant",
        url=lambda grant: f"/access/grants/{grant.pk}/",
        permission="identity.view_users",
        factory=make_grant,                     # site -> an object that belongs to that site
    )

    def test_grant_page(client, site_a, site_b, make_user):
        check_endpoint(GRANT, client=client, site_a=site_a, site_b=site_b, make_user=make_user)

It asserts, in this order:

1. anonymous: an API URL (`/api/...`) answers 401 with a problem detail; a page redirects to
   the sign-in page with `?next=`;
2. wrong role (a seeded role without the permission, at the object's site): 403, and a
   `permission_denied` entry for that user in the audit ledger;
3. wrong site (a role holding the permission, but at the other site): 404 for an endpoint
   about one object; for a list, the object's `marker` text is absent from the answer;
4. right role (a seeded role holding the permission, at the object's site): the `success`
   status (200 unless said otherwise).

`permission=None` (any signed-in user) skips step 2; no `factory` skips step 3.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import URLPattern, URLResolver, get_resolver

from mederp.identity.permissions import SEED_ROLES

_UNSET: Any = object()


@dataclass(frozen=True)
class Endpoint:
    name: str  # the URL name ("access:grant"), used in test ids and the coverage check
    url: str | Callable[[Any], str]
    permission: str | None
    method: str = "get"
    # The request body: a dict, or (obj, user) -> dict (e.g. the user's password to sign).
    data: dict[str, Any] | Callable[[Any, Any], dict[str, Any]] | None = None
    factory: Callable[[Any], Any] | None = None  # site -> an object of that site
    success: int | tuple[int, ...] = 200
    api: bool | None = None  # None: URLs under /api/
    right_role: str | None = None  # default: a seeded role holding `permission`
    wrong_role: str | None = None  # default: a seeded role without it
    right_role_everywhere: bool = False  # hold the right role at every site (site = None)
    marker: Callable[[Any], str] | None = None  # lists: text naming the object
    object_url: bool | None = None  # None: True when `url` is a function of the object
    headers: dict[str, str] = field(default_factory=dict)

    def is_api(self, url: str) -> bool:
        return self.api if self.api is not None else url.startswith("/api/")

    def url_for(self, obj: Any) -> str:
        return self.url(obj) if callable(self.url) else self.url

    @property
    def about_one_object(self) -> bool:
        return callable(self.url) if self.object_url is None else self.object_url


def roles_with(perm: str) -> list[str]:
    """Seeded roles holding `perm`, non-privileged first."""
    holders = [code for code, spec in SEED_ROLES.items() if perm in spec[3]]
    return sorted(holders, key=lambda code: (SEED_ROLES[code][2], code))


def roles_without(perm: str) -> list[str]:
    lacking = [code for code, spec in SEED_ROLES.items() if perm not in spec[3]]
    return sorted(lacking, key=lambda code: (SEED_ROLES[code][2], code))


def _request(client: Any, ep: Endpoint, url: str, obj: Any, user: Any) -> Any:
    method = getattr(client, ep.method.lower())
    data = ep.data(obj, user) if callable(ep.data) else ep.data
    kwargs: dict[str, Any] = {"headers": ep.headers} if ep.headers else {}
    if ep.is_api(url) and ep.method.lower() != "get" and data is not None:
        return method(url, data=data, content_type="application/json", **kwargs)
    if data is not None:
        return method(url, data, **kwargs)
    return method(url, **kwargs)


def _describe(ep: Endpoint, who: str, response: Any) -> str:
    body = response.content[:400].decode("utf-8", "replace") if response.content else ""
    return (
        f"{ep.method.upper()} {ep.name} as {who}: HTTP {response.status_code} "
        f"(Location: {response.get('Location', '-')}) {body}"
    )


def _max_seq() -> int:
    from mederp.audit.models import AuditEntry

    return AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


@dataclass
class MatrixResult:
    """The right-role user and response, for further assertions by the caller."""

    obj: Any
    user: Any
    response: Any


def check_endpoint(
    ep: Endpoint, *, client: Any, site_a: Any, site_b: Any, make_user: Callable[..., Any]
) -> MatrixResult:
    obj = ep.factory(site_a) if ep.factory is not None else None
    url = ep.url_for(obj)

    # 1. anonymous
    client.logout()
    response = _request(client, ep, url, obj, None)
    if ep.is_api(url):
        assert response.status_code == 401, _describe(ep, "anonymous", response)
        assert response["Content-Type"].startswith("application/problem+json"), _describe(
            ep, "anonymous", response
        )
    else:
        assert response.status_code == 302, _describe(ep, "anonymous", response)
        location = urlparse(response["Location"])
        assert location.path == resolve_url(settings.LOGIN_URL), _describe(
            ep, "anonymous", response
        )
        assert "next=" in location.query, _describe(ep, "anonymous", response)

    right = ep.right_role
    if ep.permission is not None:
        # 2. wrong role, at the object's site
        # every seeded role may hold it (the dashboard): then a user without any role
        wrong = ep.wrong_role or next(iter(roles_without(ep.permission)), None)
        user = make_user(wrong, site_a if wrong else None)
        client.force_login(user)
        before = _max_seq()
        response = _request(client, ep, url, obj, user)
        assert response.status_code == 403, _describe(ep, f"{wrong or 'no role'}@A", response)
        from mederp.audit.models import AuditEntry

        assert AuditEntry.objects.filter(
            seq__gt=before, action="permission_denied", actor_id=user.pk
        ).exists(), f"{ep.name}: the 403 for {wrong} was not recorded in the audit ledger"
        right = right or roles_with(ep.permission)[0]

        # 3. wrong site: the permission, but at the other site only
        if obj is not None:
            user = make_user(right, site_b)
            client.force_login(user)
            response = _request(client, ep, url, obj, user)
            if ep.about_one_object:
                assert response.status_code == 404, _describe(ep, f"{right}@B", response)
            elif ep.marker is not None:
                assert response.status_code in _codes(ep.success), _describe(
                    ep, f"{right}@B", response
                )
                assert ep.marker(obj) not in response.content.decode("utf-8"), (
                    f"{ep.name}: a user of the other site sees {ep.marker(obj)!r}"
                )

    # 4. right role, at the object's site (or everywhere)
    if right is None:
        right = "production_operator"  # any signed-in user
    user = make_user(right, None if ep.right_role_everywhere else site_a)
    client.force_login(user)
    response = _request(client, ep, url, obj, user)
    assert response.status_code in _codes(ep.success), _describe(ep, f"{right}@A", response)
    return MatrixResult(obj=obj, user=user, response=response)


def _codes(success: int | tuple[int, ...]) -> tuple[int, ...]:
    return success if isinstance(success, tuple) else (success,)


def mederp_routes() -> Iterator[tuple[str, str]]:
    """(URL name, route) of every view of mederp's own code, for coverage checks."""

    def walk(patterns: list[Any], prefix: str, namespace: str | None) -> Iterator[Any]:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                ns = namespace
                if entry.namespace:
                    ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                yield from walk(entry.url_patterns, prefix + str(entry.pattern), ns)
            elif isinstance(entry, URLPattern):
                name = entry.name and (f"{namespace}:{entry.name}" if namespace else entry.name)
                yield name, prefix + str(entry.pattern), entry.callback

    for name, route, callback in walk(get_resolver().url_patterns, "", None):
        target = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        module = (target or callback).__module__
        if module.startswith("mederp."):
            yield name or route, route
