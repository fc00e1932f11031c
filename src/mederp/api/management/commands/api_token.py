"""`mederp api_token issue | revoke | list`: API tokens for programs (ERP links, scanners)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from mederp.core import context


class Command(BaseCommand):
    help = "Issue, revoke and list API tokens. The token is printed once, at issue."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        issue = sub.add_parser("issue")
        issue.add_argument("--user", required=True, help="username the token acts as")
        issue.add_argument("--name", required=True)
        issue.add_argument("--scopes", required=True, help="comma-separated permission codes")
        issue.add_argument("--days", type=int, default=90)
        issue.add_argument("--reason", required=True)
        revoke = sub.add_parser("revoke")
        revoke.add_argument("token_id", help="the 12-character token id")
        revoke.add_argument("--reason", required=True)
        sub.add_parser("list")

    def handle(self, *args: Any, **options: Any) -> None:
        from mederp.api import services
        from mederp.api.models import ApiToken
        from mederp.identity.authz import SYSTEM
        from mederp.identity.models import User

        with context.bind(channel="cli"):
            try:
                if options["action"] == "issue":
                    user = User.objects.filter(username=options["user"]).first()
                    if user is None:
                        raise CommandError(f"no user {options['user']!r}")
                    scopes = [s.strip() for s in options["scopes"].split(",") if s.strip()]
                    token, secret = services.issue_token(
                        SYSTEM,
                        user=user,
                        name=options["name"],
                        scopes=scopes,
                        days=options["days"],
                        reason=options["reason"],
                    )
                    self.stdout.write(
                        f"Token {token.prefix} for {user.username}, expires "
                        f"{token.expires_at:%Y-%m-%d}. Store it now; it is not "
                        "shown again:"
                    )
                    self.stdout.write(secret)
                elif options["action"] == "revoke":
                    found = ApiToken.objects.filter(prefix=options["token_id"]).first()
                    if found is None:
                        raise CommandError(f"no token {options['token_id']!r}")
                    services.revoke_token(SYSTEM, found, options["reason"])
                    self.stdout.write(f"Token {found.prefix} revoked.")
                else:
                    for t in ApiToken.objects.select_related("user"):
                        state = "active" if t.active else "revoked/expired"
                        self.stdout.write(
                            f"{t.prefix}  {t.user.username:<15} {state:<16} "
                            f"{t.expires_at:%Y-%m-%d}  {t.name}  "
                            f"[{', '.join(t.scopes)}]"
                        )
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
