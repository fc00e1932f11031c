"""The data inventory (command and committed document), the system checks on classification
and encryption, and the audit fingerprint key that is no longer re-created silently."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core import checks
from django.core.management import call_command

from mederp.audit import changes
from mederp.core.classification import RESTRICTED
from mederp.data.checks import check_encryption
from mederp.data.models import Person
from mederp.identity.authz import SYSTEM
from mederp.identity.models import Site

DOC = Path(__file__).resolve().parents[2] / "docs" / "operations" / "data-inventory.md"


def inventory(fmt: str) -> str:
    out = io.StringIO()
    call_command("data", "inventory", "--format", fmt, stdout=out)
    return out.getvalue()


def test_inventory_formats() -> None:
    rows = json.loads(inventory("json"))
    by_key = {(r["model"], r["field"]): r for r in rows}
    name = by_key[("data.Person", "name")]
    assert name["classification"] == "RESTRICTED"
    assert name["personal_data"] is True
    assert name["encrypted"] == "AES-256-GCM, per-subject key"
    assert by_key[("data.Person", "email")]["searchable"] == "exact, blind index email_index"
    assert by_key[("data.Person", "id_number_hash")]["searchable"] == "compare only"
    assert by_key[("identity.User", "email")]["encrypted"] == ""
    assert name["retention"] == "contact-record"
    assert ("audit.AuditEntry", "payload") in by_key
    csv_text = inventory("csv")
    assert csv_text.splitlines()[0].startswith("model,field,classification,personal_data")
    assert len(csv_text.splitlines()) == len(rows) + 1
    assert "| `name` | RESTRICTED | yes | people |" in inventory("md")


def test_committed_inventory_is_current() -> None:
    assert DOC.read_text(encoding="utf-8") == inventory("md"), (
        "docs/operations/data-inventory.md is out of date: run "
        "`mederp data inventory --format md --output docs/operations/data-inventory.md`"
    )


def test_the_checks_pass_on_the_project() -> None:
    assert check_encryption() == []
    assert not [m for m in checks.run_checks(tags=["mederp"]) if m.level >= checks.WARNING]


def test_a_restricted_field_in_clear_is_an_error() -> None:
    original = dict(Site.data_classification)
    Site.data_classification = {**original, "address": RESTRICTED}
    try:
        errors = check_encryption()
    finally:
        Site.data_classification = original
    assert [e.id for e in errors] == ["mederp.E101"]
    assert "identity.Site.address is RESTRICTED but stored in clear" in errors[0].msg


def test_an_encrypted_field_classified_low_is_an_error() -> None:
    from mederp.core.classification import INTERNAL

    original = dict(Person.data_classification)
    Person.data_classification = {**original, "notes": INTERNAL}
    try:
        assert [e.id for e in check_encryption()] == ["mederp.E104"]
    finally:
        Person.data_classification = original


@pytest.mark.django_db
def test_fingerprint_key_is_not_recreated_when_the_ledger_holds_fingerprints(
    site_a: Any, settings: Any
) -> None:
    from mederp.identity import services

    key = Path(settings.MEDERP_KEYS_DIR) / "audit-fingerprint.key"
    services.create_user(SYSTEM, username="fp1", full_name="F P", password="x-correct-horse-9")
    assert key.exists()  # created at the first fingerprint (the password hash)
    key.unlink()
    changes._fingerprint_key.cache_clear()  # a new process
    with pytest.raises(changes.FingerprintKeyMissing, match="restore the key directory"):
        services.create_user(SYSTEM, username="fp2", full_name="F Q", password="x-correct-horse-8")
    assert not key.exists()


@pytest.mark.django_db
def test_fingerprint_key_is_created_for_an_empty_ledger(settings: Any) -> None:
    key = Path(settings.MEDERP_KEYS_DIR) / "audit-fingerprint.key"
    changes._fingerprint_key.cache_clear()
    assert not key.exists()
    assert len(changes.fingerprint("x")) == len(changes.FINGERPRINT_TAG) + 16
    assert key.exists()


@pytest.mark.django_db
def test_subject_keyed_fingerprints_do_not_block_the_ledger_key(site_a: Any, settings: Any) -> None:
    """A fresh install whose first audited record is a contact (fingerprinted with the
    contact's own key) can still create the ledger's fingerprint key afterwards."""
    from mederp.data import services as data
    from mederp.identity import services

    key = Path(settings.MEDERP_KEYS_DIR) / "audit-fingerprint.key"
    key.unlink(missing_ok=True)
    changes._fingerprint_key.cache_clear()
    data.create_person(
        SYSTEM, site=site_a, name="王五", email="w5@example.com", phone="13900000000"
    )
    assert not key.exists()
    services.create_user(SYSTEM, username="after", full_name="A F", password="x-correct-horse-7")
    assert key.exists()
