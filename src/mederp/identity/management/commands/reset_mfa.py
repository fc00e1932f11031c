"""`mederp reset_mfa --user NAME --reason TEXT`: remove a user's second factors.

For a user who lost their authenticator and their recovery codes. Their sessions end; at
the next sign-in they are asked to set up two-factor authentication again. Audited as
`mfa_removed` by mederp itself, with the reason. Check the person's identity first.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from mederp.core import context


class Command(BaseCommand):
    help = "Remove a user's second factors (lost authenticator); they enroll again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True)
        parser.add_argument("--reason", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        from mederp.identity import mfa
        from mederp.identity.authz import SYSTEM
        from mederp.identity.models import User

        user = User.objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"No user {options['user']!r}.")
        try:
            with context.bind(channel="cli"):
                removed = mfa.reset(SYSTEM, user, options["reason"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"Removed {removed} authenticator(s) of {user.username}.")
