"""The web client in Chromium, as a person reaches it: nginx serving the built client (web/dist) in front of Django's
live server and Centrifugo, with the relay delivering events — all on free loopback ports (centrifugo/tests/stack.py),
driven through Playwright (application/tests/browser.py)."""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.signals import request_finished, request_started
from playwright.sync_api import Page, expect

from conftest import PASSWORD, wait_for_other_sessions

DIST = Path(settings.BASE_DIR) / "web" / "dist"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
_people = itertools.count(1)
# The machine running the suite may be busy (2 shared cores): what a person waits for may take some seconds.
expect.set_options(timeout=15_000)


@dataclass
class Messenger:
    url: str
    nginx: Any
    centrifugo: Any
    redis_url: str


class RequestsInFlight:
    """The requests the live server's threads are handling (Django's request_started and request_finished)."""

    def __init__(self) -> None:
        self.count, self.changed = 0, time.monotonic()
        self.lock = threading.Lock()

    def started(self, **_: Any) -> None:
        with self.lock:
            self.count, self.changed = self.count + 1, time.monotonic()

    def finished(self, **_: Any) -> None:
        with self.lock:
            self.count, self.changed = self.count - 1, time.monotonic()

    def wait_quiet(self, quiet: float = 0.3, timeout: float = 10) -> None:
        """Until none has been running for `quiet` s: one a closing page sent may still be on its way through
        nginx when the last one finishes."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if self.count <= 0 and time.monotonic() - self.changed >= quiet:
                    return
            time.sleep(0.05)


@pytest.fixture(scope="session")
def requests_in_flight() -> Iterator[RequestsInFlight]:
    tracker = RequestsInFlight()
    request_started.connect(tracker.started, dispatch_uid="web-tests-in-flight")
    request_finished.connect(tracker.finished, dispatch_uid="web-tests-in-flight")
    yield tracker
    request_started.disconnect(dispatch_uid="web-tests-in-flight")
    request_finished.disconnect(dispatch_uid="web-tests-in-flight")


@pytest.fixture
def messenger(
    nginx_server: Any,
    relay: Any,
    centrifugo: Any,
    redis_url: str,
    settings: Any,
    live_server: Any,
    requests_in_flight: RequestsInFlight,
) -> Iterator[Messenger]:
    """The whole stack behind nginx. Uploads land where nginx serves /media/ from, under its URL; ephemeral events
    (typing) go straight to this Centrifugo."""
    if not (DIST / "index.html").is_file():
        pytest.fail("web/dist is not built: scripts/web-build.sh (make test runs it)")
    settings.MEDIA_ROOT = nginx_server.media
    settings.MEDIA_URL = f"{nginx_server.url}/media/"
    settings.CENTRIFUGO_API_URL = centrifugo.api_url
    yield Messenger(nginx_server.url, nginx_server, centrifugo, redis_url)
    # Torn down after the people's browser contexts, before the test's tables are emptied: a request a page sent
    # just before it closed may still be running in a live-server thread, and the TRUNCATE deadlocked with it (a
    # 500 for the request, and a flush that failed the next test). Its session may not be busy yet (the request
    # is still in Python, or on its way through nginx): the requests themselves are waited for first.
    requests_in_flight.wait_quiet()
    wait_for_other_sessions(busy_only=True)


class Person:
    """One person's browser (a context of its own: cookies, storage) on the messenger."""

    def __init__(self, page: Page, base: str, username: str) -> None:
        self.page, self.base, self.username = page, base, username

    # ------------------------------------------------------------------ session
    def register(self, *, first_name: str, last_name: str = "", avatar: Path | None = None, email: str = "") -> Person:
        page = self.page
        page.goto(f"{self.base}/register")
        if avatar:
            page.get_by_label("Choose an avatar").set_input_files(str(avatar))
        page.get_by_label("Username", exact=True).fill(self.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_label("First name").fill(first_name)
        page.get_by_label("Last name").fill(last_name)
        if email:
            page.get_by_label("E-mail (optional)").fill(email)
        page.get_by_role("button", name="Register").click()
        expect(page.get_by_role("button", name="New chat")).to_be_visible()
        return self

    def login(self, identifier: str | None = None) -> Person:
        page = self.page
        page.goto(f"{self.base}/login")
        page.get_by_label("Username or e-mail").fill(identifier or self.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.locator("#chat-search")).to_be_visible()  # the chat list, in any language
        self.wait_connected()
        return self

    def wait_connected(self) -> None:
        expect(self.page.locator(".connection-banner")).to_have_count(0, timeout=15_000)

    # ------------------------------------------------------------------ chats
    def chat_row(self, title: str) -> Any:
        return self.page.get_by_role("list", name="Chats").get_by_role("link").filter(has_text=title)

    def start_private_chat(self, username: str) -> None:
        page = self.page
        page.get_by_role("button", name="New chat").click()
        page.get_by_label("Find people").fill(username)
        page.get_by_role("listitem").filter(has_text=f"@{username}").get_by_role("button", name="Message").click()
        expect(self.log).to_be_visible()

    def open_chat(self, title: str) -> None:
        self.chat_row(title).click()
        expect(self.page.get_by_role("heading", level=1, name=title)).to_be_visible()

    @property
    def log(self) -> Any:
        return self.page.get_by_role("log", name="Messages")

    @property
    def composer(self) -> Any:
        return self.page.get_by_label("Message", exact=True)

    def send(self, text: str) -> None:
        self.composer.fill(text)
        self.composer.press("Enter")
        expect(self.message(text)).to_be_visible()
        expect(self.page.locator("[data-pending]")).to_have_count(0)

    def message(self, text: str) -> Any:
        """The log's message whose text is exactly `text`."""
        return self.log.locator("li.message").filter(
            has=self.page.locator("p.text", has_text=re.compile(f"^{re.escape(text)}$"))
        )

    def texts(self) -> list[str]:
        return self.log.locator("li.message p.text").all_inner_texts()

    def message_action(self, text: str, action: str) -> None:
        message = self.message(text)
        message.hover()
        message.get_by_role("button", name="Message actions").click()
        self.page.get_by_role("menuitem", name=action).click()


@pytest.fixture
def people(
    messenger: Messenger, new_context: Callable[..., Any], console_errors: Any
) -> Iterator[Callable[..., Person]]:
    """people(viewport=DESKTOP) -> a Person in a fresh browser context, on the messenger's origin."""

    def make(username: str | None = None, viewport: dict[str, int] | None = None, **context: Any) -> Person:
        context.setdefault("locale", "en-US")
        page = new_context(viewport=viewport or DESKTOP, **context).new_page()
        page.set_default_timeout(15_000)
        return Person(page, messenger.url, username or f"person{next(_people)}")

    yield make


@pytest.fixture
def alice_to_bob(people: Callable[..., Person], make_user: Callable[..., Any]) -> Person:
    """Alice, just registered, in a new private chat with Bob (who is not logged in)."""
    make_user(username="bob", first_name="Bob", last_name="X")
    alice = people("alice").register(first_name="Alice")
    alice.start_private_chat("bob")
    return alice
