"""Electronic signature in Chromium against the real HTTPS server (production policy): a second
administrator enrolls TOTP at the first sign-in, gets the device approved, signs out, signs in
from a new browser (new device) with password and TOTP, gets it approved, opens the
e-signature dialog from a pending privileged grant (a modal <dialog>, focus inside, Escape
closes it), is refused with a wrong password, signs with password and TOTP code, and sees the
signature manifestation; no Content-Security-Policy violation on the way.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mederp.demo.plant import DEMO_PASSWORD
from mederp.testing.auth import browser_enroll_totp, browser_enter_totp, fresh_totp, totp
from mederp.testing.servers import _mederp_command, server_env

pytestmark = pytest.mark.browser

SETUP = """
from mederp.identity import services as s
from mederp.identity.authz import SYSTEM
from mederp.identity.models import Role, User
from mederp.demo.plant import DEMO_PASSWORD
second = User.objects.filter(username="esign-admin").first()
if second is None:
    second = s.create_user(SYSTEM, username="esign-admin", full_name="Gao Yan 高燕",
                           password=DEMO_PASSWORD)
    s.assign_role(SYSTEM, second, Role.objects.get(code="admin"), None, reason="e2e")
grant = s.assign_role(User.objects.get(username="admin"), User.objects.get(username="ra"),
                      Role.objects.get(code="quality_manager"), None, "Deputy QM for audits")
print("GRANT", grant.pk)
"""

APPROVE_DEVICES = """
from mederp.identity import devices
from mederp.identity.models import User
from mederp.identity.security_models import Device
admin = User.objects.get(username="admin")
for device in Device.objects.filter(user__username="esign-admin", approved_at__isnull=True):
    devices.approve(admin, device, "e2e: the second administrator's browser")
"""


def run_on_server(server: tuple[str, Path], code: str) -> str:
    """Run Python in the server's instance (its own database and keys)."""
    var_dir = server[1].parent.parent  # <var>/tls/cert.pem
    result = subprocess.run(
        [*_mederp_command(), "shell", "-c", code],
        env=server_env(var_dir),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.fixture
def context(chromium: Any) -> Iterator[Any]:
    ctx = chromium.new_context(
        ignore_https_errors=True, locale="en-US", viewport={"width": 1280, "height": 900}
    )
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


def test_second_administrator_signs_a_privileged_grant(
    context: Any, chromium: Any, server: tuple[str, Path], server_url: str
) -> None:
    from playwright.sync_api import expect

    found = re.search(r"GRANT (\d+)", run_on_server(server, SETUP))
    assert found, "the set-up did not create the pending grant"
    grant_id = int(found.group(1))
    csp_violations: list[str] = []

    def watched(ctx: Any) -> Any:
        new_page = ctx.new_page()
        new_page.on(
            "console",
            lambda msg: (
                csp_violations.append(msg.text) if "Content Security Policy" in msg.text else None
            ),
        )
        return new_page

    page = watched(context)

    # first sign-in: password, then the mandatory authenticator app
    page.goto(server_url + "/accounts/login/")
    page.get_by_label("Username", exact=True).fill("esign-admin")
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.goto(server_url + "/")
    secret = browser_enroll_totp(page)
    used = {totp(secret)}
    # an administrator's role is device-bound: the first administrator approves this browser
    run_on_server(server, APPROVE_DEVICES)

    # sign out, and come back from another browser (a new device): password, then the code
    page.locator("details.user-menu summary").click()
    page.get_by_test_id("logout").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    other = chromium.new_context(
        ignore_https_errors=True, locale="en-US", viewport={"width": 1280, "height": 900}
    )
    other.set_default_timeout(15_000)
    page = watched(other)
    page.goto(server_url + "/accounts/login/")
    page.get_by_label("Username", exact=True).fill("esign-admin")
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    browser_enter_totp(page, fresh_totp(secret, used))
    # the new browser is a new device of a device-bound role: approved again by the first admin
    run_on_server(server, APPROVE_DEVICES)

    page.goto(f"{server_url}/access/grants/{grant_id}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Quality Manager")
    expect(page.get_by_test_id("grant-status")).to_have_text("Awaiting approval")

    # the dialog: modal, labelled, focus on the password; Escape closes it
    page.get_by_role("link", name="Approve…").click()
    dialog = page.get_by_role("dialog", name="Approve privileged role grant")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Your password")).to_be_focused()
    expect(dialog).to_contain_text("“Approved”")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(page.get_by_role("link", name="Approve…")).to_be_focused()

    # a wrong password is refused inside the dialog
    page.get_by_role("link", name="Approve…").click()
    dialog = page.get_by_role("dialog", name="Approve privileged role grant")
    dialog.get_by_label("Your password").fill("not the password")
    dialog.get_by_label("Code from your authenticator app").fill(fresh_totp(secret, used))
    dialog.get_by_role("button", name="Sign: Approved").click()
    dialog = page.get_by_role("dialog", name="Approve privileged role grant")
    expect(dialog.get_by_text("The password is not correct.")).to_be_visible()
    expect(dialog.get_by_label("Your password")).to_be_focused()

    # password and a fresh TOTP code: the grant takes effect, the signature is shown
    dialog.get_by_label("Your password").fill(DEMO_PASSWORD)
    dialog.get_by_label("Code from your authenticator app").fill(fresh_totp(secret, used))
    dialog.get_by_label("Comment").fill("Agreed with the QA director")
    dialog.get_by_role("button", name="Sign: Approved").click()
    expect(page).to_have_url(re.compile(rf"/access/grants/{grant_id}/$"))
    expect(page.get_by_test_id("grant-status")).to_have_text("Approved")
    signature = page.get_by_test_id("signature")
    expect(signature).to_have_count(1)
    expect(signature).to_contain_text("Approved")
    expect(signature).to_contain_text("Gao Yan 高燕")
    expect(signature).to_contain_text("(esign-admin)")
    expect(signature).to_contain_text("UTC")
    expect(signature).to_contain_text("Applies to this version")
    other.close()
    assert not csp_violations, csp_violations
