"""`mederp audit checkpoint | verify | prove SEQ | prove-consistency OLD NEW`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mederp.core import context


class Command(BaseCommand):
    help = "Audit ledger: sign a checkpoint, verify the whole ledger, or make proofs."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("checkpoint", help="sign a checkpoint over the ledger now")
        rotate = sub.add_parser("rotate-key", help="start signing checkpoints with a new key")
        rotate.add_argument("--reason", required=True)
        verify = sub.add_parser("verify", help="recompute and check the whole ledger")
        verify.add_argument("--json", action="store_true", help="machine-readable result")
        verify.add_argument(
            "--against", type=Path, help="directory with the external checkpoint copy to compare"
        )
        verify.add_argument(
            "--public-key",
            type=Path,
            action="append",
            help="trusted public key file or directory (repeatable); "
            "default: the server's trusted keys",
        )
        prove = sub.add_parser("prove", help="inclusion proof of entry SEQ (JSON)")
        prove.add_argument("seq", type=int)
        cons = sub.add_parser("prove-consistency", help="consistency proof between checkpoints")
        cons.add_argument("old", type=int)
        cons.add_argument("new", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        with context.bind(channel="cli"):
            getattr(self, "do_" + options["action"].replace("-", "_"))(options)

    def do_checkpoint(self, options: dict[str, Any]) -> None:
        from mederp.audit.checkpoints import create_checkpoint
        from mederp.audit.signing import SigningKeyMissing

        try:
            cp = create_checkpoint()
        except SigningKeyMissing as exc:
            raise CommandError(str(exc)) from exc
        if cp is None:
            self.stdout.write("No new entries since the last checkpoint.")
        else:
            self.stdout.write(f"Checkpoint signed: tree size {cp.tree_size}, root {cp.root_hash}")

    def do_rotate_key(self, options: dict[str, Any]) -> None:
        from django.core.exceptions import ValidationError

        from mederp.audit.checkpoints import rotate_signing_key
        from mederp.identity.authz import SYSTEM

        try:
            cp = rotate_signing_key(SYSTEM, options["reason"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        assert cp is not None  # the rotation entry itself is new
        self.stdout.write(f"New signing key {cp.key_id}; checkpoint signed at {cp.tree_size}")

    def do_verify(self, options: dict[str, Any]) -> None:
        from mederp.audit.verify import verify_ledger

        against = options.get("against")
        if against is not None and not against.is_dir():
            raise CommandError(f"{against} is not a directory")
        result = verify_ledger(against=against, public_keys=options.get("public_key"))
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))
        elif result.ok:
            self.stdout.write(
                f"OK: {result.entries} entries and {result.checkpoints} checkpoints verified"
            )
        else:
            first = result.errors[0]
            self.stderr.write(
                f"TAMPERED: first bad sequence number {first['seq']}: {first['reason']}"
            )
            for err in result.errors[1:]:
                self.stderr.write(f"  also: {err['seq']}: {err['reason']}")
        if not result.ok:
            raise SystemExit(1)

    def do_prove(self, options: dict[str, Any]) -> None:
        from mederp.audit.proofs import ProofError, inclusion

        try:
            self.stdout.write(json.dumps(inclusion(options["seq"]), indent=2, ensure_ascii=False))
        except ProofError as exc:
            raise CommandError(str(exc)) from exc

    def do_prove_consistency(self, options: dict[str, Any]) -> None:
        from mederp.audit.proofs import ProofError, consistency

        try:
            proof = consistency(options["old"], options["new"])
        except ProofError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(proof, indent=2, ensure_ascii=False))
