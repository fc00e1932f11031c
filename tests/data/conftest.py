"""Fixtures for data protection: fresh key caches per test, people and the roles that use them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from mederp.identity.authz import SYSTEM


@pytest.fixture(autouse=True)
def _fresh_key_state() -> Iterator[None]:
    """Each test has its own key directory (tests/conftest.py): forget every cached key."""
    from mederp.audit import changes
    from mederp.data import destruction, keyring, providers

    def reset() -> None:
        keyring.clear_cache()
        keyring._scope_ids.clear()
        destruction.reset()
        providers.reset()
        changes._fingerprint_key.cache_clear()

    reset()
    yield
    reset()


@pytest.fixture
def make_person(site_a: Any) -> Any:
    from mederp.data import services

    def make(site: Any = None, **kwargs: Any) -> Any:
        values: dict[str, Any] = {
            "name": "张三",
            "phone": "13812345678",
            "email": "jane@example.com",
            "birth_date": dt.date(1984, 5, 6),
            "notes": "prefers mornings",
            "preferences": {"channel": "phone"},
            "organisation": "Huaxin Hospital",
        }
        values.update(kwargs)
        return services.create_person(SYSTEM, site=site or site_a, **values)

    return make


@pytest.fixture
def roles(site_a: Any, make_user: Any) -> Any:
    """Users for the data-protection rules, all at site A (DPOs company-wide)."""

    class Roles:
        dpo = make_user("dpo", None, username="dpo1")
        dpo2 = make_user("dpo", None, username="dpo2")
        manager = make_user("quality_manager", site_a, username="qm1")
        viewer = make_user("qa_specialist", site_a, username="qa1")
        sales = make_user("sales", site_a, username="sales1")
        admin = make_user("admin", None, username="admin1")
        nobody = make_user(None, None, username="nobody1")

    return Roles
