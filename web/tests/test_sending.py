"""Sending: a chat's messages reach the server one at a time, in the order Send was pressed (each is a request of
its own, and the server orders them by arrival); a refused one does not hold up the rest, one that did not reach
the server holds them until it is retried."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, Route, WebSocketRoute, expect

from messages.models import Message
from web.tests.test_conversation import picture


def hold_sends(page: Page) -> list[Route]:
    """The page's message sends (POST /api/messages/), held until the test releases them."""
    held: list[Route] = []

    def hold(route: Route) -> None:
        if route.request.method == "POST":
            held.append(route)
        else:
            route.continue_()

    page.route("**/api/messages/", hold)
    return held


def release_newest_first(page: Page, held: list[Route], count: int) -> None:
    """Let `count` sends through, each time the newest one held: sends made at once would reach the server in
    the reverse order."""
    for released in range(count):
        for _ in range(300):  # Playwright runs the route handler while the test waits on the page
            if held:
                break
            page.wait_for_timeout(50)
        else:
            raise AssertionError(f"only {released} of {count} messages were sent")
        held.pop().continue_()


def send_too_many_files(person: Any, tmp_path: Path) -> None:
    """Send "too many files" with six files, one more than a message may have: the server refuses it."""
    files = [tmp_path / f"note{n}.txt" for n in range(6)]
    for path in files:
        path.write_text(path.name)
    person.page.get_by_label("Attach files").set_input_files([str(path) for path in files])
    person.composer.fill("too many files")
    person.composer.press("Enter")


def stored() -> list[str | None]:
    return list(Message.objects.order_by("seq").values_list("text", flat=True))


def test_messages_reach_the_server_in_the_order_they_were_sent(people: Any, make_user: Any, tmp_path: Path) -> None:
    make_user(username="alice", first_name="Alice", last_name="X")
    make_user(username="bob", first_name="Bob", last_name="X")
    alice, bob = people("alice").login(), people("bob").login()
    alice.start_private_chat("bob")
    held = hold_sends(alice.page)

    # A photo on a slow upload, and texts typed right after it: each shows at once, in order, waiting its turn.
    alice.page.get_by_label("Attach files").set_input_files(str(picture(tmp_path / "photo.png", "blue")))
    alice.composer.fill("the photo")
    alice.composer.press("Enter")
    texts = [f"then {n}" for n in range(1, 13)]
    for text in texts:
        alice.composer.fill(text)
        alice.composer.press("Enter")
    expect(alice.page.locator("[data-pending] p.text")).to_have_text(["the photo · photo.png", *texts])

    release_newest_first(alice.page, held, 1 + len(texts))
    expect(alice.page.locator("[data-pending]")).to_have_count(0)
    expected = ["the photo", *texts]
    assert stored() == expected
    assert alice.texts() == expected
    bob.open_chat("Alice X")
    expect(bob.log.locator("li.message p.text")).to_have_text(expected)


def test_a_refused_message_does_not_hold_up_the_next_ones(
    alice_to_bob: Any, console_errors: Any, tmp_path: Path
) -> None:
    console_errors.allow(r"status of 400")
    alice = alice_to_bob
    alice.composer.fill("before")
    alice.composer.press("Enter")
    send_too_many_files(alice, tmp_path)
    alice.composer.fill("after")
    alice.composer.press("Enter")

    refused = alice.page.locator("[data-pending]")
    expect(refused).to_have_count(1)
    expect(refused.get_by_role("alert")).to_contain_text("Retry")
    expect(alice.page.locator("li.message:not([data-pending]) p.text")).to_have_text(["before", "after"])
    assert stored() == ["before", "after"]
    refused.get_by_role("button", name="Dismiss").click()
    expect(refused).to_have_count(0)


def test_a_message_that_did_not_reach_the_server_holds_the_next_ones(alice_to_bob: Any, console_errors: Any) -> None:
    console_errors.allow(r"status of 502")
    alice = alice_to_bob
    # The first send meets a gateway error (the API restarting behind nginx), the next ones wait behind it.
    failed: list[Route] = []

    def send(route: Route) -> None:
        if route.request.method == "POST" and not failed:
            failed.append(route)
            route.fulfill(status=502, json={"detail": "Bad gateway", "code": "bad_gateway"})
        else:
            route.continue_()

    alice.page.route("**/api/messages/", send)
    for text in ("one", "two", "three"):
        alice.composer.fill(text)
        alice.composer.press("Enter")
    pending = alice.page.locator("[data-pending]")
    expect(pending.first.get_by_role("alert")).to_be_visible()
    expect(pending.nth(1)).to_contain_text("Sending…")
    expect(pending.nth(2)).to_contain_text("Sending…")
    assert stored() == []

    pending.first.get_by_role("button", name="Retry").click()
    expect(pending).to_have_count(0)
    assert stored() == ["one", "two", "three"]
    assert alice.texts() == ["one", "two", "three"]


def test_a_message_written_offline_is_sent_when_the_connection_is_back(
    people: Any, make_user: Any, console_errors: Any, tmp_path: Path
) -> None:
    console_errors.allow(r"status of 400")
    console_errors.allow(r"ERR_INTERNET_DISCONNECTED")
    make_user(username="bob", first_name="Bob", last_name="X")
    alice = people("alice").register(first_name="Alice")
    alice.start_private_chat("bob")
    # One the server refuses stays refused whatever the connection does.
    send_too_many_files(alice, tmp_path)
    pending = alice.page.locator("[data-pending]")
    expect(pending.get_by_role("alert")).to_be_visible()
    refusal = pending.get_by_role("alert").inner_text()

    alice.page.context.set_offline(True)
    alice.composer.fill("written offline")
    alice.composer.press("Enter")
    alice.composer.fill("and this too")
    alice.composer.press("Enter")
    # Said plainly, not as the browser's "Failed to fetch".
    expect(pending.nth(1).get_by_role("alert")).to_contain_text("Not sent")
    expect(pending.nth(2)).to_contain_text("Sending…")
    expect(alice.page.get_by_text("Failed to fetch")).to_have_count(0)

    alice.page.context.set_offline(False)
    alice.wait_connected()
    expect(pending).to_have_count(1)
    assert stored() == ["written offline", "and this too"]
    expect(pending.get_by_role("alert")).to_have_text(refusal)


def test_a_resend_after_a_lost_answer_does_not_send_twice(people: Any, make_user: Any, console_errors: Any) -> None:
    """The server stored the message but its answer never came back (the connection dropped): the resend carries
    the same Idempotency-Key and gets the stored message, not a second one."""
    console_errors.allow(r"ERR_FAILED|net::")
    make_user(username="bob", first_name="Bob", last_name="X")
    alice = people("alice")

    def lose_the_event(ws: WebSocketRoute) -> None:
        # Its `create` event is lost too (the connection dropped): only the resend can tell the client.
        server = ws.connect_to_server()

        def from_server(frame: str | bytes) -> None:
            for reply in (frame if isinstance(frame, str) else frame.decode()).split("\n"):
                if "only once" not in reply:
                    ws.send(reply)

        server.on_message(from_server)

    alice.page.route_web_socket(re.compile(r"/connection/websocket"), lose_the_event)
    alice.register(first_name="Alice")
    alice.start_private_chat("bob")
    keys: list[str | None] = []

    def lose_the_first_answer(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        keys.append(route.request.headers.get("idempotency-key"))
        if len(keys) == 1:
            route.fetch()  # the server stores it...
            route.abort("connectionreset")  # ...and the browser never hears back
        else:
            route.continue_()

    alice.page.route("**/api/messages/", lose_the_first_answer)
    alice.composer.fill("only once")
    alice.composer.press("Enter")
    pending = alice.page.locator("[data-pending]")
    expect(pending.get_by_role("alert")).to_contain_text("Not sent")
    assert stored() == ["only once"]
    pending.get_by_role("button", name="Retry").click()
    expect(pending).to_have_count(0)
    assert stored() == ["only once"]
    assert alice.texts() == ["only once"]
    assert len(keys) == 2 and keys[0] and keys[0] == keys[1]
