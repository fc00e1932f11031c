"""`mederp devices`: list, approve and revoke trusted devices from the command line.

The first administrator's device cannot be approved by another administrator: approve it
here (as mederp itself, audited), e.g. `mederp devices approve --user admin`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from mederp.core import context


class Command(BaseCommand):
    help = "List, approve or revoke users' trusted devices."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="list devices")
        listing.add_argument("--user", help="only this user's devices")
        approve = sub.add_parser("approve", help="approve a device")
        approve.add_argument("--user", required=True, help="the device's user")
        approve.add_argument(
            "--device", help="device id (default: the user's most recently seen active device)"
        )
        approve.add_argument("--reason", default="Approved from the command line")
        revoke = sub.add_parser("revoke", help="revoke a device")
        revoke.add_argument("--device", required=True, help="device id")
        revoke.add_argument("--reason", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        from mederp.identity import devices
        from mederp.identity.authz import SYSTEM
        from mederp.identity.models import Device

        action = options["action"]
        with context.bind(channel="cli"):
            try:
                if action == "list":
                    rows = Device.objects.select_related("user").order_by("user__username")
                    if options.get("user"):
                        rows = rows.filter(user__username=options["user"])
                    for d in rows:
                        status = (
                            "revoked"
                            if d.revoked_at
                            else "approved"
                            if d.approved_at
                            else "active (not approved)"
                        )
                        self.stdout.write(
                            f"{d.public_id}  {d.user.username:<15} {d.name:<24} "
                            f"last seen {d.last_seen_at:%Y-%m-%d %H:%M} UTC  {status}"
                        )
                    return
                if action == "approve":
                    candidates = Device.objects.active().filter(user__username=options["user"])
                    if options.get("device"):
                        candidates = candidates.filter(public_id=options["device"])
                    device = (
                        candidates.filter(approved_at__isnull=True)
                        .order_by("-last_seen_at")
                        .first()
                    )
                    if device is None:
                        raise CommandError("No active, unapproved device matches.")
                    devices.approve(SYSTEM, device, options["reason"])
                    self.stdout.write(f"Approved {device.public_id} ({device.name}).")
                    return
                device = Device.objects.filter(public_id=options["device"]).first()
                if device is None:
                    raise CommandError("No such device.")
                devices.revoke(SYSTEM, device, options["reason"])
                self.stdout.write(f"Revoked {device.public_id} ({device.name}).")
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
