"""Contact people pages: list (masked), detail with the audited reveal, exports, erasure.

Every view declares its permission; what it then shows is scoped by the selectors, so a record
of a site the user may not see is a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mederp.data import exports, masking, selectors, services
from mederp.data.forms import DecisionForm, ExportForm, PersonFilterForm, PersonForm, ReasonForm
from mederp.data.models import Person, ShredRequest
from mederp.identity.authz import authorize, has_perm

View = Callable[..., HttpResponse]
SHOWN = ["name", "phone", "email", "birth_date"]
DETAIL = ["name", "phone", "email", "birth_date", "notes", "preferences"]


def requires_somewhere(perm: str) -> Callable[[View], View]:
    """Sign-in and `perm` at one site at least; the selectors scope what is shown."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            authorize(request.user, perm)
            return view(request, *args, **kwargs)

        wrapper.required_permission = perm  # type: ignore[attr-defined]
        return wrapper

    return decorate


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def _row(user: Any, person: Person, names: list[str]) -> dict[str, Any]:
    clear = masking.may_see_clear(user, person)
    return {
        "person": person,
        "clear": clear,
        "values": masking.present_all(person, names, clear),
    }


@require_http_methods(["GET", "POST"])
@requires_somewhere("people.view")
def people_list(request: HttpRequest) -> HttpResponse:
    """GET lists (kind filter, pages). An exact search by email or phone is a POST: personal
    data stays out of URLs, access logs and browser histories."""
    data = request.POST if request.method == "POST" else request.GET
    form = PersonFilterForm(data or None)
    valid = form.is_bound and form.is_valid()
    flt = form.to_filter() if valid else selectors.PersonFilter()
    people = selectors.search_people(request.user, flt).open_fields(*SHOWN)  # type: ignore[attr-defined]
    if form.is_bound and not valid:
        people = people.none()
    page = Paginator(people, 50).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "rows": [_row(request.user, p, SHOWN) for p in page.object_list],
        "can_export": has_perm(request.user, selectors.EXPORT_PERM),
        "can_create": has_perm(request.user, "people.manage"),
        "export_form": ExportForm(initial=form.cleaned_data if valid else {}),
        "searched": request.method == "POST",
    }
    return _no_store(render(request, "data/people_list.html", context))


@require_http_methods(["GET", "POST"])
@requires_somewhere("people.manage")
def person_create(request: HttpRequest) -> HttpResponse:
    form = PersonForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            person = services.create_person(request.user, **data)
        except ValidationError as exc:
            for field, errors in getattr(exc, "message_dict", {"__all__": exc.messages}).items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Contact %(ref)s created.") % {"ref": person.reference})
            return redirect("data:person", pk=person.pk)
    return render(request, "data/person_form.html", {"form": form})


def _person(request: HttpRequest, pk: Any) -> Person:
    person = selectors.person_for(request.user, pk)
    if person is None:
        raise Http404(_("No such contact."))
    return person


def _detail(
    request: HttpRequest,
    person: Person,
    *,
    revealed: dict[str, Any] | None = None,
    reveal_form: ReasonForm | None = None,
    erasure_form: ReasonForm | None = None,
    status: int = 200,
) -> HttpResponse:
    row = _row(request.user, person, DETAIL)
    if revealed is not None:
        row["values"] = revealed
        row["clear"] = True
    context = {
        "row": row,
        "person": person,
        "revealed": revealed is not None,
        "can_reveal": not person.is_erased
        and not row["clear"]
        and has_perm(request.user, "data.reveal", person.site),
        "reveal_form": reveal_form or ReasonForm(prefix="reveal"),
        "can_request_erasure": not person.is_erased
        and has_perm(request.user, "data.request_shred", person.site),
        "erasure_form": erasure_form or ReasonForm(prefix="erasure"),
        "requests": list(person.shred_requests.select_related("requested_by", "decided_by")),
        "field_labels": {n: getattr(Person._meta.get_field(n), "verbose_name", n) for n in DETAIL},
    }
    return _no_store(render(request, "data/person_detail.html", context, status=status))


@require_GET
@requires_somewhere("people.view")
def person_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    return _detail(request, _person(request, pk))


@require_POST
@requires_somewhere("data.reveal")
def person_reveal(request: HttpRequest, pk: Any) -> HttpResponse:
    person = _person(request, pk)
    form = ReasonForm(request.POST, prefix="reveal")
    if not form.is_valid():
        return _detail(request, person, reveal_form=form, status=400)
    try:
        values = services.reveal(request.user, person, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        form.add_error(None, exc.messages)
        return _detail(request, person, reveal_form=form, status=400)
    shown = {name: masking.display(values.get(name)) for name in DETAIL}
    return _detail(request, person, revealed=shown)


@require_POST
@requires_somewhere("data.request_shred")
def erasure_request(request: HttpRequest, pk: Any) -> HttpResponse:
    person = _person(request, pk)
    form = ReasonForm(request.POST, prefix="erasure")
    if not form.is_valid():
        return _detail(request, person, erasure_form=form, status=400)
    try:
        services.request_erasure(request.user, person, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        form.add_error(None, exc.messages)
        return _detail(request, person, erasure_form=form, status=400)
    messages.success(request, _("Erasure requested. A Data Protection Officer must approve it."))
    return redirect("data:person", pk=person.pk)


@require_POST
@requires_somewhere(selectors.EXPORT_PERM)
def people_export(request: HttpRequest) -> HttpResponse:
    form = ExportForm(request.POST)
    back = reverse("data:people")
    if not form.is_valid():
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        messages.error(request, _("The export was not made: %(errors)s") % {"errors": errors})
        return redirect(back)
    fmt = form.cleaned_data["format"]
    try:
        data = services.export_people(
            request.user, form.to_filter(), fmt, purpose=form.cleaned_data["purpose"]
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect(back)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response = HttpResponse(data, content_type=exports.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="contact-people-{stamp}.{fmt}"'
    return _no_store(response)


@require_GET
@requires_somewhere("data.request_shred")
def erasure_requests(request: HttpRequest) -> HttpResponse:
    requests = list(selectors.shred_requests_visible_to(request.user)[:200])
    rows = [
        {
            "request": r,
            "can_decide": r.status == ShredRequest.Status.PENDING
            and has_perm(request.user, "data.shred", r.site)
            and r.requested_by_id != request.user.pk,
        }
        for r in requests
    ]
    return render(request, "data/erasure_requests.html", {"rows": rows, "form": DecisionForm()})


@require_POST
@requires_somewhere("data.shred")
def erasure_decide(request: HttpRequest, pk: int) -> HttpResponse:
    shred = selectors.shred_requests_visible_to(request.user).filter(pk=pk).first()
    if shred is None:
        raise Http404(_("No such erasure request."))
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("A decision and a reason are required."))
        return redirect("data:erasure_requests")
    reason = form.cleaned_data["reason"]
    try:
        if form.cleaned_data["decision"] == "approve":
            services.shred_subject(request.user, shred, reason=reason)
            messages.success(request, _("Approved: the person's data is erased."))
        else:
            services.reject_erasure(request.user, shred, reason=reason)
            messages.success(request, _("The erasure request was rejected."))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    return redirect("data:erasure_requests")
