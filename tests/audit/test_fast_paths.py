"""The ledger's fast paths give the same results as the straightforward code they replace."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any
from unittest import mock

import orjson
import pytest
from django.db import DataError, connection, transaction

from mederp import audit
from mederp.audit import ledger
from mederp.audit.canonical import format_ts
from mederp.audit.models import AuditEntry
from mederp.audit.verify import verify_ledger

pytestmark = pytest.mark.django_db


def test_entry_fields_are_in_insert_order() -> None:
    """`record` builds the returned entry and the INSERT from this one column order."""
    assert [f.attname for f in AuditEntry._meta.concrete_fields] == list(ledger._INSERT_COLUMNS)


def test_returned_entry_equals_the_stored_one(site_a: Any) -> None:
    entry = audit.record("update", site_a, changes={"b": [1, 2], "a": ["x", "y"]}, reason="r")
    stored = AuditEntry.objects.get(seq=entry.seq)
    for name in ledger._INSERT_COLUMNS:
        assert getattr(entry, name) == getattr(stored, name), name
    assert entry.pk == entry.seq


def test_a_whole_second_timestamp_is_stored_as_django_would(site_a: Any) -> None:
    whole = dt.datetime(2026, 3, 1, 8, 0, 0, tzinfo=dt.UTC)
    with mock.patch.object(ledger, "clock", return_value=whole):
        entry = audit.record("update", site_a, reason="on the second")
    with connection.cursor() as cur:
        cur.execute("SELECT created_at || '' FROM audit_auditentry WHERE seq = %s", [entry.seq])
        (stored,) = cur.fetchone()
    if connection.vendor == "sqlite":
        assert stored == connection.ops.adapt_datetimefield_value(whole)
    assert AuditEntry.objects.get(seq=entry.seq).created_at == whole
    assert '"created_at":"2026-03-01T08:00:00.000000Z"' in entry.payload
    assert verify_ledger().ok


def test_payload_keys_inside_the_values_do_not_confuse_the_append(site_a: Any) -> None:
    """On PostgreSQL the database fills the time and the number into the payload: text that
    looks like those keys, in the changes or in a reason, must stay where it is."""
    tricky = '"created_at":"","seq":0,'
    entry = audit.record(
        "update",
        site_a,
        changes={"created_at": ["", tricky], "seq": [0, 1], "nested": [{"seq": 0}, None]},
        reason=tricky,
        object_repr=tricky,
    )
    stored = AuditEntry.objects.get(seq=entry.seq)
    body = orjson.loads(stored.payload)
    assert body["seq"] == stored.seq == entry.seq
    assert body["reason"] == body["object_repr"] == tricky
    assert body["changes"]["created_at"] == ["", tricky]
    assert body["changes"]["seq"] == [0, 1]
    assert body["created_at"] == format_ts(stored.created_at)
    assert entry.payload == stored.payload
    assert verify_ledger().ok


def test_a_missing_head_row_is_recreated_at_the_last_entry(site_a: Any) -> None:
    first = audit.record("update", site_a, reason="before")
    with connection.cursor() as cur:
        cur.execute("DELETE FROM audit_ledgerhead")
    second = audit.record("update", site_a, reason="after")
    assert second.seq == first.seq + 1
    assert audit.record("update", site_a, reason="next").seq == first.seq + 2
    assert verify_ledger().ok


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL")
def test_the_append_is_prepared_once_per_connection_unless_turned_off(site_a: Any) -> None:
    def prepared() -> list[int]:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT generic_plans + custom_plans FROM pg_prepared_statements "
                "WHERE statement LIKE %s",
                ["WITH h AS (UPDATE%audit_auditentry%"],
            )
            return [n for (n,) in cur.fetchall()]

    if connection.settings_dict["OPTIONS"].get("prepare_threshold") is None:
        pytest.skip("turned off with MEDERP_DB_PREPARED_STATEMENTS=off")
    connection.ensure_connection()
    raw = connection.connection
    audit.record("update", site_a, reason="first of its shape on this connection")
    variants, before = len(prepared()), sum(prepared())
    assert variants >= 1
    for i in range(3):
        audit.record("update", site_a, reason=str(i))
    assert len(prepared()) == variants  # prepared once, then executed
    assert sum(prepared()) == before + 3
    # psycopg forgets its prepared statements at a rollback (a savepoint's too): the next
    # append prepares again and is written as any other.
    with transaction.atomic():
        try:
            with transaction.atomic():
                audit.record("update", site_a, reason="rolled back")
                raise _RolledBack
        except _RolledBack:
            pass
        again = audit.record("update", site_a, reason="after a rollback")
    assert AuditEntry.objects.get(seq=again.seq).payload == again.payload
    before = sum(prepared())
    raw.prepare_threshold = None  # as MEDERP_DB_PREPARED_STATEMENTS=off
    try:
        entry = audit.record("update", site_a, reason="not prepared")
    finally:
        raw.prepare_threshold = 5
    assert sum(prepared()) == before  # executed unprepared
    assert AuditEntry.objects.get(seq=entry.seq).payload == entry.payload
    assert verify_ledger().ok


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite does not enforce lengths")
def test_a_value_too_long_for_its_column_is_refused_not_cut(site_a: Any) -> None:
    """The payload keeps what it was given; a column that silently kept less would make the
    entry look tampered with."""
    last = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first()
    with pytest.raises(DataError), transaction.atomic():
        audit.record("x" * 60, site_a, reason="action codes have 50 characters at most")
    assert AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() == last
    assert audit.record("update", site_a).seq == (last or 0) + 1


def test_sequence_is_the_primary_key(site_a: Any) -> None:
    assert AuditEntry._meta.pk.name == "seq"
    with connection.cursor() as cur:
        constraints = connection.introspection.get_constraints(cur, "audit_auditentry")
    keys = [c["columns"] for c in constraints.values() if c["unique"] or c["primary_key"]]
    assert keys == [["seq"]]  # the key itself, no second unique index
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            # `integer primary key`: the rowid, so no AUTOINCREMENT counter either.
            cur.execute("SELECT count(*) FROM audit_auditentry WHERE rowid <> seq")
            assert cur.fetchone() == (0,)
            cur.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_sequence'")
            if cur.fetchone():
                cur.execute("SELECT count(*) FROM sqlite_sequence WHERE name = 'audit_auditentry'")
                assert cur.fetchone() == (0,)


MIGRATION_SCRIPT = textwrap.dedent(
    """
    import json, django
    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from mederp import audit
    from mederp.audit import triggers
    from mederp.audit.checkpoints import create_checkpoint
    from mederp.audit.verify import verify_ledger

    def rows():
        with connection.cursor() as cur:
            cur.execute("SELECT seq, payload, leaf_hash FROM audit_auditentry ORDER BY seq")
            return [list(r) for r in cur.fetchall()]

    def state():
        return {
            "ok": verify_ledger().ok,
            "rows": rows(),
            "triggers": triggers.expected(connection.vendor) <= triggers.installed(connection),
        }

    call_command("migrate", verbosity=0)
    call_command("migrate", "audit", "0003", verbosity=0)
    for i in range(1, 41):
        audit.record("update", None, object_type="t.row", object_id=str(i), actor=None,
                     changes={"n": [i, i + 1]})
        if i in (16, 33):
            create_checkpoint()
    out = {"0003": state()}
    call_command("migrate", "audit", verbosity=0)
    out["0004"] = state()
    audit.record("update", None, object_type="t.row", object_id="41", actor=None)
    create_checkpoint()
    out["0004+1"] = state()
    call_command("migrate", "audit", "0003", verbosity=0)
    out["back"] = state()
    print(json.dumps(out))
    """
)


@pytest.mark.slow
@pytest.mark.skipif(connection.vendor != "sqlite", reason="runs on its own SQLite file")
def test_migration_to_sequence_key_keeps_the_ledger_intact(tmp_path: Path) -> None:
    import json

    env = {
        **os.environ,
        "MEDERP_VAR_DIR": str(tmp_path),
        "MEDERP_DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "mederp.config.settings.base",
        "MEDERP_LOG_LEVEL": "WARNING",
    }
    done = subprocess.run(
        [sys.executable, "-c", MIGRATION_SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    for step in ("0003", "0004", "0004+1", "back"):
        assert out[step]["ok"], step
        assert out[step]["triggers"], step
    assert len(out["0003"]["rows"]) == 40
    assert out["0004"]["rows"] == out["0003"]["rows"]
    assert out["back"]["rows"] == out["0004+1"]["rows"]
    assert len(out["back"]["rows"]) == 41


class _RolledBack(Exception):
    pass
