"""Inspection pages and API: the whole journey through HTTP, bad inputs answered clearly."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from mederp.audit.models import AuditEntry
from mederp.identity import services as identity
from mederp.identity.authz import SYSTEM
from mederp.identity.models import Role
from mederp.inspection.models import Inspection
from mederp.inventory.models import Lot, StockBalance
from mederp.signatures.models import Signature
from mederp.testing import materials as m
from mederp.testing.users import PASSWORD

pytestmark = pytest.mark.django_db


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_inspection_journey_through_the_pages(site_a: Any, make_user: Any, build: Any) -> None:
    qa = make_user("qa_specialist", site_a)
    lot = build.received_lot(site_a, 1000)
    web = login(qa)
    queue = web.get("/inspection/queue/")
    assert lot.number in queue.content.decode()
    started = web.post(f"/inspection/queue/{lot.pk}/start/")
    inspection = Inspection.objects.get(lot=lot)
    assert started["Location"] == f"/inspection/{inspection.pk}/"
    page = web.get(f"/inspection/{inspection.pk}/").content.decode()
    assert 'data-testid="code-letter">J<' in page
    assert 'data-testid="sample-size">80' in page
    assert 'data-testid="accept-number">2<' in page
    assert 'data-testid="reject-number">3<' in page

    visual, diameter = list(inspection.plan.characteristics.all())
    too_many = web.post(
        f"/inspection/{inspection.pk}/results/{visual.pk}/",
        {f"c{visual.pk}-inspected_quantity": "90", f"c{visual.pk}-nonconforming": "0"},
    )
    assert too_many.status_code == 400
    assert "At most the sample size: 80" in too_many.content.decode()
    for c, extra in ((visual, {}), (diameter, {"measured_min": "3.95", "measured_max": "4.02"})):
        data = {f"c{c.pk}-inspected_quantity": "80", f"c{c.pk}-nonconforming": "0"}
        data.update({f"c{c.pk}-{k}": v for k, v in extra.items()})
        assert web.post(f"/inspection/{inspection.pk}/results/{c.pk}/", data).status_code == 302
    assert web.get(f"/inspection/{inspection.pk}/?tab=results").status_code == 200
    decided = web.post(f"/inspection/{inspection.pk}/decide/", {"disposition": "accept"})
    assert decided.status_code == 302
    assert Lot.objects.get(pk=lot.pk).status == "released"
    for tab in ("decision", "signatures", "audit"):
        assert web.get(f"/inspection/{inspection.pk}/?tab={tab}").status_code == 200


def test_deviation_is_approved_in_the_e_signature_dialog(
    site_a: Any, make_user: Any, build: Any
) -> None:
    inspection = build.pending_deviation(site_a)
    qm = make_user("quality_manager", site_a)
    web = login(qm)
    page = web.get(f"/inspection/{inspection.pk}/?tab=decision").content.decode()
    assert f"/inspection/{inspection.pk}/approve/" in page
    dialog = web.get(f"/inspection/{inspection.pk}/approve/", headers={"HX-Request": "true"})
    assert dialog.status_code == 200
    assert inspection.number in dialog.content.decode()
    wrong = web.post(f"/inspection/{inspection.pk}/approve/", {"password": "nope"})
    assert wrong.status_code == 200
    assert "password is not correct" in wrong.content.decode()
    signed = web.post(f"/inspection/{inspection.pk}/approve/", {"password": PASSWORD})
    assert signed.status_code == 302
    assert Lot.objects.get(pk=inspection.lot_id).status == "released"
    assert Signature.objects.get(object_id=str(inspection.pk)).meaning == "approved"


def test_plan_pages_create_characteristics_and_activate(site_a: Any, make_user: Any) -> None:
    qa = make_user("qa_specialist", site_a)
    item = m.item()
    web = login(qa)
    bad = web.post("/inspection/plans/new/", {"item": "NOPE", "aql": "1.0", "level": "II"})
    assert bad.status_code == 200
    assert "No item with code NOPE" in bad.content.decode()
    made = web.post("/inspection/plans/new/", {"item": item.code, "aql": "0.65", "level": "II"})
    plan = item.inspection_plans.get()
    assert made["Location"] == f"/inspection/plans/{plan.pk}/"
    no_limit = web.post(
        f"/inspection/plans/{plan.pk}/characteristics/",
        {"name": "Length", "method": "Ruler", "kind": "variable"},
    )
    assert no_limit.status_code == 400
    assert "lower or an upper limit" in no_limit.content.decode()
    web.post(
        f"/inspection/plans/{plan.pk}/characteristics/",
        {"name": "Length", "method": "Ruler", "kind": "variable", "upper_limit": "10"},
    )
    web.post(f"/inspection/plans/{plan.pk}/activate/", {"reason": "first"})
    plan.refresh_from_db()
    assert plan.status == "active"
    assert "Length" in web.get(f"/inspection/plans/{plan.pk}/").content.decode()
    assert item.code in web.get("/inspection/plans/").content.decode()


def test_api_flow_with_deviation_signed_through_the_api(
    site_a: Any, make_user: Any, build: Any
) -> None:
    qa = make_user("qa_specialist", site_a)
    api = login(qa)
    item = m.item()
    created = api.post(
        "/api/v1/inspection-plans",
        {
            "item": item.code,
            "aql": "1",
            "characteristics": [
                {"name": "Visual", "method": "Eye", "kind": "attribute"},
            ],
            "activate": True,
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["aql"] == "1.0"
    assert created.json()["status"] == "active"
    lot = build.received_lot(site_a, 1000, item=item)
    start = api.post("/api/v1/inspections", {"lot": lot.number}, content_type="application/json")
    assert start.status_code == 201, start.content
    body = start.json()
    assert (body["code_letter"], body["sample_size"], body["accept_number"]) == ("J", 80, 2)
    pk = body["id"]
    char = created.json()["characteristics"][0]["id"]
    result = api.post(
        f"/api/v1/inspections/{pk}/results",
        {"characteristic": char, "inspected_quantity": 80, "nonconforming": 5},
        content_type="application/json",
    )
    assert result.status_code == 201
    refused = api.post(
        f"/api/v1/inspections/{pk}/decision",
        {"disposition": "accept"},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert refused["Content-Type"].startswith("application/problem+json")
    assert "Ac = 2" in refused.content.decode()
    deviation = api.post(
        f"/api/v1/inspections/{pk}/decision",
        {"disposition": "deviation", "reason": "Cosmetic"},
        content_type="application/json",
    )
    assert deviation.json()["status"] == "pending_approval"

    qm = make_user("quality_manager", site_a)
    approver = login(qm)
    bad_password = approver.post(
        f"/api/v1/inspections/{pk}/deviation",
        {"approve": True, "password": "wrong"},
        content_type="application/json",
    )
    assert bad_password.status_code == 400
    approved = approver.post(
        f"/api/v1/inspections/{pk}/deviation",
        {"approve": True, "password": PASSWORD, "reason": "Function verified"},
        content_type="application/json",
    )
    assert approved.status_code == 200, approved.content
    assert approved.json()["lot_status"] == "released"
    assert StockBalance.objects.get(lot=lot, location__kind="stock").quantity == Decimal(1000)


def test_api_inspector_cannot_approve_and_is_recorded(
    site_a: Any, make_user: Any, build: Any
) -> None:
    both = make_user("qa_specialist", site_a)
    identity.assign_role(SYSTEM, both, Role.objects.get(code="quality_manager"), site_a, "t")
    inspection = build.started(site_a)
    api = login(both)
    build.all_recorded(inspection, bad=3, actor=both)
    api.post(
        f"/api/v1/inspections/{inspection.pk}/decision",
        {"disposition": "deviation", "reason": "cosmetic"},
        content_type="application/json",
    )
    refused = api.post(
        f"/api/v1/inspections/{inspection.pk}/deviation",
        {"approve": True, "password": PASSWORD},
        content_type="application/json",
    )
    assert refused.status_code == 403
    assert "inspector_not_approver" in refused.content.decode()
    assert AuditEntry.objects.filter(action="sod_violation", actor_id=both.pk).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"item": "NOPE", "aql": "1.0"}, "item"),
        ({"aql": "1.0"}, "item"),
        ({"item": "__ITEM__", "aql": "0.7"}, "aql"),
        ({"item": "__ITEM__", "aql": "1.0", "level": "V"}, "level"),
        (
            {
                "item": "__ITEM__",
                "aql": "1.0",
                "characteristics": [{"name": "x", "method": "y", "kind": "odd"}],
            },
            "characteristics",
        ),
    ],
)
def test_api_bad_plan_inputs_are_problem_details(
    site_a: Any, make_user: Any, body: dict[str, Any], field: str
) -> None:
    item = m.item()
    data = {k: (item.code if v == "__ITEM__" else v) for k, v in body.items()}
    response = login(make_user("qa_specialist", site_a)).post(
        "/api/v1/inspection-plans", data, content_type="application/json"
    )
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert field in response.content.decode()
    assert not item.inspection_plans.exists()


def test_api_start_refuses_an_unknown_lot(site_a: Any, make_user: Any) -> None:
    response = login(make_user("qa_specialist", site_a)).post(
        "/api/v1/inspections", {"lot": "LOT-NOPE"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "waiting for inspection" in response.content.decode()


def _queries(client: Client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", ["/inspection/queue/", "/inspection/", "/api/v1/inspections"])
def test_lists_do_not_query_per_row(site_a: Any, make_user: Any, build: Any, url: str) -> None:
    web = login(make_user("qa_specialist", site_a))
    build.started(site_a)
    build.received_lot(site_a)
    few = _queries(web, url)
    for _ in range(3):
        build.started(site_a)
        build.received_lot(site_a)
    assert _queries(web, url) <= few
