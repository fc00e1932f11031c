from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.http import require_POST

from mederp.api.errors import is_api_request, problem_response
from mederp.identity.decorators import requires
from mederp.identity.selectors import SESSION_SITE_KEY, active_assignments, user_sites
from mederp.ui.forms import SiteSwitchForm


@requires("core.view_dashboard")
def home(request: HttpRequest) -> HttpResponse:
    assignments = list(active_assignments(request.user))
    return render(
        request,
        "ui/home.html",
        {
            "assignments": assignments,
            "sites": list(user_sites(request.user)),
        },
    )


@require_POST
@requires(None)
def switch_site(request: HttpRequest) -> HttpResponse:
    form = SiteSwitchForm(request.POST, user=request.user)
    if not form.is_valid():
        return HttpResponseBadRequest(" ".join(str(e) for e in form.errors.get("site", [])))
    site = form.cleaned_data["site"]
    request.session[SESSION_SITE_KEY] = site.pk
    messages.success(request, _("You are now working at %(site)s.") % {"site": site.label})
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=True):
        target = "/"
    return redirect(target)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    from mederp.audit.denials import record_denial

    detail = (
        str(exception) if exception and str(exception) else _("You are not allowed to do this.")
    )
    record_denial(request, detail)
    if is_api_request(request):
        return problem_response(request, 403, "permission_denied", detail)
    return render(request, "ui/403.html", {"detail": detail}, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_request(request):
        return problem_response(request, 404, "not_found", _("There is nothing at this address."))
    return render(request, "ui/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """API clients get a problem detail; browsers Django's plain page, which needs neither the
    database nor the base layout (either may be what failed)."""
    if is_api_request(request):
        return problem_response(
            request,
            500,
            "server_error",
            _("Something went wrong on our side. Quote the request id when reporting it."),
        )
    return defaults.server_error(request)


def csrf_failure(request: HttpRequest, reason: str = "", **kwargs: Any) -> HttpResponse:
    return render(request, "ui/csrf_failure.html", status=403)
