"""Test helpers for sign-in: TOTP codes from a secret, signing in through the real pages.

Used by tests/identity/ and the browser journeys (tests/e2e/).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time
from typing import Any

LOGIN = "/accounts/login/"
MFA_AUTHENTICATE = "/accounts/2fa/authenticate/"
TOTP_ACTIVATE = "/accounts/2fa/totp/activate/"
LOGOUT = "/accounts/logout/"
TOTP_SESSION_KEY = "mfa.totp.secret"  # where allauth keeps the secret during enrollment


def totp(secret: str, at: float | None = None, step: int = 30, digits: int = 6) -> str:
    """RFC 6238 TOTP (HMAC-SHA1) of a base32 secret, computed independently of allauth."""
    counter = int((time.time() if at is None else at) // step)
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def fresh_totp(secret: str, used: set[str] | None = None) -> str:
    """A code not in `used`: waits for the next time step when the current code was used."""
    used = used if used is not None else set()
    code = totp(secret)
    while code in used:
        time.sleep(max(0.05, 30 - time.time() % 30 + 0.05))
        code = totp(secret)
    used.add(code)
    return code


def password_login(client: Any, username: str, password: str) -> Any:
    return client.post(LOGIN, {"login": username, "password": password})


def login(client: Any, username: str, password: str, code: str | None = None) -> Any:
    """Sign in through the sign-in page and, when asked, the second-factor page."""
    response = password_login(client, username, password)
    if response.status_code == 302 and response["Location"].startswith(MFA_AUTHENTICATE):
        if code is None:
            return response
        response = client.post(MFA_AUTHENTICATE, {"code": code})
    return response


def enroll_totp(client: Any) -> str:
    """Activate an authenticator app for the signed-in client; returns the secret."""
    response = client.get(TOTP_ACTIVATE)
    assert response.status_code == 200, response.status_code
    secret = str(client.session[TOTP_SESSION_KEY])
    response = client.post(TOTP_ACTIVATE, {"code": totp(secret)})
    assert response.status_code == 302, response.content.decode()[:2000]
    return secret


def strict_policy(settings: Any) -> None:
    """Production sign-in policy (the test profile relaxes MFA and device binding), and a
    clean cache so rate limits and used TOTP codes do not leak between tests."""
    from django.core.cache import cache

    settings.MEDERP_MFA_EXEMPT_ROLES = []
    settings.MEDERP_DEVICE_BINDING = True
    cache.clear()


# --- in a real browser (Playwright) -------------------------------------------------------
def browser_enroll_totp(page: Any) -> str:
    """On the forced enrollment page: read the secret, activate it with a computed code, pass
    the recovery codes page. Returns the secret."""
    from playwright.sync_api import expect

    expect(page.get_by_role("heading", level=1)).to_contain_text("Activate Authenticator App")
    secret = str(page.locator("#authenticator_secret").input_value())
    page.locator("input[name=code]").fill(totp(secret))
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    page.get_by_test_id("continue").click()
    return secret


def browser_enter_totp(page: Any, code: str) -> None:
    """On the second-factor page of the sign-in: enter the code and sign in."""
    from playwright.sync_api import expect

    expect(page.get_by_role("heading", level=1)).to_contain_text("Two-Factor Authentication")
    page.locator("input[name=code]").fill(code)
    page.locator("button[type=submit]", has_text="Sign In").first.click()
