"""Permission matrix of the supplier and customer pages and API (joined by
tests/test_permission_matrix.py).

Suppliers and customers are company-wide master data: a user of another site sees them too,
so no entry checks the wrong site (object_url=False, no marker)."""

from __future__ import annotations

import itertools
from typing import Any

from mederp.identity.authz import sites_with
from mederp.testing import materials as m
from mederp.testing.matrix import Endpoint

_n = itertools.count(1)


def _next_supplier_status(obj: Any, user: Any) -> dict[str, Any]:
    # The matrix posts twice with the permission (the other site's user, then this site's):
    # master data is company-wide, so both succeed; each asks for a status the supplier can
    # still go to.
    obj.refresh_from_db()
    return {"to_status": "conditional" if obj.status == "approved" else "approved", "reason": "r"}


def _next_customer_status(obj: Any, user: Any) -> dict[str, Any]:
    obj.refresh_from_db()
    return {"status": "active" if obj.status == "blocked" else "blocked", "reason": "r"}


def _deactivate(obj: Any, user: Any) -> dict[str, Any]:
    # Put the entry back on the list so that each permitted caller has an entry to remove.
    type(obj).objects.filter(pk=obj.pk).update(active=True)
    return {"reason": "discontinued"}


def _supplier(site: Any) -> Any:
    return m.supplier(status="pending")


def _entry(site: Any) -> Any:
    return m.approve(m.supplier(), m.item())


def _certificate(site: Any) -> Any:
    import datetime as dt

    from django.core.files.uploadedfile import SimpleUploadedFile

    from mederp.identity.authz import SYSTEM
    from mederp.partners import services

    return services.add_certificate(
        SYSTEM,
        m.supplier(),
        kind="iso13485",
        number="C-1",
        expires_on=dt.date(2030, 1, 1),
        upload=SimpleUploadedFile("c.pdf", b"%PDF-1.4\n%%EOF\n"),
    )


def _customer(site: Any) -> Any:
    from mederp.partners.models import Customer

    n = Customer.objects.count() + 1
    return Customer.objects.create(code=f"CUS{n:04d}", name=f"Hospital {n}", kind="hospital")


def _contact(obj: Any, user: Any) -> dict[str, Any]:
    scope = sites_with(user, "people.manage") if user is not None else frozenset()
    site = next(iter(scope), None) if isinstance(scope, frozenset) else None
    return {"name": "Wang Wu", "role": "sales", "phone": "13812345678", "site": site or ""}


def _sup(path: str = "") -> Any:
    return lambda s: f"/partners/suppliers/{s.pk}/{path}"


def _cus(path: str = "") -> Any:
    return lambda c: f"/partners/customers/{c.pk}/{path}"


V, MS, QS, MC, IM = (
    "partners.view",
    "partners.manage_suppliers",
    "partners.qualify_suppliers",
    "partners.manage_customers",
    "partners.import",
)
ONE = {"object_url": False}

ENDPOINTS: list[Endpoint] = [
    # --- pages ---
    Endpoint("partners:suppliers", "/partners/suppliers/?status=pending&q=SUP", V),
    Endpoint("partners:supplier_create", "/partners/suppliers/new/", MS),
    Endpoint("partners:supplier", _sup(), V, factory=_supplier, **ONE),
    *[
        Endpoint("partners:supplier", _sup(f"?tab={tab}"), V, factory=_supplier, **ONE)
        for tab in ("history", "items", "certificates", "contacts", "scorecard", "audit")
    ],
    Endpoint("partners:supplier_edit", _sup("edit/"), MS, factory=_supplier, **ONE),
    Endpoint(
        "partners:supplier_edit",
        _sup("edit/"),
        MS,
        method="post",
        data={"name": "Renamed", "country": "CN", "reason": "typo"},
        factory=_supplier,
        success=302,
        **ONE,
    ),
    Endpoint(
        "partners:supplier_status",
        _sup("status/"),
        QS,
        method="post",
        data=_next_supplier_status,
        factory=_supplier,
        success=302,
        **ONE,
    ),
    Endpoint(
        "partners:supplier_asl_add",
        _sup("approved-items/"),
        QS,
        method="post",
        data=lambda obj, user: {"item": m.item().pk, "manufacturer_part_no": "MPN-X"},
        factory=_supplier,
        success=302,
        **ONE,
    ),
    Endpoint(
        "partners:supplier_asl_deactivate",
        lambda e: f"/partners/suppliers/{e.supplier_id}/approved-items/{e.pk}/deactivate/",
        QS,
        method="post",
        data=_deactivate,
        factory=_entry,
        success=302,
        **ONE,
    ),
    # No file in the body: the right role gets past the permission to the 400 that asks for
    # the scan (a certificate is recorded only with it: test_partner_web.py).
    Endpoint(
        "partners:supplier_certificate_add",
        _sup("certificates/"),
        MS,
        method="post",
        data={"kind": "iso13485", "number": "N-1", "expires_on": "2030-01-01"},
        factory=_supplier,
        success=400,
        **ONE,
    ),
    Endpoint(
        "partners:certificate_file",
        lambda c: f"/partners/certificates/{c.pk}/file/",
        V,
        factory=_certificate,
        **ONE,
    ),
    Endpoint(
        "partners:supplier_contact_add",
        _sup("contacts/"),
        MS,
        method="post",
        data=_contact,
        factory=_supplier,
        success=302,
        **ONE,
    ),
    Endpoint("partners:customers", "/partners/customers/?kind=hospital", V),
    Endpoint("partners:customer_create", "/partners/customers/new/", MC),
    Endpoint("partners:customer", _cus(), V, factory=_customer, **ONE),
    Endpoint("partners:customer", _cus("?tab=contacts"), V, factory=_customer, **ONE),
    Endpoint("partners:customer", _cus("?tab=audit"), V, factory=_customer, **ONE),
    Endpoint("partners:customer_edit", _cus("edit/"), MC, factory=_customer, **ONE),
    Endpoint(
        "partners:customer_status",
        _cus("status/"),
        MC,
        method="post",
        data=_next_customer_status,
        factory=_customer,
        success=302,
        **ONE,
    ),
    Endpoint(
        "partners:customer_contact_add",
        _cus("contacts/"),
        MC,
        method="post",
        data=_contact,
        factory=_customer,
        success=302,
        **ONE,
    ),
    Endpoint("partners:import", "/partners/import/suppliers/", IM),
    Endpoint("partners:import", "/partners/import/customers/", IM),
    Endpoint("partners:import_template", "/partners/import/suppliers/template.csv", IM),
    Endpoint("partners:import_template", "/partners/import/customers/template.xlsx", IM),
    # --- API ---
    Endpoint("api:suppliers", "/api/v1/suppliers?status=pending", V),
    Endpoint(
        "api:suppliers",
        "/api/v1/suppliers",
        MS,
        method="post",
        data=lambda obj, user: {"code": f"API{next(_n)}", "name": "API supplier"},
        success=201,
    ),
    Endpoint("api:supplier", lambda s: f"/api/v1/suppliers/{s.pk}", V, factory=_supplier, **ONE),
    Endpoint(
        "api:supplier",
        lambda s: f"/api/v1/suppliers/{s.pk}",
        MS,
        method="patch",
        data={"name": "Renamed"},
        factory=_supplier,
        **ONE,
    ),
    Endpoint(
        "api:supplier-status",
        lambda s: f"/api/v1/suppliers/{s.pk}/status",
        QS,
        method="post",
        data=_next_supplier_status,
        factory=_supplier,
        **ONE,
    ),
    Endpoint(
        "api:supplier-approved-items",
        lambda s: f"/api/v1/suppliers/{s.pk}/approved-items",
        V,
        factory=_supplier,
        **ONE,
    ),
    Endpoint(
        "api:supplier-approved-items",
        lambda s: f"/api/v1/suppliers/{s.pk}/approved-items",
        QS,
        method="post",
        data=lambda obj, user: {"item": m.item().code, "manufacturer_part_no": "MPN-A"},
        factory=_supplier,
        success=201,
        **ONE,
    ),
    Endpoint(
        "api:supplier-approved-item-deactivate",
        lambda e: f"/api/v1/suppliers/{e.supplier_id}/approved-items/{e.pk}/deactivate",
        QS,
        method="post",
        data=_deactivate,
        factory=_entry,
        **ONE,
    ),
    Endpoint(
        "api:supplier-certificates",
        lambda s: f"/api/v1/suppliers/{s.pk}/certificates",
        V,
        factory=_supplier,
        **ONE,
    ),
    Endpoint(
        "api:supplier-certificates",
        lambda s: f"/api/v1/suppliers/{s.pk}/certificates",
        MS,
        method="post",
        data={"kind": "iso13485", "number": "N-1", "expires_on": "2030-01-01"},
        factory=_supplier,
        success=400,  # no file: the 400 that asks for the scan
        **ONE,
    ),
    # no file in the body: the right role gets past the permission to the 400 of the upload
    Endpoint("api:suppliers-import", "/api/v1/suppliers/import", IM, method="post", success=400),
    Endpoint("api:customers", "/api/v1/customers?kind=hospital", V),
    Endpoint(
        "api:customers",
        "/api/v1/customers",
        MC,
        method="post",
        data=lambda obj, user: {"code": f"CA{next(_n)}", "name": "Clinic", "kind": "hospital"},
        success=201,
    ),
    Endpoint("api:customer", lambda c: f"/api/v1/customers/{c.pk}", V, factory=_customer, **ONE),
    Endpoint(
        "api:customer",
        lambda c: f"/api/v1/customers/{c.pk}",
        MC,
        method="patch",
        data={"address": "1 Road"},
        factory=_customer,
        **ONE,
    ),
    Endpoint(
        "api:customer-status",
        lambda c: f"/api/v1/customers/{c.pk}/status",
        MC,
        method="post",
        data=_next_customer_status,
        factory=_customer,
        **ONE,
    ),
    Endpoint("api:customers-import", "/api/v1/customers/import", IM, method="post", success=400),
]
