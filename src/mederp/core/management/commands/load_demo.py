from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from mederp.core import context


class Command(BaseCommand):
    help = "Load the demo plant (idempotent) and print the demo logins."

    def handle(self, *args: Any, **options: Any) -> None:
        from mederp.audit.checkpoints import create_checkpoint
        from mederp.demo import plant

        with context.bind(channel="cli"):
            created = plant.load()
            # The demo data ends with a signed checkpoint, so `audit verify` has one to check.
            checkpoint = create_checkpoint()
        self.stdout.write(
            "Demo plant: " + ", ".join(f"{n} {k} created" for k, n in created.items())
        )
        if checkpoint is not None:
            self.stdout.write(f"Audit checkpoint signed at tree size {checkpoint.tree_size}")
