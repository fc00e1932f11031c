"""Password policy: Argon2id; at least 12 characters; 64 and more accepted; breached and
common passwords refused from an offline list; no composition rules."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from mederp.identity.authz import SYSTEM
from mederp.identity.passwords import BreachedPasswordValidator, MaximumLengthValidator
from mederp.testing.auth import password_login
from mederp.testing.users import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean_rate_limits() -> None:
    """Failed sign-ins of earlier tests (same process, same minute) must not rate-limit ours."""
    from django.core.cache import cache

    cache.clear()


def _errors(password: str, user: Any = None) -> list[str]:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        return [e.code for e in exc.error_list]
    return []


def test_too_short_password_is_refused() -> None:
    assert "password_too_short" in _errors("kq8-zw3-vt5")  # 11 characters
    assert _errors("kq8-zw3-vt5x") == []  # 12


@pytest.mark.parametrize("length", [64, 100, 128])
def test_long_passwords_are_accepted(length: int) -> None:
    phrase = ("river stone lantern mosaic orbit " * 5)[:length]
    assert len(phrase) == length
    assert _errors(phrase) == []


def test_absurdly_long_password_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ValidationError, match="at most 128 characters"):
        validate_password("x7" * 100)
    with pytest.raises(ValueError, match="at least 64"):
        MaximumLengthValidator(max_length=63)


@pytest.mark.parametrize(
    "password",
    ["password1234", "iloveyou12345", "qwertyuiop123", "1234567890123", "Password1234"],
)
def test_breached_and_common_passwords_are_refused(password: str) -> None:
    codes = _errors(password)
    assert "password_breached" in codes or "password_too_common" in codes, codes


def test_breached_list_is_offline_and_has_a_message() -> None:
    validator = BreachedPasswordValidator()
    with pytest.raises(ValidationError, match="breached"):
        validator.validate("iloveyou12345")
    validator.validate(PASSWORD)  # a passphrase not in the list
    assert "breached" in validator.get_help_text()


def test_no_composition_rules() -> None:
    # only lower-case letters and spaces, no digit, no symbol: fine when long and not breached
    assert _errors("lantern mosaic orbit quietly") == []


def test_password_similar_to_the_username_is_refused(make_user: Any) -> None:
    user = make_user(username="wanglei-qa")
    assert "password_too_similar" in _errors("wanglei-qa-2026", user)


def test_service_refuses_weak_password(make_user: Any) -> None:
    from mederp.identity import services

    with pytest.raises(ValidationError):
        services.create_user(SYSTEM, username="weak", full_name="Weak", password="password1234")


def test_hashes_are_argon2id(make_user: Any) -> None:
    user = make_user()
    assert identify_hasher(user.password).algorithm == "argon2"
    assert user.password.startswith("argon2$argon2id$")


def test_password_change_form_refuses_breached_and_short(client: Client, make_user: Any) -> None:
    user = make_user("sales")
    password_login(client, user.username, PASSWORD)
    for bad in ["iloveyou12345", "short-pw"]:
        response = client.post(
            "/accounts/password/change/",
            {"oldpassword": PASSWORD, "password1": bad, "password2": bad},
        )
        assert response.status_code == 200
        assert response.context["form"].errors["password1"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_no_forced_periodic_change(settings: Any) -> None:
    names = " ".join(v["NAME"] for v in settings.AUTH_PASSWORD_VALIDATORS).lower()
    assert "expir" not in names
    assert "age" not in names
    assert not any(name.startswith("MEDERP_PASSWORD_MAX_AGE") for name in dir(settings))
