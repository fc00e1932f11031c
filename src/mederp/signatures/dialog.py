"""The e-signature dialog for any controlled transition (HTMX, CSP-safe, works without JS).

A domain declares the transition and mounts the view:

    APPROVE = SignedTransition(
        code="access.approve_grant",
        meaning="approved",
        permission="identity.assign_role",
        title=_("Approve privileged role grant"),
        load=lambda request, pk: get_object_or_404(grants_visible_to(request.user), pk=pk),
        perform=lambda request, grant, s: services.approve_grant(
            request.user, grant, password=s.password, otp=s.otp, reason=s.reason,
            session=s.session),
        success_url=lambda grant: reverse("access:grant", args=[grant.pk]),
    )
    urlpatterns = [path("grants/<int:pk>/approve/", esign_view(APPROVE), name="grant_approve")]

and links to it from the record page with `{% esign_button url label %}` (plus
`{% esign_assets %}` in `extra_head` and `{% esign_slot %}` once in the page). With
JavaScript, the button loads the dialog into the slot and `esign.js` opens it as a modal
<dialog>; without, it is a link to the same URL, which then renders a full page.

`perform` calls the domain service, which calls `identity.services.sign(...)` inside its own
transaction: the signature and the transition commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from mederp.identity.decorators import requires
from mederp.signatures.forms import SignatureForm
from mederp.signatures.models import Meaning
from mederp.signatures.services import printed_name, totp_required

_SIGNED = _("Signed.")


@dataclass(frozen=True)
class SigningInput:
    password: str
    otp: str | None
    reason: str
    session: Any


@dataclass(frozen=True)
class SignedTransition:
    code: str
    meaning: str
    permission: str
    title: str | Promise
    load: Callable[[HttpRequest, Any], Any]  # the record, or Http404 when not visible
    perform: Callable[[HttpRequest, Any, SigningInput], Any]
    success_url: Callable[[Any], str]
    statement: str | Promise = ""  # what the signer declares, shown above the fields
    describe: Callable[[Any], list[tuple[str | Promise, Any]]] | None = None
    reason_required: bool = False
    success_message: str | Promise = _SIGNED
    cancel_url: Callable[[Any], str] | None = None

    @property
    def meaning_label(self) -> str:
        return str(dict(Meaning.choices)[self.meaning])


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _apply_errors(form: SignatureForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error.messages if hasattr(error, "messages") else error)
    else:
        form.add_error(None, exc.messages)


def esign_view(transition: SignedTransition) -> Callable[..., HttpResponse]:
    @require_http_methods(["GET", "POST"])
    @requires(transition.permission)
    def view(request: HttpRequest, pk: Any) -> HttpResponse:
        record = transition.load(request, pk)
        needs_otp = totp_required(request.user, request.session)
        form = SignatureForm(
            request.POST if request.method == "POST" else None,
            needs_otp=needs_otp,
            reason_required=transition.reason_required,
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                transition.perform(
                    request,
                    record,
                    SigningInput(
                        password=data["password"],
                        otp=data.get("otp") or None,
                        reason=data.get("reason", ""),
                        session=request.session,
                    ),
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            except PermissionDenied as exc:
                # A segregation-of-duties rule or a refused signing: already in the ledger.
                form.add_error(None, str(exc))
            else:
                messages.success(request, str(transition.success_message))
                target = transition.success_url(record)
                if _is_htmx(request):
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = target
                    return response
                return redirect(target)
        for name in form.errors:
            if name in form.fields:
                form.fields[name].widget.attrs["aria-invalid"] = "true"
                form.fields[name].widget.attrs["aria-describedby"] = f"esign-{name}-errors"
        cancel = (
            transition.cancel_url(record)
            if transition.cancel_url
            else (transition.success_url(record))
        )
        context = {
            "transition": transition,
            "record": record,
            "form": form,
            "action": request.get_full_path(),
            "cancel_url": cancel,
            "details": transition.describe(record) if transition.describe else [],
            "printed_name": printed_name(request.user),  # type: ignore[arg-type]
            "needs_otp": needs_otp,
            "non_field_errors": form.errors.get(NON_FIELD_ERRORS, []),
        }
        template = "signatures/_dialog.html" if _is_htmx(request) else "signatures/dialog_page.html"
        return render(request, template, context)

    view.__name__ = view.__qualname__ = f"esign_{transition.code.replace('.', '_')}"
    return view
