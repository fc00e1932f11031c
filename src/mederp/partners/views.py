"""Supplier and customer pages: lists with filters, record pages with tabs (details,
qualification history, approved items, certificates, contacts, scorecard, audit trail), and a
form for each action. Views stay thin: the services authorize, validate, write and audit.

Suppliers and customers are company-wide: a permission held at any site opens the page.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import structlog
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mederp.audit.views import trail_context
from mederp.core.imports import ImportFileError
from mederp.data import masking
from mederp.identity.authz import authorize, has_perm
from mederp.partners import forms, imports, scorecard, selectors, services
from mederp.partners.models import Customer, Supplier, SupplierCertificate

log = structlog.get_logger(__name__)
_NO_STORE = {"Cache-Control": "no-store"}
View = Callable[..., HttpResponseBase]
SUPPLIER_TABS = (
    ("details", gettext_lazy("Details")),
    ("history", gettext_lazy("Qualification history")),
    ("items", gettext_lazy("Approved items")),
    ("certificates", gettext_lazy("Certificates")),
    ("contacts", gettext_lazy("Contacts")),
    ("scorecard", gettext_lazy("Scorecard")),
    ("audit", gettext_lazy("Audit trail")),
)
CUSTOMER_TABS = (
    ("details", gettext_lazy("Details")),
    ("contacts", gettext_lazy("Contacts")),
    ("audit", gettext_lazy("Audit trail")),
)
CONTACT_FIELDS = ["name", "phone", "email"]


def requires(perm: str) -> Callable[[View], View]:
    """Sign-in and `perm` held at any site (partner master data is company-wide)."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            authorize(request.user, perm)
            return view(request, *args, **kwargs)

        wrapper.required_permission = perm  # type: ignore[attr-defined]
        return wrapper

    return decorate


def _errors_to_form(form: Form, exc: ValidationError, fields: dict[str, str] | None = None) -> None:
    """A service's errors on the form: on the field (renamed through `fields`) when it has it."""
    for field, errors in getattr(exc, "message_dict", {"__all__": exc.messages}).items():
        field = (fields or {}).get(field, field)
        form.add_error(field if field in form.fields else None, errors)


def _supplier(pk: Any) -> Supplier:
    supplier = Supplier.objects.filter(pk=pk).first()
    if supplier is None:
        raise Http404(_("No such supplier."))
    return supplier


def _customer(pk: Any) -> Customer:
    customer = Customer.objects.filter(pk=pk).first()
    if customer is None:
        raise Http404(_("No such customer."))
    return customer


def _contacts(user: Any, links: Any) -> list[dict[str, Any]]:
    rows = []
    for link in links:
        person = link.person
        clear = masking.may_see_clear(user, person)
        rows.append(
            {
                "link": link,
                "person": person,
                "clear": clear,
                "values": masking.present_all(person, CONTACT_FIELDS, clear),
            }
        )
    return rows


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


# --- suppliers -----------------------------------------------------------------------------------
@require_GET
@requires("partners.view")
def supplier_list(request: HttpRequest) -> HttpResponse:
    form = forms.SupplierFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    rows = selectors.suppliers(
        status=data.get("status", ""),
        search=data.get("q", ""),
        certificate=data.get("certificate", ""),
    )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "rows": [{"s": s, "cert": selectors.supplier_certificate_state(s)} for s in page],
        "can_create": has_perm(request.user, services.MANAGE_SUPPLIERS),
        "can_import": has_perm(request.user, "partners.import"),
    }
    return render(request, "partners/supplier_list.html", context)


@require_http_methods(["GET", "POST"])
@requires(services.MANAGE_SUPPLIERS)
def supplier_create(request: HttpRequest) -> HttpResponse:
    form = forms.SupplierForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            supplier = services.create_supplier(request.user, **form.cleaned_data)
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Supplier %(code)s created.") % {"code": supplier.code})
            return redirect("partners:supplier", pk=supplier.pk)
    context = {"form": form, "title": _("New supplier"), "back": "partners:suppliers"}
    return render(request, "partners/form.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@requires(services.MANAGE_SUPPLIERS)
def supplier_edit(request: HttpRequest, pk: int) -> HttpResponse:
    supplier = _supplier(pk)
    initial = {f: getattr(supplier, f) for f in services.SUPPLIER_FIELDS}
    form = forms.SupplierEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        reason = data.pop("reason", "")
        try:
            services.update_supplier(request.user, supplier, reason=reason, **data)
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Supplier %(code)s saved.") % {"code": supplier.code})
            return redirect("partners:supplier", pk=supplier.pk)
    context = {"form": form, "title": str(supplier), "back": "partners:suppliers"}
    return render(request, "partners/form.html", context, status=400 if form.errors else 200)


def _supplier_page(
    request: HttpRequest, supplier: Supplier, tab: str = "", status: int = 200, **forms_: Any
) -> HttpResponse:
    user = request.user
    tab = tab or request.GET.get("tab", "details")
    if tab not in dict(SUPPLIER_TABS):
        tab = "details"
    context: dict[str, Any] = {
        "supplier": supplier,
        "tab": tab,
        "tabs": SUPPLIER_TABS,
        "blocked": not selectors.supplier_may_supply(supplier),
        "cert_state": selectors.supplier_certificate_state(supplier),
        "can_manage": has_perm(user, services.MANAGE_SUPPLIERS),
        "can_qualify": has_perm(user, services.QUALIFY_SUPPLIERS),
        "can_contact": has_perm(user, services.MANAGE_SUPPLIERS)
        and has_perm(user, "people.manage"),
    }
    if tab == "history":
        context["history"] = supplier.status_history.select_related("changed_by")
        context["status_form"] = forms_.get("status_form") or forms.SupplierStatusForm()
    elif tab == "items":
        context["entries"] = supplier.approved_items.select_related("item").order_by(
            "-active", "item__code"
        )
        context["asl_form"] = forms_.get("asl_form") or forms.ApprovedItemForm()
        context["reason_form"] = forms.ReasonForm()
    elif tab == "certificates":
        current = {c.pk for c in selectors.current_certificates(supplier)}
        context["certificates"] = [
            {"c": c, "state": selectors.certificate_state(c.expires_on), "current": c.pk in current}
            for c in supplier.certificates.select_related("attachment").order_by(
                "kind", "-expires_on"
            )
        ]
        context["cert_form"] = forms_.get("cert_form") or forms.CertificateForm()
        context["warning_days"] = selectors.warning_days()
    elif tab == "contacts":
        links = supplier.contacts.select_related("person", "person__site").order_by(
            "-primary", "id"
        )
        context["contacts"] = _contacts(user, links)
        context["contact_form"] = forms_.get("contact_form") or forms.ContactForm(user=user)
    elif tab == "scorecard":
        context["card"] = scorecard.compute(supplier)
    elif tab == "audit":
        context["trail"] = trail_context(user, "partners.supplier", str(supplier.pk), obj=supplier)
    return _no_store(render(request, "partners/supplier_detail.html", context, status=status))


@require_GET
@requires("partners.view")
def supplier_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _supplier_page(request, _supplier(pk))


@require_POST
@requires(services.QUALIFY_SUPPLIERS)
def supplier_status(request: HttpRequest, pk: int) -> HttpResponse:
    supplier = _supplier(pk)
    form = forms.SupplierStatusForm(request.POST)
    if form.is_valid():
        try:
            services.change_supplier_status(request.user, supplier, **form.cleaned_data)
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Qualification status changed."))
            return redirect(f"{_url('partners:supplier', supplier.pk)}?tab=history")
    return _supplier_page(request, supplier, "history", 400, status_form=form)


@require_POST
@requires(services.QUALIFY_SUPPLIERS)
def supplier_asl_add(request: HttpRequest, pk: int) -> HttpResponse:
    supplier = _supplier(pk)
    form = forms.ApprovedItemForm(request.POST)
    if form.is_valid():
        try:
            services.add_approved_item(request.user, supplier, **form.cleaned_data)
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Added to the approved supplier list."))
            return redirect(f"{_url('partners:supplier', supplier.pk)}?tab=items")
    return _supplier_page(request, supplier, "items", 400, asl_form=form)


@require_POST
@requires(services.QUALIFY_SUPPLIERS)
def supplier_asl_deactivate(request: HttpRequest, pk: int, entry: int) -> HttpResponse:
    supplier = _supplier(pk)
    row = supplier.approved_items.filter(pk=entry).first()
    if row is None:
        raise Http404(_("No such approved supplier list entry."))
    form = forms.ReasonForm(request.POST)
    back = f"{_url('partners:supplier', supplier.pk)}?tab=items"
    if not form.is_valid():
        messages.error(request, _("Give the reason for removing the entry."))
        return redirect(back)
    try:
        services.deactivate_approved_item(request.user, row, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Entry removed from the approved supplier list."))
    return redirect(back)


@require_POST
@requires(services.MANAGE_SUPPLIERS)
def supplier_certificate_add(request: HttpRequest, pk: int) -> HttpResponse:
    supplier = _supplier(pk)
    form = forms.CertificateForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.add_certificate(request.user, supplier, **form.cleaned_data)
        except ValidationError as exc:
            _errors_to_form(form, exc, {"attachment": "upload"})
        else:
            messages.success(request, _("Certificate recorded."))
            return redirect(f"{_url('partners:supplier', supplier.pk)}?tab=certificates")
    return _supplier_page(request, supplier, "certificates", 400, cert_form=form)


@require_GET
@requires("partners.view")
def certificate_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    cert = SupplierCertificate.objects.select_related("attachment").filter(pk=pk).first()
    if cert is None or cert.attachment is None:
        raise Http404(_("No such certificate file."))
    try:
        attachment = services.certificate_file(request.user, cert)
    except services.CertificateFileAltered as exc:
        log.error(
            "certificate_file_altered",
            certificate=cert.pk,
            attachment=str(cert.attachment.pk),
            expected_sha256=cert.attachment.sha256,
        )
        return HttpResponse(
            str(exc), status=409, content_type="text/plain; charset=utf-8", headers=_NO_STORE
        )
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@requires(services.MANAGE_SUPPLIERS)
def supplier_contact_add(request: HttpRequest, pk: int) -> HttpResponse:
    supplier = _supplier(pk)
    form = forms.ContactForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            services.add_supplier_contact(request.user, supplier, **form.cleaned_data)
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Contact added."))
            return redirect(f"{_url('partners:supplier', supplier.pk)}?tab=contacts")
    return _supplier_page(request, supplier, "contacts", 400, contact_form=form)


# --- customers -----------------------------------------------------------------------------------
@require_GET
@requires("partners.view")
def customer_list(request: HttpRequest) -> HttpResponse:
    form = forms.CustomerFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    rows = selectors.customers(
        status=data.get("status", ""), kind=data.get("kind", ""), search=data.get("q", "")
    )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "rows": [
            {"c": c, "licence": selectors.certificate_state(c.licence_expires_on)} for c in page
        ],
        "can_create": has_perm(request.user, services.MANAGE_CUSTOMERS),
        "can_import": has_perm(request.user, "partners.import"),
    }
    return render(request, "partners/customer_list.html", context)


@require_http_methods(["GET", "POST"])
@requires(services.MANAGE_CUSTOMERS)
def customer_create(request: HttpRequest) -> HttpResponse:
    form = forms.CustomerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.create_customer(request.user, **form.cleaned_data)
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Customer %(code)s created.") % {"code": customer.code})
            return redirect("partners:customer", pk=customer.pk)
    context = {"form": form, "title": _("New customer"), "back": "partners:customers"}
    return render(request, "partners/form.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@requires(services.MANAGE_CUSTOMERS)
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer(pk)
    initial = {f: getattr(customer, f) for f in services.CUSTOMER_FIELDS}
    form = forms.CustomerEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        reason = data.pop("reason", "")
        try:
            services.update_customer(request.user, customer, reason=reason, **data)
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Customer %(code)s saved.") % {"code": customer.code})
            return redirect("partners:customer", pk=customer.pk)
    context = {"form": form, "title": str(customer), "back": "partners:customers"}
    return render(request, "partners/form.html", context, status=400 if form.errors else 200)


def _customer_page(
    request: HttpRequest, customer: Customer, tab: str = "", status: int = 200, **forms_: Any
) -> HttpResponse:
    user = request.user
    tab = tab or request.GET.get("tab", "details")
    if tab not in dict(CUSTOMER_TABS):
        tab = "details"
    can_manage = has_perm(user, services.MANAGE_CUSTOMERS)
    context: dict[str, Any] = {
        "customer": customer,
        "tab": tab,
        "tabs": CUSTOMER_TABS,
        "licence_state": selectors.certificate_state(customer.licence_expires_on),
        "can_manage": can_manage,
        "can_contact": can_manage and has_perm(user, "people.manage"),
        "status_form": forms_.get("status_form") or forms.CustomerStatusForm(),
    }
    if tab == "contacts":
        links = customer.contacts.select_related("person", "person__site").order_by(
            "-primary", "id"
        )
        context["contacts"] = _contacts(user, links)
        context["contact_form"] = forms_.get("contact_form") or forms.ContactForm(user=user)
    elif tab == "audit":
        context["trail"] = trail_context(user, "partners.customer", str(customer.pk), obj=customer)
    return _no_store(render(request, "partners/customer_detail.html", context, status=status))


@require_GET
@requires("partners.view")
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _customer_page(request, _customer(pk))


@require_POST
@requires(services.MANAGE_CUSTOMERS)
def customer_status(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer(pk)
    form = forms.CustomerStatusForm(request.POST)
    if form.is_valid():
        try:
            services.set_customer_status(request.user, customer, **form.cleaned_data)
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Customer status changed."))
            return redirect("partners:customer", pk=customer.pk)
    return _customer_page(request, customer, "details", 400, status_form=form)


@require_POST
@requires(services.MANAGE_CUSTOMERS)
def customer_contact_add(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer(pk)
    form = forms.ContactForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            services.add_customer_contact(request.user, customer, **form.cleaned_data)
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Contact added."))
            return redirect(f"{_url('partners:customer', customer.pk)}?tab=contacts")
    return _customer_page(request, customer, "contacts", 400, contact_form=form)


# --- import --------------------------------------------------------------------------------------
def _kind(kind: str) -> str:
    if kind not in imports.KINDS:
        raise Http404(_("Unknown import."))
    return kind


@require_http_methods(["GET", "POST"])
@requires("partners.import")
def import_page(request: HttpRequest, kind: str) -> HttpResponse:
    kind = _kind(kind)
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    result = None
    status = 200
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = imports.run(kind, request.user, upload.read(), filename=upload.name)
        except ImportFileError as exc:
            form.add_error("file", exc.messages)
        else:
            if result.ok:
                messages.success(
                    request,
                    _("%(count)d record(s) imported.") % {"count": result.created},
                )
                return redirect(
                    "partners:suppliers" if kind == "suppliers" else "partners:customers"
                )
    if form.errors or (result is not None and not result.ok):
        status = 400
    context = {
        "form": form,
        "kind": kind,
        "result": result,
        "columns": imports.KINDS[kind],
    }
    return render(request, "partners/import.html", context, status=status)


@require_GET
@requires("partners.import")
def import_template(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    kind = _kind(kind)
    if fmt == "csv":
        response = HttpResponse(imports.template_csv(kind), content_type="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        response = HttpResponse(
            imports.template_xlsx(kind),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        raise Http404(_("Unknown format."))
    response["Content-Disposition"] = f'attachment; filename="{kind}-template.{fmt}"'
    return response


def _url(name: str, pk: Any) -> str:
    from django.urls import reverse

    return reverse(name, kwargs={"pk": pk})
