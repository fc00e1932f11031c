"""Encrypted model fields on a real model (data.Person): what is stored, what is refused."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import FieldError, ValidationError
from django.db import connection, transaction

from mederp import audit
from mederp.audit.changes import REDACTED
from mederp.data.crypto import DecryptionFailed, Sealed
from mederp.data.models import DataKey, Person

pytestmark = pytest.mark.django_db

ENCRYPTED = ["name", "phone", "email", "birth_date", "notes", "preferences"]


def raw(person: Any, column: str) -> Any:
    pk = Person._meta.pk.get_db_prep_value(person.pk, connection)
    with connection.cursor() as cur:
        cur.execute(f"SELECT {column} FROM data_person WHERE id = %s", [pk])
        return cur.fetchone()[0]


def write_raw(person: Any, column: str, value: Any) -> None:
    pk = Person._meta.pk.get_db_prep_value(person.pk, connection)
    with connection.cursor() as cur:
        cur.execute(f"UPDATE data_person SET {column} = %s WHERE id = %s", [value, pk])


def test_values_are_stored_encrypted_and_read_back(make_person: Any) -> None:
    person = make_person(name="MARKER-Name-张三", notes="MARKER-notes")
    for column in ENCRYPTED:
        stored = bytes(raw(person, column))
        assert b"MARKER" not in stored
        assert "张三".encode() not in stored
        assert stored[0] == 1  # format version
    fresh = Person.objects.get(pk=person.pk)
    assert fresh.name == "MARKER-Name-张三"
    assert fresh.phone == "13812345678"
    assert fresh.birth_date == dt.date(1984, 5, 6)
    assert fresh.preferences == {"channel": "phone"}
    assert fresh.enc_key.subject == f"person:{person.pk}"
    assert fresh.enc_key.wrapped is not None
    assert b"MARKER" not in bytes(fresh.enc_key.wrapped)


def test_every_row_has_its_own_subject_key(make_person: Any) -> None:
    a, b = make_person(), make_person()
    assert a.enc_key_id != b.enc_key_id
    assert DataKey.objects.filter(purpose="enc", subject__startswith="person:").count() == 2


def test_a_ciphertext_copied_to_another_row_does_not_decrypt(make_person: Any) -> None:
    a, b = make_person(name="Alice"), make_person(name="Bob")
    write_raw(b, "name", raw(a, "name"))
    with pytest.raises(DecryptionFailed, match="altered or copied"):
        _ = Person.objects.get(pk=b.pk).name


def test_a_ciphertext_copied_to_another_field_does_not_decrypt(make_person: Any) -> None:
    a = make_person(name="Alice", notes="Some note")
    write_raw(a, "notes", raw(a, "name"))
    fresh = Person.objects.get(pk=a.pk)
    assert fresh.name == "Alice"
    with pytest.raises(DecryptionFailed):
        _ = fresh.notes


def test_a_flipped_bit_does_not_decrypt(make_person: Any) -> None:
    a = make_person()
    value = bytearray(raw(a, "phone"))
    value[-1] ^= 0x01
    write_raw(a, "phone", bytes(value))
    with pytest.raises(DecryptionFailed):
        _ = Person.objects.get(pk=a.pk).phone


def test_queries_on_encrypted_fields_are_refused(make_person: Any) -> None:
    make_person()
    with pytest.raises(FieldError):
        Person.objects.filter(name="张三").count()
    with pytest.raises(FieldError):
        Person.objects.filter(email__icontains="jane").count()
    assert Person.objects.filter(birth_date__isnull=False).count() == 1
    with pytest.raises(TypeError, match="encrypted"), transaction.atomic():
        Person.objects.update(name="x")
    people = list(Person.objects.all())
    people[0].name = "changed"
    with pytest.raises(TypeError, match="encrypted"), transaction.atomic():
        Person.objects.bulk_update(people, ["name"])
    assert Person.objects.get().name == "张三"


def test_values_and_dumps_never_give_the_plaintext(make_person: Any) -> None:
    person = make_person()
    value = Person.objects.values_list("name", flat=True).get()
    assert isinstance(value, Sealed)
    assert str(value) == "[encrypted]"
    assert Person._meta.get_field("name").value_to_string(person) == "[restricted]"


def test_partial_save_keeps_the_whole_row_on_one_key(make_person: Any) -> None:
    person = make_person()
    fresh = Person.objects.get(pk=person.pk)
    before = {c: bytes(raw(person, c)) for c in ENCRYPTED}
    fresh.phone = "13900001111"
    fresh.save(update_fields=["phone"])
    after = {c: bytes(raw(person, c)) for c in ENCRYPTED}
    assert before["phone"] != after["phone"]
    # Untouched values still sealed with the row's key are written back as they were.
    assert all(before[c] == after[c] for c in ENCRYPTED if c != "phone")
    key_ids = {Sealed(after[c]).key_id for c in ENCRYPTED}
    assert key_ids == {fresh.enc_key_id}
    again = Person.objects.get(pk=person.pk)
    assert (again.phone, again.name) == ("13900001111", "张三")


def test_deferred_loading_and_refresh(make_person: Any) -> None:
    person = make_person()
    partial = Person.objects.only("reference").get(pk=person.pk)
    assert partial.name == "张三"
    partial.refresh_from_db(fields=["email"])
    assert partial.email == "jane@example.com"


def test_validation_runs_on_the_plaintext(make_person: Any, site_a: Any) -> None:
    person = Person(reference="CT-TEST", site=site_a, name="x" * 201, email="not-an-email")
    with pytest.raises(ValidationError) as exc:
        person.full_clean()
    assert {"name", "email"} <= set(exc.value.message_dict)


def test_empty_values(make_person: Any) -> None:
    person = make_person(phone="", birth_date=None, preferences={})
    assert raw(person, "birth_date") is None  # NULL stays NULL (its absence is visible)
    assert raw(person, "phone") is not None  # an empty string is sealed like any value
    fresh = Person.objects.get(pk=person.pk)
    assert (fresh.phone, fresh.birth_date, fresh.preferences) == ("", None, {})
    assert fresh.phone_index is None


def test_bulk_create_seals_too(site_a: Any) -> None:
    rows = [Person(reference=f"CT-B{i}", site=site_a, name=f"Bulk {i}") for i in range(3)]
    Person.objects.bulk_create(rows)
    assert sorted(p.name for p in Person.objects.all()) == ["Bulk 0", "Bulk 1", "Bulk 2"]


def test_ledger_gets_fingerprints_from_the_subject_key(make_person: Any) -> None:
    person = make_person(name="李四")
    snap = audit.snapshot(Person.objects.get(pk=person.pk))
    for name in [*ENCRYPTED, "email_index", "phone_index"]:
        assert set(snap[name]) == {REDACTED}, name
    other = make_person(name="李四")
    # The same value of two subjects has different fingerprints: keyed per subject.
    assert audit.snapshot(other)["name"] != snap["name"]
    assert audit.diff(snap, Person.objects.get(pk=person.pk)) == {}
