"""Views declare the permission they need; anonymous users go to the login page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

from mederp.identity.authz import authorize

View = Callable[..., HttpResponse]


def requires(perm: str | None) -> Callable[[View], View]:
    """Require sign-in and `perm` at the request's current site (None: any signed-in user).

    The code is kept on the view as `required_permission`, which the URL-walking test reads.
    """

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if perm is not None:
                authorize(request.user, perm, getattr(request, "mederp_site", None))
            return view(request, *args, **kwargs)

        wrapper.required_permission = perm  # type: ignore[attr-defined]
        return wrapper

    return decorate
