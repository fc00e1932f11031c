"""Every kind of tampering with history is caught by `audit verify`.

Each test drops the append-only triggers (as an attacker with owner rights could) inside the
test transaction, tampers with raw SQL, and runs the verifier.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from mederp.audit import triggers
from mederp.audit.canonical import PAYLOAD_COLUMNS, build_payload, entry_leaf_hash
from mederp.audit.checkpoints import create_checkpoint, statement_bytes
from mederp.audit.models import AuditEntry, Checkpoint
from mederp.audit.verify import verify_ledger
from mederp.identity import services
from mederp.identity.authz import SYSTEM

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(db: None) -> list[int]:
    """20 entries with a checkpoint after 12 and one after 20."""
    for i in range(12):
        services.create_site(SYSTEM, code=f"T{i:03d}", name=f"Tamper test {i}")
    assert create_checkpoint() is not None
    for i in range(12, 20):
        services.create_site(SYSTEM, code=f"T{i:03d}", name=f"Tamper test {i}")
    assert create_checkpoint() is not None
    assert verify_ledger(against=Path(settings.MEDERP_AUDIT_CHECKPOINT_EXPORT_DIR)).ok
    return list(AuditEntry.objects.values_list("seq", flat=True))


def sql(statement: str, params: list[Any] | None = None) -> None:
    triggers.uninstall(connection)
    with connection.cursor() as cur:
        cur.execute(statement, params or [])


def first_error(**kwargs: Any) -> dict[str, Any]:
    result = verify_ledger(**kwargs)
    assert not result.ok, "tampering went undetected"
    return result.errors[0]


def export_dir() -> Path:
    return Path(settings.MEDERP_AUDIT_CHECKPOINT_EXPORT_DIR)


@pytest.fixture(autouse=True)
def _fresh_export_dir() -> None:
    shutil.rmtree(export_dir(), ignore_errors=True)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("action", "'delete'"),
        ("reason", "'nothing to see'"),
        ("actor_username", "'someone_else'"),
        ("object_repr", "'Another object'"),
        ("object_id", "'999'"),
        ("changes", "'{}'"),
        ("site_code", "'XX'"),
        ("created_at", "'2020-01-01 00:00:00'"),
        ("payload", "replace(payload, 'Tamper test', 'Tamper tost')"),
        ("leaf_hash", "'" + "0" * 64 + "'"),
    ],
)
def test_changing_any_field_is_detected(ledger: list[int], column: str, value: str) -> None:
    sql(f"UPDATE audit_auditentry SET {column} = {value} WHERE seq = 7")
    err = first_error()
    assert err["seq"] == 7


def test_rewritten_payload_with_recomputed_leaf_hash_is_detected(ledger: list[int]) -> None:
    entry = AuditEntry.objects.get(seq=7)
    body = json.loads(entry.payload)
    body["reason"] = "forged reason"
    payload = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    sql(
        "UPDATE audit_auditentry SET payload = %s, reason = %s, leaf_hash = %s WHERE seq = 7",
        [payload, "forged reason", entry_leaf_hash(payload.encode())],
    )
    err = first_error()
    assert "root hash differs" in err["reason"]


def test_deleting_an_entry_is_detected(ledger: list[int]) -> None:
    sql("DELETE FROM audit_auditentry WHERE seq = 5")
    err = first_error()
    assert err["seq"] == 6
    assert "gap-free" in err["reason"]


def test_tail_truncation_is_detected(ledger: list[int]) -> None:
    sql("DELETE FROM audit_auditentry WHERE seq > 15")
    result = verify_ledger()
    assert not result.ok
    reasons = " ".join(e["reason"] for e in result.errors)
    assert "entries were removed" in reasons


def forge(like_seq: int, **overrides: Any) -> None:
    """Insert a well-formed entry (correct payload and leaf hash) copied from another one."""
    template = AuditEntry.objects.get(seq=like_seq)
    cols = {c: getattr(template, c) for c in PAYLOAD_COLUMNS} | overrides
    payload = build_payload(cols)
    AuditEntry.objects.bulk_create(
        [AuditEntry(**cols, payload=payload.decode(), leaf_hash=entry_leaf_hash(payload))]
    )


def test_inserting_a_forged_entry_is_detected(ledger: list[int]) -> None:
    # Make room at seq 10 by renumbering everything after it, then insert a well-formed entry.
    sql("UPDATE audit_auditentry SET seq = seq + 1000 WHERE seq >= 10")
    sql("UPDATE audit_auditentry SET seq = seq - 999 WHERE seq >= 1000")
    forge(9, seq=10, reason="forged approval")
    err = first_error()
    assert err["seq"] is not None
    assert err["seq"] >= 10


def test_appending_outside_the_application_is_detected(ledger: list[int]) -> None:
    forge(20, seq=21)
    err = first_error()
    assert err["seq"] == 21


def test_swapping_two_entries_is_detected(ledger: list[int]) -> None:
    sql("UPDATE audit_auditentry SET seq = -1 WHERE seq = 3")
    sql("UPDATE audit_auditentry SET seq = 3 WHERE seq = 4")
    sql("UPDATE audit_auditentry SET seq = 4 WHERE seq = -1")
    err = first_error()
    assert err["seq"] == 3


def test_rewriting_the_whole_ledger_is_detected(ledger: list[int]) -> None:
    """An attacker rewrites entry 3 and recomputes every hash and the checkpoint roots, but
    cannot sign: the signatures fail; deleting the checkpoints instead is caught by the
    external copy."""
    from mederp.audit.merkle import root_from_leaf_hashes

    sql("UPDATE audit_auditentry SET reason = 'rewritten' WHERE seq = 3")
    entry = AuditEntry.objects.get(seq=3)
    body = json.loads(entry.payload)
    body["reason"] = "rewritten"
    payload = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    sql(
        "UPDATE audit_auditentry SET payload = %s, leaf_hash = %s WHERE seq = 3",
        [payload, entry_leaf_hash(payload.encode())],
    )
    for cp in Checkpoint.objects.all():
        hashes = [
            bytes.fromhex(h)
            for h in AuditEntry.objects.filter(seq__lte=cp.tree_size)
            .order_by("seq")
            .values_list("leaf_hash", flat=True)
        ]
        root = root_from_leaf_hashes(hashes).hex()
        statement = statement_bytes(
            cp.tree_size, root, json.loads(cp.statement)["timestamp"], cp.key_id
        ).decode()
        sql(
            "UPDATE audit_checkpoint SET root_hash = %s, statement = %s WHERE id = %s",
            [root, statement, cp.pk],
        )
    assert "signature does not verify" in first_error()["reason"]

    sql("DELETE FROM audit_checkpoint")
    # Without checkpoints the database alone can tell only that the triggers are gone.
    reasons = [e["reason"] for e in verify_ledger().errors]
    assert reasons == [reasons[0]]
    assert "triggers are missing" in reasons[0]
    err = first_error(against=export_dir())
    assert "root hash differs" in err["reason"] or "missing from the database" in err["reason"]


def test_forged_checkpoint_without_the_key_is_detected(ledger: list[int]) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    forger = Ed25519PrivateKey.generate()
    cp = Checkpoint.objects.order_by("-tree_size").first()
    assert cp is not None
    statement = statement_bytes(
        cp.tree_size, cp.root_hash, "2030-01-01T00:00:00.000000Z", cp.key_id
    )
    sql(
        "UPDATE audit_checkpoint SET statement = %s, signature = %s WHERE id = %s",
        [statement.decode(), forger.sign(statement).hex(), cp.pk],
    )
    assert "signature does not verify" in first_error()["reason"]


def test_cli_exit_codes_and_json(ledger: list[int], capsys: pytest.CaptureFixture[str]) -> None:
    call_command("audit", "verify", "--json", "--against", str(export_dir()))
    out = json.loads(capsys.readouterr().out)
    assert out == {"ok": True, "entries": len(ledger), "checkpoints": 2, "errors": []}

    sql("UPDATE audit_auditentry SET reason = 'x' WHERE seq = 9")
    with pytest.raises(SystemExit) as exc:
        call_command("audit", "verify")
    assert exc.value.code == 1
    assert "first bad sequence number 9" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        call_command("audit", "verify", "--json")
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is False
    assert out["errors"][0]["seq"] == 9
