from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from mederp.core import context


class Command(BaseCommand):
    help = "Load the demo plant (idempotent) and print the demo logins."

    def handle(self, *args: Any, **options: Any) -> None:
        from mederp.demo import plant

        with context.bind(channel="cli"):
            created = plant.load()
        self.stdout.write(
            "Demo plant: " + ", ".join(f"{n} {k} created" for k, n in created.items())
        )
