"""Proofs an inspector can check without the database."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from mederp import audit
from mederp.audit.checkpoints import create_checkpoint, read_export
from mederp.audit.models import AuditEntry
from mederp.audit.proofcheck import ProofInvalid, check
from mederp.audit.proofs import consistency, inclusion
from mederp.audit.signing import public_key_path
from mederp.identity import services
from mederp.identity.authz import SYSTEM

pytestmark = pytest.mark.django_db


def _sites(n: int, prefix: str) -> None:
    for i in range(n):
        services.create_site(SYSTEM, code=f"{prefix}{i:03d}", name=f"Proof site {i}")


@pytest.fixture
def two_checkpoints(db: None) -> tuple[int, int]:
    _sites(7, "P")
    first = create_checkpoint()
    _sites(6, "Q")
    second = create_checkpoint()
    assert first is not None
    assert second is not None
    return first.tree_size, second.tree_size


def test_inclusion_proof_verifies_offline(two_checkpoints: tuple[int, int]) -> None:
    pem = [public_key_path().read_bytes()]
    for seq in range(1, two_checkpoints[1] + 1):
        assert "is included" in check(inclusion(seq), pem)


def test_tampered_inclusion_proofs_are_invalid(two_checkpoints: tuple[int, int]) -> None:
    pem = [public_key_path().read_bytes()]
    proof = inclusion(4)
    bad_payload = {**proof, "payload": proof["payload"].replace("Proof site", "Proof sight")}
    with pytest.raises(ProofInvalid, match="payload"):
        check(bad_payload, pem)
    bad_path = {**proof, "proof": [*proof["proof"][:-1], "00" * 32]}
    with pytest.raises(ProofInvalid, match="inclusion proof"):
        check(bad_path, pem)
    bad_index = {**proof, "index": proof["index"] + 1}
    with pytest.raises(ProofInvalid):
        check(bad_index, pem)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from mederp.audit.signing import public_pem

    stranger = [public_pem(Ed25519PrivateKey.generate().public_key())]
    with pytest.raises(ProofInvalid, match="not trusted"):
        check(proof, stranger)
    assert "is included" in check(proof)  # the embedded key, when none is given
    with pytest.raises(ProofInvalid, match="malformed"):
        check({"type": "inclusion"}, pem)


def test_consistency_proof_between_checkpoints(two_checkpoints: tuple[int, int]) -> None:
    old, new = two_checkpoints
    pem = [public_key_path().read_bytes()]
    proof = consistency(old, new)
    assert "extends" in check(proof, pem)
    forged = {**proof, "proof": list(reversed(proof["proof"]))}
    with pytest.raises(ProofInvalid):
        check(forged, pem)


def test_cli_prove_and_standalone_checker(
    two_checkpoints: tuple[int, int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("audit", "prove", "3")
    proof_file = tmp_path / "proof.json"
    proof_file.write_text(capsys.readouterr().out)
    # The checker runs in a fresh interpreter without Django settings.
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    cmd = [
        sys.executable,
        "-m",
        "mederp.audit.proofcheck",
        str(proof_file),
        "--public-key",
        str(public_key_path()),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("VALID: entry 3 is included")

    data = json.loads(proof_file.read_text())
    data["payload"] = data["payload"].replace('"create"', '"delete"')
    proof_file.write_text(json.dumps(data))
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 1
    assert "INVALID" in done.stderr

    old, new = two_checkpoints
    call_command("audit", "prove-consistency", str(old), str(new))
    assert "extends" in check(json.loads(capsys.readouterr().out), [public_key_path().read_bytes()])


def test_cli_errors_are_clear(two_checkpoints: tuple[int, int]) -> None:
    with pytest.raises(CommandError, match="no audit entry 9999"):
        call_command("audit", "prove", "9999")
    with pytest.raises(CommandError, match="no checkpoint at tree size 5"):
        call_command("audit", "prove-consistency", "5", str(two_checkpoints[1]))
    services.create_site(SYSTEM, code="LATE1", name="Not yet checkpointed")
    latest = two_checkpoints[1] + 1
    with pytest.raises(CommandError, match="not covered by a checkpoint"):
        call_command("audit", "prove", str(latest))


def test_checkpoints_are_exported_and_due_rules(db: None, settings: Any) -> None:
    from django.utils import timezone

    from mederp.audit.checkpoints import checkpoint_due, export_dir

    settings.MEDERP_AUDIT_CHECKPOINT_EVERY = 5
    settings.MEDERP_AUDIT_CHECKPOINT_SECONDS = 3600
    before = len(read_export(export_dir()))
    _sites(2, "D")
    assert checkpoint_due()  # never checkpointed: the first one is due at once
    cp = create_checkpoint()
    assert cp is not None
    assert create_checkpoint() is None  # nothing new
    assert not checkpoint_due()
    _sites(4, "E")
    assert not checkpoint_due()  # 4 < 5 new entries, 0 s < 1 h
    assert checkpoint_due(now=timezone.now() + timezone.timedelta(hours=2))
    _sites(1, "F")
    assert checkpoint_due()
    lines = read_export(export_dir())
    assert len(lines) == before + 1
    assert json.loads(lines[-1]["statement"])["tree_size"] == cp.tree_size
    assert (
        export_dir() / "keys" / f"{cp.key_id}.pub"
    ).read_bytes() == public_key_path().read_bytes()


def test_periodic_task_signs_when_due(db: None, settings: Any) -> None:
    from mederp.audit.models import Checkpoint
    from mederp.audit.tasks import checkpoint_if_due

    settings.MEDERP_AUDIT_CHECKPOINT_EVERY = 3
    _sites(3, "H")
    checkpoint_if_due.call_local()
    assert Checkpoint.objects.count() == 1
    checkpoint_if_due.call_local()
    assert Checkpoint.objects.count() == 1


def test_a_relabelled_proof_is_invalid(two_checkpoints: tuple[int, int]) -> None:
    pem = [public_key_path().read_bytes()]
    proof = inclusion(4)
    with pytest.raises(ProofInvalid, match="entry number"):
        check({**proof, "seq": 7}, pem)


def test_key_rotation_keeps_old_checkpoints_verifiable(
    two_checkpoints: tuple[int, int], tmp_path: Path
) -> None:
    from mederp.audit.checkpoints import export_dir, rotate_signing_key
    from mederp.audit.models import AuditEntry
    from mederp.audit.verify import verify_ledger

    old_pub = public_key_path().read_bytes()
    cp = rotate_signing_key(SYSTEM, reason="Scheduled yearly rotation")
    assert cp is not None
    assert public_key_path().read_bytes() != old_pub
    entry = AuditEntry.objects.get(action="key_rotated")
    assert entry.changes["key_id"][1] == cp.key_id
    assert verify_ledger(against=export_dir()).ok
    # Proofs against old and new checkpoints both check, given both public keys.
    pems = [old_pub, public_key_path().read_bytes()]
    assert "is included" in check(inclusion(2), pems)
    assert "extends" in check(consistency(two_checkpoints[0], cp.tree_size), pems)
    # An inspector who trusts only the new key sees the old checkpoints as unverifiable.
    only_new = tmp_path / "new.pub"
    only_new.write_bytes(public_key_path().read_bytes())
    result = verify_ledger(public_keys=[only_new])
    assert not result.ok
    assert "not a trusted key" in result.errors[0]["reason"]


def test_missing_signing_key_is_an_error_not_a_new_key(two_checkpoints: tuple[int, int]) -> None:
    from mederp.audit.signing import private_key_path

    private_key_path().unlink()
    _sites(1, "M")
    with pytest.raises(CommandError, match="restore the key directory"):
        call_command("audit", "checkpoint")
    assert not private_key_path().exists()
    call_command("audit", "rotate-key", "--reason", "Key file lost in disk failure")
    assert private_key_path().exists()


def test_a_checkpoint_is_stamped_with_the_trail_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """An application server whose clock lags must not stamp a checkpoint earlier than the
    entries it covers (on PostgreSQL both come from the database server's clock)."""
    audit.record("update", None, object_type="t.clock", actor=None)
    real = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real() - dt.timedelta(hours=1))
    checkpoint = create_checkpoint()
    monkeypatch.undo()
    assert checkpoint is not None
    last = AuditEntry.objects.order_by("-seq").first()
    assert last is not None
    assert checkpoint.created_at >= last.created_at
