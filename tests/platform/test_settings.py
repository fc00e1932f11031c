"""Security headers, cookies, and the production profile (check --deploy, refusing to start)."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from mederp.testing.users import PASSWORD

LOGIN = "/accounts/login/"


def _csp(response: Any) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


@pytest.mark.django_db
@pytest.mark.parametrize("url", [LOGIN, "/healthz", "/api/v1/me", "/no/such/page"])
def test_security_headers(client: Client, url: str) -> None:
    response = client.get(url)
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    csp = _csp(response)
    assert csp["default-src"] == ["'self'"]
    script_src = csp.get("script-src", csp["default-src"])
    assert "'unsafe-inline'" not in script_src
    assert "'unsafe-eval'" not in script_src
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    # no remote origins anywhere in the policy: every asset is served locally
    assert not re.search(r"https?:|\*", response["Content-Security-Policy"])


@pytest.mark.django_db
def test_hsts_only_on_secure_requests(client: Client) -> None:
    secure = client.get(LOGIN, secure=True)
    hsts = secure["Strict-Transport-Security"]
    max_age = int(re.search(r"max-age=(\d+)", hsts).group(1))  # type: ignore[union-attr]
    assert max_age >= 31536000
    assert "includeSubDomains" in hsts
    assert "Strict-Transport-Security" not in client.get(LOGIN)


@pytest.mark.django_db
@pytest.mark.parametrize("signed_in", [False, True], ids=["login page", "dashboard"])
def test_pages_have_nothing_the_csp_would_block(
    client: Client, site_a: Any, make_user: Any, signed_in: bool
) -> None:
    if signed_in:
        client.force_login(make_user("quality_manager", site_a))
    response = client.get("/" if signed_in else LOGIN)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="skip-link"' in html  # our layout, not allauth's default
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts
    for tag in scripts:
        assert re.search(r'\ssrc="/static/', tag), f"inline or remote script: {tag}"
    for tag in re.findall(r"<link\b[^>]*>", html):
        assert re.search(r'\shref="/static/', tag), f"remote asset: {tag}"
    assert "<style" not in html
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"


def _assert_host_cookie(cookie: Any) -> None:
    assert cookie.key.startswith("__Host-"), cookie.key
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["path"] == "/"  # required by the __Host- prefix
    assert not cookie["domain"]  # required by the __Host- prefix
    assert cookie["samesite"] in {"Lax", "Strict"}


@pytest.mark.django_db
def test_csrf_and_session_cookies(client: Client, make_user: Any) -> None:
    page = client.get(LOGIN)
    csrf = [c for c in page.cookies.values() if "csrf" in c.key]
    assert len(csrf) == 1
    _assert_host_cookie(csrf[0])

    user = make_user("sales")
    response = client.post(LOGIN, {"login": user.username, "password": PASSWORD})
    assert response.status_code == 302
    session = [c for c in response.cookies.values() if "session" in c.key]
    assert len(session) == 1
    _assert_host_cookie(session[0])
    assert session[0].value


@pytest.mark.django_db
def test_language_cookie_is_secure(client: Client) -> None:
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    cookie = response.cookies["mederp_language"]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True


# --- the production profile ------------------------------------------------------------------
def _mederp_command() -> list[str]:
    script = Path(sys.executable).with_name("mederp")
    return [str(script)] if script.exists() else [sys.executable, "-m", "mederp.manage"]


def _production_env(tmp_path: Path, **overrides: str | None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("MEDERP_") and k != "DJANGO_SETTINGS_MODULE"
    }
    env.update(
        DJANGO_SETTINGS_MODULE="mederp.config.settings.production",
        MEDERP_SECRET_KEY=secrets.token_urlsafe(64),
        MEDERP_DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        MEDERP_ALLOWED_HOSTS="erp.example.com",
        MEDERP_VAR_DIR=str(tmp_path),
    )
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_mederp_command(), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


DEPLOY_CHECK = ["check", "--deploy", "--fail-level", "WARNING"]


def test_production_profile_passes_check_deploy_without_warnings(tmp_path: Path) -> None:
    result = _run(DEPLOY_CHECK, _production_env(tmp_path))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues (0 silenced)." in output, output
    assert "WARNING" not in output


def test_check_deploy_would_catch_a_weakened_profile(tmp_path: Path) -> None:
    """Control: the same check fails when a deploy setting is weakened, so the test above
    really looks at the production settings."""
    result = _run(DEPLOY_CHECK, _production_env(tmp_path, MEDERP_HSTS_SECONDS="0"))
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr


@pytest.mark.parametrize(
    "missing", ["MEDERP_SECRET_KEY", "MEDERP_DATABASE_URL", "MEDERP_ALLOWED_HOSTS"]
)
def test_production_refuses_to_start_without_required_variable(
    tmp_path: Path, missing: str
) -> None:
    result = _run(["check"], _production_env(tmp_path, **{missing: None}))
    assert result.returncode != 0
    assert missing in result.stderr
    assert "must be set in production" in result.stderr


def test_production_refuses_an_empty_secret_key(tmp_path: Path) -> None:
    result = _run(["check"], _production_env(tmp_path, MEDERP_SECRET_KEY=""))
    assert result.returncode != 0
    assert "MEDERP_SECRET_KEY" in result.stderr
