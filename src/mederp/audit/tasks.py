"""Background jobs of the ledger (Huey): signed checkpoints on schedule, nightly verification."""

from __future__ import annotations

import structlog
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from mederp.audit.checkpoints import checkpoint_due, create_checkpoint
from mederp.audit.verify import verify_ledger
from mederp.core import context

log = structlog.get_logger(__name__)


@db_periodic_task(crontab(minute="*"))
def checkpoint_if_due() -> int | None:
    """Checks every minute; signs when N entries or T seconds have passed (settings)."""
    with context.bind(channel="job"):
        if not checkpoint_due():
            return None
        cp = create_checkpoint()
        return cp.tree_size if cp else None


@db_periodic_task(crontab(minute="17", hour="2"))
def verify_nightly() -> bool:
    from pathlib import Path

    from django.conf import settings

    with context.bind(channel="job"):
        export = Path(settings.MEDERP_AUDIT_CHECKPOINT_EXPORT_DIR)
        result = verify_ledger(against=export if export.is_dir() else None)
    if result.ok:
        log.info("audit_verify_ok", entries=result.entries, checkpoints=result.checkpoints)
    else:
        log.error("audit_verify_failed", errors=result.errors[:10])
    return result.ok
