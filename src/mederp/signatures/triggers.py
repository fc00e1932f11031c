"""Database triggers that make signatures write-once (UPDATE and DELETE refused).

Row triggers only: a TRUNCATE of the whole table (test flushes, a restore) is not a way to
alter one signature, and the ledger still holds every `sign` entry.
"""

from __future__ import annotations

from typing import Any

TABLE = "signatures_signature"

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION mederp_signature_write_once() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'mederp electronic signatures are write-once: % on % refused',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;
"""


def create_sql(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [
            _PG_FUNCTION,
            f"DROP TRIGGER IF EXISTS {TABLE}_write_once ON {TABLE}",
            f"CREATE TRIGGER {TABLE}_write_once BEFORE UPDATE OR DELETE ON {TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION mederp_signature_write_once()",
        ]
    if vendor == "sqlite":
        return [
            f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_{op.lower()} BEFORE {op} ON {TABLE} "
            f"BEGIN SELECT RAISE(ABORT, 'mederp electronic signatures are write-once: {op} on "
            f"{TABLE} refused'); END"
            for op in ("UPDATE", "DELETE")
        ]
    raise NotImplementedError(f"no signature triggers for database vendor {vendor!r}")


def drop_sql(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {TABLE}_write_once ON {TABLE}"]
    return [
        f"DROP TRIGGER IF EXISTS {TABLE}_no_update",
        f"DROP TRIGGER IF EXISTS {TABLE}_no_delete",
    ]


def install(connection: Any) -> None:
    with connection.cursor() as cur:
        for statement in create_sql(connection.vendor):
            cur.execute(statement)


def uninstall(connection: Any) -> None:
    with connection.cursor() as cur:
        for statement in drop_sql(connection.vendor):
            cur.execute(statement)
