from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Print the demo URL and logins."

    def handle(self, *args: Any, **options: Any) -> None:
        from mederp.demo.plant import DEMO_PASSWORD, USERS

        bind = os.environ.get("MEDERP_BIND", "127.0.0.1:8443")
        self.stdout.write("")
        self.stdout.write(f"  mederp demo plant is starting on  https://{bind}/")
        self.stdout.write("  (self-signed certificate: accept it in your browser once)")
        self.stdout.write("")
        self.stdout.write(f"  Demo logins (password for all: {DEMO_PASSWORD})")
        for user in USERS:
            where = user.site or "all sites"
            self.stdout.write(f"    {user.username:<11} {user.role:<22} {where}")
        self.stdout.write("")
        self._sign_in_security()
        self.stdout.write("  Press Ctrl-C to stop.")
        self.stdout.write("")

    def _sign_in_security(self) -> None:
        from django.conf import settings

        relaxed_mfa = "*" in settings.MEDERP_MFA_EXEMPT_ROLES
        if relaxed_mfa or not settings.MEDERP_DEVICE_BINDING:
            self.stdout.write("  Demo sign-in security is relaxed: no second factor is required")
            self.stdout.write("  and Administrator / Quality Manager need no approved device.")
            self.stdout.write("  Set up two-factor from the user menu to try it (it is then")
            self.stdout.write("  asked at every sign-in).")
            self.stdout.write("  Production policy: make demo DEMO_SECURITY=strict")
        else:
            self.stdout.write("  Sign-in security as in production: every user enrolls an")
            self.stdout.write("  authenticator app at first sign-in; admin and qm act only from")
            self.stdout.write("  approved devices (approve the first one with")
            self.stdout.write("  `.venv/bin/mederp devices approve --user admin`).")
        self.stdout.write("")
