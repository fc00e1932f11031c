"""`mederp inventory check`: prove that every cached stock balance equals the ledger sum."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mederp.core import context


class Command(BaseCommand):
    help = "Inventory: check that the stock balances equal the sums of the movement ledger."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="compare every balance with the ledger sum")
        check.add_argument("--json", action="store_true", help="machine-readable result")

    def handle(self, *args: Any, **options: Any) -> None:
        with context.bind(channel="cli"):
            getattr(self, "do_" + options["action"])(options)

    def do_check(self, options: dict[str, Any]) -> None:
        from mederp.inventory.models import Location, Lot, StockBalance, StockMove
        from mederp.inventory.selectors import balance_mismatches

        mismatches = balance_mismatches()
        moves = StockMove.objects.count()
        balances = StockBalance.objects.count()
        lots = dict(
            Lot.objects.filter(pk__in={m.lot_id for m in mismatches}).values_list("pk", "number")
        )
        places = dict(
            Location.objects.filter(pk__in={m.location_id for m in mismatches}).values_list(
                "pk", "code"
            )
        )
        rows = [
            {
                "lot": lots.get(m.lot_id, str(m.lot_id)),
                "location": places.get(m.location_id, str(m.location_id)),
                "ledger": format(m.ledger.normalize(), "f"),
                "balance": format(m.cached.normalize(), "f"),
            }
            for m in mismatches
        ]
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {"ok": not rows, "moves": moves, "balances": balances, "mismatches": rows}
                )
            )
        elif not rows:
            self.stdout.write(
                f"OK: {balances} stock balances equal the sums of {moves} ledger movements."
            )
        for row in rows if not options["json"] else []:
            self.stderr.write(
                f"MISMATCH lot {row['lot']} at {row['location']}: "
                f"ledger {row['ledger']}, balance {row['balance']}"
            )
        if rows:
            raise CommandError(
                f"{len(rows)} stock balance(s) differ from the ledger ({moves} movements)."
            )
