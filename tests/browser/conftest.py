"""Real server, real Chromium: fixtures for the browser tests.

The server is the real one (``server.py``). Chromium is Debian's (``apt-get install
chromium``); a test tool's own browser download is not used. Without Chromium or
Playwright the tests skip with the reason, except in CI (``CI=true``), where they fail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.browser.server import REPO, Server, running_server

SCREENSHOTS = REPO / "artifacts" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
DESKTOP = {"width": 1280, "height": 900}
NARROW = {"width": 400, "height": 860}


@dataclass
class ConsoleLog:
    """Errors the page reported: script errors and Content-Security-Policy violations."""

    errors: list[str] = field(default_factory=list)

    def unexpected(self) -> list[str]:
        # A page answered 404/422 on purpose is reported as a failed resource load.
        return [e for e in self.errors if not e.startswith("Failed to load resource")]


def _missing(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install -r requirements-dev.txt)")
    if not CHROMIUM.exists():
        _missing(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def expect(browser: Any) -> Any:
    """Playwright's assertions, as a fixture so a missing Playwright skips (or fails in CI)
    with its reason instead of breaking collection."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect


@pytest.fixture(scope="session")
def server(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the session; each test makes the runs it needs."""
    with running_server(tmp_path_factory.mktemp("server")) as running:
        yield running


@pytest.fixture
def fresh_server(browser: Any, tmp_path: Path) -> Iterator[Server]:
    """A server with no runs at all, for what a first-time user sees."""
    with running_server(tmp_path / "fresh") as running:
        yield running


@pytest.fixture
def console() -> ConsoleLog:
    return ConsoleLog()


@pytest.fixture
def page(browser: Any, console: ConsoleLog) -> Iterator[Any]:
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True)
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    tab.on("console", lambda msg: console.errors.append(msg.text) if msg.type == "error" else None)
    tab.on("pageerror", lambda exc: console.errors.append(f"page error: {exc}"))
    try:
        yield tab
    finally:
        context.close()
    assert console.unexpected() == [], "the page reported errors"


def screenshot(page: Any, name: str) -> None:
    """Full-page pictures at desktop and phone width, kept as artefacts of the run."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-1280.png"), full_page=True)
    page.set_viewport_size(NARROW)
    page.wait_for_timeout(150)  # charts resize on the next frame
    page.screenshot(path=str(SCREENSHOTS / f"{name}-400.png"), full_page=True)
    page.set_viewport_size(DESKTOP)
    page.wait_for_timeout(150)
