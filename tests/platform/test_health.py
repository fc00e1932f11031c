"""Liveness (/healthz) and readiness (/readyz) probes."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client

pytestmark = pytest.mark.django_db


def test_healthz_ok(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["status"] == "ok"


def test_healthz_needs_no_sign_in_and_sets_no_session(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert not any("session" in c.key for c in response.cookies.values())


def test_healthz_503_when_database_fails(client: Client) -> None:
    with mock.patch(
        "mederp.core.views.connection.cursor",
        side_effect=OperationalError("connection refused"),
    ):
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    # the exception type only: no connection strings or messages leak to the prober
    assert "connection refused" not in response.content.decode()


def test_healthz_503_when_query_fails(client: Client) -> None:
    cursor = mock.MagicMock()
    cursor.__enter__.return_value.execute.side_effect = OperationalError("server closed")
    with mock.patch("mederp.core.views.connection.cursor", return_value=cursor):
        response = client.get("/healthz")
    assert response.status_code == 503


def test_readyz_ready_when_migrated(client: Client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


def test_readyz_503_with_pending_migrations(client: Client) -> None:
    fake_plan: list[Any] = [("migration", False)]
    with mock.patch(
        "django.db.migrations.executor.MigrationExecutor.migration_plan", return_value=fake_plan
    ):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "not ready", "pending_migrations": 1}


def test_readyz_503_when_database_fails(client: Client) -> None:
    with mock.patch(
        "django.db.migrations.executor.MigrationExecutor.__init__",
        side_effect=OperationalError("down"),
    ):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "error"


@pytest.mark.parametrize("url", ["/healthz", "/readyz"])
def test_probes_refuse_writes(client: Client, url: str) -> None:
    assert client.post(url).status_code == 405
