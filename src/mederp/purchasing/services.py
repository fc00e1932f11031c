"""Purchase orders and receiving against them.

Every function authorizes, applies the purchasing rules, writes and records its ledger entry
in one transaction. The rules a PO line must pass (checked when the line is added or changed
and again when the order is submitted, because a supplier or certificate may have changed in
between):

* the item is released;
* rule SUPPLIER-STATUS: the supplier is approved or conditionally approved (conditional: the
  ledger entry and the PO page carry a note); pending or disqualified suppliers are refused;
* rule ASL: the supplier is on the approved supplier list for the item;
* rule CERTIFICATE: none of the supplier's current certificates has expired; what an expired
  one does is MEDERP_EXPIRED_CERTIFICATE: "block" refuses, "warn" lets the line through with
  the warning in the ledger entry.

Receiving re-checks the supplier's status and certificates, converts the quantity into the
item's base unit, refuses anything beyond the ordered quantity (no over-receipt tolerance: a
supplier's over-delivery is a new PO line, decided by purchasing), makes our lot linked to the
supplier's lot and puts it in quarantine.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mederp import audit
from mederp.access import sod
from mederp.access.refusals import audited_refusals
from mederp.audit.changes import REDACTED, fingerprint
from mederp.core.numbering import next_number
from mederp.identity.authz import authorize
from mederp.identity.authz import user_or_none as _user
from mederp.inventory import services as inventory
from mederp.inventory.choices import LocationKind
from mederp.inventory.models import Location
from mederp.items import gs1
from mederp.items.choices import ItemStatus
from mederp.items.models import Item, UnitOfMeasure
from mederp.items.services import convert
from mederp.partners import selectors as partners
from mederp.partners.choices import SupplierStatus
from mederp.partners.models import Supplier
from mederp.purchasing.choices import PoStatus
from mederp.purchasing.models import PurchaseOrder, PurchaseOrderLine, Receipt

MANAGE = "purchasing.manage"
APPROVE = "purchasing.approve"
RECEIVE = "inventory.receive"
Q6 = Decimal("0.000001")
Q4 = Decimal("0.0001")
EDITABLE_ORDER = ("order_date", "currency", "notes")
EDITABLE_LINE = ("quantity", "uom", "unit_price", "due_date")
RECEIVABLE = (PoStatus.APPROVED, PoStatus.PARTIALLY_RECEIVED)


def _reason(reason: str, message: str) -> str:
    if not reason or not reason.strip():
        raise ValidationError({"reason": message})
    return reason.strip()


def _decimal(value: Any, field: str, *, positive: bool = True, places: Decimal = Q6) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ArithmeticError, ValueError) as exc:
        raise ValidationError({field: _("Enter a number.")}) from exc
    if not number.is_finite():
        raise ValidationError({field: _("Enter a number.")})
    if positive and number <= 0:
        raise ValidationError({field: _("The quantity must be greater than zero.")})
    if not positive and number < 0:
        raise ValidationError({field: _("The value cannot be negative.")})
    if number != number.quantize(places):
        raise ValidationError(
            {field: _("At most %(n)d decimal places.") % {"n": 6 if places == Q6 else 4}}
        )
    return number


def _lock(order: PurchaseOrder) -> PurchaseOrder:
    return (
        PurchaseOrder.objects.select_for_update()
        .select_related("supplier", "site")
        .get(pk=order.pk)
    )


def _draft(order: PurchaseOrder) -> None:
    if order.status != PoStatus.DRAFT:
        raise ValidationError(
            _("Purchase order %(po)s is %(status)s: only a draft can be changed.")
            % {"po": order.number, "status": PoStatus(order.status).label}
        )


def _bump(order: PurchaseOrder, actor: Any) -> None:
    order.version += 1
    order.updated_by = _user(actor)


def approval_amounts() -> dict[str, Decimal]:
    """Currency → the total above which an order needs approval. The home currency's amount
    is MEDERP_PO_APPROVAL_AMOUNT; other currencies are allowed only with an amount of their
    own in MEDERP_PO_APPROVAL_AMOUNTS ("USD=1400,EUR=1300"), so a buyer cannot slip under
    the limit by switching currency."""
    amounts = {
        str(settings.MEDERP_PO_HOME_CURRENCY).upper(): Decimal(
            str(settings.MEDERP_PO_APPROVAL_AMOUNT)
        )
    }
    for part in settings.MEDERP_PO_APPROVAL_AMOUNTS:
        code, _sep, value = part.partition("=")
        amounts[code.strip().upper()] = Decimal(value.strip())
    return amounts


def approval_amount(currency: str | None = None) -> Decimal:
    amounts = approval_amounts()
    code = (currency or settings.MEDERP_PO_HOME_CURRENCY).upper()
    if code not in amounts:
        raise ValidationError(
            {
                "currency": _(
                    "Currency %(code)s has no approval amount configured; allowed: %(allowed)s."
                )
                % {"code": code, "allowed": ", ".join(sorted(amounts))}
            }
        )
    return amounts[code]


def certificate_mode() -> str:
    mode = str(settings.MEDERP_EXPIRED_CERTIFICATE).strip().lower()
    return mode if mode in ("block", "warn") else "block"


# --- the purchasing rules ---------------------------------------------------------------------
def supplier_notes(supplier: Supplier, on: dt.date | None = None) -> list[str]:
    """Apply rules SUPPLIER-STATUS and CERTIFICATE to a supplier: raise when it may not be
    ordered from or received from; return the warnings to record (conditional approval, an
    expired certificate in "warn" mode)."""
    on = on or timezone.localdate()
    if supplier.status not in partners.SUPPLYING_STATUSES:
        raise ValidationError(
            _(
                "Rule SUPPLIER-STATUS: supplier %(code)s is %(status)s; only approved or "
                "conditionally approved suppliers can be ordered from or received from."
            )
            % {"code": supplier.code, "status": SupplierStatus(supplier.status).label}
        )
    notes: list[str] = []
    if supplier.status == SupplierStatus.CONDITIONAL:
        notes.append(
            _("Supplier %(code)s is only conditionally approved.") % {"code": supplier.code}
        )
    for cert in partners.expired_certificates(supplier, on):
        text = _(
            "Rule CERTIFICATE: supplier %(code)s's certificate %(kind)s %(number)s expired on "
            "%(date)s."
        ) % {
            "code": supplier.code,
            "kind": cert.get_kind_display(),
            "number": cert.number,
            "date": cert.expires_on.isoformat(),
        }
        if certificate_mode() == "block":
            raise ValidationError(text)
        notes.append(text)
    return notes


def line_rules(
    supplier: Supplier, item: Item, manufacturer_part_no: str | None = None
) -> tuple[Any, list[str]]:
    """The approved supplier list entry the line leans on and the warnings; raises with the
    rule's name when the line may not be ordered."""
    if item.status != ItemStatus.RELEASED:
        raise ValidationError(
            {
                "item": _("Item %(code)s is %(status)s: only released items can be ordered.")
                % {"code": item.code, "status": ItemStatus(item.status).label}
            }
        )
    notes = supplier_notes(supplier)
    entry = partners.approved_entry(supplier, item, manufacturer_part_no or None)
    if entry is None:
        raise ValidationError(
            {
                "item": _(
                    "Rule ASL: supplier %(supplier)s is not on the approved supplier list for "
                    "item %(item)s."
                )
                % {"supplier": supplier.code, "item": item.code}
                + (
                    " " + _("(manufacturer part number %(mpn)s)") % {"mpn": manufacturer_part_no}
                    if manufacturer_part_no
                    else ""
                )
            }
        )
    return entry, notes


def _line_summary(line: PurchaseOrderLine) -> dict[str, Any]:
    return {
        "item": line.item.code,
        "quantity": str(line.quantity.normalize()),
        "uom": line.uom.code,
        # the amount stays out of the ledger (see PurchaseOrderLine.audit_fingerprint)
        "unit_price": {REDACTED: fingerprint(line.unit_price)},
        "due_date": line.due_date.isoformat(),
        "asl": line.approved_supplier.manufacturer_part_no,
    }


def _check_uom(item: Item, uom: UnitOfMeasure) -> None:
    try:  # receiving converts into the item's base unit: the line's unit must convert
        convert(Decimal(1), uom, item.uom, item=item)
    except ValidationError as exc:
        raise ValidationError({"uom": exc.messages}) from exc


# --- purchase orders -------------------------------------------------------------------------
@transaction.atomic
def create_order(
    actor: Any,
    *,
    site: Any,
    supplier: Supplier,
    order_date: dt.date | None = None,
    currency: str = "",
    notes: str = "",
) -> PurchaseOrder:
    authorize(actor, MANAGE, site)
    currency = (currency or settings.MEDERP_PO_HOME_CURRENCY).strip().upper()
    approval_amount(currency)  # refuses a currency without an approval amount
    warnings = supplier_notes(supplier)
    order = PurchaseOrder(
        number=next_number("PO"),
        site=site,
        supplier=supplier,
        order_date=order_date or timezone.localdate(),
        currency=currency,
        notes=notes.strip(),
        created_by=_user(actor),
        updated_by=_user(actor),
    )
    order.full_clean()
    order.save()
    changes = audit.diff(None, order)
    if warnings:
        changes["warnings"] = [None, warnings]
    audit.record("create", order, changes=changes, actor=actor, site=site)
    order.warnings = warnings  # type: ignore[attr-defined]
    return order


@transaction.atomic
def update_order(actor: Any, order: PurchaseOrder, **changes: Any) -> PurchaseOrder:
    locked = _lock(order)
    authorize(actor, MANAGE, locked.site)
    _draft(locked)
    unknown = set(changes) - set(EDITABLE_ORDER)
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    before = audit.snapshot(locked)
    for name, value in changes.items():
        setattr(locked, name, value.strip() if isinstance(value, str) else value)
    locked.currency = locked.currency.upper()
    approval_amount(locked.currency)
    locked.full_clean()
    diff = audit.diff(before, locked)
    if not diff:
        return locked
    _bump(locked, actor)
    locked.save()
    audit.record("update", locked, changes=diff, actor=actor, site=locked.site)
    return locked


@transaction.atomic
def add_line(
    actor: Any,
    order: PurchaseOrder,
    *,
    item: Item,
    quantity: Any,
    uom: UnitOfMeasure | None,
    unit_price: Any,
    due_date: dt.date,
    manufacturer_part_no: str | None = None,
) -> PurchaseOrderLine:
    locked = _lock(order)
    authorize(actor, MANAGE, locked.site)
    _draft(locked)
    entry, warnings = line_rules(locked.supplier, item, manufacturer_part_no)
    uom = uom or item.uom
    _check_uom(item, uom)
    last = locked.lines.order_by("-line_no").values_list("line_no", flat=True).first() or 0
    line = PurchaseOrderLine(
        order=locked,
        line_no=last + 1,
        item=item,
        approved_supplier=entry,
        quantity=_decimal(quantity, "quantity"),
        uom=uom,
        unit_price=_decimal(unit_price, "unit_price", positive=False, places=Q4),
        due_date=due_date,
    )
    line.full_clean()
    line.save()
    _bump(locked, actor)
    locked.save(update_fields=["version", "updated_by", "updated_at"])
    changes: dict[str, Any] = {f"line {line.line_no}": [None, _line_summary(line)]}
    if warnings:
        changes["warnings"] = [None, warnings]
    audit.record("update", locked, changes=changes, actor=actor, site=locked.site)
    line.warnings = warnings  # type: ignore[attr-defined]
    return line


@transaction.atomic
def update_line(actor: Any, line: PurchaseOrderLine, **changes: Any) -> PurchaseOrderLine:
    locked = _lock(line.order)
    authorize(actor, MANAGE, locked.site)
    _draft(locked)
    unknown = set(changes) - set(EDITABLE_LINE)
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    row = (
        PurchaseOrderLine.objects.select_for_update().select_related("item", "uom").get(pk=line.pk)
    )
    before = _line_summary(row)
    _entry, warnings = line_rules(
        locked.supplier, row.item, row.approved_supplier.manufacturer_part_no
    )
    if "quantity" in changes:
        row.quantity = _decimal(changes["quantity"], "quantity")
    if "unit_price" in changes:
        row.unit_price = _decimal(changes["unit_price"], "unit_price", positive=False, places=Q4)
    if changes.get("uom") is not None:
        _check_uom(row.item, changes["uom"])
        row.uom = changes["uom"]
    if changes.get("due_date") is not None:
        row.due_date = changes["due_date"]
    row.full_clean()
    after = _line_summary(row)
    if after == before:
        return row
    row.save()
    _bump(locked, actor)
    locked.save(update_fields=["version", "updated_by", "updated_at"])
    diff: dict[str, Any] = {f"line {row.line_no}": [before, after]}
    if warnings:
        diff["warnings"] = [None, warnings]
    audit.record("update", locked, changes=diff, actor=actor, site=locked.site)
    row.warnings = warnings  # type: ignore[attr-defined]
    return row


@transaction.atomic
def remove_line(actor: Any, line: PurchaseOrderLine) -> None:
    """A draft's line is a proposal, not yet a record: it may go (the ledger keeps it)."""
    locked = _lock(line.order)
    authorize(actor, MANAGE, locked.site)
    _draft(locked)
    row = PurchaseOrderLine.objects.select_for_update().get(pk=line.pk)
    summary = _line_summary(row)
    line_no = row.line_no
    row.delete()
    _bump(locked, actor)
    locked.save(update_fields=["version", "updated_by", "updated_at"])
    audit.record(
        "update",
        locked,
        changes={f"line {line_no}": [summary, None]},
        actor=actor,
        site=locked.site,
    )


def order_total(order: PurchaseOrder) -> Decimal:
    total = sum((line.quantity * line.unit_price for line in order.lines.all()), Decimal(0))
    return total.quantize(Q4, rounding=ROUND_HALF_UP)


@transaction.atomic
def submit(actor: Any, order: PurchaseOrder) -> PurchaseOrder:
    """Total from the lines; above MEDERP_PO_APPROVAL_AMOUNT the order awaits a second
    person's approval, otherwise it is approved at once (by the rule, not by a person)."""
    locked = _lock(order)
    authorize(actor, MANAGE, locked.site)
    _draft(locked)
    lines = list(locked.lines.select_related("item", "approved_supplier"))
    if not lines:
        raise ValidationError(_("A purchase order needs at least one line before it is submitted."))
    warnings: list[str] = []
    for line in lines:  # the supplier, its list entries or certificates may have changed
        _entry, notes = line_rules(
            locked.supplier, line.item, line.approved_supplier.manufacturer_part_no
        )
        warnings += [n for n in notes if n not in warnings]
    before = audit.snapshot(locked)
    now = timezone.now()
    locked.total = order_total(locked)
    locked.submitted_at = now
    locked.submitted_by = _user(actor)
    threshold = approval_amount(locked.currency)
    if locked.total > threshold:
        locked.status = PoStatus.PENDING_APPROVAL
    else:
        locked.status = PoStatus.APPROVED
        locked.approved_at = now
    _bump(locked, actor)
    locked.save()
    changes = audit.diff(before, locked)
    changes["approval_amount"] = [None, str(threshold)]
    if warnings:
        changes["warnings"] = [None, warnings]
    audit.record("transition", locked, changes=changes, actor=actor, site=locked.site)
    locked.warnings = warnings  # type: ignore[attr-defined]
    return locked


def authors(order: PurchaseOrder) -> list[int]:
    """Everyone who wrote the order (created it, changed it or its lines, submitted it), from
    the order's own ledger entries: the approver must be none of them, not only the last."""
    from mederp.audit.models import AuditEntry

    ids = (
        AuditEntry.objects.filter(
            object_type=order._meta.label_lower,
            object_id=str(order.pk),
            action__in=("create", "update", "transition"),
            actor_id__isnull=False,
        )
        .values_list("actor_id", flat=True)
        .distinct()
    )
    return [int(i) for i in ids if i is not None]


@audited_refusals
@transaction.atomic
def approve(actor: Any, order: PurchaseOrder, *, reason: str = "") -> PurchaseOrder:
    locked = _lock(order)
    authorize(actor, APPROVE, locked.site)
    if locked.status != PoStatus.PENDING_APPROVAL:
        raise ValidationError(
            _("Purchase order %(po)s is %(status)s: only an order awaiting approval is approved.")
            % {"po": locked.number, "status": PoStatus(locked.status).label}
        )
    sod.check("buyer_not_po_approver", actor, record=locked, people=authors(locked))
    before = audit.snapshot(locked)
    locked.status = PoStatus.APPROVED
    locked.approved_at = timezone.now()
    locked.approved_by = _user(actor)
    _bump(locked, actor)
    locked.save()
    audit.record(
        "approve",
        locked,
        changes=audit.diff(before, locked),
        reason=reason.strip(),
        actor=actor,
        site=locked.site,
    )
    return locked


@transaction.atomic
def cancel(actor: Any, order: PurchaseOrder, *, reason: str) -> PurchaseOrder:
    locked = _lock(order)
    authorize(actor, MANAGE, locked.site)
    reason = _reason(reason, _("A reason is required to cancel a purchase order."))
    if locked.status not in (PoStatus.DRAFT, PoStatus.PENDING_APPROVAL, PoStatus.APPROVED):
        raise ValidationError(
            _(
                "Purchase order %(po)s is %(status)s: goods were received against it, so it is "
                "closed rather than cancelled."
            )
            % {"po": locked.number, "status": PoStatus(locked.status).label}
            if locked.status in (PoStatus.PARTIALLY_RECEIVED, PoStatus.RECEIVED)
            else _("Purchase order %(po)s is already %(status)s.")
            % {"po": locked.number, "status": PoStatus(locked.status).label}
        )
    return _transition(actor, locked, PoStatus.CANCELLED, reason)


@transaction.atomic
def close(actor: Any, order: PurchaseOrder, *, reason: str = "") -> PurchaseOrder:
    """An order nothing more is expected on. Closing before everything came in (a short
    close) needs a reason."""
    locked = _lock(order)
    authorize(actor, MANAGE, locked.site)
    if locked.status not in (PoStatus.APPROVED, PoStatus.PARTIALLY_RECEIVED, PoStatus.RECEIVED):
        raise ValidationError(
            _("Purchase order %(po)s is %(status)s: only approved or received orders are closed.")
            % {"po": locked.number, "status": PoStatus(locked.status).label}
        )
    if locked.status != PoStatus.RECEIVED:
        reason = _reason(
            reason, _("Not everything was received: give a reason to close the order short.")
        )
    return _transition(actor, locked, PoStatus.CLOSED, reason.strip())


def _transition(actor: Any, order: PurchaseOrder, status: str, reason: str) -> PurchaseOrder:
    before = audit.snapshot(order)
    order.status = status
    _bump(order, actor)
    order.save()
    audit.record(
        "transition",
        order,
        changes=audit.diff(before, order),
        reason=reason,
        actor=actor,
        site=order.site,
    )
    return order


# --- GS1 scans -------------------------------------------------------------------------------
SCAN_FIELDS = {"01": "gtin", "10": "supplier_lot", "11": "manufactured_on", "17": "expires_on"}


def parse_scan(scan: str) -> dict[str, Any]:
    """What a barcode scan fills on the receiving form: gtin, supplier_lot, manufactured_on,
    expires_on (dates), serial. Raises ValidationError({"scan": ...}) for a malformed scan.
    Scanners that cannot type GS may send "|" for FNC1."""
    try:
        elements = gs1.parse(scan or "", separators="|")
    except (ValueError, TypeError) as exc:
        raise ValidationError(
            {"scan": _("The scan is not a GS1 barcode we can read: %(error)s") % {"error": exc}}
        ) from exc
    out: dict[str, Any] = {}
    for ai, name in SCAN_FIELDS.items():
        if ai in elements:
            value: Any = elements[ai]
            if name in ("manufactured_on", "expires_on"):
                value = dt.date.fromisoformat(value)
            out[name] = value
    if "21" in elements:
        out["serial"] = elements["21"]
    if not out:
        raise ValidationError(
            {
                "scan": _(
                    "The scan holds none of GTIN (01), lot (10), manufacture date (11), "
                    "expiry (17) or serial (21)."
                )
            }
        )
    return out


def check_gtin(item: Item, gtin: str | None) -> str:
    """The scanned GTIN as GTIN-14 ("" when none); refused when the item has a GTIN and the
    scanned one differs."""
    if not gtin:
        return ""
    if not gs1.gtin_is_valid(gtin):
        raise ValidationError({"gtin": _("%(gtin)s is not a valid GTIN.") % {"gtin": gtin}})
    scanned = gs1.gtin14(gtin)
    if item.gtin and scanned != item.gtin:
        raise ValidationError(
            {
                "gtin": _(
                    "The scanned GTIN %(scanned)s is not item %(item)s's GTIN %(expected)s: "
                    "wrong goods or wrong line."
                )
                % {"scanned": scanned, "item": item.code, "expected": item.gtin}
            }
        )
    return scanned


# --- receiving -------------------------------------------------------------------------------
@transaction.atomic
def receive(
    actor: Any,
    *,
    line: PurchaseOrderLine,
    quantity: Any,
    uom: UnitOfMeasure | None,
    supplier_lot: str,
    manufactured_on: dt.date | None = None,
    expires_on: dt.date | None = None,
    serials: Iterable[str] = (),
    certificate: Any = None,
    location: Location | None = None,
    gtin: str | None = None,
) -> Receipt:
    """Receive goods against a PO line into quarantine: our lot (linked to the supplier's
    lot), the stock movement, the receipt and the ledger entries, all or nothing."""
    order = _lock(line.order)
    authorize(actor, RECEIVE, order.site)
    if order.status not in RECEIVABLE:
        raise ValidationError(
            _(
                "Purchase order %(po)s is %(status)s: goods are received only against "
                "approved orders."
            )
            % {"po": order.number, "status": PoStatus(order.status).label}
        )
    row = (
        PurchaseOrderLine.objects.select_for_update()
        .select_related("item", "item__uom", "uom")
        .get(pk=line.pk, order=order)
    )
    item = row.item
    warnings = supplier_notes(order.supplier)
    scanned_gtin = check_gtin(item, gtin)
    uom = uom or row.uom
    qty = _decimal(quantity, "quantity")
    base_qty = convert(qty, uom, item.uom, item=item).quantize(Q6, rounding=ROUND_HALF_UP)
    line_qty = convert(qty, uom, row.uom, item=item).quantize(Q6, rounding=ROUND_HALF_UP)
    open_qty = row.quantity - row.received_quantity
    if line_qty > open_qty:
        raise ValidationError(
            {
                "quantity": _(
                    "Over-receipt refused: line %(line)s of %(po)s ordered %(ordered)s %(uom)s, "
                    "%(done)s already received, %(open)s still open; this receipt is %(qty)s "
                    "%(uom)s. Nothing beyond the ordered quantity is received."
                )
                % {
                    "line": row.line_no,
                    "po": order.number,
                    "ordered": row.quantity.normalize(),
                    "done": row.received_quantity.normalize(),
                    "open": open_qty.normalize(),
                    "qty": line_qty.normalize(),
                    "uom": row.uom.code,
                }
            }
        )
    supplier_lot = (supplier_lot or "").strip()
    if item.lot_tracked and not supplier_lot:
        raise ValidationError({"supplier_lot": _("Enter the supplier's lot number.")})
    if item.shelf_life_days and expires_on is None and manufactured_on is None:
        raise ValidationError(
            {
                "expires_on": _(
                    "Item %(item)s has a shelf life: enter the expiry date (or the manufacture "
                    "date, from which it is derived)."
                )
                % {"item": item.code}
            }
        )
    if location is None:
        location = inventory.default_location(order.site, LocationKind.QUARANTINE)
    lot = inventory.create_lot(
        actor,
        item=item,
        site=order.site,
        supplier=order.supplier,
        supplier_lot=supplier_lot,
        manufactured_on=manufactured_on,
        expires_on=expires_on,
    )
    now = timezone.now()
    number = next_number("GR")
    inventory.receive_into_quarantine(
        actor, lot=lot, location=location, quantity=base_qty, serials=serials, reference=number
    )
    receipt = Receipt(
        number=number,
        site=order.site,
        line=row,
        quantity=qty,
        uom=uom,
        base_quantity=base_qty,
        supplier_lot=supplier_lot,
        manufactured_on=manufactured_on,
        expires_on=lot.expires_on,
        lot=lot,
        location=location,
        on_time=timezone.localdate(now) <= row.due_date,
        received_at=now,
        received_by=_user(actor),
    )
    # The foreign keys are rows locked or created above, and the number comes from the
    # sequence: the database constraints guard them without a query each.
    receipt.full_clean(
        exclude=["certificate", "site", "line", "uom", "lot", "location", "received_by"],
        validate_unique=False,
    )
    receipt.save()
    if certificate:
        receipt.certificate = attach(actor, certificate, receipt)
        receipt.save(update_fields=["certificate"])
    row.received_quantity += line_qty
    row.save(update_fields=["received_quantity"])
    _after_receipt(actor, order, receipt)
    changes = audit.diff(None, receipt)
    changes["po"] = [None, order.number]
    if scanned_gtin:
        changes["gtin"] = [None, scanned_gtin]
    if warnings:
        changes["warnings"] = [None, warnings]
    audit.record("receive", receipt, changes=changes, actor=actor, site=order.site)
    receipt.warnings = warnings  # type: ignore[attr-defined]
    return receipt


def attach(actor: Any, upload: Any, receipt: Receipt) -> Any:
    from mederp.core import attachments

    return attachments.store(actor, upload, obj=receipt, site=receipt.site)


def _after_receipt(actor: Any, order: PurchaseOrder, receipt: Receipt) -> None:
    complete = all(
        line.received_quantity >= line.quantity
        for line in order.lines.all().only("quantity", "received_quantity")
    )
    status = PoStatus.RECEIVED if complete else PoStatus.PARTIALLY_RECEIVED
    if status != order.status:
        _transition(actor, order, status, _("Receipt %(gr)s") % {"gr": receipt.number})
