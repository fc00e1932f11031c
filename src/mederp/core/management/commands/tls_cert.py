from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from mederp.core.tls import ensure_self_signed


class Command(BaseCommand):
    help = "Create a self-signed TLS certificate under var/tls/ unless one exists."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dir", default=str(Path(settings.VAR_DIR) / "tls"))

    def handle(self, *args: Any, **options: Any) -> None:
        cert, key, created = ensure_self_signed(Path(options["dir"]))
        word = "created" if created else "kept"
        self.stdout.write(f"TLS certificate {word}: {cert} (key {key})")
