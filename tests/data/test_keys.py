"""Key operations: KEK rotation (re-wrap only), new data-key generations, resumable
re-encryption while the application writes, status, audit entries, and refusals."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.db import connection

from mederp.audit.models import AuditEntry
from mederp.data import keyops, keyring, providers, services
from mederp.data.crypto import Sealed
from mederp.data.models import DataKey, Person
from mederp.data.providers import KeyProviderError, get_provider
from mederp.identity.authz import SYSTEM

pytestmark = pytest.mark.django_db
FIELDS = ["name", "phone", "email", "birth_date", "notes", "preferences"]


def stored(person: Any) -> dict[str, bytes]:
    pk = Person._meta.pk.get_db_prep_value(person.pk, connection)
    with connection.cursor() as cur:
        cur.execute(f"SELECT {', '.join(FIELDS)} FROM data_person WHERE id = %s", [pk])
        row = cur.fetchone()
    return {f: bytes(v) for f, v in zip(FIELDS, row, strict=True) if v is not None}


def cmd(*args: str) -> str:
    out = io.StringIO()
    call_command("keys", *args, stdout=out)
    return out.getvalue()


def test_rotate_rewraps_keys_and_touches_no_value(make_person: Any) -> None:
    people = [make_person(name=f"P{i}") for i in range(5)]
    before = {p.pk: stored(p) for p in people}
    wrapped_before = dict(DataKey.objects.values_list("id", "wrapped"))
    output = cmd("rotate", "--reason", "annual rotation", "--batch", "2")
    assert "v1 -> v2" in output
    assert set(DataKey.objects.values_list("kek_version", flat=True)) == {2}
    for key_id, blob in DataKey.objects.values_list("id", "wrapped"):
        assert bytes(blob) != bytes(wrapped_before[key_id])
    assert {p.pk: stored(p) for p in people} == before  # no field value rewritten
    keyring.clear_cache()
    assert [Person.objects.get(pk=p.pk).name for p in people] == [f"P{i}" for i in range(5)]
    entries = AuditEntry.objects.filter(action="key_rotated").order_by("seq")
    assert entries[0].changes["kek_version"] == [1, 2]
    assert entries[0].reason == "annual rotation"
    assert sum(e.changes["rewrapped"][1] for e in entries[1:]) == DataKey.objects.count()
    keys = DataKey.objects.count()  # 5 subject keys and the blind-index key
    assert keys == 6
    assert len(entries) == 1 + keys // 2  # the KEK entry, then one per batch of 2


def test_new_generations_then_resumable_reencrypt(make_person: Any) -> None:
    people = [make_person(name=f"Q{i}") for i in range(7)]
    cmd("rotate", "--reason", "new data keys", "--data-keys")
    status = keyops.status().rows[0]
    assert (status["rows"], status["stale"], status["current"]) == (7, 7, 0)
    # Interrupted after two batches of 2: the rest stays readable and is picked up later.
    assert "3 rows still to re-encrypt" in cmd("reencrypt", "--batch", "2", "--max-batches", "2")
    # Meanwhile the application writes: a save seals with the newest key.
    stale = Person.objects.filter(enc_key__is_current=False).first()
    assert stale is not None
    services.update_person(SYSTEM, stale, reason="moved", phone="13100000000")
    assert keyops.status().rows[0]["stale"] == 2
    out = cmd("reencrypt", "--batch", "2")
    assert "Re-encrypted 2 rows" in out
    status = keyops.status().rows[0]
    assert (status["stale"], status["current"], status["by_generation"]) == (0, 7, {"2": 7})
    keyring.clear_cache()
    for i, p in enumerate(people):
        fresh = Person.objects.get(pk=p.pk)
        assert fresh.name == f"Q{i}"
        assert fresh.enc_key.generation == 2
        assert {Sealed(v).key_id for v in stored(p).values()} == {fresh.enc_key_id}
    entries = AuditEntry.objects.filter(action="key_reencrypted")
    assert sum(e.changes["rows"][1] for e in entries) == 6
    assert "Re-encrypted 0 rows" in cmd("reencrypt")


def test_status_command(make_person: Any) -> None:
    make_person()
    text = cmd("status")
    assert "provider local, current version 1" in text
    assert "data.Person: 1 rows" in text
    data = json.loads(cmd("status", "--json"))
    assert data["rows"][0]["model"] == "data.Person"


def test_key_operations_need_keys_manage(roles: Any) -> None:
    with pytest.raises(PermissionDenied, match=r"keys\.manage"):
        keyops.rotate(roles.dpo, reason="x")
    with pytest.raises(PermissionDenied):
        keyops.reencrypt(roles.manager)
    result = keyops.rotate(roles.admin, reason="admin may")
    assert result.new_version == 2


def test_a_missing_kek_directory_is_an_error_not_a_new_key(make_person: Any) -> None:
    person = make_person()
    provider = get_provider()
    for path in provider.directory.iterdir():  # type: ignore[attr-defined]
        path.unlink()
    # A new process (a restart with an unmounted key volume) has nothing cached.
    keyring.clear_cache()
    providers.reset()
    provider = get_provider()
    with pytest.raises(KeyProviderError, match="restore"):
        _ = Person.objects.get(pk=person.pk).name
    with pytest.raises(KeyProviderError, match="restore it from the key backup"):
        make_person()
    assert not any(provider.directory.iterdir())  # type: ignore[attr-defined]
    with pytest.raises(CommandError, match="restore"):
        cmd("rotate", "--reason", "x")
