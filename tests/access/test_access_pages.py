"""The access-control pages: role matrix, privileged grants with the e-signature dialog,
access reviews with HTMX decisions. CSP-safe markup (no inline script or style)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client

from mederp.access import services
from mederp.access.models import AccessReviewCampaign, AccessReviewItem, PendingGrant
from mederp.audit.models import AuditEntry
from mederp.identity.models import Role, RoleAssignment
from mederp.identity.permissions import PERMISSIONS
from mederp.signatures.models import Signature

PASSWORD = "correct-horse-battery-staple"
HTMX = {"HX-Request": "true"}

pytestmark = pytest.mark.django_db


def assert_csp_safe(html: str) -> None:
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert "<style" not in html, "inline <style>"
    assert not re.search(r"\sstyle=", html), "style attribute"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"
    assert "hx-on" not in html


def login(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def test_role_matrix_page(client: Client, site_a: Any, make_user: Any) -> None:
    response = login(client, make_user("auditor", None)).get("/access/roles/")
    assert response.status_code == 200
    html = response.content.decode()
    assert_csp_safe(html)
    for code in PERMISSIONS:
        assert f"<code>{code}</code>" in html
    for role in Role.objects.all():
        assert role.label in html
    assert html.count('class="access-yes"') == sum(
        r.permissions.count() for r in Role.objects.all()
    )
    assert "it_admin_not_quality_approver" in html  # the SoD rules table
    assert 'scope="col"' in html
    assert 'scope="row"' in html
    assert "visually-hidden" in html


def test_grant_flow_through_the_pages(client: Client, site_a: Any, make_user: Any) -> None:
    requester = make_user("admin", None, username="requester")
    approver = make_user("admin", None, username="approver")
    grantee = make_user("sales", site_a, username="grantee")

    login(client, requester)
    page = client.get("/access/grants/new/")
    assert page.status_code == 200
    assert_csp_safe(page.content.decode())
    qm = Role.objects.get(code="quality_manager")
    response = client.post(
        "/access/grants/new/",
        {"user": grantee.pk, "role": qm.pk, "site": "all", "reason": "New QM"},
    )
    grant = PendingGrant.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/access/grants/{grant.pk}/"
    detail = client.get(response["Location"]).content.decode()
    assert "Awaiting approval" in detail
    assert f"/access/grants/{grant.pk}/approve/" not in detail  # the requester cannot decide

    login(client, approver)
    detail = client.get(f"/access/grants/{grant.pk}/").content.decode()
    assert_csp_safe(detail)
    assert f'hx-get="/access/grants/{grant.pk}/approve/"' in detail
    assert 'id="esign-slot"' in detail
    assert "signatures/esign.js" in detail

    dialog = client.get(f"/access/grants/{grant.pk}/approve/", headers=HTMX)
    html = dialog.content.decode()
    assert dialog.status_code == 200
    assert html.lstrip().startswith("<dialog")
    assert 'aria-labelledby="esign-title"' in html
    assert "“Approved”" in html
    assert 'autocomplete="current-password"' in html
    assert_csp_safe(html)

    wrong = client.post(f"/access/grants/{grant.pk}/approve/", {"password": "nope"}, headers=HTMX)
    assert wrong.status_code == 200
    assert "The password is not correct." in wrong.content.decode()
    assert 'aria-invalid="true"' in wrong.content.decode()
    assert "nope" not in wrong.content.decode()  # the password is never sent back
    assert PendingGrant.objects.get().status == "pending"
    assert AuditEntry.objects.filter(action="sign_failed", actor_id=approver.pk).exists()

    ok = client.post(
        f"/access/grants/{grant.pk}/approve/",
        {"password": PASSWORD, "reason": "HR confirmed"},
        headers=HTMX,
    )
    assert ok.status_code == 204
    assert ok["HX-Redirect"] == f"/access/grants/{grant.pk}/"
    assert PendingGrant.objects.get().status == "approved"
    detail = client.get(f"/access/grants/{grant.pk}/").content.decode()
    assert "The grant is approved" in detail
    assert "Date and time (UTC)" in detail
    assert approver.full_name in detail
    assert "Applies to this version" in detail


def test_dialog_works_without_javascript(client: Client, site_a: Any, make_user: Any) -> None:
    requester = make_user("admin", None)
    approver = make_user("admin", None)
    grant = services.request_privileged_grant(
        requester, make_user(), Role.objects.get(code="admin"), site_a, "Local IT"
    )
    login(client, approver)
    page = client.get(f"/access/grants/{grant.pk}/reject/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "<dialog" not in html
    assert "<h1" in html
    assert_csp_safe(html)
    missing = client.post(f"/access/grants/{grant.pk}/reject/", {"password": PASSWORD})
    assert missing.status_code == 200  # the reason is required for a rejection
    assert "This field is required." in missing.content.decode()
    done = client.post(
        f"/access/grants/{grant.pk}/reject/", {"password": PASSWORD, "reason": "No need"}
    )
    assert done.status_code == 302
    assert PendingGrant.objects.get().status == "rejected"


def test_sod_refusal_shows_in_the_dialog(client: Client, site_a: Any, make_user: Any) -> None:
    requester = make_user("admin", None)
    grant = services.request_privileged_grant(
        requester, make_user(), Role.objects.get(code="admin"), site_a, "Local IT"
    )
    login(client, requester)
    response = client.post(
        f"/access/grants/{grant.pk}/approve/", {"password": PASSWORD}, headers=HTMX
    )
    assert response.status_code == 200
    assert "rule two_person_grant" in response.content.decode()
    assert PendingGrant.objects.get().status == "pending"
    assert AuditEntry.objects.filter(action="sod_violation").exists()


def test_review_pages_and_htmx_decision(client: Client, site_a: Any, make_user: Any) -> None:
    qm = make_user("quality_manager", None)
    supervisor = make_user("production_supervisor", site_a)
    operator = make_user("production_operator", site_a)

    login(client, qm)
    listing = client.get("/access/reviews/")
    assert listing.status_code == 200
    assert_csp_safe(listing.content.decode())
    started = client.post(
        "/access/reviews/start/",
        {
            "name": "Q3 review",
            "site": str(site_a.pk),
            "due_date": (dt.date.today() + dt.timedelta(days=7)).isoformat(),
        },
    )
    campaign = AccessReviewCampaign.objects.get()
    assert started["Location"] == f"/access/reviews/{campaign.pk}/"

    login(client, supervisor)
    page = client.get(f"/access/reviews/{campaign.pk}/").content.decode()
    assert_csp_safe(page)
    item = campaign.items.get(user=operator)
    own = campaign.items.get(user=supervisor)
    assert f'hx-post="/access/reviews/items/{item.pk}/decide/"' in page
    assert f'hx-post="/access/reviews/items/{own.pk}/decide/"' not in page  # not their own

    row = client.post(
        f"/access/reviews/items/{item.pk}/decide/",
        {"decision": "revoked", "note": ""},
        headers=HTMX,
    )
    assert row.status_code == 200
    assert "Say why the role is revoked." in row.content.decode()
    row = client.post(
        f"/access/reviews/items/{item.pk}/decide/",
        {"decision": "revoked", "note": "Left the line"},
        headers=HTMX,
    )
    html = row.content.decode()
    assert html.startswith(f'<tr id="review-item-{item.pk}"')
    assert "Revoked" in html
    assert AccessReviewItem.objects.get(pk=item.pk).decision == "revoked"
    assert not RoleAssignment.objects.active().filter(user=operator).exists()

    login(client, qm)
    page = client.get(f"/access/reviews/{campaign.pk}/?show=all").content.decode()
    assert f'hx-get="/access/reviews/{campaign.pk}/complete/"' in page
    done = client.post(
        f"/access/reviews/{campaign.pk}/complete/",
        {"password": PASSWORD, "reason": "Supervisor's own role next time"},
    )
    assert done.status_code == 302
    assert Signature.objects.get().meaning == "approved"
    page = client.get(f"/access/reviews/{campaign.pk}/").content.decode()
    assert "1 items were left unreviewed" in page


def test_pages_speak_chinese(client: Client, site_a: Any, make_user: Any) -> None:
    login(client, make_user("quality_manager", None))
    client.cookies["mederp_language"] = "zh-hans"
    html = client.get("/access/roles/").content.decode()
    assert "质量经理" in html  # role names are bilingual data
    assert "不得给自己授予角色" in html  # so are the SoD rule names
