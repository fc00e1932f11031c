"""Cycle counts: start → enter → submit → (approve) → posted.

- Starting a count of a location takes a line per lot held there (and in the locations below
  it), with the quantity on hand at that moment as the expected quantity.
- The counter enters what they find; every difference needs a reason. Each line keeps who
  entered its quantity; an entry that changes nothing writes nothing and makes nobody the
  counter. "Save and submit" is one call (`submit_count(..., entries=...)`), one transaction.
- A lot found where its status may not sit (a quarantined, rejected or expired lot in
  released stock) is refused, both when the line is added and when stock found is posted.
- Submitting posts the count at once when every difference is within
  MEDERP_COUNT_APPROVAL_PERCENT of its expected quantity. A larger difference, or any
  difference where nothing was expected, waits for a second person holding
  inventory.approve_count, who may not be anyone who entered or changed quantities or
  reasons on the count, in any round, nor anyone who submitted it (SoD rule
  counter_not_adjustment_approver, with `counters_of`).
- Posting writes one adjustment movement per difference (services.post_adjustment) and a
  `count_posted` ledger entry, in one transaction.

Two decisions the issue leaves open:
- Stock that moved at a counted location after the count started makes the expected
  quantities stale; posting is then refused (naming the lots) and a new count is needed,
  rather than guessing whether the move happened before or after the shelf was counted.
- Serial-tracked items are counted (their lines show the expected units), but a count never
  adjusts them: a unit found or missing is a specific serial number, so it is found and
  moved, scrapped or returned by serial. A difference on such a line is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from mederp import audit
from mederp.access import sod
from mederp.access.refusals import audited_refusals
from mederp.audit.models import AuditEntry
from mederp.core.numbering import next_number
from mederp.identity.authz import authorize
from mederp.inventory import services
from mederp.inventory.choices import CountStatus
from mederp.inventory.models import (
    CycleCount,
    CycleCountLine,
    Location,
    Lot,
    StockBalance,
)

ZERO = Decimal(0)


def approval_percent() -> Decimal:
    return Decimal(str(getattr(settings, "MEDERP_COUNT_APPROVAL_PERCENT", "2")))


def needs_approval(line: CycleCountLine) -> bool:
    """A difference above the threshold share of the expected quantity, or any difference
    where nothing was expected."""
    diff = line.difference
    if not diff:
        return False
    if line.expected_quantity <= 0:
        return True
    return abs(diff) * 100 > line.expected_quantity * approval_percent()


def locations_under(location: Location) -> list[Location]:
    """The location and every location below it (a zone's bins, a warehouse's zones...)."""
    found = [location]
    frontier = [location.pk]
    while frontier:
        children = list(Location.objects.filter(parent_id__in=frontier))
        found += children
        frontier = [c.pk for c in children]
    return found


def _lock(count: CycleCount) -> CycleCount:
    return (
        CycleCount.objects.select_for_update().select_related("location", "site").get(pk=count.pk)
    )


def _require(count: CycleCount, *statuses: str) -> None:
    if count.status not in statuses:
        raise ValidationError(
            _("Cycle count %(number)s is %(status)s: this step is not possible now.")
            % {"number": count.number, "status": CountStatus(count.status).label}
        )


def _bump(count: CycleCount, **fields: Any) -> CycleCount:
    for name, value in fields.items():
        setattr(count, name, value)
    count.version = F("version") + 1
    count.save()
    count.refresh_from_db()
    return count


@transaction.atomic
def start_count(actor: Any, *, location: Location, reason: str = "") -> CycleCount:
    authorize(actor, "inventory.count", location.site)
    if not location.active:
        raise ValidationError(
            {"location": _("The location %(code)s is inactive.") % {"code": location.code}}
        )
    where = locations_under(location)
    balances = list(
        StockBalance.objects.select_for_update()
        .filter(location__in=where)
        .filter(quantity__gt=0)
        .order_by("location_id", "lot_id")
    )
    count = CycleCount(
        number=next_number("CC"),
        site=location.site,
        location=location,
        reason=reason.strip()[:300],
        created_by=services._user(actor),
    )
    count.full_clean()
    count.save()
    CycleCountLine.objects.bulk_create(
        [
            CycleCountLine(
                count=count,
                item_id=b.item_id,
                lot_id=b.lot_id,
                location_id=b.location_id,
                expected_quantity=b.quantity,
            )
            for b in balances
        ]
    )
    changes = audit.diff(None, count)
    changes["lines"] = [None, len(balances)]
    audit.record("create", count, changes=changes, reason=reason, actor=actor, site=count.site)
    return count


@transaction.atomic
def add_line(actor: Any, count: CycleCount, *, lot: Lot, location: Location) -> CycleCountLine:
    """A lot found where the count expected none: a line with the quantity the books hold
    there now (usually zero)."""
    count = _lock(count)
    authorize(actor, "inventory.count", count.site)
    _require(count, CountStatus.OPEN)
    if location.pk not in {loc.pk for loc in locations_under(count.location)}:
        raise ValidationError(
            {"location": _("%(code)s is not part of this count.") % {"code": location.code}}
        )
    if lot.site_id != count.site_id:
        raise ValidationError({"lot": _("The lot belongs to another site.")})
    if count.lines.filter(lot=lot, location=location).exists():
        raise ValidationError({"lot": _("This lot is already on the count at that location.")})
    services.check_stock_found(lot, location)
    held = (
        StockBalance.objects.filter(lot=lot, location=location)
        .values_list("quantity", flat=True)
        .first()
    )
    line = CycleCountLine.objects.create(
        count=count,
        item_id=lot.item_id,
        lot=lot,
        location=location,
        expected_quantity=held or ZERO,
    )
    audit.record(
        "update",
        count,
        changes={"line_added": [None, f"{lot.number}@{location.code}"]},
        actor=actor,
        site=count.site,
    )
    return line


def _quantity(value: Any, line: CycleCountLine) -> Decimal:
    try:
        qty = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError(
            {"counted": _("Line %(lot)s: enter a number.") % {"lot": line.lot.number}}
        ) from exc
    if not qty.is_finite() or qty < 0:
        raise ValidationError(
            {
                "counted": _("Line %(lot)s: the counted quantity cannot be negative.")
                % {"lot": line.lot.number}
            }
        )
    if qty != qty.quantize(Decimal("0.000001")):
        raise ValidationError(
            {"counted": _("Line %(lot)s: at most 6 decimal places.") % {"lot": line.lot.number}}
        )
    return qty


def _enter(actor: Any, count: CycleCount, entries: Mapping[int, tuple[Any, str]]) -> CycleCount:
    """Write the entries on a locked, OPEN count. A line's counter is whoever entered the
    quantity it now holds; an entry that changes nothing writes and records nothing, so it
    cannot make someone else the counter."""
    lines = {
        line.pk: line
        for line in count.lines.select_related("lot", "lot__item", "location").filter(
            pk__in=list(entries)
        )
    }
    unknown = set(entries) - set(lines)
    if unknown:
        raise ValidationError(
            _("These lines are not on this count: %(ids)s")
            % {"ids": ", ".join(str(i) for i in sorted(unknown))}
        )
    changed: dict[str, list[Any]] = {}
    counted = False
    who = services._user(actor)
    for pk, (value, reason) in entries.items():
        line = lines[pk]
        if value is None or str(value).strip() == "":
            continue
        qty = _quantity(value, line)
        reason = (reason or "").strip()[:300]
        old, old_reason = line.counted_quantity, line.reason
        fields = []
        if old is None or qty != old:
            line.counted_quantity = qty
            line.counted_by = who
            fields += ["counted_quantity", "counted_by"]
        if reason != line.reason:
            line.reason = reason
            fields.append("reason")
        if not fields:
            continue
        line.save(update_fields=fields)
        key = f"{line.lot.number}@{line.location.code}"
        if "counted_quantity" in fields:
            counted = True
            changed[key] = [None if old is None else services.fmt(old), services.fmt(qty)]
        if "reason" in fields:
            changed[f"{key}:reason"] = [old_reason, reason]
    if not changed:
        return count
    count = _bump(count, counted_by=who, counted_at=timezone.now()) if counted else _bump(count)
    audit.record("update", count, changes=changed, actor=actor, site=count.site)
    return count


@transaction.atomic
def enter_counts(
    actor: Any, count: CycleCount, entries: Mapping[int, tuple[Any, str]]
) -> CycleCount:
    """Counted quantities and reasons: {line id: (quantity, reason)}. Whoever enters a
    quantity is that line's counter (who may not approve the adjustments)."""
    count = _lock(count)
    authorize(actor, "inventory.count", count.site)
    _require(count, CountStatus.OPEN)
    return _enter(actor, count, entries)


def _check_ready(count: CycleCount) -> list[CycleCountLine]:
    lines = list(count.lines.select_related("lot", "lot__item", "lot__item__uom", "location"))
    problems: list[str] = []
    for line in lines:
        name = f"{line.lot.number}@{line.location.code}"
        if line.counted_quantity is None:
            problems.append(_("%(line)s is not counted yet.") % {"line": name})
        elif line.difference and not line.reason:
            problems.append(_("%(line)s: a difference needs a reason.") % {"line": name})
        elif line.difference and line.lot.item.serial_tracked:
            problems.append(
                _(
                    "%(line)s: serial-tracked items are not adjusted by a count; find, move, "
                    "scrap or return the units by serial number, then count again."
                )
                % {"line": name}
            )
        elif line.difference and line.difference > 0:  # stock found: may it sit there?
            try:
                services.check_stock_found(line.lot, line.location)
            except ValidationError as exc:
                problems.extend(exc.messages)
    if problems:
        raise ValidationError(problems)
    return lines


def _post(actor: Any, count: CycleCount, lines: list[CycleCountLine], reason: str) -> CycleCount:
    """Write the adjustments; refused if stock moved at a counted location since the start."""
    stale = []
    for line in lines:
        held = (
            StockBalance.objects.select_for_update()
            .filter(lot=line.lot_id, location=line.location_id)
            .values_list("quantity", flat=True)
            .first()
        )
        if (held or ZERO) != line.expected_quantity:
            stale.append(f"{line.lot.number}@{line.location.code}")
    if stale:
        raise ValidationError(
            _(
                "Stock moved at the counted locations after the count started (%(lines)s): "
                "the expected quantities are out of date. Cancel this count and start a new one."
            )
            % {"lines": ", ".join(stale)}
        )
    adjusted = {}
    for line in lines:
        diff = line.difference or ZERO
        if diff:
            services.post_adjustment(
                actor,
                lot=line.lot,
                location=line.location,
                difference=diff,
                reason=line.reason,
                reference=count.number,
            )
            adjusted[f"{line.lot.number}@{line.location.code}"] = format(diff.normalize(), "f")
    before = audit.snapshot(count)
    count = _bump(count, status=CountStatus.POSTED)
    changes = audit.diff(before, count)
    changes["adjustments"] = [None, adjusted]
    audit.record(
        "count_posted", count, changes=changes, reason=reason, actor=actor, site=count.site
    )
    return count


@transaction.atomic
def submit_count(
    actor: Any, count: CycleCount, *, entries: Mapping[int, tuple[Any, str]] | None = None
) -> CycleCount:
    """Post at once when no difference needs approval; else wait for an approver. With
    `entries`, they are saved first (as enter_counts does) in the same transaction, so a
    refused submission leaves nothing written ("save and submit")."""
    count = _lock(count)
    authorize(actor, "inventory.count", count.site)
    _require(count, CountStatus.OPEN)
    if entries:
        count = _enter(actor, count, entries)
    lines = _check_ready(count)
    before = audit.snapshot(count)
    if any(needs_approval(line) for line in lines):
        count = _bump(
            count,
            status=CountStatus.PENDING_APPROVAL,
            submitted_by=services._user(actor),
            submitted_at=timezone.now(),
        )
        audit.record(
            "transition", count, changes=audit.diff(before, count), actor=actor, site=count.site
        )
        return count
    count = _bump(count, submitted_by=services._user(actor), submitted_at=timezone.now())
    return _post(actor, count, lines, _("Within the approval threshold"))


def counters_of(count: CycleCount) -> set[int]:
    """Everyone the approver of `count` must differ from: whoever entered the quantity now on
    each line, and (from the ledger, so a figure replaced since, or an earlier round before
    the count was sent back, still counts) everyone who entered or changed quantities or
    reasons on it, and everyone who submitted it."""
    people = set(count.lines.exclude(counted_by=None).values_list("counted_by_id", flat=True))
    people |= {pk for pk in (count.counted_by_id, count.submitted_by_id) if pk is not None}
    history = AuditEntry.objects.filter(
        object_type=CycleCount._meta.label_lower,
        object_id=str(count.pk),
        action__in=("update", "transition"),
        actor_id__isnull=False,
    ).values_list("actor_id", "action", "changes")
    for actor_id, action, changes in history:
        changes = changes or {}
        if actor_id is None:
            continue
        if action == "update" and set(changes) - {"line_added"}:
            people.add(actor_id)  # entered counted quantities or reasons
        elif action == "transition":
            status = changes.get("status") or [None, None]
            if status[-1] == CountStatus.PENDING_APPROVAL:
                people.add(actor_id)  # submitted it
    return people


@audited_refusals
@transaction.atomic
def approve_count(actor: Any, count: CycleCount, *, reason: str) -> CycleCount:
    count = _lock(count)
    authorize(actor, "inventory.approve_count", count.site)
    reason = services._reason(reason, _("A reason is required to approve a count."))
    _require(count, CountStatus.PENDING_APPROVAL)
    sod.check("counter_not_adjustment_approver", actor, record=count, people=counters_of(count))
    lines = _check_ready(count)
    count = _bump(count, approved_by=services._user(actor), approved_at=timezone.now())
    audit.record(
        "approve",
        count,
        changes={"approved_by": [None, getattr(actor, "username", str(actor))]},
        reason=reason,
        actor=actor,
        site=count.site,
    )
    return _post(actor, count, lines, reason)


@transaction.atomic
def reject_count(actor: Any, count: CycleCount, *, reason: str) -> CycleCount:
    """Send a count back for a recount (it is OPEN again)."""
    count = _lock(count)
    authorize(actor, "inventory.approve_count", count.site)
    reason = services._reason(reason, _("A reason is required to send a count back."))
    _require(count, CountStatus.PENDING_APPROVAL)
    before = audit.snapshot(count)
    count = _bump(count, status=CountStatus.OPEN)
    audit.record(
        "transition",
        count,
        changes=audit.diff(before, count),
        reason=reason,
        actor=actor,
        site=count.site,
    )
    return count


@transaction.atomic
def cancel_count(actor: Any, count: CycleCount, *, reason: str) -> CycleCount:
    count = _lock(count)
    authorize(actor, "inventory.count", count.site)
    reason = services._reason(reason, _("A reason is required to cancel a count."))
    _require(count, CountStatus.OPEN, CountStatus.PENDING_APPROVAL)
    before = audit.snapshot(count)
    count = _bump(count, status=CountStatus.CANCELLED)
    audit.record(
        "transition",
        count,
        changes=audit.diff(before, count),
        reason=reason,
        actor=actor,
        site=count.site,
    )
    return count
