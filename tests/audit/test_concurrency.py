"""Sequence numbers stay gap-free and unique with concurrent writers, some of which roll back."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections, transaction

from mederp import audit
from mederp.audit.models import AuditEntry
from mederp.audit.verify import verify_ledger

WRITERS = 8
PER_WRITER = 25


@pytest.mark.skipif(connection.vendor != "postgresql", reason="parallel writers need PostgreSQL")
@pytest.mark.usefixtures("ledger_transactional_db")
def test_parallel_writers_on_postgres() -> None:
    barrier = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            barrier.wait()
            for i in range(PER_WRITER):
                try:
                    with transaction.atomic():
                        audit.record(
                            "update", None, object_type="test.row", object_id=f"{n}-{i}", actor=None
                        )
                        if i % 5 == 4:
                            raise _Rollback
                except _Rollback:
                    pass
        except BaseException as exc:  # reported to the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
    committed = WRITERS * (PER_WRITER - PER_WRITER // 5)
    assert seqs == list(range(1, committed + 1))
    assert verify_ledger().ok


@pytest.mark.skipif(connection.vendor != "postgresql", reason="parallel writers need PostgreSQL")
@pytest.mark.usefixtures("ledger_transactional_db")
def test_the_time_is_read_under_the_head_lock() -> None:
    """A writer that waits for the head row gets the time it got the lock at, not the time it
    asked: times never go back as numbers go up, whatever the order writers arrive in."""
    holding = threading.Event()
    times: dict[str, Any] = {}
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                times["first"] = audit.record("update", None, object_type="t.lock", actor=None)
                holding.set()
                time.sleep(0.5)  # the head row stays locked until this commit
        except BaseException as exc:  # reported to the main thread
            errors.append(exc)
            holding.set()
        finally:
            connections.close_all()

    def second() -> None:
        try:
            holding.wait()
            times["asked"] = time.monotonic()
            with transaction.atomic():
                times["second"] = audit.record("update", None, object_type="t.lock", actor=None)
            times["got"] = time.monotonic()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert times["got"] - times["asked"] >= 0.3  # it did wait for the lock
    assert times["second"].seq == times["first"].seq + 1
    gap = (times["second"].created_at - times["first"].created_at).total_seconds()
    assert gap >= 0.4  # stamped after the wait, not when it asked
    assert verify_ledger().ok


class _Rollback(Exception):
    pass


WRITER_SCRIPT = textwrap.dedent(
    """
    import sys, django
    django.setup()
    from django.db import transaction
    from mederp import audit
    n = int(sys.argv[1])
    for i in range(int(sys.argv[2])):
        try:
            with transaction.atomic():
                audit.record("update", None, object_type="test.row", object_id=f"{n}-{i}",
                             actor=None)
                if i % 5 == 4:
                    raise KeyError("roll back")
        except KeyError:
            pass
    """
)


@pytest.mark.slow
@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite file variant")
def test_parallel_processes_on_sqlite_file(tmp_path: Path) -> None:
    """Separate processes on one SQLite file (as gunicorn workers are): IMMEDIATE transactions
    queue on the write lock, and numbers stay gap-free."""
    env = {
        **os.environ,
        "MEDERP_VAR_DIR": str(tmp_path),
        "MEDERP_DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "mederp.config.settings.base",
    }
    mederp = [sys.executable, "-m", "mederp.manage"]
    subprocess.run([*mederp, "migrate", "-v0"], env=env, check=True, timeout=120)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER_SCRIPT, str(n), str(PER_WRITER)],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    check = subprocess.run(
        [*mederp, "audit", "verify", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert f'"entries": {4 * (PER_WRITER - PER_WRITER // 5)}' in check.stdout


PARALLEL_VERIFY_SCRIPT = textwrap.dedent(
    """
    import json, sys, django
    django.setup()
    from django.core.management import call_command
    from django.db import connection
    call_command("migrate", verbosity=0)
    from mederp import audit
    from mederp.audit import triggers, verify
    from mederp.audit.models import AuditEntry
    from mederp.audit.checkpoints import create_checkpoint
    for i in range(1, 301):
        audit.record("update", None, object_type="test.row", object_id=str(i), actor=None)
        if i in (7, 64, 100, 255, 300):
            create_checkpoint()
    verify.PARALLEL_FROM, verify.CHUNK_ENTRIES = 0, 16
    out = {"intact": [verify.verify_ledger(workers=w).as_dict() for w in (1, 2)]}
    triggers.uninstall(connection)
    # Entries numbered outside every run (before the first, far after the last).
    out["outsiders"] = []
    for seq in (0, 10**9):
        copy = AuditEntry.objects.get(seq=5)
        copy.seq = seq
        AuditEntry.objects.bulk_create([copy])
        out["outsiders"].append([verify.verify_ledger(workers=w).as_dict() for w in (1, 2)])
        with connection.cursor() as cur:
            cur.execute("DELETE FROM audit_auditentry WHERE seq = %s", [seq])
    with connection.cursor() as cur:
        cur.execute("UPDATE audit_auditentry SET reason = 'x' WHERE seq = 130")
    out["tampered"] = [verify.verify_ledger(workers=w).as_dict() for w in (1, 2)]
    with connection.cursor() as cur:
        cur.execute("DELETE FROM audit_auditentry WHERE seq = 40")
    out["gap"] = [verify.verify_ledger(workers=w).as_dict() for w in (1, 2)]
    print(json.dumps(out))
    """
)


@pytest.mark.slow
@pytest.mark.skipif(connection.vendor != "sqlite", reason="runs on its own SQLite file")
def test_parallel_verification_agrees_with_sequential(tmp_path: Path) -> None:
    import json

    env = {
        **os.environ,
        "MEDERP_VAR_DIR": str(tmp_path),
        "MEDERP_DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "mederp.config.settings.base",
        "MEDERP_LOG_LEVEL": "WARNING",
    }
    done = subprocess.run(
        [sys.executable, "-c", PARALLEL_VERIFY_SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    one, two = out["intact"]
    assert one == two == {"ok": True, "entries": 300, "checkpoints": 5, "errors": []}
    for one, two in out["outsiders"]:
        assert not one["ok"]
        assert one["errors"] == two["errors"]
    one, two = out["tampered"]
    assert not one["ok"]
    assert not two["ok"]
    assert one["errors"][0] == two["errors"][0]
    assert one["errors"][0]["seq"] == 130
    one, two = out["gap"]
    assert one["errors"][0]["seq"] == two["errors"][0]["seq"] == 41
