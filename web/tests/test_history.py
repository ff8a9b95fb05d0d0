"""History: the newest page first, older pages as the log is scrolled up (`before` cursors), a jump into the past
to a replied-to message (a window around it, newer pages through `after`), and back to the newest; and the
budget: a chat of 100,000 messages shows its newest page within 300 ms of the response."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import WebSocketRoute, expect

from centrifugo.tests.stack import Api
from messages.models import Message
from web.tests.seed import seed_history

OPEN_BUDGET_MS = 300


def private_chat(messenger: Any, make_user: Any, count: int) -> tuple[Any, Any, str]:
    alice = make_user(username="alice", first_name="Alice", last_name="A")
    bob = make_user(username="bob", first_name="Bob", last_name="B")
    body = {"is_private": True, "members": [str(bob.id)]}
    chat = Api(messenger.url, alice).call("POST", "/api/chats/", 201, json=body)
    seed_history(chat["id"], [alice, bob], count)
    return alice, bob, chat["id"]


def scroll_to_top(person: Any) -> None:
    person.log.evaluate("log => { log.scrollTop = 0; }")


def test_scrolling_up_loads_older_pages_and_jumps_back(people: Any, make_user: Any, messenger: Any) -> None:
    _, bob, chat = private_chat(messenger, make_user, 130)
    first = Message.objects.get(chat_id=chat, seq=5)
    Api(messenger.url, bob).call(
        "POST", "/api/messages/", 201, json={"chat": chat, "text": "about that", "reply_to": str(first.id)}
    )
    person = people("alice").login()
    person.open_chat("Bob B")
    messages = person.log.locator("li.message")
    expect(person.message("about that")).to_be_in_viewport()
    expect(messages).to_have_count(50)
    beginning = person.log.get_by_text("This is the beginning of the conversation.")
    expect(beginning).to_have_count(0)

    # Scrolling up: the next older page is prepended and the view stays where it was.
    scroll_to_top(person)
    expect(messages).to_have_count(100)
    expect(person.message("message 81")).to_be_in_viewport()
    scroll_to_top(person)
    expect(messages).to_have_count(131)
    expect(beginning).to_be_visible()

    # The newest again.
    jump = person.page.get_by_role("button", name="Jump to the newest message")
    jump.click()
    expect(person.message("about that")).to_be_in_viewport()
    expect(jump).to_have_count(0)

    # A fresh view of the chat, then the quote: a window around message 5, far from the loaded newest page.
    person.page.reload()
    expect(messages).to_have_count(50)
    quote = person.message("about that").locator(".quote")
    quote.click()
    expect(person.message("message 5")).to_be_in_viewport()
    expect(person.message("about that")).to_have_count(0)
    # The jump replaces that window with the newest page.
    jump.click()
    expect(person.message("about that")).to_be_in_viewport()
    expect(messages).to_have_count(50)

    # Or scrolling that window down loads the newer pages (`after`) up to the newest, each message once.
    quote.click()
    expect(person.message("message 5")).to_be_in_viewport()
    person.log.evaluate("log => { log.scrollTop = log.scrollHeight; }")
    expect(person.message("message 60")).to_have_count(1)
    person.log.evaluate("log => { log.scrollTop = log.scrollHeight; }")
    expect(person.message("about that")).to_be_in_viewport()
    texts = person.texts()
    assert texts == [f"message {n}" for n in range(1, 131)] + ["about that"]


def test_a_chat_of_100000_messages_opens_within_budget(people: Any, make_user: Any, messenger: Any) -> None:
    private_chat(messenger, make_user, 100_000)
    person = people("alice").login()
    person.page.evaluate("performance.clearMarks(); performance.clearMeasures()")
    person.chat_row("Bob B").click()
    expect(person.message("message 100000")).to_be_in_viewport()
    expect(person.log.locator("li.message")).to_have_count(50)
    measure = person.page.wait_for_function(
        "() => performance.getEntriesByName('history:open').at(-1)?.duration"
    ).json_value()
    print(f"\nnewest page of a 100,000-message chat shown {measure:.1f} ms after its response arrived")
    assert 0 < measure < OPEN_BUDGET_MS


def test_a_view_at_the_bottom_follows_messages_that_arrive_out_of_order(
    people: Any, make_user: Any, messenger: Any
) -> None:
    alice = make_user(username="alice", first_name="Alice", last_name="A")
    bob_user = make_user(username="bob", first_name="Bob", last_name="B")
    carol = make_user(username="carol", first_name="Carol", last_name="C")
    chat = Api(messenger.url, alice).create_chat(bob_user, carol, title="Trio")
    seed_history(chat, [alice, bob_user, carol], 40)

    # Several people sending at once: events can reach Bob in another order than the server's (creation). Here
    # Alice's five messages reach Bob after Carol's later one, and land above it.
    held: list[str] = []

    def reorder(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()

        def from_server(frame: str | bytes) -> None:
            # A frame may hold several replies, one JSON a line: the page's SDK reads them one by one as well.
            for reply in (frame if isinstance(frame, str) else frame.decode()).split("\n"):
                if "early " in reply:
                    held.append(reply)
                    continue
                ws.send(reply)
                if "latest" in reply:
                    for early in held:
                        ws.send(early)
                    held.clear()

        server.on_message(from_server)

    bob = people("bob")
    bob.page.route_web_socket(re.compile(r"/connection/websocket"), reorder)
    bob.login()
    bob.open_chat("Trio")
    expect(bob.message("message 40")).to_be_in_viewport()

    as_alice, as_carol = Api(messenger.url, alice), Api(messenger.url, carol)
    earlier = [f"early {n}" for n in range(1, 6)]
    for text in earlier:
        as_alice.send(chat, text)
    as_carol.send(chat, "the latest")
    expect(bob.message("early 5")).to_be_visible()
    assert bob.texts()[-6:] == [*earlier, "the latest"]
    # Bob was at the bottom: he still is, and what arrived is read.
    latest = bob.message("the latest")
    expect(latest).to_be_in_viewport()
    unread = bob.chat_row("Trio").get_by_label(re.compile("unread"))
    expect(unread).to_have_count(0)
    jump = bob.page.get_by_role("button", name="Jump to the newest message")
    expect(jump).to_have_count(0)

    # The reply bar takes room under the log: the view stays at the bottom.
    bob.message_action("the latest", "Reply")
    expect(bob.page.get_by_text("Reply to Carol C")).to_be_visible()
    expect(latest).to_be_in_viewport(ratio=1)
    bob.composer.press("Escape")

    # Scrolled up, Bob is not pulled down: the jump button counts what arrived, above the last one or not.
    bob.log.evaluate("log => { log.scrollTop = 0; }")
    expect(jump).to_be_visible()
    for text in ("early 6", "early 7"):
        as_alice.send(chat, text)
    as_carol.send(chat, "the very latest")
    expect(bob.message("early 7")).to_have_count(1)
    expect(jump).to_have_text("3")
    expect(bob.message("message 1")).to_be_in_viewport()
    jump.click()
    expect(bob.message("the very latest")).to_be_in_viewport()
    expect(jump).to_have_count(0)
    expect(unread).to_have_count(0)
