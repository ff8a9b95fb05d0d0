"""Realtime across a Centrifugo restart: a visible "reconnecting" state, then the conversation continues without a
gap and without a duplicate — recovered from Centrifugo's history (Redis engine) when it survived, refetched through
`after` cursors when it did not (`wasRecovering && !recovered`)."""

from __future__ import annotations

import socket
from typing import Any
from urllib.parse import urlparse

from playwright.sync_api import APIResponse, Route, expect

from web.tests.conftest import Person

WEBSOCKET_ERRORS = r"WebSocket connection to .* failed"


def flush_redis(url: str) -> None:
    """Centrifugo's history and stream positions gone, as after more than the history TTL offline."""
    address = urlparse(url)
    with socket.create_connection((address.hostname, address.port), timeout=5) as connection:
        connection.sendall(b"*1\r\n$8\r\nFLUSHALL\r\n")
        assert connection.recv(64).startswith(b"+OK")


def talking(people: Any, make_user: Any) -> tuple[Person, Person]:
    make_user(username="alice", first_name="Alice", last_name="A")
    make_user(username="bob", first_name="Bob", last_name="B")
    alice, bob = people("alice").login(), people("bob").login()
    alice.start_private_chat("bob")
    alice.send("before the outage")
    bob.open_chat("Alice A")
    expect(bob.message("before the outage")).to_be_visible()
    return alice, bob


def through_an_outage(messenger: Any, alice: Person, bob: Person, *, lose_history: bool) -> None:
    messenger.centrifugo.stop()
    for person in (alice, bob):
        expect(person.page.get_by_role("status").filter(has_text="Reconnecting…")).to_be_visible()
    # Bob keeps writing (the API works); the events wait in the outbox until Centrifugo is back.
    for n in range(1, 4):
        bob.send(f"during the outage {n}")
    expect(alice.message("during the outage 1")).to_have_count(0)
    if lose_history:
        flush_redis(messenger.redis_url)
    messenger.centrifugo.start()
    for person in (alice, bob):
        person.wait_connected()


def test_missed_messages_are_recovered_after_a_restart(
    people: Any, make_user: Any, messenger: Any, console_errors: Any
) -> None:
    console_errors.allow(WEBSOCKET_ERRORS)
    alice, bob = talking(people, make_user)
    requests: list[str] = []
    alice.page.on("request", lambda request: "/api/messages/" in request.url and requests.append(request.url))
    through_an_outage(messenger, alice, bob, lose_history=False)
    expect(alice.message("during the outage 3")).to_be_visible()
    assert not requests, "Centrifugo's history should have been enough: no refetch"
    bob.send("after the outage")
    expect(alice.message("after the outage")).to_be_visible()
    expected = ["before the outage", *(f"during the outage {n}" for n in range(1, 4)), "after the outage"]
    assert alice.texts() == expected
    assert bob.texts() == expected


def test_lost_history_is_refetched_without_gap_or_duplicate(
    people: Any, make_user: Any, messenger: Any, console_errors: Any
) -> None:
    console_errors.allow(WEBSOCKET_ERRORS)
    alice, bob = talking(people, make_user)
    cursors: list[str] = []
    alice.page.on("request", lambda request: "after=" in request.url and cursors.append(request.url))
    # The catch-up ends with a fresh newest page; it is answered as the server had it, but only after Bob's next
    # message has arrived live: a late answer must not take that message away.
    late: list[tuple[Route, APIResponse]] = []

    def answer_late(route: Route) -> None:
        if "after=" in route.request.url or "before=" in route.request.url:
            route.continue_()
        else:
            late.append((route, route.fetch()))

    alice.page.route("**/api/messages/?*", answer_late)
    through_an_outage(messenger, alice, bob, lose_history=True)
    expect(alice.message("during the outage 3")).to_be_visible()
    # The missed messages may also arrive live (published once Centrifugo is back, after Alice resubscribed):
    # the catch-up is done with its cursors when it asks for the newest page.
    for _ in range(300):  # Playwright runs the route handler while the test waits on the page
        if late:
            break
        alice.page.wait_for_timeout(50)
    assert late, "the catch-up should have refreshed the newest page"
    assert cursors, "the missed messages should have come through an `after` cursor"
    bob.send("after the outage")
    expect(alice.message("after the outage")).to_be_visible()
    assert len(late) == 1, "the catch-up should have refreshed the newest page once"
    route, response = late.pop()
    route.fulfill(response=response)
    alice.page.wait_for_function("() => performance.getEntriesByName('history:caught-up').length > 0")
    expected = ["before the outage", *(f"during the outage {n}" for n in range(1, 4)), "after the outage"]
    assert alice.texts() == expected
    # Bob's own read of Alice's message and the unread state survive too.
    expect(alice.message("before the outage").get_by_role("img", name="Read")).to_be_visible()
