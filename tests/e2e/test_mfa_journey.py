"""Two-factor journey in Chromium against the real HTTPS server (production sign-in policy):

enroll an authenticator app at the first sign-in (the code is computed from the secret the
page shows), keep the recovery codes, sign out, sign in from a new device (a new browser
context, no device cookie) with a TOTP code, find the new device and its notice; a replayed
code is refused; a WebAuthn security key (Chromium's virtual authenticator) is added and used.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from mederp.demo.plant import DEMO_PASSWORD
from mederp.testing.auth import browser_enroll_totp, browser_enter_totp, fresh_totp, totp

pytestmark = pytest.mark.browser

LOGIN_PATH = re.compile(r"/accounts/login/")


@pytest.fixture
def new_context(chromium: Any) -> Iterator[Any]:
    """Open fresh browser contexts (each one a new device: no cookies at all)."""
    opened: list[Any] = []

    def make() -> Any:
        context = chromium.new_context(
            ignore_https_errors=True, locale="en-US", viewport={"width": 1280, "height": 800}
        )
        context.set_default_timeout(15_000)
        opened.append(context)
        return context.new_page()

    yield make
    for context in opened:
        context.close()


def password_step(page: Any, base: str, username: str) -> None:
    page.goto(base + "/accounts/login/")
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


def sign_out(page: Any) -> None:
    page.locator("details.user-menu summary").click()
    page.get_by_test_id("logout").click()


def test_enroll_totp_sign_out_sign_in_from_a_new_device(new_context: Any, server_url: str) -> None:
    from playwright.sync_api import expect

    used: set[str] = set()
    first = new_context()
    password_step(first, server_url, "buyer")
    # MFA is mandatory: straight to the enrollment page, whatever was asked for
    first.goto(server_url + "/")
    expect(first).to_have_url(re.compile(r"/accounts/2fa/totp/activate/"))
    secret = browser_enroll_totp(first)
    used.add(totp(secret))
    expect(first.get_by_role("heading", level=1)).to_have_text("Dashboard")
    sign_out(first)
    expect(first).to_have_url(LOGIN_PATH)

    # a new device: password, then the second factor
    second = new_context()
    password_step(second, server_url, "buyer")
    expect(second).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    code = fresh_totp(secret, used)
    browser_enter_totp(second, code)
    expect(second.get_by_role("heading", level=1)).to_have_text("Dashboard")

    # the new device is listed, and the user was told about it
    second.goto(server_url + "/security/devices/")
    expect(second.get_by_test_id("device-row")).to_have_count(2)
    expect(second.get_by_text("(this device)")).to_have_count(1)
    second.goto(server_url + "/security/notices/")
    expect(second.get_by_test_id("notice").filter(has_text="new device")).to_have_count(2)

    # the same code replayed from a third browser is refused
    third = new_context()
    password_step(third, server_url, "buyer")
    browser_enter_totp(third, code)
    expect(third.get_by_text("Incorrect code")).to_be_visible()
    expect(third).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))


def test_security_key_added_and_used_with_a_virtual_authenticator(
    new_context: Any, server_url: str
) -> None:
    """WebAuthn needs a domain as relying party id: the server is reached as localhost."""
    from playwright.sync_api import expect

    base = server_url.replace("127.0.0.1", "localhost")
    page = new_context()
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    password_step(page, base, "sales")
    secret = browser_enroll_totp(page)
    page.goto(base + "/accounts/2fa/webauthn/add/")
    if re.search(r"/accounts/reauthenticate/", page.url):
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.locator("button[type=submit]").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Add Security Key"))
    page.locator("#mfa_webauthn_add").click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/$"))
    expect(page.get_by_text(re.compile("You have added 1 security key"))).to_be_visible()
    sign_out(page)

    # sign in again in the same browser (the virtual key is attached to it), with the key
    password_step(page, base, "sales")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.locator("#mfa_webauthn_authenticate").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    assert secret  # the authenticator app stays enrolled beside the key
