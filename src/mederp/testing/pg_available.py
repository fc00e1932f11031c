"""Exit 0 when a PostgreSQL server answers at the URL given (used by the Makefile)."""

from __future__ import annotations

import sys

import psycopg


def main(url: str) -> int:
    conninfo = url.rsplit("/", 1)[0] + "/postgres"
    try:
        with psycopg.connect(conninfo, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
