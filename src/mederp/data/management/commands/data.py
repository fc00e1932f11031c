"""`mederp data inventory [--format csv|json|md] [--output FILE]`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Data protection: print the data inventory from the classification registry."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        inv = sub.add_parser("inventory", help="every field: classification, encryption, ...")
        inv.add_argument("--format", choices=["csv", "json", "md"], default="md")
        inv.add_argument("--output", type=Path, help="write to this file instead of stdout")

    def handle(self, *args: Any, **options: Any) -> None:
        from mederp.data import inventory

        text = inventory.render(options["format"])
        if options.get("output"):
            options["output"].write_text(text, encoding="utf-8")
            self.stdout.write(f"Wrote {options['output']}")
        else:
            self.stdout.write(text, ending="")
