"""The ledger itself: append-only in the database, canonical payloads, atomic with changes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from mederp import audit
from mederp.audit.canonical import PAYLOAD_COLUMNS
from mederp.audit.merkle import leaf_hash
from mederp.audit.models import AuditEntry, Checkpoint
from mederp.identity import services
from mederp.identity.authz import SYSTEM
from mederp.identity.models import Site

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditentry SET reason = 'forged' WHERE seq = 1",
        "DELETE FROM audit_auditentry WHERE seq = 1",
        "DELETE FROM audit_auditentry",
        "UPDATE audit_checkpoint SET root_hash = 'x'",
        "DELETE FROM audit_checkpoint",
    ],
)
def test_database_refuses_update_and_delete(site_a: Any, sql: str) -> None:
    from mederp.audit.checkpoints import create_checkpoint

    assert create_checkpoint() is not None
    entries, checkpoints = AuditEntry.objects.count(), Checkpoint.objects.count()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute(sql)
    assert AuditEntry.objects.count() == entries
    assert Checkpoint.objects.count() == checkpoints
    assert AuditEntry.objects.get(seq=1).reason == ""


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE exists on PostgreSQL only")
def test_postgres_refuses_truncate(site_a: Any) -> None:
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute("TRUNCATE audit_auditentry")


def test_payload_is_canonical_json_and_leaf_hash_is_rfc9162(site_a: Any) -> None:
    entry = AuditEntry.objects.get(seq=1)
    body = json.loads(entry.payload)
    # RFC 8785: sorted keys, no whitespace; the same bytes re-serialise identically.
    assert entry.payload == json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    assert entry.leaf_hash == leaf_hash(entry.payload.encode("utf-8")).hex()
    for name in PAYLOAD_COLUMNS:
        assert name in body
    assert body["action"] == "create"
    assert body["object_type"] == "identity.site"
    assert body["created_at"].endswith("Z")


def test_entry_and_change_roll_back_together(db: None) -> None:
    before_sites, before_entries = Site.objects.count(), AuditEntry.objects.count()

    def create_then_fail() -> None:
        with transaction.atomic():
            services.create_site(SYSTEM, code="RB01", name="Rolled back")
            assert AuditEntry.objects.count() == before_entries + 1
            raise RuntimeError("business rule failed after the write")

    with pytest.raises(RuntimeError):
        create_then_fail()
    assert Site.objects.count() == before_sites
    assert AuditEntry.objects.count() == before_entries
    # The number given back is reused: the sequence stays gap-free.
    services.create_site(SYSTEM, code="OK01", name="Kept")
    seqs = list(AuditEntry.objects.values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))


def test_diff_records_old_and_new_values(site_a: Any) -> None:
    before = audit.snapshot(site_a)
    site_a.name = "Renamed"
    changes = audit.diff(before, site_a)
    assert changes == {"name": ["Site A", "Renamed"]}
    assert audit.diff(before, site_a) == audit.diff(before, audit.snapshot(site_a))


def test_restricted_values_are_fingerprinted_not_stored(db: None, settings: Any) -> None:
    from mederp.audit.changes import REDACTED, snapshot
    from mederp.core.classification import RESTRICTED

    # A site address made RESTRICTED for this test: its value must not reach the ledger.
    settings.DEBUG = False
    original = dict(Site.data_classification)
    Site.data_classification = {**original, "address": RESTRICTED}
    try:
        site = services.create_site(SYSTEM, code="RS01", name="R", address="Room 1208 SECRET-ADDR")
        snap = snapshot(site)
        assert set(snap["address"]) == {REDACTED}
        other = services.create_site(SYSTEM, code="RS02", name="R2", address="Room 1209")
        assert snapshot(other)["address"] != snap["address"]  # a change stays visible
    finally:
        Site.data_classification = original
    assert not AuditEntry.objects.filter(payload__contains="SECRET-ADDR").exists()
    assert not AuditEntry.objects.filter(object_repr__contains="SECRET-ADDR").exists()


def test_system_actor_and_request_context(db: None) -> None:
    from mederp.core import context

    with context.bind(request_id="req-123456789", ip="10.1.2.3", channel="cli"):
        site = services.create_site(SYSTEM, code="CTX1", name="Context")
    entry = AuditEntry.objects.get(object_type="identity.site", object_id=str(site.pk))
    assert (entry.actor_type, entry.actor_username) == ("system", "system")
    assert (entry.request_id, entry.ip) == ("req-123456789", "10.1.2.3")


def test_missing_triggers_are_reported_and_migrate_restores_them(site_a: Any) -> None:
    from django.core.management import call_command

    from mederp.audit import triggers
    from mederp.audit.verify import verify_ledger

    assert triggers.expected(connection.vendor) <= triggers.installed(connection)
    triggers.uninstall(connection)
    result = verify_ledger()
    assert [e["reason"] for e in result.errors] == [
        "the append-only triggers are missing: "
        + ", ".join(sorted(triggers.expected(connection.vendor)))
    ]
    call_command("migrate", verbosity=0)
    assert triggers.expected(connection.vendor) <= triggers.installed(connection)
    assert verify_ledger().ok
