"""Browser tests: Debian's chromium driven by Playwright against the real HTTPS server.

The session cookie is `__Host-`/Secure, so the browser must talk HTTPS: the tests use the
gunicorn server of mederp.testing.servers, not Django's plain-HTTP live server.

Without /usr/bin/chromium (or the browser named by MEDERP_CHROMIUM) the browser tests are
skipped with a message, except in CI (CI=true), where a missing browser is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mederp.testing.servers import shared_https_server

CHROMIUM = Path(os.environ.get("MEDERP_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}: browser tests are mandatory in CI (CI=true).", pytrace=False)
    pytest.skip(f"Browser tests skipped: {reason}. `make browser-deps` installs chromium.")


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} not found")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("Python Playwright is not installed (pip install -e '.[dev]')")
    return CHROMIUM


@pytest.fixture(scope="session")
def server(
    chromium_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """(base_url, cert_path) of a real gunicorn HTTPS server with the demo plant loaded."""
    with shared_https_server(tmp_path_factory.mktemp("https-server")) as value:
        yield value


@pytest.fixture(scope="session")
def server_url(server: tuple[str, Path]) -> str:
    return server[0]


@pytest.fixture(scope="module")
def chromium(chromium_path: Path) -> Iterator[Any]:
    """One browser per module.

    Module scope on purpose: Playwright's sync API keeps an event loop alive while it runs,
    and Django refuses ORM calls from a thread with a running loop, so the browser must be
    gone before the database tests of other modules run.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium: Any, server_url: str) -> Iterator[Any]:
    """A fresh browser context (no cookies) in English, with the self-signed cert accepted."""
    context = chromium.new_context(
        ignore_https_errors=True,
        locale="en-US",
        viewport={"width": 1280, "height": 800},
    )
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()
