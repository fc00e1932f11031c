"""Nothing in clear: marker strings in every RESTRICTED field, then a search for them in the
raw SQLite database FILE (and its WAL), every table read back through SQL (PostgreSQL too),
the application logs, the audit ledger, the key directory and the masked exports."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from mederp.audit.models import AuditEntry

from . import scenario
from .helpers import export_bytes

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_sqlite_file_logs_ledger_keys_and_exports_hold_no_marker(tmp_path: Path) -> None:
    db = tmp_path / "nothing-in-clear.sqlite3"
    var = tmp_path / "var"
    out = tmp_path / "exports"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mederp.config.settings.test",
        "MEDERP_DATABASE_URL": f"sqlite:///{db}",
        "MEDERP_VAR_DIR": str(var),
        "MEDERP_KEYS_DIR": str(var / "keys"),
        "MEDERP_LOG_LEVEL": "DEBUG",
        "PYTHONPATH": str(ROOT / "src"),
    }
    result = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("scenario.py")), str(out)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    assert b"scenario done" in result.stdout

    # 1. The database file, byte for byte (and the WAL / shared-memory files beside it).
    files = [p for p in tmp_path.iterdir() if p.name.startswith(db.name)]
    assert db in files
    for path in files:
        assert scenario.hits(path.read_bytes()) == [], path
    # 2. The application's logs (structlog JSON on stderr, DEBUG level) and its stdout.
    assert scenario.hits(result.stdout + result.stderr) == []
    # 3. The audit ledger, read back through SQL.
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT payload, changes, object_repr, reason FROM audit_auditentry"
        ).fetchall()
        actions = {a for (a,) in conn.execute("SELECT action FROM audit_auditentry")}
    assert rows
    assert {"create", "update", "reveal", "export", "key_rotated", "key_reencrypted"} <= actions
    assert scenario.hits("\n".join(str(c) for row in rows for c in row).encode()) == []
    # 4. Everything under var/ (keys, destruction list, caches).
    for path in var.rglob("*"):
        if path.is_file():
            assert scenario.hits(path.read_bytes()) == [], path
    # 5. Masked exports in every format.
    for fmt in ("csv", "xlsx", "pdf"):
        data = export_bytes(fmt, (out / f"masked.{fmt}").read_bytes())
        assert scenario.hits(data) == [], fmt
    # Control: the scan does find markers where they legitimately are (a clear export with a
    # purpose, by a holder of people.view_restricted).
    assert "Zorblax" in scenario.hits((out / "clear-control.csv").read_bytes())


def _all_tables() -> list[str]:
    return sorted(connection.introspection.table_names())


def _scan_database() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    qn = connection.ops.quote_name
    with connection.cursor() as cur:
        for table in _all_tables():
            cur.execute(f"SELECT * FROM {qn(table)}")
            blob = bytearray()
            for row in cur.fetchall():
                for value in row:
                    if isinstance(value, bytes | memoryview | bytearray):
                        blob += bytes(value)
                    elif value is not None:
                        blob += str(value).encode("utf-8")
                    blob += b"\x00"
            hit = scenario.hits(bytes(blob))
            if hit:
                found[table] = hit
    return found


@pytest.mark.django_db
def test_every_table_read_through_sql_holds_no_marker(
    caplog: Any, capsys: Any, settings: Any
) -> None:
    """Runs on SQLite and on PostgreSQL (MEDERP_DATABASE_URL=postgres://...)."""
    caplog.set_level("DEBUG")
    settings.DEBUG = True  # SQL statements with their parameters go to the debug log too
    scenario.run(Path(settings.MEDERP_KEYS_DIR).parent / "exports")
    assert _scan_database() == {}
    assert AuditEntry.objects.count() > 20
    logs = "\n".join(r.getMessage() for r in caplog.records) + str(connection.queries)
    captured = capsys.readouterr()
    assert scenario.hits((logs + captured.out + captured.err).encode()) == []
    assert len(connection.queries) > 100  # the SQL log was really on
    # Control: the same scan finds a marker written in clear.
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE identity_site SET address = %s WHERE code = %s", ["Zorblax road", "NC01"]
        )
    assert "identity_site" in _scan_database()
