"""`mederp keys status | rotate | reencrypt | apply-destruction-list`.

See docs/operations/encryption.md.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from mederp.core import context


class Command(BaseCommand):
    help = "Encryption keys: status, KEK rotation, re-encryption, destruction list."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        st = sub.add_parser("status", help="key versions and rows per data key generation")
        st.add_argument("--json", action="store_true")
        rot = sub.add_parser(
            "rotate", help="new key-encryption key version; re-wrap every data key (online)"
        )
        rot.add_argument("--reason", required=True)
        rot.add_argument("--batch", type=int, default=1000)
        rot.add_argument(
            "--data-keys",
            action="store_true",
            help="also start a new generation of every data key (then run `keys reencrypt`)",
        )
        re = sub.add_parser(
            "reencrypt", help="move rows to the newest data keys, in batches (resumable)"
        )
        re.add_argument("--batch", type=int, default=500)
        re.add_argument("--max-batches", type=int, help="stop after this many batches")
        ap = sub.add_parser(
            "apply-destruction-list",
            help="after a database restore: destroy keys the destruction list names",
        )
        ap.add_argument("--reason", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        from mederp.data.providers import KeyProviderError

        with context.bind(channel="cli"):
            try:
                getattr(self, "do_" + options["action"].replace("-", "_"))(options)
            except (KeyProviderError, ValidationError) as exc:
                raise CommandError(str(exc)) from exc

    def _say(self, message: str) -> None:
        self.stdout.write(message)

    def do_status(self, options: dict[str, Any]) -> None:
        from mederp.data import keyops

        st = keyops.status()
        if options["json"]:
            self.stdout.write(json.dumps(st.as_dict(), indent=2, default=str))
            return
        self._say(
            f"Key-encryption key: provider {st.provider}, current version {st.kek_current} "
            f"(versions {', '.join(map(str, st.kek_versions))})"
        )
        self._say("Data keys (purpose, KEK version: live / destroyed):")
        for k in st.keys:
            self._say(
                f"  {k['purpose']:<6} {k['kek_provider']} v{k['kek_version']}: "
                f"{k['live']} live / {k['destroyed']} destroyed"
            )
        self._say("Encrypted rows:")
        for r in st.rows:
            gens = ", ".join(f"generation {g}: {n}" for g, n in r["by_generation"].items())
            self._say(
                f"  {r['model']}: {r['rows']} rows; on the newest key {r['current']}, "
                f"to re-encrypt {r['stale']}, erased {r['erased']} ({gens or 'none'})"
            )
        self._say(f"Destruction list: {st.destruction_list} keys")
        if st.listed_but_live:
            self._say(
                f"WARNING: {st.listed_but_live} keys on the destruction list still hold key "
                "material in this database (restored backup?): run "
                "`mederp keys apply-destruction-list --reason ...`"
            )

    def do_rotate(self, options: dict[str, Any]) -> None:
        from mederp.data import keyops
        from mederp.identity.authz import SYSTEM

        result = keyops.rotate(
            SYSTEM,
            reason=options["reason"],
            batch=options["batch"],
            data_keys=options["data_keys"],
            progress=self._say,
        )
        self._say(
            f"Rotated: KEK {result.provider} v{result.old_version} -> v{result.new_version}; "
            f"{result.rewrapped} data keys re-wrapped; "
            f"{result.new_data_keys} new data key generations"
        )

    def do_reencrypt(self, options: dict[str, Any]) -> None:
        from mederp.data import keyops
        from mederp.identity.authz import SYSTEM

        if options["batch"] < 1:
            raise CommandError("--batch must be at least 1")
        done = keyops.reencrypt(
            SYSTEM, batch=options["batch"], max_batches=options["max_batches"], progress=self._say
        )
        total = sum(done.values())
        self._say(f"Re-encrypted {total} rows" + (f" ({done})" if done else ""))
        remaining = sum(r["stale"] for r in keyops.status().rows)
        if remaining:
            self._say(f"{remaining} rows still to re-encrypt: run the command again.")

    def do_apply_destruction_list(self, options: dict[str, Any]) -> None:
        from mederp.data import keyops
        from mederp.identity.authz import SYSTEM

        count = keyops.apply_destruction_list(SYSTEM, reason=options["reason"])
        self._say(f"Destroyed {count} data keys named on the destruction list.")
