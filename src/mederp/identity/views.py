"""Pages of the signed-in user's security (devices, sessions, notices) and the
administrators' device approval and unlock pages. Thin: the services do the work."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from mederp.identity import devices, lockout, notices, sessions
from mederp.identity.decorators import requires
from mederp.identity.models import Device, LoginThrottle, SecurityNotice, User


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # @requires: signed in
    return request.user


def _error(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


@requires(None)
@require_http_methods(["GET", "POST"])
def my_devices(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        device = get_object_or_404(Device, pk=request.POST.get("device"), user=request.user)
        try:
            reason = request.POST.get("reason") or _("Revoked by its owner")
            devices.revoke(request.user, device, reason)
        except ValidationError as exc:
            _error(request, exc)
        else:
            messages.success(request, _("Device %(name)s revoked.") % {"name": device.name})
        return HttpResponseRedirect(reverse("identity:my_devices"))
    current = devices.session_device(request)
    return render(
        request,
        "identity/my_devices.html",
        {
            "devices": devices.devices_of(request.user),
            "current_device": current,
            "device_bound": devices.is_device_bound(request.user),
        },
    )


@requires(None)
def device_pending(request: HttpRequest) -> HttpResponse:
    device = devices.session_device(request)
    return render(request, "identity/device_pending.html", {"device": device})


@requires(None)
@require_http_methods(["GET", "POST"])
def my_sessions(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    current_key = request.session.session_key
    if request.method == "POST":
        if request.POST.get("action") == "end_others":
            count = sessions.end_all_sessions(
                user, why="ended by the user", keep_session_key=current_key
            )
            messages.success(request, _("%(n)s other session(s) ended.") % {"n": count})
        else:
            session = next(
                (
                    s
                    for s in sessions.sessions_of(request.user)
                    if str(s.pk) == request.POST.get("session")
                ),
                None,
            )
            if session is None:
                messages.error(request, _("This session has already ended."))
            else:
                try:
                    sessions.revoke_session(request.user, session, current_key=current_key)
                except ValidationError as exc:
                    _error(request, exc)
                else:
                    messages.success(request, _("Session ended."))
        return HttpResponseRedirect(reverse("identity:my_sessions"))
    rows: list[dict[str, Any]] = [
        {"session": s, "current": s.session_key == current_key}
        for s in sessions.sessions_of(request.user)
    ]
    return render(request, "identity/my_sessions.html", {"rows": rows})


@requires(None)
def my_notices(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    items = list(SecurityNotice.objects.filter(user=user)[:100])
    rows = [{"notice": n, "text": notices.render(n), "unread": n.read_at is None} for n in items]
    notices.mark_read(user)
    return render(request, "identity/my_notices.html", {"rows": rows})


@requires("identity.manage_devices")
@require_http_methods(["GET", "POST"])
def admin_devices(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        device = get_object_or_404(Device, pk=request.POST.get("device"))
        reason = request.POST.get("reason") or ""
        try:
            if request.POST.get("action") == "approve":
                devices.approve(request.user, device, reason)
                messages.success(request, _("Device %(name)s approved.") % {"name": device.name})
            else:
                devices.revoke(request.user, device, reason)
                messages.success(request, _("Device %(name)s revoked.") % {"name": device.name})
        except ValidationError as exc:
            _error(request, exc)
        return HttpResponseRedirect(reverse("identity:admin_devices"))
    pending = set(devices.pending_for_bound_users().values_list("pk", flat=True))
    rows = [{"device": d, "pending": d.pk in pending} for d in devices.all_devices(request.user)]
    return render(request, "identity/admin_devices.html", {"rows": rows})


@requires("identity.unlock_accounts")
@require_http_methods(["GET", "POST"])
def lockouts(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        throttle = get_object_or_404(LoginThrottle, pk=request.POST.get("throttle"))
        try:
            lockout.unlock(request.user, throttle, request.POST.get("reason") or "")
        except ValidationError as exc:
            _error(request, exc)
        else:
            messages.success(request, _("%(name)s unlocked.") % {"name": throttle.username})
        return HttpResponseRedirect(reverse("identity:lockouts"))
    return render(request, "identity/lockouts.html", {"locked": lockout.locked_accounts()})


@requires(None)
def allauth_sessions_redirect(request: HttpRequest) -> HttpResponse:
    """/accounts/sessions/ (allauth.usersessions) → "My sessions", which audits what it ends."""
    return HttpResponseRedirect(reverse("identity:my_sessions"))
