"""Rate limits: the API's throttle (on in production) answers 429 with `Retry-After`. A throttled send waits and is
sent again with its Idempotency-Key, holding the chat's later messages behind it; a throttled forward waits and is
sent once; a throttled read is asked again with no error shown; a throttled reaction says to try again shortly.

The 429s are the real server's: `UserRateThrottle` as `THROTTLE=on` installs it, at a rate the test sets when it
wants the person's allowance used up (requests of their own session, made beside the browser)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from django.core.cache import cache
from playwright.sync_api import Response, Route, expect
from rest_framework.views import APIView

from application.throttling import UserRateThrottle
from chats.services import chat_create
from messages.services import message_create
from web.tests.test_sending import stored

# One request a second: a throttled request is told `Retry-After: 1`.
RATE = "1/second"


@pytest.fixture
def throttle(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Any], None]]:
    """throttle(person): from now on the API allows the person one request a second, and this second's is used up
    (it answered a request of theirs with 429). Until then nothing is throttled.

    `THROTTLE` is read when the views are imported (DRF's DEFAULT_THROTTLE_CLASSES): the class it installs is put
    in place here; the rates are read at each request (application/throttling.py)."""
    monkeypatch.setattr(APIView, "throttle_classes", [UserRateThrottle])
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "user": None}
    cache.clear()

    def use_up(person: Any) -> None:
        settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "user": RATE}
        session = requests.Session()
        for cookie in person.page.context.cookies():
            session.cookies.set(cookie["name"], cookie["value"])
        for _ in range(10):
            if session.get(f"{person.base}/api/chats/unread/", timeout=10).status_code == 429:
                return
        raise AssertionError("the API did not throttle")

    yield use_up
    cache.clear()


def test_a_throttled_message_waits_and_keeps_its_place(
    alice_to_bob: Any, console_errors: Any, throttle: Callable[[Any], None]
) -> None:
    console_errors.allow(r"status of 429")
    alice = alice_to_bob
    # Alice's first send is held on its way until her allowance is used up: the server then throttles it.
    held: list[Route] = []
    sends: list[tuple[str | None, int]] = []  # each send's Idempotency-Key and the status it got, in order

    def hold_the_first(route: Route) -> None:
        if route.request.method == "POST" and not held:
            held.append(route)
        else:
            route.continue_()

    def answered(response: Response) -> None:
        request = response.request
        if request.method == "POST" and request.url.endswith("/api/messages/"):
            sends.append((request.headers.get("idempotency-key"), response.status))

    alice.page.route("**/api/messages/", hold_the_first)
    alice.page.on("response", answered)
    alice.composer.fill("first")
    alice.composer.press("Enter")
    alice.composer.fill("second")
    alice.composer.press("Enter")
    pending = alice.page.locator("[data-pending]")
    expect(pending).to_have_count(2)
    for _ in range(300):
        if held:
            break
        alice.page.wait_for_timeout(50)
    throttle(alice)
    held[0].continue_()

    # It waits, saying so, and "second" waits behind it (the wait lasts a second: watched frame by frame).
    alice.page.wait_for_function(
        """() => {
            const [first, second] = document.querySelectorAll("[data-pending]");
            return /Waiting… retry in 1 s/.test(first?.textContent) && /Sending…/.test(second?.textContent);
        }"""
    )
    expect(alice.page.get_by_role("alert")).to_have_count(0)  # neither refused nor "Not sent"

    expect(pending).to_have_count(0)
    assert stored() == ["first", "second"]
    assert alice.texts() == ["first", "second"]
    # "first" was throttled and sent again with the same key (as often as it took), and only then "second" went.
    keys = [key for key, _ in sends]
    first, second = keys[0], keys[-1]
    assert first and second and first != second
    assert sends[0] == (first, 429) and keys.count(first) >= 2
    assert keys == [first] * keys.count(first) + [second] * keys.count(second)


def test_a_throttled_read_is_asked_again_with_no_error_shown(
    alice_to_bob: Any, console_errors: Any, throttle: Callable[[Any], None]
) -> None:
    console_errors.allow(r"status of 429")
    alice = alice_to_bob
    alice.send("hello")
    reads: list[int] = []

    def answered(response: Response) -> None:
        if response.request.method == "GET":
            reads.append(response.status)

    alice.page.on("response", answered)
    # Anything said in an alert, however briefly, is remembered.
    alice.page.add_init_script(
        """new MutationObserver(() => {
            if (document.querySelector("[role=alert]")) window.alerted = true;
        }).observe(document, { childList: true, subtree: true });"""
    )

    throttle(alice)
    alice.page.reload()  # her session, the chat list and the chat's messages: one request a second
    expect(alice.message("hello")).to_be_visible(timeout=30_000)
    assert 429 in reads
    assert alice.page.evaluate("window.alerted") is None


def test_a_throttled_reaction_says_to_try_again(
    alice_to_bob: Any, console_errors: Any, throttle: Callable[[Any], None]
) -> None:
    console_errors.allow(r"status of 429")
    alice = alice_to_bob
    alice.send("hello")
    message = alice.message("hello")
    message.hover()
    message.get_by_role("button", name="Message actions").click()

    throttle(alice)
    alice.page.get_by_role("menuitem", name="React with 👍").click()
    # A toggle is not made again by itself (which way would it go?): she is told to try again shortly.
    expect(alice.page.get_by_role("status").filter(has_text="Too many requests")).to_have_text(
        "Too many requests at once. Try again in 1 s."
    )
    expect(message.get_by_role("list", name="Reactions")).to_have_count(0)


def test_a_throttled_forward_waits_and_is_sent_once(
    people: Any, make_user: Any, console_errors: Any, throttle: Callable[[Any], None]
) -> None:
    console_errors.allow(r"status of 429")
    alice_user = make_user(username="alice", first_name="Alice", last_name="A")
    bob_user = make_user(username="bob", first_name="Bob", last_name="B")
    with_bob = chat_create(creator=alice_user, members=[bob_user.pk], is_private=True).chat
    chat_create(creator=alice_user, members=[bob_user.pk], title="Archive")
    message_create(sender=bob_user, chat_id=with_bob.pk, text="keep this")
    alice = people("alice").login()
    alice.open_chat("Bob B")
    alice.message_action("keep this", "Forward")
    dialog = alice.page.get_by_role("dialog", name="Forward to…")

    throttle(alice)
    dialog.get_by_role("button", name="Forward to Archive").click()
    alice.page.wait_for_function(
        """() => /Waiting… retry in 1 s/.test(document.querySelector("dialog [role=status]")?.textContent)"""
    )
    expect(alice.page.get_by_role("heading", level=1, name="Archive")).to_be_visible()
    expect(alice.log.locator("li.message p.text")).to_have_text(["keep this"])
    assert stored() == ["keep this", "keep this"]
