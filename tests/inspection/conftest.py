"""Fixtures of the incoming-inspection tests: the signing fixtures, and the data builders that
the permission matrix uses too (tests/inspection/matrix_endpoints.py, loaded by path as
tests/test_permission_matrix.py does)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from mederp.testing.signing import (  # noqa: F401  (fixtures, found by pytest by name)
    _fresh_cache_and_english,
    as_user,
    fake_totp,
    session,
)


def _load_builders() -> Any:
    path = Path(__file__).with_name("matrix_endpoints.py")
    spec = importlib.util.spec_from_file_location("inspection_matrix_builders", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BUILDERS = _load_builders()


@pytest.fixture
def build() -> Any:
    """The builders: build.received_lot(site, qty), build.started(site), ..."""
    return BUILDERS
