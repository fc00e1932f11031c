"""`mederp changepassword` is refused: Django's version would bypass the service layer, so the
change would not be in the audit ledger and the user's other sessions would stay open."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Refused in mederp: passwords change through audited paths only."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username", nargs="?")

    def handle(self, *args: Any, **options: Any) -> None:
        raise CommandError(
            "mederp does not change passwords from the command line: users change their own "
            "in the UI (Change password), and an administrator who must lock someone out "
            "disables the account; both are recorded in the audit ledger."
        )
