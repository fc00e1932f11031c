"""API tokens: hashed at rest, scoped, expiring, revocable; every call in the ledger."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from mederp.api import services
from mederp.api.models import ApiToken
from mederp.audit.models import AuditEntry
from mederp.identity.authz import SYSTEM

pytestmark = pytest.mark.django_db


@pytest.fixture
def qa_token(site_a: Any, make_user: Any) -> tuple[Any, ApiToken, str]:
    user = make_user("qa_specialist", site_a, username="svc_qms")
    token, secret = services.issue_token(
        SYSTEM,
        user=user,
        name="QMS link",
        scopes=["core.view_dashboard"],
        days=30,
        reason="Integration with the document system",
    )
    return user, token, secret


def api(secret: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def test_token_authenticates_and_every_call_is_audited(qa_token: Any) -> None:
    _, token, secret = qa_token
    before = AuditEntry.objects.filter(action="api_call").count()
    response = api(secret).get("/api/v1/me", secure=True)
    assert response.status_code == 200
    assert response.json()["username"] == "svc_qms"
    entry = AuditEntry.objects.filter(action="api_call").order_by("-seq").first()
    assert AuditEntry.objects.filter(action="api_call").count() == before + 1
    assert entry is not None
    assert entry.actor_type == "api_client"
    assert entry.actor_username == "svc_qms"
    assert entry.device_id == f"token:{token.prefix}"
    assert entry.object_repr == "GET /api/v1/me → 200"
    assert entry.request_id == response["X-Request-ID"]


def test_refused_calls_are_audited_too(qa_token: Any) -> None:
    _, _, secret = qa_token
    response = api(secret).get("/api/v1/audit/entries", secure=True)
    assert response.status_code == 403
    assert "not scoped for audit.view_trail" in response.json()["detail"]
    assert AuditEntry.objects.filter(
        action="api_call", object_repr="GET /api/v1/audit/entries → 403"
    ).exists()


def test_secret_is_never_stored_or_audited(qa_token: Any) -> None:
    _, token, secret = qa_token
    secret_part = secret.rsplit("_", 1)[1]
    assert secret_part not in token.digest
    assert not ApiToken.objects.filter(digest__contains=secret_part).exists()
    assert not AuditEntry.objects.filter(payload__contains=secret_part).exists()
    assert not AuditEntry.objects.filter(payload__contains=token.digest).exists()


@pytest.mark.parametrize("mangle", ["wrong-secret", "garbage", "expired", "revoked", "disabled"])
def test_bad_tokens_get_401_problem_and_are_audited(qa_token: Any, mangle: str) -> None:
    user, token, secret = qa_token
    if mangle == "wrong-secret":
        secret = secret[:-4] + ("AAAA" if not secret.endswith("AAAA") else "BBBB")
    elif mangle == "garbage":
        secret = "not-a-token"
    elif mangle == "expired":
        ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(1))
    elif mangle == "revoked":
        services.revoke_token(SYSTEM, token, reason="Integration retired")
    else:
        type(user).objects.filter(pk=user.pk).update(is_active=False)
    failures = AuditEntry.objects.filter(action="login_failed").count()
    response = api(secret).get("/api/v1/me", secure=True)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"] == 'Bearer realm="mederp"'
    assert "invalid, expired or revoked" in response.json()["detail"]
    assert AuditEntry.objects.filter(action="login_failed").count() == failures + 1


def test_a_token_cannot_exceed_its_user(site_a: Any, make_user: Any) -> None:
    user = make_user("production_operator", site_a)
    with pytest.raises(ValidationError, match=r"does not hold: audit\.view_trail"):
        services.issue_token(
            SYSTEM, user=user, name="x", scopes=["audit.view_trail"], days=5, reason="r"
        )
    with pytest.raises(ValidationError, match="between 1 and 365"):
        services.issue_token(
            SYSTEM, user=user, name="x", scopes=["core.view_dashboard"], days=400, reason="r"
        )
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("role", ["quality_manager", "auditor", "production_operator"])
def test_only_token_managers_issue_or_revoke(
    qa_token: Any, site_a: Any, make_user: Any, role: str
) -> None:
    _, token, _ = qa_token
    actor = make_user(role, None)
    with pytest.raises(PermissionDenied):
        services.issue_token(
            actor, user=actor, name="mine", scopes=["core.view_dashboard"], days=5, reason="r"
        )
    with pytest.raises(PermissionDenied):
        services.revoke_token(actor, token, reason="r")


def test_cli_issue_list_revoke(qa_token: Any, capsys: pytest.CaptureFixture[str]) -> None:
    call_command(
        "api_token",
        "issue",
        "--user",
        "svc_qms",
        "--name",
        "Scanner",
        "--scopes",
        "core.view_dashboard",
        "--days",
        "10",
        "--reason",
        "Dock scanner",
    )
    out = capsys.readouterr().out.strip().splitlines()
    secret = out[-1]
    assert api(secret).get("/api/v1/me", secure=True).status_code == 200
    prefix = secret.split("_")[1]
    call_command("api_token", "list")
    assert prefix in capsys.readouterr().out
    call_command("api_token", "revoke", prefix, "--reason", "Scanner replaced")
    assert api(secret).get("/api/v1/me", secure=True).status_code == 401
    with pytest.raises(CommandError, match="no user"):
        call_command(
            "api_token",
            "issue",
            "--user",
            "ghost",
            "--name",
            "x",
            "--scopes",
            "core.view_dashboard",
            "--reason",
            "r",
        )
