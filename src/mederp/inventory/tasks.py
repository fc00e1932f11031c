"""Background jobs of inventory (Huey, discovered by djhuey in every app's tasks.py)."""

from __future__ import annotations

import structlog
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from mederp.core import context
from mederp.inventory.services import expire_lots

log = structlog.get_logger(__name__)


@db_periodic_task(crontab(minute="5", hour="0"))
def expire_lots_daily() -> int:
    """Just after midnight: lots past their expiry date become EXPIRED (system actor, one
    audited transition per lot); they can no longer be issued or shipped."""
    with context.bind(channel="job", actor=None):
        count = expire_lots()
    log.info("lots_expired", count=count)
    return count
