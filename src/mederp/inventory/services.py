"""Locations, lots, the lot status machine and stock movements.

Every movement authorizes, checks the lot's status and the stock on hand, writes its
immutable `StockMove` rows, updates the cached `StockBalance` rows and records its ledger
entry in one transaction. Quantities never go negative, even with many writers: the lot row
and then the balance rows (in location order) are locked before anything is read, so two
issues from the same lot queue up instead of both seeing the same stock.

Which lot status may sit in which kind of location (a transfer elsewhere is refused):

    QUARANTINE → quarantine           RELEASED → stock, production, shipping
    REJECTED   → rejected (MRB)       ON_HOLD  → stock, quarantine
    EXPIRED, RECALLED → quarantine, rejected
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from mederp import audit
from mederp.core.numbering import next_number
from mederp.identity.authz import authorize
from mederp.identity.authz import user_or_none as _user
from mederp.identity.models import Site
from mederp.inventory.choices import (
    LocationKind,
    LocationLevel,
    LotStatus,
    MoveKind,
    SerialStatus,
)
from mederp.inventory.models import Location, Lot, Serial, StockBalance, StockMove
from mederp.items.models import Item

ALLOWED_KINDS: dict[str, frozenset[str]] = {
    LotStatus.QUARANTINE: frozenset({LocationKind.QUARANTINE}),
    LotStatus.RELEASED: frozenset(
        {LocationKind.STOCK, LocationKind.PRODUCTION, LocationKind.SHIPPING}
    ),
    LotStatus.REJECTED: frozenset({LocationKind.REJECTED}),
    LotStatus.ON_HOLD: frozenset({LocationKind.STOCK, LocationKind.QUARANTINE}),
    LotStatus.EXPIRED: frozenset({LocationKind.QUARANTINE, LocationKind.REJECTED}),
    LotStatus.RECALLED: frozenset({LocationKind.QUARANTINE, LocationKind.REJECTED}),
}

# Lot status machine: from → the statuses it may go to.
TRANSITIONS: dict[str, frozenset[str]] = {
    LotStatus.QUARANTINE: frozenset(
        {LotStatus.RELEASED, LotStatus.REJECTED, LotStatus.EXPIRED, LotStatus.RECALLED}
    ),
    LotStatus.RELEASED: frozenset({LotStatus.ON_HOLD, LotStatus.EXPIRED, LotStatus.RECALLED}),
    LotStatus.ON_HOLD: frozenset({LotStatus.RELEASED, LotStatus.EXPIRED, LotStatus.RECALLED}),
    LotStatus.REJECTED: frozenset(),
    LotStatus.EXPIRED: frozenset({LotStatus.RECALLED}),
    LotStatus.RECALLED: frozenset(),
}

EDITABLE_LOCATION = ("name", "kind", "storage_condition", "active", "parent")


def _reason(reason: str, message: str) -> str:
    if not reason or not reason.strip():
        raise ValidationError({"reason": message})
    return reason.strip()


def fmt(quantity: Decimal) -> str:
    """100, not 1E+2 (Decimal.normalize alone gives exponents)."""
    return format(quantity.normalize(), "f")


def _positive(quantity: Any) -> Decimal:
    try:
        value = Decimal(str(quantity))
    except ArithmeticError as exc:
        raise ValidationError({"quantity": _("Enter a number.")}) from exc
    if not value.is_finite() or value <= 0:
        raise ValidationError({"quantity": _("The quantity must be greater than zero.")})
    if value != value.quantize(Decimal("0.000001")):
        raise ValidationError({"quantity": _("At most 6 decimal places.")})
    return value


# --- locations --------------------------------------------------------------------------------
_PARENT_LEVEL = {LocationLevel.ZONE: LocationLevel.WAREHOUSE, LocationLevel.BIN: LocationLevel.ZONE}


def _check_parent(location: Location) -> None:
    expected = _PARENT_LEVEL.get(LocationLevel(location.level))
    parent = location.parent
    if expected is None:
        if parent is not None:
            raise ValidationError({"parent": _("A warehouse has no parent location.")})
        return
    if parent is None or parent.level != expected or parent.site_id != location.site_id:
        raise ValidationError(
            {
                "parent": _("A %(level)s belongs to a %(parent)s of the same site.")
                % {
                    "level": LocationLevel(location.level).label,
                    "parent": LocationLevel(expected).label,
                }
            }
        )


@transaction.atomic
def create_location(
    actor: Any,
    *,
    site: Site,
    code: str,
    name: str,
    level: str,
    kind: str,
    parent: Location | None = None,
    storage_condition: str = "ambient",
) -> Location:
    authorize(actor, "inventory.manage_locations", site)
    location = Location(
        site=site,
        parent=parent,
        code=code.strip().upper(),
        name=name.strip(),
        level=level,
        kind=kind,
        storage_condition=storage_condition,
    )
    location.full_clean()
    _check_parent(location)
    location.save()
    audit.record("create", location, changes=audit.diff(None, location), actor=actor, site=site)
    return location


@transaction.atomic
def update_location(actor: Any, location: Location, *, reason: str, **changes: Any) -> Location:
    authorize(actor, "inventory.manage_locations", location.site)
    unknown = set(changes) - set(EDITABLE_LOCATION)
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    reason = _reason(reason, _("A reason is required to change a location."))
    locked = Location.objects.select_for_update().get(pk=location.pk)
    before = audit.snapshot(locked)
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.full_clean()
    _check_parent(locked)
    if (
        "kind" in changes
        and changes["kind"] != before["kind"]
        and StockBalance.objects.filter(location=locked, quantity__gt=0).exists()
    ):
        raise ValidationError({"kind": _("The type of a location that holds stock cannot change.")})
    changed = audit.diff(before, locked)
    if not changed:
        return locked
    locked.save()
    audit.record("update", locked, changes=changed, reason=reason, actor=actor, site=locked.site)
    return locked


def default_location(site: Site | int, kind: str) -> Location:
    """The site's active location of this kind highest in the tree (a warehouse before its
    zones, a zone before its bins), then by code: goods arrive in the general area and are
    put away from there (receiving, disposition)."""
    depth = Case(
        When(level=LocationLevel.WAREHOUSE, then=Value(0)),
        When(level=LocationLevel.ZONE, then=Value(1)),
        default=Value(2),
    )
    location = (
        Location.objects.filter(site=site, kind=kind, active=True).order_by(depth, "code").first()
    )
    if location is None:
        raise ValidationError(
            _("Site has no active %(kind)s location: create one first.")
            % {"kind": LocationKind(kind).label}
        )
    return location


# --- lots ------------------------------------------------------------------------------------
def create_lot(
    actor: Any,
    *,
    item: Item,
    site: Site,
    supplier: Any = None,
    supplier_lot: str = "",
    manufactured_on: dt.date | None = None,
    expires_on: dt.date | None = None,
) -> Lot:
    """A new lot in QUARANTINE, numbered `LOT-<year>-<n>`; runs in the caller's transaction
    (receiving). Without an expiry date, the item's shelf life from the manufacture date
    gives one."""
    if expires_on is None and manufactured_on is not None and item.shelf_life_days:
        expires_on = manufactured_on + dt.timedelta(days=item.shelf_life_days)
    if manufactured_on and expires_on and expires_on <= manufactured_on:
        raise ValidationError({"expires_on": _("The expiry date must be after manufacture.")})
    lot = Lot(
        item=item,
        number=next_number("LOT", width=6),
        site=site,
        supplier=supplier,
        supplier_lot=supplier_lot.strip(),
        manufactured_on=manufactured_on,
        expires_on=expires_on,
        created_by=_user(actor),
        updated_by=_user(actor),
    )
    # Foreign keys are objects the caller loaded and the number comes from the sequence: the
    # database constraints guard them; re-querying each one per lot would double receiving time.
    lot.full_clean(
        exclude=["item", "site", "supplier", "created_by", "updated_by"], validate_unique=False
    )
    lot.save()
    audit.record("create", lot, changes=audit.diff(None, lot), actor=actor, site=site)
    return lot


def _lock_lot(lot: Lot | int) -> Lot:
    return Lot.objects.select_for_update().select_related("item").get(pk=getattr(lot, "pk", lot))


def _transition(actor: Any, lot: Lot, status: str, reason: str) -> Lot:
    """Move a locked lot to `status` if the machine allows it (no authorization: callers)."""
    if status not in TRANSITIONS[LotStatus(lot.status)]:
        raise ValidationError(
            _("A lot in status %(old)s cannot become %(new)s.")
            % {"old": LotStatus(lot.status).label, "new": LotStatus(status).label}
        )
    before = audit.snapshot(lot)
    lot.status = status
    lot.status_reason = reason[:300]
    lot.updated_by = _user(actor)
    lot.version = F("version") + 1
    lot.save()
    lot.refresh_from_db(fields=["version", "updated_at"])
    audit.record(
        "transition",
        lot,
        changes=audit.diff(before, lot),
        reason=reason,
        actor=actor,
        site=lot.site,
    )
    return lot


def transition_lot(actor: Any, lot: Lot | int, status: str, *, reason: str) -> Lot:
    """For other services (inspection disposition, recall) in their own transaction: they
    authorize; this checks the machine, writes and records."""
    return _transition(actor, _lock_lot(lot), status, reason)


def move_lot_stock(actor: Any, lot: Lot, to_kind: str, *, reason: str, reference: str) -> int:
    """Move every quantity of the (locked) lot to the site's default location of `to_kind`,
    e.g. from quarantine to released stock after acceptance. Returns the number of moves."""
    target = default_location(lot.site_id, to_kind)
    moved = 0
    balances = list(
        StockBalance.objects.select_for_update()
        .filter(lot=lot, quantity__gt=0)
        .exclude(location=target)
        .select_related("location")
        .order_by("location_id")
    )
    for balance in balances:
        serials = list(
            Serial.objects.filter(lot=lot, location=balance.location_id, status="in_stock")
        )
        moves = _post(
            actor,
            kind=MoveKind.TRANSFER,
            lot=lot,
            quantity=balance.quantity,
            from_location=balance.location,
            to_location=target,
            serials=serials,
            reason=reason,
            reference=reference,
        )
        _audit_move(actor, lot, MoveKind.TRANSFER, moves, reason)
        moved += 1
    return moved


@transaction.atomic
def hold_lot(actor: Any, lot: Lot, *, reason: str) -> Lot:
    locked = _lock_lot(lot)
    authorize(actor, "inventory.hold_lot", locked.site)
    reason = _reason(reason, _("A reason is required to put a lot on hold."))
    return _transition(actor, locked, LotStatus.ON_HOLD, reason)


@transaction.atomic
def lift_hold(actor: Any, lot: Lot, *, reason: str) -> Lot:
    locked = _lock_lot(lot)
    authorize(actor, "inventory.hold_lot", locked.site)
    reason = _reason(reason, _("A reason is required to lift a hold."))
    if locked.status != LotStatus.ON_HOLD:
        raise ValidationError(_("Only a lot on hold can be released from hold."))
    if locked.expires_on and locked.expires_on < timezone.localdate():
        raise ValidationError(_("The lot has expired; it cannot be released."))
    return _transition(actor, locked, LotStatus.RELEASED, reason)


def expire_lots(today: dt.date | None = None) -> int:
    """The periodic job: lots past their expiry date become EXPIRED (system actor)."""
    from mederp.identity.authz import SYSTEM

    today = today or timezone.localdate()
    due = Lot.objects.filter(
        expires_on__lt=today,
        status__in=[LotStatus.QUARANTINE, LotStatus.RELEASED, LotStatus.ON_HOLD],
    ).values_list("pk", flat=True)
    count = 0
    for pk in list(due):
        with transaction.atomic():
            locked = _lock_lot(pk)
            if locked.status in TRANSITIONS and LotStatus.EXPIRED in TRANSITIONS[locked.status]:
                _transition(SYSTEM, locked, LotStatus.EXPIRED, f"expired on {locked.expires_on}")
                count += 1
    return count


# --- movements -------------------------------------------------------------------------------
def _check_location(lot: Lot, location: Location) -> None:
    if location.site_id != lot.site_id:
        raise ValidationError(
            {"to_location": _("Stock stays at its site: the location is at another site.")}
        )
    if not location.active:
        raise ValidationError(
            {"to_location": _("The location %(code)s is inactive.") % {"code": location.code}}
        )
    allowed = ALLOWED_KINDS[LotStatus(lot.status)]
    if location.kind not in allowed:
        raise ValidationError(
            {
                "to_location": _("A lot in status %(status)s cannot be put in a %(kind)s location.")
                % {
                    "status": LotStatus(lot.status).label,
                    "kind": LocationKind(location.kind).label,
                }
            }
        )


def check_stock_found(lot: Lot, location: Location) -> None:
    """Stock found by a count is booked into `location`: the same rules as a transfer
    there, so a quarantined, rejected or expired lot is never found into released stock."""
    if location.site_id != lot.site_id:
        raise ValidationError(
            {"location": _("Stock stays at its site: the location is at another site.")}
        )
    if location.kind not in ALLOWED_KINDS[LotStatus(lot.status)]:
        raise ValidationError(
            {
                "lot": _(
                    "Lot %(lot)s is in status %(status)s: stock found cannot be booked into "
                    "%(code)s (a %(kind)s location). A lot in this status belongs in: "
                    "%(allowed)s."
                )
                % {
                    "lot": lot.number,
                    "status": LotStatus(lot.status).label,
                    "code": location.code,
                    "kind": LocationKind(location.kind).label,
                    "allowed": ", ".join(
                        str(LocationKind(k).label)
                        for k in LocationKind.values
                        if k in ALLOWED_KINDS[LotStatus(lot.status)]
                    ),
                }
            }
        )


def _balance(lot: Lot, location: Location) -> StockBalance:
    balance, _created = StockBalance.objects.select_for_update().get_or_create(
        lot=lot, location=location, defaults={"item_id": lot.item_id}
    )
    return balance


def _check_serials(
    lot: Lot, quantity: Decimal, serials: Sequence[Serial], location: Location | None
) -> None:
    if not lot.item.serial_tracked:
        if serials:
            raise ValidationError({"serials": _("This item is not tracked by serial number.")})
        return
    if quantity != len(serials):
        raise ValidationError(
            {
                "serials": _(
                    "Serial-tracked item: list one serial number per unit (%(qty)s units, "
                    "%(n)d serial numbers)."
                )
                % {"qty": fmt(quantity), "n": len(serials)}
            }
        )
    for serial in serials:
        if serial.lot_id != lot.pk:
            raise ValidationError(
                {"serials": _("Serial %(s)s is not in this lot.") % {"s": serial.serial}}
            )
        if location is not None and (
            serial.location_id != location.pk or serial.status != SerialStatus.IN_STOCK
        ):
            raise ValidationError(
                {
                    "serials": _("Serial %(s)s is not in stock at %(loc)s.")
                    % {"s": serial.serial, "loc": location.code}
                }
            )


def _post(
    actor: Any,
    *,
    kind: str,
    lot: Lot,
    quantity: Decimal,
    from_location: Location | None = None,
    to_location: Location | None = None,
    serials: Sequence[Serial] = (),
    serial_status: str | None = None,
    reason: str = "",
    reference: str = "",
) -> list[StockMove]:
    """Write the movement rows and balances for a locked lot. Runs in the caller's
    transaction; no authorization or status rule here (the public services apply them)."""
    _check_serials(lot, quantity, serials, from_location)
    now = timezone.now()
    locations = sorted(
        (loc for loc in (from_location, to_location) if loc is not None), key=lambda loc: loc.pk
    )
    balances = {loc.pk: _balance(lot, loc) for loc in locations}  # locked in location order
    if from_location is not None:
        held = balances[from_location.pk]
        if held.quantity < quantity:
            raise ValidationError(
                {
                    "quantity": _(
                        "Only %(held)s %(uom)s of lot %(lot)s are at %(loc)s; %(qty)s asked."
                    )
                    % {
                        "held": fmt(held.quantity),
                        "uom": lot.item.uom.code,
                        "lot": lot.number,
                        "loc": from_location.code,
                        "qty": fmt(quantity),
                    }
                }
            )
        held.quantity = F("quantity") - quantity
        held.save(update_fields=["quantity"])
    if to_location is not None:
        gained = balances[to_location.pk]
        gained.quantity = F("quantity") + quantity
        gained.save(update_fields=["quantity"])
    common = {
        "site_id": lot.site_id,
        "kind": kind,
        "item_id": lot.item_id,
        "lot": lot,
        "from_location": from_location,
        "to_location": to_location,
        "uom_id": lot.item.uom_id,
        "reason": reason[:300],
        "reference": reference[:40],
        "created_at": now,
        "created_by": _user(actor),
    }
    if serials:
        moves = [StockMove(serial=s, quantity=Decimal(1), **common) for s in serials]
        for serial in serials:
            serial.location = to_location
            serial.status = serial_status or (
                SerialStatus.IN_STOCK if to_location is not None else SerialStatus.ISSUED
            )
            serial.save(update_fields=["location", "status", "updated_at"])
    else:
        moves = [StockMove(quantity=quantity, **common)]
    return StockMove.objects.bulk_create(moves)


def _audit_move(actor: Any, lot: Lot, kind: str, moves: list[StockMove], reason: str) -> None:
    first = moves[0]
    changes: dict[str, Any] = {
        "kind": [None, kind],
        "quantity": [None, fmt(sum((m.quantity for m in moves), Decimal(0)))],
        "from_location": [None, first.from_location.code if first.from_location else None],
        "to_location": [None, first.to_location.code if first.to_location else None],
        "moves": [None, [m.pk for m in moves]],
    }
    serials = [m.serial.serial for m in moves if m.serial is not None]
    if serials:
        changes["serials"] = [None, serials]
    audit.record("stock_move", lot, changes=changes, reason=reason, actor=actor, site=lot.site)


def receive_into_quarantine(
    actor: Any,
    *,
    lot: Lot,
    location: Location,
    quantity: Any,
    serials: Iterable[str] = (),
    reference: str = "",
) -> list[StockMove]:
    """For receiving (in its transaction; it authorizes): put a new lot's quantity into a
    quarantine location, creating its serial numbers when the item is serial-tracked."""
    quantity = _positive(quantity)
    _check_location(lot, location)
    made: list[Serial] = []
    names = [s.strip() for s in serials if s and s.strip()]
    if lot.item.serial_tracked:
        if len(set(names)) != len(names):
            raise ValidationError({"serials": _("A serial number is listed twice.")})
        taken = set(
            Serial.objects.filter(item=lot.item, serial__in=names).values_list("serial", flat=True)
        )
        if taken:
            raise ValidationError(
                {
                    "serials": _("Serial numbers already exist for this item: %(s)s")
                    % {"s": ", ".join(sorted(taken))}
                }
            )
        made = Serial.objects.bulk_create(
            [Serial(item=lot.item, serial=n, lot=lot, site_id=lot.site_id) for n in names]
        )
        if quantity != len(made):
            raise ValidationError(
                {
                    "serials": _(
                        "Serial-tracked item: list one serial number per unit "
                        "(%(qty)s units, %(n)d serial numbers)."
                    )
                    % {"qty": fmt(quantity), "n": len(made)}
                }
            )
    elif names:
        raise ValidationError({"serials": _("This item is not tracked by serial number.")})
    moves = _post(
        actor,
        kind=MoveKind.RECEIPT,
        lot=lot,
        quantity=quantity,
        to_location=location,
        serials=made,
        reference=reference,
    )
    _audit_move(actor, lot, MoveKind.RECEIPT, moves, "")
    return moves


def _serials_by_name(lot: Lot, names: Iterable[str]) -> list[Serial]:
    wanted = [n.strip() for n in names if n and n.strip()]
    found = {
        s.serial: s for s in Serial.objects.select_for_update().filter(lot=lot, serial__in=wanted)
    }
    missing = [n for n in wanted if n not in found]
    if missing:
        raise ValidationError(
            {
                "serials": _("Not in lot %(lot)s: %(s)s")
                % {"lot": lot.number, "s": ", ".join(missing)}
            }
        )
    return [found[n] for n in wanted]


def _issuable(lot: Lot) -> None:
    if lot.status != LotStatus.RELEASED:
        raise ValidationError(
            _("Lot %(lot)s is %(status)s: only released lots can be issued or shipped.")
            % {"lot": lot.number, "status": LotStatus(lot.status).label}
        )
    if lot.expires_on is not None and lot.expires_on < timezone.localdate():
        raise ValidationError(
            _("Lot %(lot)s expired on %(date)s: it cannot be issued or shipped.")
            % {"lot": lot.number, "date": lot.expires_on.isoformat()}
        )


@transaction.atomic
def transfer(
    actor: Any,
    *,
    lot: Lot,
    from_location: Location,
    to_location: Location,
    quantity: Any,
    serials: Iterable[str] = (),
    reason: str = "",
) -> list[StockMove]:
    locked = _lock_lot(lot)
    authorize(actor, "inventory.move", locked.site)
    quantity = _positive(quantity)
    if from_location.pk == to_location.pk:
        raise ValidationError({"to_location": _("Choose a different location.")})
    if from_location.site_id != locked.site_id:
        raise ValidationError({"from_location": _("The location is at another site.")})
    _check_location(locked, to_location)
    moves = _post(
        actor,
        kind=MoveKind.TRANSFER,
        lot=locked,
        quantity=quantity,
        from_location=from_location,
        to_location=to_location,
        serials=_serials_by_name(locked, serials),
        reason=reason,
    )
    _audit_move(actor, locked, MoveKind.TRANSFER, moves, reason)
    return moves


@transaction.atomic
def issue(
    actor: Any,
    *,
    lot: Lot,
    location: Location,
    quantity: Any,
    serials: Iterable[str] = (),
    reference: str = "",
    reason: str = "",
) -> list[StockMove]:
    """Issue stock out of the warehouse (to production or a shipment). Only RELEASED,
    unexpired lots."""
    locked = _lock_lot(lot)
    authorize(actor, "inventory.move", locked.site)
    quantity = _positive(quantity)
    _issuable(locked)
    moves = _post(
        actor,
        kind=MoveKind.ISSUE,
        lot=locked,
        quantity=quantity,
        from_location=location,
        serials=_serials_by_name(locked, serials),
        serial_status=SerialStatus.ISSUED,
        reference=reference,
        reason=reason,
    )
    _audit_move(actor, locked, MoveKind.ISSUE, moves, reason)
    return moves


def _out(
    actor: Any,
    kind: str,
    serial_status: str,
    *,
    lot: Lot,
    location: Location,
    quantity: Any,
    serials: Iterable[str],
    reason: str,
) -> list[StockMove]:
    locked = _lock_lot(lot)
    authorize(actor, "inventory.adjust", locked.site)
    reason = _reason(reason, _("A reason is required."))
    quantity = _positive(quantity)
    moves = _post(
        actor,
        kind=kind,
        lot=locked,
        quantity=quantity,
        from_location=location,
        serials=_serials_by_name(locked, serials),
        serial_status=serial_status,
        reason=reason,
    )
    _audit_move(actor, locked, kind, moves, reason)
    return moves


@transaction.atomic
def scrap(
    actor: Any,
    *,
    lot: Lot,
    location: Location,
    quantity: Any,
    reason: str,
    serials: Iterable[str] = (),
) -> list[StockMove]:
    return _out(
        actor,
        MoveKind.SCRAP,
        SerialStatus.SCRAPPED,
        lot=lot,
        location=location,
        quantity=quantity,
        serials=serials,
        reason=reason,
    )


@transaction.atomic
def return_to_supplier(
    actor: Any,
    *,
    lot: Lot,
    location: Location,
    quantity: Any,
    reason: str,
    serials: Iterable[str] = (),
) -> list[StockMove]:
    """Send stock back to the lot's supplier (counts in the supplier's return rate)."""
    if lot.supplier_id is None:
        raise ValidationError(_("Lot %(lot)s has no supplier to return to.") % {"lot": lot.number})
    return _out(
        actor,
        MoveKind.RETURN,
        SerialStatus.RETURNED,
        lot=lot,
        location=location,
        quantity=quantity,
        serials=serials,
        reason=reason,
    )


def post_adjustment(
    actor: Any, *, lot: Lot, location: Location, difference: Decimal, reason: str, reference: str
) -> list[StockMove]:
    """A counted difference (for cycle counts, in their transaction; they authorize and
    approve). Positive: stock found, refused where the lot's status may not sit (a
    quarantined lot found in released stock); negative: stock missing, booked out wherever
    it was (an expired lot left in released stock can be missing too)."""
    locked = _lock_lot(lot)
    if difference == 0:
        return []
    if difference > 0:
        check_stock_found(locked, location)
        moves = _post(
            actor,
            kind=MoveKind.ADJUSTMENT,
            lot=locked,
            quantity=difference,
            to_location=location,
            reason=reason,
            reference=reference,
        )
    else:
        moves = _post(
            actor,
            kind=MoveKind.ADJUSTMENT,
            lot=locked,
            quantity=-difference,
            from_location=location,
            reason=reason,
            reference=reference,
        )
    _audit_move(actor, locked, MoveKind.ADJUSTMENT, moves, reason)
    return moves
