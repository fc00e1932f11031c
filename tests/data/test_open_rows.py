"""Opening a listed page in one pass (keyring.open_rows): the row's key is found once per row,
and every value that does not fit that shortcut still opens (or stays sealed) exactly as
reading the attribute would."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIRequestFactory, force_authenticate

from mederp.data import crypto, keyring, masking
from mederp.data.api import SHOWN, PersonListCreate
from mederp.data.crypto import DecryptionFailed, Sealed
from mederp.data.fields import ERASED, EncryptedField
from mederp.data.models import DataKey, Person

pytestmark = pytest.mark.django_db

FIELDS = ["name", "phone", "email", "birth_date"]


def sealed_rows() -> list[Person]:
    """Rows as fetched, before any value is opened."""
    rows = list(Person.objects.order_by("reference"))
    assert all(isinstance(r.__dict__["name"], Sealed) for r in rows)
    return rows


def fields() -> list[Any]:
    return [Person._meta.get_field(name) for name in FIELDS]


def test_a_page_opens_every_value_with_its_row_key(make_person: Any) -> None:
    people = [make_person(name=f"周{i}", phone=f"1370000{i:04d}") for i in range(3)]
    keyring.clear_cache()
    rows = sealed_rows()
    keyring.preload(r.enc_key_id for r in rows)

    assert keyring.open_rows(rows, fields()) == 12
    by_id = {r.pk: r.__dict__ for r in rows}
    assert [by_id[p.pk]["name"] for p in people] == ["周0", "周1", "周2"]
    assert [by_id[p.pk]["phone"] for p in people] == [p.phone for p in people]
    assert by_id[people[0].pk]["birth_date"] == people[0].birth_date
    assert isinstance(rows[0].__dict__["notes"], Sealed)  # not asked for


def test_a_value_sealed_with_another_key_than_the_rows_opens_too(make_person: Any) -> None:
    """A row half-way through `keys reencrypt`: its values name their own key."""
    person = make_person(name="半途")
    other = keyring.create("enc", "people", "bench-other")
    rows = sealed_rows()
    rows[0].__dict__["enc_key_id"] = other.id  # the row points elsewhere; the values do not

    assert keyring.open_rows(rows, fields()) == 4
    assert rows[0].__dict__["name"] == "半途"
    assert rows[0].__dict__["phone"] == person.phone


def test_a_row_without_a_usable_key_leaves_its_values_to_the_attribute(
    make_person: Any,
) -> None:
    make_person(name="无钥")
    rows = sealed_rows()
    rows[0].__dict__["enc_key_id"] = None

    assert keyring.open_rows(rows, fields()) == 4  # each value names its key
    assert rows[0].name == "无钥"


def test_a_value_that_carries_its_record_id_opens_with_it(make_person: Any) -> None:
    person = make_person(name="带身份")
    rows = sealed_rows()
    data = rows[0].__dict__["name"].data
    rows[0].__dict__["name"] = Sealed(data, str(person.pk))
    rows[0].__dict__["_mederp_loaded_pk"] = "00000000-0000-0000-0000-000000000000"

    assert keyring.open_rows(rows, fields()) == 1  # the others bind the (wrong) loaded id
    assert rows[0].__dict__["name"] == "带身份"
    with pytest.raises(DecryptionFailed):
        _ = rows[0].phone


def test_an_altered_header_stays_sealed_and_loud(make_person: Any) -> None:
    make_person(name="改头")
    rows = sealed_rows()
    data = rows[0].__dict__["name"].data
    rows[0].__dict__["name"] = Sealed(b"\x02" + data[1:])  # unknown format version
    rows[0].__dict__["phone"] = Sealed(data[:20])  # too short to be a sealed value

    assert keyring.open_rows(rows, fields()) == 2
    with pytest.raises(DecryptionFailed):
        _ = rows[0].name
    with pytest.raises(DecryptionFailed):
        _ = rows[0].phone


def test_a_destroyed_key_is_not_opened_from_the_cache(make_person: Any, monkeypatch: Any) -> None:
    person = make_person(name="销毁")
    rows = sealed_rows()
    keyring.preload([person.enc_key_id])
    uid = str(DataKey.objects.get(pk=person.enc_key_id).uid)
    monkeypatch.setattr(keyring, "_destroyed", lambda: frozenset({uid}))

    assert keyring.open_rows(rows, fields()) == 0
    monkeypatch.undo()
    keyring.evict([person.enc_key_id])
    DataKey.objects.filter(pk=person.enc_key_id).update(wrapped=None)
    assert rows[0].name == ERASED


def test_the_field_aad_key_part_is_what_field_aad_writes() -> None:
    for key_id, generation in ((1, 1), (2**53 - 1, 7), (12345, 300)):
        parts = crypto.FieldAAD("data.Person", "email")
        assert parts.aad("r", key_id, generation) == crypto.field_aad(
            "data.Person", "r", "email", key_id, generation
        )


def test_values_from_the_database_are_sealed_whatever_the_driver_gives() -> None:
    field = Person._meta.get_field("name")
    assert isinstance(field, EncryptedField)
    (convert,) = field.get_db_converters(None)
    for raw in (b"\x01abc", memoryview(b"\x01abc"), bytearray(b"\x01abc")):
        value = convert(raw, None, None)
        assert isinstance(value, Sealed)
        assert value.data == b"\x01abc"
        assert value.data.__class__ is bytes
        assert str(value) == "[encrypted]"
    assert convert(None, None, None) is None
    assert field.from_db_value(b"\x01abc", None, None) == Sealed(b"\x01abc")


def test_present_reads_opened_values_and_still_opens_sealed_ones(make_person: Any) -> None:
    make_person(name="Jane Doe", email="jane@example.com")
    sealed = Person.objects.get()
    opened = Person.objects.open_fields("name", "email").get()
    assert isinstance(sealed.__dict__["name"], Sealed)
    assert opened.__dict__["name"] == "Jane Doe"

    for person in (sealed, opened):
        assert masking.present(person, "name", clear=True) == "Jane Doe"
        assert masking.present(person, "name", clear=False) == "J***"
        assert masking.present(person, "email", clear=False) == "j***@example.com"
        assert masking.present(person, "reference", clear=False) == person.reference
    deferred = Person.objects.only("reference").get()
    assert masking.present(deferred, "phone", clear=False) == "138****5678"


def test_a_list_may_show_fewer_restricted_fields(make_person: Any, roles: Any) -> None:
    make_person(name="三列")

    class ThreeColumns(PersonListCreate):
        shown = ("name", "phone", "email")

    request = APIRequestFactory().get("/api/v1/people")
    force_authenticate(request, user=roles.dpo)
    response = ThreeColumns.as_view()(request)
    row = response.data["results"][0]
    assert [name for name in SHOWN if name in row] == ["name", "phone", "email"]
    assert (row["name"], row["restricted_values"]) == ("三列", "clear")


def test_expired_keys_are_unwrapped_again(make_person: Any, settings: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    person = make_person(name="过期")
    keyring.clear_cache()
    settings.MEDERP_DATA_KEY_CACHE_SECONDS = -1  # every entry is expired once made
    keyring.preload([person.enc_key_id])
    assert person.enc_key_id in keyring._cache
    with CaptureQueriesContext(connection) as captured:
        assert keyring.preload([person.enc_key_id]) == frozenset()
    assert len(captured) == 1  # fetched and unwrapped again, not served stale
    assert list(keyring._cache).count(person.enc_key_id) == 1
    settings.MEDERP_DATA_KEY_CACHE_SECONDS = 300
    assert Person.objects.open_fields("name").get().__dict__["name"] == "过期"
