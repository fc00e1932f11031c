"""Every API error is an RFC 9457 problem detail (application/problem+json)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

PROBLEM_BASE = "https://mederp.dev/problems/"  # identifiers only, never fetched

# Lazy: translated into the language of each request, not the one active at import.
_TITLES = {
    400: gettext_lazy("Invalid request"),
    401: gettext_lazy("Not signed in"),
    403: gettext_lazy("Not allowed"),
    404: gettext_lazy("Not found"),
    405: gettext_lazy("Method not allowed"),
    406: gettext_lazy("Not acceptable"),
    409: gettext_lazy("Conflict"),
    415: gettext_lazy("Unsupported media type"),
    429: gettext_lazy("Too many requests"),
    500: gettext_lazy("Server error"),
}
PROBLEM_CONTENT_TYPE = "application/problem+json"


def is_api_request(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def problem_response(request: HttpRequest, status: int, code: str, detail: str) -> JsonResponse:
    """A problem detail for errors raised outside DRF (unknown URLs, server errors)."""
    body: dict[str, Any] = {
        "type": f"{PROBLEM_BASE}{code}",
        "title": str(_TITLES.get(status, _("Error"))),
        "status": status,
        "detail": detail,
        "instance": request.get_full_path(),
    }
    rid = getattr(request, "request_id", None)
    if rid:
        body["request_id"] = rid
    return JsonResponse(body, status=status, content_type=PROBLEM_CONTENT_TYPE)


def _django_validation_to_drf(exc: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(exc, "error_dict"):
        return exceptions.ValidationError(exc.message_dict)
    return exceptions.ValidationError({"non_field_errors": exc.messages})


def _flatten(detail: Any) -> str:
    if isinstance(detail, list):
        return " ".join(_flatten(d) for d in detail)
    if isinstance(detail, dict):
        return " ".join(f"{k}: {_flatten(v)}" for k, v in detail.items())
    return str(detail)


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = _django_validation_to_drf(exc)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = exception_handler(exc, context)
    if response is None:
        return None
    code = response.status_code
    data = response.data
    body: dict[str, Any] = {
        "type": f"{PROBLEM_BASE}{getattr(exc, 'default_code', 'error')}",
        "title": str(_TITLES.get(code, _("Error"))),
        "status": code,
    }
    if isinstance(exc, exceptions.ValidationError):
        body["detail"] = _("One or more fields are invalid.")
        body["errors"] = data if isinstance(data, dict) else {"non_field_errors": data}
        if isinstance(data, dict) and set(data) == {"non_field_errors"}:
            body["detail"] = _flatten(data["non_field_errors"])
    else:
        body["detail"] = _flatten(data.get("detail", data) if isinstance(data, dict) else data)
    request = context.get("request")
    if request is not None:
        body["instance"] = request.get_full_path()
        rid = getattr(request, "request_id", None)
        if rid:
            body["request_id"] = rid
    response.data = body
    response.content_type = PROBLEM_CONTENT_TYPE
    if code == status.HTTP_403_FORBIDDEN and request is not None:
        from mederp.audit.denials import record_denial

        record_denial(request, str(body["detail"]))
    return response
