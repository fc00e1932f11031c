"""The approved supplier list and certificate selectors other apps (purchasing) rely on."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from mederp.partners import selectors
from mederp.testing import materials as m

pytestmark = pytest.mark.django_db

ON = dt.date(2026, 6, 1)


def test_approved_entry_is_the_active_entry() -> None:
    sup, item = m.supplier(), m.item()
    assert selectors.approved_entry(sup, item) is None
    entry = m.approve(sup, item, "MPN-1")
    assert selectors.approved_entry(sup, item) == entry
    assert selectors.approved_entry(sup, item, "MPN-1") == entry
    assert selectors.approved_entry(sup, item, "MPN-2") is None
    assert selectors.approved_entry(sup, m.item()) is None
    assert selectors.approved_entry(m.supplier(), item) is None


def test_inactive_entry_does_not_count() -> None:
    sup, item = m.supplier(), m.item()
    entry = m.approve(sup, item, "MPN-1")
    entry.active = False
    entry.save()
    assert selectors.approved_entry(sup, item) is None
    assert selectors.approved_entry(sup, item, "MPN-1") is None


@pytest.mark.parametrize(
    ("status", "usable"),
    [("approved", True), ("conditional", True), ("pending", False), ("disqualified", False)],
)
def test_entries_of_a_supplier_that_may_not_supply_are_blocked(status: str, usable: bool) -> None:
    sup, item = m.supplier(status=status), m.item()
    entry = m.approve(sup, item)
    assert selectors.approved_entry(sup, item) == (entry if usable else None)


def test_expired_certificates_take_the_latest_of_each_kind() -> None:
    sup = m.supplier()
    old_iso = m.certificate(sup, expires_on=ON - dt.timedelta(days=400))
    m.certificate(sup, expires_on=ON + dt.timedelta(days=300))  # renewed ISO 13485
    licence = m.certificate(sup, kind="business_licence", expires_on=ON - dt.timedelta(days=1))
    expired = selectors.expired_certificates(sup, ON)
    assert expired == [licence]
    assert old_iso not in expired


def test_certificate_is_valid_through_its_expiry_date() -> None:
    sup = m.supplier()
    cert = m.certificate(sup, expires_on=ON)
    assert selectors.expired_certificates(sup, ON) == []
    assert selectors.expired_certificates(sup, ON + dt.timedelta(days=1)) == [cert]


def test_expiring_certificates_within_the_window() -> None:
    sup = m.supplier()
    soon = m.certificate(sup, expires_on=ON + dt.timedelta(days=30))
    m.certificate(sup, kind="iso9001", expires_on=ON + dt.timedelta(days=31))
    m.certificate(sup, kind="business_licence", expires_on=ON - dt.timedelta(days=1))
    assert selectors.expiring_certificates(sup, ON, 30) == [soon]
    assert len(selectors.expiring_certificates(sup, ON, 31)) == 2
    assert selectors.expired_certificates(m.supplier(), ON) == []


def test_certificate_state_flags(settings: Any) -> None:
    settings.MEDERP_CERTIFICATE_WARNING_DAYS = 60
    assert selectors.certificate_state(ON - dt.timedelta(days=1), ON) == "expired"
    assert selectors.certificate_state(ON, ON) == "expiring"
    assert selectors.certificate_state(ON + dt.timedelta(days=60), ON) == "expiring"
    assert selectors.certificate_state(ON + dt.timedelta(days=61), ON) == "valid"
    assert selectors.certificate_state(None, ON) == ""
    sup = m.supplier()
    assert selectors.supplier_certificate_state(sup, ON) == ""
    m.certificate(sup, expires_on=ON + dt.timedelta(days=200))
    assert selectors.supplier_certificate_state(sup, ON) == "valid"
    m.certificate(sup, kind="iso9001", expires_on=ON - dt.timedelta(days=2))
    assert selectors.supplier_certificate_state(sup, ON) == "expired"
