"""Manifestation (11.50): printed name, date and time in UTC and local time, meaning — on
screen (template tag) and on printouts (lines and reportlab flowables)."""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo
from typing import Any

import pytest
from django.template import Context, Template
from django.utils import timezone

from mederp.identity import services as identity
from mederp.identity.authz import SYSTEM
from mederp.signatures.manifestation import (
    manifestation_flowables,
    manifestation_lines,
    manifestations,
)

PASSWORD = "correct-horse-battery-staple"
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed(site_a: Any, make_user: Any, as_user: Any) -> Any:
    signer = make_user("qa_specialist", site_a, username="li.na")
    type(signer).objects.filter(pk=signer.pk).update(full_name="Li Na 李娜")
    signer.refresh_from_db()
    with as_user(signer):
        return identity.sign(site_a, signer, "approved", PASSWORD, reason="Checked")


def test_lines_for_a_printout(site_a: Any, signed: Any) -> None:
    lines = manifestation_lines(site_a, SHANGHAI)
    assert lines[0] == "Electronic signatures"
    utc = signed.signed_at.astimezone(dt.UTC)
    local = signed.signed_at.astimezone(SHANGHAI)
    assert lines[1] == (
        f"Approved by Li Na 李娜 (li.na) on {utc:%Y-%m-%d %H:%M:%S} UTC "
        f"({local:%Y-%m-%d %H:%M:%S} Asia/Shanghai)"
    )
    assert local - local.utcoffset() == utc.replace(tzinfo=SHANGHAI)  # local = UTC + 8 h


def test_lines_say_when_the_record_changed(site_a: Any, signed: Any) -> None:
    identity.update_site(SYSTEM, site_a, reason="Address", address="1 New Road")
    line = manifestation_lines(site_a, dt.UTC)[1]
    assert line.endswith("— Applies to an earlier version")


def test_no_signature_line(site_b: Any) -> None:
    assert manifestation_lines(site_b) == ["Electronic signatures: none"]


def test_flowables_for_a_pdf(site_a: Any, signed: Any) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import SimpleDocTemplate

    flowables = manifestation_flowables(site_a, SHANGHAI)
    texts = [f.getPlainText() for f in flowables]
    assert texts == manifestation_lines(site_a, SHANGHAI)
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4).build(flowables)
    assert buf.getvalue().startswith(b"%PDF")


def test_on_screen_manifestation(site_a: Any, signed: Any) -> None:
    with timezone.override(SHANGHAI):
        html = Template("{% load esign %}{% signature_manifestation record %}").render(
            Context({"record": site_a})
        )
    item = manifestations(site_a, SHANGHAI)[0]
    assert "Li Na 李娜" in html
    assert "(li.na)" in html
    assert ">Approved<" in html
    assert f'<time datetime="{item.signed_at_iso}">{item.signed_at_utc} UTC</time>' in html
    assert f'{item.signed_at_local} <span class="muted">Asia/Shanghai</span>' in html
    assert "Applies to this version" in html
    assert "Checked" in html  # the signer's comment
    assert 'aria-labelledby="esign-manifest-identity-site-' in html
    assert " style=" not in html
    assert "<script" not in html
