"""Shared set-up for benchmarks: an isolated var/ and database, Django ready, a timer."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def parse(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the data set size")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("MEDERP_BENCH_DATABASE_URL", ""),
        help="default: a fresh SQLite file in a temporary directory",
    )
    return parser.parse_args()


def fresh_postgres(url: str) -> str:
    """Drop and create the database named in `url` (a benchmark never reuses old data)."""
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url


def postgres_available(url: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def django_setup(database_url: str = "") -> Path:
    var = Path(tempfile.mkdtemp(prefix="mederp-bench-"))
    if database_url.startswith("postgres"):
        fresh_postgres(database_url)
    os.environ["MEDERP_VAR_DIR"] = str(var)
    os.environ["MEDERP_DATABASE_URL"] = database_url or f"sqlite:///{var / 'bench.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "mederp.config.settings.base"
    os.environ.setdefault("MEDERP_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return var


def best_of(fn: Callable[[], Any], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def report(
    name: str, value: float, unit: str, ratio: float | None = None, baseline: str = "baseline"
) -> None:
    tail = f" ({ratio:.2f}x vs {baseline})" if ratio is not None else ""
    print(f"{name}: {value:,.1f} {unit}{tail}", flush=True)
