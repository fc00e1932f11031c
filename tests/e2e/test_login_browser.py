"""A user signs in through the real login page, sees the dashboard in English and Chinese,
and signs out — in Chromium, over HTTPS, against the real gunicorn server.

Screenshots for the README: MEDERP_SCREENSHOTS=1 writes docs/img/dashboard-{en,zh}.png.
"""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from mederp.demo.plant import DEMO_PASSWORD, USERS
from mederp.testing.auth import browser_enroll_totp

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
ZH_CATALOGUE = REPO / "src" / "mederp" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
QA = next(user for user in USERS if user.username == "qa")
QA_ROLE_EN, QA_ROLE_ZH = "QA Specialist", "质量保证专员"  # role names come from the database
LOGIN_PATH = re.compile(r"/accounts/login/")


@cache
def zh(msgid: str) -> str | None:
    """The zh_Hans translation of `msgid`, or None while the catalogue lacks it."""
    if not ZH_CATALOGUE.exists():
        return None
    from babel.messages.pofile import read_po

    with ZH_CATALOGUE.open("rb") as handle:
        message = read_po(handle).get(msgid)
    if message is None or not message.string or message.fuzzy:
        return None
    return str(message.string)


def screenshot(page: Any, name: str) -> None:
    if os.environ.get("MEDERP_SCREENSHOTS") == "1":
        target = REPO / "docs" / "img" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(target), full_page=True)


def sign_in(page: Any, server_url: str, username: str, password: str) -> None:
    from playwright.sync_api import expect

    page.goto(server_url + "/")
    assert LOGIN_PATH.search(page.url), f"/ did not redirect to the login page: {page.url}"
    # mederp's own login page (not allauth's default template, which offers self sign-up).
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to mederp")
    expect(page.get_by_role("link", name=re.compile("sign up", re.I))).to_have_count(0)
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def test_sign_in_see_dashboard_in_both_languages_and_sign_out(page: Any, server_url: str) -> None:
    from playwright.sync_api import expect

    requests: list[str] = []
    console_errors: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on(
        "console",
        lambda message: console_errors.append(message.text) if message.type == "error" else None,
    )

    sign_in(page, server_url, QA.username, DEMO_PASSWORD)
    # Two-factor authentication is mandatory: the first sign-in enrolls an authenticator app
    # (the code is computed from the secret shown on the page), then shows recovery codes.
    browser_enroll_totp(page)

    # English dashboard with the user's role.
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_test_id("role")).to_have_text([QA_ROLE_EN])
    assert not LOGIN_PATH.search(page.url)
    screenshot(page, "dashboard-en.png")

    # Switch to Simplified Chinese through the language switcher.
    page.get_by_label("Language", exact=True).select_option(label="简体中文")
    page.get_by_role("button", name="Change", exact=True).click()

    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.get_by_test_id("role")).to_have_text([QA_ROLE_ZH])
    heading = page.get_by_role("heading", level=1)
    if zh("Dashboard"):
        expect(heading).to_have_text(zh("Dashboard") or "")
    else:  # catalogue not written yet: the heading stays English, the rest must still switch
        expect(heading).to_be_visible()
    screenshot(page, "dashboard-zh.png")

    # Sign out through the user menu.
    page.locator("summary", has_text=QA.full_name).click()
    page.get_by_test_id("logout").click()

    expect(page).to_have_url(LOGIN_PATH)
    expect(page.get_by_test_id("logout")).to_have_count(0)
    page.goto(server_url + "/")
    expect(page).to_have_url(LOGIN_PATH)  # the session is really gone

    # Offline and self-contained: every request went to our server; nothing broke the CSP.
    external = [url for url in requests if not url.startswith((server_url + "/", "data:"))]
    assert external == [], external
    assert console_errors == [], console_errors


def test_wrong_password_shows_form_error_and_stays_on_login_page(
    page: Any, server_url: str
) -> None:
    from playwright.sync_api import expect

    sign_in(page, server_url, QA.username, "not-the-password")

    alert = page.get_by_role("alert")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text(re.compile(r"password you specified are not correct", re.I))
    expect(page).to_have_url(LOGIN_PATH)
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to mederp")
    expect(page.get_by_label("Username", exact=True)).to_have_value(QA.username)
    expect(page.get_by_label("Password", exact=True)).to_have_value("")
    expect(page.get_by_role("heading", name="Dashboard")).to_have_count(0)
