"""Purchasing pages: PO list, PO record page (tabs: lines, receipts, approval, audit trail),
PO forms, the receiving screen (barcode scanner as keyboard) and receipts.

Each view declares its permission (held at one site at least); the selectors then scope what
it shows, so another site's record is a 404. Every change goes through services.py.
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
from mederp.identity.authz import has_perm
from mederp.purchasing import selectors, services
from mederp.purchasing.choices import PoStatus
from mederp.purchasing.forms import (
    LineEditForm,
    LineForm,
    OrderEditForm,
    OrderFilterForm,
    OrderForm,
    ReasonForm,
    ReceiveForm,
    ScanForm,
)
from mederp.purchasing.models import PurchaseOrder, PurchaseOrderLine

View = Callable[..., HttpResponse]
TABS = ("lines", "receipts", "approval", "audit")


def requires_somewhere(perm: str) -> Callable[[View], View]:
    """Sign-in and `perm` at one site at least; the selectors scope what is shown."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_perm(request.user, perm):
                raise PermissionDenied(
                    _("You do not have the permission %(perm)s.") % {"perm": perm}
                )
            return view(request, *args, **kwargs)

        wrapper.required_permission = perm  # type: ignore[attr-defined]
        return wrapper

    return decorate


def _errors_into(form: Form, exc: ValidationError) -> None:
    """A service's refusal onto the form: on its field when the form has it, else on top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _warn(request: HttpRequest, obj: Any) -> None:
    for warning in getattr(obj, "warnings", []):
        messages.warning(request, warning)


def _order(request: HttpRequest, pk: Any, perm: str = selectors.VIEW) -> PurchaseOrder:
    order = selectors.order_for(request.user, pk, perm)
    if order is None:
        raise Http404(_("No such purchase order."))
    return order


def _line(request: HttpRequest, pk: Any, perm: str = selectors.VIEW) -> PurchaseOrderLine:
    line = selectors.line_for(request.user, pk, perm)
    if line is None:
        raise Http404(_("No such purchase order line."))
    return line


# --- purchase orders -------------------------------------------------------------------------
@require_GET
@requires_somewhere(selectors.VIEW)
def order_list(request: HttpRequest) -> HttpResponse:
    form = OrderFilterForm(request.GET or None, user=request.user)
    valid = form.is_bound and form.is_valid()
    orders = selectors.orders(request.user, form.to_filter() if valid else None)
    if form.is_bound and not valid:
        orders = orders.none()
    page = Paginator(orders, 50).get_page(request.GET.get("page"))
    rows = [
        {
            "order": o,
            "total": selectors.price(request.user, o.site_id, o.total),
            "show": selectors.may_see_prices(request.user, o.site_id),
        }
        for o in page.object_list
    ]
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "can_create": has_perm(request.user, services.MANAGE),
    }
    return render(request, "purchasing/order_list.html", context)


@require_http_methods(["GET", "POST"])
@requires_somewhere(services.MANAGE)
def order_create(request: HttpRequest) -> HttpResponse:
    form = OrderForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            order = services.create_order(request.user, **form.cleaned_data)
        except ValidationError as exc:
            _errors_into(form, exc)
        else:
            _warn(request, order)
            messages.success(request, _("Purchase order %(po)s created.") % {"po": order.number})
            return redirect("purchasing:order", pk=order.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "purchasing/order_form.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@requires_somewhere(services.MANAGE)
def order_edit(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(request, pk, services.MANAGE)
    initial = {"order_date": order.order_date, "currency": order.currency, "notes": order.notes}
    form = OrderEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_order(request.user, order, **form.cleaned_data)
        except ValidationError as exc:
            _errors_into(form, exc)
        else:
            messages.success(request, _("Purchase order %(po)s saved.") % {"po": order.number})
            return redirect("purchasing:order", pk=order.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request, "purchasing/order_form.html", {"form": form, "order": order}, status=status
    )


def _line_rows(request: HttpRequest, order: PurchaseOrder, show: bool) -> list[dict[str, Any]]:
    rows = []
    for line in selectors.lines_of(order):
        amount = (line.quantity * line.unit_price).quantize(services.Q4)
        rows.append(
            {
                "line": line,
                "unit_price": line.unit_price if show else selectors.HIDDEN,
                "amount": amount if show else selectors.HIDDEN,
                "open": selectors.is_open(line),
            }
        )
    return rows


def _detail(
    request: HttpRequest,
    order: PurchaseOrder,
    *,
    tab: str = "lines",
    line_form: LineForm | None = None,
    reason_form: ReasonForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    show = selectors.may_see_prices(user, order.site_id)
    manage = has_perm(user, services.MANAGE, order.site_id)
    draft = order.status == PoStatus.DRAFT
    warnings, refusal = selectors.order_notes(order)
    tab = tab if tab in TABS else "lines"
    context: dict[str, Any] = {
        "order": order,
        "tab": tab,
        "tabs": [
            ("lines", _("Lines")),
            ("receipts", _("Receipts")),
            ("approval", _("Approval")),
            ("audit", _("Audit trail")),
        ],
        "show_prices": show,
        "total": order.total if show else selectors.HIDDEN,
        "rows": _line_rows(request, order, show),
        "warnings": warnings,
        "refusal": refusal,
        "can_edit": manage and draft,
        "can_submit": manage and draft,
        "can_cancel": manage
        and order.status in (PoStatus.DRAFT, PoStatus.PENDING_APPROVAL, PoStatus.APPROVED),
        "can_close": manage
        and order.status in (PoStatus.APPROVED, PoStatus.PARTIALLY_RECEIVED, PoStatus.RECEIVED),
        "can_approve": selectors.can_approve(user, order),
        "approver_blocked": order.status == PoStatus.PENDING_APPROVAL
        and has_perm(user, services.APPROVE, order.site_id)
        and not selectors.can_approve(user, order),
        "can_receive": order.status in services.RECEIVABLE
        and has_perm(user, services.RECEIVE, order.site_id),
        "approval_amount": services.approval_amounts().get(order.currency, "—")
        if show
        else selectors.HIDDEN,
        "line_form": line_form or LineForm(),
        "reason_form": reason_form or ReasonForm(),
    }
    if tab == "receipts":
        context["receipts"] = list(selectors.receipts(user, order))
    if tab == "audit":
        context.update(trail_context(user, "purchasing.purchaseorder", str(order.pk), obj=order))
    return render(request, "purchasing/order_detail.html", context, status=status)


@require_GET
@requires_somewhere(selectors.VIEW)
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _order(request, pk), tab=request.GET.get("tab", "lines"))


@require_POST
@requires_somewhere(services.MANAGE)
def line_add(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(request, pk, services.MANAGE)
    form = LineForm(request.POST)
    if form.is_valid():
        try:
            line = services.add_line(request.user, order, **form.cleaned_data)
        except ValidationError as exc:
            _errors_into(form, exc)
        else:
            _warn(request, line)
            messages.success(request, _("Line %(n)s added.") % {"n": line.line_no})
            return redirect("purchasing:order", pk=order.pk)
    return _detail(request, order, line_form=form, status=400)


@require_http_methods(["GET", "POST"])
@requires_somewhere(services.MANAGE)
def line_edit(request: HttpRequest, pk: int) -> HttpResponse:
    line = _line(request, pk, services.MANAGE)
    initial = {
        "quantity": line.quantity.normalize(),
        "uom": line.uom_id,
        "unit_price": line.unit_price,
        "due_date": line.due_date,
    }
    form = LineEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.update_line(request.user, line, **form.cleaned_data)
        except ValidationError as exc:
            _errors_into(form, exc)
        else:
            _warn(request, changed)
            messages.success(request, _("Line %(n)s saved.") % {"n": line.line_no})
            return redirect("purchasing:order", pk=line.order_id)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "purchasing/line_form.html", {"form": form, "line": line}, status=status)


@require_POST
@requires_somewhere(services.MANAGE)
def line_remove(request: HttpRequest, pk: int) -> HttpResponse:
    line = _line(request, pk, services.MANAGE)
    try:
        services.remove_line(request.user, line)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Line %(n)s removed.") % {"n": line.line_no})
    return redirect("purchasing:order", pk=line.order_id)


def _action(request: HttpRequest, pk: int, perm: str, run: Callable[..., Any]) -> HttpResponse:
    order = _order(request, pk)
    form = ReasonForm(request.POST)
    form.is_valid()
    try:
        done = run(request.user, order, form.cleaned_data.get("reason") or "")
    except ValidationError as exc:
        form.add_error(None, exc.messages)  # shown above the tabs, whichever form was used
        tab = "approval" if perm == services.APPROVE else "lines"
        return _detail(request, order, tab=tab, reason_form=form, status=400)
    _warn(request, done)
    messages.success(
        request,
        _("Purchase order %(po)s is now %(status)s.")
        % {"po": done.number, "status": PoStatus(done.status).label},
    )
    return redirect("purchasing:order", pk=order.pk)


@require_POST
@requires_somewhere(services.MANAGE)
def order_submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(request, pk, services.MANAGE, lambda u, o, r: services.submit(u, o))


@require_POST
@requires_somewhere(services.APPROVE)
def order_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(request, pk, services.APPROVE, lambda u, o, r: services.approve(u, o, reason=r))


@require_POST
@requires_somewhere(services.MANAGE)
def order_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(request, pk, services.MANAGE, lambda u, o, r: services.cancel(u, o, reason=r))


@require_POST
@requires_somewhere(services.MANAGE)
def order_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(request, pk, services.MANAGE, lambda u, o, r: services.close(u, o, reason=r))


# --- receiving -------------------------------------------------------------------------------
@require_GET
@requires_somewhere(services.RECEIVE)
def receiving(request: HttpRequest) -> HttpResponse:
    """Open PO lines to receive against. The search box takes a PO number, an item code, a
    GTIN or a scanned GS1 barcode (its GTIN finds the item)."""
    query = request.GET.get("q", "").strip()
    search, error = query, ""
    if query and (query.startswith(("]", "(")) or "\x1d" in query or "|" in query):
        try:
            search = services.parse_scan(query).get("gtin", "")
        except ValidationError as exc:
            error, search = " ".join(exc.messages), ""
    lines = list(selectors.open_lines(request.user, search)[:200]) if not error else []
    rows = [
        {"line": line, "open": (line.quantity - line.received_quantity).normalize()}
        for line in lines
        if selectors.is_open(line)
    ]
    return render(
        request, "purchasing/receiving.html", {"rows": rows, "query": query, "error": error}
    )


def _receive_context(
    line: PurchaseOrderLine, form: ReceiveForm, scan_form: ScanForm, **extra: Any
) -> dict[str, Any]:
    return {
        "line": line,
        "order": line.order,
        "item": line.item,
        "open_quantity": (line.quantity - line.received_quantity).normalize(),
        "form": form,
        "scan_form": scan_form,
        **extra,
    }


@require_http_methods(["GET", "POST"])
@requires_somewhere(services.RECEIVE)
def receive_line(request: HttpRequest, pk: int) -> HttpResponse:
    line = _line(request, pk, services.RECEIVE)
    site = line.order.site
    if request.method == "POST":
        form = ReceiveForm(request.POST, request.FILES, site=site)
        if form.is_valid():
            data = form.cleaned_data
            try:
                receipt = services.receive(
                    request.user,
                    line=line,
                    quantity=data["quantity"],
                    uom=data["uom"],
                    supplier_lot=data["supplier_lot"],
                    manufactured_on=data["manufactured_on"],
                    expires_on=data["expires_on"],
                    serials=form.serial_list(),
                    certificate=data["certificate"],
                    location=data["location"],
                    gtin=data["gtin"] or None,
                )
            except ValidationError as exc:
                _errors_into(form, exc)
            else:
                _warn(request, receipt)
                messages.success(
                    request,
                    _("Received: receipt %(gr)s, lot %(lot)s in quarantine.")
                    % {"gr": receipt.number, "lot": receipt.lot.number},
                )
                return redirect("purchasing:receipt", pk=receipt.pk)
        context = _receive_context(line, form, ScanForm())
        return render(request, "purchasing/receive.html", context, status=400)
    form = ReceiveForm(site=site, initial={"uom": line.uom_id})
    return render(request, "purchasing/receive.html", _receive_context(line, form, ScanForm()))


@require_POST
@requires_somewhere(services.RECEIVE)
def receive_scan(request: HttpRequest, pk: int) -> HttpResponse:
    """Fill the receiving form from a scan. With htmx, only the form is swapped; the form's
    current values come along (hx-include), so scanning unit after unit adds their serials."""
    line = _line(request, pk, services.RECEIVE)
    scan_form = ScanForm(request.POST)
    scan_form.is_valid()
    names = ("gtin", "supplier_lot", "manufactured_on", "expires_on", "serials", "quantity")
    values: dict[str, Any] = {n: request.POST.get(n, "") for n in names}
    values["uom"] = request.POST.get("uom") or line.uom_id
    values["location"] = request.POST.get("location") or None
    scan_error = ""
    try:
        found = services.parse_scan(scan_form.cleaned_data.get("scan") or "")
        if found.get("gtin"):
            found["gtin"] = services.check_gtin(line.item, found["gtin"])
    except ValidationError as exc:
        scan_error = " ".join(exc.messages)
    else:
        for name in ("gtin", "supplier_lot", "manufactured_on", "expires_on"):
            if name in found:
                values[name] = found[name]
        if "serial" in found:
            serials = [s for s in str(values["serials"]).splitlines() if s.strip()]
            if found["serial"] not in serials:
                serials.append(found["serial"])
            values["serials"] = "\n".join(serials)
            if line.item.serial_tracked:
                values["quantity"] = Decimal(len(serials))
                values["uom"] = line.item.uom_id
    form = ReceiveForm(site=line.order.site, initial=values)
    context = _receive_context(
        line, form, ScanForm(), scan_error=scan_error, scanned=not scan_error
    )
    if request.htmx:  # type: ignore[attr-defined]
        # The refreshed form carries the error (role=alert): htmx swaps only 2xx answers, and
        # a scanner operator must see why the scan was not read. `novalidate` on the scan form
        # lets a scan come before the quantity (htmx would otherwise check the included
        # receive form's required fields and send nothing).
        return render(request, "purchasing/_receive_form.html", context)
    return render(request, "purchasing/receive.html", context, status=400 if scan_error else 200)


# --- receipts --------------------------------------------------------------------------------
@require_GET
@requires_somewhere(selectors.VIEW)
def receipt_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.receipts(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "purchasing/receipt_list.html", {"page": page})


@require_GET
@requires_somewhere(selectors.VIEW)
def receipt_detail(request: HttpRequest, pk: int) -> HttpResponse:
    receipt = selectors.receipt_for(request.user, pk)
    if receipt is None:
        raise Http404(_("No such receipt."))
    context = {
        "receipt": receipt,
        "can_see_lot": has_perm(request.user, "inventory.view", receipt.site_id),
        **trail_context(request.user, "purchasing.receipt", str(receipt.pk), obj=receipt),
    }
    return render(request, "purchasing/receipt_detail.html", context)
