"""Audit-trail pages: global search, one entry, one record's trail, exports.

Every view needs `audit.view_trail` (exports: `audit.export`) at one site at least; what it then
shows is scoped by `selectors.entries_visible_to`, so an entry of another site is a 404.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from mederp.audit import display, exports, services
from mederp.audit.canonical import entry_leaf_hash
from mederp.audit.forms import AuditFilterForm, ExportForm
from mederp.audit.models import AuditEntry
from mederp.audit.selectors import (
    EXPORT_PERM,
    SORTS,
    VIEW_PERM,
    EntryFilter,
    entry_for,
    object_trail,
    search_entries,
)
from mederp.identity.authz import authorize, has_perm

PAGE_SIZE = 50
TRAIL_LIMIT = 100

View = Callable[..., HttpResponse]


def requires_somewhere(perm: str) -> Callable[[View], View]:
    """Like `identity.decorators.requires`, but the permission may be held at any site: the
    audit pages span sites, and their querysets keep each user to the sites they may see."""

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


@dataclass(frozen=True)
class Row:
    """An entry as a person reads it."""

    entry: AuditEntry
    who: str
    action: str
    object: str
    changes: list[display.ChangeLine]


def rows(entries: Iterable[AuditEntry]) -> list[Row]:
    return [
        Row(
            entry=e,
            who=display.actor_display(e),
            action=display.label_for(e),
            object=display.object_display(e),
            changes=display.change_lines(e),
        )
        for e in entries
    ]


def _is_partial(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not getattr(htmx, "history_restore_request", False)


def _query(params: dict[str, Any], **overrides: Any) -> str:
    merged = {k: v for k, v in params.items() if v not in ("", None)}
    for key, value in overrides.items():
        if value in ("", None):
            merged.pop(key, None)
        else:
            merged[key] = value
    return urlencode(merged)


def _sort_links(params: dict[str, Any], current: str) -> dict[str, dict[str, str]]:
    """For the seq and time column headings: the link that sorts by them, and aria-sort."""
    out = {}
    for key in ("seq", "time"):
        if current == f"-{key}":
            nxt, aria = key, "descending"
        elif current == key:
            nxt, aria = f"-{key}", "ascending"
        else:
            nxt, aria = f"-{key}", "none"
        out[key] = {"query": _query(params, sort=nxt, page=None), "aria": aria}
    return out


@require_GET
@requires_somewhere(VIEW_PERM)
def search(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None, user=request.user)
    flt = form.to_filter() if form.is_bound and form.is_valid() else EntryFilter()
    if form.is_bound and not form.is_valid():
        entries = AuditEntry.objects.none()
    else:
        entries = search_entries(request.user, flt)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    params = {k: v for k, v in request.GET.items() if k != "page"}
    sort = flt.sort if flt.sort in SORTS else "-seq"
    context = {
        "form": form,
        "export_form": ExportForm(
            request.GET if form.is_bound and form.is_valid() else None, user=request.user
        ),
        "can_export": has_perm(request.user, EXPORT_PERM),
        "page": page,
        "rows": rows(page.object_list),
        "query": _query(params),
        "sort_links": _sort_links(params, sort),
        "time_zone": timezone.get_current_timezone_name(),
    }
    template = "audit/_results.html" if _is_partial(request) else "audit/search.html"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@require_GET
@requires_somewhere(VIEW_PERM)
def entry_detail(request: HttpRequest, seq: int) -> HttpResponse:
    entry = entry_for(request.user, seq)
    if entry is None:
        raise Http404(_("No such audit entry."))
    payload = entry.payload
    try:
        readable = json.dumps(json.loads(payload), ensure_ascii=False, indent=2, sort_keys=True)
    except ValueError:
        readable = payload
    return render(
        request,
        "audit/detail.html",
        {
            "row": rows([entry])[0],
            "payload": payload,
            "readable_payload": readable,
            "hash_ok": entry_leaf_hash(payload.encode("utf-8")) == entry.leaf_hash,
            "time_zone": timezone.get_current_timezone_name(),
        },
    )


def trail_context(user: Any, object_type: str, object_id: str, obj: Any = None) -> dict[str, Any]:
    """What `audit/_trail.html` needs; `allowed` is False when the user may not see it."""
    qs = object_trail(user, object_type, object_id, obj=obj)
    if qs is None:
        return {"allowed": False, "object_type": object_type, "object_id": object_id}
    total = qs.count()
    shown = rows(qs[:TRAIL_LIMIT])
    return {
        "allowed": True,
        "object_type": object_type,
        "object_id": object_id,
        "object_label": shown[0].object if shown else f"{object_type} #{object_id}",
        "rows": shown,
        "total": total,
        "truncated": total > TRAIL_LIMIT,
        "search_query": urlencode({"object_type": object_type, "object_id": object_id}),
        "time_zone": timezone.get_current_timezone_name(),
    }


@require_GET
@requires_somewhere(VIEW_PERM)
def trail(request: HttpRequest, object_type: str, object_id: str) -> HttpResponse:
    context = trail_context(request.user, object_type, object_id)
    if not context["allowed"]:
        raise Http404(_("No audit trail to show."))
    template = "audit/_trail.html" if _is_partial(request) else "audit/trail.html"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@require_POST
@requires_somewhere(EXPORT_PERM)
def export(request: HttpRequest) -> HttpResponse:
    form = ExportForm(request.POST, user=request.user)
    back_params = {
        k: v for k, v in request.POST.items() if k not in ("csrfmiddlewaretoken", "format")
    }
    back = reverse("audit:search") + ("?" + _query(back_params) if back_params else "")
    if not form.is_valid():
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        messages.error(request, _("The export was not made: %(errors)s") % {"errors": errors})
        return redirect(back)
    fmt = form.cleaned_data["format"]
    try:
        data = services.export_entries(request.user, form.to_filter(), fmt)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(back)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response = HttpResponse(data, content_type=exports.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="audit-trail-{stamp}.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response
