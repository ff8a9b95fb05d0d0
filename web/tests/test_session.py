"""Sessions in the browser: the API's HttpOnly cookie session with CSRF, kept across reloads, renewed before the
access cookie expires, ended by logging out or by the server; login by username or e-mail; nothing secret in
script-readable storage."""

from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import expect

from users.models import AuthSession, User


def test_stays_logged_in_across_reloads_and_logs_out(people: Any) -> None:
    person = people("alice").register(first_name="Alice", last_name="A", email="alice@example.com")
    page = person.page
    page.reload()
    expect(page.get_by_role("button", name="New chat")).to_be_visible()

    cookies = {cookie["name"]: cookie for cookie in page.context.cookies()}
    assert cookies["access_token"]["httpOnly"] and cookies["refresh_token"]["httpOnly"]
    storage = page.evaluate("JSON.stringify({...localStorage, ...sessionStorage})")
    assert "eyJ" not in storage, "no token may be readable by scripts"
    assert json.loads(json.loads(storage)["messenger.session"])["user"] == str(User.objects.get().id)

    page.get_by_role("link", name="Profile").click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    assert not AuthSession.objects.exists()
    page.reload()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()

    person.login("ALICE@example.com")  # by e-mail, any case
    expect(page.get_by_role("link", name="Chats")).to_be_visible()


def test_a_page_whose_first_frame_comes_late_still_boots(people: Any) -> None:
    """On a busy machine, or in a tab opened in the background, the first frame (after which the components
    subscribe to the state) can come after the session's answer: the page must not stay at "Loading…"."""
    person = people("alice").register(first_name="Alice", last_name="A")
    page = person.page
    # No frames at all: Preact runs its effects from a 100 ms fallback timer, later than the local API answers.
    page.add_init_script("window.requestAnimationFrame = () => 0;")
    for path in ("/", "/feed", "/friends", "/profile"):
        page.goto(f"{person.base}{path}")
        expect(page.locator("#main")).to_be_visible()


def test_an_aging_session_is_renewed_before_requests(people: Any, make_user: Any) -> None:
    make_user(username="alice", first_name="Alice", last_name="A")
    person = people("alice").login()
    page = person.page
    renewals: list[str] = []
    page.on("request", lambda request: "/api/auth/cookie/refresh/" in request.url and renewals.append(request.url))
    # As if the tab had been idle for 50 minutes: the access cookie is about to expire. (Rewritten as the next
    # document starts, so the page being left cannot renew first.)
    page.context.add_init_script(
        """(() => {
            const hint = JSON.parse(localStorage.getItem("messenger.session"));
            if (!hint || hint.aged) return;
            const aged = {...hint, renewedAt: hint.renewedAt - 50 * 60 * 1000, aged: true};
            localStorage.setItem("messenger.session", JSON.stringify(aged));
        })()"""
    )
    page.reload()
    expect(page.get_by_role("button", name="New chat")).to_be_visible()
    assert len(renewals) == 1


def test_a_session_ended_by_the_server_returns_to_the_login(people: Any, make_user: Any, console_errors: Any) -> None:
    console_errors.allow(r"status of 401")
    make_user(username="alice", first_name="Alice", last_name="A")
    person = people("alice").login()
    AuthSession.objects.all().delete()  # e.g. logged out everywhere
    person.page.reload()
    expect(person.page.get_by_text("Your session has ended. Please log in again.")).to_be_visible()
    person.login()


def test_a_wrong_password_is_explained(people: Any, make_user: Any, console_errors: Any) -> None:
    console_errors.allow(r"status of 401")
    make_user(username="alice")
    person = people("alice")
    person.page.goto(f"{person.base}/login")
    person.page.get_by_label("Username or e-mail").fill("alice")
    person.page.get_by_label("Password").fill("not the password")
    person.page.get_by_role("button", name="Log in").click()
    expect(person.page.get_by_role("alert")).to_have_text("Wrong username, e-mail or password.")
