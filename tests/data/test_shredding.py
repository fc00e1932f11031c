"""Crypto-shredding: request, DPO approval by another person, keys destroyed, "[erased]"
everywhere; the destruction list outside the database; restoring a pre-shred backup."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.test import Client

from mederp.audit.models import AuditEntry
from mederp.data import destruction, keyops, keyring, services
from mederp.data.fields import ERASED
from mederp.data.models import DataKey, Person, ShredRequest
from mederp.data.selectors import PersonFilter, search_people
from mederp.identity.authz import SYSTEM

from .helpers import export_bytes


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def shred(person: Any, roles: Any) -> ShredRequest:
    request = services.request_erasure(roles.sales, person, reason="Subject asked (ticket 77)")
    return services.shred_subject(roles.dpo, request, reason="PIPL art. 47 request verified")


@pytest.mark.django_db
def test_two_steps_by_different_people(make_person: Any, roles: Any) -> None:
    person = make_person()
    with pytest.raises(PermissionDenied, match=r"data\.request_shred"):
        services.request_erasure(roles.viewer, person, reason="x")
    with pytest.raises(ValidationError, match="reason"):
        services.request_erasure(roles.sales, person, reason="")
    request = services.request_erasure(roles.dpo, person, reason="Subject asked")
    with pytest.raises(ValidationError, match="already waiting"):
        services.request_erasure(roles.sales, person, reason="again")
    with pytest.raises(PermissionDenied, match="Segregation of duties"):
        services.shred_subject(roles.dpo, request, reason="self-approval")
    with pytest.raises(PermissionDenied, match=r"data\.shred"):
        services.shred_subject(roles.manager, request, reason="not a DPO")
    assert Person.objects.get(pk=person.pk).name == "张三"  # nothing happened yet
    services.shred_subject(roles.dpo2, request, reason="Verified")
    assert ShredRequest.objects.get().status == "approved"
    with pytest.raises(ValidationError, match="already decided"):
        services.shred_subject(roles.dpo2, request, reason="twice")


@pytest.mark.django_db
def test_reject(make_person: Any, roles: Any) -> None:
    person = make_person()
    request = services.request_erasure(roles.sales, person, reason="asked")
    services.reject_erasure(roles.dpo, request, reason="Retention obligation (complaint open)")
    assert Person.objects.get(pk=person.pk).name == "张三"
    entry = AuditEntry.objects.filter(action="shred_rejected").get()
    assert entry.changes["status"] == ["pending", "rejected"]
    assert entry.object_type == "data.shredrequest"
    assert entry.reason == "Retention obligation (complaint open)"
    assert AuditEntry.objects.filter(action="shred_requested", object_id=str(request.pk)).exists()
    assert not AuditEntry.objects.filter(action__in=["shred_approved", "key_destroyed"]).exists()


@pytest.mark.django_db
def test_after_shredding_values_read_erased_everywhere(
    make_person: Any, roles: Any, site_a: Any
) -> None:
    person = make_person(email="gone@example.com", id_number="X123")
    keep = make_person(name="李四")
    fingerprint = AuditEntry.objects.get(action="create", object_id=str(person.pk)).changes["name"][
        1
    ]
    shred(person, roles)

    fresh = Person.objects.get(pk=person.pk)
    assert fresh.is_erased
    for name in ("name", "phone", "email", "birth_date", "notes", "preferences"):
        assert getattr(fresh, name) == ERASED
    assert (fresh.email_index, fresh.phone_index, fresh.id_number_hash) == (None, None, None)
    assert Person.objects.get(pk=keep.pk).name == "李四"
    keys = DataKey.objects.filter(subject=f"person:{person.pk}")
    assert all(k.wrapped is None and k.destroyed_at for k in keys)
    # Search, API, pages and exports.
    assert not search_people(roles.viewer, PersonFilter(email="gone@example.com")).exists()
    row = next(
        r
        for r in client_for(roles.dpo).get("/api/v1/people").json()["results"]
        if r["id"] == str(person.pk)
    )
    assert (row["name"], row["restricted_values"]) == ("[erased]", "erased")
    page = client_for(roles.dpo).get(f"/people/{person.pk}/").content.decode()
    assert "[erased]" in page
    assert "Reveal restricted values" not in page
    csv = services.export_people(roles.dpo, PersonFilter(), "csv", purpose="DSAR reply")
    assert "[erased]" in csv.decode("utf-8-sig")
    assert "张三" not in csv.decode("utf-8-sig")
    # Nothing new can be stored or revealed for the subject.
    with pytest.raises(ValidationError):
        services.update_person(roles.manager, fresh, reason="x", phone="1")
    with pytest.raises(ValidationError):
        services.reveal(roles.manager, fresh, reason="x")
    # The ledger: the decision, each key destroyed, the rows marked erased.
    actions = list(AuditEntry.objects.order_by("seq").values_list("action", "object_type"))
    assert ("shred_requested", "data.shredrequest") in actions
    assert ("shred_approved", "data.shredrequest") in actions
    assert ("key_destroyed", "data.datakey") in actions
    assert ("data_erased", "data.person") in actions
    assert actions.index(("shred_approved", "data.shredrequest")) < actions.index(
        ("key_destroyed", "data.datakey")
    )
    # Shredding is recorded under its own codes, not as generic changes.
    assert ("transition", "data.shredrequest") not in actions
    assert ("delete", "data.datakey") not in actions
    assert ("update", "data.person") not in actions
    erased = AuditEntry.objects.get(action="data_erased", object_id=str(person.pk))
    assert erased.reason == "PIPL art. 47 request verified"
    assert set(erased.changes) == {"erased_at"}
    # Old ledger fingerprints were keyed by the subject's key: nobody can test guesses anymore.
    with pytest.raises(keyring.KeyDestroyed):
        keyring.fingerprint_for(fresh, "张三".encode())
    assert fingerprint  # still in the ledger, now unverifiable
    # The destruction list, in both copies, outside the database.
    uids = {str(k.uid) for k in keys}
    for path in destruction.paths():
        assert uids <= {line.split()[0] for line in path.read_text().splitlines()}
    assert len(destruction.paths()) == 2
    assert Path(settings.MEDERP_AUDIT_CHECKPOINT_EXPORT_DIR) in [
        p.parent for p in destruction.paths()
    ]


@pytest.mark.django_db
def test_other_processes_drop_the_key_within_a_second(make_person: Any, monkeypatch: Any) -> None:
    person = make_person()
    key = DataKey.objects.get(subject=f"person:{person.pk}")
    assert Person.objects.get(pk=person.pk).name == "张三"  # key cached in "this process"
    # Another process shreds: it only appends to the destruction list this process watches.
    path = destruction.paths()[0]
    path.write_text(f"{key.uid} 2026-01-01T00:00:00Z\n")
    assert Person.objects.get(pk=person.pk).name == "张三"  # within the second: cached
    monkeypatch.setitem(destruction._state, "next", 0.0)  # a second later
    assert Person.objects.get(pk=person.pk).name == ERASED


@pytest.mark.django_db
def test_pages_request_and_approve(make_person: Any, roles: Any) -> None:
    person = make_person()
    sales = client_for(roles.sales)
    response = sales.post(f"/people/{person.pk}/erasure/", {"erasure-reason": "asked by phone"})
    assert response.status_code == 302
    request = ShredRequest.objects.get()
    listing = sales.get("/people/erasure/").content.decode()
    assert person.reference in listing
    assert "Approve and erase" not in listing
    dpo = client_for(roles.dpo)
    assert "Approve and erase" in dpo.get("/people/erasure/").content.decode()
    dpo.post(f"/people/erasure/{request.pk}/decide/", {"decision": "approve", "reason": "ok"})
    assert Person.objects.get(pk=person.pk).is_erased


@pytest.mark.django_db(transaction=True)
def test_restoring_a_backup_from_before_the_shredding_does_not_bring_the_data_back(
    ledger_transactional_db: None, roles: Any, make_person: Any, tmp_path: Path
) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("uses the SQLite online backup API")
    person = make_person(name="BACKUP-MARKER-王五")
    connection.ensure_connection()
    backup = tmp_path / "before-shredding.sqlite3"
    with sqlite3.connect(backup) as dst:
        connection.connection.backup(dst)  # the nightly backup, taken before the erasure
    shred(person, roles)
    assert Person.objects.get(pk=person.pk).name == ERASED

    # Disaster: the database is restored from that backup (SQLite online backup API).
    with sqlite3.connect(backup) as src:
        src.backup(connection.connection)
    keyring.clear_cache()
    restored = Person.objects.get(pk=person.pk)
    key = restored.enc_key
    assert restored.erased_at is None
    assert key.wrapped is not None
    # ...but the key is on the destruction list, which lives outside the database.
    assert restored.name == ERASED
    assert keyops.status().listed_but_live == 1

    # Control: without the destruction list this backup WOULD bring the data back.
    hidden = []
    for path in destruction.paths():
        hidden.append((path, path.read_bytes()))
        path.unlink()
    destruction.reset()
    keyring.clear_cache()
    assert Person.objects.get(pk=person.pk).name == "BACKUP-MARKER-王五"
    for path, data in hidden:
        path.write_bytes(data)
    destruction.reset()
    keyring.clear_cache()

    out = io.StringIO()
    call_command("keys", "apply-destruction-list", "--reason", "restore drill", stdout=out)
    assert "Destroyed 1 data keys" in out.getvalue()
    final = Person.objects.get(pk=person.pk)
    assert final.is_erased
    assert final.enc_key.wrapped is None
    assert final.name == ERASED
    assert keyops.status().listed_but_live == 0
    exported = services.export_people(SYSTEM, PersonFilter(), "xlsx", purpose="check")
    assert b"BACKUP-MARKER" not in export_bytes("xlsx", exported)
