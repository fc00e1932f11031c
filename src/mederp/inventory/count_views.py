"""Cycle-count pages: list, start, the count sheet (enter, submit, approve, send back,
cancel). The rules live in counts.py; these views only show and hand over."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mederp.audit.views import trail_context
from mederp.identity.authz import has_perm
from mederp.inventory import counts, selectors
from mederp.inventory.choices import CountStatus
from mederp.inventory.forms import CountAddLineForm, CountFilterForm, CountStartForm, ReasonForm
from mederp.inventory.models import CycleCount
from mederp.inventory.views import _page, _query_without_page, form_errors, requires_somewhere


@require_GET
@requires_somewhere("inventory.view")
def count_list(request: HttpRequest) -> HttpResponse:
    form = CountFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_bound and form.is_valid() else ""
    rows = selectors.counts_for(request.user, status=status)
    return render(
        request,
        "inventory/counts.html",
        {
            "form": form,
            "page": _page(request, rows),
            "query": _query_without_page(request),
            "can_start": has_perm(request.user, "inventory.count"),
        },
    )


@require_http_methods(["GET", "POST"])
@requires_somewhere("inventory.count")
def count_start(request: HttpRequest) -> HttpResponse:
    form = CountStartForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            count = counts.start_count(
                request.user,
                location=form.cleaned_data["location"],
                reason=form.cleaned_data["reason"],
            )
        except (ValidationError, PermissionDenied) as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Cycle count %(n)s started.") % {"n": count.number})
            return redirect("inventory:count", pk=count.pk)
    status = 400 if form.errors else 200
    return render(request, "inventory/count_start.html", {"form": form}, status=status)


def _count(request: HttpRequest, pk: int) -> CycleCount:
    count = selectors.count_for(request.user, pk)
    if count is None:
        raise Http404(_("No such cycle count."))
    return count


def _sheet(
    request: HttpRequest,
    count: CycleCount,
    *,
    errors: list[str] | None = None,
    form: ReasonForm | None = None,
    line_form: CountAddLineForm | None = None,
    status: int = 200,
) -> HttpResponse:
    lines = list(count.lines.select_related("lot", "item", "item__uom", "location", "counted_by"))
    for line in lines:
        line.needs_approval = counts.needs_approval(line)  # type: ignore[attr-defined]
    is_open = count.status == CountStatus.OPEN
    pending = count.status == CountStatus.PENDING_APPROVAL
    may_count = has_perm(request.user, "inventory.count", count.site)
    may_approve = has_perm(request.user, "inventory.approve_count", count.site)
    return render(
        request,
        "inventory/count_detail.html",
        {
            "count": count,
            "lines": lines,
            "errors": errors or [],
            "can_enter": is_open and may_count,
            "can_approve": pending and may_approve,
            "can_cancel": (is_open or pending) and may_count,
            "form": form or ReasonForm(),
            "line_form": line_form or CountAddLineForm(count=count),
            "percent": counts.approval_percent(),
            "trail": trail_context(request.user, "inventory.cyclecount", str(count.pk), obj=count),
        },
        status=status,
    )


@require_GET
@requires_somewhere("inventory.view")
def count_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _sheet(request, _count(request, pk))


def _messages(exc: ValidationError | PermissionDenied) -> list[str]:
    return [str(exc)] if isinstance(exc, PermissionDenied) else list(exc.messages)


@require_POST
@requires_somewhere("inventory.count")
def count_enter(request: HttpRequest, pk: int) -> HttpResponse:
    """Counted quantities (`counted-<line id>`) and reasons (`reason-<line id>`); with
    `submit` set, they are saved and the count submitted in one step (a refusal saves
    nothing)."""
    count = _count(request, pk)
    entries: dict[int, tuple[Any, str]] = {}
    for line_id in count.lines.values_list("pk", flat=True):
        value = request.POST.get(f"counted-{line_id}", "")
        if value.strip():
            entries[line_id] = (value, request.POST.get(f"reason-{line_id}", ""))
    try:
        if request.POST.get("submit"):
            count = counts.submit_count(request.user, count, entries=entries)
        else:
            count = counts.enter_counts(request.user, count, entries)
    except (ValidationError, PermissionDenied) as exc:
        return _sheet(request, _count(request, pk), errors=_messages(exc), status=400)
    if count.status == CountStatus.POSTED:
        messages.success(request, _("Count posted: the adjustments are in the stock ledger."))
    elif count.status == CountStatus.PENDING_APPROVAL:
        messages.success(request, _("Count submitted: a second person must approve it."))
    else:
        messages.success(request, _("Counted quantities saved."))
    return redirect("inventory:count", pk=count.pk)


@require_POST
@requires_somewhere("inventory.count")
def count_add_line(request: HttpRequest, pk: int) -> HttpResponse:
    count = _count(request, pk)
    form = CountAddLineForm(request.POST, count=count)
    if form.is_valid():
        lot = selectors.lot_by_number(request.user, form.cleaned_data["lot"])
        if lot is None:
            form.add_error("lot", _("No lot with this number at your sites."))
        else:
            try:
                counts.add_line(
                    request.user, count, lot=lot, location=form.cleaned_data["location"]
                )
            except (ValidationError, PermissionDenied) as exc:
                form_errors(form, exc)
            else:
                return redirect("inventory:count", pk=count.pk)
    return _sheet(request, count, line_form=form, status=400)


def _decide(action: Callable[..., CycleCount], done: str) -> Callable[..., HttpResponse]:
    def handle(request: HttpRequest, pk: int) -> HttpResponse:
        count = _count(request, pk)
        form = ReasonForm(request.POST)
        if form.is_valid():
            try:
                action(request.user, count, reason=form.cleaned_data["reason"])
            except (ValidationError, PermissionDenied) as exc:
                form_errors(form, exc)
            else:
                messages.success(request, done)
                return redirect("inventory:count", pk=count.pk)
        return _sheet(request, _count(request, pk), form=form, status=400)

    return handle


@require_POST
@requires_somewhere("inventory.approve_count")
def count_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(counts.approve_count, _("Count approved and posted."))(request, pk)


@require_POST
@requires_somewhere("inventory.approve_count")
def count_reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(counts.reject_count, _("Count sent back for a recount."))(request, pk)


@require_POST
@requires_somewhere("inventory.count")
def count_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(counts.cancel_count, _("Count cancelled."))(request, pk)
