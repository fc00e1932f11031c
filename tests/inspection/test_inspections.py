"""Incoming inspection of received lots: queue, sampling plan, results, dispositions, the
deviation approved with an e-signature, and segregation of duties."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mederp.access.sod import SodViolation
from mederp.audit.models import AuditEntry
from mederp.identity.authz import SYSTEM
from mederp.inspection import selectors, services
from mederp.inspection.models import Inspection, InspectionResult
from mederp.inventory.models import Lot, StockBalance
from mederp.signatures.models import Signature
from mederp.testing import materials as m
from mederp.testing.users import PASSWORD

pytestmark = pytest.mark.django_db


def balances(lot: Any) -> dict[str, Decimal]:
    rows = StockBalance.objects.filter(lot=lot).select_related("location")
    return {b.location.kind: b.quantity for b in rows}


@pytest.fixture
def qa(site_a: Any, make_user: Any) -> Any:
    return make_user("qa_specialist", site_a, username="inspector")


@pytest.fixture
def qm(site_a: Any, make_user: Any) -> Any:
    return make_user("quality_manager", site_a, username="approver")


# --- queue and sampling ----------------------------------------------------------------------
def test_queue_lists_received_quarantined_lots_without_inspection(
    site_a: Any, site_b: Any, qa: Any, build: Any
) -> None:
    waiting = build.received_lot(site_a)
    elsewhere = build.received_lot(site_b)
    not_received = m.lot(m.item(), site_a, status="quarantine")
    queued = list(selectors.queue(qa))
    assert waiting in queued
    assert elsewhere not in queued  # another site
    assert not_received not in queued  # no receipt: not incoming goods
    services.start_inspection(qa, waiting)
    assert waiting not in list(selectors.queue(qa))


@pytest.mark.parametrize(
    ("lot_size", "aql", "letter", "n", "ac", "re"),
    [
        (1000, "1.0", "J", 80, 2, 3),  # ISO 2859-1 Table 1 / 2-A, level II
        (3000, "2.5", "K", 125, 7, 8),
        (50, "0.65", "F", 20, 0, 1),  # Table 1 gives D; the arrow leads down to F
        (10, "0.10", "K", 10, 0, 1),  # plan n = 125 exceeds the lot: 100 % inspection
    ],
)
def test_start_stores_the_sampling_plan(
    site_a: Any, qa: Any, build: Any, lot_size: int, aql: str, letter: str, n: int, ac: int, re: int
) -> None:
    lot = build.received_lot(site_a, lot_size, aql=aql)
    inspection = services.start_inspection(qa, lot)
    assert inspection.number.startswith("INS-")
    assert len(inspection.number) == len("INS-2026-00001")
    assert (inspection.lot_size, inspection.aql, inspection.level) == (lot_size, aql, "II")
    assert (inspection.code_letter, inspection.sample_size) == (letter, n)
    assert (inspection.accept_number, inspection.reject_number) == (ac, re)
    assert inspection.inspected_by == qa
    assert inspection.status == "open"
    assert AuditEntry.objects.filter(action="create", object_id=str(inspection.pk)).exists()


def test_start_without_an_active_plan_is_refused(site_a: Any, qa: Any, build: Any) -> None:
    lot = build.received_lot(site_a, with_plan=False)
    with pytest.raises(ValidationError, match="no active inspection plan"):
        services.start_inspection(qa, lot)
    assert not Inspection.objects.exists()


def test_fractional_lot_size_is_refused(site_a: Any, qa: Any, build: Any) -> None:
    lot = build.received_lot(site_a, "12.5")
    with pytest.raises(ValidationError, match="not a whole number of units"):
        services.start_inspection(qa, lot)


def test_a_lot_is_inspected_once_and_only_in_quarantine(site_a: Any, qa: Any, build: Any) -> None:
    lot = build.received_lot(site_a)
    services.start_inspection(qa, lot)
    with pytest.raises(ValidationError, match="already has an inspection"):
        services.start_inspection(qa, lot)
    released = m.lot(m.item(), site_a, status="released")
    with pytest.raises(ValidationError, match="only a lot in quarantine"):
        services.start_inspection(qa, released)


@pytest.mark.parametrize("role", ["warehouse_clerk", "quality_manager", "auditor"])
def test_start_needs_perform_at_the_lot_site(
    site_a: Any, site_b: Any, make_user: Any, build: Any, role: str
) -> None:
    lot = build.received_lot(site_a)
    with pytest.raises(PermissionDenied, match=r"inspection\.perform"):
        services.start_inspection(make_user(role, site_a), lot)
    with pytest.raises(PermissionDenied):  # the right role at another site
        services.start_inspection(make_user("qa_specialist", site_b), lot)


# --- results ---------------------------------------------------------------------------------
def test_results_are_validated_and_recorded(site_a: Any, qa: Any, build: Any) -> None:
    inspection = services.start_inspection(qa, build.received_lot(site_a))
    visual, diameter = list(inspection.plan.characteristics.all())
    with pytest.raises(ValidationError, match="At most the sample size: 80"):
        services.record_result(qa, inspection, visual, inspected_quantity=81)
    with pytest.raises(ValidationError, match="More nonconforming"):
        services.record_result(qa, inspection, visual, inspected_quantity=5, nonconforming=6)
    with pytest.raises(ValidationError, match="whole number"):
        services.record_result(qa, inspection, visual, inspected_quantity="ten")
    with pytest.raises(ValidationError, match="no measured values"):
        services.record_result(qa, inspection, visual, inspected_quantity=80, measured_min="1")
    with pytest.raises(ValidationError, match="lowest and the highest"):
        services.record_result(qa, inspection, diameter, inspected_quantity=80)
    with pytest.raises(ValidationError, match="outside the limits"):
        services.record_result(
            qa, inspection, diameter, inspected_quantity=80, measured_min="3.8", measured_max="4"
        )
    other_plan = build.active_plan(m.item())
    with pytest.raises(ValidationError, match="not in the inspection's plan"):
        services.record_result(
            qa, inspection, other_plan.characteristics.first(), inspected_quantity=1
        )
    assert not InspectionResult.objects.exists()

    services.record_result(
        qa,
        inspection,
        diameter,
        inspected_quantity=80,
        nonconforming=1,
        measured_min="3.85",
        measured_max="4.05",
    )
    entry = AuditEntry.objects.filter(action="inspection_result").latest("seq")
    assert entry.object_id == str(inspection.pk)
    assert entry.actor_id == qa.pk
    assert entry.changes["nonconforming"] == [None, 1]
    with pytest.raises(ValidationError, match="only with a reason"):
        services.record_result(
            qa,
            inspection,
            diameter,
            inspected_quantity=80,
            nonconforming=1,
            measured_min="3.9",
            measured_max="4.0",
        )
    services.record_result(
        qa,
        inspection,
        diameter,
        inspected_quantity=80,
        nonconforming=0,
        measured_min="3.9",
        measured_max="4.0",
        reason="Re-measured: gauge was off",
    )
    fixed = InspectionResult.objects.get(inspection=inspection, characteristic=diameter)
    assert fixed.nonconforming == 0
    assert fixed.measured_min == Decimal("3.9")
    assert AuditEntry.objects.filter(action="inspection_result").latest("seq").changes[
        "nonconforming"
    ] == [1, 0]


def test_results_need_perform(site_a: Any, make_user: Any, build: Any) -> None:
    inspection = build.started(site_a)
    visual = inspection.plan.characteristics.first()
    with pytest.raises(PermissionDenied):
        services.record_result(
            make_user("warehouse_clerk", site_a), inspection, visual, inspected_quantity=80
        )


# --- accept and reject -----------------------------------------------------------------------
def test_accept_releases_the_lot_and_moves_its_stock(site_a: Any, qa: Any, build: Any) -> None:
    inspection = services.start_inspection(qa, build.received_lot(site_a, 1000))
    build.all_recorded(inspection, bad=2, actor=qa)  # 2 nonconforming = Ac
    decided = services.decide(qa, inspection, "accept")
    assert (decided.status, decided.disposition) == ("closed", "accept")
    lot = Lot.objects.get(pk=inspection.lot_id)
    assert lot.status == "released"
    assert balances(lot) == {"quarantine": Decimal(0), "stock": Decimal(1000)}
    entry = AuditEntry.objects.filter(action="disposition").get()
    assert entry.changes["disposition"] == ["", "accept"]
    assert AuditEntry.objects.filter(
        action="transition", object_type="inventory.lot", object_id=str(lot.pk)
    ).exists()


def test_accept_is_refused_above_ac_and_changes_nothing(site_a: Any, qa: Any, build: Any) -> None:
    inspection = services.start_inspection(qa, build.received_lot(site_a, 1000))
    build.all_recorded(inspection, bad=3, actor=qa)  # 3 > Ac 2
    with pytest.raises(ValidationError, match="exceed the acceptance number Ac = 2"):
        services.decide(qa, inspection, "accept")
    inspection.refresh_from_db()
    assert inspection.status == "open"
    assert inspection.disposition == ""
    assert Lot.objects.get(pk=inspection.lot_id).status == "quarantine"
    assert balances(inspection.lot) == {"quarantine": Decimal(1000)}


def test_accept_needs_every_characteristic_on_the_full_sample(
    site_a: Any, qa: Any, build: Any
) -> None:
    inspection = services.start_inspection(qa, build.received_lot(site_a))
    visual = inspection.plan.characteristics.first()
    services.record_result(qa, inspection, visual, inspected_quantity=80)
    with pytest.raises(ValidationError, match=r"1 of 2 recorded"):
        services.decide(qa, inspection, "accept")


def test_reject_sends_the_lot_to_mrb_and_counts_against_the_supplier(
    site_a: Any, qa: Any, build: Any
) -> None:
    inspection = services.start_inspection(qa, build.received_lot(site_a, 500))
    with pytest.raises(ValidationError, match="Say why"):
        services.decide(qa, inspection, "reject", "  ")
    services.decide(qa, inspection, "reject", "Certificate of conformance missing")
    lot = Lot.objects.get(pk=inspection.lot_id)
    assert lot.status == "rejected"
    assert balances(lot) == {"quarantine": Decimal(0), "rejected": Decimal(500)}
    assert Inspection.objects.filter(lot__supplier=lot.supplier, disposition="reject").count() == 1
    with pytest.raises(ValidationError, match="can no longer be changed"):
        services.decide(qa, inspection, "accept")


def test_unknown_disposition_is_refused(site_a: Any, qa: Any, build: Any) -> None:
    inspection = services.start_inspection(qa, build.received_lot(site_a))
    with pytest.raises(ValidationError, match="Choose accept"):
        services.decide(qa, inspection, "maybe")


@pytest.mark.parametrize("role", ["quality_manager", "warehouse_clerk", "engineer"])
def test_decide_needs_perform(site_a: Any, make_user: Any, build: Any, role: str) -> None:
    inspection = build.started(site_a)
    with pytest.raises(PermissionDenied, match=r"inspection\.perform"):
        services.decide(make_user(role, site_a), inspection, "reject", "no")


# --- accept with deviation -------------------------------------------------------------------
def _deviation(site: Any, qa: Any, build: Any) -> Inspection:
    inspection = services.start_inspection(qa, build.received_lot(site, 1000))
    build.all_recorded(inspection, bad=3, actor=qa)
    with pytest.raises(ValidationError, match="Say why"):
        services.decide(qa, inspection, "deviation")
    return services.decide(qa, inspection, "deviation", "Burrs are cosmetic; function verified")


def test_deviation_waits_for_qa_approval_with_an_e_signature(
    site_a: Any, qa: Any, qm: Any, build: Any, as_user: Any
) -> None:
    inspection = _deviation(site_a, qa, build)
    assert inspection.status == "pending_approval"
    assert inspection.disposition == "deviation"
    assert Lot.objects.get(pk=inspection.lot_id).status == "quarantine"
    assert balances(inspection.lot) == {"quarantine": Decimal(1000)}

    with as_user(qm):
        with pytest.raises(ValidationError, match="password is not correct"):
            services.approve_deviation(qm, inspection, password="wrong")
        assert AuditEntry.objects.filter(action="sign_failed", actor_id=qm.pk).exists()
        assert Inspection.objects.get(pk=inspection.pk).status == "pending_approval"
        approved = services.approve_deviation(qm, inspection, password=PASSWORD, reason="OK")
    assert (approved.status, approved.approved_by) == ("closed", qm)
    assert approved.disposition == "deviation"
    lot = Lot.objects.get(pk=inspection.lot_id)
    assert lot.status == "released"
    assert balances(lot) == {"quarantine": Decimal(0), "stock": Decimal(1000)}
    signature = Signature.objects.get(object_id=str(inspection.pk))
    assert (signature.meaning, signature.signer) == ("approved", qm)
    last = AuditEntry.objects.filter(action="disposition").latest("seq")
    assert last.changes["signature"] == [None, str(signature.uid)]


def test_rejected_deviation_sends_the_lot_to_mrb(
    site_a: Any, qa: Any, qm: Any, build: Any, as_user: Any
) -> None:
    inspection = _deviation(site_a, qa, build)
    with as_user(qm):
        with pytest.raises(ValidationError, match="Say why"):
            services.reject_deviation(qm, inspection, password=PASSWORD, reason="")
        services.reject_deviation(qm, inspection, password=PASSWORD, reason="Not acceptable")
    inspection.refresh_from_db()
    assert (inspection.status, inspection.disposition) == ("closed", "reject")
    lot = Lot.objects.get(pk=inspection.lot_id)
    assert lot.status == "rejected"
    assert balances(lot) == {"quarantine": Decimal(0), "rejected": Decimal(1000)}
    assert Signature.objects.get(object_id=str(inspection.pk)).meaning == "rejected"


def test_the_inspector_cannot_approve_the_deviation(
    site_a: Any, make_user: Any, build: Any, as_user: Any
) -> None:
    both = make_user("qa_specialist", site_a, username="both")
    from mederp.identity import services as identity
    from mederp.identity.models import Role

    identity.assign_role(SYSTEM, both, Role.objects.get(code="quality_manager"), site_a, "test")
    inspection = _deviation(site_a, both, build)
    with as_user(both), pytest.raises(SodViolation, match="inspector_not_approver"):
        services.approve_deviation(both, inspection, password=PASSWORD)
    refusal = AuditEntry.objects.filter(action="sod_violation").latest("seq")
    assert refusal.actor_id == both.pk
    assert refusal.object_id == str(inspection.pk)
    assert refusal.changes["rule"] == [None, "inspector_not_approver"]
    assert Inspection.objects.get(pk=inspection.pk).status == "pending_approval"
    assert not Signature.objects.exists()


def test_whoever_recorded_a_result_cannot_approve(
    site_a: Any, qa: Any, make_user: Any, build: Any, as_user: Any
) -> None:
    helper = make_user("qa_specialist", site_a, username="helper")
    from mederp.identity import services as identity
    from mederp.identity.models import Role

    identity.assign_role(SYSTEM, helper, Role.objects.get(code="quality_manager"), site_a, "t")
    inspection = services.start_inspection(qa, build.received_lot(site_a))
    build.all_recorded(inspection, bad=3, actor=helper)
    services.decide(qa, inspection, "deviation", "cosmetic")
    with as_user(helper), pytest.raises(SodViolation):
        services.approve_deviation(helper, inspection, password=PASSWORD)


def test_only_a_deviation_approver_approves(
    site_a: Any, qa: Any, make_user: Any, build: Any, as_user: Any
) -> None:
    inspection = _deviation(site_a, qa, build)
    other_qa = make_user("qa_specialist", site_a)
    with as_user(other_qa), pytest.raises(PermissionDenied, match="approve_deviation"):
        services.approve_deviation(other_qa, inspection, password=PASSWORD)
    with as_user(other_qa), pytest.raises(PermissionDenied, match="approve_deviation"):
        services.reject_deviation(other_qa, inspection, password=PASSWORD, reason="x")
    open_one = build.started(site_a)
    qm = make_user("quality_manager", site_a)
    with as_user(qm), pytest.raises(ValidationError, match="not awaiting approval"):
        services.approve_deviation(qm, open_one, password=PASSWORD)
