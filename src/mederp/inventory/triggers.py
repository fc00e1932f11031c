"""The database refuses an UPDATE of a stock movement row (installed by migration 0003).

DELETE stays possible at the database level: test databases are emptied between tests, and
the retention process may one day remove movements of destroyed records. Normal use cannot
delete them (the model and its queryset refuse, every foreign key to a lot protects it), and
in production the application's database role is granted only INSERT and SELECT on the table
(docs/user/inventory.md, "Database grants").
"""

from __future__ import annotations

from typing import Any

TABLE = "inventory_stockmove"
TRIGGER = "inventory_stockmove_no_update"

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION mederp_stockmove_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'mederp stock movements are immutable: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;
"""


def create_sql(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [
            _PG_FUNCTION,
            f"DROP TRIGGER IF EXISTS {TRIGGER} ON {TABLE}",
            f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE ON {TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION mederp_stockmove_immutable()",
        ]
    if vendor == "sqlite":
        return [
            f"CREATE TRIGGER IF NOT EXISTS {TRIGGER} BEFORE UPDATE ON {TABLE} "
            f"BEGIN SELECT RAISE(ABORT, 'mederp stock movements are immutable: UPDATE on "
            f"{TABLE} refused'); END"
        ]
    raise NotImplementedError(f"no stock-movement trigger for database vendor {vendor!r}")


def drop_sql(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {TRIGGER} ON {TABLE}"]
    return [f"DROP TRIGGER IF EXISTS {TRIGGER}"]


def install(connection: Any) -> None:
    with connection.cursor() as cur:
        for sql in create_sql(connection.vendor):
            cur.execute(sql)


def uninstall(connection: Any) -> None:
    with connection.cursor() as cur:
        for sql in drop_sql(connection.vendor):
            cur.execute(sql)
