"""Fixtures for the access-control and e-signature tests: a request context, a session, a
fake second factor, and a clean cache (shared by tests/access and tests/signatures)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from mederp.core import context


@contextmanager
def acting_as(user: Any) -> Iterator[None]:
    """The request context of `user` (what ActorContextMiddleware sets for a request)."""
    with context.bind(actor=user, channel="web"):
        yield


@pytest.fixture
def as_user() -> Callable[[Any], Any]:
    return acting_as


class FakeSession(dict[str, Any]):
    """What `sign()` needs of request.session."""


@pytest.fixture
def session() -> FakeSession:
    return FakeSession()


@pytest.fixture
def fake_totp(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Users in `enrolled` have TOTP; the valid code is `code`, and each code works once."""
    from mederp.signatures import totp

    state: dict[str, Any] = {"enrolled": set(), "code": "123456", "used": set()}

    def has_totp(user: Any) -> bool:
        return user.pk in state["enrolled"]

    def verify_totp(user: Any, code: str) -> bool:
        key = (user.pk, code)
        if code != state["code"] or key in state["used"]:
            return False
        state["used"].add(key)
        return True

    monkeypatch.setattr(totp, "has_totp", has_totp)
    monkeypatch.setattr(totp, "verify_totp", verify_totp)
    return state


@pytest.fixture(autouse=True)
def _fresh_cache_and_english() -> Iterator[None]:
    """The signing throttle and allauth's used-code markers live in the cache; a request of
    an earlier test may have left another language active in this thread."""
    from django.core.cache import cache
    from django.utils import translation

    cache.clear()
    translation.activate("en")
    yield
    cache.clear()
    translation.activate("en")
