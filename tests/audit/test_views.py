"""The audit-trail pages: permissions, site scoping, filters, rendering, HTMX and query counts."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.utils import translation

from mederp import audit
from mederp.audit import ledger
from mederp.audit.models import AuditEntry
from mederp.audit.selectors import EntryFilter, entries_visible_to, search_entries
from mederp.identity.models import RoleAssignment
from mederp.ui.middleware import time_zone_for

pytestmark = pytest.mark.django_db

SEQ_LINK = re.compile(r'href="/audit/(\d+)/"')


def record(action: str = "update", *, site: Any = None, actor: Any = None, **kw: Any) -> Any:
    kw.setdefault("object_type", "test.thing")
    kw.setdefault("object_id", "1")
    kw.setdefault("object_repr", "Thing 1")
    return audit.record(action, None, actor=actor, site=site, **kw)


def at(moment: dt.datetime, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the ledger stamp the next entries with `moment`."""
    monkeypatch.setattr(ledger, "clock", lambda: moment)


def seqs(response: Any) -> list[int]:
    return [int(s) for s in SEQ_LINK.findall(response.content.decode())]


def named(user: Any, full_name: str) -> Any:
    type(user).objects.filter(pk=user.pk).update(full_name=full_name)
    user.full_name = full_name
    return user


def login(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


@pytest.fixture
def entries(site_a: Any, site_b: Any) -> dict[str, Any]:
    """One entry at each site and one without a site (a sign-in, a system job)."""
    return {
        "a": record(site=site_a, object_repr="Lot A-1", reason="Counted again"),
        "b": record(site=site_b, object_repr="Lot B-1", reason="Moved to quarantine"),
        "none": record("login", site=None, object_repr="someone"),
    }


# --- permission matrix ----------------------------------------------------------------------
def _urls(entries: dict[str, Any], site_a: Any) -> dict[str, str]:
    a = entries["a"]
    return {
        "search": "/audit/",
        "detail": f"/audit/{a.seq}/",
        "trail": f"/audit/trail/{a.object_type}/{a.object_id}/",
        "site_trail": f"/audit/trail/identity.site/{site_a.pk}/",
    }


@pytest.mark.parametrize("name", ["search", "detail", "trail", "site_trail"])
def test_anonymous_is_sent_to_login(
    client: Client, entries: dict[str, Any], site_a: Any, name: str
) -> None:
    url = _urls(entries, site_a)[name]
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_anonymous_export_is_sent_to_login(client: Client, entries: dict[str, Any]) -> None:
    response = client.post("/audit/export/", {"format": "csv"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("name", ["search", "detail", "trail", "site_trail"])
def test_wrong_role_gets_403_and_the_denial_is_recorded(
    client: Client, entries: dict[str, Any], site_a: Any, make_user: Any, name: str
) -> None:
    operator = make_user("production_operator", site_a)
    login(client, operator)
    url = _urls(entries, site_a)[name]
    response = client.get(url)
    assert response.status_code == 403
    denial = AuditEntry.objects.filter(action="permission_denied").latest("seq")
    assert denial.actor_username == operator.username
    assert denial.object_repr == url
    assert "audit.view_trail" in denial.reason


@pytest.mark.parametrize("name", ["search", "detail", "trail", "site_trail"])
@pytest.mark.parametrize("role", ["qa_specialist", "quality_manager", "auditor", "dpo"])
def test_roles_holding_view_trail_get_200(
    client: Client, entries: dict[str, Any], site_a: Any, make_user: Any, name: str, role: str
) -> None:
    login(client, make_user(role, site_a))
    assert client.get(_urls(entries, site_a)[name]).status_code == 200


def test_entry_of_another_site_is_404(
    client: Client, entries: dict[str, Any], site_a: Any, make_user: Any
) -> None:
    login(client, make_user("qa_specialist", site_a))
    assert client.get(f"/audit/{entries['b'].seq}/").status_code == 404
    assert client.get(f"/audit/{entries['none'].seq}/").status_code == 404  # no site
    assert client.get("/audit/999999/").status_code == 404


def test_search_lists_only_the_users_sites(
    client: Client, entries: dict[str, Any], site_a: Any, make_user: Any
) -> None:
    login(client, make_user("qa_specialist", site_a))
    listed = seqs(client.get("/audit/"))
    assert entries["a"].seq in listed
    assert entries["b"].seq not in listed
    assert entries["none"].seq not in listed


def test_company_wide_holder_sees_every_site_and_siteless_entries(
    client: Client, entries: dict[str, Any], make_user: Any
) -> None:
    login(client, make_user("quality_manager", None))
    listed = seqs(client.get("/audit/"))
    assert {entries["a"].seq, entries["b"].seq, entries["none"].seq} <= set(listed)


def test_holder_at_two_sites_sees_both_but_not_siteless(
    site_a: Any, site_b: Any, entries: dict[str, Any], make_user: Any
) -> None:
    from mederp.identity import services
    from mederp.identity.authz import SYSTEM
    from mederp.identity.models import Role

    user = make_user("qa_specialist", site_a)
    services.assign_role(SYSTEM, user, Role.objects.get(code="auditor"), site_b, reason="t")
    visible = set(entries_visible_to(user).values_list("seq", flat=True))
    assert {entries["a"].seq, entries["b"].seq} <= visible
    assert entries["none"].seq not in visible


def test_revoked_role_loses_sight(site_a: Any, entries: dict[str, Any], make_user: Any) -> None:
    from mederp.identity import services
    from mederp.identity.authz import SYSTEM

    user = make_user("qa_specialist", site_a)
    services.revoke_role(SYSTEM, RoleAssignment.objects.get(user=user), reason="left")
    fresh = type(user).objects.get(pk=user.pk)
    assert not entries_visible_to(fresh).exists()


def test_user_with_view_trail_elsewhere_may_open_search_from_another_site(
    client: Client, site_a: Any, site_b: Any, entries: dict[str, Any], make_user: Any
) -> None:
    """The permission may be held at any site; results stay scoped to that site."""
    from mederp.identity import services
    from mederp.identity.authz import SYSTEM
    from mederp.identity.models import Role

    user = make_user("qa_specialist", site_a)
    services.assign_role(SYSTEM, user, Role.objects.get(code="sales"), site_b, reason="t")
    login(client, user)
    client.post("/site/switch", {"site": site_b.pk})
    response = client.get("/audit/")
    assert response.status_code == 200
    assert entries["a"].seq in seqs(response)
    assert entries["b"].seq not in seqs(response)


# --- filters ----------------------------------------------------------------------------------
def test_filters_narrow_the_results(
    client: Client, site_a: Any, site_b: Any, make_user: Any
) -> None:
    alice = named(make_user(username="alice"), "Alice Wang")
    bob = make_user(username="bob")
    e1 = record("update", site=site_a, actor=alice, object_type="test.lot", object_id="7")
    e2 = record("create", site=site_a, actor=bob, reason="First receipt of the batch")
    e3 = record("update", site=site_b, actor=alice)
    viewer = make_user("quality_manager", None)
    login(client, viewer)

    def listed(**params: Any) -> set[int]:
        response = client.get("/audit/", params)
        assert response.status_code == 200
        return set(seqs(response)) & {e1.seq, e2.seq, e3.seq}

    assert listed() == {e1.seq, e2.seq, e3.seq}
    assert listed(actor="alice") == {e1.seq, e3.seq}
    assert listed(actor="Wang") == {e1.seq, e3.seq}  # part of the full name
    assert listed(action="create") == {e2.seq}
    assert listed(object_type="TEST.LOT", object_id="7") == {e1.seq}
    assert listed(site=site_b.pk) == {e3.seq}
    assert listed(q="receipt") == {e2.seq}
    assert listed(actor="alice", site=site_a.pk) == {e1.seq}


def test_date_range_is_read_in_the_users_time_zone(
    client: Client, site_a: Any, make_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 15:00 UTC on 1 March is 23:00 in Shanghai (still 1 March);
    # 17:00 UTC on 1 March is 01:00 on 2 March in Shanghai.
    at(dt.datetime(2026, 3, 1, 15, 0, tzinfo=dt.UTC), monkeypatch)
    late_first = record(site=site_a)
    at(dt.datetime(2026, 3, 1, 17, 0, tzinfo=dt.UTC), monkeypatch)
    early_second = record(site=site_a)
    monkeypatch.undo()
    viewer = make_user("qa_specialist", site_a)
    viewer.time_zone = "Asia/Shanghai"
    viewer.save(update_fields=["time_zone"])
    login(client, viewer)

    march_2 = seqs(client.get("/audit/", {"date_from": "2026-03-02", "date_to": "2026-03-02"}))
    assert early_second.seq in march_2
    assert late_first.seq not in march_2
    march_1 = seqs(client.get("/audit/", {"date_to": "2026-03-01"}))
    assert late_first.seq in march_1
    assert early_second.seq not in march_1
    # The same day read in UTC gives the other answer, so the zone really is applied.
    utc = search_entries(
        viewer, EntryFilter(date_from=dt.date(2026, 3, 1), date_to=dt.date(2026, 3, 1)), dt.UTC
    )
    assert set(utc.values_list("seq", flat=True)) == {late_first.seq, early_second.seq}


def test_from_after_to_is_a_form_error(client: Client, site_a: Any, make_user: Any) -> None:
    login(client, make_user("qa_specialist", site_a))
    response = client.get("/audit/", {"date_from": "2026-03-02", "date_to": "2026-03-01"})
    assert response.status_code == 200
    assert "after the" in response.content.decode()
    assert seqs(response) == []


def test_site_filter_offers_only_visible_sites(
    client: Client, site_a: Any, site_b: Any, make_user: Any
) -> None:
    login(client, make_user("qa_specialist", site_a))
    response = client.get("/audit/", {"site": site_b.pk})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_sort_and_pagination(client: Client, site_a: Any, make_user: Any) -> None:
    made = [record(site=site_a, object_type="test.page").seq for i in range(60)]
    login(client, make_user("qa_specialist", site_a))
    only = {"object_type": "test.page"}

    first = seqs(client.get("/audit/", only))
    assert first == sorted(made, reverse=True)[:50]  # newest first, 50 a page
    second = seqs(client.get("/audit/", {**only, "page": 2}))
    assert second == sorted(made, reverse=True)[50:]
    oldest = seqs(client.get("/audit/", {**only, "sort": "seq"}))
    assert oldest == sorted(made)[:50]
    by_time = seqs(client.get("/audit/", {**only, "sort": "-time"}))
    assert by_time == sorted(made, reverse=True)[:50]


# --- rendering --------------------------------------------------------------------------------
def test_row_shows_who_action_changes_and_hides_fingerprints(
    client: Client, site_a: Any, make_user: Any
) -> None:
    actor = named(make_user(username="li.na"), "Li Na")
    record(
        "update",
        site=site_a,
        actor=actor,
        object_type="identity.user",
        object_id=str(actor.pk),
        object_repr="Li Na (li.na)",
        changes={
            "full_name": ["Li  Na", "Li Na"],
            "email": [{"[restricted]": "0123456789abcdef"}, {"[restricted]": "fedcba9876543210"}],
            "is_active": [True, False],
        },
        reason="Typo in the name",
    )
    login(client, make_user("qa_specialist", site_a))
    html = client.get("/audit/").content.decode()
    assert "Li Na (li.na)" in html
    assert "Changed" in html  # the action's label, not its code
    assert re.search(r"full name</span>: <span[^>]*>Li  Na</span> → <span[^>]*>Li Na<", html)
    assert "[restricted]" in html
    assert "0123456789abcdef" not in html
    assert "fedcba9876543210" not in html
    assert "Typo in the name" in html


def test_times_are_shown_in_the_users_time_zone(
    client: Client, site_a: Any, make_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    at(dt.datetime(2026, 7, 1, 10, 30, tzinfo=dt.UTC), monkeypatch)
    record(site=site_a)
    monkeypatch.undo()
    viewer = make_user("qa_specialist", site_a)
    login(client, viewer)
    # No zone of their own: the site's (Asia/Shanghai, UTC+8).
    html = client.get("/audit/").content.decode()
    assert "2026-07-01 18:30:00" in html
    assert "Asia/Shanghai" in html
    viewer.time_zone = "Europe/Berlin"  # UTC+2 in summer
    viewer.save(update_fields=["time_zone"])
    html = client.get("/audit/").content.decode()
    assert "2026-07-01 12:30:00" in html


def test_time_zone_falls_back_to_utc() -> None:
    assert time_zone_for(SimpleNamespace(time_zone=""), None) == dt.UTC
    assert time_zone_for(SimpleNamespace(time_zone="Not/AZone"), None) == dt.UTC
    site = SimpleNamespace(time_zone="Asia/Shanghai")
    assert str(time_zone_for(SimpleNamespace(time_zone=""), site)) == "Asia/Shanghai"


def test_htmx_request_gets_only_the_results(client: Client, site_a: Any, make_user: Any) -> None:
    record(site=site_a)
    login(client, make_user("qa_specialist", site_a))
    full = client.get("/audit/")
    partial = client.get("/audit/", headers={"HX-Request": "true"})
    assert "<html" in full.content.decode()
    assert 'id="audit-filter"' in full.content.decode()
    body = partial.content.decode()
    assert "<html" not in body
    assert 'id="audit-filter"' not in body
    assert "<caption>" in body
    assert "HX-Request" in partial["Vary"]
    # History restore needs the whole page again.
    restore = client.get(
        "/audit/", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in restore.content.decode()


def test_search_page_is_accessible_markup(client: Client, site_a: Any, make_user: Any) -> None:
    record(site=site_a)
    login(client, make_user("qa_specialist", site_a))
    html = client.get("/audit/").content.decode()
    # every visible input has a label
    ids = re.findall(r'<(?:input|select)[^>]*\bid="([^"]+)"', html)
    assert ids
    for ident in ids:
        assert f'for="{ident}"' in html, ident
    assert "<caption>" in html
    assert '<th scope="col"' in html
    assert "style=" not in html  # the CSP forbids inline styles
    assert "<script>" not in html
    # works without JavaScript: a plain GET form
    assert re.search(r'<form id="audit-filter"[^>]*method="get"', html)
    assert "mederp/audit.css" in html


def test_detail_shows_payload_and_leaf_hash(
    client: Client, entries: dict[str, Any], site_a: Any, make_user: Any
) -> None:
    login(client, make_user("qa_specialist", site_a))
    entry = entries["a"]
    html = client.get(f"/audit/{entry.seq}/").content.decode()
    assert entry.leaf_hash in html
    assert "The stored payload hashes to this leaf hash." in html
    assert '"seq":' + str(entry.seq) in html.replace("&quot;", '"')


def test_navigation_links_to_the_audit_trail(client: Client, site_a: Any, make_user: Any) -> None:
    login(client, make_user("qa_specialist", site_a))
    assert 'href="/audit/"' in client.get("/").content.decode()
    other = Client()
    login(other, make_user("production_operator", site_a))
    assert 'href="/audit/"' not in other.get("/").content.decode()


# --- the record's trail -----------------------------------------------------------------------
def _grant(site: Any, make_user: Any) -> RoleAssignment:
    from mederp.identity import services
    from mederp.identity.authz import SYSTEM
    from mederp.identity.models import Role

    return services.assign_role(
        SYSTEM, make_user(), Role.objects.get(code="sales"), site, reason="new hire"
    )


def test_trail_url_lists_the_records_entries(client: Client, site_a: Any, make_user: Any) -> None:
    assignment = _grant(site_a, make_user)
    login(client, make_user("qa_specialist", site_a))
    url = f"/audit/trail/identity.roleassignment/{assignment.pk}/"
    html = client.get(url).content.decode()
    assert "Role granted" in html
    assert "new hire" in html
    assert "<html" in html
    partial = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial
    assert "Role granted" in partial


def test_trail_of_another_sites_record_is_404(
    client: Client, site_a: Any, site_b: Any, make_user: Any
) -> None:
    assignment = _grant(site_b, make_user)
    login(client, make_user("qa_specialist", site_a))
    response = client.get(f"/audit/trail/identity.roleassignment/{assignment.pk}/")
    assert response.status_code == 404
    assert client.get(f"/audit/trail/identity.site/{site_b.pk}/").status_code == 404


def _render_tag(obj: Any, user: Any) -> str:
    request = RequestFactory().get("/")
    request.user = user
    return Template("{% load audit_trail %}{% audit_trail obj %}").render(
        Context({"obj": obj, "request": request})
    )


def test_trail_tag_renders_for_allowed_users_only(site_a: Any, site_b: Any, make_user: Any) -> None:
    assignment = _grant(site_a, make_user)
    allowed = _render_tag(assignment, make_user("qa_specialist", site_a))
    assert "Role granted" in allowed
    assert "new hire" in allowed
    assert '<th scope="col">' in allowed
    refused = _render_tag(assignment, make_user("qa_specialist", site_b))
    assert "Role granted" not in refused
    assert "You may not see the audit trail of this record." in refused
    nobody = _render_tag(assignment, make_user("production_operator", site_a))
    assert "Role granted" not in nobody


# --- Chinese --------------------------------------------------------------------------------
def _zh_catalogue() -> bool:
    return any(
        (Path(p) / "zh_Hans" / "LC_MESSAGES" / "django.mo").exists() for p in settings.LOCALE_PATHS
    )


def test_chinese_page_shows_chinese_data_and_labels(
    client: Client, site_a: Any, make_user: Any
) -> None:
    record("update", site=site_a, object_repr="批次 L-001", reason="复核后放行")
    login(client, make_user("qa_specialist", site_a))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    html = client.get("/audit/").content.decode()
    assert 'lang="zh-Hans"' in html
    assert "甲工厂" in html  # the site's Chinese name in the site filter
    assert "批次 L-001" in html
    assert "复核后放行" in html
    if _zh_catalogue():
        with translation.override("zh-hans"):
            label = translation.gettext("Changed")
            title = translation.gettext("Audit trail")
        if label != "Changed":
            assert label in html
        if title != "Audit trail":
            assert title in html


# --- query counts -----------------------------------------------------------------------------
def test_search_page_queries_do_not_grow_with_rows(
    client: Client,
    site_a: Any,
    make_user: Any,
    django_assert_max_num_queries: Any,
) -> None:
    viewer = make_user("qa_specialist", site_a)
    login(client, viewer)
    for i in range(3):
        record(site=site_a, changes={"n": [i, i + 1]})
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get("/audit/").status_code == 200
    for i in range(60):
        record(site=site_a, changes={"n": [i, i + 1]})
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/audit/").status_code == 200
    with django_assert_max_num_queries(15):
        assert client.get("/audit/", {"page": 2}).status_code == 200


def test_trail_shows_the_latest_entries_and_links_to_the_rest(
    client: Client, site_a: Any, make_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mederp.audit import views

    monkeypatch.setattr(views, "TRAIL_LIMIT", 2)
    made = [record(site=site_a, object_type="test.lot", object_id="42").seq for _ in range(3)]
    login(client, make_user("qa_specialist", site_a))
    response = client.get("/audit/trail/test.lot/42/")
    html = response.content.decode()
    assert seqs(response) == sorted(made, reverse=True)[:2]
    assert "Latest 2 of 3 entries" in html
    assert 'href="/audit/?object_type=test.lot&amp;object_id=42"' in html


def test_empty_to_empty_fields_of_a_creation_are_not_listed(
    client: Client, site_a: Any, make_user: Any
) -> None:
    assignment = _grant(site_a, make_user)
    login(client, make_user("qa_specialist", site_a))
    html = client.get(f"/audit/trail/identity.roleassignment/{assignment.pk}/").content.decode()
    assert "reason</span>" in html  # — → "new hire"
    assert "revoked at" not in html  # — → —
