"""identity.services.sign: re-authentication, meaning, content hash, refusals, verification."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from mederp.audit.models import AuditEntry
from mederp.identity import services as identity
from mederp.identity.authz import SYSTEM
from mederp.signatures import services
from mederp.signatures.content import canonical_content, content_hash
from mederp.signatures.models import Meaning, Method, Signature

PASSWORD = "correct-horse-battery-staple"

pytestmark = pytest.mark.django_db


def last(action: str) -> AuditEntry:
    return AuditEntry.objects.filter(action=action).latest("seq")


def test_identity_services_offers_sign() -> None:
    assert identity.sign is services.sign


def test_sign_writes_signature_bound_to_record_and_ledger(
    site_a: Any, make_user: Any, as_user: Any
) -> None:
    qa = make_user("qa_specialist", site_a)
    expected_hash = content_hash(site_a)
    with as_user(qa):
        sig = identity.sign(site_a, qa, "approved", PASSWORD, reason="Site data checked")

    assert sig.signer == qa
    assert sig.printed_name == qa.full_name
    assert sig.signer_username == qa.username
    assert sig.meaning == Meaning.APPROVED
    assert sig.method == Method.PASSWORD
    assert sig.content_hash == expected_hash
    assert len(sig.content_hash) == 64
    assert sig.object_id == str(site_a.pk)
    assert sig.record == site_a
    assert sig.site == site_a
    entry = last("sign")
    assert sig.ledger_seq == entry.seq
    assert sig.signed_at == entry.created_at
    assert entry.actor_id == qa.pk
    assert entry.object_type == "identity.site"
    assert entry.object_id == str(site_a.pk)
    assert entry.reason == "Site data checked"
    assert entry.changes["signature"] == [None, str(sig.uid)]
    assert entry.changes["meaning"] == [None, "approved"]
    assert entry.changes["content_hash"] == [None, expected_hash]
    check = services.verify(sig)
    assert check.state == services.CURRENT
    assert check.valid
    assert check.current


def test_wrong_password_is_refused_audited_and_counted(
    site_a: Any, make_user: Any, as_user: Any
) -> None:
    qa = make_user("qa_specialist", site_a)
    with as_user(qa), pytest.raises(ValidationError) as info:
        identity.sign(site_a, qa, "approved", "not-my-password")

    assert info.value.message_dict == {"password": ["The password is not correct."]}
    assert not Signature.objects.exists()
    failed = last("sign_failed")
    assert failed.actor_id == qa.pk
    assert failed.object_type == "identity.site"
    assert failed.object_id == str(site_a.pk)
    assert failed.changes["failure"] == [None, "wrong_password"]
    assert failed.changes["meaning"] == [None, "approved"]
    assert "sign" not in set(AuditEntry.objects.values_list("action", flat=True))


def test_failed_signing_counts_toward_the_account_lockout(
    site_a: Any, make_user: Any, as_user: Any, settings: Any
) -> None:
    lockout = pytest.importorskip("mederp.identity.lockout")
    settings.MEDERP_LOCKOUT_THRESHOLD = 3
    settings.MEDERP_SIGNATURE_MAX_FAILURES = 0  # only the lockout here
    qa = make_user("qa_specialist", site_a)
    for _ in range(3):
        with as_user(qa), pytest.raises(ValidationError):
            identity.sign(site_a, qa, "approved", "wrong-password-again")
    assert lockout.is_locked(qa.username)
    assert last("lockout").changes["last_failure"][1].startswith("signature")
    # a locked account cannot sign, even with the right password
    with as_user(qa), pytest.raises(PermissionDenied, match="locked"):
        identity.sign(site_a, qa, "approved", PASSWORD)
    assert last("sign_failed").changes["failure"] == [None, "locked"]


def test_too_many_failures_stop_signing_for_a_while(
    site_a: Any, make_user: Any, as_user: Any, settings: Any
) -> None:
    settings.MEDERP_SIGNATURE_MAX_FAILURES = 2
    settings.MEDERP_LOCKOUT_THRESHOLD = 10
    qa = make_user("qa_specialist", site_a)
    for _ in range(2):
        with as_user(qa), pytest.raises(ValidationError):
            identity.sign(site_a, qa, "approved", "wrong")
    with as_user(qa), pytest.raises(PermissionDenied, match="Too many failed signing"):
        identity.sign(site_a, qa, "approved", PASSWORD)
    assert last("sign_failed").changes["failure"] == [None, "throttled"]


def test_signing_for_someone_else_is_impossible(site_a: Any, make_user: Any, as_user: Any) -> None:
    qa = make_user("qa_specialist", site_a)
    colleague = make_user("qa_specialist", site_a)
    # qa is signed in and knows the colleague's password: still refused
    with as_user(qa), pytest.raises(PermissionDenied, match="own name"):
        identity.sign(site_a, colleague, "approved", PASSWORD)
    failed = last("sign_failed")
    assert failed.actor_id == qa.pk
    assert failed.changes["failure"] == [None, "not_the_signer"]
    assert failed.changes["signer"] == [None, colleague.username]
    assert not Signature.objects.exists()


def test_nobody_signed_in_cannot_sign(site_a: Any, make_user: Any, as_user: Any) -> None:
    qa = make_user("qa_specialist", site_a)
    with pytest.raises(PermissionDenied, match="own name"):
        identity.sign(site_a, qa, "approved", PASSWORD)
    with as_user(SYSTEM), pytest.raises(PermissionDenied):
        identity.sign(site_a, qa, "approved", PASSWORD)
    assert AuditEntry.objects.filter(action="sign_failed").count() == 2


def test_disabled_account_cannot_sign(site_a: Any, make_user: Any, as_user: Any) -> None:
    qa = make_user("qa_specialist", site_a)
    type(qa).objects.filter(pk=qa.pk).update(is_active=False)
    with as_user(qa), pytest.raises(PermissionDenied, match="disabled"):
        identity.sign(site_a, qa, "approved", PASSWORD)


@pytest.mark.parametrize("meaning", ["", "ok", "APPROVED", "signed"])
def test_meaning_must_come_from_the_controlled_list(
    site_a: Any, make_user: Any, as_user: Any, meaning: str
) -> None:
    qa = make_user("qa_specialist", site_a)
    with as_user(qa), pytest.raises(ValidationError, match="not a signature meaning"):
        identity.sign(site_a, qa, meaning, PASSWORD)


def test_controlled_list_of_meanings() -> None:
    assert Meaning.values == [
        "authored",
        "reviewed",
        "approved",
        "released",
        "verified",
        "rejected",
    ]


def test_same_version_same_meaning_once(site_a: Any, make_user: Any, as_user: Any) -> None:
    qa = make_user("qa_specialist", site_a)
    with as_user(qa):
        identity.sign(site_a, qa, "reviewed", PASSWORD)
        with pytest.raises(ValidationError, match="already signed"):
            identity.sign(site_a, qa, "reviewed", PASSWORD)
        identity.sign(site_a, qa, "verified", PASSWORD)  # another meaning is another act
    assert Signature.objects.count() == 2


# --- second factor ----------------------------------------------------------------------------
def test_totp_needed_for_the_first_signature_of_a_session(
    site_a: Any, make_user: Any, as_user: Any, fake_totp: dict[str, Any], session: Any
) -> None:
    qa = make_user("qa_specialist", site_a)
    fake_totp["enrolled"].add(qa.pk)
    with as_user(qa):
        with pytest.raises(ValidationError) as missing:
            identity.sign(site_a, qa, "reviewed", PASSWORD, session=session)
        assert "otp" in missing.value.message_dict
        with pytest.raises(ValidationError) as wrong:
            identity.sign(site_a, qa, "reviewed", PASSWORD, "654321", session=session)
        assert wrong.value.message_dict["otp"] == [
            "The authenticator code is not correct or was already used."
        ]
        first = identity.sign(site_a, qa, "reviewed", PASSWORD, "123456", session=session)
        assert first.method == Method.PASSWORD_TOTP
        # the rest of the session: the password alone
        second = identity.sign(site_a, qa, "verified", PASSWORD, session=session)
        assert second.method == Method.PASSWORD
    failures = list(
        AuditEntry.objects.filter(action="sign_failed").values_list("changes", flat=True)
    )
    assert [f["failure"][1] for f in failures] == ["otp_missing", "wrong_otp"]


def test_totp_every_time_without_a_session_or_when_configured(
    site_a: Any,
    make_user: Any,
    as_user: Any,
    fake_totp: dict[str, Any],
    session: Any,
    settings: Any,
) -> None:
    qa = make_user("qa_specialist", site_a)
    fake_totp["enrolled"].add(qa.pk)
    with as_user(qa):
        identity.sign(site_a, qa, "reviewed", PASSWORD, "123456", session=session)
        with pytest.raises(ValidationError, match="authenticator"):
            identity.sign(site_a, qa, "verified", PASSWORD)  # no session (API)
        settings.MEDERP_SIGNATURE_TOTP = "always"
        with pytest.raises(ValidationError, match="authenticator"):
            identity.sign(site_a, qa, "verified", PASSWORD, session=session)


def test_replayed_totp_code_is_refused(
    site_a: Any, make_user: Any, as_user: Any, fake_totp: dict[str, Any], settings: Any
) -> None:
    settings.MEDERP_SIGNATURE_TOTP = "always"
    qa = make_user("qa_specialist", site_a)
    fake_totp["enrolled"].add(qa.pk)
    with as_user(qa):
        identity.sign(site_a, qa, "reviewed", PASSWORD, "123456")
        with pytest.raises(ValidationError, match="already used"):
            identity.sign(site_a, qa, "verified", PASSWORD, "123456")


def test_real_totp_through_allauth_mfa(
    site_a: Any, make_user: Any, as_user: Any, settings: Any
) -> None:
    """With allauth.mfa installed: a TOTP authenticator, a code computed from its secret,
    and the same code refused when replayed."""
    from django.apps import apps

    if not apps.is_installed("allauth.mfa"):
        pytest.skip("allauth.mfa is not installed yet")
    from allauth.mfa.totp.internal.auth import (
        TOTP,
        format_hotp_value,
        generate_totp_secret,
        hotp_value,
        yield_hotp_counters_from_time,
    )

    settings.MEDERP_SIGNATURE_TOTP = "always"
    qa = make_user("qa_specialist", site_a)
    secret = generate_totp_secret()
    TOTP.activate(qa, secret)
    counters = list(yield_hotp_counters_from_time())
    code = format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))
    with as_user(qa):
        sig = identity.sign(site_a, qa, "reviewed", PASSWORD, code)
        assert sig.method == Method.PASSWORD_TOTP
        with pytest.raises(ValidationError, match="already used"):
            identity.sign(site_a, qa, "verified", PASSWORD, code)


# --- content hash and verification ------------------------------------------------------------
def test_change_after_signing_shows_an_earlier_version(
    site_a: Any, make_user: Any, as_user: Any
) -> None:
    qa = make_user("qa_specialist", site_a)
    with as_user(qa):
        sig = identity.sign(site_a, qa, "approved", PASSWORD)
    identity.update_site(SYSTEM, site_a, reason="Renamed", name="Site Alpha")
    check = services.verify(sig)
    assert check.state == services.EARLIER_VERSION
    assert check.valid
    assert not check.current
    assert check.state_label == "Applies to an earlier version"
    # the change back restores the signed content: the signature applies again
    identity.update_site(SYSTEM, site_a, reason="Renamed back", name="Site A")
    assert services.verify(sig).state == services.CURRENT


def test_signature_copied_to_another_record_fails_verification(
    site_a: Any, site_b: Any, make_user: Any, as_user: Any
) -> None:
    qa = make_user("qa_specialist", None)
    with as_user(qa):
        sig = identity.sign(site_a, qa, "approved", PASSWORD)
        other = identity.sign(site_b, qa, "approved", PASSWORD)

    # presented for another record
    check = services.verify(sig, site_b)
    assert check.state == services.INVALID
    assert "belongs to another record" in check.problems

    # the row pointed at another record (in memory: the database refuses the UPDATE)
    moved = Signature.objects.get(pk=sig.pk)
    moved.object_id = str(site_b.pk)
    check = services.verify(moved)
    assert check.state == services.INVALID
    assert "record id" in check.problems

    # the hash of the other record copied in as well
    moved.content_hash = content_hash(site_b)
    assert services.verify(moved).state == services.INVALID

    # a new row for record B reusing A's signature (its ledger entry) as a copy
    with pytest.raises(IntegrityError), transaction.atomic():
        Signature.objects.create(
            content_type=sig.content_type,
            object_id=str(site_b.pk),
            site=site_b,
            signer=qa,
            printed_name=sig.printed_name,
            signer_username=sig.signer_username,
            meaning=sig.meaning,
            signed_at=sig.signed_at,
            content_hash=content_hash(site_b),
            method=sig.method,
            ledger_seq=sig.ledger_seq,
        )
    forged = Signature.objects.create(
        content_type=sig.content_type,
        object_id=str(site_b.pk),
        site=site_b,
        signer=qa,
        printed_name=sig.printed_name,
        signer_username=sig.signer_username,
        meaning="released",
        signed_at=sig.signed_at,
        content_hash=content_hash(site_b),
        method=sig.method,
        ledger_seq=AuditEntry.objects.latest("seq").seq + 1000,
    )
    assert services.verify(forged).state == services.INVALID
    assert "no ledger entry" in services.verify(forged).problems
    # the genuine signature of B is still fine, and so is A's for A
    assert services.verify(other).state == services.CURRENT
    assert services.verify(sig).state == services.CURRENT
    # another signer's name on the row
    renamed = Signature.objects.get(pk=sig.pk)
    renamed.printed_name = "Someone Else"
    assert services.verify(renamed).state == services.INVALID


def test_signatures_are_write_once_in_the_database(
    site_a: Any, make_user: Any, as_user: Any
) -> None:
    qa = make_user("qa_specialist", site_a)
    with as_user(qa):
        sig = identity.sign(site_a, qa, "approved", PASSWORD)
    table = Signature._meta.db_table
    for statement in (
        f"UPDATE {table} SET object_id = 'x' WHERE id = %s",
        f"DELETE FROM {table} WHERE id = %s",
    ):
        with (
            pytest.raises(Exception, match="write-once"),
            transaction.atomic(),
            connection.cursor() as cur,
        ):
            cur.execute(statement, [sig.pk])
    assert Signature.objects.get(pk=sig.pk).object_id == str(site_a.pk)


def test_content_hash_binds_type_and_id_and_ignores_volatile_fields(
    site_a: Any, site_b: Any, make_user: Any
) -> None:
    user = make_user()
    content = canonical_content(user)
    assert content["type"] == "identity.user"
    assert content["id"] == str(user.pk)
    assert "last_login" not in content["content"]
    assert content["content"]["password"] != user.password  # fingerprinted, never in clear
    before = content_hash(user)
    from django.utils import timezone

    user.last_login = timezone.now()
    assert content_hash(user) == before
    user.full_name = "Another Name"
    assert content_hash(user) != before
    # equal fields, different records: different hashes
    assert content_hash(site_a) != content_hash(site_b)


def test_unsaved_record_cannot_be_signed(make_user: Any, as_user: Any) -> None:
    from mederp.identity.models import Site

    qa = make_user()
    with as_user(qa), pytest.raises(ValidationError, match="saved"):
        identity.sign(Site(code="X"), qa, "approved", PASSWORD)
