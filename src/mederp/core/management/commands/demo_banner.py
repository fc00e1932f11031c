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
        self.stdout.write("  Press Ctrl-C to stop.")
        self.stdout.write("")
