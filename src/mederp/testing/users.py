"""Test users share one password that meets the password policy."""

PASSWORD = "correct-horse-battery-staple"  # noqa: S105
