"""Listing a page opens its values with O(1) queries, whatever the number of rows and of
per-subject data keys (one key query, one provider batch); the key cache never serves a
destroyed key, in this process or after another process shredded it."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from mederp.data import crypto, destruction, keyring, services
from mederp.data.crypto import DecryptionFailed
from mederp.data.fields import ERASED
from mederp.data.models import DataKey, Person
from mederp.data.selectors import PersonFilter

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def shred(person: Any, roles: Any) -> None:
    request = services.request_erasure(roles.sales, person, reason="Subject asked")
    services.shred_subject(roles.dpo, request, reason="Verified")


def key_queries(captured: CaptureQueriesContext) -> int:
    return sum('"data_datakey"' in q["sql"] for q in captured.captured_queries)


@pytest.mark.parametrize("cold", [True, False], ids=["cold key cache", "warm key cache"])
@pytest.mark.parametrize("url", ["/api/v1/people?page_size=100", "/people/"])
def test_listing_people_does_not_query_per_row_or_per_key(
    make_person: Any,
    roles: Any,
    cold: bool,
    url: str,
    django_assert_max_num_queries: Any,
) -> None:
    client = client_for(roles.dpo)
    make_person()
    shred(make_person(), roles)
    client.get(url)  # session, permissions: settled
    if cold:
        keyring.clear_cache()
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    people = [make_person(name=f"李四{i}", phone=f"1390000{i:04d}") for i in range(30)]
    for person in people[:3]:
        shred(person, roles)  # erased rows in the page too: no lookup per erased value
    if cold:
        keyring.clear_cache()

    with django_assert_max_num_queries(len(few)) as many:
        response = client.get(url)

    assert response.status_code == 200
    assert key_queries(many) == 1  # one for the page (destroyed keys are never cached)
    text = response.content.decode()
    assert "李四29" in text
    assert "[erased]" in text
    if url.startswith("/api/"):
        rows = {r["id"]: r for r in response.json()["results"]}
        assert len(rows) == 32
        assert rows[str(people[0].pk)]["name"] == "[erased]"
        assert rows[str(people[5].pk)]["name"] == "李四5"


def test_a_page_without_erased_rows_needs_no_key_query_once_warm(
    make_person: Any, roles: Any
) -> None:
    for i in range(5):
        make_person(name=f"王{i}")
    client = client_for(roles.dpo)
    keyring.clear_cache()
    with CaptureQueriesContext(connection) as cold:
        client.get("/api/v1/people")
    with CaptureQueriesContext(connection) as warm:
        client.get("/api/v1/people")
    assert (key_queries(cold), key_queries(warm)) == (1, 0)


def test_a_shredded_key_leaves_the_cache_and_is_not_cached_again(
    make_person: Any, roles: Any
) -> None:
    person = make_person(name="SHRED-ME")
    key_id = person.enc_key_id
    client = client_for(roles.dpo)
    assert "SHRED-ME" in client.get("/api/v1/people").content.decode()
    assert key_id in keyring._cache

    shred(person, roles)

    assert key_id not in keyring._cache
    body = client.get("/api/v1/people").json()["results"]
    assert [(r["name"], r["restricted_values"]) for r in body] == [("[erased]", "erased")]
    assert key_id not in keyring._cache  # the list's preload did not bring it back
    assert keyring.preload([key_id]) == {key_id}
    assert key_id not in keyring._cache


@pytest.mark.parametrize("cold", [True, False], ids=["cold key cache", "warm key cache"])
def test_a_key_another_process_destroyed_is_never_served(
    make_person: Any, roles: Any, monkeypatch: Any, cold: bool
) -> None:
    """Another process shredded (or a backup from before the shredding was restored): the
    database still holds the wrapped key, only the destruction list names it."""
    gone = make_person(name="OTHER-PROCESS")
    kept = make_person(name="STAYS")
    client = client_for(roles.dpo)
    assert "OTHER-PROCESS" in client.get("/api/v1/people").content.decode()  # cached
    key = DataKey.objects.get(pk=gone.enc_key_id)
    destruction.paths()[0].write_text(f"{key.uid} 2026-01-01T00:00:00Z\n")
    monkeypatch.setitem(destruction._state, "next", 0.0)  # its next look at the list
    if cold:
        keyring.clear_cache()

    rows = {r["id"]: r for r in client.get("/api/v1/people").json()["results"]}
    page = client.get("/people/").content.decode()
    exported = services.export_people(roles.dpo, PersonFilter(), "csv", purpose="check")

    assert rows[str(gone.pk)]["name"] == "[erased]"
    assert rows[str(kept.pk)]["name"] == "STAYS"
    assert "OTHER-PROCESS" not in page
    assert "OTHER-PROCESS" not in exported.decode("utf-8-sig")
    assert key.id not in keyring._cache
    assert DataKey.objects.get(pk=key.pk).wrapped is not None  # still in the database
    assert Person.objects.get(pk=gone.pk).name == ERASED


def test_an_altered_value_in_a_page_stays_loud(make_person: Any) -> None:
    a = make_person(name="AAA")
    b = make_person(name="BBB")
    # Copy a's sealed name onto b: it does not authenticate there (wrong record, wrong key).
    stolen = Person.objects.values_list("name", flat=True).get(pk=a.pk)
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE data_person SET name = %s WHERE id = %s",
            [stolen.data, Person._meta.pk.get_db_prep_value(b.pk, connection)],
        )
    rows = {p.pk: p for p in Person.objects.open_fields("name", "phone")}
    assert rows[a.pk].name == "AAA"
    assert rows[b.pk].phone == "13812345678"
    with pytest.raises(DecryptionFailed, match="does not decrypt"):
        _ = rows[b.pk].name


def test_open_fields_opens_the_page_in_one_pass(make_person: Any) -> None:
    for i in range(3):
        make_person(name=f"赵{i}")
    keyring.clear_cache()
    with CaptureQueriesContext(connection) as captured:
        people = list(Person.objects.open_fields("name", "birth_date").order_by("created_at"))
    assert key_queries(captured) == 1
    for person in people:  # opened: plaintext on the instance, nothing left to decrypt
        assert isinstance(person.__dict__["name"], str)
        assert not isinstance(person.__dict__["birth_date"], crypto.Sealed)
        assert isinstance(person.__dict__["notes"], crypto.Sealed)  # not asked for
    assert [p.name for p in people] == ["赵0", "赵1", "赵2"]
    assert people[0].notes == "prefers mornings"
    with pytest.raises(ValueError, match="no encrypted field"):
        Person.objects.open_fields("organisation")


def test_only_keeps_the_row_key(make_person: Any) -> None:
    make_person()
    person = Person.objects.only("reference").get()
    assert "enc_key_id" in person.__dict__


def test_a_row_opens_with_the_identity_it_was_loaded_under(make_person: Any) -> None:
    original = make_person(name="COPY-ME")
    copy = Person.objects.get(pk=original.pk)
    copy.pk = uuid.uuid4()
    copy.reference = "CT-COPY000001"
    copy._state.adding = True
    assert copy.name == "COPY-ME"  # still opens: loaded under the original's id
    copy = Person.objects.get(pk=original.pk)
    copy.pk = uuid.uuid4()
    copy.reference = "CT-COPY000002"
    copy._state.adding = True
    copy.save()  # sealed values re-sealed for the new record with its own key
    fresh = Person.objects.get(pk=copy.pk)
    assert fresh.name == "COPY-ME"
    assert fresh.enc_key_id != original.enc_key_id


def test_field_aad_parts_make_the_same_associated_data() -> None:
    parts = crypto.FieldAAD("data.Person", "name")
    record = str(uuid.uuid4())
    assert parts.aad(record, 12345, 3) == crypto.field_aad("data.Person", record, "name", 12345, 3)
    assert parts.prefix + parts.record(record) + parts.infix + parts.key_part(
        12345, 3
    ) == crypto.field_aad("data.Person", record, "name", 12345, 3)
    with pytest.raises(ValueError, match="NUL"):
        parts.record("a\x00b")
    with pytest.raises(ValueError, match="NUL"):
        crypto.FieldAAD("data.Person", "na\x00me")
