"""Import suppliers and customers from CSV/XLSX through `mederp.core.imports.run`: the whole
file or nothing.

Each row becomes a new record through the create service (an import never changes an existing
supplier or customer: a code that already exists is a row error). Imported suppliers start
pending qualification like any new supplier. The importer needs `partners.import` for the file
and, since every row goes through the create service, `partners.manage_suppliers` or
`partners.manage_customers` too.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from mederp.core import imports
from mederp.identity.authz import authorize
from mederp.partners import services
from mederp.partners.choices import CustomerKind, LicenceType
from mederp.partners.models import Customer, Supplier

SUPPLIER_COLUMNS: tuple[str, ...] = ("code", "name", "name_zh", "country", "address", "notes")
SUPPLIER_REQUIRED: tuple[str, ...] = ("code", "name")
CUSTOMER_COLUMNS: tuple[str, ...] = (
    "code",
    "name",
    "name_zh",
    "kind",
    "country",
    "address",
    "licence_type",
    "licence_no",
    "licence_expires_on",
)
CUSTOMER_REQUIRED: tuple[str, ...] = ("code", "name", "kind")
_CHOICES: dict[str, list[str]] = {
    "kind": list(CustomerKind.values),
    "licence_type": list(LicenceType.values),
}
KINDS = {"suppliers": SUPPLIER_COLUMNS, "customers": CUSTOMER_COLUMNS}


def template_csv(kind: str) -> bytes:
    """The header row of `kind` ("suppliers" or "customers"). UTF-8 with a BOM so that
    spreadsheet programs open Chinese names correctly."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(KINDS[kind])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx(kind: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = kind
    sheet.append(list(KINDS[kind]))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _choice(name: str, value: str) -> str:
    if not value:
        return ""
    for choice in _CHOICES[name]:
        if choice.lower() == value.lower():
            return choice
    raise ValidationError(
        {
            name: _("%(value)s is not one of: %(choices)s.")
            % {"value": value, "choices": ", ".join(_CHOICES[name])}
        }
    )


def _date(name: str, value: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError as exc:
        raise ValidationError({name: _("Enter the date as YYYY-MM-DD.")}) from exc


def _collect(errors: dict[str, list[str]], exc: ValidationError) -> None:
    for field, messages in exc.message_dict.items():
        errors.setdefault(field if field != "__all__" else "", []).extend(messages)


def _common(
    row: dict[str, str], columns: tuple[str, ...], errors: dict[str, list[str]]
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in columns:
        raw = (row.get(name) or "").strip()
        try:
            if name in _CHOICES:
                values[name] = _choice(name, raw)
            elif name == "licence_expires_on":
                values[name] = _date(name, raw)
            elif name == "code":
                values[name] = services.clean_code(raw)
            elif name == "country":
                values[name] = services.clean_country(raw or "CN")
            else:
                values[name] = raw
        except ValidationError as exc:
            _collect(errors, exc)
    return values


def clean_supplier_row(row: dict[str, str]) -> dict[str, Any]:
    """One row of strings → the arguments of `services.create_supplier`, every error of the
    row at once, including a code that already exists."""
    errors: dict[str, list[str]] = {}
    values = _common(row, SUPPLIER_COLUMNS, errors)
    if "code" not in errors and Supplier.objects.filter(code=values["code"]).exists():
        errors.setdefault("code", []).append(
            _("Supplier %(code)s already exists.") % {"code": values["code"]}
        )
    if errors:
        raise ValidationError(errors)
    return values


def clean_customer_row(row: dict[str, str]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    values = _common(row, CUSTOMER_COLUMNS, errors)
    if "code" not in errors and Customer.objects.filter(code=values["code"]).exists():
        errors.setdefault("code", []).append(
            _("Customer %(code)s already exists.") % {"code": values["code"]}
        )
    if not errors:
        try:
            services.check_customer(Customer(**values))
        except ValidationError as exc:
            _collect(errors, exc)
    if errors:
        raise ValidationError(errors)
    return values


def _supplier_permission(actor: Any) -> None:
    authorize(actor, "partners.import")
    authorize(actor, services.MANAGE_SUPPLIERS)


def _customer_permission(actor: Any) -> None:
    authorize(actor, "partners.import")
    authorize(actor, services.MANAGE_CUSTOMERS)


def import_suppliers(actor: Any, data: bytes, *, filename: str) -> imports.ImportResult:
    """Raises PermissionDenied and `imports.ImportFileError`; row problems are in the
    result's `errors`."""
    return imports.run(
        actor,
        data,
        filename=filename,
        kind="partners.supplier",
        columns=SUPPLIER_COLUMNS,
        required=SUPPLIER_REQUIRED,
        clean_row=clean_supplier_row,
        create=lambda who, cleaned: services.create_supplier(who, **cleaned),
        key=lambda cleaned: cleaned["code"],
        permission=_supplier_permission,
    )


def import_customers(actor: Any, data: bytes, *, filename: str) -> imports.ImportResult:
    return imports.run(
        actor,
        data,
        filename=filename,
        kind="partners.customer",
        columns=CUSTOMER_COLUMNS,
        required=CUSTOMER_REQUIRED,
        clean_row=clean_customer_row,
        create=lambda who, cleaned: services.create_customer(who, **cleaned),
        key=lambda cleaned: cleaned["code"],
        permission=_customer_permission,
    )


def run(kind: str, actor: Any, data: bytes, *, filename: str) -> imports.ImportResult:
    importer = import_suppliers if kind == "suppliers" else import_customers
    return importer(actor, data, filename=filename)
