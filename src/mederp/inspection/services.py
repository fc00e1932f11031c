"""Incoming inspection: plans per item, inspections of received lots, results, dispositions.

Each public function authorizes, validates, writes and records its ledger entry in one
transaction. The disposition moves the lot through the inventory services in the same
transaction, so a lot is never RELEASED while its stock still sits in quarantine (or the
other way round).

Rules the issue leaves open, decided here (docs/user/incoming-inspection.md):

* One inspection per lot. The lot size is the receipt's quantity in the item's base unit; a
  fractional lot size (e.g. 12.5 kg) is refused: ISO 2859-1 sampling counts units.
* Accept needs every characteristic inspected on the full sample size, and the nonconforming
  units of all characteristics together at most Ac (counting per characteristic is the
  conservative reading: one unit failing two characteristics counts twice).
* Reject may be decided at any time with a reason (curtailed inspection once Re is reached,
  or a reason outside the sample, e.g. a missing certificate).
* Accept with deviation needs every characteristic recorded and a reason; a QA approver
  (not the inspector, nor anyone who recorded a result) approves or rejects it with an
  electronic signature.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from mederp import audit
from mederp.access import sod
from mederp.access.refusals import audited_refusals
from mederp.core.numbering import next_number
from mederp.identity.authz import authorize
from mederp.identity.authz import user_or_none as _user
from mederp.inspection import sampling
from mederp.inspection.choices import (
    CharacteristicKind,
    Disposition,
    InspectionStatus,
    PlanStatus,
)
from mederp.inspection.models import Characteristic, Inspection, InspectionPlan, InspectionResult
from mederp.inventory import services as inventory
from mederp.inventory.choices import LocationKind, LotStatus
from mederp.inventory.models import Lot

MANAGE = "inspection.manage_plans"
PERFORM = "inspection.perform"
APPROVE = "inspection.approve_deviation"


def _required(value: str, field: str, message: str) -> str:
    if not value or not str(value).strip():
        raise ValidationError({field: message})
    return str(value).strip()


def _decimal(value: Any, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({field: _("Enter a number.")}) from exc
    if not number.is_finite():
        raise ValidationError({field: _("Enter a number.")})
    if number != number.quantize(Decimal("0.000001")):
        raise ValidationError({field: _("At most 6 decimal places.")})
    return number


def _count(value: Any, field: str) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError) as exc:
        raise ValidationError({field: _("Enter a whole number.")}) from exc
    if number < 0:
        raise ValidationError({field: _("The number cannot be negative.")})
    return number


def clean_aql(aql: Any) -> str:
    try:
        return sampling.normalize_aql(aql if isinstance(aql, Decimal | int) else str(aql))
    except (ValueError, TypeError) as exc:
        raise ValidationError(
            {
                "aql": _(
                    "%(aql)s is not an AQL of the ISO 2859-1 table (e.g. 0.65, 1.0, 2.5, 4.0)."
                )
                % {"aql": aql}
            }
        ) from exc


def clean_level(level: Any) -> str:
    try:
        return sampling.normalize_level(str(level))
    except (ValueError, TypeError) as exc:
        raise ValidationError(
            {
                "level": _("%(level)s is not an inspection level (I, II, III or S-1 to S-4).")
                % {"level": level}
            }
        ) from exc


# --- plans -----------------------------------------------------------------------------------
def _lock_plan(plan: InspectionPlan) -> InspectionPlan:
    return InspectionPlan.objects.select_for_update().select_related("item").get(pk=plan.pk)


def _draft(plan: InspectionPlan) -> None:
    if plan.status != PlanStatus.DRAFT:
        raise ValidationError(
            _("Plan revision %(rev)s is %(status)s: only a draft plan can be changed.")
            % {"rev": plan.revision, "status": PlanStatus(plan.status).label}
        )


@transaction.atomic
def create_plan(
    actor: Any,
    *,
    item: Any,
    aql: Any,
    level: Any = "II",
    notes: str = "",
    copy_from: InspectionPlan | None = None,
    characteristics: list[dict[str, Any]] | None = None,
) -> InspectionPlan:
    """A draft plan, the item's next revision; `copy_from` copies an earlier revision's
    characteristics (a new revision of a plan in use); `characteristics` (dicts of
    `add_characteristic`'s arguments) are added in the same transaction."""
    authorize(actor, MANAGE, None)  # plans are company-wide, as items are
    if item.status == "obsolete":
        raise ValidationError({"item": _("The item is obsolete: it needs no inspection plan.")})
    if copy_from is not None and copy_from.item_id != item.pk:
        raise ValidationError({"copy_from": _("That plan is for another item.")})
    last = InspectionPlan.objects.filter(item=item).aggregate(m=Max("revision"))["m"] or 0
    plan = InspectionPlan(
        item=item,
        revision=last + 1,
        aql=clean_aql(aql),
        level=clean_level(level),
        notes=(notes or "").strip(),
        created_by=_user(actor),
        updated_by=_user(actor),
    )
    plan.full_clean()
    plan.save()
    audit.record("create", plan, changes=audit.diff(None, plan), actor=actor)
    if copy_from is not None:
        for source in copy_from.characteristics.all():
            copy = Characteristic.objects.create(
                plan=plan,
                seq=source.seq,
                name=source.name,
                method=source.method,
                kind=source.kind,
                unit=source.unit,
                lower_limit=source.lower_limit,
                upper_limit=source.upper_limit,
            )
            audit.record("create", copy, changes=audit.diff(None, copy), actor=actor)
    for number, spec in enumerate(characteristics or (), start=1):
        try:
            add_characteristic(actor, plan, **spec)
        except ValidationError as exc:
            raise ValidationError(
                {
                    "characteristics": _("Characteristic %(n)s: %(errors)s")
                    % {"n": number, "errors": " ".join(exc.messages)}
                }
            ) from exc
    return plan


@transaction.atomic
def update_plan(
    actor: Any,
    plan: InspectionPlan,
    *,
    aql: Any = None,
    level: Any = None,
    notes: str | None = None,
) -> InspectionPlan:
    authorize(actor, MANAGE, None)
    locked = _lock_plan(plan)
    _draft(locked)
    before = audit.snapshot(locked)
    if aql is not None:
        locked.aql = clean_aql(aql)
    if level is not None:
        locked.level = clean_level(level)
    if notes is not None:
        locked.notes = notes.strip()
    changes = audit.diff(before, locked)
    if not changes:
        return locked
    locked.updated_by = _user(actor)
    locked.version = F("version") + 1
    locked.save()
    locked.refresh_from_db()
    audit.record("update", locked, changes=changes, actor=actor)
    return locked


def _limits(kind: str, lower: Decimal | None, upper: Decimal | None) -> None:
    if kind == CharacteristicKind.VARIABLE:
        if lower is None and upper is None:
            raise ValidationError(
                {"lower_limit": _("A variable characteristic needs a lower or an upper limit.")}
            )
        if lower is not None and upper is not None and lower > upper:
            raise ValidationError(
                {"upper_limit": _("The upper limit must not be below the lower limit.")}
            )
    elif lower is not None or upper is not None:
        raise ValidationError(
            {"kind": _("An attribute characteristic has no limits: choose Variable to set them.")}
        )


@transaction.atomic
def add_characteristic(
    actor: Any,
    plan: InspectionPlan,
    *,
    name: str,
    method: str,
    kind: str,
    seq: int | None = None,
    unit: str = "",
    lower_limit: Any = None,
    upper_limit: Any = None,
) -> Characteristic:
    authorize(actor, MANAGE, None)
    locked = _lock_plan(plan)
    _draft(locked)
    if kind not in CharacteristicKind.values:
        raise ValidationError({"kind": _("Choose attribute or variable.")})
    lower = _decimal(lower_limit, "lower_limit")
    upper = _decimal(upper_limit, "upper_limit")
    _limits(kind, lower, upper)
    if seq is None:
        seq = (locked.characteristics.aggregate(m=Max("seq"))["m"] or 0) + 10
    elif locked.characteristics.filter(seq=seq).exists():
        raise ValidationError(
            {"seq": _("Number %(seq)s is already used in this plan.") % {"seq": seq}}
        )
    characteristic = Characteristic(
        plan=locked,
        seq=seq,
        name=_required(name, "name", _("Name the characteristic.")),
        method=_required(method, "method", _("Say how it is inspected (the method).")),
        kind=kind,
        unit=(unit or "").strip(),
        lower_limit=lower,
        upper_limit=upper,
    )
    characteristic.full_clean()
    characteristic.save()
    audit.record("create", characteristic, changes=audit.diff(None, characteristic), actor=actor)
    return characteristic


@transaction.atomic
def remove_characteristic(actor: Any, characteristic: Characteristic) -> None:
    """Only from a draft plan: nothing has been inspected against it yet."""
    authorize(actor, MANAGE, None)
    _draft(_lock_plan(characteristic.plan))
    gone = {name: [value, None] for name, value in audit.snapshot(characteristic).items()}
    audit.record("delete", characteristic, changes=gone, actor=actor)
    characteristic.delete()


@transaction.atomic
def activate_plan(actor: Any, plan: InspectionPlan, *, reason: str = "") -> InspectionPlan:
    """Draft → active; the item's previously active plan is retired in the same step."""
    authorize(actor, MANAGE, None)
    locked = _lock_plan(plan)
    _draft(locked)
    if not locked.characteristics.exists():
        raise ValidationError(_("Add at least one characteristic before activating the plan."))
    if locked.item.status != "released":
        raise ValidationError(
            {
                "item": _("Item %(code)s is not released: activate its plan after release.")
                % {"code": locked.item.code}
            }
        )
    previous = list(
        InspectionPlan.objects.select_for_update().filter(
            item_id=locked.item_id, status=PlanStatus.ACTIVE
        )
    )
    for old in previous:
        before = audit.snapshot(old)
        old.status = PlanStatus.RETIRED
        old.updated_by = _user(actor)
        old.version = F("version") + 1
        old.save()
        old.refresh_from_db()
        audit.record(
            "transition",
            old,
            changes=audit.diff(before, old),
            reason=_("Replaced by revision %(rev)s") % {"rev": locked.revision},
            actor=actor,
        )
    before = audit.snapshot(locked)
    locked.status = PlanStatus.ACTIVE
    locked.updated_by = _user(actor)
    locked.version = F("version") + 1
    locked.save()
    locked.refresh_from_db()
    audit.record(
        "transition", locked, changes=audit.diff(before, locked), reason=reason, actor=actor
    )
    return locked


# --- inspections ------------------------------------------------------------------------------
def _lot_size(receipt: Any) -> int:
    quantity = Decimal(receipt.base_quantity)
    if quantity != quantity.to_integral_value():
        raise ValidationError(
            _(
                "The lot size is %(qty)s %(uom)s, not a whole number of units: sampling by "
                "ISO 2859-1 counts units. Receive the lot in countable units (e.g. packs)."
            )
            % {"qty": quantity.normalize(), "uom": receipt.lot.item.uom.code}
        )
    return int(quantity)


@transaction.atomic
def start_inspection(actor: Any, lot: Lot) -> Inspection:
    locked = Lot.objects.select_for_update().select_related("item", "item__uom").get(pk=lot.pk)
    authorize(actor, PERFORM, locked.site)
    if locked.status != LotStatus.QUARANTINE:
        raise ValidationError(
            _("Lot %(lot)s is %(status)s: only a lot in quarantine is inspected.")
            % {"lot": locked.number, "status": LotStatus(locked.status).label}
        )
    if Inspection.objects.filter(lot=locked).exists():
        raise ValidationError(_("Lot %(lot)s already has an inspection.") % {"lot": locked.number})
    from mederp.purchasing.models import Receipt

    receipt = Receipt.objects.select_related("lot__item__uom").filter(lot=locked).first()
    if receipt is None:
        raise ValidationError(
            _("Lot %(lot)s was not received against a purchase order: nothing to inspect.")
            % {"lot": locked.number}
        )
    plan = InspectionPlan.objects.filter(item=locked.item, status=PlanStatus.ACTIVE).first()
    if plan is None:
        raise ValidationError(
            _(
                "Item %(code)s has no active inspection plan: a quality engineer must create "
                "and activate one first."
            )
            % {"code": locked.item.code}
        )
    size = _lot_size(receipt)
    chosen = sampling.plan(size, plan.aql, plan.level)
    inspection = Inspection(
        number=next_number("INS"),
        site=locked.site,
        lot=locked,
        receipt=receipt,
        plan=plan,
        lot_size=size,
        aql=plan.aql,
        level=plan.level,
        code_letter=chosen.code_letter,
        sample_size=chosen.sample_size,
        accept_number=chosen.accept,
        reject_number=chosen.reject,
        inspected_by=_user(actor),
        created_by=_user(actor),
    )
    inspection.full_clean()
    inspection.save()
    audit.record(
        "create", inspection, changes=audit.diff(None, inspection), actor=actor, site=locked.site
    )
    return inspection


def _lock(inspection: Inspection) -> Inspection:
    return (
        Inspection.objects.select_for_update()
        .select_related("lot", "plan", "site")
        .get(pk=inspection.pk)
    )


def _open(inspection: Inspection) -> None:
    if inspection.status != InspectionStatus.OPEN:
        raise ValidationError(
            _("Inspection %(number)s is %(status)s: it can no longer be changed.")
            % {
                "number": inspection.number,
                "status": InspectionStatus(inspection.status).label,
            }
        )


@transaction.atomic
def record_result(
    actor: Any,
    inspection: Inspection,
    characteristic: Characteristic,
    *,
    inspected_quantity: Any,
    nonconforming: Any = 0,
    measured_min: Any = None,
    measured_max: Any = None,
    notes: str = "",
    reason: str = "",
) -> InspectionResult:
    """Record (or, with a reason, correct) the result of one characteristic."""
    locked = _lock(inspection)
    authorize(actor, PERFORM, locked.site)
    _open(locked)
    if characteristic.plan_id != locked.plan_id:
        raise ValidationError(
            {"characteristic": _("This characteristic is not in the inspection's plan.")}
        )
    inspected = _count(inspected_quantity, "inspected_quantity")
    bad = _count(nonconforming, "nonconforming")
    if inspected < 1:
        raise ValidationError({"inspected_quantity": _("Inspect at least one unit.")})
    if inspected > locked.sample_size:
        raise ValidationError(
            {
                "inspected_quantity": _("At most the sample size: %(n)s units (%(given)s given).")
                % {"n": locked.sample_size, "given": inspected}
            }
        )
    if bad > inspected:
        raise ValidationError(
            {"nonconforming": _("More nonconforming units than units inspected.")}
        )
    low = _decimal(measured_min, "measured_min")
    high = _decimal(measured_max, "measured_max")
    if characteristic.kind == CharacteristicKind.VARIABLE:
        if low is None or high is None:
            raise ValidationError(
                {"measured_min": _("Enter the lowest and the highest measured value.")}
            )
        if low > high:
            raise ValidationError(
                {"measured_max": _("The highest value is below the lowest value.")}
            )
        outside = (characteristic.lower_limit is not None and low < characteristic.lower_limit) or (
            characteristic.upper_limit is not None and high > characteristic.upper_limit
        )
        if outside and bad == 0:
            raise ValidationError(
                {
                    "nonconforming": _(
                        "A measured value is outside the limits: at least one unit is "
                        "nonconforming."
                    )
                }
            )
    elif low is not None or high is not None:
        raise ValidationError(
            {"measured_min": _("An attribute characteristic has no measured values.")}
        )
    existing = (
        InspectionResult.objects.select_for_update()
        .filter(inspection=locked, characteristic=characteristic)
        .first()
    )
    if existing is not None:
        reason = _required(reason, "reason", _("A recorded result changes only with a reason."))
    result = existing or InspectionResult(inspection=locked, characteristic=characteristic)
    before = audit.snapshot(existing) if existing is not None else None
    result.inspected_quantity = inspected
    result.nonconforming = bad
    result.measured_min = low
    result.measured_max = high
    result.notes = (notes or "").strip()
    result.recorded_at = timezone.now()
    result.recorded_by = _user(actor)
    result.full_clean(validate_unique=False)
    changes = audit.diff(before, result)
    if existing is not None and set(changes) <= {"recorded_at"}:
        return existing
    result.save()
    audit.record(
        "inspection_result",
        locked,
        changes={
            "characteristic": [None, f"{characteristic.seq} {characteristic.name}"],
            **audit.diff(before, result),
        },
        reason=reason,
        actor=actor,
        site=locked.site,
    )
    return result


def totals(inspection: Inspection) -> dict[str, Any]:
    """What the decision rests on: results recorded, complete, nonconforming in all."""
    results = list(inspection.results.all())
    wanted = inspection.plan.characteristics.count()
    return {
        "characteristics": wanted,
        "recorded": len(results),
        "complete": len(results) == wanted
        and all(r.inspected_quantity == inspection.sample_size for r in results),
        "nonconforming": sum(r.nonconforming for r in results),
    }


def _release(actor: Any, inspection: Inspection, reason: str) -> None:
    expires = inspection.lot.expires_on
    if expires is not None and expires < timezone.localdate():
        raise ValidationError(
            _("Lot %(lot)s expired on %(date)s: it cannot be released.")
            % {"lot": inspection.lot.number, "date": expires.isoformat()}
        )
    lot = inventory.transition_lot(actor, inspection.lot_id, LotStatus.RELEASED, reason=reason)
    inventory.move_lot_stock(
        actor, lot, LocationKind.STOCK, reason=reason, reference=inspection.number
    )


def _reject_lot(actor: Any, inspection: Inspection, reason: str) -> None:
    lot = inventory.transition_lot(actor, inspection.lot_id, LotStatus.REJECTED, reason=reason)
    inventory.move_lot_stock(
        actor, lot, LocationKind.REJECTED, reason=reason, reference=inspection.number
    )


def _close(
    actor: Any, inspection: Inspection, before: dict[str, Any], status: str, reason: str
) -> Inspection:
    inspection.status = status
    inspection.version = F("version") + 1
    inspection.save()
    inspection.refresh_from_db()
    audit.record(
        "disposition",
        inspection,
        changes=audit.diff(before, inspection),
        reason=reason,
        actor=actor,
        site=inspection.site,
    )
    return inspection


@audited_refusals
@transaction.atomic
def decide(actor: Any, inspection: Inspection, disposition: str, reason: str = "") -> Inspection:
    locked = _lock(inspection)
    authorize(actor, PERFORM, locked.site)
    _open(locked)
    if disposition not in Disposition.values:
        raise ValidationError({"disposition": _("Choose accept, reject or accept with deviation.")})
    reason = (reason or "").strip()
    sums = totals(locked)
    if disposition == Disposition.ACCEPT:
        if not sums["complete"]:
            raise ValidationError(
                _(
                    "Record every characteristic on the full sample of %(n)s units before "
                    "accepting (%(done)s of %(all)s recorded)."
                )
                % {
                    "n": locked.sample_size,
                    "done": sums["recorded"],
                    "all": sums["characteristics"],
                }
            )
        if sums["nonconforming"] > locked.accept_number:
            raise ValidationError(
                _(
                    "%(bad)s nonconforming units exceed the acceptance number Ac = %(ac)s: the "
                    "lot cannot be accepted. Reject it, or accept with deviation for QA "
                    "approval."
                )
                % {"bad": sums["nonconforming"], "ac": locked.accept_number}
            )
    elif disposition == Disposition.REJECT:
        reason = _required(reason, "reason", _("Say why the lot is rejected."))
    else:
        reason = _required(
            reason, "reason", _("Say why the lot should be accepted with a deviation.")
        )
        if sums["recorded"] < sums["characteristics"]:
            raise ValidationError(_("Record every characteristic before asking for a deviation."))
    before = audit.snapshot(locked)
    locked.disposition = disposition
    locked.disposition_reason = reason
    locked.inspected_by = _user(actor)
    locked.decided_at = timezone.now()
    text = reason or _("Accepted by incoming inspection %(number)s") % {"number": locked.number}
    if disposition == Disposition.ACCEPT:
        _release(actor, locked, text)
        return _close(actor, locked, before, InspectionStatus.CLOSED, reason)
    if disposition == Disposition.REJECT:
        _reject_lot(actor, locked, text)
        return _close(actor, locked, before, InspectionStatus.CLOSED, reason)
    return _close(actor, locked, before, InspectionStatus.PENDING_APPROVAL, reason)


def _inspectors(inspection: Inspection) -> set[int]:
    """Everyone who inspected: the inspector, the starter and whoever recorded a result."""
    people = set(inspection.results.exclude(recorded_by=None).values_list("recorded_by", flat=True))
    people.update(p for p in (inspection.created_by_id, inspection.inspected_by_id) if p)
    return people


def _deviation_decision(
    actor: Any,
    inspection: Inspection,
    *,
    approve: bool,
    password: str,
    otp: str | None,
    reason: str,
    session: Any,
) -> Inspection:
    from mederp.signatures.models import Meaning
    from mederp.signatures.services import sign

    locked = _lock(inspection)
    authorize(actor, APPROVE, locked.site)
    if locked.status != InspectionStatus.PENDING_APPROVAL:
        raise ValidationError(
            _("Inspection %(number)s is not awaiting approval of a deviation.")
            % {"number": locked.number}
        )
    sod.check("inspector_not_approver", actor, record=locked, people=_inspectors(locked))
    reason = (reason or "").strip()
    if not approve:
        reason = _required(reason, "reason", _("Say why the deviation is rejected."))
    signature = sign(
        locked,
        actor,
        Meaning.APPROVED if approve else Meaning.REJECTED,
        password,
        otp,
        reason=reason,
        session=session,
    )
    before = audit.snapshot(locked)
    locked.approved_by = _user(actor)
    locked.approved_at = timezone.now()
    if approve:
        text = _("Deviation approved (%(number)s): %(reason)s") % {
            "number": locked.number,
            "reason": locked.disposition_reason,
        }
        _release(actor, locked, text)
    else:
        locked.disposition = Disposition.REJECT
        _reject_lot(actor, locked, reason)
    locked.status = InspectionStatus.CLOSED
    locked.version = F("version") + 1
    locked.save()
    locked.refresh_from_db()
    audit.record(
        "disposition",
        locked,
        changes={**audit.diff(before, locked), "signature": [None, str(signature.uid)]},
        reason=reason,
        actor=actor,
        site=locked.site,
    )
    return locked


@audited_refusals
@transaction.atomic
def approve_deviation(
    actor: Any,
    inspection: Inspection,
    *,
    password: str,
    otp: str | None = None,
    reason: str = "",
    session: Any = None,
) -> Inspection:
    """QA approves acceptance with deviation, signing "approved": lot RELEASED, to stock."""
    return _deviation_decision(
        actor, inspection, approve=True, password=password, otp=otp, reason=reason, session=session
    )


@audited_refusals
@transaction.atomic
def reject_deviation(
    actor: Any,
    inspection: Inspection,
    *,
    password: str,
    otp: str | None = None,
    reason: str,
    session: Any = None,
) -> Inspection:
    """QA refuses the deviation, signing "rejected": lot REJECTED, to the MRB location."""
    return _deviation_decision(
        actor, inspection, approve=False, password=password, otp=otp, reason=reason, session=session
    )


__all__ = [
    "activate_plan",
    "add_characteristic",
    "approve_deviation",
    "clean_aql",
    "clean_level",
    "create_plan",
    "decide",
    "record_result",
    "reject_deviation",
    "remove_characteristic",
    "start_inspection",
    "totals",
    "update_plan",
]
