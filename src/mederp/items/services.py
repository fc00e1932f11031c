"""Items and units of measure: the only way to change them.

Item master data is company-wide, so permissions are checked without a site (held at any
site). Every change authorizes, validates, writes the item with a new version and records
its ledger entry (old → new, reason) in one transaction.

Status rules:
    draft     — `items.manage` changes any field;
    released  — `items.release` and a reason are required, the change-control hook is asked
                (for every changed field, the UDI-DI included), the code and the base unit
                cannot change (stock is counted in it), tracking and `implantable` cannot
                change once a lot of the item exists (its lots and serials were recorded
                under them), and the item must still pass the release checks afterwards;
    obsolete  — refused: the item stays readable for traceability, it is never changed again.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from mederp import audit
from mederp.identity.authz import authorize
from mederp.identity.authz import user_or_none as _user
from mederp.items.choices import ItemStatus, NmpaClass
from mederp.items.models import Item, UnitOfMeasure, UomConversion

# The fields a caller may set (create) or change (update). `status` and `version` change only
# through release/obsolete and the services themselves.
ITEM_FIELDS: tuple[str, ...] = (
    "code",
    "name_en",
    "name_zh",
    "item_type",
    "uom",
    "tracking",
    "shelf_life_days",
    "storage_condition",
    "storage_notes",
    "revision",
    "nmpa_class",
    "fda_class",
    "mdr_class",
    "gtin",
    "registration_no",
    "implantable",
)
# Stock and lots are counted in the base unit under the code: on a released item neither moves.
LOCKED_WHEN_RELEASED: frozenset[str] = frozenset({"code", "uom"})
# Lots (and serials) are recorded as the item was tracked: once one exists these stay put.
LOCKED_WITH_LOTS: frozenset[str] = frozenset({"tracking", "implantable"})


def _reason(reason: str | None, message: str) -> str:
    if not reason or not reason.strip():
        raise ValidationError({"reason": message})
    return reason.strip()


# --- units of measure -------------------------------------------------------------------------
def _unit(value: UnitOfMeasure | str) -> UnitOfMeasure:
    if isinstance(value, UnitOfMeasure):
        return value
    try:
        return UnitOfMeasure.objects.get(code=str(value).strip().upper())
    except UnitOfMeasure.DoesNotExist:
        raise ValidationError(
            _("There is no unit of measure %(code)s.") % {"code": value}, code="unknown_uom"
        ) from None


def _as_decimal(value: Any, field: str) -> Decimal:
    if isinstance(value, float):
        # Floats carry binary noise (0.1 → 0.1000000000000000055…): quantities must not.
        raise ValidationError({field: _("Give quantities as decimals, not floats.")})
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("Enter a number.")}) from None
    if not number.is_finite():
        raise ValidationError({field: _("Enter a number.")})
    return number


def _factor(
    item: Item | None, src: UnitOfMeasure, dst: UnitOfMeasure, *, item_only: bool = False
) -> Decimal | None:
    """The factor of `1 src = factor × dst`, or None when no conversion holds.

    Order: the item's own conversion, then the company-wide one, then the inverse of the
    item's, then the inverse of the company-wide one. An item-specific conversion wins over a
    company-wide one defined the same way; only one hop is taken (no chains), so every result
    traces back to exactly one conversion row.
    """
    item_id = item.pk if item is not None else None
    owners = (
        Q(item__isnull=True) | Q(item_id=item_id) if item_id is not None else Q(item__isnull=True)
    )
    rows = {
        (row.item_id, row.from_uom_id, row.to_uom_id): row.factor
        for row in UomConversion.objects.filter(
            owners, from_uom__in=(src, dst), to_uom__in=(src, dst)
        )
    }
    candidates: list[tuple[int | None, bool]] = []
    if item_id is not None:
        candidates.append((item_id, False))
    candidates.append((None, False))
    if item_id is not None:
        candidates.append((item_id, True))
    candidates.append((None, True))
    for owner, inverse in candidates:
        if item_only and owner is None:
            continue
        key = (owner, dst.pk, src.pk) if inverse else (owner, src.pk, dst.pk)
        factor = rows.get(key)
        if factor is not None:
            return Decimal(1) / factor if inverse else factor
    return None


def convert(
    quantity: Decimal | int | str,
    from_uom: UnitOfMeasure | str,
    to_uom: UnitOfMeasure | str,
    *,
    item: Item | None = None,
) -> Decimal:
    """`quantity` in `from_uom` expressed in `to_uom` (units as objects or codes).

    Same unit: returned unchanged. Units of different dimensions (a roll → metres, a drum →
    kilograms) convert only through the item's own packaging conversion, never company-wide.
    Otherwise the item's own conversion, then the company-wide one, then the inverse of either
    (see `_factor`). The result is exact for multiplication and rounded to the decimal context
    (28 significant digits) for an inverse; callers that store it quantize to their own
    precision. No path raises a ValidationError that names both units.
    """
    amount = _as_decimal(quantity, "quantity")
    src, dst = _unit(from_uom), _unit(to_uom)
    if src.pk == dst.pk:
        return amount
    across = src.dimension != dst.dimension
    factor = _factor(item, src, dst, item_only=across)
    if across and factor is None:
        raise ValidationError(
            _(
                "%(src)s (%(src_dim)s) cannot be converted to %(dst)s (%(dst_dim)s): "
                "the units measure different things and the item defines no packaging "
                "conversion between them."
            )
            % {
                "src": src.code,
                "dst": dst.code,
                "src_dim": src.get_dimension_display(),
                "dst_dim": dst.get_dimension_display(),
            },
            code="uom_dimension",
        )
    if factor is None:
        if item is not None:
            message = _(
                "No conversion from %(src)s to %(dst)s is defined for item %(item)s "
                "or company-wide."
            ) % {"src": src.code, "dst": dst.code, "item": item.code}
        else:
            message = _("No company-wide conversion from %(src)s to %(dst)s is defined.") % {
                "src": src.code,
                "dst": dst.code,
            }
        raise ValidationError(message, code="uom_no_conversion")
    return amount * factor


def _conversion_text(src: UnitOfMeasure, dst: UnitOfMeasure, value: Decimal) -> str:
    return f"1 {src.code} = {value.normalize():f} {dst.code}"


@transaction.atomic
def add_conversion(
    actor: Any,
    *,
    from_uom: UnitOfMeasure | str,
    to_uom: UnitOfMeasure | str,
    factor: Decimal | int | str,
    item: Item | None = None,
    reason: str = "",
) -> UomConversion:
    """Define `1 from_uom = factor × to_uom`, for one item or (item None) company-wide.

    A conversion changes how receipts in other units are counted. On a draft item it needs
    `items.manage`; on a released item, and company-wide (every item uses it), it needs
    `items.release` and a reason, and for a released item the change-control hook is asked.
    The reason is kept in the ledger entry.
    """
    if item is not None:
        item = Item.objects.select_for_update().get(pk=item.pk)
        if item.status == ItemStatus.OBSOLETE:
            authorize(actor, "items.manage")
            raise ValidationError(_("Item %(code)s is obsolete.") % {"code": item.code})
    controlled = item is None or item.status == ItemStatus.RELEASED
    authorize(actor, "items.release" if controlled else "items.manage")
    if controlled:
        text = _reason(
            reason,
            _("A conversion for a released item changes only with a reason.")
            if item is not None
            else _("A company-wide conversion is added only with a reason."),
        )
    else:
        text = (reason or "").strip()
    src, dst = _unit(from_uom), _unit(to_uom)
    value = _as_decimal(factor, "factor")
    if value <= 0:
        raise ValidationError({"factor": _("The factor must be greater than zero.")})
    if src.pk == dst.pk:
        raise ValidationError({"to_uom": _("A unit converts to itself without a conversion.")})
    if src.dimension != dst.dimension and item is None:
        # Across dimensions only as an item's packaging (1 roll of this tubing = 500 m).
        raise ValidationError(
            {
                "to_uom": _("%(src)s and %(dst)s measure different things.")
                % {"src": src.code, "dst": dst.code}
            }
        )
    scope = (
        UomConversion.objects.filter(item=item)
        if item
        else UomConversion.objects.filter(item__isnull=True)
    )
    if (
        scope.filter(from_uom=src, to_uom=dst).exists()
        or scope.filter(from_uom=dst, to_uom=src).exists()
    ):
        # Two rows for one pair could disagree; the inverse is derived, never stored.
        raise ValidationError(
            _("A conversion between %(src)s and %(dst)s is already defined%(where)s.")
            % {
                "src": src.code,
                "dst": dst.code,
                "where": (_(" for item %(code)s") % {"code": item.code}) if item else "",
            },
            code="uom_conversion_exists",
        )
    if item is not None and item.status == ItemStatus.RELEASED:
        refusal = change_control_required(item, {"conversion": _conversion_text(src, dst, value)})
        if refusal:
            raise ValidationError(refusal, code="change_control")
    conversion = UomConversion(item=item, from_uom=src, to_uom=dst, factor=value)
    conversion.full_clean()
    conversion.save()
    audit.record(
        "create",
        conversion,
        changes=audit.diff(None, conversion),
        reason=text,
        actor=actor,
        site=None,
    )
    return conversion


# --- items ------------------------------------------------------------------------------------
def change_control_required(item: Item, changes: Mapping[str, Any]) -> str | None:
    """The change-control hook: asked before a released item changes.

    Returns None to allow the change, or a message that refuses it. Today it allows every
    change (the reason and `items.release` are what guard a released item). When the change
    control module arrives, this is where it demands an approved change request covering
    `item` and the `changes` ({field: new value}); callers and tests already go through it.
    """
    return None


def _clean_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(fields) - set(ITEM_FIELDS))
    if unknown:
        raise ValidationError(
            _("These fields cannot be set: %(fields)s.") % {"fields": ", ".join(unknown)},
            code="unknown_field",
        )
    values = dict(fields)
    for name in ("code", "gtin", "registration_no"):
        if isinstance(values.get(name), str):
            values[name] = values[name].strip()
    if isinstance(values.get("code"), str):
        values["code"] = values["code"].upper()
    for name in ("name_en", "name_zh", "storage_notes", "revision"):
        if isinstance(values.get(name), str):
            values[name] = values[name].strip()
    if "uom" in values and not isinstance(values["uom"], UnitOfMeasure):
        values["uom"] = _unit(values["uom"])
    for name in ("nmpa_class", "fda_class", "mdr_class", "gtin", "registration_no"):
        if name in values and values[name] is None:
            values[name] = ""
    return values


def release_problems(item: Item) -> dict[str, str]:
    """What stops `item` from being released (field → message); empty when it may be."""
    problems: dict[str, str] = {}
    if item.is_finished_device:
        if not item.gtin:
            problems["gtin"] = _("A finished device needs its UDI-DI (GTIN-14) to be released.")
        if not item.nmpa_class:
            problems["nmpa_class"] = _("A finished device needs its NMPA class to be released.")
        elif item.nmpa_class in (NmpaClass.II, NmpaClass.III) and not item.registration_no:
            problems["registration_no"] = _(
                "An NMPA class II or III device needs its registration certificate number "
                "(注册证编号) to be released."
            )
    if item.implantable and not item.serial_tracked:
        problems["tracking"] = _("An implantable device must be tracked by serial number.")
    return problems


def _validate(item: Item) -> None:
    item.full_clean()
    if item.status == ItemStatus.RELEASED:
        problems = release_problems(item)
        if problems:
            raise ValidationError(problems)


def _locked_item(item: Item) -> Item:
    return Item.objects.select_for_update().get(pk=item.pk)


def _check_version(item: Item, expected_version: int | None) -> None:
    if expected_version is not None and int(expected_version) != item.version:
        raise ValidationError(
            _(
                "Item %(code)s was changed by someone else (now version %(now)d, you edited "
                "version %(was)d). Reload it and make your change again."
            )
            % {"code": item.code, "now": item.version, "was": int(expected_version)},
            code="stale_version",
        )


def _check_lot_locked(item: Item, changed: Mapping[str, Any]) -> None:
    """Refuse a change of tracking or `implantable` once a lot of the item exists.

    Lots and serials were recorded as the item was tracked: turning a serial-tracked item into
    a lot-tracked one would leave serials in stock that nothing moves any more (and the other
    way round, lots without serials). A new revision or a new item is the way.
    """
    locked = sorted(LOCKED_WITH_LOTS & set(changed))
    if not locked:
        return
    lot_model = apps.get_model("inventory", "Lot")
    if not lot_model.objects.filter(item_id=item.pk).exists():
        return
    raise ValidationError(
        {
            name: _(
                "Lots of item %(code)s exist: its tracking and implantable flag cannot change "
                "any more (its lots and serials were recorded under them). Create a new "
                "revision as a new item instead."
            )
            % {"code": item.code}
            for name in locked
        }
    )


@transaction.atomic
def create_item(actor: Any, **fields: Any) -> Item:
    """A new item, always a draft at version 1 (company-wide master data)."""
    authorize(actor, "items.manage")
    values = _clean_fields(fields)
    item = Item(**values, status=ItemStatus.DRAFT, version=1)
    item.created_by = item.updated_by = _user(actor)
    _validate(item)
    item.save()
    audit.record("create", item, changes=audit.diff(None, item), actor=actor, site=None)
    return item


@transaction.atomic
def update_item(
    actor: Any,
    item: Item,
    fields: Mapping[str, Any],
    *,
    reason: str = "",
    expected_version: int | None = None,
) -> Item:
    """Change an item's fields (see the module docstring for the rules by status)."""
    values = _clean_fields(fields)
    item = _locked_item(item)
    if item.status == ItemStatus.OBSOLETE:
        authorize(actor, "items.manage")
        raise ValidationError(
            _("Item %(code)s is obsolete and can no longer be changed.") % {"code": item.code},
            code="item_obsolete",
        )
    released = item.status == ItemStatus.RELEASED
    authorize(actor, "items.release" if released else "items.manage")
    _check_version(item, expected_version)
    before = audit.snapshot(item)
    changed = {k: v for k, v in values.items() if getattr(item, k) != v}
    if not changed:
        return item
    if released:
        text = _reason(reason, _("A released item changes only with a reason."))
        locked = sorted(LOCKED_WHEN_RELEASED & set(changed))
        if locked:
            raise ValidationError(
                {
                    name: _(
                        "This field of a released item cannot change: stock and lots are "
                        "counted under it. Create a new item instead."
                    )
                    for name in locked
                }
            )
        _check_lot_locked(item, changed)
        refusal = change_control_required(item, changed)
        if refusal:
            raise ValidationError(refusal, code="change_control")
    else:
        text = (reason or "").strip()
        _check_lot_locked(item, changed)
    for name, value in changed.items():
        setattr(item, name, value)
    _validate(item)
    item.version += 1
    item.updated_by = _user(actor)
    item.save()
    audit.record(
        "update", item, changes=audit.diff(before, item), reason=text, actor=actor, site=None
    )
    return item


@transaction.atomic
def release_item(actor: Any, item: Item, *, reason: str = "") -> Item:
    """Draft → released, once the item is complete (see `release_problems`)."""
    authorize(actor, "items.release")
    item = _locked_item(item)
    if item.status != ItemStatus.DRAFT:
        raise ValidationError(
            _("Only a draft item can be released; %(code)s is %(status)s.")
            % {"code": item.code, "status": item.get_status_display()},
            code="item_status",
        )
    before = audit.snapshot(item)
    item.status = ItemStatus.RELEASED
    _validate(item)
    item.version += 1
    item.updated_by = _user(actor)
    item.save()
    audit.record(
        "transition",
        item,
        changes=audit.diff(before, item),
        reason=(reason or "").strip(),
        actor=actor,
        site=None,
    )
    return item


@transaction.atomic
def obsolete_item(actor: Any, item: Item, *, reason: str) -> Item:
    """Draft or released → obsolete, with a reason. Existing lots and history stay readable."""
    authorize(actor, "items.release")
    text = _reason(reason, _("Say why the item becomes obsolete."))
    item = _locked_item(item)
    if item.status == ItemStatus.OBSOLETE:
        raise ValidationError(
            _("Item %(code)s is already obsolete.") % {"code": item.code}, code="item_status"
        )
    before = audit.snapshot(item)
    item.status = ItemStatus.OBSOLETE
    item.version += 1
    item.updated_by = _user(actor)
    item.save()
    audit.record(
        "transition", item, changes=audit.diff(before, item), reason=text, actor=actor, site=None
    )
    return item
