"""Inventory pages: stock by item / lot / location, locations, lots, serial numbers, movements
and the transfer / issue / scrap / return forms. Cycle counts are in count_views.py.

Every view declares its permission (held at one site at least); what it shows is scoped by the
selectors, so a record of a site the user may not see is a 404. The services authorize again
at the record's site and apply every rule.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mederp.audit.views import trail_context
from mederp.identity.authz import authorize, has_perm
from mederp.inventory import selectors, services
from mederp.inventory.choices import LotStatus
from mederp.inventory.forms import (
    FefoForm,
    LocationChangeForm,
    LocationForm,
    LotFilterForm,
    MoveFilterForm,
    MoveForm,
    ReasonForm,
    SerialFilterForm,
    StockViewForm,
)
from mederp.inventory.models import Location, Lot
from mederp.items.models import Item

View = Callable[..., HttpResponse]
PAGE = 50
LOT_TABS = ("details", "stock", "serials", "movements", "audit")


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


def form_errors(form: Form, exc: ValidationError | PermissionDenied) -> None:
    """Put a service's refusal on the form: on its field when it names one, else on top."""
    if isinstance(exc, PermissionDenied):
        form.add_error(None, str(exc))
        return
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _page(request: HttpRequest, rows: Any) -> Any:
    return Paginator(rows, PAGE).get_page(request.GET.get("page"))


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


# --- stock view -------------------------------------------------------------------------------
@require_GET
@requires_somewhere("inventory.view")
def stock(request: HttpRequest) -> HttpResponse:
    form = StockViewForm(request.GET or None, user=request.user)
    by, site, item = "item", None, ""
    if form.is_bound and form.is_valid():
        by = form.cleaned_data["by"] or "item"
        site = form.cleaned_data["site"]
        item = form.cleaned_data["item"]
    rows = selectors.stock(request.user, by, site=site, item=item)
    for row in rows:
        if "lot__status" in row:
            row["status_label"] = LotStatus(row["lot__status"]).label
    return render(
        request,
        "inventory/stock.html",
        {
            "form": form,
            "by": by,
            "page": _page(request, rows),
            "query": _query_without_page(request),
        },
    )


# --- locations -------------------------------------------------------------------------------
@require_GET
@requires_somewhere("inventory.view")
def locations(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "inventory/locations.html",
        {
            "tree": selectors.location_tree(request.user),
            "can_manage": has_perm(request.user, "inventory.manage_locations"),
        },
    )


@require_http_methods(["GET", "POST"])
@requires_somewhere("inventory.manage_locations")
def location_create(request: HttpRequest) -> HttpResponse:
    form = LocationForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            loc = services.create_location(request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Location %(code)s created.") % {"code": loc.code})
            return redirect("inventory:location", pk=loc.pk)
    status = 400 if form.errors else 200
    return render(request, "inventory/location_form.html", {"form": form}, status=status)


def _location(request: HttpRequest, pk: int) -> Location:
    loc = selectors.locations_for(request.user).filter(pk=pk).first()
    if loc is None:
        raise Http404(_("No such location."))
    return loc


def _location_page(
    request: HttpRequest, loc: Location, form: LocationChangeForm | None = None, status: int = 200
) -> HttpResponse:
    initial = {f: getattr(loc, f) for f in ("name", "kind", "storage_condition", "active")}
    rows = [
        r
        for r in selectors.stock(request.user, "location", site=loc.site)
        if r["location_id"] == loc.pk
    ]
    for row in rows:
        row["status_label"] = LotStatus(row["lot__status"]).label
    return render(
        request,
        "inventory/location_detail.html",
        {
            "location": loc,
            "children": list(loc.children.order_by("code")),
            "rows": rows,
            "can_manage": has_perm(request.user, "inventory.manage_locations", loc.site),
            "form": form or LocationChangeForm(initial=initial),
            "trail": trail_context(request.user, "inventory.location", str(loc.pk), obj=loc),
        },
        status=status,
    )


@require_GET
@requires_somewhere("inventory.view")
def location_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _location_page(request, _location(request, pk))


@require_POST
@requires_somewhere("inventory.manage_locations")
def location_update(request: HttpRequest, pk: int) -> HttpResponse:
    loc = _location(request, pk)
    form = LocationChangeForm(request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        reason = data.pop("reason")
        try:
            services.update_location(request.user, loc, reason=reason, **data)
        except (ValidationError, PermissionDenied) as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Location %(code)s changed.") % {"code": loc.code})
            return redirect("inventory:location", pk=loc.pk)
    return _location_page(request, loc, form, status=400)


# --- lots ------------------------------------------------------------------------------------
@require_GET
@requires_somewhere("inventory.view")
def lots(request: HttpRequest) -> HttpResponse:
    form = LotFilterForm(request.GET or None, user=request.user)
    valid = form.is_bound and form.is_valid()
    rows = selectors.lots_for(request.user, form.to_filter() if valid else None)
    if form.is_bound and not valid:
        rows = rows.none()
    return render(
        request,
        "inventory/lots.html",
        {"form": form, "page": _page(request, rows), "query": _query_without_page(request)},
    )


def _lot(request: HttpRequest, pk: int) -> Lot:
    lot = selectors.lot_for(request.user, pk)
    if lot is None:
        raise Http404(_("No such lot."))
    return lot


def _lot_page(
    request: HttpRequest, lot: Lot, form: ReasonForm | None = None, status: int = 200
) -> HttpResponse:
    tab = request.GET.get("tab", "details")
    if tab not in LOT_TABS:
        tab = "details"
    context: dict[str, Any] = {
        "lot": lot,
        "tab": tab,
        "tabs": [
            ("details", _("Details")),
            ("stock", _("Stock by location")),
            ("serials", _("Serial numbers")),
            ("movements", _("Movements")),
            ("audit", _("Audit trail")),
        ],
        "on_hand": selectors.on_hand(lot.item, lot=lot),
        "can_hold": lot.status == LotStatus.RELEASED
        and has_perm(request.user, "inventory.hold_lot", lot.site),
        "can_lift": lot.status == LotStatus.ON_HOLD
        and has_perm(request.user, "inventory.hold_lot", lot.site),
        "form": form or ReasonForm(),
    }
    if tab == "stock":
        context["balances"] = list(
            lot.balances.filter(quantity__gt=0)
            .select_related("location")
            .order_by("location__code")
        )
    elif tab == "serials":
        context["serials"] = list(lot.serials.select_related("location").order_by("serial")[:500])
    elif tab == "movements":
        context["moves"] = list(selectors.moves_for(request.user, lot=lot)[:500])
    elif tab == "audit":
        context["trail"] = trail_context(request.user, "inventory.lot", str(lot.pk), obj=lot)
    return render(request, "inventory/lot_detail.html", context, status=status)


@require_GET
@requires_somewhere("inventory.view")
def lot_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _lot_page(request, _lot(request, pk))


def _hold_action(request: HttpRequest, pk: int, action: Callable[..., Lot], done: str) -> Any:
    lot = _lot(request, pk)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            action(request.user, lot, reason=form.cleaned_data["reason"])
        except (ValidationError, PermissionDenied) as exc:
            form_errors(form, exc)
        else:
            messages.success(request, done % {"lot": lot.number})
            return redirect("inventory:lot", pk=lot.pk)
    return _lot_page(request, lot, form, status=400)


@require_POST
@requires_somewhere("inventory.hold_lot")
def lot_hold(request: HttpRequest, pk: int) -> HttpResponse:
    return _hold_action(request, pk, services.hold_lot, _("Lot %(lot)s is on hold."))


@require_POST
@requires_somewhere("inventory.hold_lot")
def lot_lift_hold(request: HttpRequest, pk: int) -> HttpResponse:
    return _hold_action(request, pk, services.lift_hold, _("The hold on lot %(lot)s is lifted."))


# --- serials and movements -------------------------------------------------------------------
@require_GET
@requires_somewhere("inventory.view")
def serials(request: HttpRequest) -> HttpResponse:
    form = SerialFilterForm(request.GET or None)
    status, item = "", ""
    if form.is_bound and form.is_valid():
        status, item = form.cleaned_data["status"], form.cleaned_data["item"]
    rows = selectors.serials_for(request.user, status=status, item=item)
    return render(
        request,
        "inventory/serials.html",
        {"form": form, "page": _page(request, rows), "query": _query_without_page(request)},
    )


@require_GET
@requires_somewhere("inventory.view")
def serial_detail(request: HttpRequest, pk: int) -> HttpResponse:
    serial = selectors.serials_for(request.user).filter(pk=pk).first()
    if serial is None:
        raise Http404(_("No such serial number."))
    moves = list(selectors.moves_for(request.user, lot=serial.lot_id).filter(serial=serial)[:200])
    return render(request, "inventory/serial_detail.html", {"serial": serial, "moves": moves})


@require_GET
@requires_somewhere("inventory.view")
def moves(request: HttpRequest) -> HttpResponse:
    form = MoveFilterForm(request.GET or None)
    kind, item = "", ""
    if form.is_bound and form.is_valid():
        kind, item = form.cleaned_data["kind"], form.cleaned_data["item"]
    rows = selectors.moves_for(request.user, kind=kind, item=item)
    return render(
        request,
        "inventory/moves.html",
        {"form": form, "page": _page(request, rows), "query": _query_without_page(request)},
    )


# --- transfer / issue / scrap / return -------------------------------------------------------
# kind → the permission its service checks
MOVE_KINDS: dict[str, str] = {
    "transfer": "inventory.move",
    "issue": "inventory.move",
    "scrap": "inventory.adjust",
    "return": "inventory.adjust",
}


def _titles() -> dict[str, str]:
    return {
        "transfer": _("Transfer stock"),
        "issue": _("Issue stock"),
        "scrap": _("Scrap stock"),
        "return": _("Return to supplier"),
    }


def run_move(user: Any, kind: str, lot: Lot, data: dict[str, Any], serials: list[str]) -> Any:
    """Call the service of `kind` (shared with the API)."""
    common = {"lot": lot, "quantity": data["quantity"], "serials": serials}
    if kind == "transfer":
        return services.transfer(
            user,
            from_location=data["from_location"],
            to_location=data["to_location"],
            reason=data.get("reason") or "",
            **common,
        )
    if kind == "issue":
        return services.issue(
            user,
            location=data["from_location"],
            reference=data.get("reference") or "",
            reason=data.get("reason") or "",
            **common,
        )
    action = services.scrap if kind == "scrap" else services.return_to_supplier
    return action(user, location=data["from_location"], reason=data.get("reason") or "", **common)


def _fefo(request: HttpRequest) -> tuple[FefoForm, list[Any] | None, Decimal | None]:
    """The FEFO suggestion on the issue form (GET ?item=&quantity=&site=)."""
    if "item" not in request.GET:
        return FefoForm(user=request.user), None, None
    form = FefoForm(request.GET, user=request.user)
    if not form.is_valid():
        return form, None, None
    item = Item.objects.filter(code=form.cleaned_data["item"].strip().upper()).first()
    if item is None:
        form.add_error("item", _("No such item."))
        return form, None, None
    qty = form.cleaned_data["quantity"]
    picks = selectors.fefo(item, qty, site=form.cleaned_data["site"])
    short = qty - sum((p.quantity for p in picks), Decimal(0))
    return form, picks, short if short > 0 else None


def _move_view(kind: str) -> View:
    perm = MOVE_KINDS[kind]

    @require_http_methods(["GET", "POST"])
    @requires_somewhere(perm)
    def view(request: HttpRequest) -> HttpResponse:
        initial = {k: request.GET[k] for k in ("lot", "quantity") if k in request.GET}
        if "from_location" in request.GET:
            initial["from_location"] = request.GET["from_location"]
        form = MoveForm(
            request.POST or None, initial=initial, user=request.user, kind=kind, perm=perm
        )
        if request.method == "POST" and form.is_valid():
            lot = selectors.lot_by_number(request.user, form.cleaned_data["lot"])
            if lot is None:
                form.add_error("lot", _("No lot with this number at your sites."))
            else:
                try:
                    run_move(request.user, kind, lot, form.cleaned_data, form.serial_list())
                except (ValidationError, PermissionDenied) as exc:
                    form_errors(form, exc)
                else:
                    messages.success(
                        request,
                        _("%(action)s: %(qty)s of lot %(lot)s done.")
                        % {
                            "action": _titles()[kind],
                            "qty": format(form.cleaned_data["quantity"].normalize(), "f"),
                            "lot": lot.number,
                        },
                    )
                    return redirect("inventory:lot", pk=lot.pk)
        context: dict[str, Any] = {"form": form, "kind": kind, "title": _titles()[kind]}
        if kind == "issue":
            context["fefo_form"], context["picks"], context["short"] = _fefo(request)
        status = 400 if form.errors else 200
        return render(request, "inventory/move_form.html", context, status=status)

    view.required_permission = perm  # type: ignore[attr-defined]
    return view


transfer = _move_view("transfer")
issue = _move_view("issue")
scrap = _move_view("scrap")
return_to_supplier = _move_view("return")
