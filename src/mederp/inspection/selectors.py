"""Read queries of incoming inspection, scoped to what the user may see.

Plans are company-wide (as items are): a holder of inspection.view at any site sees them.
Inspections and the queue of lots waiting for one are site-scoped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from mederp.identity.authz import has_perm
from mederp.inspection.choices import PlanStatus
from mederp.inspection.models import Inspection, InspectionPlan
from mederp.inventory.choices import LotStatus
from mederp.inventory.models import Lot

VIEW = "inspection.view"


def plans_visible_to(user: Any) -> QuerySet[InspectionPlan]:
    if not has_perm(user, VIEW):
        return InspectionPlan.objects.none()
    return InspectionPlan.objects.select_related("item", "created_by")


def search_plans(user: Any, *, item: str = "", status: str = "") -> QuerySet[InspectionPlan]:
    plans = plans_visible_to(user)
    if item:
        plans = plans.filter(item__code__icontains=item.strip())
    if status:
        plans = plans.filter(status=status)
    return plans


def plan_for(user: Any, pk: Any) -> InspectionPlan | None:
    try:
        return plans_visible_to(user).filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        return None


def active_plan(item: Any) -> InspectionPlan | None:
    return InspectionPlan.objects.filter(item=item, status=PlanStatus.ACTIVE).first()


def active_plans_for(item_ids: list[int]) -> dict[int, InspectionPlan]:
    """The active plan of each item (one query for a whole page of the queue)."""
    plans = InspectionPlan.objects.filter(item_id__in=item_ids, status=PlanStatus.ACTIVE)
    return {p.item_id: p for p in plans}


def queue(user: Any, perm: str = VIEW) -> QuerySet[Lot]:
    """Received lots in quarantine at the user's sites that have no inspection yet."""
    return (
        Lot.objects.visible_to(user, perm)
        .filter(status=LotStatus.QUARANTINE, receipt__isnull=False, inspections__isnull=True)
        .select_related("item", "item__uom", "site", "supplier", "receipt", "receipt__uom")
        .order_by("receipt__received_at", "id")
    )


def queued_lot_for(user: Any, pk: Any) -> Lot | None:
    try:
        return queue(user).filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class InspectionFilter:
    status: str = ""
    disposition: str = ""
    number: str = ""


def inspections_visible_to(user: Any, flt: InspectionFilter | None = None) -> QuerySet[Inspection]:
    rows = Inspection.objects.visible_to(user, VIEW).select_related(
        "lot", "lot__item", "lot__supplier", "site", "plan"
    )
    if flt is not None:
        if flt.status:
            rows = rows.filter(status=flt.status)
        if flt.disposition:
            rows = rows.filter(disposition=flt.disposition)
        if flt.number:
            rows = rows.filter(number__icontains=flt.number.strip())
    return rows


def inspection_for(user: Any, pk: Any) -> Inspection | None:
    try:
        return inspections_visible_to(user).filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        return None


def reload(inspection: Inspection) -> Inspection:
    """The inspection as stored now (after a service changed it), for a caller that was
    already allowed to see it."""
    return (
        Inspection.objects.select_related(
            "lot", "lot__item", "site", "receipt", "inspected_by", "approved_by"
        )
        .prefetch_related("results", "results__recorded_by")
        .get(pk=inspection.pk)
    )


def result_rows(inspection: Inspection) -> list[dict[str, Any]]:
    """Each characteristic of the plan with its result (None when not yet recorded)."""
    results = {
        r.characteristic_id: r for r in inspection.results.select_related("recorded_by").all()
    }
    return [
        {"characteristic": c, "result": results.get(c.pk)}
        for c in inspection.plan.characteristics.all()
    ]
