"""Browser tests with Playwright, driving Debian's Chromium (a pytest plugin, registered by the root conftest.py).

Playwright cannot download its own browsers here, so pytest-playwright's fixtures (`browser`, `new_context`,
`context`, `page`; its `--headed`, `--slowmo`, `--tracing` options) are pointed at `/usr/bin/chromium`
(`CHROMIUM_BIN` overrides it), with flags that keep it from calling home and give it a fake microphone and camera.

Every context made through these fixtures fails its test when a page logs an error to the console or throws an
uncaught exception — a failed request (4xx/5xx) is logged by Chromium as a console error too. A test that
provokes one on purpose says so first: `console_errors.allow(r"status of 401")`.

    def test_admin_login(page, live_server, console_errors):
        page.goto(f"{live_server.url}/admin/login/")
        expect(page.get_by_label("Username:")).to_be_visible()
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

CHROMIUM = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # getUserMedia answers with a generated tone (audio) and test pattern (video), without a permission prompt.
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]


def pytest_configure(config: pytest.Config) -> None:
    # pytest-playwright's fallback `base_url` fixture is a method of a plugin object, which pytest 9 deprecates.
    config.addinivalue_line(
        "filterwarnings", "ignore:Session-scoped fixtures defined as instance methods:pytest.PytestRemovedIn10Warning"
    )


@pytest.fixture(scope="session")
def playwright(playwright: Any) -> Any:
    """pytest-playwright's Playwright. Its sync API leaves an asyncio loop registered as running in the main thread
    for the rest of the session, which Django takes for an async context and then refuses every ORM call of the
    tests (SynchronousOnlyOperation); nothing here runs async code, so that check is turned off once it starts."""
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    return playwright


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright's launch options (from its command line) plus Debian's Chromium and our flags."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install chromium` (scripts/test.sh does it) or set CHROMIUM_BIN")
    headless = browser_type_launch_args.get("headless", True)
    args = [arg for arg in CHROMIUM_ARGS if headless or arg != "--headless"]
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": args}


@pytest.fixture(scope="session")
def browser(db_sessions_closed: None, browser: Any) -> Any:
    """pytest-playwright's browser, closed before the test database is dropped: Chromium's keep-alive connections
    hold live-server threads, each with a database session (db_sessions_closed waits for them)."""
    return browser


class ConsoleErrors:
    """Errors logged by the pages of a test's browser contexts; those matching an allowed pattern are ignored."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        # Chromium asks every origin for /favicon.ico by itself: its 404 is not the page's error.
        self.allowed: list[re.Pattern[str]] = [re.compile(r"/favicon\.ico\)$")]

    def allow(self, pattern: str) -> None:
        self.allowed.append(re.compile(pattern))

    def record(self, text: str) -> None:
        if not any(pattern.search(text) for pattern in self.allowed):
            self.errors.append(text)

    def watch(self, context: Any) -> None:
        def on_console(message: Any) -> None:
            if message.type == "error":
                location = message.location.get("url", "")
                self.record(f"console: {message.text} ({location})")

        context.on("console", on_console)
        context.on("weberror", lambda error: self.record(f"uncaught: {error.error}"))

    def take(self) -> list[str]:
        errors, self.errors = self.errors, []
        return errors


@pytest.fixture
def console_errors() -> ConsoleErrors:
    return ConsoleErrors()


@pytest.fixture
def new_context(new_context: Callable[..., Any], console_errors: ConsoleErrors) -> Iterator[Callable[..., Any]]:
    """pytest-playwright's context factory, with every context's console errors failing the test."""

    def make(**kwargs: Any) -> Any:
        context = new_context(**kwargs)
        console_errors.watch(context)
        return context

    yield make
    errors = console_errors.take()
    assert not errors, "the browser logged errors:\n" + "\n".join(errors)
