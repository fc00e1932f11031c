"""Shared fixtures: sites, users with roles, and a ledger-aware transactional database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mederp.identity.authz import SYSTEM
from mederp.testing.users import PASSWORD


@pytest.fixture(autouse=True)
def _keys_in_tmp(settings: Any, tmp_path: Path) -> None:
    """Each test has its own key directory and external checkpoint copy, as its own database."""
    settings.MEDERP_KEYS_DIR = str(tmp_path / "keys")
    settings.MEDERP_AUDIT_CHECKPOINT_EXPORT_DIR = str(tmp_path / "checkpoints")


@pytest.fixture
def site_a(db: None) -> Any:
    from mederp.identity import services

    return services.create_site(SYSTEM, code="SA01", name="Site A", name_zh="甲工厂")


@pytest.fixture
def site_b(db: None) -> Any:
    from mederp.identity import services

    return services.create_site(
        SYSTEM, code="SB02", name="Site B", name_zh="乙仓库", kind="warehouse"
    )


@pytest.fixture
def make_user(db: None) -> Any:
    from mederp.identity import services
    from mederp.identity.models import Role

    counter = iter(range(10_000))

    def make(
        role: str | None = None, site: Any = None, username: str | None = None, **kwargs: Any
    ) -> Any:
        name = username or f"user{next(counter)}"
        user = services.create_user(
            SYSTEM, username=name, full_name=f"Test {name}", password=PASSWORD, **kwargs
        )
        if role:
            services.assign_role(SYSTEM, user, Role.objects.get(code=role), site, reason="test")
        return user

    return make


_triggers_dropped = False


@pytest.fixture(autouse=True)
def _restore_ledger_triggers(django_db_blocker: Any) -> None:
    """Put the append-only triggers back after a transactional test emptied the ledger."""
    global _triggers_dropped
    if _triggers_dropped:
        from django.db import connection

        from mederp.audit import triggers

        with django_db_blocker.unblock():
            triggers.install(connection)
        _triggers_dropped = False


@pytest.fixture
def ledger_transactional_db(transactional_db: None) -> Iterator[None]:
    """A transactional database whose flush at teardown may empty the append-only ledger.

    The triggers are dropped for the flush only; the next test puts them back.
    """
    global _triggers_dropped
    from django.db import connection

    from mederp.audit import triggers

    yield
    triggers.uninstall(connection)
    _triggers_dropped = True
