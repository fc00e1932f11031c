"""Pages and API: what users see and the refusals they get, through HTTP."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from mederp.inventory.models import StockMove
from mederp.testing import materials as m


@pytest.fixture
def world(site_a: Any) -> dict[str, Any]:
    plant = m.locations(site_a)
    item = m.item("CMP-PAGE1")
    early = m.lot(item, site_a, expires_on=dt.date.today() + dt.timedelta(days=40))
    late = m.lot(item, site_a, expires_on=dt.date.today() + dt.timedelta(days=400))
    m.stock(early, plant["stock"], 3)
    m.stock(late, plant["stock"], 10)
    return {"plant": plant, "item": item, "early": early, "late": late}


def test_lot_page_shows_status_colour_and_hold_with_reason(
    client: Client, site_a: Any, world: Any, make_user: Any
) -> None:
    client.force_login(make_user("qa_specialist", site_a))
    lot = world["early"]
    page = client.get(f"/inventory/lots/{lot.pk}/").content.decode()
    assert 'class="inv-status inv-status-released"' in page
    response = client.post(f"/inventory/lots/{lot.pk}/hold/", {"reason": ""})
    assert response.status_code == 400
    response = client.post(f"/inventory/lots/{lot.pk}/hold/", {"reason": "Complaint 12"})
    assert response.status_code == 302
    lot.refresh_from_db()
    assert (lot.status, lot.status_reason) == ("on_hold", "Complaint 12")
    trail = client.get(f"/inventory/lots/{lot.pk}/?tab=audit").content.decode()
    assert "Complaint 12" in trail


def test_issue_form_suggests_fefo_and_names_refusals(
    client: Client, site_a: Any, world: Any, make_user: Any
) -> None:
    client.force_login(make_user("warehouse_clerk", site_a))
    page = client.get(
        "/inventory/issue/", {"item": "CMP-PAGE1", "quantity": "20", "site": site_a.pk}
    ).content.decode()
    assert page.index(world["early"].number) < page.index(world["late"].number)
    assert "Short by 7" in page
    response = client.post(
        "/inventory/issue/",
        {
            "lot": world["early"].number,
            "from_location": world["plant"]["stock"].pk,
            "quantity": "5",
        },
    )
    assert response.status_code == 400
    assert f"Only 3 EA of lot {world['early'].number}" in response.content.decode()
    assert not StockMove.objects.filter(kind="issue").exists()


def test_api_stock_views_and_fefo(client: Client, site_a: Any, world: Any, make_user: Any) -> None:
    client.force_login(make_user("warehouse_clerk", site_a))
    by_item = client.get("/api/v1/stock", {"by": "item"}).json()["results"]
    assert [(r["item"], r["quantity"]) for r in by_item] == [("CMP-PAGE1", "13.000000")]
    by_lot = client.get("/api/v1/stock", {"by": "lot"}).json()["results"]
    assert {r["lot"]: r["lot_status"] for r in by_lot} == {
        world["early"].number: "released",
        world["late"].number: "released",
    }
    fefo = client.get(
        "/api/v1/stock/fefo", {"item": "CMP-PAGE1", "quantity": "5", "site": site_a.code}
    ).json()
    assert [p["lot_number"] for p in fefo["picks"]] == [world["early"].number, world["late"].number]
    assert client.get("/api/v1/stock", {"by": "shelf"}).status_code == 400


def test_api_issue_refusal_is_a_problem_detail(
    client: Client, site_a: Any, world: Any, make_user: Any
) -> None:
    client.force_login(make_user("warehouse_clerk", site_a))
    body = {"lot": world["early"].number, "from_location": world["plant"]["stock"].code}
    response = client.post(
        "/api/v1/stock/issues", {**body, "quantity": "9"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert "Only 3 EA" in response.content.decode()
    ok = client.post(
        "/api/v1/stock/issues", {**body, "quantity": "2"}, content_type="application/json"
    )
    assert ok.status_code == 201
    assert ok.json()[0]["kind"] == "issue"


def test_api_count_needs_a_second_person(
    client: Client, site_a: Any, world: Any, make_user: Any
) -> None:
    clerk = make_user("warehouse_clerk", site_a)
    client.force_login(clerk)
    stock = world["plant"]["stock"]
    count = client.post(
        "/api/v1/cycle-counts",
        {"site": site_a.code, "location": stock.code},
        content_type="application/json",
    ).json()
    lines = [
        {"line": line["id"], "counted": "0", "reason": "Empty shelf"} for line in count["lines"]
    ]
    url = f"/api/v1/cycle-counts/{count['id']}"
    client.post(f"{url}/counts", {"lines": lines}, content_type="application/json")
    assert client.post(f"{url}/submit").json()["status"] == "pending_approval"
    assert (
        client.post(f"{url}/approve", {"reason": "x"}, content_type="application/json").status_code
        == 403
    )
    client.force_login(make_user("quality_manager", site_a))
    done = client.post(f"{url}/approve", {"reason": "Seen"}, content_type="application/json")
    assert done.json()["status"] == "posted"
    assert StockMove.objects.filter(reference=count["number"]).count() == 2
