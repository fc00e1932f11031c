"""GET /api/v1/audit/entries: permissions, site scoping, filters, paging, query counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import resolve

from mederp import audit
from mederp.audit import ledger
from mederp.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

URL = "/api/v1/audit/entries"


def record(action: str = "update", *, site: Any = None, actor: Any = None, **kw: Any) -> Any:
    kw.setdefault("object_type", "test.thing")
    kw.setdefault("object_id", "1")
    kw.setdefault("object_repr", "Thing 1")
    return audit.record(action, None, actor=actor, site=site, **kw)


def api(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def seqs(response: Any) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["seq"] for row in response.json()["results"]}


def test_view_declares_its_permission() -> None:
    view = resolve(URL).func
    assert view.view_class.required_permission == "audit.view_trail"  # type: ignore[attr-defined]


def test_anonymous_gets_401_problem(client: Client, site_a: Any) -> None:
    response = client.get(URL)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["status"] == 401


def test_wrong_role_gets_403_and_the_denial_is_recorded(
    client: Client, site_a: Any, make_user: Any
) -> None:
    operator = make_user("production_operator", site_a)
    response = api(client, operator).get(URL)
    assert response.status_code == 403
    body = response.json()
    assert "audit.view_trail" in body["detail"]
    denial = AuditEntry.objects.filter(action="permission_denied").latest("seq")
    assert denial.actor_username == operator.username
    assert denial.object_repr == URL


@pytest.mark.parametrize("role", ["qa_specialist", "quality_manager", "auditor", "dpo"])
def test_roles_holding_view_trail_get_200(
    client: Client, site_a: Any, make_user: Any, role: str
) -> None:
    assert api(client, make_user(role, site_a)).get(URL).status_code == 200


def test_results_are_scoped_to_the_users_sites(
    client: Client, site_a: Any, site_b: Any, make_user: Any
) -> None:
    a = record(site=site_a)
    b = record(site=site_b)
    none = record("login", site=None)
    listed = seqs(api(client, make_user("qa_specialist", site_a)).get(URL, {"page_size": 500}))
    assert a.seq in listed
    assert b.seq not in listed
    assert none.seq not in listed
    company = Client()
    listed = seqs(api(company, make_user("auditor", None)).get(URL, {"page_size": 500}))
    assert {a.seq, b.seq, none.seq} <= listed


def test_entry_fields(client: Client, site_a: Any, make_user: Any) -> None:
    e = record(
        site=site_a,
        object_repr="批次 7",
        changes={"status": ["draft", "approved"]},
        reason="Released",
    )
    body = api(client, make_user("qa_specialist", site_a)).get(URL, {"object_type": "test.thing"})
    row = next(r for r in body.json()["results"] if r["seq"] == e.seq)
    assert row["action"] == "update"
    assert row["action_label"] == "Changed"
    assert row["site_code"] == "SA01"
    assert row["object_repr"] == "批次 7"
    assert row["changes"] == {"status": ["draft", "approved"]}
    assert row["reason"] == "Released"
    assert row["leaf_hash"] == e.leaf_hash
    assert "payload" not in row


def test_filters(
    client: Client, site_a: Any, site_b: Any, make_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = make_user(username="alice")
    monkeypatch.setattr(ledger, "clock", lambda: dt.datetime(2026, 3, 1, 17, tzinfo=dt.UTC))
    e1 = record("update", site=site_a, actor=alice, object_type="test.lot", object_id="7")
    monkeypatch.undo()
    e2 = record("create", site=site_a, reason="First receipt")
    e3 = record("update", site=site_b, actor=alice)
    client = api(client, make_user("quality_manager", None))
    mine = {e1.seq, e2.seq, e3.seq}

    def listed(**params: Any) -> set[int]:
        return seqs(client.get(URL, {"page_size": 500, **params})) & mine

    assert listed() == mine
    assert listed(actor="ALICE") == {e1.seq, e3.seq}
    assert listed(action="create") == {e2.seq}
    assert listed(object_type="test.lot", object_id="7") == {e1.seq}
    assert listed(site="SB02") == {e3.seq}
    assert listed(q="receipt") == {e2.seq}
    # dates are days in the caller's zone (here their current site's, Asia/Shanghai):
    # 17:00 UTC on 1 March is 01:00 on 2 March there
    assert listed(date_from="2026-03-02", date_to="2026-03-02") == {e1.seq}
    assert listed(date_to="2026-03-01") == set()


def test_dates_follow_the_users_time_zone(
    client: Client, site_a: Any, make_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ledger, "clock", lambda: dt.datetime(2026, 3, 2, 3, tzinfo=dt.UTC))
    e = record(site=site_a)  # 2 March in UTC and at the site (Shanghai), 22:00 on 1 March in NY
    monkeypatch.undo()
    viewer = make_user("qa_specialist", site_a)
    viewer.time_zone = "America/New_York"  # the user's own zone wins over the site's
    viewer.save(update_fields=["time_zone"])
    client = api(client, viewer)
    assert e.seq in seqs(client.get(URL, {"date_from": "2026-03-01", "date_to": "2026-03-01"}))
    assert e.seq not in seqs(client.get(URL, {"date_from": "2026-03-02"}))


def test_bad_filters_are_400_problems(client: Client, site_a: Any, make_user: Any) -> None:
    client = api(client, make_user("qa_specialist", site_a))
    for params in ({"site": "NOPE"}, {"date_from": "yesterday"}, {"action": "explode"}):
        response = client.get(URL, params)
        assert response.status_code == 400, params
        assert response["Content-Type"].startswith("application/problem+json")


def test_sort_and_pages(client: Client, site_a: Any, make_user: Any) -> None:
    made = [record(site=site_a, object_type="test.page").seq for _ in range(7)]
    client = api(client, make_user("qa_specialist", site_a))
    first = client.get(URL, {"object_type": "test.page", "page_size": 5}).json()
    assert first["count"] == 7
    assert [r["seq"] for r in first["results"]] == sorted(made, reverse=True)[:5]
    assert first["next"] is not None
    second = client.get(URL, {"object_type": "test.page", "page_size": 5, "page": 2}).json()
    assert [r["seq"] for r in second["results"]] == sorted(made, reverse=True)[5:]
    oldest = client.get(URL, {"object_type": "test.page", "sort": "seq"}).json()
    assert [r["seq"] for r in oldest["results"]] == sorted(made)


def test_list_queries_do_not_grow_with_rows(
    client: Client, site_a: Any, make_user: Any, django_assert_max_num_queries: Any
) -> None:
    client = api(client, make_user("qa_specialist", site_a))
    record(site=site_a)
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    for i in range(60):
        record(site=site_a, changes={"n": [i, i + 1]})
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(URL)
    assert len(response.json()["results"]) == 50
    with django_assert_max_num_queries(10):
        client.get(URL, {"page": 2})
