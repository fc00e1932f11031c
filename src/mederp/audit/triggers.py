"""Database triggers that make the ledger tables append-only (UPDATE/DELETE/TRUNCATE refused).

Installed by migration 0002. Someone with owner rights can still drop them, which is why the
ledger is also hash-chained into signed checkpoints: see docs/operations/audit.md.
"""

from __future__ import annotations

from typing import Any

PROTECTED_TABLES = ("audit_auditentry", "audit_checkpoint")

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION mederp_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'mederp audit ledger is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;
"""


def create_sql(vendor: str) -> list[str]:
    statements: list[str] = []
    if vendor == "postgresql":
        statements.append(_PG_FUNCTION)
        for table in PROTECTED_TABLES:
            statements += [
                f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION mederp_ledger_append_only()",
                f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION mederp_ledger_append_only()",
            ]
    elif vendor == "sqlite":
        for table in PROTECTED_TABLES:
            for op in ("UPDATE", "DELETE"):
                statements.append(
                    f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'mederp audit ledger is append-only: {op} on "
                    f"{table} refused'); END"
                )
    else:
        raise NotImplementedError(f"no ledger triggers for database vendor {vendor!r}")
    return statements


def drop_sql(vendor: str) -> list[str]:
    statements: list[str] = []
    for table in PROTECTED_TABLES:
        if vendor == "postgresql":
            statements += [
                f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
                f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
            ]
        else:
            statements += [
                f"DROP TRIGGER IF EXISTS {table}_no_update",
                f"DROP TRIGGER IF EXISTS {table}_no_delete",
            ]
    return statements


def installed(connection: Any) -> set[str]:
    """Names of the append-only triggers present in the database."""
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cur.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        return {row[0] for row in cur.fetchall()}


def expected(vendor: str) -> set[str]:
    if vendor == "postgresql":
        return {f"{t}_{kind}" for t in PROTECTED_TABLES for kind in ("append_only", "no_truncate")}
    return {f"{t}_no_{op}" for t in PROTECTED_TABLES for op in ("update", "delete")}


def install(connection: Any) -> None:
    with connection.cursor() as cur:
        for sql in create_sql(connection.vendor):
            cur.execute(sql)


def uninstall(connection: Any) -> None:
    with connection.cursor() as cur:
        for sql in drop_sql(connection.vendor):
            cur.execute(sql)
