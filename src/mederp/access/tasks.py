"""Background jobs of access control (Huey)."""

from __future__ import annotations

import structlog
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from mederp.access.services import disable_inactive_accounts, inactive_days
from mederp.core import context

log = structlog.get_logger(__name__)


@db_periodic_task(crontab(minute="40", hour="3"))
def disable_inactive_accounts_nightly() -> int:
    """Disable the accounts without a sign-in for MEDERP_INACTIVE_ACCOUNT_DAYS (default 90)
    days; each is audited (`account_disabled_inactive`) and listed on the access-review page."""
    with context.bind(channel="job", actor=None):
        done = disable_inactive_accounts()
    log.info(
        "inactive_accounts_disabled",
        count=len(done),
        days=inactive_days(),
        usernames=[d.user.username for d in done],
    )
    return len(done)
