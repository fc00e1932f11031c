"""Per-request sign-in policy, after authentication and messages.

- `SessionPolicyMiddleware`: absolute session timeout, the session's device still valid and
  presented, a new session key when the user's privileges changed; sets the device cookie
  on the response of a sign-in from a new browser and puts the device id into the context.
- `MFAEnrollmentMiddleware`: a user who must use MFA and has no second factor can only
  enroll one (or sign out).
- `DeviceBindingMiddleware`: holders of a device-bound role act only from approved devices.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from mederp.core import context
from mederp.identity import devices, mfa, sessions

Handler = Callable[[HttpRequest], HttpResponse]

# Reachable by a signed-in user who still has to enroll MFA or wait for device approval.
_ALWAYS_OPEN = (
    "/static/",
    "/i18n/",
    "/healthz",
    "/readyz",
    "/accounts/logout/",
    "/accounts/login/",
    "/accounts/reauthenticate/",
    "/accounts/2fa/",
    "/accounts/password/change/",
)
_DEVICE_PENDING_OPEN = (
    "/security/devices/",
    "/security/sessions/",
    "/security/notices/",
    "/security/device-pending/",
)


def _open(path: str, extra: tuple[str, ...] = ()) -> bool:
    return path.startswith(_ALWAYS_OPEN + extra)


def _refuse(request: HttpRequest, url_name: str, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"type": "about:blank", "title": message, "status": 403, "detail": message},
            status=403,
            content_type="application/problem+json",
        )
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse(url_name)
        return response
    return HttpResponseRedirect(reverse(url_name))


def _to_login(request: HttpRequest) -> HttpResponse:
    url = reverse("account_login")
    if request.headers.get("HX-Request"):  # htmx: reload the whole page on the login form
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


class SessionPolicyMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        device_id: str | None = None
        if user.is_authenticated and hasattr(request, "session"):
            if sessions.absolute_expired(request):
                sessions.expire(request, "absolute timeout")
                messages.info(request, _("Your session reached its time limit. Sign in again."))
                return _to_login(request)
            device, problem = devices.check_session_device(request)
            if problem is not None:
                sessions.expire(request, problem)
                messages.warning(
                    request, _("This device is no longer trusted for your account. Sign in again.")
                )
                return _to_login(request)
            sessions.rotate_if_privileges_changed(request)
            if device is not None:
                device_id = str(device.public_id)
        if device_id is None:
            response = self.get_response(request)
        else:
            with context.bind(device_id=device_id):
                response = self.get_response(request)
        devices.set_cookie_if_new(request, response)
        return response


class MFAEnrollmentMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not _open(request.path)
            and mfa.mfa_required(user)
            and not mfa.has_second_factor(user)
        ):
            return _refuse(
                request,
                "mfa_activate_totp",
                _("Set up two-factor authentication before you continue."),
            )
        return self.get_response(request)


class DeviceBindingMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and devices.binding_enforced()
            and not _open(request.path, _DEVICE_PENDING_OPEN)
            and devices.is_device_bound(user)
        ):
            device = devices.session_device(request)
            if device is None or not device.is_approved:
                return _refuse(
                    request,
                    "identity:device_pending",
                    _("Your role may act only from a device an administrator approved."),
                )
        return self.get_response(request)
