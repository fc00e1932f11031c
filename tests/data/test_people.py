"""Contact records end to end: masking, the audited reveal, blind-index search, keyed hashes,
the API and the pages."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from mederp.audit.models import AuditEntry
from mederp.data import masking, services
from mederp.data.fields import hash_matches
from mederp.data.models import Person
from mederp.data.selectors import PersonFilter, search_people

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("kind", "value", "masked"),
    [
        ("name", "张三", "张*"),
        ("name", "张三丰", "张**"),
        ("name", "Jane Doe", "J***"),
        ("phone", "13812345678", "138****5678"),
        ("phone", "+86 138 1234 5678", "+861******5678"),
        ("phone", "12345", "***45"),
        ("email", "jane@example.com", "j***@example.com"),
        ("email", "j@example.com", "j***@example.com"),
        ("date", "1984-05-06", "****-**-**"),
        ("text", "anything at all", "[restricted]"),
        ("name", "", ""),
    ],
)
def test_masks(kind: str, value: str, masked: str) -> None:
    assert masking.mask(kind, value) == masked


def client_for(user: Any) -> Client:
    client = Client(enforce_csrf_checks=False)
    client.force_login(user)
    return client


# --- services --------------------------------------------------------------------------------
def test_create_is_authorized_validated_and_audited(site_a: Any, roles: Any) -> None:
    with pytest.raises(PermissionDenied, match=r"people\.manage"):
        services.create_person(roles.viewer, site=site_a, name="X")
    with pytest.raises(ValidationError):
        services.create_person(roles.manager, site=site_a, name="X", email="bad")
    person = services.create_person(
        roles.manager, site=site_a, name="王五", email="wang@example.com", id_number="110101X"
    )
    entry = AuditEntry.objects.filter(action="create", object_type="data.person").get()
    assert entry.object_repr == person.reference
    assert entry.actor_username == roles.manager.username
    assert set(entry.changes["name"][1]) == {"[restricted]"}
    for secret in ("王五", "wang@example.com", "110101X"):
        assert secret not in entry.payload


def test_update_needs_a_reason_and_records_a_fingerprint_change(
    make_person: Any, roles: Any
) -> None:
    person = make_person()
    with pytest.raises(ValidationError, match="reason"):
        services.update_person(roles.manager, person, reason=" ", phone="13900000000")
    with pytest.raises(ValidationError, match="cannot be changed"):
        services.update_person(roles.manager, person, reason="x", reference="CT-1")
    updated = services.update_person(
        roles.manager, person, reason="New mobile", phone="13900000000"
    )
    assert updated.version == 2
    entry = AuditEntry.objects.filter(action="update").latest("seq")
    assert set(entry.changes) >= {"phone", "phone_index", "version"}
    old, new = entry.changes["phone"]
    assert old != new
    assert set(old) == set(new) == {"[restricted]"}
    assert "13900000000" not in entry.payload


def test_keyed_hash_compares_but_never_stores_the_value(make_person: Any) -> None:
    person = make_person(id_number="330102198405061234")
    assert len(person.id_number_hash) == 64
    assert "330102198405061234" not in person.id_number_hash
    assert hash_matches(person, "id_number_hash", " 330102198405061234 ")
    assert not hash_matches(person, "id_number_hash", "330102198405061235")
    with pytest.raises(TypeError, match="keyed hashes only"):
        Person.objects.filter(pk=person.pk).update(id_number_hash="330102198405061234")


def test_blind_index_search(make_person: Any, roles: Any, site_a: Any) -> None:
    a = make_person(email="Jane.Doe@Example.com", phone="138-1234-5678")
    make_person(email="other@example.com", phone="13900000000")
    found = search_people(roles.viewer, PersonFilter(email="  jane.doe@example.COM "))
    assert list(found) == [a]
    assert list(search_people(roles.viewer, PersonFilter(phone="13812345678"))) == [a]
    assert not search_people(roles.viewer, PersonFilter(email="jane@example.com")).exists()
    # Leakage, by design: equal values have equal indexes (documented in ADR 0011).
    b = make_person(email="jane.doe@example.com")
    assert Person.objects.get(pk=b.pk).email_index == Person.objects.get(pk=a.pk).email_index
    # The index of one field is not the index of another for the same text.
    assert a.email_index != Person._meta.get_field("phone_index").compute(Person, a.email)


def test_reveal_is_permissioned_reasoned_and_audited(make_person: Any, roles: Any) -> None:
    person = make_person()
    with pytest.raises(PermissionDenied, match=r"data\.reveal"):
        services.reveal(roles.viewer, person, reason="curious")
    with pytest.raises(ValidationError, match="reason"):
        services.reveal(roles.manager, person, reason="")
    values = services.reveal(roles.manager, person, reason="Call back about complaint")
    assert values["name"] == "张三"
    assert values["birth_date"] == "1984-05-06"
    entry = AuditEntry.objects.filter(action="reveal").get()
    assert entry.reason == "Call back about complaint"
    assert entry.changes["fields"][1] == [
        "name",
        "phone",
        "email",
        "birth_date",
        "notes",
        "preferences",
    ]
    assert "张三" not in entry.payload
    assert "13812345678" not in entry.payload


# --- API -------------------------------------------------------------------------------------
def test_api_list_masks_unless_view_restricted(make_person: Any, roles: Any) -> None:
    make_person()
    masked = client_for(roles.viewer).get("/api/v1/people").json()["results"][0]
    assert masked["name"] == "张*"
    assert masked["phone"] == "138****5678"
    assert masked["email"] == "j***@example.com"
    assert masked["birth_date"] == "****-**-**"
    assert masked["restricted_values"] == "masked"
    clear = client_for(roles.dpo).get("/api/v1/people").json()["results"][0]
    assert (clear["name"], clear["phone"], clear["restricted_values"]) == (
        "张三",
        "13812345678",
        "clear",
    )
    assert client_for(roles.nobody).get("/api/v1/people").status_code == 403


def test_api_list_query_count_does_not_grow_with_rows(make_person: Any, roles: Any) -> None:
    client = client_for(roles.dpo)
    make_person()
    client.get("/api/v1/people")
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/people")
    for _ in range(10):
        make_person()
    with CaptureQueriesContext(connection) as many:
        body = client.get("/api/v1/people?page_size=100").json()
    assert body["count"] == 11
    assert len(many) == len(few)


def test_api_search_in_the_body_not_the_url(make_person: Any, roles: Any) -> None:
    a = make_person(email="Search.Me@example.com")
    make_person(email="no@example.com")
    client = client_for(roles.viewer)
    response = client.post(
        "/api/v1/people/search", {"email": "search.me@EXAMPLE.com"}, content_type="application/json"
    )
    assert [r["id"] for r in response.json()] == [str(a.pk)]
    bad = client.post("/api/v1/people/search", {}, content_type="application/json")
    assert bad.status_code == 400


def test_api_create_update_and_reveal(site_a: Any, roles: Any) -> None:
    client = client_for(roles.manager)
    created = client.post(
        "/api/v1/people",
        {"site": site_a.code, "name": "赵六", "phone": "13700001111", "email": "zhao@example.com"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["name"] == "赵*"  # a manager without view_restricted sees it masked
    pk = body["id"]
    patched = client.patch(
        f"/api/v1/people/{pk}", {"phone": "13700002222"}, content_type="application/json"
    )
    assert patched.status_code == 400  # reason required
    patched = client.patch(
        f"/api/v1/people/{pk}",
        {"phone": "13700002222", "reason": "Customer called"},
        content_type="application/json",
    )
    assert patched.json()["phone"] == "137****2222"
    revealed = client.post(
        f"/api/v1/people/{pk}/reveal", {"reason": "Ship a sample"}, content_type="application/json"
    )
    assert revealed.status_code == 200
    assert revealed["Cache-Control"] == "no-store"
    assert revealed.json()["phone"] == "13700002222"
    assert json.loads(revealed.json()["preferences"] or "{}") == {}
    denied = client_for(roles.viewer).post(
        f"/api/v1/people/{pk}/reveal", {"reason": "x"}, content_type="application/json"
    )
    assert denied.status_code == 403


def test_api_other_sites_are_invisible(make_person: Any, roles: Any, site_b: Any) -> None:
    other = make_person(site=site_b)
    client = client_for(roles.viewer)
    assert client.get(f"/api/v1/people/{other.pk}").status_code == 404
    assert client.get("/api/v1/people").json()["count"] == 0


# --- pages -----------------------------------------------------------------------------------
def test_list_and_detail_pages_mask_and_reveal(make_person: Any, roles: Any) -> None:
    person = make_person()
    client = client_for(roles.manager)
    page = client.get("/people/").content.decode()
    assert "张*" in page
    assert "138****5678" in page
    assert "张三" not in page
    detail = client.get(f"/people/{person.pk}/").content.decode()
    assert "13812345678" not in detail
    assert "Reveal" in detail
    refused = client.post(f"/people/{person.pk}/reveal/", {"reveal-reason": ""})
    assert refused.status_code == 400
    shown = client.post(f"/people/{person.pk}/reveal/", {"reveal-reason": "Customer asks"})
    assert shown.status_code == 200
    assert shown["Cache-Control"] == "no-store"
    assert "13812345678" in shown.content.decode()
    assert AuditEntry.objects.filter(action="reveal", reason="Customer asks").exists()
    again = client.get(f"/people/{person.pk}/").content.decode()
    assert "13812345678" not in again  # the reveal was for that one response only
    # The search is a POST: personal data stays out of the URL.
    found = client.post("/people/", {"email": "jane@example.com"}).content.decode()
    assert person.reference in found
    clear = client_for(roles.dpo).get(f"/people/{person.pk}/").content.decode()
    assert "13812345678" in clear


def test_create_page(site_a: Any, roles: Any) -> None:
    client = client_for(roles.manager)
    assert client.get("/people/new/").status_code == 200
    response = client.post(
        "/people/new/",
        {"site": site_a.pk, "kind": "supplier", "name": "孙七", "email": "sun@example.com"},
    )
    assert response.status_code == 302
    assert Person.objects.get().name == "孙七"
    assert client_for(roles.viewer).get("/people/new/").status_code == 403
