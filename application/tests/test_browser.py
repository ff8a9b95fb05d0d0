"""The browser fixture itself (application/tests/browser.py): Debian's Chromium, its flags, console errors."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from application.tests.browser import CHROMIUM, ConsoleErrors


def test_it_is_debians_chromium(browser: Browser, browser_type_launch_args: dict[str, Any]) -> None:
    assert browser_type_launch_args["executable_path"] == CHROMIUM
    assert "--no-sandbox" in browser_type_launch_args["args"]
    assert browser.version.split(".")[0].isdigit()


def test_fake_microphone_records_without_a_prompt(page: Page, live_server: Any) -> None:
    page.goto(f"{live_server.url}/admin/login/")  # getUserMedia needs a secure context: localhost is one
    size = page.evaluate(
        """async () => {
            const stream = await navigator.mediaDevices.getUserMedia({audio: true});
            const recorder = new MediaRecorder(stream);
            const chunks = [];
            recorder.ondataavailable = (event) => chunks.push(event.data);
            const stopped = new Promise((resolve) => (recorder.onstop = resolve));
            recorder.start();
            await new Promise((resolve) => setTimeout(resolve, 300));
            recorder.stop();
            await stopped;
            stream.getTracks().forEach((track) => track.stop());
            return new Blob(chunks).size;
        }"""
    )
    assert size > 0


def test_console_errors_are_collected_unless_allowed(page: Page, console_errors: ConsoleErrors) -> None:
    console_errors.allow("expected one")
    page.set_content("<p>x</p>")
    page.evaluate("console.error('expected one'); console.error('unexpected two'); console.log('fine')")
    page.evaluate("setTimeout(() => { throw new Error('boom'); })")
    page.wait_for_timeout(100)
    errors = console_errors.take()
    assert len(errors) == 2
    assert "unexpected two" in errors[0]
    assert "boom" in errors[1]


def test_a_page_of_the_live_server(page: Page, live_server: Any, make_user: Any) -> None:
    """Django's live server in Chromium, with the ORM usable beside Playwright's sync API in the same test."""
    make_user(username="admin1", is_staff=True, is_superuser=True)
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username:").fill("admin1")
    page.get_by_label("Password:").fill("correct-horse-battery-staple")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()


@pytest.mark.parametrize("width", [360])
def test_viewport_width(new_context: Any, width: int) -> None:
    page = new_context(viewport={"width": width, "height": 740}).new_page()
    page.set_content("<p>x</p>")
    assert page.evaluate("window.innerWidth") == width
